//! Converts the seed study's published runs (`reference/seed_m4max_runs.csv`, Apple M4
//! Max) into a results folder of this project: `runs.csv` in the harness's schema and a
//! `machine.json` that names where the numbers come from. Data to compare against, never
//! a test expectation.

use crate::results;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

/// The public repository and commit the reference runs come from.
pub const SEED_REPOSITORY: &str = "nilesh-patil/pythonvsrust-kmeans";
/// The seed repository's commit the runs come from.
pub const SEED_COMMIT: &str = "361c14520a1c";
/// The runs file in that repository.
pub const SEED_FILE: &str = "results/benchmark_results_20260609_112255.csv";
/// The seed machine.
pub const SEED_CPU: &str = "Apple M4 Max";
/// Cores of the seed's machine.
pub const SEED_CORES: usize = 14;

/// The seed's `implementation` names and ours.
pub fn contestant_for(implementation: &str) -> Option<&'static str> {
    Some(match implementation.trim() {
        "python" => "numpy",
        "rust" => "rust-aos-serial",
        "rust_parallel" => "rust-aos-rayon",
        "sklearn" => "sklearn",
        _ => return None,
    })
}

/// The machine id of the seed folder (`apple-m4-max-14c`).
pub fn machine_id() -> String {
    crate::machine::id_from(SEED_CPU, SEED_CORES)
}

/// What an import produced.
pub struct Imported {
    /// The harness's column names (`results::header()`).
    pub columns: Vec<String>,
    /// One record per run, in `columns` order.
    pub rows: Vec<Vec<String>>,
    /// The machine.json to write.
    pub machine: Value,
}

fn num<T: std::str::FromStr>(
    rec: &csv::StringRecord,
    idx: &HashMap<String, usize>,
    col: &str,
) -> Option<T> {
    let s = rec.get(*idx.get(col)?)?.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<T>().ok().or_else(|| {
        // Integers written as floats ("3.0").
        s.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0)
            .and_then(|f| format!("{f:.0}").parse::<T>().ok())
    })
}

/// The column names of the harness's results files, in order.
pub fn header_columns() -> Vec<String> {
    let header = results::header();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header.as_bytes());
    rdr.records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Reads the seed CSV and converts every row. Errors name the line and column.
