//! `kmeans`: load a CSV or `.npy`, fit every k from `--k-min` to `--k-max` (or the
//! k of `--init-centers`), write the labels. See `kmeans --help` and the README.

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use kernels::data::{self, centers::read_centers, Matrix};
use kernels::exec::Exec;
use kernels::kernel;
use kernels::layout::{Aos, Flat, Flat32, Layout};
use kernels::output::{write_output, LabelMatrix, OutputFormat, OutputSpec};
use kernels::summary::{KResult, Summary, Timings};
use kernels::{Algorithm, Data, Init, KMeans, KernelChoice, Precision};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "kmeans",
    version,
    about = "k-means elbow sweep: fit k = k-min..k-max on a CSV or .npy and write the labels",
    allow_negative_numbers = true,
    after_help = "Exit status: 0 on success, 2 on bad usage or bad input (one line on stderr), 130 when interrupted."
)]
struct Cli {
    /// Input: CSV with header `ID,feature_1..feature_d`, or a 2-D f64/f32 .npy.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Output file (written atomically: temp file + rename).
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
    /// Largest k of the sweep.
    #[arg(long = "k-max", alias = "k_clusters_max", value_name = "K")]
    k_max: Option<usize>,
    /// Smallest k of the sweep.
    #[arg(long = "k-min", default_value_t = 1, value_name = "K")]
    k_min: usize,
    /// Random seed; the seeding of k uses a stream derived from (seed, init, k) (see
    /// --warm-start).
    #[arg(long, alias = "random-state", default_value_t = 42)]
    seed: u64,
    /// Initialisation: k-means++ (the seed's D² sampling), greedy-k-means++
    /// (scikit-learn's), random, k-means-par (k-means||: a few sampling rounds, the
    /// candidates reduced by weighted greedy k-means++).
    #[arg(long, value_enum, default_value_t = InitArg::GreedyKMeansPlusPlus)]
    init: InitArg,
    /// k-means||: expected candidates per round as a multiple of k (ℓ = factor · k).
    #[arg(
        long = "init-oversampling",
        default_value_t = 2.0,
        value_name = "FACTOR"
    )]
    init_oversampling: f64,
    /// k-means||: sampling rounds.
    #[arg(long = "init-rounds", default_value_t = 5, value_name = "R")]
    init_rounds: usize,
    /// CSV (or .npy) of initial centers, one per row; fits exactly that k.
    #[arg(long = "init-centers", value_name = "FILE")]
    init_centers: Option<PathBuf>,
    /// Data layout: aos (the seed's `Vec<DataPoint>`) or flat (contiguous, fast kernels).
    #[arg(long, value_enum, default_value_t = LayoutArg::Flat)]
    layout: LayoutArg,
    /// Arithmetic of the distances: f64 (exact canonical labels), or f32 (the data
    /// stored as f32, twice the SIMD lanes and half the bytes; sums and centers stay
    /// f64; flat layout and Lloyd only). See the README on when f32 is safe.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F64)]
    precision: PrecisionArg,
    /// Kernel of the flat layout: scalar (the canonical loop), simd (portable SIMD,
    /// loop order by shape, as auto), tiled or blocked (SIMD in that loop order: every
    /// register tile of rows against all centers, or a block of rows against one
    /// panel of 32 centers at a time, for large k·d), screened (f64-exact labels at
    /// f32 speed: an f32 screen under a rigorous rounding bound, the unsettled rows
    /// re-checked in f64; n·d·4 more bytes), auto. Same labels with every choice;
    /// `--verbose` and the summary name the order each k ran.
    #[arg(long, value_enum, default_value_t = KernelArg::Auto)]
    kernel: KernelArg,
    /// Worker threads: 0 = chosen from the work size and cores, 1 = serial.
    #[arg(long)]
    threads: Option<usize>,
    /// Seed-compatible alias of `--threads 0`.
    #[arg(long)]
    parallel: bool,
    /// Starts per k (scikit-learn's n_init): the lowest inertia wins. Start 0 is the
    /// single-start result; small data runs its starts in parallel.
    #[arg(long = "n-init", default_value_t = 1, value_name = "N")]
    n_init: usize,
    /// One non-negative weight per input row (scikit-learn's sample_weight): a
    /// one-column CSV with a header line, or a 1-D .npy.
    #[arg(long = "sample-weight", value_name = "FILE")]
    sample_weight: Option<PathBuf>,
    /// Assignment algorithm: lloyd (every distance), hamerly (one lower bound per point
    /// skips distances), elkan (one lower bound per point and center, 8·n·k bytes),
    /// auto (chosen by shape). All give identical results.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Auto)]
    algorithm: AlgorithmArg,
    /// Reuse the k-means++ seeding of k for k + 1 in the sweep (same results, less
    /// work): auto = on for the flat layout, off for aos (the seed's loops, which
    /// seed every k from scratch).
    #[arg(long = "warm-start", value_enum, default_value_t = WarmStartArg::Auto)]
    warm_start: WarmStartArg,
    /// Maximum Lloyd iterations per k.
    #[arg(long = "max-iter", default_value_t = 300)]
    max_iter: usize,
    /// Relative tolerance (scikit-learn's): stop when the squared center shift is at
    /// most tol × the mean per-feature variance.
    #[arg(long, default_value_t = 1e-4)]
    tol: f64,
    /// Write a JSON summary (per k: inertia, iterations, converged, seconds, centers;
    /// and the phase timings).
    #[arg(long, value_name = "FILE.json")]
    summary: Option<PathBuf>,
    /// Output format: csv (IDs, echoed features, labels) or npy (labels only, n × K int32).
    #[arg(long = "output-format", value_enum, default_value_t = FormatArg::Csv)]
    output_format: FormatArg,
    /// CSV output with only the ID and cluster columns.
    #[arg(long = "labels-only")]
    labels_only: bool,
    /// Print the phase timings to stderr.
    #[arg(long, short)]
    verbose: bool,
}

