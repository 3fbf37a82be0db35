//! The `--summary` JSON document.
//!
//! Everything in it is bit-identical for every thread count and run except the
//! measurements of time (`timings`, `seconds`, `init_seconds`, `iter_seconds`) and
//! the `threads` actually used.

use serde::{Deserialize, Serialize};

/// Per-k result.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct KResult {
    /// Number of clusters.
    pub k: usize,
    /// The fit's inertia (weighted with `--sample-weight`).
    pub inertia: f64,
    /// Iterations of the best start.
    pub iterations: usize,
    /// Stopped by the tolerance or unchanged labels, not by `max_iter`.
    pub converged: bool,
    /// Wall seconds of this k (init + iterations).
    pub seconds: f64,
    /// Seconds choosing the initial centers (summed over the starts).
    pub init_seconds: f64,
    /// Seconds iterating (summed over the starts).
    pub iter_seconds: f64,
    /// The assignment kernel's loop order at this k: `tiled` or `blocked` (the SIMD
    /// kernels, see `kernels::kernel::Order`), `scalar`, or `naive` (the AoS layout).
    #[serde(default)]
    pub order: String,
    /// The final centers, one row per cluster.
    pub centers: Vec<Vec<f64>>,
}

/// Wall seconds of each phase of the run.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Timings {
    /// Loading the input.
    pub read_s: f64,
    /// Building the layout (and checks) before the first fit.
    pub prepare_s: f64,
    /// Fitting every k.
    pub fit_s: f64,
    /// Writing the output.
    pub write_s: f64,
    /// The whole run.
    pub total_s: f64,
}

/// The whole document.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Summary {
    /// The input file.
    pub input: String,
    /// Number of rows.
    pub n: usize,
    /// Number of features.
    pub d: usize,
    /// The layout that ran (`flat`, `flat-f32`, `aos`).
    pub layout: String,
    /// The kernel that ran (`scalar`, `simd`).
    pub kernel: String,
    /// The SIMD instruction set the kernels dispatched to.
    pub isa: String,
    /// The initialization (`k-means++`, `greedy-k-means++`, `random`, `explicit`).
    pub init: String,
    /// The RNG seed.
    pub seed: u64,
    /// Iteration limit per fit.
    pub max_iter: usize,
    /// The assignment algorithm that ran (`lloyd`, `hamerly`, `elkan`).
    pub algorithm: String,
    /// Starts per k (`--n-init`).
    pub n_init: usize,
    /// Distance arithmetic (`--precision`: `f64` or `f32`).
    #[serde(default)]
    pub precision: String,
    /// Whether k-means++ seedings were continued from k to k + 1 (`--warm-start`;
    /// results do not depend on it, `init_seconds` does).
    #[serde(default)]
    pub warm_start: bool,
    /// The `--sample-weight` file, if any.
    pub sample_weight: Option<String>,
    /// Relative tolerance (`--tol`).
    pub tol: f64,
    /// `tol` scaled by the mean per-feature variance (the threshold actually used).
    pub tol_abs: f64,
    /// Threads the fits ran on.
    pub threads: usize,
    /// With `--kernel screened`: the fraction of screened rows (over every pass of
    /// every k) that the f32 screen could not settle and the f64 kernel re-checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rechecked_fraction: Option<f64>,
    /// Wall seconds per phase.
    pub timings: Timings,
    /// One entry per k, in order.
    pub results: Vec<KResult>,
}
