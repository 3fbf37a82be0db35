//! `bench-harness micro`: runs the kernels crate's micro-benchmarks (`cargo bench -p
//! kernels`: the Criterion wall-time bench and the gungraun instruction-count bench),
//! reads back what they wrote under `target/` and keeps one row per benchmark in
//! `perf-reports/<machine-id>/micro.csv`.
//!
//! * Criterion: every `new/benchmark.json` + `new/estimates.json` under
//!   `target/criterion/` (`group_id` `<kernel>/n<N>/d<D>[/k<K>]`, `function_id` the
//!   code variant or `t<threads>`, `value_str` `t<threads>`). Times are the median
//!   point estimate and its 95 % confidence interval (Criterion's ns, stored in s).
//! * gungraun: every `callgrind.<function>.<id>.out` under `target/gungraun/`, where the
//!   function is `<kernel>_<layout>[_scalar|_simd_<isa>]` and the id `n<N>_d<D>_k<K>`;
//!   the counts are the file's `summary:` line (events named by its `events:` line).
//! * Fractions use the probe the Criterion bench writes (`target/criterion/probe.json`:
//!   FMA peak and triad bandwidth at 1 and all threads), or else `machine.json`'s
//!   `kernels_probe`.
//!
//! Definitions (also in the crate README):
//!
//! * `gflops` = flops per iteration / median time, where flops is Criterion's
//!   `Elements` throughput (the bench sets it to `2·n·k·d` per assignment pass; `lloyd1`
//!   counts two passes, `4·n·k·d`).
//! * `gbs` = bytes read per iteration / median time: for `assign` the `8·n·d` bytes of
//!   data of its one pass; for `lloyd1` three passes (assignment with sums, the final
//!   label pass, the inertia), `24·n·d`; for a `Bytes` throughput (`parse-csv`: the CSV
//!   read; `write-csv-k32`: the CSV written) those bytes. Empty otherwise (seeding).
//! * `frac_fma_peak` = gflops / the probe's FMA peak at the row's thread count;
//!   `frac_bandwidth` = gbs / the probe's triad bandwidth at that thread count.
//! * `instructions` = callgrind `Ir`; `d1_misses` = `D1mr + D1mw`; `ll_misses` =
//!   `ILmr + DLmr + DLmw` (cachegrind's "D1 misses" and "LL misses").

use crate::microdata::{merge, read_csv, sort_rows, write_csv, Row, CRITERION, FILE, GUNGRAUN};
use crate::roofline::Probe;
use anyhow::Result;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// gungraun function-name prefixes and the kernel each one names.
const GUNGRAUN_KERNELS: [(&str, &str); 5] = [
    ("assign_", "assign"),
    ("lloyd1_", "lloyd1"),
    ("seed_greedy_kmeanspp_", "seed-greedy-kmeans++"),
    ("parse_csv_", "parse-csv"),
    ("write_csv_k32_", "write-csv-k32"),
];

/// What every parsed row gets: the machine and the probe.
#[derive(Clone, Debug, Default)]
pub struct RowInfo {
    /// Machine id of every row.
    pub machine_id: String,
    /// The limits the fractions are taken of.
    pub probe: Option<Probe>,
}

/// Where the benches left their results, and which ones to take.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `target/criterion`.
    pub criterion: PathBuf,
    /// `target/gungraun`.
    pub gungraun: PathBuf,
    /// Take only results written at or after this time (`None`: all).
    pub since: Option<SystemTime>,
}

/// Rows read back from the bench outputs, with a warning per result that could not be used.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// The usable results.
    pub rows: Vec<Row>,
    /// One per result that could not be used.
    pub warnings: Vec<String>,
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Slack for file-system timestamps, which come from a coarse clock (a few ms behind).
const MTIME_SLACK: Duration = Duration::from_millis(50);

fn is_recent(path: &Path, since: Option<SystemTime>) -> bool {
    match since {
        None => true,
        Some(s) => {
            let s = s.checked_sub(MTIME_SLACK).unwrap_or(s);
            mtime(path).is_some_and(|m| m >= s)
        }
    }
}