/// `--init`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum InitArg {
    /// The seed's D² sampling, one candidate per step.
    #[value(name = "k-means++")]
    KMeansPlusPlus,
    /// scikit-learn's greedy k-means++ (2 + ⌊ln k⌋ candidates per step).
    #[value(name = "greedy-k-means++")]
    GreedyKMeansPlusPlus,
    /// k distinct rows, uniformly.
    Random,
    /// k-means|| (Bahmani et al.): --init-rounds rounds sampling about
    /// --init-oversampling · k rows each, reduced by weighted greedy k-means++.
    #[value(name = "k-means-par")]
    KMeansParallel,
}

impl From<InitArg> for Init {
    fn from(a: InitArg) -> Init {
        match a {
            InitArg::KMeansPlusPlus => Init::KMeansPlusPlus,
            InitArg::GreedyKMeansPlusPlus => Init::GreedyKMeansPlusPlus,
            InitArg::Random => Init::Random,
            InitArg::KMeansParallel => Init::k_means_parallel(),
        }
    }
}

impl Cli {
    /// The `Init` of `--init` with the k-means|| options.
    fn init(&self) -> Init {
        match Init::from(self.init) {
            Init::KMeansParallel { .. } => Init::KMeansParallel {
                oversampling: self.init_oversampling,
                rounds: self.init_rounds,
            },
            other => other,
        }
    }
}

/// `--layout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LayoutArg {
    /// The seed's `Vec<DataPoint>` with its naive loops.
    Aos,
    /// One contiguous row-major buffer with the fast kernels.
    Flat,
}

/// `--precision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PrecisionArg {
    F64,
    F32,
}

impl From<PrecisionArg> for Precision {
    fn from(a: PrecisionArg) -> Precision {
        match a {
            PrecisionArg::F64 => Precision::F64,
            PrecisionArg::F32 => Precision::F32,
        }
    }
}

/// `--kernel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum KernelArg {
    Scalar,
    Simd,
    Tiled,
    Blocked,
    Screened,
    Auto,
}

