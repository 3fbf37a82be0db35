//! Typed errors of the library. The binary turns each into one line on stderr and exit
//! status 2.

use std::path::PathBuf;

/// Everything that can go wrong while loading input or fitting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, mapped or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A parse or format error at a known place in a text file. `column` is the
    /// 1-based field number.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// 1-based field number.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// The file as a whole is unusable (empty, no rows, wrong dtype, …).
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Arguments that cannot work with this data (k > n, k = 0, …).
    #[error("{0}")]
    Invalid(String),
    /// The fit was cancelled through the flag of [`crate::KMeans::cancel_flag`].
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The crate's result type: [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;
