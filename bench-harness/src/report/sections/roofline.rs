//! "Roofline" (`roofline.svg` and its table). The machine's roof from `machine.json` (measured FMA peak and
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

use crate::report::analysis::Analysis;
use crate::report::data::{json_f64, Cell, Folder};
use crate::report::fmt::{self, strings, table};
use crate::report::svg::{
    color, err, legend, log_grid, log_range, loglog_chart, short, svg, title,
};
use crate::roofline::Roof;
use crate::stats;
use anyhow::Result;
use plotters::prelude::*;
use serde_json::Value;
use std::fmt::Write;

/// Default iterations per fit assumed by the estimate.
pub const DEFAULT_ITERATIONS: f64 = 10.0;

/// The machine's roofs from machine.json: peaks in GFLOP/s and bandwidths in GB/s (all
/// cores and one thread).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MachineRoof {
    /// FMA peak on all cores.
    pub peak_all: Option<f64>,
    /// FMA peak on one thread.
    pub peak_1t: Option<f64>,
    /// Triad bandwidth on all cores.
    pub bw_all: Option<f64>,
    /// Triad bandwidth on one thread.
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
    /// The contestant.
    pub contestant: String,
    /// The cell.
    pub cell: Cell,
    /// Arithmetic intensity, flop/byte.
    pub ai: f64,
    /// Estimated GFLOP/s.
    pub gflops: f64,
    /// Cell time, seconds.
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

