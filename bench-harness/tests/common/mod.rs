//! Helpers shared by the integration tests: they run the real `bench-harness` binary
//! (and through it the real contestants) with `--out` in a temporary folder.
#![allow(dead_code)]

use bench_harness::results::{self, Row};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn harness() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bench-harness"));
    c.current_dir(root());
    c
}

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the harness with `args`, panicking with its output when it exits non-zero.
pub(crate) fn run_ok(args: &[&str]) -> Output {
    let out = harness().args(args).output().expect("bench-harness runs");
    assert!(
        out.status.success(),
        "bench-harness {:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub(crate) fn rows(dir: &Path, file: &str) -> Vec<Row> {
    results::read_rows(&dir.join(file)).unwrap()
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes an executable shell script and returns its path.
pub(crate) fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Python of the project's venv (created by the harness when a test first needs it).
pub(crate) fn venv_python() -> PathBuf {
    root().join(".venv").join("bin").join("python")
}
