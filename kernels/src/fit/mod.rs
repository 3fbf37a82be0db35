//! Fitting k-means: Lloyd's algorithm with scikit-learn's semantics (`sklearn.cluster.KMeans`,
//! `algorithm="lloyd"`), so results compare one to one:
//!
//! * `tol` is relative: the absolute threshold is `tol × mean per-feature variance`;
//! * each iteration assigns every point to its nearest center and recomputes the
//!   centers as means (`sum × (1 / count)`); it stops when no label changed (strict
//!   convergence) or when the sum of squared center shifts is `≤ tol`, or after
//!   `max_iter` iterations;
//! * if it stopped without strict convergence, labels are recomputed once from the
//!   final centers, so labels and centers agree;
//! * an empty cluster takes the point farthest from its current center (largest
//!   distance first, lowest row index on ties), as `_relocate_empty_clusters`;
//! * the reported inertia is `Σ dist2(x_i, c_{label_i})`, recomputed at the end.
//!
//! The assignment step computes every distance (Lloyd) or prunes with Hamerly's or
//! Elkan's bounds ([`Algorithm`]); all give the same labels bit for bit. As
//! scikit-learn's `_k_means_lloyd`, `_k_means_elkan` and `_k_means_common`, one file
//! per concern:
//!
//! * [`work`]: the chunked, deterministic work scheme and Lloyd's assignment pass.
//! * [`bounds`]: what the bounded algorithms know of the centers.
//! * [`hamerly`], [`elkan`]: the bounded assignment passes.
//! * [`relocate`]: empty clusters; [`inertia`](mod@inertia): the inertia and the final labels.
//! * [`lloyd`](mod@lloyd): the iteration; [`n_init`]: several starts, [`fit_with`].
//!
//! Work is cut into chunks of [`CHUNK_ROWS`] rows; each chunk accumulates its own
//! sums, merged in chunk order, so results are bit-identical for every thread count.

pub mod bounds;
pub mod elkan;
pub mod hamerly;
pub mod inertia;
pub mod lloyd;
pub mod n_init;
pub mod relocate;
pub mod work;

pub use inertia::{inertia, inertia_weighted};
pub use lloyd::{lloyd, lloyd_weighted};
pub(crate) use n_init::fit_with_tol;
pub use n_init::{fit, fit_with, FitOptions};
pub use work::CHUNK_ROWS;

use crate::exec::Exec;
use crate::layout::Layout;

/// How the assignment step finds each point's nearest center. Every choice gives the
/// same labels, centers and inertia bit for bit (the canonical argmin of `dist2`). On a
/// layout that is not canonical f64 ([`Layout::canonical_f64`], the f32 layout) the
/// bounds do not apply and Lloyd runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    /// Every distance, every iteration (the blocked SIMD kernel).
    #[default]
    Lloyd,
    /// Hamerly's bounds: per point an upper bound on the distance to its center and a
    /// lower bound on the distance to every other center, plus half the distance from
    /// each center to its nearest other center; a point whose bounds prove its label
    /// cannot change is skipped (its sums are still accumulated, in row order).
    /// 16 bytes per point.
    Hamerly,
    /// Elkan's bounds (2003): per point an upper bound on the distance to its center
    /// and a lower bound on the distance to each center (`8·n·k` bytes, plus 8 per
    /// point), plus half the distance between every two centers (`k × k`, recomputed
    /// after each update). A point is skipped when its upper bound is below half the
    /// distance from its center to the nearest other; otherwise only the centers whose
    /// bounds do not exclude them are measured (with the vectorized canonical distance).
    /// Every bound is widened by the rounding of the canonical distance, as Hamerly's.
    Elkan,
}

impl std::str::FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lloyd" => Ok(Algorithm::Lloyd),
            "hamerly" => Ok(Algorithm::Hamerly),
            "elkan" => Ok(Algorithm::Elkan),
            other => Err(format!(
                "unknown algorithm `{other}` (lloyd, hamerly, elkan, auto)"
            )),
        }
    }
}

