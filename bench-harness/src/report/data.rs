//! Reading a results folder: `runs.csv` (and `threads.csv`) in the harness's schema, read
//! by column name so that extra columns are ignored and missing optional ones are empty,
//! plus `machine.json` as free-form JSON.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `status` of a run whose answer passed every check.
pub const OK: &str = "ok";
/// `status` of a run that answered but failed a check.
pub const WRONG: &str = "wrong";
/// `status` of a run that crashed, timed out, exited non-zero or wrote nothing usable.
pub const FAILED: &str = "failed";

/// One run (one row of a results file), reduced to what the report uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Who ran.
    pub contestant: String,
    /// Data shape.
    pub shape: String,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Largest k of the sweep.
    pub k_max: usize,
    /// Repeat, 1-based.
    pub repeat: u32,
    /// Threads the contestant was allowed.
    pub threads: Option<usize>,
    /// Wall time, seconds.
    pub wall_s: Option<f64>,
    /// User CPU time, seconds.
    pub user_s: Option<f64>,
    /// System CPU time, seconds.
    pub sys_s: Option<f64>,
    /// Largest sampled VmRSS, MB.
    pub peak_rss_mb_sampled: Option<f64>,
    /// `ru_maxrss` from wait4, MB.
    pub max_rss_mb: Option<f64>,
    /// Adjusted Rand index.
    pub ari: Option<f64>,
    /// Normalised mutual information.
    pub nmi: Option<f64>,
    /// Within-cluster sum of squares.
    pub inertia: Option<f64>,
    /// `ok`, `wrong` or `failed`.
    pub status: String,
    /// Exit status.
    pub exit_code: Option<i32>,
    /// Why a run is `wrong` or `failed`.
    pub reason: String,
    /// The `harness_version` column: `bench-harness` version + `git describe` of the
    /// project the run's binaries were built from (empty when the file has none).
    pub harness_version: String,
    /// 1-based line of the file this run came from (the header is line 1).
    pub line: usize,
}

impl Run {
    /// The run answered and every check passed, and its wall time is known.
    pub fn is_ok(&self) -> bool {
        self.status == OK && self.wall_s.is_some_and(f64::is_finite)
    }

    /// The grid cell of this run.
    pub fn cell(&self) -> Cell {
        Cell {
            shape: self.shape.clone(),
            n: self.n,
            d: self.d,
            k_max: self.k_max,
        }
    }

    /// Sampled peak RSS per 1,000 rows (MB), when the sample exists.
    pub fn rss_per_1k(&self) -> Option<f64> {
        self.peak_rss_mb_sampled
            .filter(|m| m.is_finite())
            .map(|m| m / (self.n as f64 / 1000.0))
    }

    /// Kernel peak RSS (`ru_maxrss`) per 1,000 rows (MB), when recorded.
    pub fn max_rss_per_1k(&self) -> Option<f64> {
        self.max_rss_mb
            .filter(|m| m.is_finite())
            .map(|m| m / (self.n as f64 / 1000.0))
    }
}

/// A data set of the grid: shape × n × d × k_max (its repeats are the samples).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// Data shape.
    pub shape: String,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Largest k of the sweep.
    pub k_max: usize,
}

/// A parsed results file with the lines that could not be used.
#[derive(Clone, Debug, Default)]
pub struct RunsFile {
    /// The file.
    pub path: PathBuf,
    /// Its usable runs.
    pub runs: Vec<Run>,
    /// `(line, why)` of rows that were skipped.
    pub skipped: Vec<(usize, String)>,
}

/// A results folder: runs, optional thread sweep, optional machine description.
#[derive(Clone, Debug)]
pub struct Folder {
    /// The folder.
    pub dir: PathBuf,
    /// `runs.csv`.
    pub runs: RunsFile,
    /// `threads.csv`, when present.
    pub threads: Option<RunsFile>,
    /// `machine.json`, when present and readable.
    pub machine: Option<Value>,
    /// Why machine.json could not be used, if it exists but is broken.
    pub machine_error: Option<String>,
    /// `micro.csv` (from `bench-harness micro`), when the folder has one.
    pub micro: Option<crate::microdata::MicroFile>,
    /// Why micro.csv could not be read, if it exists but is broken.
    pub micro_error: Option<String>,
}

impl Folder {
    /// A short name for the machine: `machine_id` from machine.json, else the folder name.
    pub fn name(&self) -> String {
        self.machine
            .as_ref()
            .and_then(|m| m.get("machine_id"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                self.dir
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| self.dir.display().to_string())
            })
    }
}

/// Reads `dir/runs.csv` (required), `dir/threads.csv` and `dir/machine.json` (optional).
pub fn load_folder(dir: &Path) -> Result<Folder> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let runs_path = dir.join("runs.csv");
    if !runs_path.is_file() {
        bail!(
            "{} has no runs.csv (run `bench-harness run --out {}` first)",
            dir.display(),
            dir.display()
        );
    }
    let runs = read_runs(&runs_path)?;
    let threads_path = dir.join("threads.csv");
    let threads = if threads_path.is_file() {
        Some(read_runs(&threads_path)?)
    } else {
        None
    };
    let (machine, machine_error) = match std::fs::read_to_string(dir.join("machine.json")) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(format!("machine.json is not valid JSON: {e}"))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
        Err(e) => (None, Some(format!("machine.json could not be read: {e}"))),
    };
    let micro_path = dir.join(crate::microdata::FILE);
    let (micro, micro_error) = if micro_path.is_file() {
        match crate::microdata::read_csv(&micro_path) {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    } else {
        (None, None)
    };
    Ok(Folder {
        dir: dir.to_path_buf(),
        runs,
        threads,
        machine,
        machine_error,
        micro,
        micro_error,
    })
}

