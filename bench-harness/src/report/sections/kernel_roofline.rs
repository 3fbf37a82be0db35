//! "Assignment step vs the roof": the Criterion `assign` rows of `micro.csv` against
//! the machine's roofs (`kernel-roofline.svg` and its table).

use crate::microdata::{Row, CRITERION};
use crate::report::fmt::{self, cell_text, sig3, table, thousands};
use crate::report::palette::VARIANTS;
use crate::report::svg::{
    err, legend, log_grid, log_range, loglog_chart, rgb, short, svg, title, Area,
};
use crate::roofline::Roof;
use crate::stats;
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The figure of the assignment kernel on the roofline (written by `report` into
/// `figures/` when micro.csv has `assign` rows with flops and bytes).
pub const KERNEL_ROOFLINE_SVG: &str = "kernel-roofline.svg";

/// The roof at one thread count, from the probe numbers the rows recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadRoof {
    /// The thread count.
    pub threads: usize,
    /// FMA peak and triad bandwidth at that thread count.
    pub roof: Roof,
    /// Rows at this thread count recorded other probe numbers too (the most common pair is used).
    pub mixed: bool,
}

impl ThreadRoof {
    /// Attainable GFLOP/s at arithmetic intensity `ai` (flop/byte).
    pub fn attainable(&self, ai: f64) -> f64 {
        self.roof.attainable(ai)
    }

    /// The intensity where the roof turns flat.
    pub fn ridge(&self) -> f64 {
        self.roof.ridge()
    }

    /// `1 thread: 131 GFLOP/s, 35 GB/s`.
    pub fn label(&self) -> String {
        format!(
            "{} thread{}: {} GFLOP/s, {} GB/s",
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            whole(self.roof.peak_gflops),
            whole(self.roof.bw_gbs)
        )
    }
}

/// No decimals from 10 up, three significant digits below.
fn whole(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.0}")
    } else {
        sig3(x)
    }
}

/// One Criterion `assign` benchmark on the roofline.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelPoint {
    /// Code variant.
    pub variant: String,
    /// Threads.
    pub threads: usize,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Clusters.
    pub k: usize,
    /// Arithmetic intensity, the row's flops / bytes (2·n·k·d / 8·n·d = k/4).
    pub ai: f64,
    /// Achieved GFLOP/s.
    pub gflops: f64,
    /// Criterion's median time, seconds.
    pub time_s: f64,
}

/// The assignment kernel's points and the roofs they are drawn against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssignRoofline {
    /// One per (variant, threads, d, k) at the shape's largest n; ordered by d, k,
    /// variant, threads.
    pub points: Vec<KernelPoint>,
    /// One per thread count of the points that has both probe numbers, by threads.
    pub roofs: Vec<ThreadRoof>,
    /// Thread counts of the points, ascending.
    pub threads: Vec<usize>,
    /// Variants of the points, in legend order.
    pub variants: Vec<String>,
    /// Feature counts of the points, ascending.
    pub ds: Vec<usize>,
    /// The n used, ascending (one per shape; usually a single value).
    pub ns: Vec<usize>,
    /// Rows left out because their shape was also measured at a larger n.
    pub smaller_n: usize,
}

impl AssignRoofline {
    /// The roof at `threads`, when the rows had its probe numbers.
    pub fn roof(&self, threads: usize) -> Option<&ThreadRoof> {
        self.roofs.iter().find(|r| r.threads == threads)
    }

    /// "n = 262,144" or "n = 65,536 to 262,144 (the largest measured per shape)".
    pub fn n_text(&self) -> String {
        match (self.ns.first(), self.ns.last()) {
            (Some(a), Some(b)) if a == b => format!("n = {}", thousands(*a as u64)),
            (Some(a), Some(b)) => format!(
                "n = {} to {} (per shape)",
                thousands(*a as u64),
                thousands(*b as u64)
            ),
            _ => String::new(),
        }
    }
}