/// Roofline: the measured roof (all cores solid, one thread thinner) and each Rust
/// contestant's estimated achieved GFLOP/s per cell.
pub fn roofline(a: &Analysis, roof: &MachineRoof, iters: f64) -> Result<Option<String>> {
    let pts = points(a, iters);
    if pts.is_empty() {
        return Ok(None);
    }
    let rust: Vec<String> = {
        let mut v: Vec<String> = pts.iter().map(|p| p.contestant.clone()).collect();
        v.dedup();
        v
    };
    let mut ys: Vec<f64> = pts.iter().map(|p| p.gflops).collect();
    ys.extend(roof.peak_all);
    ys.extend(roof.peak_1t);
    let (mut ylo, yhi) = log_range(ys);
    ylo = ylo.min(0.1);
    let (xlo, xhi) = (0.05, 64.0);
    let sub = if roof.is_known() {
        format!(
            "roof: min(FMA peak, AI × triad bandwidth) from machine.json; points: estimated flops ({iters} Lloyd iterations per fit assumed) / median wall"
        )
    } else {
        format!("no FMA/bandwidth probe in machine.json: roof not drawn; points assume {iters} iterations per fit")
    };
    let out = svg((1000, 640), |root| {
        let (top, body) = root.split_vertically(80);
        title(
            &top,
            "Roofline (Rust contestants, whole-run estimate)",
            &sub,
        )?;
        let entries: Vec<(String, RGBColor)> = rust
            .iter()
            .map(|c| (c.clone(), color(c, &a.contestants)))
            .collect();
        legend(&top, 14, 62, &entries)?;
        let mut chart = loglog_chart(
            &body,
            (xlo, xhi),
            (ylo, yhi),
            (
                "arithmetic intensity (flop / byte of data streamed)",
                &short,
            ),
            ("GFLOP/s", &short),
        )?;
        let grid = log_grid(xlo, xhi, 200);
        for (one, width, label, lift) in
            [(false, 3, "all cores", 1.12), (true, 1, "1 thread", 0.72)]
        {
            let line: Vec<(f64, f64)> = grid
                .iter()
                .filter_map(|&x| roof.attainable(x, one).map(|y| (x, y)))
                .collect();
            if let Some(&(_, yend)) = line.last() {
                chart
                    .draw_series(LineSeries::new(line, BLACK.stroke_width(width)))
                    .map_err(err)?;
                chart
                    .draw_series([Text::new(
                        format!("{label}: {yend:.1} GFLOP/s peak"),
                        (xhi / 30.0, yend * lift),
                        ("sans-serif", 13).into_font(),
                    )])
                    .map_err(err)?;
            }
        }
        for p in &pts {
            let c = color(&p.contestant, &a.contestants);
            // Spread the points of one intensity a little by n so they don't overlap.
            let jitter = 1.0 + 0.04 * ((p.cell.n as f64).log2() - 12.0);
            chart
                .draw_series([Circle::new((p.ai * jitter, p.gflops), 4, c.filled())])
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Some(out))
}

/// Roofline table: per Rust contestant, the best and median estimated GFLOP/s.
pub fn roofline_section(a: &Analysis, roof: &MachineRoof, iters: f64) -> String {
    let pts = points(a, iters);
    let mut s = String::new();
    if pts.is_empty() {
        s.push_str("No Rust contestant has an `ok` run: no roofline.\n");
        return s;
    }
    let _ = writeln!(
        s,
        "Flops are **estimated**, not counted: the harness records no iteration counts, so each fit is assumed to take {iters} Lloyd iterations of `2·n·k·d` flops, summed over k = 1..k_max, and to stream the `8·n·d` bytes of data once per iteration. The arithmetic intensity is then `(k_max + 1) / 8` flop/byte. Achieved GFLOP/s = estimated flops / median subprocess wall time (loading and writing included), so it understates the kernel's rate and scales linearly with the assumed iteration count.\n"
    );
    match (roof.peak_all, roof.bw_all) {
        (Some(p), Some(b)) => {
            let _ = writeln!(s, "Roof (machine.json): FMA peak {p:.1} GFLOP/s and triad bandwidth {b:.1} GB/s on all cores; ridge at {:.2} flop/byte.\n", p / b);
            if let Some(p1) = roof.peak_1t.filter(|p1| *p1 > p) {
                let _ = writeln!(s, "Note: the all-core FMA peak is below the one-thread peak ({p1:.1} GFLOP/s): the probe did not get every core to itself (a busy or throttled machine); rerun `bench-harness probe` on an idle machine.\n");
            }
        }
        _ => s.push_str("machine.json has no FMA/bandwidth probe: the roof is not drawn.\n\n"),
    }
    let mut names: Vec<String> = pts.iter().map(|p| p.contestant.clone()).collect();
    names.dedup();
    let mut rows = Vec::new();
    for name in &names {
        for &k in &a.ks {
            let mine: Vec<&Point> = pts
                .iter()
                .filter(|p| &p.contestant == name && p.cell.k_max == k)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let g: Vec<f64> = mine.iter().map(|p| p.gflops).collect();
            let ai = mine[0].ai;
            let one = name.contains("serial");
            let frac = roof
                .attainable(ai, one)
                .or_else(|| roof.attainable(ai, false))
                .and_then(|att| stats::max(&g).map(|m| format!("{:.1} %", 100.0 * m / att)))
                .unwrap_or_else(|| "–".into());
            rows.push(vec![
                format!("`{name}`"),
                k.to_string(),
                format!("{ai:.3}"),
                fmt::num(stats::median(&g), 2),
                fmt::num(stats::max(&g), 2),
                frac,
            ]);
        }
    }
    s.push_str(&table(
        &strings(&[
            "contestant",
            "k_max",
            "AI (flop/B)",
            "median GFLOP/s",
            "best GFLOP/s",
            "best / attainable",
        ]),
        &[false, true, true, true, true, true],
        &rows,
    ));
    s.push_str("\n*best / attainable* uses the one-thread roof for the serial build and the all-core roof otherwise.\n");
    s
}

/// The "Roofline" section.
pub(crate) fn section(
    folder: &Folder,
    a: &Analysis,
    iters: f64,
    has: &dyn Fn(&str) -> bool,
) -> String {
    let mut s = String::from("## Roofline\n\n");
    if has("roofline.svg") {
        s.push_str("![Roofline](figures/roofline.svg)\n\n");
    }
    s.push_str(&roofline_section(
        a,
        &MachineRoof::from_machine(folder.machine.as_ref()),
        iters,
    ));
    s.push('\n');
    s
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
