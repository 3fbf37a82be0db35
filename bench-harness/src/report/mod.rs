//! Reports from results folders: `report` (REPORT.md, SVG figures, dashboard.html and
//! the README section), `compare` (the same cells across machines) and `import-seed`
//! (the seed study's published runs as a results folder).
//!
//! Every number is computed from `runs.csv` / `threads.csv`, never typed in; the
//! definitions are stated in the generated REPORT.md (see [`sections::overview::GLANCE_DEFINITIONS`]).

pub mod analysis;
pub mod compare;
pub mod dashboard;
pub mod data;
pub mod fmt;
pub mod import_seed;
pub mod palette;
pub mod readme;
pub mod sections;
pub mod svg;

use anyhow::{bail, Context, Result};

/// Prints a line to stdout, ignoring a closed pipe (`… | head` must not panic).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
use clap::Args;
use std::path::{Component, Path, PathBuf};

/// `bench-harness report [DIR] [--readme README.md]`.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Results folder with runs.csv (and machine.json, threads.csv) [default: perf-reports/<this machine's id>].
    pub dir: Option<PathBuf>,
    /// Also regenerate the section between `<!-- results:start -->` and `<!-- results:end -->` of this README.
    #[arg(long)]
    pub readme: Option<PathBuf>,
    /// Lloyd iterations per fit assumed by the roofline's flop estimate (no counts are recorded).
    #[arg(long, default_value_t = sections::roofline::DEFAULT_ITERATIONS)]
    pub assumed_iterations: f64,
}

/// `bench-harness compare DIR_A DIR_B …`.
#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Results folders; the first is the base every other is compared with.
    #[arg(required = true, num_args = 2..)]
    pub dirs: Vec<PathBuf>,
    /// Output folder for COMPARE.md, compare.csv and compare.svg (default:
    /// `DIR_A/compare-<other machines>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Refuse (exit 1, nothing written) when the folders' Rust contestants did not all
    /// run the same commit (their ratios would mix code and hardware).
    #[arg(long)]
    pub same_code: bool,
}

/// `bench-harness import-seed`.
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// The seed's runs [default: ../shared/reference/seed_m4max_runs.csv beside the project].
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Results folder to write [default: perf-reports/apple-m4-max-14c].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a runs.csv that was not made by an import.
    #[arg(long)]
    pub force: bool,
}

/// What `report` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// REPORT.md.
    pub report: PathBuf,
    /// dashboard.html.
    pub dashboard: PathBuf,
    /// The figures written.
    pub figures: Vec<PathBuf>,
    /// The README whose section was regenerated.
    pub readme: Option<PathBuf>,
}

/// Writes REPORT.md, figures/*.svg and dashboard.html into the folder (and the README
/// section with `--readme`).
pub fn report_cmd(args: ReportArgs) -> Result<()> {
    let w = generate(&args)?;
    say!("{}", w.report.display());
    say!("{}", w.dashboard.display());
    for f in &w.figures {
        say!("{}", f.display());
    }
    if let Some(r) = &w.readme {
        say!("{} (results section)", r.display());
    }
    Ok(())
}

/// The work of [`report_cmd`], returning the paths written.
pub fn generate(args: &ReportArgs) -> Result<Written> {
    if !(args.assumed_iterations.is_finite() && args.assumed_iterations > 0.0) {
        bail!("--assumed-iterations must be a positive number");
    }
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => crate::paths::default_machine_dir(
            &crate::paths::project_root(),
            &crate::machine::machine_id(),
        ),
    };
    let folder = data::load_folder(&dir)?;
    for (line, why) in &folder.runs.skipped {
        eprintln!("note: {}:{line} skipped: {why}", folder.runs.path.display());
    }
    if folder.runs.runs.is_empty() {
        bail!("{} has no usable runs", folder.runs.path.display());
    }
    let a = analysis::Analysis::new(
        &folder.runs.runs,
        folder.threads.as_ref().map(|t| t.runs.as_slice()),
    );
    let fig_dir = dir.join("figures");
    std::fs::create_dir_all(&fig_dir).with_context(|| format!("creating {}", fig_dir.display()))?;
    let drawn = sections::draw(&folder, &a, args.assumed_iterations)?;
    let mut written = Vec::new();
    let mut names = Vec::new();
    for (name, svg) in drawn {
        let path = fig_dir.join(name);
        match svg {
            Some(text) => {
                crate::io::write_atomic(&path, &text)?;
                written.push(path);
                names.push(name.to_string());
            }
            // A figure this data cannot have (no numpy, no threads.csv): remove a stale one.
            None => {
                if path.is_file() {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("removing stale {}", path.display()))?;
                }
            }
        }
    }
    let text = sections::report(
        &folder,
        &a,
        &sections::TextOptions {
            iterations: args.assumed_iterations,
            figures: &names,
        },
    );
    let report = dir.join("REPORT.md");
    crate::io::write_atomic(&report, &text)?;
    let dashboard = dir.join("dashboard.html");
    crate::io::write_atomic(&dashboard, dashboard::html(&dashboard::data(&folder, &a)))?;
    let readme = match &args.readme {
        Some(path) => {
            let old = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let base = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| Path::new("."));
            let rel = relative(base, &dir);
            let section = readme::readme_section(&folder, &a, &rel, &names);
            let new = readme::replace_between_markers(&old, &section)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            if new != old {
                crate::io::write_atomic(path, &new)?;
            }
            Some(path.clone())
        }
        None => None,
    };
    Ok(Written {
        report,
        dashboard,
        figures: written,
        readme,
    })
}