fn opt_f64(s: Option<&str>) -> Option<f64> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok()
}

fn opt_int<T: std::str::FromStr>(s: Option<&str>) -> Option<T> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<T>().ok().or_else(|| {
        s.parse::<f64>()
            .ok()
            .and_then(|f| format!("{f:.0}").parse().ok())
    })
}

/// Reads a results file by column name. Required columns: `contestant`, `n`, `d`,
/// `k_max`; everything else is optional. Without a `status` column, exit code 0 (or no
/// exit code with a wall time) counts as `ok`, anything else as `failed`.
pub fn read_runs(path: &Path) -> Result<RunsFile> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let headers = rdr
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    for required in ["contestant", "n", "d", "k_max"] {
        if !index.contains_key(required) {
            bail!(
                "{} has no `{required}` column (columns: {})",
                path.display(),
                headers.iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    let mut out = RunsFile {
        path: path.to_path_buf(),
        ..RunsFile::default()
    };
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.skipped.push((line, format!("unreadable: {e}")));
                continue;
            }
        };
        let get = |name: &str| index.get(name).and_then(|&i| rec.get(i));
        let (Some(n), Some(d), Some(k_max)) = (
            opt_int::<usize>(get("n")),
            opt_int::<usize>(get("d")),
            opt_int::<usize>(get("k_max")),
        ) else {
            out.skipped
                .push((line, "n, d or k_max missing or not a number".to_string()));
            continue;
        };
        let contestant = get("contestant").unwrap_or("").trim().to_string();
        if contestant.is_empty() || n == 0 {
            out.skipped
                .push((line, "empty contestant or n = 0".to_string()));
            continue;
        }
        let wall_s = opt_f64(get("wall_s"));
        let exit_code = opt_int::<i32>(get("exit_code"));
        let status = match get("status").map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => match (exit_code, wall_s) {
                (Some(0), _) | (None, Some(_)) => OK.to_string(),
                _ => FAILED.to_string(),
            },
        };
        out.runs.push(Run {
            contestant,
            shape: get("shape")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("blobs")
                .to_string(),
            n,
            d,
            k_max,
            repeat: opt_int(get("repeat")).unwrap_or(1),
            threads: opt_int(get("threads")),
            wall_s,
            user_s: opt_f64(get("user_s")),
            sys_s: opt_f64(get("sys_s")),
            peak_rss_mb_sampled: opt_f64(get("peak_rss_mb_sampled")),
            max_rss_mb: opt_f64(get("max_rss_mb")),
            ari: opt_f64(get("ari")),
            nmi: opt_f64(get("nmi")),
            inertia: opt_f64(get("inertia")),
            status,
            exit_code,
            reason: get("reason").unwrap_or("").trim().to_string(),
            harness_version: get("harness_version").unwrap_or("").trim().to_string(),
            line,
        });
    }
    Ok(out)
}

/// Contestants in the conventional table order (the harness's built-ins first, then the
/// others by name).
pub fn contestant_order<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    use crate::contestants::BUILTIN as ORDER;
    let mut all: Vec<String> = names.into_iter().map(str::to_string).collect();
    all.sort();
    all.dedup();
    all.sort_by_key(|n| {
        (
            ORDER.iter().position(|o| o == n).unwrap_or(ORDER.len()),
            n.clone(),
        )
    });
    all
}

/// Looks up a dotted path (`"cpu.model"`) in a JSON value.
pub fn json_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |acc, key| acc.get(key))
        .filter(|v| !v.is_null())
}

/// A JSON value as a number (numbers and numeric strings).
pub fn json_f64(v: &Value, path: &str) -> Option<f64> {
    match json_path(v, path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite())
}

/// A JSON value as display text.
pub fn json_text(v: &Value, path: &str) -> Option<String> {
    match json_path(v, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::String(_) => None,
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_by_name_with_extra_and_missing_columns() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("runs.csv");
        std::fs::write(
            &p,
            "extra,contestant,n,d,k_max,wall_s,exit_code\n\
             x,numpy,1000,2,8,0.5,0\n\
             y,sklearn,1000,2,8,,9\n\
             z,bad,abc,2,8,1,0\n",
        )
        .unwrap();
        let f = read_runs(&p).unwrap();
        assert_eq!(f.runs.len(), 2);
        assert_eq!(f.skipped.len(), 1);
        assert!(f.runs[0].is_ok());
        assert_eq!(f.runs[1].status, FAILED);
        assert_eq!(f.runs[0].shape, "blobs");
    }

    #[test]
    fn order() {
        assert_eq!(
            contestant_order(["zz", "rust-flat", "numpy", "aa"]),
            vec!["numpy", "rust-flat", "aa", "zz"]
        );
    }
}
