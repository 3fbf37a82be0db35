//! Where things live: the project root, the Rust target folder, data and results folders.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// The project root: the nearest ancestor of the current folder holding both a
/// `Cargo.toml` and a `baselines/` folder, or else the folder this crate was built from.
pub fn project_root() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            if dir.join("Cargo.toml").is_file() && dir.join("baselines").is_dir() {
                return dir.to_path_buf();
            }
        }
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"));
    built.parent().unwrap_or(built).to_path_buf()
}

/// Cargo's target folder for the project (honours `CARGO_TARGET_DIR`).
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let p = PathBuf::from(d);
            if p.is_absolute() {
                p
            } else {
                root.join(p)
            }
        }
        _ => root.join("target"),
    }
}

/// The release `kmeans` binary.
pub fn kmeans_binary(root: &Path) -> PathBuf {
    target_dir(root).join("release").join("kmeans")
}

/// Default folder for generated data sets (gitignored).
pub fn default_data_dir(root: &Path) -> PathBuf {
    root.join("data")
}

/// Default results folder of a machine: `perf-reports/<machine-id>`.
pub fn default_machine_dir(root: &Path, machine_id: &str) -> PathBuf {
    root.join("perf-reports").join(machine_id)
}

/// Builds the Rust contestants once, before any timing: `cargo build --release -p kernels`.
/// Cargo's output goes to our stderr so the user sees progress; its time is never measured.
pub fn build_kernels(root: &Path) -> Result<PathBuf> {
    let bin = kmeans_binary(root);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building the Rust contestants: cargo build --release -p kernels --bin kmeans");
    let status = std::process::Command::new(&cargo)
        .args(["build", "--release", "-p", "kernels", "--bin", "kmeans"])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => bail!(
            "`cargo build --release -p kernels` failed ({s}); fix the build or pass --no-build"
        ),
        Err(e) if bin.is_file() => {
            eprintln!(
                "note: could not run cargo ({e}); using the existing {}",
                bin.display()
            );
        }
        Err(e) => bail!("could not run cargo to build {}: {e}", bin.display()),
    }
    if !bin.is_file() {
        bail!("{} is missing after the build", bin.display());
    }
    Ok(bin)
}
