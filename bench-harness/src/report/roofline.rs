//! The roofline model: the machine's roof from `machine.json` (measured FMA peak and
//! triad bandwidth) and each Rust contestant's achieved GFLOP/s at its arithmetic
//! intensity, estimated from the cell's shape.
//!
//! The harness records no iteration counts, so the flop count is an *estimate*: one
//! Lloyd iteration of a fit with k centers costs `2·n·k·d` flops in the distance step
//! (a multiply and an add per coordinate), and it streams the `n·d` f64 data once
//! (`8·n·d` bytes, centers assumed cache-resident). Over the elbow sweep k = 1..k_max
//! with `I` iterations per fit:
//!
//! - flops ≈ `I · 2·n·d · Σk` = `I · n·d·k_max·(k_max+1)`
//! - bytes ≈ `I · 8·n·d · k_max`
//! - arithmetic intensity = flops / bytes = `(k_max + 1) / 8` flop/byte
//!
//! Achieved GFLOP/s = flops / median subprocess wall time, so it also carries CSV
//! parsing and output writing and is a lower bound on the kernel's rate for a given `I`.

use super::analysis::Analysis;
use super::data::{json_f64, Cell};
use crate::roofline::Roof;
use serde_json::Value;

/// Default iterations per fit assumed by the estimate.
pub const DEFAULT_ITERATIONS: f64 = 10.0;

/// The machine's roofs from machine.json: peaks in GFLOP/s and bandwidths in GB/s (all
/// cores and one thread).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MachineRoof {
    pub peak_all: Option<f64>,
    pub peak_1t: Option<f64>,
    pub bw_all: Option<f64>,
    pub bw_1t: Option<f64>,
}

impl MachineRoof {
    /// Reads `kernels_probe.{fma_peak_gflops_all, fma_peak_gflops_1t, triad_gbs_all,
    /// triad_gbs_1t}` from machine.json.
    pub fn from_machine(m: Option<&Value>) -> Self {
        let Some(m) = m else {
            return Self::default();
        };
        Self {
            peak_all: json_f64(m, "kernels_probe.fma_peak_gflops_all"),
            peak_1t: json_f64(m, "kernels_probe.fma_peak_gflops_1t"),
            bw_all: json_f64(m, "kernels_probe.triad_gbs_all"),
            bw_1t: json_f64(m, "kernels_probe.triad_gbs_1t"),
        }
    }

    /// Whether the all-core roof is known.
    pub fn is_known(&self) -> bool {
        self.peak_all.is_some() && self.bw_all.is_some()
    }

    /// Attainable GFLOP/s at intensity `ai` (all cores, or one thread).
    pub fn attainable(&self, ai: f64, one_thread: bool) -> Option<f64> {
        let (peak_gflops, bw_gbs) = if one_thread {
            (self.peak_1t?, self.bw_1t?)
        } else {
            (self.peak_all?, self.bw_all?)
        };
        Some(
            Roof {
                peak_gflops,
                bw_gbs,
            }
            .attainable(ai),
        )
    }
}

/// A contestant's achieved rate in one cell.
#[derive(Clone, Debug)]
pub struct Point {
    pub contestant: String,
    pub cell: Cell,
    /// Arithmetic intensity, flop/byte.
    pub ai: f64,
    pub gflops: f64,
    pub wall_s: f64,
}

/// Estimated flops of a run over the sweep k = 1..k_max with `iters` iterations per fit.
pub fn flops(cell: &Cell, iters: f64) -> f64 {
    iters * (cell.n as f64) * (cell.d as f64) * (cell.k_max as f64) * (cell.k_max as f64 + 1.0)
}

/// Arithmetic intensity of the sweep (flop/byte), independent of n, d and iterations.
pub fn intensity(cell: &Cell) -> f64 {
    (cell.k_max as f64 + 1.0) / 8.0
}

/// Whether a contestant is one of the project's Rust builds.
pub fn is_rust(name: &str) -> bool {
    name.starts_with("rust")
}

/// The achieved-rate points of every Rust contestant in every cell it has a time for.
pub fn points(a: &Analysis, iters: f64) -> Vec<Point> {
    let mut out = Vec::new();
    for name in a.contestants.iter().filter(|c| is_rust(c)) {
        for cell in &a.cells {
            if let Some(t) = a.cell_time(name, cell).filter(|t| *t > 0.0) {
                out.push(Point {
                    contestant: name.clone(),
                    cell: cell.clone(),
                    ai: intensity(cell),
                    gflops: flops(cell, iters) / t / 1e9,
                    wall_s: t,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate() {
        let c = Cell {
            shape: "blobs".into(),
            n: 1000,
            d: 2,
            k_max: 3,
        };
        // 2·n·d·(1+2+3) per iteration.
        assert_eq!(flops(&c, 1.0), 2.0 * 1000.0 * 2.0 * 6.0);
        assert_eq!(intensity(&c), 0.5);
        let r = MachineRoof {
            peak_all: Some(100.0),
            bw_all: Some(10.0),
            ..MachineRoof::default()
        };
        assert_eq!(r.attainable(1.0, false), Some(10.0));
        assert_eq!(r.attainable(50.0, false), Some(100.0));
        assert_eq!(r.attainable(1.0, true), None);
    }
}
