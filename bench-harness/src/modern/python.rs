//! The Python contestants (`kmeans_roofline`, scikit-learn, sklearnex, faiss): one
//! fresh `python/bench/fitbench.py` process per contestant and cell, with the
//! venv's own interpreter and `OPENBLAS_CORETYPE` / `OPENBLAS_L2_SIZE` removed from
//! its environment. The process times the fit call itself (repeats inside the one
//! process), records threadpoolctl's report of the BLAS that ran and writes the final
//! centers as `.npy`.

use super::ours::describe;
use super::rows::Measured;
use super::spec::Precision;
use crate::contestants::PYTHON_ENV_REMOVED;
use crate::measure::{self, Exit};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// What a fitbench.py process is asked to do.
pub struct Job<'a> {
    /// The venv's python.
    pub python: &'a Path,
    /// `python/bench/fitbench.py`.
    pub script: &'a Path,
    /// fitbench's contestant name.
    pub lib: &'a str,
    /// `fit` or `seed`.
    pub mode: &'a str,
    /// Data (`.npy`, float64).
    pub x: &'a Path,
    /// Initial centers (`fit`).
    pub init: Option<&'a Path>,
    /// k.
    pub k: usize,
    /// Iterations (`fit`).
    pub iterations: usize,
    /// Repeats inside the process.
    pub repeats: usize,
    /// Threads.
    pub threads: usize,
    /// Base random seed (`seed`).
    pub seed: u64,
    /// Distance arithmetic.
    pub precision: Precision,
    /// Folder for the spec, result, centers and logs.
    pub scratch: &'a Path,
    /// Timeout of the process.
    pub timeout: Duration,
}

/// Runs one fitbench.py process.
pub fn run(job: &Job) -> Result<Measured> {
    std::fs::create_dir_all(job.scratch)?;
    let spec_path = job.scratch.join("spec.json");
    let result = job.scratch.join("result.json");
    let centers = job.scratch.join("centers.npy");
    let _ = std::fs::remove_file(&result);
    let spec = json!({
        "contestant": job.lib, "mode": job.mode,
        "x": job.x, "init": job.init, "k": job.k,
        "iterations": job.iterations, "repeats": job.repeats, "threads": job.threads,
        "seed": job.seed, "precision": job.precision.name(), "algorithm": "lloyd",
        "centers_out": centers, "result": result,
    });
    crate::io::write_json(&spec_path, &spec)?;
    let stderr = job.scratch.join("stderr.txt");
    let mut cmd = Command::new(job.python);
    cmd.arg(job.script)
        .arg(&spec_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr)?);
    for var in PYTHON_ENV_REMOVED {
        cmd.env_remove(var);
    }
    let meas = measure::run(&mut cmd, job.timeout)
        .with_context(|| format!("starting {}", job.python.display()))?;
    if meas.exit != Exit::Code(0) {
        let last = std::fs::read_to_string(&stderr)
            .unwrap_or_default()
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string();
        bail!("{}: {last}", describe(meas.exit, job.timeout));
    }
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(&result)
            .with_context(|| format!("reading {}", result.display()))?,
    )
    .context("parsing fitbench's result")?;
    let exec = kernels::Exec::new(1)?;
    let c = kernels::data::load(&centers, &exec)
        .with_context(|| format!("reading {}", centers.display()))?;
    Ok(Measured {
        times: r
            .get("times")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default(),
        n_iter: r.get("n_iter").and_then(Value::as_u64).map(|v| v as usize),
        centers: c.matrix.as_slice().to_vec(),
        inertia_own: r
            .get("inertia_own")
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN),
        detail: blas_short(r.get("threadpool_info")),
        extra: json!({
            "versions": r.get("versions"), "threadpool_info": r.get("threadpool_info"),
            "sklearnex_dispatch": r.get("sklearnex_dispatch"), "env": r.get("env"),
            "process_wall_s": meas.wall_s,
        }),
    })
}

/// threadpoolctl's report in one line: `openblas 0.3.30 (Zen), 2 thr; openmp …`.
pub fn blas_short(info: Option<&Value>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for lib in info.and_then(Value::as_array).into_iter().flatten() {
        let s = |k: &str| lib.get(k).and_then(Value::as_str).unwrap_or("");
        let mut p = format!("{} {}", s("internal_api"), s("version"))
            .trim()
            .to_string();
        if !s("architecture").is_empty() {
            p.push_str(&format!(" ({})", s("architecture")));
        }
        if let Some(t) = lib.get("num_threads").and_then(Value::as_u64) {
            p.push_str(&format!(", {t} thr"));
        }
        if !parts.contains(&p) {
            parts.push(p);
        }
    }
    parts.sort();
    parts.join("; ")
}