impl From<KernelArg> for KernelChoice {
    fn from(a: KernelArg) -> KernelChoice {
        match a {
            KernelArg::Scalar => KernelChoice::Scalar,
            KernelArg::Simd => KernelChoice::Simd,
            KernelArg::Tiled => KernelChoice::Tiled,
            KernelArg::Blocked => KernelChoice::Blocked,
            KernelArg::Screened => KernelChoice::Screened,
            KernelArg::Auto => KernelChoice::Auto,
        }
    }
}

/// `--algorithm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AlgorithmArg {
    Lloyd,
    Hamerly,
    Elkan,
    Auto,
}

impl AlgorithmArg {
    /// The fixed choice, or `None` for `auto` (the library's rule).
    fn algorithm(self) -> Option<Algorithm> {
        match self {
            AlgorithmArg::Lloyd => Some(Algorithm::Lloyd),
            AlgorithmArg::Hamerly => Some(Algorithm::Hamerly),
            AlgorithmArg::Elkan => Some(Algorithm::Elkan),
            AlgorithmArg::Auto => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            AlgorithmArg::Lloyd => "lloyd",
            AlgorithmArg::Hamerly => "hamerly",
            AlgorithmArg::Elkan => "elkan",
            AlgorithmArg::Auto => "auto",
        }
    }
}

/// `--warm-start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum WarmStartArg {
    Auto,
    On,
    Off,
}

/// `--output-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Csv,
    Npy,
}

impl From<FormatArg> for OutputFormat {
    fn from(a: FormatArg) -> OutputFormat {
        match a {
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Npy => OutputFormat::Npy,
        }
    }
}

/// Input bytes per parsing thread under `--threads 0` (the parser reads about 0.85 GB/s
/// per thread, so 2 MiB is ~2.5 ms of work, several times a pool's start-up).
const LOAD_BYTES_PER_THREAD: u64 = 2 << 20;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!(
            "kmeans: internal error: {}",
            msg.lines().next().unwrap_or("")
        );
    }));
    kernels::signals::install();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                std::process::exit(0);
            }
            // clap's message spans lines (details, usage, tip): keep the details, on one line.
            let text = e.to_string();
            let line = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!(
                "kmeans: {} (see --help)",
                line.trim_start_matches("error: ")
            );
            std::process::exit(2);
        }
    };
    let code = match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            let msg = format!("{e:#}");
            eprintln!("kmeans: error: {}", msg.replace('\n', " "));
            2
        }
        Err(_) => 70,
    };
    std::process::exit(code);
}

/// Fails early when the output cannot be created, before any expensive work.
fn check_output_dir(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!("{}: the output folder does not exist", path.display());
    }
    if path.is_dir() {
        bail!("{}: the output path is a directory", path.display());
    }
    kernels::output::probe_writable(dir)
        .with_context(|| format!("{}: cannot write to the output folder", path.display()))?;
    Ok(())
}

/// What the command line asks for, validated, with the auto rules applied: the
/// library's [`KMeans`] configuration plus what only the binary does (input, output,
/// the layout, the sweep's range).
struct Config {
    kmeans: KMeans,
    layout: LayoutArg,
    precision: Precision,
    /// Requested threads: 0 = chosen from the work size.
    threads: usize,
    k_range: Option<(usize, usize)>,
}

