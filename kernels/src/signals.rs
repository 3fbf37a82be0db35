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
        if let Ok(mut t) = TEMP.lock() {
            for p in t.drain(..) {
                let _ = std::fs::remove_file(p);
            }
        }
        eprintln!("kmeans: interrupted");
        std::process::exit(130);
    });
}

/// Remembers a temporary file to delete on interrupt.
pub fn register_temp(p: &Path) {
    if let Ok(mut t) = TEMP.lock() {
        t.push(p.to_path_buf());
    }
}

/// Forgets it: call after it was renamed into place or removed by its owner (an
/// interrupt between the rename and this call only tries to remove a path that no
/// longer exists).
pub fn unregister_temp(p: &Path) {
    if let Ok(mut t) = TEMP.lock() {
        t.retain(|q| q != p);
    }
}
