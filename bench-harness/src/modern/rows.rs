//! What one contestant process hands back ([`Measured`]) and the rows of the results
//! files ([`FitRow`], [`SeedRow`]). A leaf module.

use serde::{Deserialize, Serialize};

/// What the runs of one contestant on one cell measured.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Fit (or seeding) time of every repeat, seconds, measured inside the process.
    pub times: Vec<f64>,
    /// Iterations the last fit ran.
    pub n_iter: Option<usize>,
    /// The final centers (or the seeds), `k × d` row-major.
    pub centers: Vec<f64>,
    /// The contestant's own inertia (NaN when it reports none).
    pub inertia_own: f64,
    /// What ran: our kernel and ISA level, or the BLAS/OpenMP libraries (threadpoolctl).
    pub detail: String,
    /// Everything else worth keeping (versions, threadpoolctl's report, sklearnex's
    /// dispatch log, our summary's settings).
    pub extra: serde_json::Value,
}

/// One row of `modern.csv`: one contestant on one cell.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FitRow {
    /// Cell, e.g. `100kx128x256`.
    pub cell: String,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Clusters.
    pub k: usize,
    /// Contestant.
    pub contestant: String,
    /// `f64` / `f32`.
    pub precision: String,
    /// Threads allowed.
    pub threads: usize,
    /// Iterations asked for (max_iter, tol = 0).
    pub iterations: usize,
    /// Iterations the fit ran (read back).
    pub n_iter: Option<usize>,
    /// Repeats timed.
    pub repeats: usize,
    /// Median fit time, seconds.
    pub fit_s: Option<f64>,
    /// Every repeat's fit time, `;`-separated.
    pub fit_s_all: String,
    /// `fit_s / n_iter`.
    pub s_per_iter: Option<f64>,
    /// `2·n·k·d / s_per_iter / 1e9`.
    pub gflops: Option<f64>,
    /// `gflops` / the FMA peak at `threads` (f64 peak; twice it for f32 rows: twice
    /// the lanes).
    pub frac_fma_peak: Option<f64>,
    /// sklearnex's `s_per_iter` / this one's (> 1: faster than sklearnex).
    pub speedup_vs_sklearnex: Option<f64>,
    /// faiss's `s_per_iter` / this one's.
    pub speedup_vs_faiss: Option<f64>,
    /// Inertia of the final centers, evaluated by the harness in float64 (each row to
    /// its nearest center, canonical distances).
    pub inertia: Option<f64>,
    /// The contestant's own reported inertia.
    pub inertia_own: Option<f64>,
    /// Which contestant the inertia is compared with.
    pub reference: String,
    /// `|inertia − reference's| / reference's`.
    pub inertia_rel_diff: Option<f64>,
    /// The tolerance applied (looser for float32).
    pub tolerance: Option<f64>,
    /// `ok`, `wrong` (inertia off, or fewer iterations than asked), `failed`,
    /// `skipped`.
    pub status: String,
    /// Why not `ok`.
    pub reason: String,
    /// Kernel and ISA level (ours) or BLAS/OpenMP libraries (Python).
    pub detail: String,
    /// 1-minute load average before the contestant ran.
    pub load_1m: Option<f64>,
}

/// One row of `seeding.csv`: greedy k-means++ of one contestant on one cell.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedRow {
    /// Cell, e.g. `100kx128x256`.
    pub cell: String,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Clusters.
    pub k: usize,
    /// Contestant.
    pub contestant: String,
    /// Threads allowed.
    pub threads: usize,
    /// Repeats timed (each with its own random seed).
    pub repeats: usize,
    /// Median seeding time, seconds.
    pub seed_s: Option<f64>,
    /// Every repeat's time, `;`-separated.
    pub seed_s_all: String,
    /// scikit-learn's median / this one's.
    pub speedup_vs_sklearn: Option<f64>,
    /// Potential (inertia) of the seeds of the last repeat, evaluated by the harness;
    /// for ours, the inertia after one Lloyd iteration from its seeds (the binary does
    /// not hand back the seeds), which is at most the seeds' potential.
    pub potential: Option<f64>,
    /// What `potential` is: `seeds` or `after 1 iteration`.
    pub potential_of: String,
    /// `ok`, `failed`, `skipped`.
    pub status: String,
    /// Why not `ok`.
    pub reason: String,
    /// Kernel/ISA or BLAS.
    pub detail: String,
    /// 1-minute load average before the contestant ran.
    pub load_1m: Option<f64>,
}
