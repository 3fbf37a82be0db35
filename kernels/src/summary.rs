//! The `--summary` JSON document.
//!
//! Everything in it is bit-identical for every thread count and run except the
//! measurements of time (`timings`, `seconds`, `init_seconds`, `iter_seconds`) and
//! the `threads` actually used.

use serde::{Deserialize, Serialize};

/// Per-k result.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct KResult {
    pub k: usize,
    pub inertia: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Wall seconds of this k (init + iterations).
    pub seconds: f64,
    pub init_seconds: f64,
    pub iter_seconds: f64,
    /// The final centers, one row per cluster.
    pub centers: Vec<Vec<f64>>,
}

/// Wall seconds of each phase of the run.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Timings {
    pub read_s: f64,
    pub prepare_s: f64,
    pub fit_s: f64,
    pub write_s: f64,
    pub total_s: f64,
}

/// The whole document.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Summary {
    pub input: String,
    pub n: usize,
    pub d: usize,
    pub layout: String,
    pub kernel: String,
    pub isa: String,
    pub init: String,
    pub seed: u64,
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
    pub tol: f64,
    /// `tol` scaled by the mean per-feature variance (the threshold actually used).
    pub tol_abs: f64,
    pub threads: usize,
    pub timings: Timings,
    pub results: Vec<KResult>,
}