pub fn convert(input: &Path) -> Result<Imported> {
    let mut rdr =
        csv::Reader::from_path(input).with_context(|| format!("reading {}", input.display()))?;
    let headers = rdr
        .headers()
        .with_context(|| format!("reading the header of {}", input.display()))?
        .clone();
    let idx: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    for col in [
        "implementation",
        "n_samples",
        "n_features",
        "k_max",
        "repeat_index",
        "wall_time_s",
        "peak_rss_mb",
        "adjusted_rand_index",
        "normalized_mutual_info",
        "inertia",
        "exit_code",
    ] {
        if !idx.contains_key(col) {
            bail!(
                "{} has no `{col}` column: is it the seed's results file?",
                input.display()
            );
        }
    }
    let id = machine_id();
    let version = format!("seed-import:{SEED_REPOSITORY}@{SEED_COMMIT}");
    let columns = header_columns();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}:{line}: unreadable row", input.display()))?;
        let implementation = idx
            .get("implementation")
            .and_then(|&i| rec.get(i))
            .unwrap_or("")
            .trim()
            .to_string();
        let Some(contestant) = contestant_for(&implementation) else {
            bail!("{}:{line}: unknown implementation `{implementation}` (python, rust, rust_parallel, sklearn)", input.display());
        };
        let need = |col: &str| -> Result<usize> {
            num::<usize>(&rec, &idx, col).with_context(|| {
                format!(
                    "{}:{line}: `{col}` is missing or not a whole number",
                    input.display()
                )
            })
        };
        let (n, d, k_max) = (need("n_samples")?, need("n_features")?, need("k_max")?);
        let repeat = need("repeat_index")? as u32;
        let f = |col: &str| num::<f64>(&rec, &idx, col).filter(|x| x.is_finite());
        let wall_s = f("wall_time_s");
        let exit_code = num::<i32>(&rec, &idx, "exit_code");
        let cpu = f("cpu_time_s").or_else(|| Some(f("user_cpu_s")? + f("system_cpu_s")?));
        let ok = exit_code == Some(0) && wall_s.is_some();
        let threads = match contestant {
            "rust-aos-serial" => 1,
            "rust-aos-rayon" => num::<usize>(&rec, &idx, "actual_threads")
                .filter(|t| *t > 0)
                .unwrap_or(SEED_CORES),
            _ => SEED_CORES,
        };
        let run_id = idx
            .get("run_id")
            .and_then(|&i| rec.get(i))
            .unwrap_or("")
            .trim();
        let util = match (cpu, wall_s) {
            (Some(c), Some(w)) if w > 0.0 => Some(c / w),
            _ => None,
        };
        let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        let mut values: HashMap<&str, String> = HashMap::new();
        values.insert("timestamp", "2026-06-09T11:22:55".to_string());
        values.insert("contestant", contestant.to_string());
        values.insert("shape", "blobs".to_string());
        values.insert("n", n.to_string());
        values.insert("d", d.to_string());
        values.insert("k_max", k_max.to_string());
        values.insert("repeat", repeat.to_string());
        values.insert(
            "seed",
            num::<u64>(&rec, &idx, "dataset_seed")
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        values.insert("threads", threads.to_string());
        values.insert("wall_s", opt(wall_s));
        values.insert("user_s", opt(f("user_cpu_s")));
        values.insert("sys_s", opt(f("system_cpu_s")));
        values.insert("cpu_util", opt(util));
        values.insert("peak_rss_mb_sampled", opt(f("peak_rss_mb")));
        values.insert(
            "rss_samples",
            num::<u32>(&rec, &idx, "rss_sample_count")
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        values.insert("ari", opt(f("adjusted_rand_index")));
        values.insert("nmi", opt(f("normalized_mutual_info")));
        values.insert("inertia", opt(f("inertia")));
        values.insert(
            "status",
            if ok {
                results::status::OK
            } else {
                results::status::FAILED
            }
            .to_string(),
        );
        values.insert(
            "exit_code",
            exit_code.map(|c| c.to_string()).unwrap_or_default(),
        );
        values.insert(
            "reason",
            if ok {
                "imported from the seed study: answer not re-checked by this harness".to_string()
            } else {
                format!(
                    "imported from the seed study: exit code {}",
                    exit_code.map_or("missing".into(), |c| c.to_string())
                )
            },
        );
        values.insert("machine_id", id.clone());
        values.insert("harness_version", version.clone());
        values.insert(
            "command",
            format!("seed implementation={implementation} run_id={run_id}"),
        );
        // Every column of the harness's header, in its order; columns the seed has no
        // value for (max_rss_mb, harness_rss_mb, …) stay empty.
        rows.push(
            columns
                .iter()
                .map(|c| values.remove(c.as_str()).unwrap_or_default())
                .collect(),
        );
    }
    let machine = json!({
        "machine_id": id,
        "cpu": { "model": SEED_CPU, "cores": SEED_CORES, "arch": "aarch64" },
        "source": {
            "kind": "imported",
            "note": "Published runs of the seed study (\"Where the 15x went\"), converted by `bench-harness import-seed`; measured by the seed's own harness, not this one",
            "repository": SEED_REPOSITORY,
            "commit": SEED_COMMIT,
            "file": SEED_FILE,
            "imported_from": input.file_name().map(|s| s.to_string_lossy().into_owned()),
            "rows": rows.len(),
            "date": "2026-06-09 (from the results file name; time zone unknown)",
        },
        "measurement": {
            "wall": "the seed's wall_time_s (subprocess end to end)",
            "peak_rss_mb_sampled": "the seed's peak_rss_mb: RSS polled every 10 ms (MiB)",
            "max_rss_mb": "not recorded by the seed",
            "threads": "rust-aos-serial 1, rust-aos-rayon the seed's actual_threads, numpy and sklearn the core count (allowed, not used)",
            "status": "ok = exit code 0; the seed's answers were not re-checked here (ARI/NMI are the seed's)",
        },
    });
    Ok(Imported {
        columns,
        rows,
        machine,
    })
}

/// Writes `runs.csv` (the harness's header and row format) and `machine.json` into `out`.
/// An existing `runs.csv` is replaced only if its `machine.json` says it was imported,
/// or with `force`.
pub fn write(out: &Path, imported: &Imported, force: bool) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let runs = out.join("runs.csv");
    if runs.exists() && !force {
        let was_import = std::fs::read_to_string(out.join("machine.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| {
                v.get("source")?
                    .get("kind")?
                    .as_str()
                    .map(|k| k == "imported")
            })
            .unwrap_or(false);
        if !was_import {
            bail!(
                "{} already exists and was not made by an import: pass --force to replace it, or choose another --out",
                runs.display()
            );
        }
    }
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for r in &imported.rows {
        w.serialize(r)?;
    }
    let body = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = results::header() + &String::from_utf8(body)?;
    crate::io::write_atomic(&runs, &text)?;
    crate::io::write_json(&out.join("machine.json"), &imported.machine)
}
