//! The contestants and how each one is invoked. Every contestant gets
//! `--input X.csv --output OUT.csv --k-max K --seed S` (k-min 1: the full elbow sweep),
//! plus its own fixed flags, and, with `--init-centers`, that file.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Names of the built-in contestants, in table order.
pub const BUILTIN: [&str; 9] = [
    "numpy",
    "numpy-tuned",
    "sklearn",
    "rust-aos-serial",
    "rust-aos-rayon",
    "rust-flat",
    "faiss",
    "sklearnex",
    "rust-py",
];

/// Environment variables removed from benchmarked Python processes: they slow current
/// OpenBLAS (DESIGN.md).
pub const PYTHON_ENV_REMOVED: [&str; 2] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

/// Whether an environment variable changes how glibc's allocator behaves (`MALLOC_*`,
/// `GLIBC_TUNABLES`): such variables are removed from every contestant's environment,
/// so an allocator setting in the user's shell cannot decide a comparison
/// (perf-reports/BIAS.md); `numpy-tuned` then sets its own.
pub fn is_allocator_env(name: &str) -> bool {
    name.starts_with("MALLOC_") || name == "GLIBC_TUNABLES"
}

/// The allocator variables of the harness's own environment (removed for contestants).
pub fn allocator_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| is_allocator_env(k))
        .collect()
}

/// Exit status with which an optional baseline says its package is not installed.
pub const EXIT_MISSING_OPTIONAL: i32 = 3;

/// glibc malloc settings of the `numpy-tuned` contestant (perf-reports/BIAS.md): never
/// serve a block with `mmap` and never give the heap top back to the OS, so the seed's
/// per-centroid temporaries (n × d × 8 bytes each, allocated and freed k times per
/// iteration) are reused instead of being unmapped and faulted in again.
pub const NUMPY_TUNED_ENV: [(&str, &str); 2] = [
    ("MALLOC_MMAP_MAX_", "0"),
    ("MALLOC_TRIM_THRESHOLD_", "68719476736"),
];

/// How a contestant is started.
#[derive(Clone, Debug)]
pub enum Kind {
    /// The project's `kmeans` binary with these flags; `threads` as given to `--threads`
    /// (0 = all cores).
    Rust {
        /// Flags after the binary (layout, init).
        flags: Vec<&'static str>,
        /// `--threads` value (0: all cores).
        threads: usize,
    },
    /// A script in `baselines/`, run with the venv's Python.
    Python {
        /// Script under `baselines/`.
        script: &'static str,
        /// Skipped with a note when its package is not installed (exit 3).
        optional: bool,
        /// Extra environment (the `numpy-tuned` allocator settings).
        env: &'static [(&'static str, &'static str)],
    },
    /// Any command (hidden `--contestant-cmd NAME=CMD`, for tests): argv prefix.
    Custom {
        /// The command, split on whitespace.
        argv: Vec<String>,
    },
}

/// A contestant.
#[derive(Clone, Debug)]
pub struct Contestant {
    /// Name in `runs.csv` and the tables.
    pub name: String,
    /// How it is started.
    pub kind: Kind,
}

/// Paths the commands need.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    /// The release `kmeans` binary.
    pub kmeans: PathBuf,
    /// The venv's Python interpreter.
    pub python: PathBuf,
    /// The `baselines/` folder of the Python scripts.
    pub baselines: PathBuf,
}

/// One invocation.
#[derive(Clone, Debug)]
pub struct Job<'a> {
    /// Input CSV.
    pub input: &'a Path,
    /// Where the contestant writes its answer.
    pub output: &'a Path,
    /// Largest k of the sweep.
    pub k_max: usize,
    /// Seed of the contestant's initialisation.
    pub seed: u64,
    /// Fixed initial centers (`--init-centers`), when given.
    pub init_centers: Option<&'a Path>,
    /// Overrides the Rust contestants' `--threads` (the thread sweep).
    pub threads: Option<usize>,
}

impl Contestant {
    /// A built-in contestant by name.
    pub fn builtin(name: &str) -> Option<Self> {
        let kind = match name {
            "rust-aos-serial" => Kind::Rust {
                flags: vec!["--layout", "aos", "--init", "k-means++"],
                threads: 1,
            },
            "rust-aos-rayon" => Kind::Rust {
                flags: vec!["--layout", "aos", "--init", "k-means++"],
                threads: 0,
            },
            "rust-flat" => Kind::Rust {
                flags: vec!["--layout", "flat"],
                threads: 0,
            },
            "numpy" => Kind::Python {
                script: "kmeans_numpy.py",
                optional: false,
                env: &[],
            },
            "numpy-tuned" => Kind::Python {
                script: "kmeans_numpy.py",
                optional: false,
                env: &NUMPY_TUNED_ENV,
            },
            "sklearn" => Kind::Python {
                script: "kmeans_sklearn.py",
                optional: false,
                env: &[],
            },
            "faiss" => Kind::Python {
                script: "kmeans_faiss.py",
                optional: true,
                env: &[],
            },
            "sklearnex" => Kind::Python {
                script: "kmeans_sklearnex.py",
                optional: true,
                env: &[],
            },
            // The kmeans_roofline package (python/), installed by scripts/venv.sh;
            // skipped when the venv does not have it.
            "rust-py" => Kind::Python {
                script: "kmeans_rust_py.py",
                optional: true,
                env: &[],
            },
            _ => return None,
        };
        Some(Self {
            name: name.to_string(),
            kind,
        })
    }