/// The `assign` rows of Criterion with flops, bytes and a time, at the largest n of
/// each shape (d, k), with the roof of every thread count from the rows' probe
/// numbers. `None` when there is no such row. Other kernels are left out: seeding,
/// parsing and writing have no flops, and `lloyd1` is a different kernel.
pub fn assign_roofline(rows: &[Row]) -> Option<AssignRoofline> {
    struct Cand<'a> {
        row: &'a Row,
        p: KernelPoint,
    }
    let mut cands: Vec<Cand> = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.source == CRITERION && r.kernel == "assign")
    {
        let (Some(n), Some(d), Some(k), Some(flops), Some(bytes)) =
            (r.n, r.d, r.k, r.flops, r.bytes)
        else {
            continue;
        };
        let Some(time_s) = r.time_s.filter(|t| t.is_finite() && *t > 0.0) else {
            continue;
        };
        if flops == 0 || bytes == 0 {
            continue;
        }
        let gflops = r
            .gflops
            .filter(|g| g.is_finite() && *g > 0.0)
            .unwrap_or(flops as f64 / time_s / 1e9);
        cands.push(Cand {
            row: r,
            p: KernelPoint {
                variant: if r.variant.is_empty() {
                    "?".into()
                } else {
                    r.variant.clone()
                },
                threads: r.threads.unwrap_or(1),
                n,
                d,
                k,
                ai: flops as f64 / bytes as f64,
                gflops,
                time_s,
            },
        });
    }
    let mut largest: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for c in &cands {
        let e = largest.entry((c.p.d, c.p.k)).or_insert(c.p.n);
        *e = (*e).max(c.p.n);
    }
    let before = cands.len();
    cands.retain(|c| largest.get(&(c.p.d, c.p.k)) == Some(&c.p.n));
    let smaller_n = before - cands.len();
    cands.sort_by(|a, b| {
        (a.p.d, a.p.k, VARIANTS.rank(&a.p.variant), a.p.threads)
            .cmp(&(b.p.d, b.p.k, VARIANTS.rank(&b.p.variant), b.p.threads))
            .then_with(|| a.row.bench_id.cmp(&b.row.bench_id))
    });
    // One point per (variant, threads, shape): the first (a duplicate id is not expected).
    cands.dedup_by(|b, a| {
        (a.p.d, a.p.k, a.p.threads) == (b.p.d, b.p.k, b.p.threads) && a.p.variant == b.p.variant
    });
    if cands.is_empty() {
        return None;
    }
    let mut threads: Vec<usize> = cands.iter().map(|c| c.p.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut variants: Vec<String> = cands.iter().map(|c| c.p.variant.clone()).collect();
    variants.sort_by_key(|v| VARIANTS.rank(v));
    variants.dedup();
    let mut ds: Vec<usize> = cands.iter().map(|c| c.p.d).collect();
    ds.sort_unstable();
    ds.dedup();
    let mut ns: Vec<usize> = largest.values().copied().collect();
    ns.sort_unstable();
    ns.dedup();
    let mut roofs = Vec::new();
    for &t in &threads {
        // (peak, bw), how many rows, latest timestamp.
        let mut pairs: Vec<((f64, f64), usize, &str)> = Vec::new();
        for c in cands.iter().filter(|c| c.p.threads == t) {
            let (Some(p), Some(b)) = (c.row.probe_fma_gflops, c.row.probe_triad_gbs) else {
                continue;
            };
            if !(p.is_finite() && p > 0.0 && b.is_finite() && b > 0.0) {
                continue;
            }
            match pairs.iter_mut().find(|(x, _, _)| *x == (p, b)) {
                Some(e) => {
                    e.1 += 1;
                    if c.row.timestamp.as_str() > e.2 {
                        e.2 = &c.row.timestamp;
                    }
                }
                None => pairs.push(((p, b), 1, &c.row.timestamp)),
            }
        }
        let mixed = pairs.len() > 1;
        if let Some(((p, b), _, _)) = pairs.iter().max_by(|x, y| x.1.cmp(&y.1).then(x.2.cmp(y.2))) {
            roofs.push(ThreadRoof {
                threads: t,
                roof: Roof {
                    peak_gflops: *p,
                    bw_gbs: *b,
                },
                mixed,
            });
        }
    }
    Some(AssignRoofline {
        points: cands.into_iter().map(|c| c.p).collect(),
        roofs,
        threads,
        variants,
        ds,
        ns,
        smaller_n,
    })
}

