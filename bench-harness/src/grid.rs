//! The subprocess grid: presets, the interleaved run order, one measured run per
//! (cell, contestant), every answer checked, every run recorded.

use crate::check;
use crate::contestants::{self, Contestant, Job, Tools, EXIT_MISSING_OPTIONAL};
use crate::gen::{self, Shape, Spec};
use crate::measure::{self, Exit};
use crate::npy;
use crate::results::{self, status, Key, ResultsFile, Row};
use crate::rng::Random;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The seed study's base seed (its `dataset_seed` and `random_state` of repeat 1).
pub const SEED_BASE: u64 = 20_260_609;

/// A named grid.
#[derive(Clone, Debug)]
pub struct Preset {
    /// Row counts.
    pub sizes: Vec<usize>,
    /// Feature counts.
    pub dims: Vec<usize>,
    /// k_max values.
    pub kmax: Vec<usize>,
    /// Repeats per cell.
    pub repeats: u32,
    /// Per-run timeout, seconds.
    pub timeout_s: f64,
    /// Per-contestant caps: `(name, max n)`; the contestant skips the cells with more
    /// rows (the slow baselines in the quick preset).
    pub caps: Vec<Cap>,
}

/// A contestant runs only the cells with at most `max_n` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cap {
    /// The contestant.
    pub contestant: String,
    /// Largest n it runs.
    pub max_n: usize,
}

impl Cap {
    /// Parses `NAME=N` (N may end in `k`: `numpy=16k`).
    pub fn parse(s: &str) -> Result<Cap> {
        let Some((name, n)) = s.split_once('=') else {
            bail!("--cap {s}: expected NAME=N, e.g. numpy=16000");
        };
        let n = n.trim();
        let max_n = match n.strip_suffix(['k', 'K']) {
            Some(k) => k.parse::<usize>().map(|v| v * 1000),
            None => n.parse::<usize>(),
        }
        .map_err(|_| anyhow::anyhow!("--cap {s}: `{n}` is not a row count"))?;
        Ok(Cap {
            contestant: name.trim().to_string(),
            max_n,
        })
    }
}

/// The caps that leave out at least one planned run, as `numpy ≤ 16k rows` (joined
/// with `, `), or `None` when no cap bites.
pub fn describe_caps(caps: &[Cap], cells: &[Cell], contestants: &[Contestant]) -> Option<String> {
    let biting: Vec<String> = caps
        .iter()
        .filter(|c| contestants.iter().any(|x| x.name == c.contestant))
        .filter(|c| cells.iter().any(|cell| cell.n > c.max_n))
        .map(|c| {
            let n = if c.max_n % 1000 == 0 {
                format!("{}k", c.max_n / 1000)
            } else {
                c.max_n.to_string()
            };
            let left_out = cells.iter().filter(|cell| cell.n > c.max_n).count();
            format!(
                "{} ≤ {n} rows ({left_out} of {} cells not run)",
                c.contestant,
                cells.len()
            )
        })
        .collect();
    (!biting.is_empty()).then(|| biting.join(", "))
}

/// `smoke` (seconds; used by the tests), `quick` (the default, a few minutes on a 2-core
/// machine) and `seed` (the seed study's grid: 9 sizes × 3 d × 2 k × 3 repeats).
pub fn preset(name: &str) -> Result<Preset> {
    Ok(match name {
        "smoke" => Preset {
            sizes: vec![1000],
            dims: vec![2, 8],
            kmax: vec![4],
            repeats: 1,
            timeout_s: 120.0,
            caps: Vec::new(),
        },
        "quick" => Preset {
            sizes: vec![1000, 8000, 64_000],
            dims: vec![2, 8, 32],
            kmax: vec![8, 32],
            repeats: 1,
            timeout_s: 600.0,
            // The seed-faithful NumPy contestants take 10-25 s per 64k-row run on 2
            // cores, about a third of the whole grid: they run the small and medium sizes.
            caps: ["numpy", "numpy-tuned"]
                .iter()
                .map(|c| Cap {
                    contestant: c.to_string(),
                    max_n: 16_000,
                })
                .collect(),
        },
        "seed" => Preset {
            sizes: (0..9).map(|i| 1000usize << i).collect(),
            dims: vec![2, 8, 32],
            kmax: vec![8, 32],
            repeats: 3,
            timeout_s: 3600.0,
            caps: Vec::new(),
        },
        other => bail!("unknown preset `{other}` (smoke, quick, seed)"),
    })
}

/// One data set of the grid (a repeat has its own seed, hence its own data, as in the seed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cell {
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Largest k of the sweep.
    pub k_max: usize,
    /// Repeat, 1-based.
    pub repeat: u32,
    /// Data and contestant seed of this repeat.
    pub seed: u64,
}