/// `to` relative to the folder `from`, with `/` separators (absolute when they share no root).
pub fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (f, t) = (abs(from), abs(to));
    let fc: Vec<Component> = f.components().collect();
    let tc: Vec<Component> = t.components().collect();
    let common = fc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return t.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".to_string(); fc.len() - common];
    parts.extend(
        tc[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Compares the folders and writes COMPARE.md, compare.csv and compare.svg.
pub fn compare_cmd(args: CompareArgs) -> Result<()> {
    let done = compare_folders(&args)?;
    for w in &done.code_warnings {
        say!("warning: not the same code: {w}");
    }
    say!("{}", done.out.join("COMPARE.md").display());
    say!("{}", done.out.join("compare.svg").display());
    say!("{}", done.out.join("compare.csv").display());
    Ok(())
}

/// What `compare` wrote.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The folder of COMPARE.md, compare.csv and compare.svg.
    pub out: PathBuf,
    /// Per other folder whose Rust contestants ran other code than the base's, why
    /// (also at the top of COMPARE.md).
    pub code_warnings: Vec<String>,
}

/// The work of [`compare_cmd`], returning the output folder.
pub fn compare_to(args: &CompareArgs) -> Result<PathBuf> {
    Ok(compare_folders(args)?.out)
}

/// The work of [`compare_cmd`]: the output folder and the code warnings. With
/// `same_code`, an error (and nothing written) when the Rust contestants' code differs.
pub fn compare_folders(args: &CompareArgs) -> Result<Compared> {
    if args.dirs.len() < 2 {
        bail!("compare needs at least two results folders");
    }
    let sides = compare::load(&args.dirs)?;
    if args.same_code {
        let diffs: Vec<String> = sides[1..]
            .iter()
            .filter_map(|o| compare::code_difference(&sides[0], o))
            .collect();
        if !diffs.is_empty() {
            bail!(
                "--same-code: {}; compare folders measured with the same commit, or drop --same-code to compare anyway (COMPARE.md then says so)",
                diffs.join("; ")
            );
        }
    }
    let o = compare::build(&sides)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| compare::default_out(&args.dirs[0], &sides));
    compare::write(&out, &o)?;
    Ok(Compared {
        out,
        code_warnings: o.code_warnings,
    })
}

/// Converts the seed's published runs into a results folder.
pub fn import_seed_cmd(args: ImportArgs) -> Result<()> {
    let root = crate::paths::project_root();
    let input = args.input.clone().unwrap_or_else(|| {
        root.parent()
            .unwrap_or(&root)
            .join("shared")
            .join("reference")
            .join("seed_m4max_runs.csv")
    });
    if !input.is_file() {
        bail!("{} does not exist (pass --input)", input.display());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::paths::default_machine_dir(&root, &import_seed::machine_id()));
    let imported = import_seed::convert(&input)?;
    import_seed::write(&out, &imported, args.force)?;
    say!(
        "{} rows from {} -> {}",
        imported.rows.len(),
        input.display(),
        out.join("runs.csv").display()
    );
    say!("{}", out.join("machine.json").display());
    Ok(())
}
