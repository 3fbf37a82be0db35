//! The `modern` command: its flags, presets and the loop over cells and contestants.

use super::data;
use super::eval::Rows;
use super::ours;
use super::python;
use super::report::{self, Tolerance, MEASURED};
use super::rows::{FitRow, Measured, SeedRow};
use super::spec::{self, Cell, Contestant, Engine, Precision};
use crate::gen::Shape;
use crate::{machine, paths, roofline, venv};
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Quick preset: two cells that finish in about ten minutes on a 2-core machine.
pub const QUICK_SHAPES: &str = "100kx128x256,100kx768x512";
/// `--full`: n ∈ {100k, 1M}, d ∈ {128, 768}, k ∈ {256, 1024} (hours on 2 cores).
pub const FULL_SHAPES: &str = "100kx128x256,100kx128x1024,100kx768x256,100kx768x1024,\
1Mx128x256,1Mx128x1024,1Mx768x256,1Mx768x1024";

/// Flags of `bench-harness modern`.
#[derive(clap::Args, Debug)]
pub struct ModernArgs {
    /// The whole grid: n ∈ {100k, 1M}, d ∈ {128, 768}, k ∈ {256, 1024}, 10 iterations,
    /// seeding on every cell (hours on 2 cores). Without it, the quick preset:
    /// 100k×128 k=256 and 100k×768 k=512, 5 iterations, seeding on the first cell.
    #[arg(long)]
    pub full: bool,
    /// Cells `NxDxK`, comma-separated (`k`/`M` suffixes), e.g. `100kx128x256,1Mx768x1024`.
    #[arg(long)]
    pub shapes: Option<String>,
    /// Lloyd iterations per fit (max_iter, tol = 0) [quick: 5, full: 10].
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Timed repeats per contestant and cell [default: 3].
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Contestants, comma-separated: kmeans, kmeans-f32 (one per --kernels value),
    /// kmeans-<kernel>, kmeans-f32-<kernel>, kmeans_roofline, sklearn, sklearnex (each
    /// with an optional -f32), faiss (float32).
    #[arg(long, default_value = spec::DEFAULT_CONTESTANTS)]
    pub contestants: String,
    /// Our binary's `--kernel` values to race (auto = its own choice); values the
    /// binary does not offer are skipped with a note.
    #[arg(long, default_value = spec::DEFAULT_KERNELS)]
    pub kernels: String,
    /// Cells whose greedy k-means++ seeding is timed (ours, scikit-learn, sklearnex)
    /// [quick: the first cell; full: every cell; `none`: no seeding].
    #[arg(long)]
    pub seed_shapes: Option<String>,
    /// Timed repeats of the seeding [default: 1].
    #[arg(long, default_value_t = 1)]
    pub seed_repeats: usize,
    /// Threads of every contestant.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Relative inertia difference allowed for float64 contestants.
    #[arg(long, default_value_t = 1e-6)]
    pub tol_f64: f64,
    /// Relative inertia difference allowed for float32 contestants.
    #[arg(long, default_value_t = 1e-3)]
    pub tol_f32: f64,
    /// Data shape of the generator (uniform: Lloyd keeps moving, so no contestant
    /// stops before the fixed iterations).
    #[arg(long, value_enum, default_value_t = Shape::Uniform)]
    pub shape: Shape,
    /// Seed of the data, the initial centers and the seeding.
    #[arg(long, default_value_t = 20260609)]
    pub seed: u64,
    /// Results folder [default: perf-reports/<machine-id>/modern].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Data folder [default: data/modern].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Python venv [default: .venv].
    #[arg(long)]
    pub venv: Option<PathBuf>,
    /// Machine id [default: from the CPU model and cores].
    #[arg(long)]
    pub machine_id: Option<String>,
    /// Timeout of one contestant process, seconds.
    #[arg(long, default_value_t = 3600)]
    pub timeout: u64,
    /// The f64 FMA peak at --threads threads, GFLOP/s, for the "% of peak" column
    /// [default: machine.json's probe]. f32 rows are set against twice it.
    #[arg(long)]
    pub peak_gflops: Option<f64>,
    /// Measure nothing: rewrite the folder's tables from its modern.json (with a new
    /// --peak-gflops, tolerances, or after a change of the report).
    #[arg(long)]
    pub report_only: bool,
    /// Do not build the `kmeans` binary (use the one in target/release).
    #[arg(long, hide = true)]
    pub no_build: bool,
    /// machine.json without the FMA and bandwidth probes (tests).
    #[arg(long, hide = true)]
    pub quick_probe: bool,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn load_1m() -> Option<f64> {
    loadavg().split_whitespace().next()?.parse().ok()
}

/// Runs the `modern` command.
pub fn run(a: ModernArgs) -> Result<()> {
    let root = paths::project_root();
    let id = a.machine_id.clone().unwrap_or_else(machine::machine_id);
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| paths::default_machine_dir(&root, &id).join("modern"));
    let data_dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| paths::default_data_dir(&root).join("modern"));
    let cells = Cell::parse_list(a.shapes.as_deref().unwrap_or(if a.full {
        FULL_SHAPES
    } else {
        QUICK_SHAPES
    }))?;
    let iterations = a.iterations.unwrap_or(if a.full { 10 } else { 5 });
    let seed_cells: Vec<Cell> = match a.seed_shapes.as_deref() {
        Some("none") => Vec::new(),
        Some(s) => Cell::parse_list(s)?,
        None if a.full => cells.clone(),
        None => cells.iter().take(1).copied().collect(),
    };
    let kernels: Vec<String> = a
        .kernels
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let contestants = spec::contestants(&a.contestants, &kernels)?;
    let timeout = Duration::from_secs(a.timeout);
    let tol = Tolerance {
        f64: a.tol_f64,
        f32: a.tol_f32,
    };
    if a.report_only {
        return report_only(&out, a.peak_gflops, tol, &contestants);
    }
    measure_interrupts()?;

    let needs_ours = contestants
        .iter()
        .any(|c| matches!(c.engine, Engine::Ours { .. }))
        || !seed_cells.is_empty();
    let bin = if a.no_build || !needs_ours {
        paths::kmeans_binary(&root)
    } else {
        paths::build_kernels(&root)?
    };
    let offered = if needs_ours {
        ours::kernels_offered(&bin)?
    } else {
        Vec::new()
    };
    let needs_python = contestants
        .iter()
        .any(|c| matches!(c.engine, Engine::Python { .. }))
        || !seed_cells.is_empty();
    let venv_dir = a.venv.clone().unwrap_or_else(|| root.join(".venv"));
    let python = if needs_python {
        Some(venv::ensure(&root, &venv_dir)?.python)
    } else {
        None
    };
    let script = root.join("python").join("bench").join("fitbench.py");

    std::fs::create_dir_all(&out)?;
    let machine_json = out.join("machine.json");
    if !machine_json.is_file() {
        eprintln!("probing the machine into {}", machine_json.display());
        let version = crate::harness_version(&root);
        let v = machine::probe(&machine::ProbeOptions {
            machine_id: &id,
            python: python.as_deref(),
            kernel_probes: !a.quick_probe,
            harness_version: &version,
        });
        crate::io::write_json(&machine_json, &v)?;
    }
    let machine: Value = serde_json::from_str(&std::fs::read_to_string(&machine_json)?)
        .context("parsing machine.json")?;
    let probed = roofline::Probe::from_machine_json(&machine, "machine.json").and_then(|p| {
        p.fma_gflops
            .get(&a.threads)
            .copied()
            .or_else(|| p.fma_gflops.get(&1).map(|g| g * a.threads as f64))
    });
    let peak = a.peak_gflops.or(probed);
    let mut meta = json!({
        "command": std::env::args().map(|s| if s.contains(' ') { format!("'{s}'") } else { s })
            .collect::<Vec<_>>().join(" "),
        "commit": crate::record::commit(&root),
        "harness_version": crate::harness_version(&root),
        "machine_id": id,
        "started": now(),
        "finished": "",
        "state": "running",
        "shape": a.shape.name(),
        "seed": a.seed,
        "iterations": iterations,
        "repeats": a.repeats,
        "threads": a.threads,
        "fma_peak_gflops": peak,
        "fma_peak_source": if a.peak_gflops.is_some() { "--peak-gflops" } else { "machine.json (probe)" },
        "fma_peak_probed": probed,
        "flops_per_iteration": "2·n·k·d",
        "tolerance": {"f64": a.tol_f64, "f32": a.tol_f32},
        "kernels_offered": offered,
        "loadavg": [loadavg()],
        "processes": {},
    });
    let mut fits: Vec<FitRow> = Vec::new();
    let mut seeds: Vec<SeedRow> = Vec::new();
    let scratch = out.join("cache");

    for (ci, cell) in cells.iter().enumerate() {
        eprintln!("== {} ({iterations} iterations)", cell.label());
        let files = data::ensure(cell, a.shape, a.seed, &data_dir)?;
        let rows = Rows::load(&files.x, a.threads)?;
        // Round-robin, rotated by one per cell: slow drift of the machine favours no one.
        let mut order: Vec<&Contestant> = contestants.iter().collect();
        let shift = ci % order.len().max(1);
        order.rotate_left(shift);
        for c in order {
            if crate::measure::interrupted() {
                break;
            }
            let mut row = FitRow {
                cell: cell.to_string(),
                n: cell.n,
                d: cell.d,
                k: cell.k,
                contestant: c.name.clone(),
                precision: c.precision.name().into(),
                threads: a.threads,
                iterations,
                repeats: a.repeats,
                load_1m: load_1m(),
                ..FitRow::default()
            };
            let result: Result<Measured> = match &c.engine {
                Engine::Ours { kernel } if !offered.iter().any(|k| k == kernel) => {
                    row.status = "skipped".into();
                    row.reason = format!(
                        "this kmeans binary has no --kernel {kernel} (it offers {})",
                        offered.join(", ")
                    );
                    eprintln!("   {}: skipped ({})", c.name, row.reason);
                    fits.push(row);
                    continue;
                }
                Engine::Ours { kernel } => ours::run(&ours::Job {
                    bin: &bin,
                    x: &files.x,
                    init: Some(&files.init),
                    k: cell.k,
                    iterations,
                    precision: c.precision,
                    kernel,
                    threads: a.threads,
                    repeats: a.repeats,
                    seed: a.seed,
                    scratch: &scratch.join(&c.name),
                    timeout,
                }),
                Engine::Python { lib } => python::run(&python::Job {
                    python: python.as_deref().unwrap_or(Path::new("python3")),
                    script: &script,
                    lib,
                    mode: "fit",
                    x: &files.x,
                    init: Some(&files.init),
                    k: cell.k,
                    iterations,
                    repeats: a.repeats,
                    threads: a.threads,
                    seed: a.seed,
                    precision: c.precision,
                    scratch: &scratch.join(&c.name),
                    timeout,
                }),
            };
            match result {
                Ok(m) => {
                    fill(&mut row, &m, cell, peak);
                    row.inertia = Some(rows.inertia(&m.centers)?);
                    row.status = MEASURED.into();
                    eprintln!(
                        "   {}: {:.4} s/iter ({} iterations, {})",
                        c.name,
                        row.s_per_iter.unwrap_or(f64::NAN),
                        row.n_iter.unwrap_or(0),
                        row.detail
                    );
                    meta["processes"][format!("{cell} {}", c.name)] = m.extra;
                }
                Err(e) => {
                    row.status = "failed".into();
                    row.reason = format!("{e:#}");
                    eprintln!("   {}: failed: {}", c.name, row.reason);
                }
            }
            fits.push(row);
            // Tables in the order of the cells and the contestant list, not the run order.
            fits.sort_by_key(|r| (rank(&cells, &r.cell), rank_c(&contestants, &r.contestant)));
            let mut shown = fits.clone();
            report::check(&mut shown, tol);
            report::write(&out, &shown, &seeds, &meta)?;
        }
        if seed_cells.contains(cell) && !crate::measure::interrupted() {
            for who in spec::SEEDERS {
                seeds.push(seed_one(
                    who,
                    cell,
                    &a,
                    &bin,
                    python.as_deref(),
                    &script,
                    &files.x,
                    &rows,
                    &scratch,
                    timeout,
                    &mut meta,
                ));
                report::check_seeds(&mut seeds);
                let mut shown = fits.clone();
                report::check(&mut shown, tol);
                report::write(&out, &shown, &seeds, &meta)?;
            }
        }
        if let Some(l) = meta["loadavg"].as_array_mut() {
            l.push(json!(loadavg()));
        }
    }
    report::check(&mut fits, tol);
    report::check_seeds(&mut seeds);
    meta["finished"] = json!(now());
    meta["state"] = json!(if crate::measure::interrupted() {
        "interrupted"
    } else {
        "complete"
    });
    if let Some(l) = meta["loadavg"].as_array_mut() {
        l.push(json!(loadavg()));
    }
    report::write(&out, &fits, &seeds, &meta)?;
    let _ = std::fs::remove_dir_all(&scratch);
    println!("{}", out.join("README.md").display());
    let wrong = fits.iter().filter(|r| r.status == "wrong").count();
    if wrong > 0 {
        eprintln!("note: {wrong} contestant(s) gave a wrong answer (see the check column)");
    }
    Ok(())
}