/// All cells of sizes × dims × kmax × repeats, with `seed = base + repeat - 1`.
pub fn cells(
    sizes: &[usize],
    dims: &[usize],
    kmax: &[usize],
    repeats: u32,
    base_seed: u64,
) -> Vec<Cell> {
    let dedup = |xs: &[usize]| {
        let mut seen = HashSet::new();
        xs.iter()
            .copied()
            .filter(|x| seen.insert(*x))
            .collect::<Vec<_>>()
    };
    let (sizes, dims, kmax) = (dedup(sizes), dedup(dims), dedup(kmax));
    let mut out = Vec::new();
    for &n in &sizes {
        for &d in &dims {
            for &k_max in &kmax {
                for repeat in 1..=repeats {
                    out.push(Cell {
                        n,
                        d,
                        k_max,
                        repeat,
                        seed: base_seed + u64::from(repeat) - 1,
                    });
                }
            }
        }
    }
    out
}

/// Refuses an empty grid or a cell no contestant can fit (n, d, k_max >= 1, k_max <= n).
pub fn validate(cells: &[Cell]) -> Result<()> {
    if cells.is_empty() {
        bail!("nothing to run: the grid has no cells");
    }
    if let Some(c) = cells
        .iter()
        .find(|c| c.k_max > c.n || c.n == 0 || c.d == 0 || c.k_max == 0)
    {
        bail!(
            "invalid cell n={} d={} k_max={}: need n, d, k_max >= 1 and k_max <= n",
            c.n,
            c.d,
            c.k_max
        );
    }
    Ok(())
}

/// What to run and where to record it.
pub struct GridConfig {
    /// Results folder.
    pub out_dir: PathBuf,
    /// `runs.csv` or `threads.csv` inside `out_dir`.
    pub results_name: String,
    /// Folder of the generated data sets.
    pub data_dir: PathBuf,
    /// Who runs.
    pub contestants: Vec<Contestant>,
    /// The cells, in run order.
    pub cells: Vec<Cell>,
    /// For the thread sweep: every contestant runs once per thread count.
    pub thread_counts: Option<Vec<usize>>,
    /// Data shape.
    pub shape: Shape,
    /// Per-run timeout.
    pub timeout: Duration,
    /// Move the results file aside and start over.
    pub fresh: bool,
    /// Binaries and interpreters.
    pub tools: Tools,
    /// Machine id recorded in every row.
    pub machine_id: String,
    /// Harness version recorded in every row.
    pub harness_version: String,
    /// Fixed initial centers for every contestant.
    pub init_centers: Option<PathBuf>,
    /// Keep the contestants' answers in `<out>/cache/`.
    pub keep_outputs: bool,
    /// Seed of the shuffled cell order.
    pub order_seed: u64,
    /// Contestants that skip the larger cells.
    pub caps: Vec<Cap>,
}

/// What happened.
pub struct Outcome {
    /// The results file.
    pub results_path: PathBuf,
    /// Every run of the grid.
    pub planned: HashSet<Key>,
    /// Rows written now.
    pub written: usize,
    /// Runs skipped because a row already existed.
    pub skipped: usize,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// Optional contestants that said they are not installed, with their message.
    pub unavailable: Vec<(String, String)>,
}

struct Planned<'a> {
    cell: Cell,
    contestant: &'a Contestant,
    sweep_threads: Option<usize>,
}

/// The run order: cells shuffled (seeded), and within each cell the contestants in a
/// rotated round-robin so that none always runs first after a data set is generated.
fn plan(cfg: &GridConfig) -> Vec<Planned<'_>> {
    let mut cells = cfg.cells.clone();
    Random::new(cfg.order_seed).shuffle(&mut cells);
    let units: Vec<(&Contestant, Option<usize>)> = match &cfg.thread_counts {
        None => cfg.contestants.iter().map(|c| (c, None)).collect(),
        Some(ts) => cfg
            .contestants
            .iter()
            .flat_map(|c| ts.iter().map(move |&t| (c, Some(t))))
            .collect(),
    };
    let mut out = Vec::new();
    for (i, cell) in cells.into_iter().enumerate() {
        for j in 0..units.len() {
            let (contestant, sweep_threads) = units[(i + j) % units.len()];
            if cfg
                .caps
                .iter()
                .any(|c| c.contestant == contestant.name && cell.n > c.max_n)
            {
                continue;
            }
            out.push(Planned {
                cell,
                contestant,
                sweep_threads,
            });
        }
    }
    out
}

