//! Our `kmeans` binary as a contestant: one process per repeat, from the cell's
//! initial centers (`--init-centers`, `--max-iter N --tol 0`), the fit time read from
//! its `--summary` (measured inside the process: the fit of that k, after loading);
//! and greedy k-means++ seeding (`--k-min k --k-max k --max-iter 1`, the summary's
//! `init_seconds`). Which `--kernel` values the binary offers is read from its
//! `--help`, so a list naming kernels an older binary lacks skips them with a note.

use super::rows::Measured;
use super::spec::Precision;
use crate::measure::{self, Exit};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The `--kernel` values `kmeans --help` lists (empty when it has no `--kernel`).
pub fn kernels_offered(bin: &Path) -> Result<Vec<String>> {
    let out = Command::new(bin)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} --help", bin.display()))?;
    Ok(parse_kernels(&String::from_utf8_lossy(&out.stdout)))
}

/// The values of `--kernel` in clap's help text: the `[possible values: a, b]` line
/// or the `- name: …` list of the option's block.
pub fn parse_kernels(help: &str) -> Vec<String> {
    let mut lines = help
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--kernel"));
    let Some(_) = lines.next() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for l in lines {
        let t = l.trim();
        if t.starts_with("--") || t.starts_with("-h,") {
            break;
        }
        if let Some(rest) = t.strip_prefix("[possible values:") {
            out.extend(
                rest.trim_end_matches(']')
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
        } else if let Some(rest) = t.strip_prefix("- ") {
            if let Some((name, _)) = rest.split_once(':') {
                out.push(name.trim().to_string());
            }
        }
    }
    out.dedup();
    out
}

/// What a run of the binary is asked to do.
pub struct Job<'a> {
    /// The binary.
    pub bin: &'a Path,
    /// Data (`.npy`).
    pub x: &'a Path,
    /// Initial centers (`.npy`), or None for greedy k-means++ seeding.
    pub init: Option<&'a Path>,
    /// k (seeding only; explicit centers fix it).
    pub k: usize,
    /// Iterations (`--max-iter`, `--tol 0`).
    pub iterations: usize,
    /// Distance arithmetic.
    pub precision: Precision,
    /// `--kernel` value (`auto` passes nothing).
    pub kernel: &'a str,
    /// `--threads`.
    pub threads: usize,
    /// Processes (one timing each).
    pub repeats: usize,
    /// Base seed (seeding: seed + repeat).
    pub seed: u64,
    /// Folder for the summaries, outputs and logs.
    pub scratch: &'a Path,
    /// Per-process timeout.
    pub timeout: Duration,
}

/// Runs the binary `job.repeats` times; the fit (or seeding) time of each, the final
/// centers and settings of the last.
pub fn run(job: &Job) -> Result<Measured> {
    std::fs::create_dir_all(job.scratch)?;
    let summary = job.scratch.join("summary.json");
    let mut m = Measured {
        inertia_own: f64::NAN,
        ..Measured::default()
    };
    for r in 0..job.repeats {
        let _ = std::fs::remove_file(&summary);
        let mut cmd = Command::new(job.bin);
        cmd.arg("--input")
            .arg(job.x)
            .arg("--output")
            .arg(job.scratch.join("labels.npy"))
            .args(["--output-format", "npy", "--tol", "0"])
            .args(["--max-iter", &job.iterations.to_string()])
            .args(["--threads", &job.threads.to_string()])
            .args(["--precision", job.precision.name()])
            .arg("--summary")
            .arg(&summary);
        if job.kernel != "auto" {
            cmd.args(["--kernel", job.kernel]);
        }
        match job.init {
            Some(init) => {
                cmd.arg("--init-centers").arg(init);
            }
            None => {
                let k = job.k.to_string();
                cmd.args(["--init", "greedy-k-means++", "--k-min", &k, "--k-max", &k])
                    .args(["--seed", &(job.seed + r as u64).to_string()]);
            }
        }
        let stderr = job.scratch.join("stderr.txt");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr)?);
        let meas = measure::run(&mut cmd, job.timeout)
            .with_context(|| format!("starting {}", job.bin.display()))?;
        if meas.exit != Exit::Code(0) {
            let last = std::fs::read_to_string(&stderr)
                .unwrap_or_default()
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            bail!("{}: {last}", describe(meas.exit, job.timeout));
        }
        let text = std::fs::read_to_string(&summary)
            .with_context(|| format!("reading {}", summary.display()))?;
        let s: Value = serde_json::from_str(&text).context("parsing the summary")?;
        let res = s
            .get("results")
            .and_then(|r| r.get(0))
            .context("summary without results")?;
        let num = |v: &Value, key: &str| v.get(key).and_then(Value::as_f64);
        let t = if job.init.is_some() {
            num(res, "seconds")
        } else {
            num(res, "init_seconds")
        }
        .context("summary without seconds")?;
        m.times.push(t);
        m.n_iter = res
            .get("iterations")
            .and_then(Value::as_u64)
            .map(|v| v as usize);
        m.inertia_own = num(res, "inertia").unwrap_or(f64::NAN);
        m.centers = res
            .get("centers")
            .and_then(Value::as_array)
            .context("summary without centers")?
            .iter()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect();
        let field = |key: &str| s.get(key).cloned().unwrap_or(Value::Null);
        m.detail = format!(
            "kernel {} ({}), {}",
            field("kernel").as_str().unwrap_or("?"),
            field("isa").as_str().unwrap_or("?"),
            field("algorithm").as_str().unwrap_or("?")
        );
        m.extra = json!({
            "kernel": field("kernel"), "isa": field("isa"), "algorithm": field("algorithm"),
            "precision": field("precision"), "threads": field("threads"),
            "layout": field("layout"), "init": field("init"),
            "iter_seconds": num(res, "iter_seconds"), "init_seconds": num(res, "init_seconds"),
            "process_wall_s": meas.wall_s,
        });
    }
    Ok(m)
}

/// A one-line reason for a process that did not exit 0.
pub fn describe(exit: Exit, timeout: Duration) -> String {
    match exit {
        Exit::Code(c) => format!("exit {c}"),
        Exit::Signal(s) => format!("killed by {}", measure::signal_name(s)),
        Exit::TimedOut => format!("timeout after {} s (killed)", timeout.as_secs()),
        Exit::Interrupted => "interrupted".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_from_help() {
        let help = "      --layout <LAYOUT>\n          x\n      --kernel <KERNEL>\n          Kernel of the flat layout\n\n          [default: auto]\n          [possible values: scalar, simd, auto]\n\n      --threads <THREADS>\n          [possible values: 1]\n";
        assert_eq!(parse_kernels(help), ["scalar", "simd", "auto"]);
        let long = "      --kernel <KERNEL>\n          Kernel\n\n          Possible values:\n          - scalar:   the loop\n          - blocked:  cache-blocked\n          \n      --threads <N>\n";
        assert_eq!(parse_kernels(long), ["scalar", "blocked"]);
        assert!(parse_kernels("      --threads <N>\n").is_empty());
    }
}