    /// A custom contestant from `NAME=CMD` (CMD split on whitespace).
    pub fn custom(spec: &str) -> Result<Self> {
        let Some((name, cmd)) = spec.split_once('=') else {
            bail!("--contestant-cmd expects NAME=CMD, got `{spec}`");
        };
        let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if name.trim().is_empty() || argv.is_empty() {
            bail!("--contestant-cmd expects NAME=CMD, got `{spec}`");
        }
        Ok(Self {
            name: name.trim().to_string(),
            kind: Kind::Custom { argv },
        })
    }

    /// Whether it runs with the venv's Python.
    pub fn needs_python(&self) -> bool {
        matches!(self.kind, Kind::Python { .. })
    }

    /// Whether it runs the project's `kmeans` binary.
    pub fn needs_kmeans(&self) -> bool {
        matches!(self.kind, Kind::Rust { .. })
    }

    /// Whether exit status 3 means "not installed, skip me".
    pub fn is_optional(&self) -> bool {
        matches!(self.kind, Kind::Python { optional: true, .. })
    }

    /// Threads the contestant may use on a machine with `cores` cores.
    pub fn threads(&self, cores: usize, sweep: Option<usize>) -> usize {
        match (&self.kind, sweep) {
            (Kind::Rust { .. }, Some(t)) => t,
            (Kind::Rust { threads: 0, .. }, None) => cores,
            (Kind::Rust { threads, .. }, None) => *threads,
            _ => cores,
        }
    }

    /// The command for `job`, without redirections.
    pub fn command(&self, tools: &Tools, job: &Job) -> Command {
        let mut cmd = match &self.kind {
            Kind::Rust { flags, threads } => {
                let mut c = Command::new(&tools.kmeans);
                c.args(flags);
                c.arg("--threads")
                    .arg(job.threads.unwrap_or(*threads).to_string());
                c
            }
            Kind::Python { script, env, .. } => {
                let mut c = Command::new(&tools.python);
                c.arg(tools.baselines.join(script));
                for var in PYTHON_ENV_REMOVED {
                    c.env_remove(var);
                }
                c.envs(env.iter().copied());
                c
            }
            Kind::Custom { argv } => {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]);
                c
            }
        };
        for (k, _) in allocator_env() {
            if !cmd.get_envs().any(|(e, v)| e == k.as_str() && v.is_some()) {
                cmd.env_remove(k);
            }
        }
        cmd.arg("--input").arg(job.input);
        cmd.arg("--output").arg(job.output);
        cmd.arg("--k-max").arg(job.k_max.to_string());
        cmd.arg("--seed").arg(job.seed.to_string());
        if let Some(c) = job.init_centers {
            cmd.arg("--init-centers").arg(c);
        }
        cmd
    }
}

/// Resolves `--contestants` (comma-separated names; `all` for every built-in) and the
/// custom `NAME=CMD` specs. Without a list: every built-in plus every custom one.
pub fn select(names: Option<&[String]>, custom: &[String]) -> Result<Vec<Contestant>> {
    let customs: Vec<Contestant> = custom
        .iter()
        .map(|s| Contestant::custom(s))
        .collect::<Result<_>>()?;
    let Some(names) = names else {
        let mut all: Vec<Contestant> = BUILTIN
            .iter()
            .filter_map(|n| Contestant::builtin(n))
            .collect();
        all.extend(customs);
        return Ok(all);
    };
    let mut out: Vec<Contestant> = Vec::new();
    for name in names.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if name == "all" {
            out.extend(BUILTIN.iter().filter_map(|n| Contestant::builtin(n)));
        } else if let Some(c) = customs.iter().find(|c| c.name == name) {
            out.push(c.clone());
        } else if let Some(c) = Contestant::builtin(name) {
            out.push(c);
        } else {
            bail!(
                "unknown contestant `{name}` (known: {})",
                BUILTIN.join(", ")
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.name.clone()));
    if out.is_empty() {
        bail!("no contestants selected");
    }
    Ok(out)
}

/// The command line as text, for the `command` column (paths shortened to file names
/// for the data, output and init files).
pub fn describe(cmd: &Command) -> String {
    let prog = Path::new(cmd.get_program())
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, v?.to_str()?)))
        .collect();
    parts.push(prog);
    for a in cmd.get_args() {
        let p = Path::new(a);
        let s = if p.is_absolute() {
            p.file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            a.to_string_lossy().into_owned()
        };
        parts.push(s);
    }
    parts.join(" ")
}