/// What `--algorithm auto` runs for `n × d` data and sweeps up to `k_max`, from the
/// measurements in BENCHMARKS.md: Hamerly where its bounds prune well and a distance
/// is cheap to skip relative to the bookkeeping (d ≤ 4, or d ≤ 16 with k ≥ 64);
/// the blocked SIMD Lloyd elsewhere, where the fused kernel computes all k distances
/// of a row for little more than Hamerly's tests cost (and blobs converge in a few
/// iterations after greedy k-means++, so there is little to prune). Never Elkan: on
/// the benchmark grid it was slower than Lloyd except on blobs with d ≥ 64 and
/// k = 128, where Hamerly is about as fast, and it needs `8·n·k` bytes.
pub fn auto_algorithm(_n: usize, d: usize, k_max: usize) -> Algorithm {
    if k_max > 1 && (d <= 4 || (d <= 16 && k_max >= 64)) {
        Algorithm::Hamerly
    } else {
        Algorithm::Lloyd
    }
}

/// Stopping rule and limits.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Iteration limit.
    pub max_iter: usize,
    /// Relative tolerance (scikit-learn's `tol`).
    pub tol: f64,
    /// The assignment algorithm (results do not depend on it).
    pub algorithm: Algorithm,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_iter: 300,
            tol: 1e-4,
            algorithm: Algorithm::Lloyd,
        }
    }
}

/// The outcome of one fit at the level of the fit module (the library API wraps it
/// in [`crate::Fit`]).
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Number of clusters.
    pub k: usize,
    /// One label per row, `0..k`.
    pub labels: Vec<u32>,
    /// `k × d` row-major.
    pub centers: Vec<f64>,
    /// `Σ w_i · dist2(x_i, c_{label_i})` (`w_i = 1` without weights).
    pub inertia: f64,
    /// Iterations run (of the best start).
    pub iterations: usize,
    /// Stopped by the tolerance or unchanged labels, not by `max_iter`.
    pub converged: bool,
    /// Seconds spent choosing initial centers (summed over the starts).
    pub init_seconds: f64,
    /// Seconds spent iterating (summed over the starts).
    pub iter_seconds: f64,
    /// The absolute tolerance the fit used.
    pub tol_abs: f64,
}

/// scikit-learn's absolute tolerance: `tol × mean(var(X, axis=0))`, with the variance
/// computed in two passes over fixed-size chunks (deterministic).
pub fn absolute_tol<L: Layout>(x: &L, exec: &Exec, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let n = x.n();
    let d = x.d();
    let n_chunks = n.div_ceil(CHUNK_ROWS);
    let mut parts = vec![vec![0.0f64; d]; n_chunks];
    exec.for_each(&mut parts, |c, s| {
        let mut buf = Vec::new();
        for i in c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n) {
            for (a, v) in s.iter_mut().zip(x.row(i, &mut buf)) {
                *a += v;
            }
        }
    });
    let mut mean = vec![0.0f64; d];
    for p in &parts {
        for (a, v) in mean.iter_mut().zip(p) {
            *a += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    absolute_tol_about(x, exec, tol, &mean)
}

/// [`absolute_tol`]'s second pass, from the column means of its first (which the
/// fit's scan of the input finds bit for bit the same).
pub(crate) fn absolute_tol_about<L: Layout>(x: &L, exec: &Exec, tol: f64, means: &[f64]) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let n = x.n();
    let d = x.d();
    let mut parts = vec![vec![0.0f64; d]; n.div_ceil(CHUNK_ROWS)];
    exec.for_each(&mut parts, |c, s| {
        let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
        work::deviations(x, rows, means, s);
    });
    let mut var = vec![0.0f64; d];
    for p in &parts {
        for (a, v) in var.iter_mut().zip(p) {
            *a += v;
        }
    }
    tol_from_deviations(&var, n, tol)
}

/// `tol × mean(var)` from the per-feature sums of squared deviations over `n` rows.
pub(crate) fn tol_from_deviations(var: &[f64], n: usize, tol: f64) -> f64 {
    let mean_var = var.iter().map(|v| v / n as f64).sum::<f64>() / var.len() as f64;
    mean_var * tol
}

/// The absolute tolerance of a fit: known, or found from the column means during
/// the first assignment pass (the variance's pass over the data folded into it;
/// bit for bit [`absolute_tol`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tol<'a> {
    /// Known.
    Abs(f64),
    /// `tol ×` the mean variance about these column means, to be found.
    Means {
        /// The relative tolerance.
        tol: f64,
        /// The column means (of the values the layout holds).
        means: &'a [f64],
    },
}

impl Tol<'_> {
    /// The tolerance now, by its own pass when it is not known yet.
    pub(crate) fn resolve<L: Layout>(self, x: &L, exec: &Exec) -> f64 {
        match self {
            Tol::Abs(t) => t,
            Tol::Means { tol, means } => absolute_tol_about(x, exec, tol, means),
        }
    }
}