/// Intensity without trailing zeros: `2`, `8`, `0.25`, `2.667`.
fn intensity_text(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The "assignment step vs the roof" table: per shape and variant, the 1-thread rate,
/// the 1-thread roof at the shape's intensity and the fraction reached, and the
/// speedup of every other thread count over 1 thread (ratio of median times).
pub fn roof_table(rl: &AssignRoofline) -> String {
    let more: Vec<usize> = rl.threads.iter().copied().filter(|&t| t != 1).collect();
    let mut header = fmt::strings(&[
        "d",
        "k",
        "n",
        "code",
        "flop/byte",
        "GFLOP/s (1 thread)",
        "1-thread roof (GFLOP/s)",
        "of the roof",
    ]);
    for t in &more {
        header.push(format!("{t} threads / 1 thread"));
    }
    let right: Vec<bool> = header.iter().map(|h| h != "code").collect();
    let roof1 = rl.roof(1);
    let mut body: Vec<Vec<String>> = Vec::new();
    let mut seen: Vec<(usize, usize, &str)> = Vec::new();
    for p in &rl.points {
        let key = (p.d, p.k, p.variant.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let at = |t: usize| {
            rl.points
                .iter()
                .find(|q| (q.d, q.k, q.variant.as_str()) == key && q.threads == t)
        };
        let one = at(1);
        let roof = roof1.map(|r| r.attainable(p.ai));
        let mut c = vec![
            p.d.to_string(),
            p.k.to_string(),
            p.n.to_string(),
            format!("`{}`", cell_text(&p.variant, 40)),
            intensity_text(p.ai),
            one.map(|q| sig3(q.gflops)).unwrap_or_else(|| "–".into()),
            roof.map(sig3).unwrap_or_else(|| "–".into()),
            match (one, roof) {
                (Some(q), Some(a)) => format!("{:.1} %", q.gflops / a * 100.0),
                _ => "–".into(),
            },
        ];
        for &t in &more {
            c.push(match (one, at(t)) {
                (Some(a), Some(b)) => fmt::ratio(a.time_s / b.time_s),
                _ => "–".into(),
            });
        }
        body.push(c);
    }
    table(&header, &right, &body)
}

/// The subsection on the assignment kernel's roofline: the figure (when it was
/// written), what it shows, and [`roof_table`].
pub(crate) fn roof_subsection(rl: &AssignRoofline, has_figure: bool) -> String {
    let mut s = String::from("### Assignment step vs the roof\n\n");
    if has_figure {
        let _ = writeln!(
            s,
            "![Roofline of the assignment kernel](figures/{KERNEL_ROOFLINE_SVG})\n"
        );
    }
    let roofs: Vec<String> = rl.roofs.iter().map(ThreadRoof::label).collect();
    let _ = write!(
        s,
        "{} code variant, thread count and shape (d, k) of the `assign` benchmark (one assignment pass: distances, argmin, per-cluster sums) at {}{}. x: arithmetic intensity, the row's flops / bytes = 2·n·k·d / 8·n·d = k/4 flop/byte (the data read once; centers, labels and sums assumed to stay in cache), so shapes with the same k share an intensity; y: flops / Criterion's median time. The roof of each thread count is min(FMA peak, intensity × triad bandwidth), from the probe numbers the rows recorded ({}). Under the sloped part of a roof a kernel is limited by memory bandwidth, under the flat part by the FMA units; how far a point stays below its roof is time spent on neither (the argmin, the near-tie bookkeeping, the sums).",
        if has_figure {
            "The figure has one point per"
        } else {
            "The rows below are one per"
        },
        rl.n_text(),
        if rl.smaller_n > 0 {
            format!(
                ", the largest n measured for each shape ({} {} at smaller n left out)",
                rl.smaller_n,
                if rl.smaller_n == 1 { "row" } else { "rows" }
            )
        } else {
            String::new()
        },
        if roofs.is_empty() {
            "none: no roof".to_string()
        } else {
            roofs.join("; ")
        }
    );
    if rl.roofs.iter().any(|r| r.mixed) {
        s.push_str(" Rows of one thread count recorded different probe numbers (several bench runs): the roof uses the pair most rows recorded.");
    }
    s.push_str("\n\nPer shape and code: the GFLOP/s reached at 1 thread, the 1-thread roof at the shape's intensity and the fraction of it reached; `t threads / 1 thread`: median time at 1 thread / median time at t threads, same code and shape (`–`: not measured).\n\n");
    s.push_str(&roof_table(rl));
    s.push('\n');
    s
}

/// The assignment kernel on the roofline, from micro.csv's Criterion `assign` rows:
/// one point per (variant, threads, shape) at the largest n of each shape, coloured by
/// variant, marker by thread count; the roof of every thread count from the rows'
/// probe numbers. `None` without such rows.
pub fn kernel_roofline(rows: &[crate::microdata::Row]) -> Result<Option<String>> {
    let Some(rl) = assign_roofline(rows) else {
        return Ok(None);
    };
    let mut xs: Vec<f64> = rl.points.iter().map(|p| p.ai).collect();
    xs.extend(rl.roofs.iter().map(|r| r.ridge()));
    let xmin = stats::min(&xs).unwrap_or(1.0);
    let xmax = stats::max(&xs).unwrap_or(1.0);
    // Room on the left for the sloped roofs, on the right for the labels.
    let (xlo, xhi) = (xmin / 4.0, xmax * 12.0);
    let mut ys: Vec<f64> = rl.points.iter().map(|p| p.gflops).collect();
    ys.extend(rl.roofs.iter().map(|r| r.roof.peak_gflops * 1.8));
    ys.extend(rl.roofs.iter().map(|r| r.attainable(xlo)));
    let (ylo, yhi) = log_range(ys);
    // Points of one intensity spread by d (left to right: ascending d).
    let mid = (rl.ds.len() as f64 - 1.0) / 2.0;
    let spread = |d: usize| {
        let i = rl.ds.iter().position(|&x| x == d).unwrap_or(0) as f64;
        1.1f64.powf(i - mid)
    };
    let ds: Vec<String> = rl.ds.iter().map(|d| d.to_string()).collect();
    let sub1 = format!(
        "Criterion's assign benchmark (one pass: distances, argmin, sums), {}{}; x: flops / bytes = 2·n·k·d / 8·n·d = k/4; y: flops / median time",
        rl.n_text(),
        if rl.smaller_n > 0 {
            " (largest n per shape)"
        } else {
            ""
        }
    );
    let sub2 = if rl.roofs.is_empty() {
        "no probe numbers in the rows: roof not drawn".to_string()
    } else {
        format!(
            "roof per thread count: min(FMA peak, intensity × triad bandwidth), from the rows' probe numbers{}",
            if ds.len() > 1 {
                format!("; points of one k spread by d = {} (left to right)", ds.join(", "))
            } else {
                format!("; d = {}", ds.join(", "))
            }
        )
    };
    let marker = |t: usize| rl.threads.iter().position(|&x| x == t).unwrap_or(0);
    let out = svg((1000, 660), |root| {
        let (top, body) = root.split_vertically(100);
        title(
            &top,
            "Roofline of the assignment kernel (micro-benchmarks)",
            &sub1,
        )?;
        top.draw(&Text::new(
            sub2.clone(),
            (12, 52),
            ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
        ))
        .map_err(err)?;
        let entries: Vec<(String, RGBColor)> = rl
            .variants
            .iter()
            .map(|v| (v.clone(), rgb(&VARIANTS.hex(v, &rl.variants))))
            .collect();
        legend(&top, 14, 82, &entries)?;
        // Marker legend after the colours.
        let mut x = 14
            + entries
                .iter()
                .map(|(n, _)| 40 + 8 * n.chars().count() as i32)
                .sum::<i32>()
            + 16;
        for &t in &rl.threads {
            draw_marker(&top, marker(t), (x + 6, 84), &RGBColor(60, 60, 60))?;
            let text = format!("{t} thread{}", if t == 1 { "" } else { "s" });
            top.draw(&Text::new(
                text.clone(),
                (x + 16, 77),
                ("sans-serif", 14).into_font(),
            ))
            .map_err(err)?;
            x += 30 + 8 * text.chars().count() as i32;
        }
        let mut chart = loglog_chart(
            &body,
            (xlo, xhi),
            (ylo, yhi),
            ("arithmetic intensity (flop / byte of data read)", &short),
            ("GFLOP/s", &short),
        )?;
        let grid = log_grid(xlo, xhi, 200);
        let last = rl.roofs.len().saturating_sub(1).max(1);
        for (i, r) in rl.roofs.iter().enumerate() {
            let width = if rl.roofs.len() == 1 {
                2
            } else {
                1 + 2 * i / last
            } as u32;
            chart
                .draw_series(LineSeries::new(
                    grid.iter().map(|&x| (x, r.attainable(x))),
                    BLACK.stroke_width(width),
                ))
                .map_err(err)?;
            let at = xhi / 1.08;
            chart
                .draw_series([Text::new(
                    r.label(),
                    (at, r.attainable(at) * 1.06),
                    ("sans-serif", 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Right, VPos::Bottom)),
                )])
                .map_err(err)?;
        }
        for p in &rl.points {
            let c = rgb(&VARIANTS.hex(&p.variant, &rl.variants));
            let at = chart.backend_coord(&(p.ai * spread(p.d), p.gflops));
            draw_marker(root, marker(p.threads), at, &c)?;
        }
        Ok(())
    })?;
    Ok(Some(out))
}

/// A point marker in pixel coordinates of `area`: filled circle, filled triangle,
/// cross, hollow circle, then again, by the index of its thread count.
fn draw_marker(area: &Area, i: usize, (x, y): (i32, i32), c: &RGBColor) -> Result<()> {
    match i % 4 {
        0 => area.draw(&Circle::new((x, y), 5, c.filled())),
        1 => area.draw(&Polygon::new(
            vec![(x, y - 6), (x - 6, y + 5), (x + 6, y + 5)],
            c.filled(),
        )),
        2 => area.draw(&Cross::new((x, y), 5, c.stroke_width(2))),
        _ => area.draw(&Circle::new((x, y), 5, c.stroke_width(2))),
    }
    .map_err(err)
}
