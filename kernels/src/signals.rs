//! Ctrl-C / SIGTERM handling: the temporary output file being written (if any) is
//! removed before the process exits with status 130, so an interrupted run leaves
//! nothing behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files being written (the output, the summary).
static TEMP: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler (once; later calls do nothing). Also ignores SIGXFSZ, so
/// exceeding a file-size limit (`ulimit -f`) makes the write fail with EFBIG, which
/// is reported and cleaned up like any other write error, instead of killing the
/// process with the temporary file in place.
pub fn install() {
    #[cfg(unix)]
    // SAFETY: setting the disposition of SIGXFSZ to SIG_IGN has no memory-safety
    // implications; it is done once at start-up before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let _ = ctrlc::set_handler(|| {
        // The lock is held until the process is gone (`exit` runs no destructors):
        // from here on no temporary file can be created ([`create_temp`] takes it).
        let mut t = TEMP.lock().unwrap_or_else(|e| e.into_inner());
        for p in t.drain(..) {
            let _ = std::fs::remove_file(p);
        }
        eprintln!("kmeans: interrupted");
        std::process::exit(130);
    });
}

/// Creates the new file `path` (it must not exist) with mode 0666 minus the umask,
/// and remembers it to delete on interrupt. Both happen under the lock the interrupt
/// handler takes, so an interrupt comes either before (no file is created) or after
/// (the handler removes it); registering after creating left a window in which an
/// interrupt left the file behind (about 1 in 200 random interrupts; CI's test hit it).
pub fn create_temp(path: &Path) -> std::io::Result<std::fs::File> {
    let mut t = TEMP.lock().unwrap_or_else(|e| e.into_inner());
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o666);
    }
    let f = o.open(path)?;
    t.push(path.to_path_buf());
    Ok(f)
}

/// Forgets it: call after it was renamed into place or removed by its owner (an
/// interrupt between the rename and this call only tries to remove a path that no
/// longer exists).
pub fn unregister_temp(p: &Path) {
    TEMP.lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|q| q != p);
}