fn rank(cells: &[Cell], cell: &str) -> usize {
    cells
        .iter()
        .position(|c| c.to_string() == cell)
        .unwrap_or(usize::MAX)
}

fn rank_c(contestants: &[Contestant], name: &str) -> usize {
    contestants
        .iter()
        .position(|c| c.name == name)
        .unwrap_or(usize::MAX)
}

/// The time columns of a measured row.
fn fill(row: &mut FitRow, m: &Measured, cell: &Cell, peak: Option<f64>) {
    row.repeats = m.times.len();
    row.fit_s = crate::stats::median(&m.times);
    row.fit_s_all = m
        .times
        .iter()
        .map(|t| format!("{t:.6}"))
        .collect::<Vec<_>>()
        .join(";");
    row.n_iter = m.n_iter;
    row.s_per_iter = match (row.fit_s, m.n_iter) {
        (Some(t), Some(i)) if i > 0 => Some(t / i as f64),
        _ => None,
    };
    row.gflops = row.s_per_iter.map(|t| cell.flops_per_iteration() / t / 1e9);
    row.frac_fma_peak = frac_of_peak(row, peak);
    row.inertia_own = Some(m.inertia_own).filter(|v| v.is_finite());
    row.detail = m.detail.clone();
}

/// `gflops` over the f64 FMA `peak`, or twice it for an f32 row (twice the lanes).
fn frac_of_peak(row: &FitRow, peak: Option<f64>) -> Option<f64> {
    let lanes = if row.precision == "f32" { 2.0 } else { 1.0 };
    match (row.gflops, peak) {
        (Some(g), Some(p)) if p > 0.0 => Some(g / (p * lanes)),
        _ => None,
    }
}

