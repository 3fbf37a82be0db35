//! The project's Python venv for the baselines: created on first use from
//! `baselines/requirements.txt` (and, best effort, `requirements-optional.txt`), then
//! used through its own `bin/python` — never a pyenv shim or the system `python3`.

use crate::contestants::PYTHON_ENV_REMOVED;
use anyhow::{bail, Context, Result};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Marker inside the venv recording the requirements it was installed from.
const STAMP: &str = ".bench-harness-requirements";

/// A ready venv.
#[derive(Clone, Debug)]
pub struct Venv {
    /// The venv folder.
    pub dir: PathBuf,
    /// Its Python interpreter.
    pub python: PathBuf,
}

/// Returns the venv at `dir`, creating it and installing the pinned requirements when
/// it is missing or its requirements changed. Concurrent harnesses serialise on an
/// advisory lock of `requirements.txt`.
pub fn ensure(root: &Path, dir: &Path) -> Result<Venv> {
    let baselines = root.join("baselines");
    let req = baselines.join("requirements.txt");
    let opt = baselines.join("requirements-optional.txt");
    let python = dir.join("bin").join("python");
    let venv = Venv {
        dir: dir.to_path_buf(),
        python: python.clone(),
    };
    if !req.is_file() {
        if python.is_file() {
            eprintln!(
                "note: {} is missing; using the venv as it is",
                req.display()
            );
            return Ok(venv);
        }
        bail!(
            "{} is missing: cannot create the venv {}",
            req.display(),
            dir.display()
        );
    }
    let lock = std::fs::File::open(&req).with_context(|| format!("opening {}", req.display()))?;
    // SAFETY: flock(2) on a descriptor we own; the lock is released when `lock` drops.
    let _ = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };

    let wanted = format!(
        "{}\n--- optional ---\n{}",
        std::fs::read_to_string(&req).unwrap_or_default(),
        std::fs::read_to_string(&opt).unwrap_or_default()
    );
    let stamp = dir.join(STAMP);
    if python.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(venv);
    }
    if !python.is_file() {
        let base = base_python()?;
        eprintln!(
            "creating the Python venv {} with {}",
            dir.display(),
            base.display()
        );
        let ok = Command::new(&base)
            .args(["-m", "venv"])
            .arg(dir)
            .stdin(Stdio::null())
            .status()
            .with_context(|| format!("running {} -m venv", base.display()))?;
        if !ok.success() || !python.is_file() {
            bail!(
                "`{} -m venv {}` failed ({ok})",
                base.display(),
                dir.display()
            );
        }
    }
    eprintln!(
        "installing the pinned baseline requirements into {}",
        dir.display()
    );
    pip_install(&python, &req).context("installing baselines/requirements.txt")?;
    if opt.is_file() {
        if let Err(e) = pip_install(&python, &opt) {
            eprintln!(
                "note: optional contestants not installed ({e:#}); faiss/sklearnex will be skipped"
            );
        }
    }
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(venv)
}

fn pip_install(python: &Path, req: &Path) -> Result<()> {
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
        ])
        .arg(req)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("running {} -m pip", python.display()))?;
    if !status.success() {
        bail!("pip install -r {} failed ({status})", req.display());
    }
    Ok(())
}

/// The interpreter to create the venv with: `$BENCH_PYTHON`, else `python3` from PATH
/// resolved to the real executable (through `sys.executable`, so a pyenv shim is not
/// baked into the venv).
fn base_python() -> Result<PathBuf> {
    let candidate = std::env::var_os("BENCH_PYTHON").unwrap_or_else(|| "python3".into());
    let out = Command::new(&candidate)
        .args(["-c", "import sys; print(sys.executable)"])
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "running {}: is Python 3 installed?",
                candidate.to_string_lossy()
            )
        })?;
    let real = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || real.is_empty() {
        bail!("{} does not run", candidate.to_string_lossy());
    }
    Ok(PathBuf::from(real))
}

/// Python-side facts for machine.json: versions of Python, NumPy, scikit-learn and the
/// optional packages, and threadpoolctl's view of the BLAS/OpenMP libraries once NumPy,
/// SciPy and scikit-learn are loaded — asked in the environment the baselines run in.
pub fn info(python: &Path) -> Result<serde_json::Value> {
    const SCRIPT: &str = r#"
import json, sys, platform, importlib.metadata as md
def ver(p):
    try:
        return md.version(p)
    except Exception:
        return None
out = {"python": platform.python_version(), "executable": sys.executable,
       "packages": {p: ver(p) for p in ["numpy", "scipy", "scikit-learn", "pandas",
                    "threadpoolctl", "faiss-cpu", "scikit-learn-intelex"]}}
try:
    import numpy, scipy.linalg, sklearn.cluster, threadpoolctl
    out["threadpool_info"] = threadpoolctl.threadpool_info()
except Exception as e:
    out["threadpool_error"] = repr(e)
print(json.dumps(out))
"#;
    let mut cmd = Command::new(python);
    cmd.args(["-c", SCRIPT]).stdin(Stdio::null());
    for var in PYTHON_ENV_REMOVED {
        cmd.env_remove(var);
    }
    let out = cmd
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    serde_json::from_slice(&out.stdout).context("parsing the Python probe's JSON")
}
