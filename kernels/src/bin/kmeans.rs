//! `kmeans`: load a CSV or `.npy`, fit every k from `--k-min` to `--k-max` (or the
//! k of `--init-centers`), write the labels. See `kmeans --help` and the README.

use anyhow::{bail, Context};
use clap::Parser;
use kernels::data::{self, centers::read_centers, Matrix};
use kernels::exec::Exec;
use kernels::fit::{self, Params};
use kernels::init::Init;
use kernels::kernel::{self, KernelChoice};
use kernels::layout::Aos;
use kernels::layout::{Flat, Layout};
use kernels::output::{write_output, LabelMatrix, OutputFormat, OutputSpec};
use kernels::summary::{KResult, Summary, Timings};
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
    /// (scikit-learn's), random.
    #[arg(long, default_value = "greedy-k-means++", value_parser = ["k-means++", "greedy-k-means++", "random"])]
    init: String,
    /// CSV (or .npy) of initial centers, one per row; fits exactly that k.
    #[arg(long = "init-centers", value_name = "FILE")]
    init_centers: Option<PathBuf>,
    /// Data layout: aos (the seed's `Vec<DataPoint>`) or flat (contiguous, fast kernels).
    #[arg(long, default_value = "flat", value_parser = ["aos", "flat"])]
    layout: String,
    /// Arithmetic of the distances: f64 (exact canonical labels), or f32 (the data
    /// stored as f32, twice the SIMD lanes and half the bytes; sums and centers stay
    /// f64; flat layout and Lloyd only). See the README on when f32 is safe.
    #[arg(long, default_value = "f64", value_parser = ["f64", "f32"])]
    precision: String,
    /// Kernel of the flat layout: scalar, simd or auto.
    #[arg(long, default_value = "auto")]
    kernel: KernelChoice,
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
    #[arg(long, default_value = "auto", value_parser = ["lloyd", "hamerly", "elkan", "auto"])]
    algorithm: String,
    /// Reuse the k-means++ seeding of k for k + 1 in the sweep (same results, less
    /// work): auto = on for the flat layout, off for aos (the seed's loops, which
    /// seed every k from scratch).
    #[arg(long = "warm-start", default_value = "auto", value_parser = ["auto", "on", "off"])]
    warm_start: String,
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
    #[arg(long = "output-format", default_value = "csv")]
    output_format: OutputFormat,
    /// CSV output with only the ID and cluster columns.
    #[arg(long = "labels-only")]
    labels_only: bool,
    /// Print the phase timings to stderr.
    #[arg(long, short)]
    verbose: bool,
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