impl Config {
    /// Checks everything that can be checked before the data is read, in the order
    /// (and with the messages) users see.
    fn new(cli: &Cli) -> anyhow::Result<Config> {
        if cli.k_max.is_none() && cli.init_centers.is_none() {
            bail!("--k-max is required (or --init-centers)");
        }
        if let Some(k) = cli.k_max {
            if k == 0 {
                bail!("--k-max must be at least 1");
            }
            if cli.k_min == 0 {
                bail!("--k-min must be at least 1");
            }
            if cli.k_min > k {
                bail!("--k-min ({}) is larger than --k-max ({k})", cli.k_min);
            }
        }
        if cli.n_init == 0 {
            bail!("--n-init must be at least 1");
        }
        if cli.max_iter == 0 {
            bail!("--max-iter must be at least 1");
        }
        if !(cli.tol.is_finite() && cli.tol >= 0.0) {
            bail!("--tol must be a finite number >= 0");
        }
        if cli.output_format == FormatArg::Npy && cli.labels_only {
            bail!("--labels-only applies to CSV output only");
        }
        let precision = cli.precision.into();
        if precision == Precision::F32 {
            if cli.layout == LayoutArg::Aos {
                bail!("--precision f32 needs --layout flat");
            }
            if !matches!(cli.algorithm, AlgorithmArg::Auto | AlgorithmArg::Lloyd) {
                bail!(
                    "--precision f32 runs --algorithm lloyd only (the bounds of {} are exact for f64 distances)",
                    cli.algorithm.name()
                );
            }
        }
        if cli.input.canonicalize().ok().is_some()
            && cli.input.canonicalize().ok() == cli.output.canonicalize().ok()
        {
            bail!("--output is the same file as --input");
        }
        check_output_dir(&cli.output)?;
        if let Some(s) = &cli.summary {
            check_output_dir(s)?;
        }
        let warm_start = match cli.warm_start {
            WarmStartArg::On => true,
            WarmStartArg::Off => false,
            // The seed's loops seed every k from scratch.
            WarmStartArg::Auto => cli.layout != LayoutArg::Aos,
        };
        // `--threads` wins; `--parallel` (the seed's flag) and the default both mean
        // 0: the thread count is chosen from the work size.
        let threads = cli.threads.unwrap_or(0);
        let mut kmeans = KMeans::new(1)
            .init(cli.init())
            .n_init(cli.n_init)
            .max_iter(cli.max_iter)
            .tol(cli.tol)
            .precision(precision)
            .seed(cli.seed)
            .threads(threads)
            .kernel(cli.kernel.into())
            .warm_start(warm_start);
        if let Some(a) = cli.algorithm.algorithm() {
            kmeans = kmeans.algorithm(a);
        }
        Ok(Config {
            kmeans,
            layout: cli.layout,
            precision,
            threads,
            k_range: cli.k_max.map(|k| (cli.k_min, k)),
        })
    }
}

/// The input, read and checked, and what the sweep runs over.
struct Loaded {
    ds: data::Dataset,
    read_s: f64,
    peak_rss_read: f64,
    /// The k of every label column.
    ks: Vec<usize>,
    weights: Option<Vec<f64>>,
}

