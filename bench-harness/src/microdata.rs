//! The schema of `micro.csv`: one [`Row`] per benchmark, written by `bench-harness
//! micro` (the runner, [`crate::micro`]) and read by the report. A leaf module: it
//! imports neither of them.

use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The file name in a results folder.
pub const FILE: &str = "micro.csv";

/// `source` of a Criterion row.
pub const CRITERION: &str = "criterion";
/// `source` of a gungraun (instruction count) row.
pub const GUNGRAUN: &str = "gungraun";

/// The columns of `micro.csv`, in order.
pub const COLUMNS: [&str; 26] = [
    "machine_id",
    "timestamp",
    "source",
    "bench_id",
    "kernel",
    "layout",
    "variant",
    "isa",
    "threads",
    "n",
    "d",
    "k",
    "time_s",
    "time_lo_s",
    "time_hi_s",
    "flops",
    "bytes",
    "gflops",
    "gbs",
    "probe_fma_gflops",
    "probe_triad_gbs",
    "frac_fma_peak",
    "frac_bandwidth",
    "instructions",
    "d1_misses",
    "ll_misses",
];

/// Kernels in table order (others follow by name).
pub const KERNEL_ORDER: [&str; 5] = [
    "assign",
    "lloyd1",
    "seed-greedy-kmeans++",
    "parse-csv",
    "write-csv-k32",
];

/// One benchmark: one row of `micro.csv`. Empty cells are `None` / `""`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// The machine.
    pub machine_id: String,
    /// When the result file was written (UTC RFC 3339, its modification time).
    pub timestamp: String,
    /// [`CRITERION`] or [`GUNGRAUN`].
    pub source: String,
    /// Criterion's `full_id`, or the gungraun result folder relative to `target/gungraun`.
    pub bench_id: String,
    /// The benchmarked kernel (`assign`, `lloyd1`, …).
    pub kernel: String,
    /// `aos` or `flat` (empty when unknown).
    pub layout: String,
    /// The code that ran: `aos`, `flat` (automatic dispatch), `flat-scalar` (the canonical
    /// scalar loop), `flat-simd-<isa>` (the SIMD kernel capped at that level).
    pub variant: String,
    /// Instruction set of the kernel: `scalar`, `avx2`, `avx512`, `neon`, …; empty for
    /// code that is not dispatched (`aos`, parsing, writing).
    pub isa: String,
    /// Threads (Criterion's `t<N>`; 1 for serial benches and instruction counts).
    pub threads: Option<usize>,
    /// Rows.
    pub n: Option<usize>,
    /// Features.
    pub d: Option<usize>,
    /// Clusters (empty for parsing and writing).
    pub k: Option<usize>,
    /// Criterion's median time per iteration, seconds.
    pub time_s: Option<f64>,
    /// Lower end of its 95 % confidence interval.
    pub time_lo_s: Option<f64>,
    /// Upper end of its 95 % confidence interval.
    pub time_hi_s: Option<f64>,
    /// Flops per iteration (Criterion's `Elements` throughput).
    pub flops: Option<u64>,
    /// Bytes read (or, for `write-csv-k32`, written) per iteration.
    pub bytes: Option<u64>,
    /// `flops / time_s / 1e9`.
    pub gflops: Option<f64>,
    /// `bytes / time_s / 1e9`.
    pub gbs: Option<f64>,
    /// The probe's FMA peak (GFLOP/s) at this row's thread count.
    pub probe_fma_gflops: Option<f64>,
    /// The probe's triad bandwidth (GB/s) at this row's thread count.
    pub probe_triad_gbs: Option<f64>,
    /// `gflops / probe_fma_gflops`.
    pub frac_fma_peak: Option<f64>,
    /// `gbs / probe_triad_gbs`.
    pub frac_bandwidth: Option<f64>,
    /// callgrind's `Ir` of one call.
    pub instructions: Option<u64>,
    /// `D1mr + D1mw`.
    pub d1_misses: Option<u64>,
    /// `ILmr + DLmr + DLmw`.
    pub ll_misses: Option<u64>,
}

impl Row {
    /// The identity of a benchmark: a re-measured one replaces its old row.
    pub fn key(&self) -> (String, String) {
        (self.source.clone(), self.bench_id.clone())
    }

    fn cells(&self) -> Vec<String> {
        fn f(x: Option<f64>) -> String {
            x.filter(|v| v.is_finite())
                .map(|v| v.to_string())
                .unwrap_or_default()
        }
        fn u<T: ToString>(x: Option<T>) -> String {
            x.map(|v| v.to_string()).unwrap_or_default()
        }
        vec![
            self.machine_id.clone(),
            self.timestamp.clone(),
            self.source.clone(),
            self.bench_id.clone(),
            self.kernel.clone(),
            self.layout.clone(),
            self.variant.clone(),
            self.isa.clone(),
            u(self.threads),
            u(self.n),
            u(self.d),
            u(self.k),
            f(self.time_s),
            f(self.time_lo_s),
            f(self.time_hi_s),
            u(self.flops),
            u(self.bytes),
            f(self.gflops),
            f(self.gbs),
            f(self.probe_fma_gflops),
            f(self.probe_triad_gbs),
            f(self.frac_fma_peak),
            f(self.frac_bandwidth),
            u(self.instructions),
            u(self.d1_misses),
            u(self.ll_misses),
        ]
    }
}