fn run(cli: &Cli) -> anyhow::Result<()> {
    let t_start = Instant::now();
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
    if cli.output_format == OutputFormat::Npy && cli.labels_only {
        bail!("--labels-only applies to CSV output only");
    }
    let f32_mode = cli.precision == "f32";
    if f32_mode {
        if cli.layout == "aos" {
            bail!("--precision f32 needs --layout flat");
        }
        if cli.algorithm != "auto" && cli.algorithm != "lloyd" {
            bail!(
                "--precision f32 runs --algorithm lloyd only (the bounds of {} are exact for f64 distances)",
                cli.algorithm
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
    // `--threads` wins; `--parallel` (the seed's flag) and the default both mean 0:
    // the thread count is chosen from the work size.
    let threads = cli.threads.unwrap_or(0);

    let t0 = Instant::now();
    // Auto: one parsing thread per LOAD_BYTES_PER_THREAD of input (starting a pool
    // costs more than parsing a small file).
    let load_threads = if threads == 0 {
        let bytes = std::fs::metadata(&cli.input).map(|m| m.len()).unwrap_or(0);
        match bytes.div_ceil(LOAD_BYTES_PER_THREAD) {
            0 | 1 => 1,
            want => (want as usize).min(kernels::exec::available_cores()),
        }
    } else {
        threads
    };
    let load_exec = Exec::new(load_threads)?;
    let mut ds = data::load(&cli.input, &load_exec)?;
    let read_s = t0.elapsed().as_secs_f64();
    let hwm_read = peak_rss_mb();
    let (n, d) = (ds.n(), ds.d());
    data::check_magnitude(ds.matrix.as_slice(), n, d, &cli.input.display().to_string())?;
    if f32_mode {
        data::check_magnitude_f32(ds.matrix.as_slice(), d, &cli.input.display().to_string())?;
    }

    let (ks, init): (Vec<usize>, Option<Vec<f64>>) = match &cli.init_centers {
        Some(p) => {
            let (k, c) = read_centers(p, d)?;
            data::check_magnitude(&c, n, d, &p.display().to_string())?;
            if f32_mode {
                data::check_magnitude_f32(&c, d, &p.display().to_string())?;
            }
            if k > n {
                bail!(
                    "{}: {k} centers but the data has only {n} rows",
                    p.display()
                );
            }
            (vec![k], Some(c))
        }
        None => {
            let k_max = cli.k_max.unwrap_or(1);
            if k_max > n {
                bail!("--k-max ({k_max}) is larger than the number of rows ({n})");
            }
            ((cli.k_min..=k_max).collect(), None)
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
    let exec = Exec::new(kernels::exec::auto_threads(threads, n, d, k_max))?;
    // Starts run side by side when the data is too small to split and threads were
    // not limited to 1; each start is serial, so results do not change.
    let parallel_starts = if cli.n_init > 1 && exec.threads() == 1 && threads != 1 {
        let cores = kernels::exec::available_cores();
        if threads == 0 {
            cores
        } else {
            threads.min(cores.max(1))
        }
    } else {
        1
    };
    // Only k-means++ seedings are continued; `random` and `--init-centers` have
    // nothing to reuse, and the summary says so.
    let warm_start = match cli.warm_start.as_str() {
        "on" => true,
        "off" => false,
        _ => cli.layout != "aos",
    } && cli.init != "random"
        && init.is_none();
    let warm = warm_start.then(|| kernels::init::WarmSeeds::new(cli.n_init));
    let opts = fit::FitOptions {
        n_init: cli.n_init,
        weights: weights.as_deref(),
        parallel_starts,
        warm: warm.as_ref(),
    };
    let init_kind = match cli.init.as_str() {
        "k-means++" => Init::KMeansPlusPlus,
        "random" => Init::Random,
        _ => Init::GreedyKMeansPlusPlus,
    };
    let algorithm = match cli.algorithm.as_str() {
        "lloyd" => fit::Algorithm::Lloyd,
        "hamerly" => fit::Algorithm::Hamerly,
        "elkan" => fit::Algorithm::Elkan,
        _ if f32_mode => fit::Algorithm::Lloyd,
        _ => fit::auto_algorithm(n, d, k_max),
    };
    if algorithm == fit::Algorithm::Elkan {
        // One f64 lower bound per row and center for every start running at once, on
        // top of what is already held.
        let need = 8u128 * n as u128 * k_max as u128 * parallel_starts.min(cli.n_init) as u128;
        if let Some(avail) = data::available_memory() {
            if need > avail as u128 {
                bail!(
                    "--algorithm elkan needs {:.1} GB for its bounds (8 bytes × {n} rows × k = {k_max}), more than the {:.1} GB available; use --algorithm hamerly (16 bytes per row) or lloyd",
                    need as f64 / 1e9,
                    avail as f64 / 1e9
                );
            }
        }
    }
    let params = Params {
        max_iter: cli.max_iter,
        tol: cli.tol,
        algorithm,
    };

    let t_prep = Instant::now();
    let aos;
    let flat;
    let flat32;
    let points: &dyn Layout = if f32_mode {
        flat32 = kernels::layout::Flat32::from_matrix(&ds.matrix, cli.kernel);
        // The f64 copy is needed only to echo the features of a .npy input.
        let echo_npy = matches!(ds.source, data::Source::Npy)
            && cli.output_format == OutputFormat::Csv
            && !cli.labels_only;
        if !echo_npy {
            ds.matrix = Matrix::from_vec(0, d, Vec::new());
        }
        &flat32
    } else if cli.layout == "aos" {
        aos = Aos::from_dataset(&ds);
        // The seed kept only its Vec<DataPoint>: drop the flat copy.
        ds.matrix = Matrix::from_vec(0, d, Vec::new());
        &aos
    } else {
        flat = Flat::new(&ds.matrix, cli.kernel);
        &flat
    };
    let prepare_s = t_prep.elapsed().as_secs_f64();
    let t_fit = Instant::now();
    let tol_abs = fit::absolute_tol(&points, &exec, params.tol);
    let mut labels = LabelMatrix::new(n, ks.len(), k_max);
    let results = fit_all(
        points,
        &exec,
        &ks,
        init,
        &init_kind,
        cli.seed,
        &params,
        tol_abs,
        &opts,
        &mut labels,
    );
    // The kept seedings (8·n bytes per start) are not needed for the output.
    if let Some(w) = &warm {
        w.clear();
    }
    let fit_s = t_fit.elapsed().as_secs_f64();
    let hwm_fit = peak_rss_mb();
    let t_write = Instant::now();
    let spec = OutputSpec {
        format: cli.output_format,
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
    if cli.verbose {
        let mut e = std::io::stderr().lock();
        let _ = writeln!(
            e,
            "kmeans: n={n} d={d} layout={} kernel={} isa={} threads={}",
            points.name(),
            kernel_name(cli),
            kernel::isa_name(),
            exec.threads()
        );
        for r in &results {
            let _ =
                writeln!(
                e,
                "kmeans: k={:<4} init {:>9.4}s  iter {:>9.4}s  iterations {:>3}  inertia {:.6e}{}",
                r.k,
                r.init_seconds,
                r.iter_seconds,
                r.iterations,
                r.inertia,
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
            hwm_read,
            hwm_fit,
            peak_rss_mb(),
            (n * d * if f32_mode { 4 } else { 8 }) as f64 / 1e6,
            cli.precision
        );
    }
    if let Some(path) = &cli.summary {
        let summary = Summary {
            input: cli.input.display().to_string(),
            n,
            d,
            layout: points.name().into(),
            kernel: kernel_name(cli),
            isa: kernel::isa_name().into(),
            init: if cli.init_centers.is_some() {
                "explicit".into()
            } else {
                init_kind.name().into()
            },
            seed: cli.seed,
            max_iter: cli.max_iter,
            n_init: cli.n_init,
            precision: cli.precision.clone(),
            warm_start,
            algorithm: format!("{algorithm:?}").to_lowercase(),
            sample_weight: cli.sample_weight.as_ref().map(|p| p.display().to_string()),
            tol: cli.tol,
            tol_abs,
            threads: exec.threads(),
            timings,
            results,
        };
        write_json(path, &summary)?;
    }
    Ok(())
}

fn kernel_name(cli: &Cli) -> String {
    if cli.layout == "aos" {
        "naive".into()
    } else {
        kernel::resolved_name(cli.kernel).into()
    }
}

#[allow(clippy::too_many_arguments)]
fn fit_all(
    points: &dyn Layout,
    exec: &Exec,
    ks: &[usize],
    explicit: Option<Vec<f64>>,
    init: &Init,
    seed: u64,
    params: &Params,
    tol_abs: f64,
    opts: &fit::FitOptions,
    labels: &mut LabelMatrix,
) -> Vec<KResult> {
    let d = points.d();
    let init = match explicit {
        Some(c) => Init::Explicit(c),
        None => init.clone(),
    };
    let mut out = Vec::with_capacity(ks.len());
    for (c, &k) in ks.iter().enumerate() {
        let f = fit::fit_with(&points, exec, k, &init, seed, params, tol_abs, opts);
        let r = KResult {
            k,
            inertia: f.inertia,
            iterations: f.iterations,
            converged: f.converged,
            seconds: f.init_seconds + f.iter_seconds,
            init_seconds: f.init_seconds,
            iter_seconds: f.iter_seconds,
            centers: f.centers.chunks(d).map(|c| c.to_vec()).collect(),
        };
        labels.set_column(c, &f.labels);
        out.push(r);
    }
    out
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