/// Reads the input, the initial centers and the weights, and checks them against
/// each other; sets explicit centers on `config.kmeans`.
fn load(cli: &Cli, config: &mut Config) -> anyhow::Result<Loaded> {
    let t0 = Instant::now();
    // Auto: one parsing thread per LOAD_BYTES_PER_THREAD of input (starting a pool
    // costs more than parsing a small file).
    let load_threads = if config.threads == 0 {
        let bytes = std::fs::metadata(&cli.input).map(|m| m.len()).unwrap_or(0);
        match bytes.div_ceil(LOAD_BYTES_PER_THREAD) {
            0 | 1 => 1,
            want => (want as usize).min(kernels::exec::available_cores()),
        }
    } else {
        config.threads
    };
    let ds = data::load(&cli.input, &Exec::new(load_threads)?)?;
    let read_s = t0.elapsed().as_secs_f64();
    let peak_rss_read = peak_rss_mb();
    let (n, d) = (ds.n(), ds.d());
    let input = cli.input.display().to_string();
    Data::from_matrix(&ds.matrix)
        .named(input.as_str())
        .check(config.precision)?;

    let ks: Vec<usize> = match &cli.init_centers {
        Some(p) => {
            let (k, c) = read_centers(p, d)?;
            let name = p.display().to_string();
            data::check_magnitude(&c, n, d, &name)?;
            if config.precision == Precision::F32 {
                data::check_magnitude_f32(&c, d, &name)?;
            }
            if k > n {
                bail!("{name}: {k} centers but the data has only {n} rows");
            }
            config.kmeans = config.kmeans.clone().init(Init::Explicit(c));
            vec![k]
        }
        None => {
            let (k_min, k_max) = config.k_range.unwrap_or((1, 1));
            if k_max > n {
                bail!("--k-max ({k_max}) is larger than the number of rows ({n})");
            }
            (k_min..=k_max).collect()
        }
    };
    let k_max = *ks.last().unwrap_or(&1);
    let weights = match &cli.sample_weight {
        Some(p) => {
            let w = data::weights::read_weights(p, n)?;
            let positive = w.iter().filter(|&&v| v > 0.0).count();
            if k_max > positive {
                bail!(
                    "{}: only {positive} rows have a positive weight, fewer than k = {k_max}",
                    p.display()
                );
            }
            Some(w)
        }
        None => None,
    };
    Ok(Loaded {
        ds,
        read_s,
        peak_rss_read,
        ks,
        weights,
    })
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let t_start = Instant::now();
    let mut config = Config::new(cli)?;
    let Loaded {
        mut ds,
        read_s,
        peak_rss_read,
        ks,
        weights,
    } = load(cli, &mut config)?;
    let (n, d) = (ds.n(), ds.d());
    let k_max = *ks.last().unwrap_or(&1);
    let exec = Exec::new(kernels::exec::auto_threads(config.threads, n, d, k_max))?;

    // Prepare: the layout the fit runs on.
    let t_prep = Instant::now();
    let aos;
    let flat;
    let flat32;
    let points: &dyn Layout = if config.precision == Precision::F32 {
        flat32 = Flat32::from_matrix(&ds.matrix, cli.kernel.into());
        // The f64 copy is needed only to echo the features of a .npy input.
        let echo_npy = matches!(ds.source, data::Source::Npy)
            && cli.output_format == FormatArg::Csv
            && !cli.labels_only;
        if !echo_npy {
            ds.matrix = Matrix::from_vec(0, d, Vec::new());
        }
        &flat32
    } else if config.layout == LayoutArg::Aos {
        aos = Aos::from_dataset(&ds);
        // The seed kept only its Vec<DataPoint>: drop the flat copy.
        ds.matrix = Matrix::from_vec(0, d, Vec::new());
        &aos
    } else {
        flat = Flat::new(&ds.matrix, cli.kernel.into());
        &flat
    };
    let prepare_s = t_prep.elapsed().as_secs_f64();

    // Fit every k, keeping only the labels (narrow) and the per-k summary.
    let t_fit = Instant::now();
    let mut labels = LabelMatrix::new(n, ks.len(), k_max);
    let mut results = Vec::with_capacity(ks.len());
    let mut last = None;
    config.kmeans.sweep(
        points,
        &exec,
        weights.as_deref(),
        ks[0]..=k_max,
        t_fit,
        |f| {
            labels.set_column(results.len(), &f.labels);
            results.push(KResult {
                k: f.k,
                inertia: f.inertia,
                iterations: f.n_iter,
                converged: f.converged,
                seconds: f.timings.init_s + f.timings.iter_s,
                init_seconds: f.timings.init_s,
                iter_seconds: f.timings.iter_s,
                order: if config.layout == LayoutArg::Aos {
                    "naive".into()
                } else {
                    kernel::order_name(
                        cli.kernel.into(),
                        config.precision == Precision::F32,
                        f.k,
                        d,
                    )
                    .into()
                },
                centers: f.centers.chunks(d).map(|c| c.to_vec()).collect(),
            });
            last = Some((f.algorithm, f.tol_abs));
        },
    )?;
    let (algorithm, tol_abs) = last.expect("at least one k");
    let fit_s = t_fit.elapsed().as_secs_f64();
    let peak_rss_fit = peak_rss_mb();

    // Emit: the labels, then what --verbose and --summary report.
    let t_write = Instant::now();
    let spec = OutputSpec {
        format: cli.output_format.into(),
        labels_only: cli.labels_only,
        ks: &ks,
    };
    write_output(&cli.output, &ds, points, &labels, &spec, &exec)?;
    let write_s = t_write.elapsed().as_secs_f64();
    let timings = Timings {
        read_s,
        prepare_s,
        fit_s,
        write_s,
        total_s: t_start.elapsed().as_secs_f64(),
    };
    let kernel_name = if config.layout == LayoutArg::Aos {
        "naive".to_string()
    } else {
        kernel::resolved_name(cli.kernel.into()).to_string()
    };
    let (screened, rechecked) = kernels::layout::flat::screen_counts();
    let rechecked_fraction = (screened > 0).then(|| rechecked as f64 / screened as f64);
    if cli.verbose {
        let mut e = std::io::stderr().lock();
        let _ = writeln!(
            e,
            "kmeans: {} rows re-checked with the canonical distance after the expanded form",
            kernel::argmin::recheck_count()
        );
        if let Some(f) = rechecked_fraction {
            let _ = writeln!(
                e,
                "kmeans: screened {screened} rows, {rechecked} ({:.3} %) re-checked in f64",
                100.0 * f
            );
        }
        let _ = writeln!(
            e,
            "kmeans: n={n} d={d} layout={} kernel={kernel_name} isa={} threads={}",
            points.name(),
            kernel::isa_name(),
            exec.threads()
        );
        for r in &results {
            let _ =
                writeln!(
                e,
                "kmeans: k={:<4} init {:>9.4}s  iter {:>9.4}s  iterations {:>3}  inertia {:.6e}  order {}{}",
                r.k,
                r.init_seconds,
                r.iter_seconds,
                r.iterations,
                r.inertia,
                r.order,
                if r.converged { "" } else { "  (max-iter reached)" }
            );
        }
        let _ = writeln!(
            e,
            "kmeans: read {:.4}s  prepare {:.4}s  fit {:.4}s  write {:.4}s  total {:.4}s",
            read_s, prepare_s, fit_s, write_s, timings.total_s
        );
        let _ = writeln!(
            e,
            "kmeans: peak RSS after read {:.1} MB, after fit {:.1} MB, at exit {:.1} MB (matrix {:.1} MB as {})",
            peak_rss_read,
            peak_rss_fit,
            peak_rss_mb(),
            (n * d * if config.precision == Precision::F32 { 4 } else { 8 }) as f64 / 1e6,
            config.precision.name()
        );
    }
    if let Some(path) = &cli.summary {
        let summary = Summary {
            input: cli.input.display().to_string(),
            n,
            d,
            layout: points.name().into(),
            kernel: kernel_name,
            isa: kernel::isa_name().into(),
            init: if cli.init_centers.is_some() {
                "explicit".into()
            } else {
                cli.init().name().into()
            },
            seed: cli.seed,
            max_iter: cli.max_iter,
            n_init: cli.n_init,
            precision: config.precision.name().into(),
            warm_start: config.kmeans.warm_starts(),
            algorithm: format!("{algorithm:?}").to_lowercase(),
            sample_weight: cli.sample_weight.as_ref().map(|p| p.display().to_string()),
            tol: cli.tol,
            tol_abs,
            threads: exec.threads(),
            rechecked_fraction,
            timings,
            results,
        };
        write_json(path, &summary)?;
    }
    Ok(())
}

/// Writes JSON atomically (temp file + rename).
fn write_json(path: &Path, value: &Summary) -> anyhow::Result<()> {
    kernels::output::write_atomically(path, ".kmeans-summary-", |f| {
        serde_json::to_writer_pretty(&mut *f, value)?;
        f.write_all(b"\n")
    })
    .with_context(|| format!("{}: cannot write the summary", path.display()))
}

/// The process's peak resident set so far (VmHWM), in MB; 0 where unavailable.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb * 1024.0 / 1e6)
}