fn key_of(p: &Planned, shape: Shape, cores: usize) -> Key {
    Key {
        contestant: p.contestant.name.clone(),
        shape: shape.name().to_string(),
        n: p.cell.n,
        d: p.cell.d,
        k_max: p.cell.k_max,
        repeat: p.cell.repeat,
        seed: p.cell.seed,
        threads: p.contestant.threads(cores, p.sweep_threads),
    }
}

/// Runs the grid, appending one row per finished run to the results file.
pub fn execute(cfg: &GridConfig) -> Result<Outcome> {
    let cores = crate::machine::cores();
    let results_path = cfg.out_dir.join(&cfg.results_name);
    let mut file = ResultsFile::open(&results_path, cfg.fresh)?;
    let done = results::finished_keys(&results_path)?;
    let scratch = cfg.out_dir.join("cache");
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;

    validate(&cfg.cells)?;
    if cfg.contestants.is_empty() {
        bail!("nothing to run: no contestants");
    }
    let all = plan(cfg);
    let planned: HashSet<Key> = all.iter().map(|p| key_of(p, cfg.shape, cores)).collect();
    let todo: Vec<&Planned> = all
        .iter()
        .filter(|p| !done.contains(&key_of(p, cfg.shape, cores)))
        .collect();
    let skipped = all.len() - todo.len();
    if skipped > 0 {
        eprintln!(
            "resuming: {skipped} of {} runs already in {} (pass --fresh to start over)",
            all.len(),
            results_path.display()
        );
    }

    if let Some(load) = load_1m().filter(|&l| l > 0.5 * cores as f64) {
        eprintln!(
            "warning: the machine is busy (load average {load:.2} on {cores} cores): timings will be inflated; \
             the load before each run is recorded in the load_1m column"
        );
    }
    eprintln!(
        "running the grid: {} runs into {}",
        todo.len(),
        results_path.display()
    );
    let bar = ProgressBar::new(todo.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} runs, ETA {eta} | {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );

    let mut datasets: HashMap<Cell, gen::Dataset> = HashMap::new();
    let mut unavailable: Vec<(String, String)> = Vec::new();
    let mut written = 0;
    let mut interrupted = false;
    for p in todo {
        if measure::interrupted() {
            interrupted = true;
            break;
        }
        if unavailable.iter().any(|(n, _)| *n == p.contestant.name) {
            bar.inc(1);
            continue;
        }
        let c = p.cell;
        bar.set_message(format!(
            "n={} d={} k={} r{} {}{}",
            c.n,
            c.d,
            c.k_max,
            c.repeat,
            p.contestant.name,
            p.sweep_threads
                .map(|t| format!(" t={t}"))
                .unwrap_or_default()
        ));
        let ds = match datasets.entry(c) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let spec = Spec {
                    n: c.n,
                    d: c.d,
                    k: c.k_max,
                    seed: c.seed,
                    shape: cfg.shape,
                };
                v.insert(gen::ensure(&spec, &cfg.data_dir)?.0)
            }
        };
        let key = key_of(p, cfg.shape, cores);
        match run_one(cfg, p, &key, ds, &scratch)? {
            RunResult::Row(row) => {
                if measure::interrupted() {
                    interrupted = true;
                    break;
                }
                file.append(&row)?;
                written += 1;
                if row.status != status::OK {
                    bar.suspend(|| {
                        eprintln!(
                            "{} {} n={} d={} k={}: {}",
                            row.contestant, row.status, row.n, row.d, row.k_max, row.reason
                        )
                    });
                }
            }
            RunResult::Unavailable(msg) => {
                bar.suspend(|| eprintln!("note: skipping {}: {msg}", p.contestant.name));
                unavailable.push((p.contestant.name.clone(), msg));
            }
            RunResult::Interrupted => {
                interrupted = true;
                break;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Outcome {
        results_path,
        planned,
        written,
        skipped,
        interrupted,
        unavailable,
    })
}

enum RunResult {
    Row(Box<Row>),
    Unavailable(String),
    Interrupted,
}

/// The 1-minute load average (Linux `/proc/loadavg`).
pub fn load_1m() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn last_line(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    line.chars().take(300).collect()
}