fn kernel_rank(k: &str) -> usize {
    KERNEL_ORDER
        .iter()
        .position(|x| *x == k)
        .unwrap_or(KERNEL_ORDER.len())
}

fn variant_rank(v: &str) -> (usize, String) {
    let r = match v {
        "aos" => 0,
        "flat-scalar" => 1,
        "flat-simd-scalar" => 2,
        "flat-simd-neon" | "flat-simd-simd128" => 3,
        "flat-simd-avx2" => 4,
        "flat-simd-avx512" => 5,
        "flat" => 6,
        _ => 7,
    };
    (r, v.to_string())
}

/// Table order: source (Criterion first), kernel, n, d, k, code variant, threads.
pub fn sort_rows(rows: &mut [Row]) {
    rows.sort_by_cached_key(|r| {
        (
            r.source != CRITERION,
            kernel_rank(&r.kernel),
            r.kernel.clone(),
            r.n,
            r.d,
            r.k,
            variant_rank(&r.variant),
            r.threads,
            r.bench_id.clone(),
        )
    });
}

/// `old` with every row whose benchmark is in `new` replaced; sorted.
pub fn merge(old: Vec<Row>, new: Vec<Row>) -> Vec<Row> {
    let fresh: HashSet<(String, String)> = new.iter().map(Row::key).collect();
    let mut out: Vec<Row> = old
        .into_iter()
        .filter(|r| !fresh.contains(&r.key()))
        .collect();
    out.extend(new);
    sort_rows(&mut out);
    out
}

/// `micro.csv` as text.
pub fn to_csv(rows: &[Row]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(r.cells())?;
    }
    let bytes = w.into_inner().context("writing CSV")?;
    String::from_utf8(bytes).context("CSV is not UTF-8")
}

/// Writes `micro.csv` atomically (a temporary file in the same folder, renamed).
pub fn write_csv(path: &Path, rows: &[Row]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::io::write_atomic(path, &to_csv(rows)?)
}

/// A read `micro.csv`: its rows and `(line, why)` of the lines that could not be used.
#[derive(Clone, Debug, Default)]
pub struct MicroFile {
    /// The file.
    pub path: PathBuf,
    /// Its usable rows.
    pub rows: Vec<Row>,
    /// `(line, why)` of the lines left out.
    pub skipped: Vec<(usize, String)>,
}

/// Reads `micro.csv` by column name (extra columns ignored, missing ones empty). A row
/// without `source` or `bench_id` is skipped (it could never be replaced).
pub fn read_csv(path: &Path) -> Result<MicroFile> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let headers = rdr
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .clone();
    let index: BTreeMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    for required in ["source", "bench_id"] {
        if !index.contains_key(required) {
            bail!("{} has no `{required}` column", path.display());
        }
    }
    let mut out = MicroFile {
        path: path.to_path_buf(),
        ..MicroFile::default()
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
        let get = |name: &str| {
            index
                .get(name)
                .and_then(|&i| rec.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let s = |name: &str| get(name).to_string();
        let f = |name: &str| get(name).parse::<f64>().ok().filter(|x| x.is_finite());
        fn int<T: std::str::FromStr>(v: &str) -> Option<T> {
            v.parse::<T>().ok()
        }
        let row = Row {
            machine_id: s("machine_id"),
            timestamp: s("timestamp"),
            source: s("source"),
            bench_id: s("bench_id"),
            kernel: s("kernel"),
            layout: s("layout"),
            variant: s("variant"),
            isa: s("isa"),
            threads: int(get("threads")),
            n: int(get("n")),
            d: int(get("d")),
            k: int(get("k")),
            time_s: f("time_s"),
            time_lo_s: f("time_lo_s"),
            time_hi_s: f("time_hi_s"),
            flops: int(get("flops")),
            bytes: int(get("bytes")),
            gflops: f("gflops"),
            gbs: f("gbs"),
            probe_fma_gflops: f("probe_fma_gflops"),
            probe_triad_gbs: f("probe_triad_gbs"),
            frac_fma_peak: f("frac_fma_peak"),
            frac_bandwidth: f("frac_bandwidth"),
            instructions: int(get("instructions")),
            d1_misses: int(get("d1_misses")),
            ll_misses: int(get("ll_misses")),
        };
        if row.source.is_empty() || row.bench_id.is_empty() {
            out.skipped
                .push((line, "empty source or bench_id".to_string()));
            continue;
        }
        out.rows.push(row);
    }
    Ok(out)
}
