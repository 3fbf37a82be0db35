//! `bench-harness`: generate data, run the k-means contest as subprocesses, probe the
//! machine, summarise. See the crate README for the commands and the measurement method.

use anyhow::{bail, Context, Result};
use bench_harness::contestants::{self, Contestant, Tools};
use bench_harness::gen::{self, Shape, Spec};
use bench_harness::grid::{self, GridConfig, SEED_BASE};
use bench_harness::record::Record;
use bench_harness::{machine, measure, micro, paths, report, results, summary, venv};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "bench-harness",
    version,
    about = "The k-means contest: data, subprocess grid, machine probe, summary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a data set (`<stem>.csv` + `<stem>_labels.npy`), reusing an existing one.
    Gen(GenArgs),
    /// Run the grid of contestants and print the summary table.
    Run(RunArgs),
    /// Probe the machine and write machine.json.
    Probe(ProbeArgs),
    /// Thread sweep of the Rust contestants (rows appended to threads.csv).
    Threads(ThreadsArgs),
    /// Print the summary table of an existing results folder.
    Summary(SummaryArgs),
    /// Micro-benchmarks: `cargo bench -p kernels` (Criterion + instruction counts) into micro.csv.
    Micro(MicroArgs),
    /// REPORT.md, figures/*.svg and dashboard.html from a results folder (and --readme).
    Report(report::ReportArgs),
    /// The same cells side by side across machines (COMPARE.md, compare.svg, compare.csv).
    Compare(report::CompareArgs),
    /// Convert the seed study's published runs into a results folder.
    ImportSeed(report::ImportArgs),
    /// Modern shapes (d, k in the hundreds+): fit-only race from identical centers, and seeding.
    Modern(bench_harness::modern::run::ModernArgs),
    /// Test contestant: writes the ground-truth labels as its answer.
    #[command(hide = true)]
    Oracle(OracleArgs),
}