/// `--report-only`: the folder's tables again from its `modern.json`.
fn report_only(
    out: &Path,
    peak: Option<f64>,
    tol: Tolerance,
    contestants: &[Contestant],
) -> Result<()> {
    let path = out.join("modern.json");
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))?;
    let mut meta = v.get("meta").cloned().unwrap_or_else(|| json!({}));
    let mut fits: Vec<FitRow> = serde_json::from_value(v["fit"].clone())?;
    let seeds: Vec<SeedRow> = serde_json::from_value(v["seeding"].clone())?;
    // Cells in the order they were run, contestants in the order of the list.
    let mut cells: Vec<String> = Vec::new();
    for r in &fits {
        if !cells.contains(&r.cell) {
            cells.push(r.cell.clone());
        }
    }
    fits.sort_by_key(|r| {
        (
            cells.iter().position(|c| c == &r.cell),
            rank_c(contestants, &r.contestant),
        )
    });
    if let Some(p) = peak {
        meta["fma_peak_gflops"] = json!(p);
        meta["fma_peak_source"] = json!("--peak-gflops");
    }
    let peak = meta.get("fma_peak_gflops").and_then(Value::as_f64);
    for r in &mut fits {
        r.frac_fma_peak = frac_of_peak(r, peak);
        // The check again from the measured state.
        if r.status == "ok" || r.status == "wrong" {
            r.status = MEASURED.into();
            r.reason.clear();
            r.speedup_vs_sklearnex = None;
            r.speedup_vs_faiss = None;
        }
    }
    meta["tolerance"] = json!({"f64": tol.f64, "f32": tol.f32});
    meta["report_command"] = json!(std::env::args().collect::<Vec<_>>().join(" "));
    report::check(&mut fits, tol);
    report::write(out, &fits, &seeds, &meta)?;
    println!("{}", out.join("README.md").display());
    Ok(())
}