/// Every file under `dir` (not following symbolic links), sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&e.path(), out);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}

/// Reads every usable result under `src` (Criterion and gungraun).
pub fn collect(src: &Sources, ctx: &RowInfo) -> Collected {
    let mut c = Collected::default();
    let mut files = Vec::new();
    walk(&src.criterion, &mut files);
    for f in &files {
        let in_new = f
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "new");
        if !in_new || f.file_name().is_none_or(|n| n != "benchmark.json") {
            continue;
        }
        if !is_recent(f, src.since) {
            continue;
        }
        let dir = f.parent().unwrap_or(Path::new("."));
        match parse_criterion(dir, ctx) {
            Ok(r) => c.rows.push(r),
            Err(e) => c.warnings.push(format!(
                "{}: skipped: {e}",
                display_rel(dir, &src.criterion)
            )),
        }
    }
    let mut files = Vec::new();
    walk(&src.gungraun, &mut files);
    for f in &files {
        let Some(name) = f.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let dir_name = f
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or("");
        if name != format!("callgrind.{dir_name}.out") || !is_recent(f, src.since) {
            continue;
        }
        match parse_gungraun(f, &src.gungraun, ctx) {
            Ok(r) => c.rows.push(r),
            Err(e) => c
                .warnings
                .push(format!("{}: skipped: {e}", display_rel(f, &src.gungraun))),
        }
    }
    sort_rows(&mut c.rows);
    c
}

