//! bench-harness: generates the data sets, runs the end-to-end k-means contest as
//! subprocesses, checks every answer, probes the machine and summarises the results.
//!
//! The binary (`src/main.rs`) is a thin clap front end over these modules.

pub mod check;
pub mod contestants;
pub mod gen;
pub mod grid;
pub mod io;
pub mod machine;
pub mod measure;
pub mod metrics;
pub mod micro;
pub mod microdata;
pub mod modern;
pub mod npy;
pub mod paths;
pub mod record;
pub mod report;
pub mod results;
pub mod rng;
pub mod roofline;
pub mod stats;
pub mod summary;
pub mod venv;

/// Version string recorded in every row: the crate version plus the git commit of the
/// project (with `-dirty` when the work tree has changes), when git is available.
pub fn harness_version(root: &std::path::Path) -> String {
    let commit = std::process::Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "nogit".to_string());
    format!("{}+{}", env!("CARGO_PKG_VERSION"), commit)
}