/// Times one contestant's greedy k-means++ seeding of `cell`.
#[allow(clippy::too_many_arguments)]
fn seed_one(
    who: &str,
    cell: &Cell,
    a: &ModernArgs,
    bin: &Path,
    python: Option<&Path>,
    script: &Path,
    x: &Path,
    rows: &Rows,
    scratch: &Path,
    timeout: Duration,
    meta: &mut Value,
) -> SeedRow {
    let mut row = SeedRow {
        cell: cell.to_string(),
        n: cell.n,
        d: cell.d,
        k: cell.k,
        contestant: who.to_string(),
        threads: a.threads,
        repeats: a.seed_repeats,
        load_1m: load_1m(),
        ..SeedRow::default()
    };
    let dir = scratch.join(format!("seed-{who}"));
    let result = if who == "kmeans" {
        ours::run(&ours::Job {
            bin,
            x,
            init: None,
            k: cell.k,
            iterations: 1,
            precision: Precision::F64,
            kernel: "auto",
            threads: a.threads,
            repeats: a.seed_repeats,
            seed: a.seed,
            scratch: &dir,
            timeout,
        })
    } else {
        python::run(&python::Job {
            python: python.unwrap_or(Path::new("python3")),
            script,
            lib: who,
            mode: "seed",
            x,
            init: None,
            k: cell.k,
            iterations: 0,
            repeats: a.seed_repeats,
            threads: a.threads,
            seed: a.seed,
            precision: Precision::F64,
            scratch: &dir,
            timeout,
        })
    };
    match result {
        Ok(m) => {
            row.repeats = m.times.len();
            row.seed_s = crate::stats::median(&m.times);
            row.seed_s_all = m
                .times
                .iter()
                .map(|t| format!("{t:.6}"))
                .collect::<Vec<_>>()
                .join(";");
            row.potential = rows.inertia(&m.centers).ok();
            row.potential_of = if who == "kmeans" {
                "after 1 iteration".into()
            } else {
                "seeds".into()
            };
            row.detail = m.detail.clone();
            row.status = "ok".into();
            eprintln!(
                "   seeding {who}: {:.3} s ({})",
                row.seed_s.unwrap_or(f64::NAN),
                row.detail
            );
            meta["processes"][format!("{cell} seeding {who}")] = m.extra;
        }
        Err(e) => {
            row.status = "failed".into();
            row.reason = format!("{e:#}");
            eprintln!("   seeding {who}: failed: {}", row.reason);
        }
    }
    row
}

fn now() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output();
    out.ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn measure_interrupts() -> Result<()> {
    crate::measure::install_interrupt_handler()
}