fn display_rel(path: &Path, root: &Path) -> String {
    let base = root.parent().unwrap_or(root);
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `(n, d, k)` of a benchmark (k is absent for parsing and writing).
type Shape = (Option<usize>, Option<usize>, Option<usize>);

/// The shape parts of an id (`n<N>`, `d<D>`, `k<K>`, in any order; n and d required).
fn parse_shape_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> Result<Shape, String> {
    let (mut n, mut d, mut k) = (None, None, None);
    for t in tokens {
        let slot = match t.chars().next() {
            Some('n') => &mut n,
            Some('d') => &mut d,
            Some('k') => &mut k,
            _ => return Err(format!("unexpected shape part `{t}`")),
        };
        let v = t[1..]
            .parse::<usize>()
            .map_err(|_| format!("unexpected shape part `{t}`"))?;
        if slot.replace(v).is_some() {
            return Err(format!("shape part `{t}` given twice"));
        }
    }
    if n.is_none() || d.is_none() {
        return Err("no n<N> and d<D> in the id".to_string());
    }
    Ok((n, d, k))
}

/// The ISA of a code variant: `flat-scalar` → `scalar`, `flat-simd-<isa>` → `<isa>`,
/// `flat` (automatic dispatch) → the probe's detected ISA; otherwise empty.
pub fn isa_of(variant: &str, detected: Option<&str>) -> String {
    if let Some(rest) = variant.strip_prefix("flat-simd-") {
        return rest.to_string();
    }
    match variant {
        "flat-scalar" => "scalar".to_string(),
        "flat" => detected.unwrap_or("").to_string(),
        _ => String::new(),
    }
}

/// CSV parsing and writing: no ISA dispatch, and their bytes are the CSV's.
fn is_io(kernel: &str) -> bool {
    kernel == "parse-csv" || kernel == "write-csv-k32"
}

fn layout_of(variant: &str) -> String {
    let first = variant.split('-').next().unwrap_or("");
    if first == "aos" || first == "flat" {
        first.to_string()
    } else {
        String::new()
    }
}

/// Bytes of data read per iteration of a kernel whose throughput is not in bytes:
/// `passes · 8·n·d` (assign: 1 pass; lloyd1: 3).
fn data_bytes(kernel: &str, n: usize, d: usize) -> Option<u64> {
    let passes = match kernel {
        "assign" => 1,
        "lloyd1" => 3,
        _ => return None,
    };
    Some(passes * 8 * n as u64 * d as u64)
}

fn with_probe(row: &mut Row, probe: Option<&Probe>) {
    let t = row.threads.unwrap_or(1);
    row.probe_fma_gflops = probe.and_then(|p| p.fma_gflops.get(&t).copied());
    row.probe_triad_gbs = probe.and_then(|p| p.triad_gbs.get(&t).copied());
    row.frac_fma_peak = row
        .gflops
        .zip(row.probe_fma_gflops)
        .map(|(g, peak)| g / peak);
    row.frac_bandwidth = row.gbs.zip(row.probe_triad_gbs).map(|(g, peak)| g / peak);
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

fn threads_token(s: &str) -> Option<usize> {
    s.strip_prefix('t').and_then(|t| t.parse::<usize>().ok())
}

/// One Criterion result: `dir` is its `new/` folder (benchmark.json + estimates.json).
pub fn parse_criterion(dir: &Path, ctx: &RowInfo) -> Result<Row, String> {
    let bench_path = dir.join("benchmark.json");
    let b = read_json(&bench_path)?;
    let e = read_json(&dir.join("estimates.json"))?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let group = text(&b, "group_id").ok_or("benchmark.json has no group_id")?;
    let function = text(&b, "function_id").filter(|s| !s.is_empty());
    let value = text(&b, "value_str").filter(|s| !s.is_empty());
    let mut parts = group.split('/');
    let kernel = parts.next().unwrap_or("").to_string();
    if kernel.is_empty() {
        return Err(format!("empty kernel in group id `{group}`"));
    }
    let (n, d, k) = parse_shape_tokens(parts).map_err(|e| format!("group id `{group}`: {e}"))?;
    let mut threads = None;
    let mut variant = String::new();
    for p in [function.as_deref(), value.as_deref()]
        .into_iter()
        .flatten()
    {
        match threads_token(p) {
            Some(t) if threads.is_none() => threads = Some(t),
            _ if variant.is_empty() => variant = p.to_string(),
            _ => {
                return Err(format!(
                    "cannot read `{p}` of `{group}` as a variant or t<N>"
                ))
            }
        }
    }
    if variant.is_empty() && is_io(&kernel) {
        // The bench loads into (and writes from) the flat matrix.
        variant = "flat".to_string();
    }
    // Benches without a t<N> part run on `Exec::serial()`.
    let threads = Some(threads.unwrap_or(1));
    let est = |stat: &str, path: &[&str]| -> Option<f64> {
        let mut v = e.get(stat)?;
        for p in path {
            v = v.get(*p)?;
        }
        v.as_f64().filter(|x| x.is_finite() && *x > 0.0)
    };
    let median_ns = est("median", &["point_estimate"]).ok_or("estimates.json has no median")?;
    let lo = est("median", &["confidence_interval", "lower_bound"]);
    let hi = est("median", &["confidence_interval", "upper_bound"]);
    let tp = b.get("throughput");
    let tp_num = |key: &str| tp.and_then(|t| t.get(key)).and_then(Value::as_u64);
    let flops = tp_num("Elements").or_else(|| {
        tp.and_then(|t| t.get("ElementsAndBytes"))
            .and_then(|x| x.get("elements"))
            .and_then(Value::as_u64)
    });
    let tp_bytes = tp_num("Bytes")
        .or_else(|| tp_num("BytesDecimal"))
        .or_else(|| {
            tp.and_then(|t| t.get("ElementsAndBytes"))
                .and_then(|x| x.get("bytes"))
                .and_then(Value::as_u64)
        });
    let bytes = tp_bytes.or_else(|| data_bytes(&kernel, n?, d?));
    // Parsing and writing are not dispatched by ISA (their `flat` is the data layout).
    let detected = ctx
        .probe
        .as_ref()
        .and_then(|p| p.isa.as_deref())
        .filter(|_| !is_io(&kernel));
    let mut row = Row {
        machine_id: ctx.machine_id.clone(),
        timestamp: mtime(&bench_path)
            .map(crate::results::rfc3339)
            .unwrap_or_default(),
        source: CRITERION.to_string(),
        bench_id: text(&b, "full_id").unwrap_or_else(|| {
            [Some(group.as_str()), function.as_deref(), value.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/")
        }),
        layout: layout_of(&variant),
        isa: isa_of(&variant, detected),
        kernel,
        variant,
        threads,
        n,
        d,
        k,
        time_s: Some(median_ns / 1e9),
        time_lo_s: lo.map(|x| x / 1e9),
        time_hi_s: hi.map(|x| x / 1e9),
        flops,
        bytes,
        // flops per ns = GFLOP/s; bytes per ns = GB/s.
        gflops: flops.map(|f| f as f64 / median_ns),
        gbs: bytes.map(|b| b as f64 / median_ns),
        ..Row::default()
    };
    with_probe(&mut row, ctx.probe.as_ref());
    Ok(row)
}

/// Event counts of a callgrind output file: the `summary:` line (or `totals:`) read by
/// the names of the `events:` line; events missing at the end of the line are 0.
pub fn callgrind_events(text: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut events: Option<Vec<String>> = None;
    let mut summary: Option<Vec<u64>> = None;
    let mut totals: Option<Vec<u64>> = None;
    let nums = |rest: &str| -> Result<Vec<u64>, String> {
        rest.split_whitespace()
            .map(|x| {
                x.parse::<u64>()
                    .map_err(|_| format!("`{x}` is not a count"))
            })
            .collect()
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("events:") {
            events.get_or_insert_with(|| rest.split_whitespace().map(str::to_string).collect());
        } else if let Some(rest) = line.strip_prefix("summary:") {
            summary = Some(nums(rest)?);
        } else if let Some(rest) = line.strip_prefix("totals:") {
            totals = Some(nums(rest)?);
        }
    }
    let events = events.ok_or("no `events:` line")?;
    let values = summary
        .or(totals)
        .ok_or("no `summary:` or `totals:` line")?;
    if values.len() > events.len() {
        return Err(format!(
            "{} counts for {} events",
            values.len(),
            events.len()
        ));
    }
    Ok(events
        .into_iter()
        .enumerate()
        .map(|(i, e)| (e, values.get(i).copied().unwrap_or(0)))
        .collect())
}

/// One gungraun result: `out` is `…/<function>.<id>/callgrind.<function>.<id>.out`,
/// `root` is `target/gungraun` (the row's `bench_id` is the folder relative to it).
pub fn parse_gungraun(out: &Path, root: &Path, ctx: &RowInfo) -> Result<Row, String> {
    let dir = out.parent().ok_or("no parent folder")?;
    let dir_name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("unreadable folder name")?;
    let (function, id) = dir_name
        .split_once('.')
        .ok_or_else(|| format!("folder `{dir_name}` is not <function>.<id>"))?;
    let (prefix, kernel) = GUNGRAUN_KERNELS
        .iter()
        .find(|(p, _)| function.starts_with(p))
        .ok_or_else(|| format!("function `{function}` names no known kernel"))?;
    let variant = function[prefix.len()..].replace('_', "-");
    let (n, d, k) = parse_shape_tokens(id.split('_'))
        .map_err(|e| format!("bench id `{id}`: {e} (expected n<N>_d<D>_k<K>)"))?;
    let text = std::fs::read_to_string(out).map_err(|e| format!("cannot read: {e}"))?;
    let ev = callgrind_events(&text)?;
    let get = |name: &str| ev.get(name).copied();
    let sum = |names: &[&str]| -> Option<u64> { names.iter().map(|n| get(n)).sum::<Option<u64>>() };
    let bench_id = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Row {
        machine_id: ctx.machine_id.clone(),
        timestamp: mtime(out).map(crate::results::rfc3339).unwrap_or_default(),
        source: GUNGRAUN.to_string(),
        bench_id,
        kernel: kernel.to_string(),
        layout: layout_of(&variant),
        isa: isa_of(&variant, None),
        variant,
        threads: Some(1),
        n,
        d,
        k,
        instructions: Some(get("Ir").ok_or("no Ir event")?),
        d1_misses: sum(&["D1mr", "D1mw"]),
        ll_misses: sum(&["ILmr", "DLmr", "DLmw"]),
        ..Row::default()
    })
}

/// What `micro` did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// `micro.csv`.
    pub path: PathBuf,
    /// Rows measured (read back) now.
    pub measured: usize,
    /// Rows kept from the existing file.
    pub kept: usize,
    /// Results that could not be used, and dropped lines.
    pub warnings: Vec<String>,
}

/// Reads the results in `src`, merges them into `out_dir/micro.csv` and writes it.
pub fn update(out_dir: &Path, src: &Sources, ctx: &RowInfo) -> Result<Outcome> {
    let path = out_dir.join(FILE);
    let collected = collect(src, ctx);
    let mut warnings = collected.warnings;
    let old = if path.is_file() {
        let f = read_csv(&path)?;
        for (line, why) in &f.skipped {
            warnings.push(format!("{}:{line}: dropped: {why}", path.display()));
        }
        f.rows
    } else {
        Vec::new()
    };
    let measured = collected.rows.len();
    let total_old = old.len();
    let rows = merge(old, collected.rows);
    let kept = rows.len() - measured;
    debug_assert!(kept <= total_old);
    write_csv(&path, &rows)?;
    Ok(Outcome {
        path,
        measured,
        kept,
        warnings,
    })
}

/// Loads the probe: `probe_json` (the bench's), else the `kernels_probe` of `machine_json`.
pub fn load_probe(probe_json: &Path, machine_json: &Path) -> (Option<Probe>, Vec<String>) {
    let mut notes = Vec::new();
    match std::fs::read_to_string(probe_json) {
        Ok(text) => match Probe::from_probe_json(&text, &probe_json.display().to_string()) {
            Ok(p) => return (Some(p), notes),
            Err(e) => notes.push(format!("{}: {e}", probe_json.display())),
        },
        Err(e) => notes.push(format!("{}: {e}", probe_json.display())),
    }
    if let Ok(text) = std::fs::read_to_string(machine_json) {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            if let Some(p) = Probe::from_machine_json(&v, &machine_json.display().to_string()) {
                return (Some(p), notes);
            }
        }
    }
    notes.push(format!(
        "no probe numbers in {} either: the frac_* columns stay empty",
        machine_json.display()
    ));
    (None, notes)
}

