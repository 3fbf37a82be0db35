//! Ctrl-C / SIGTERM handling: the temporary output file being written (if any) is
//! removed before the process exits with status 130, so an interrupted run leaves
//! nothing behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static TEMP: Mutex<Option<PathBuf>> = Mutex::new(None);

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
            if let Some(p) = t.take() {
                let _ = std::fs::remove_file(p);
            }
        }
        eprintln!("kmeans: interrupted");
        std::process::exit(130);
    });
}

/// Remembers the temporary file to delete on interrupt.
pub(crate) fn register_temp(p: &Path) {
    if let Ok(mut t) = TEMP.lock() {
        *t = Some(p.to_path_buf());
    }
}

/// Forgets it (renamed or removed by its owner).
pub(crate) fn unregister_temp() {
    if let Ok(mut t) = TEMP.lock() {
        *t = None;
    }
}