fn run_one(
    cfg: &GridConfig,
    p: &Planned,
    key: &Key,
    ds: &gen::Dataset,
    scratch: &Path,
) -> Result<RunResult> {
    let c = p.cell;
    let safe_name: String = p
        .contestant
        .name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let stem = ds
        .csv
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let output = scratch.join(format!("{safe_name}-t{}-{stem}.out.csv", key.threads));
    let stderr_path = scratch.join(format!("{safe_name}.stderr"));
    let stdout_path = scratch.join(format!("{safe_name}.stdout"));
    let _ = std::fs::remove_file(&output);
    let job = Job {
        input: &ds.csv,
        output: &output,
        k_max: c.k_max,
        seed: c.seed,
        init_centers: cfg.init_centers.as_deref(),
        threads: p.sweep_threads,
    };
    let mut cmd = p.contestant.command(&cfg.tools, &job);
    let command = contestants::describe(&cmd);
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path)?)
        .stderr(std::fs::File::create(&stderr_path)?);

    let mut row = Row {
        timestamp: results::now_rfc3339(),
        contestant: key.contestant.clone(),
        shape: key.shape.clone(),
        n: c.n,
        d: c.d,
        k_max: c.k_max,
        repeat: c.repeat,
        seed: c.seed,
        threads: key.threads,
        wall_s: None,
        user_s: None,
        sys_s: None,
        cpu_util: None,
        peak_rss_mb_sampled: None,
        rss_samples: None,
        max_rss_mb: None,
        harness_rss_mb: None,
        load_1m: load_1m(),
        ari: None,
        nmi: None,
        inertia: None,
        off_nearest_frac: None,
        status: status::FAILED.to_string(),
        exit_code: None,
        reason: String::new(),
        machine_id: cfg.machine_id.clone(),
        harness_version: cfg.harness_version.clone(),
        command,
    };

    let m = match measure::run(&mut cmd, cfg.timeout) {
        Ok(m) => m,
        Err(e) => {
            row.reason = format!("could not start: {e}");
            return Ok(RunResult::Row(Box::new(row)));
        }
    };
    row.wall_s = Some(m.wall_s);
    row.user_s = Some(m.user_s);
    row.sys_s = Some(m.sys_s);
    row.cpu_util = Some((m.user_s + m.sys_s) / m.wall_s.max(1e-9));
    row.peak_rss_mb_sampled = m.peak_rss_mb_sampled;
    row.rss_samples = Some(m.rss_samples);
    row.max_rss_mb = Some(m.max_rss_mb);
    row.harness_rss_mb = Some(m.harness_rss_mb);

    let stderr_tail = last_line(&stderr_path);
    let with_tail = |s: String| {
        if stderr_tail.is_empty() {
            s
        } else {
            format!("{s}: {stderr_tail}")
        }
    };
    match m.exit {
        Exit::Interrupted => return Ok(RunResult::Interrupted),
        Exit::TimedOut => {
            row.reason = format!("timeout after {} s (killed)", cfg.timeout.as_secs_f64());
        }
        Exit::Signal(sig) => {
            row.reason = with_tail(format!("killed by {}", measure::signal_name(sig)));
        }
        Exit::Code(code) if code == EXIT_MISSING_OPTIONAL && p.contestant.is_optional() => {
            let _ = std::fs::remove_file(&output);
            return Ok(RunResult::Unavailable(with_tail(format!("exit {code}"))));
        }
        Exit::Code(code) => {
            row.exit_code = Some(code);
            if code != 0 {
                row.reason = with_tail(format!("exit {code}"));
            } else if !output.exists() {
                row.reason = "no output file".to_string();
            } else {
                // The ground truth is read only now, after the run, so it is not part
                // of the harness's RSS while a contestant runs.
                let truth = npy::read_i64(&ds.labels)?;
                match check::read_answer(&output, c.n, c.d, c.k_max)
                    .and_then(|a| check::judge(&a, &truth, c.k_max, cfg.shape == Shape::Blobs))
                {
                    Err(e) => row.reason = format!("unreadable output: {e:#}"),
                    Ok(v) => {
                        row.ari = Some(v.ari);
                        row.nmi = Some(v.nmi);
                        row.inertia = Some(v.inertia);
                        row.off_nearest_frac = Some(v.off_nearest_frac);
                        if v.problems.is_empty() {
                            row.status = status::OK.to_string();
                        } else {
                            row.status = status::WRONG.to_string();
                            row.reason = v.problems.join("; ");
                        }
                    }
                }
            }
        }
    }
    if !cfg.keep_outputs {
        let _ = std::fs::remove_file(&output);
    }
    Ok(RunResult::Row(Box::new(row)))
}

/// Number of centers (rows of numbers) and their dimension in an `--init-centers` CSV.
pub fn centers_shape(path: &Path) -> Result<(usize, usize)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut k = 0;
    let mut d = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.iter().any(|f| f.parse::<f64>().is_err()) {
            if i == 0 {
                continue; // header
            }
            bail!("{}: line {} is not numbers", path.display(), i + 1);
        }
        if d != 0 && d != fields.len() {
            bail!(
                "{}: line {} has {} columns, expected {d}",
                path.display(),
                i + 1,
                fields.len()
            );
        }
        d = fields.len();
        k += 1;
    }
    if k == 0 {
        bail!("{}: no centers", path.display());
    }
    Ok((k, d))
}