/// Which benches `run_benches` runs and how.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `KMEANS_BENCH_QUICK=1`.
    pub quick: bool,
    /// Criterion filter (regex).
    pub filter: Option<String>,
    /// Also run the instruction-count bench.
    pub instructions: bool,
}

/// Runs `cargo bench -p kernels --bench kernels [-- FILTER]` and then `--bench
/// instructions`, their output streamed to ours. Returns an error message per bench
/// that failed (the instruction bench skipping itself is not a failure).
pub fn run_benches(root: &Path, opts: &RunOptions) -> Vec<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut failures = Vec::new();
    let mut benches = vec!["kernels"];
    if opts.instructions {
        benches.push("instructions");
    }
    for bench in benches {
        let mut cmd = std::process::Command::new(&cargo);
        cmd.args(["bench", "-p", "kernels", "--bench", bench])
            .current_dir(root)
            .stdin(std::process::Stdio::null());
        if bench == "kernels" {
            if opts.quick {
                cmd.env("KMEANS_BENCH_QUICK", "1");
            } else {
                cmd.env_remove("KMEANS_BENCH_QUICK");
            }
            if let Some(f) = &opts.filter {
                cmd.arg("--").arg(f);
            }
        }
        let shown: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        eprintln!(
            "running: {}cargo {}",
            if bench == "kernels" && opts.quick {
                "KMEANS_BENCH_QUICK=1 "
            } else {
                ""
            },
            shown.join(" ")
        );
        match cmd.status() {
            Ok(s) if s.success() => {}
            Ok(s) => failures.push(format!("`cargo bench --bench {bench}` failed ({s})")),
            Err(e) => failures.push(format!("could not run cargo for --bench {bench}: {e}")),
        }
    }
    failures
}