#[derive(Args)]
struct GenArgs {
    #[arg(long)]
    n: usize,
    #[arg(long)]
    d: usize,
    #[arg(long)]
    k: usize,
    #[arg(long, default_value_t = SEED_BASE)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = Shape::Blobs)]
    shape: Shape,
    /// Output folder [default: data/ under the project].
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct Common {
    /// Results folder [default: perf-reports/<machine-id>/ under the project].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Machine id [default: from the CPU model and core count, e.g. amd-epyc-2c].
    #[arg(long)]
    machine_id: Option<String>,
    /// Put the results in a dated run folder, `<machine folder>/runs/<date>-<commit>-<WHAT>/`
    /// (machine folder: --out, else perf-reports/<machine-id>/), with a README.md naming
    /// the command, commit, date and machine.
    #[arg(long, value_name = "WHAT")]
    record: Option<String>,
    /// Folder of generated data sets [default: data/ under the project].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Move the existing results file aside (`.old`) and start over.
    #[arg(long)]
    fresh: bool,
    /// Per-run timeout in seconds [default: the preset's].
    #[arg(long)]
    timeout: Option<f64>,
    /// Base seed: repeat r uses data and contestant seed base + r - 1.
    #[arg(long, default_value_t = SEED_BASE)]
    seed: u64,
    /// Repeats per cell [default: the preset's].
    #[arg(long)]
    repeats: Option<u32>,
    /// Comma-separated contestants: numpy, sklearn, rust-aos-serial, rust-aos-rayon,
    /// rust-flat, faiss, sklearnex, rust-py (`all` = every built-in) [default: all for `run`,
    /// rust-aos-rayon,rust-flat for `threads`].
    #[arg(long, value_delimiter = ',')]
    contestants: Option<Vec<String>>,
    /// Do not run `cargo build --release -p kernels` first (use the binary as it is).
    #[arg(long, hide = true)]
    no_build: bool,
    /// Extra contestant NAME=CMD (CMD split on whitespace; gets the standard flags).
    #[arg(long = "contestant-cmd", hide = true)]
    contestant_cmd: Vec<String>,
    /// Keep contestants' output CSVs in <out>/cache.
    #[arg(long, hide = true)]
    keep_outputs: bool,
    /// When machine.json is missing, write it without the FMA/bandwidth probes.
    #[arg(long, hide = true)]
    quick_probe: bool,
}

#[derive(Args)]
struct RunArgs {
    /// smoke (seconds), quick (a few minutes), seed (the seed study's full grid).
    #[arg(long, default_value = "quick")]
    preset: String,
    /// Row counts, comma-separated [default: the preset's].
    #[arg(long, value_delimiter = ',')]
    sizes: Option<Vec<usize>>,
    /// Feature counts, comma-separated [default: the preset's].
    #[arg(long, value_delimiter = ',')]
    dims: Option<Vec<usize>>,
    /// k_max values (each run sweeps k = 1..k_max), comma-separated [default: the preset's].
    #[arg(long, value_delimiter = ',')]
    kmax: Option<Vec<usize>>,
    /// Python venv for the baselines [default: .venv under the project].
    #[arg(long)]
    venv: Option<PathBuf>,
    /// Give every contestant these initial centers (CSV, k rows × d columns): fits that k only.
    #[arg(long)]
    init_centers: Option<PathBuf>,
    /// Data shape of the grid (the ARI check applies to blobs only).
    #[arg(long, value_enum, default_value_t = Shape::Blobs)]
    shape: Shape,
    /// Contestant caps NAME=N, comma-separated: NAME runs only the cells with n <= N
    /// (`none`: no cap) [default: the preset's; quick: numpy=16k,numpy-tuned=16k].
    #[arg(long, value_delimiter = ',')]
    cap: Option<Vec<String>>,
    /// Do not write REPORT.md, the figures, dashboard.html and the comparison with the
    /// other machines' folders at the end.
    #[arg(long)]
    no_report: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct ProbeArgs {
    /// Folder for machine.json [default: perf-reports/<machine-id>/].
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    machine_id: Option<String>,
    /// Python venv to ask for package versions and threadpoolctl info [default: .venv].
    #[arg(long)]
    venv: Option<PathBuf>,
    /// Skip the FMA and bandwidth measurements.
    #[arg(long)]
    quick: bool,
}

#[derive(Args)]
struct ThreadsArgs {
    /// Row counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,8000,64000")]
    sizes: Vec<usize>,
    /// Feature counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "8")]
    d: Vec<usize>,
    /// k_max values, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "8")]
    kmax: Vec<usize>,
    /// Thread counts [default: 1..cores, then cores+1 and 2×cores (oversubscribed)].
    #[arg(long, value_delimiter = ',')]
    threads: Option<Vec<usize>>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct SummaryArgs {
    /// Results folder [default: perf-reports/<machine-id>/].
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    machine_id: Option<String>,
    /// Which results file.
    #[arg(long, default_value = "runs.csv")]
    file: String,
}

#[derive(Args)]
struct MicroArgs {
    /// Fewer shapes and samples (`KMEANS_BENCH_QUICK=1`: n = 4096 and 65,536).
    #[arg(long)]
    quick: bool,
    /// Criterion filter, a regex on ids like `assign/n4096/d8/k8/flat-simd-avx2/t1`.
    #[arg(long)]
    filter: Option<String>,
    /// Run nothing: collect every result already under target/ (criterion, gungraun).
    #[arg(long)]
    no_run: bool,
    /// Do not run the instruction-count bench (gungraun).
    #[arg(long)]
    no_instructions: bool,
    /// Results folder [default: perf-reports/<machine-id>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Machine id [default: from the CPU model and core count, e.g. amd-epyc-2c].
    #[arg(long)]
    machine_id: Option<String>,
    /// Put the results in a dated run folder, `<machine folder>/runs/<date>-<commit>-<WHAT>/`
    /// (machine folder: --out, else perf-reports/<machine-id>/), with a README.md naming
    /// the command, commit, date and machine.
    #[arg(long, value_name = "WHAT")]
    record: Option<String>,
}

#[derive(Args)]
struct OracleArgs {
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    output: PathBuf,
    #[arg(long)]
    k_max: usize,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    init_centers: Option<PathBuf>,
    /// Sleep this long first (a slow contestant).
    #[arg(long, default_value_t = 0)]
    sleep_ms: u64,
}

fn main() {
    measure::keep_heap_small();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(a) => cmd_gen(a),
        Command::Run(a) => cmd_run(a),
        Command::Probe(a) => cmd_probe(a),
        Command::Threads(a) => cmd_threads(a),
        Command::Summary(a) => cmd_summary(a),
        Command::Micro(a) => cmd_micro(a),
        Command::Report(a) => report::report_cmd(a).map(|()| 0),
        Command::Compare(a) => report::compare_cmd(a).map(|()| 0),
        Command::ImportSeed(a) => report::import_seed_cmd(a).map(|()| 0),
        Command::Modern(a) => bench_harness::modern::run::run(a).map(|()| 0),
        Command::Oracle(a) => cmd_oracle(a),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("bench-harness: {e:#}");
            std::process::exit(1);
        }
    }
}

fn cmd_gen(a: GenArgs) -> Result<i32> {
    let root = paths::project_root();
    let dir = a.out.unwrap_or_else(|| paths::default_data_dir(&root));
    let spec = Spec {
        n: a.n,
        d: a.d,
        k: a.k,
        seed: a.seed,
        shape: a.shape,
    };
    let (ds, made) = gen::ensure(&spec, &dir)?;
    println!("{}", ds.csv.display());
    println!("{}", ds.labels.display());
    if !made {
        eprintln!("(cached: the files already existed)");
    }
    Ok(0)
}

fn machine_id(given: &Option<String>) -> String {
    given.clone().unwrap_or_else(machine::machine_id)
}

/// The results folder and, with `--record WHAT`, the dated run folder inside it that
/// takes its place (its README.md is written now and again when the guard drops).
fn results_dir(
    root: &Path,
    out: &Option<PathBuf>,
    id: &str,
    record: Option<&str>,
    sub: Option<&str>,
) -> Result<(PathBuf, RecordGuard)> {
    let dir = out_dir(root, out, id);
    let Some(what) = record else {
        // Without --out, a preset's own folder inside the machine folder (quick, smoke).
        let dir = match (out, sub) {
            (None, Some(sub)) => dir.join(sub),
            _ => dir,
        };
        return Ok((dir, RecordGuard(None)));
    };
    let rec = Record::new(root, &dir, id, what)?;
    rec.write_readme()?;
    eprintln!("recording into {}", rec.dir.display());
    Ok((rec.dir.clone(), RecordGuard(Some(rec))))
}

/// Rewrites the dated run folder's README.md (listing the files written) when dropped,
/// whichever way the command ends.
struct RecordGuard(Option<Record>);

impl Drop for RecordGuard {
    fn drop(&mut self) {
        if let Some(rec) = &self.0 {
            if let Err(e) = rec.write_readme() {
                eprintln!("warning: {}: {e:#}", rec.dir.join("README.md").display());
            }
        }
    }
}

fn out_dir(root: &Path, out: &Option<PathBuf>, id: &str) -> PathBuf {
    out.clone()
        .unwrap_or_else(|| paths::default_machine_dir(root, id))
}

fn cmd_probe(a: ProbeArgs) -> Result<i32> {
    let root = paths::project_root();
    let id = machine_id(&a.machine_id);
    let dir = out_dir(&root, &a.out, &id);
    let venv_dir = a.venv.unwrap_or_else(|| root.join(".venv"));
    let python = venv_dir.join("bin").join("python");
    let version = bench_harness::harness_version(&root);
    let value = machine::probe(&machine::ProbeOptions {
        machine_id: &id,
        python: python.is_file().then_some(python.as_path()),
        kernel_probes: !a.quick,
        harness_version: &version,
    });
    let path = dir.join("machine.json");
    bench_harness::io::write_json(&path, &value)?;
    println!("{}", path.display());
    Ok(0)
}

/// Runs `bench-harness probe` in a child process (the triad probe allocates ~800 MB,
/// which must not inflate the harness's own RSS and thus its children's ru_maxrss).
fn probe_if_missing(dir: &Path, id: &str, venv: Option<&Path>, quick: bool) -> Result<()> {
    if dir.join("machine.json").is_file() {
        return Ok(());
    }
    eprintln!(
        "probing the machine into {}{}",
        dir.join("machine.json").display(),
        if quick { "" } else { " (FMA peak, bandwidth)" }
    );
    let exe = std::env::current_exe().context("locating the bench-harness executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("probe")
        .arg("--out")
        .arg(dir)
        .arg("--machine-id")
        .arg(id);
    if let Some(v) = venv {
        cmd.arg("--venv").arg(v);
    }
    if quick {
        cmd.arg("--quick");
    }
    let status = cmd
        .stdout(std::process::Stdio::null())
        .status()
        .context("running the machine probe")?;
    if !status.success() {
        bail!("the machine probe failed ({status})");
    }
    Ok(())
}

struct Prepared {
    root: PathBuf,
    id: String,
    dir: PathBuf,
    /// Rewrites the run folder's README when the command ends (`--record`).
    _record: RecordGuard,
    contestants: Vec<Contestant>,
    tools: Tools,
    version: String,
}

fn prepare(
    common: &Common,
    venv_arg: Option<&Path>,
    default_contestants: Option<&[String]>,
    sub: Option<&str>,
) -> Result<Prepared> {
    let root = paths::project_root();
    let id = machine_id(&common.machine_id);
    let (dir, record) = results_dir(&root, &common.out, &id, common.record.as_deref(), sub)?;
    let names = common.contestants.as_deref().or(default_contestants);
    let contestants = contestants::select(names, &common.contestant_cmd)?;
    let mut tools = Tools {
        baselines: root.join("baselines"),
        ..Tools::default()
    };
    // The build (CPU) runs while the venv is set up (mostly downloads); neither is timed.
    let build = (contestants.iter().any(Contestant::needs_kmeans) && !common.no_build)
        .then(|| paths::Build::start(&root));
    if contestants.iter().any(Contestant::needs_kmeans) && common.no_build {
        tools.kmeans = paths::kmeans_binary(&root);
    }
    let venv_dir = venv_arg
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join(".venv"));
    let mut venv_ready = None;
    let venv = if contestants.iter().any(Contestant::needs_python) {
        Some(venv::ensure(&root, &venv_dir))
    } else {
        None
    };
    if let Some(build) = build {
        tools.kmeans = build.wait()?;
    }
    match venv {
        Some(v) => {
            let v = v?;
            tools.python = v.python.clone();
            venv_ready = Some(v.dir);
        }
        None if venv_dir.join("bin").join("python").is_file() => venv_ready = Some(venv_dir),
        None => {}
    }
    probe_if_missing(&dir, &id, venv_ready.as_deref(), common.quick_probe)?;
    let version = bench_harness::harness_version(&root);
    Ok(Prepared {
        root,
        id,
        dir,
        _record: record,
        contestants,
        tools,
        version,
    })
}

fn data_dir(p: &Prepared, common: &Common) -> PathBuf {
    common
        .data_dir
        .clone()
        .unwrap_or_else(|| paths::default_data_dir(&p.root))
}

fn cmd_run(a: RunArgs) -> Result<i32> {
    let preset = grid::preset(&a.preset)?;
    let c = &a.common;
    let sizes = a.sizes.clone().unwrap_or(preset.sizes);
    let dims = a.dims.clone().unwrap_or(preset.dims);
    let mut kmax = a.kmax.clone().unwrap_or(preset.kmax);
    let mut dims = dims;
    let init_centers = match &a.init_centers {
        Some(path) => {
            let (k, d) = grid::centers_shape(path)?;
            kmax = vec![k];
            dims = vec![d];
            Some(
                std::fs::canonicalize(path)
                    .with_context(|| format!("resolving {}", path.display()))?,
            )
        }
        None => None,
    };
    let cells = grid::cells(
        &sizes,
        &dims,
        &kmax,
        c.repeats.unwrap_or(preset.repeats),
        c.seed,
    );
    grid::validate(&cells)?;
    let caps = match &a.cap {
        Some(v) if v.iter().any(|x| x == "none") => Vec::new(),
        Some(v) => v
            .iter()
            .map(|x| grid::Cap::parse(x))
            .collect::<Result<_>>()?,
        None => preset.caps.clone(),
    };
    // The quick and smoke presets write to their own folder inside the machine folder
    // (gitignored), never into the machine's record; `seed` adds to the record.
    let sub = (a.preset != "seed").then_some(a.preset.as_str());
    let p = prepare(c, a.venv.as_deref(), None, sub)?;
    let capped = grid::describe_caps(&caps, &cells, &p.contestants).map(|s| {
        if a.cap.is_some() {
            format!("capped: {s}")
        } else {
            format!("capped: {s} in the {} preset", a.preset)
        }
    });
    let cfg = GridConfig {
        out_dir: p.dir.clone(),
        results_name: "runs.csv".to_string(),
        data_dir: data_dir(&p, c),
        cells,
        contestants: p.contestants.clone(),
        thread_counts: None,
        shape: a.shape,
        timeout: Duration::from_secs_f64(c.timeout.unwrap_or(preset.timeout_s).max(0.001)),
        fresh: c.fresh,
        tools: p.tools.clone(),
        machine_id: p.id.clone(),
        harness_version: p.version.clone(),
        init_centers,
        keep_outputs: c.keep_outputs,
        order_seed: c.seed,
        caps,
    };
    let code = finish(&p, cfg, false, capped.as_deref())?;
    if code != 0 || a.no_report {
        return Ok(code);
    }
    report_and_compare(&p)?;
    Ok(0)
}

/// The end of `run`: REPORT.md, figures and dashboard.html of the results folder (as
/// `report`), then the comparison with every other results folder `perf-reports/*/`
/// holding a runs.csv (as `compare`, into `<results>/compare-<machines>/`); prints where
/// they are.
fn report_and_compare(p: &Prepared) -> Result<()> {
    let written = report::generate(&report::ReportArgs {
        dir: Some(p.dir.clone()),
        readme: None,
        assumed_iterations: report::sections::roofline::DEFAULT_ITERATIONS,
    })
    .context("writing the report (runs.csv is complete; `bench-harness report` retries)")?;
    println!("report:    {}", written.report.display());
    println!("dashboard: {}", written.dashboard.display());
    let mut others: Vec<PathBuf> = std::fs::read_dir(p.root.join("perf-reports"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|d| d.join("runs.csv").is_file())
                .filter(|d| !same_folder(d, &p.dir))
                .collect()
        })
        .unwrap_or_default();
    others.sort();
    if others.is_empty() {
        return Ok(());
    }
    let mut dirs = vec![p.dir.clone()];
    dirs.extend(others);
    let done = report::compare_folders(&report::CompareArgs {
        dirs,
        out: None,
        same_code: false,
    })
    .context("comparing with the other machines' folders (`bench-harness compare` retries)")?;
    println!("compare:   {}", done.out.join("COMPARE.md").display());
    for w in &done.code_warnings {
        println!("warning: not the same code: {w}");
    }
    Ok(())
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn cmd_threads(a: ThreadsArgs) -> Result<i32> {
    let c = &a.common;
    let default = vec!["rust-aos-rayon".to_string(), "rust-flat".to_string()];
    let cells = grid::cells(&a.sizes, &a.d, &a.kmax, c.repeats.unwrap_or(1), c.seed);
    grid::validate(&cells)?;
    let p = prepare(c, None, Some(&default), None)?;
    let cores = machine::cores();
    let threads = a.threads.clone().unwrap_or_else(|| {
        let mut t: Vec<usize> = (1..=cores).collect();
        t.extend([cores + 1, 2 * cores]);
        t.dedup();
        t
    });
    let cfg = GridConfig {
        out_dir: p.dir.clone(),
        results_name: "threads.csv".to_string(),
        data_dir: data_dir(&p, c),
        cells,
        contestants: p.contestants.clone(),
        thread_counts: Some(threads),
        shape: Shape::Blobs,
        timeout: Duration::from_secs_f64(c.timeout.unwrap_or(600.0).max(0.001)),
        fresh: c.fresh,
        tools: p.tools.clone(),
        machine_id: p.id.clone(),
        harness_version: p.version.clone(),
        init_centers: None,
        keep_outputs: c.keep_outputs,
        order_seed: c.seed,
        caps: Vec::new(),
    };
    finish(&p, cfg, true, None)
}

fn finish(p: &Prepared, cfg: GridConfig, sweep: bool, capped: Option<&str>) -> Result<i32> {
    measure::install_interrupt_handler()?;
    let outcome = grid::execute(&cfg)?;
    let rows = results::read_rows(&outcome.results_path)?;
    let order: Vec<String> = p.contestants.iter().map(|c| c.name.clone()).collect();
    if sweep {
        println!("{}", summary::render_threads(&rows, Some(&outcome.planned)));
    } else {
        println!(
            "{}",
            summary::render(&summary::lines(&rows, Some(&outcome.planned), &order))
        );
    }
    if let Some(c) = capped {
        println!("{c}");
    }
    for (name, msg) in &outcome.unavailable {
        println!("skipped {name}: not installed ({msg})");
    }
    eprintln!(
        "{} new rows in {} ({} already there); machine: {}",
        outcome.written,
        outcome.results_path.display(),
        outcome.skipped,
        p.dir.join("machine.json").display()
    );
    if outcome.interrupted {
        eprintln!("interrupted: only complete rows were written; rerun the same command to resume");
        return Ok(130);
    }
    Ok(0)
}

fn cmd_summary(a: SummaryArgs) -> Result<i32> {
    let root = paths::project_root();
    let id = machine_id(&a.machine_id);
    let dir = out_dir(&root, &a.out, &id);
    let path = dir.join(&a.file);
    if !path.is_file() {
        bail!("{} does not exist", path.display());
    }
    let rows = results::read_rows(&path)?;
    if a.file.starts_with("threads") {
        println!("{}", summary::render_threads(&rows, None));
    } else {
        let order: Vec<String> = contestants::BUILTIN.iter().map(|s| s.to_string()).collect();
        println!("{}", summary::render(&summary::lines(&rows, None, &order)));
    }
    Ok(0)
}

/// Runs the kernels crate's benches and merges their results into `<out>/micro.csv`.
fn cmd_micro(a: MicroArgs) -> Result<i32> {
    let root = paths::project_root();
    let id = machine_id(&a.machine_id);
    let (dir, _record) = results_dir(&root, &a.out, &id, a.record.as_deref(), None)?;
    let target = paths::target_dir(&root);
    // Criterion honours CRITERION_HOME; the bench writes probe.json beside the
    // workspace's target/criterion whatever CARGO_TARGET_DIR says.
    let criterion = std::env::var_os("CRITERION_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("criterion"));
    let mut probe_json = criterion.join("probe.json");
    if !probe_json.is_file() {
        probe_json = root.join("target").join("criterion").join("probe.json");
    }
    let since = std::time::SystemTime::now();
    let mut failures = Vec::new();
    if !a.no_run {
        failures = micro::run_benches(
            &root,
            &micro::RunOptions {
                quick: a.quick,
                filter: a.filter.clone(),
                instructions: !a.no_instructions,
            },
        );
    }
    // The machine's own machine.json (a dated run folder has none of its own).
    let machine_json = out_dir(&root, &a.out, &id).join("machine.json");
    let (probe, notes) = micro::load_probe(&probe_json, &machine_json);
    for n in &notes {
        eprintln!("note: probe: {n}");
    }
    if let Some(p) = &probe {
        let stale = !a.no_run
            && std::fs::metadata(&p.source)
                .and_then(|m| m.modified())
                .is_ok_and(|m| m < since);
        eprintln!(
            "probe: {}{}",
            p.source,
            if stale {
                " (not rewritten by this run)"
            } else {
                ""
            }
        );
    }
    let src = micro::Sources {
        criterion,
        gungraun: target.join("gungraun"),
        since: (!a.no_run).then_some(since),
    };
    let ctx = micro::RowInfo {
        machine_id: id,
        probe,
    };
    let outcome = micro::update(&dir, &src, &ctx)?;
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", outcome.path.display());
    eprintln!(
        "{} benchmarks measured{}, {} rows kept from before",
        outcome.measured,
        if a.no_run {
            " (collected, --no-run)"
        } else {
            ""
        },
        outcome.kept
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("bench-harness: {f}");
        }
        return Ok(1);
    }
    Ok(0)
}

/// Writes the ground truth (`<input stem>_labels.npy`) as the `cluster_<k>` column.
fn cmd_oracle(a: OracleArgs) -> Result<i32> {
    std::thread::sleep(Duration::from_millis(a.sleep_ms));
    let stem = a
        .input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let labels_path = a.input.with_file_name(format!("{stem}_labels.npy"));
    let labels = bench_harness::npy::read_i64(&labels_path)?;
    let _ = (a.seed, a.init_centers);
    let text = std::fs::read_to_string(&a.input)
        .with_context(|| format!("reading {}", a.input.display()))?;
    let mut out = String::with_capacity(text.len() + labels.len() * 4);
    let mut lines = text.lines();
    let header = lines.next().context("empty input")?;
    out.push_str(header);
    out.push_str(&format!(",cluster_{}\n", a.k_max));
    for (line, l) in lines.zip(&labels) {
        out.push_str(line);
        out.push_str(&format!(",{l}\n"));
    }
    bench_harness::io::write_atomic(&a.output, out)?;
    Ok(0)
}
