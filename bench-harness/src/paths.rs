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

/// The cargo arguments of the one build of the Rust contestants. `-p bench-harness` is
/// selected too (only `kmeans` is built) so that cargo resolves the dependencies'
/// features exactly as for `cargo run --release -p bench-harness`: the kernels library
/// and its dependencies that the harness's own build just compiled are reused, and only
/// the `kmeans` binary is compiled and linked. `-p kernels` alone resolves other
/// features for a few shared dependencies (num-traits, libm, serde) and would compile
/// the kernels library a second time.
pub const BUILD_ARGS: [&str; 8] = [
    "build",
    "--release",
    "-p",
    "kernels",
    "-p",
    "bench-harness",
    "--bin",
    "kmeans",
];

/// A running `cargo build` of the Rust contestants ([`BUILD_ARGS`]); [`Build::wait`]
/// returns the binary.
pub struct Build {
    root: PathBuf,
    child: std::io::Result<std::process::Child>,
}

impl Build {
    /// Starts the build in the background: cargo's progress goes to our stderr. Its time
    /// is never measured.
    pub fn start(root: &Path) -> Build {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        eprintln!(
            "building the Rust contestants: cargo {}",
            BUILD_ARGS.join(" ")
        );
        let child = std::process::Command::new(&cargo)
            .args(BUILD_ARGS)
            .current_dir(root)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn();
        Build {
            root: root.to_path_buf(),
            child,
        }
    }

    /// Waits for the build; the `kmeans` binary, or why there is none.
    pub fn wait(self) -> Result<PathBuf> {
        let bin = kmeans_binary(&self.root);
        match self.child.and_then(|mut c| c.wait()) {
            Ok(s) if s.success() => {}
            Ok(s) => bail!(
                "`cargo {}` failed ({s}); fix the build or pass --no-build",
                BUILD_ARGS.join(" ")
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
}

/// Builds the Rust contestants once, before any timing ([`Build`], waited for).
pub fn build_kernels(root: &Path) -> Result<PathBuf> {
    Build::start(root).wait()
}
