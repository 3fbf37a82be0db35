//! The SVG figures, drawn with plotters' SVG backend (text as `<text>`, no font files).

use super::analysis::{Analysis, BASELINE};
use super::fmt;
use super::microbench;
use super::palette::{CONTESTANTS, VARIANTS};
use super::roofline::{self, MachineRoof};
use crate::stats;
use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

fn rgb(h: &str) -> RGBColor {
    let v = u32::from_str_radix(h.trim_start_matches('#'), 16).unwrap_or(0x7f7f7f);
    RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

fn color(name: &str, all: &[String]) -> RGBColor {
    rgb(&CONTESTANTS.hex(name, all))
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e}")
}

/// Renders with `draw` into an SVG string of the given size.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Result<()>) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(buf)
}

/// A log range covering `values` with some headroom.
fn log_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values
        .into_iter()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    let lo = stats::min(&v).unwrap_or(1.0);
    let hi = stats::max(&v).unwrap_or(10.0);
    let (lo, hi) = if hi / lo < 1.5 {
        (lo / 1.5, hi * 1.5)
    } else {
        (lo / 1.25, hi * 1.25)
    };
    (lo, hi)
}

fn title(area: &Area, text: &str, subtitle: &str) -> Result<()> {
    area.draw(&Text::new(
        text.to_string(),
        (12, 8),
        ("sans-serif", 22).into_font().color(&BLACK),
    ))
    .map_err(err)?;
    if !subtitle.is_empty() {
        area.draw(&Text::new(
            subtitle.to_string(),
            (12, 34),
            ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// A row of legend entries (colour swatch + name) starting at `(x, y)`.
fn legend(area: &Area, x0: i32, y: i32, entries: &[(String, RGBColor)]) -> Result<()> {
    let mut x = x0;
    for (name, c) in entries {
        area.draw(&Rectangle::new([(x, y), (x + 22, y + 4)], c.filled()))
            .map_err(err)?;
        area.draw(&Text::new(
            name.clone(),
            (x + 28, y - 5),
            ("sans-serif", 14).into_font(),
        ))
        .map_err(err)?;
        x += 40 + 8 * name.chars().count() as i32;
    }
    Ok(())
}

fn n_label(x: &f64) -> String {
    fmt::n(x.round() as usize)
}

fn short(x: &f64) -> String {
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The facets (d, k_max) in row-major order: rows k_max, columns d.
fn facets(a: &Analysis) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for &k in &a.ks {
        for &d in &a.ds {
            v.push((d, k));
        }
    }
    v
}

/// Cells of the main shape (the most common one) for the faceted figures.
fn main_shape(a: &Analysis) -> String {
    let mut best = (0, String::from("blobs"));
    for s in &a.shapes {
        let c = a.cells.iter().filter(|c| &c.shape == s).count();
        if c > best.0 {
            best = (c, s.clone());
        }
    }
    best.1
}

/// One value per (contestant, cell) with its range, for the faceted line charts.
type Metric<'a> = &'a dyn Fn(&str, &super::data::Cell) -> Option<(f64, f64, f64)>;

fn faceted(a: &Analysis, heading: &str, sub: &str, y_desc: &str, metric: Metric) -> Result<String> {
    let shape = main_shape(a);
    let fs = facets(a);
    let cols = a.ds.len().max(1);
    let rows = a.ks.len().max(1);
    let (w, h) = (40 + 380 * cols as u32, 90 + 300 * rows as u32);
    let mut all_y = Vec::new();
    for c in a.cells.iter().filter(|c| c.shape == shape) {
        for name in &a.contestants {
            if let Some((m, lo, hi)) = metric(name, c) {
                all_y.extend([m, lo, hi]);
            }
        }
    }
    let (ylo, yhi) = log_range(all_y);
    let (xlo, xhi) = log_range(a.ns.iter().map(|&n| n as f64));
    svg((w, h), |root| {
        let (top, body) = root.split_vertically(80);
        title(&top, heading, sub)?;
        let entries: Vec<(String, RGBColor)> = a
            .contestants
            .iter()
            .map(|c| (c.clone(), color(c, &a.contestants)))
            .collect();
        legend(&top, 14, 62, &entries)?;
        let panels = body.split_evenly((rows, cols));
        for (panel, &(d, k)) in panels.iter().zip(&fs) {
            let mut chart = ChartBuilder::on(panel)
                .caption(format!("d = {d}, k_max = {k}"), ("sans-serif", 15))
                .margin(8)
                .x_label_area_size(32)
                .y_label_area_size(56)
                .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("n (rows)")
                .y_desc(y_desc)
                .x_label_formatter(&n_label)
                .y_label_formatter(&short)
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(err)?;
            for name in &a.contestants {
                let c = color(name, &a.contestants);
                let pts: Vec<(f64, (f64, f64, f64))> = a
                    .cells
                    .iter()
                    .filter(|cell| cell.shape == shape && cell.d == d && cell.k_max == k)
                    .filter_map(|cell| metric(name, cell).map(|v| (cell.n as f64, v)))
                    .collect();
                if pts.is_empty() {
                    continue;
                }
                chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|(x, v)| (*x, v.0)),
                        c.stroke_width(2),
                    ))
                    .map_err(err)?;
                chart
                    .draw_series(
                        pts.iter()
                            .map(|(x, v)| Circle::new((*x, v.0), 3, c.filled())),
                    )
                    .map_err(err)?;
                chart
                    .draw_series(pts.iter().filter(|(_, v)| v.2 > v.1).map(|(x, v)| {
                        PathElement::new(vec![(*x, v.1), (*x, v.2)], c.stroke_width(1))
                    }))
                    .map_err(err)?;
            }
        }
        Ok(())
    })
}

/// Wall time vs n, log-log, one line per contestant, faceted by d (columns) and k_max
/// (rows); points are cell medians, whiskers the min–max of the repeats.
pub fn wall_vs_n(a: &Analysis) -> Result<String> {
    faceted(
        a,
        "Wall time vs n (whole subprocess: load, fit k = 1..k_max, write)",
        "median of ok repeats per cell; whiskers: min–max of repeats; log-log",
        "wall time (s)",
        &|name, cell| {
            a.get(name, cell)
                .and_then(|s| s.wall)
                .map(|w| (w.median, w.min, w.max))
        },
    )
}

/// Sampled peak RSS vs n, faceted like [`wall_vs_n`].
pub fn rss_vs_n(a: &Analysis) -> Result<String> {
    faceted(
        a,
        "Peak RSS vs n (sampled every 10 ms)",
        "median of ok repeats per cell; whiskers: min–max of repeats; log-log",
        "peak RSS (MB)",
        &|name, cell| {
            a.get(name, cell)
                .and_then(|s| s.rss_mb)
                .map(|w| (w.median, w.min, w.max))
        },
    )
}

/// Paired speedup vs numpy by n: per n, the median over that n's cells of the per-cell
/// ratio (line), and every cell's ratio (small dots). `None` without numpy runs.
pub fn speedup_vs_n(a: &Analysis) -> Result<Option<String>> {
    if !a.has_baseline {
        return Ok(None);
    }
    let others: Vec<&String> = a.contestants.iter().filter(|c| *c != BASELINE).collect();
    let mut ys = vec![1.0];
    for name in &others {
        for c in &a.cells {
            ys.extend(a.speedup(name, c));
        }
    }
    let (ylo, yhi) = log_range(ys);
    let (xlo, xhi) = log_range(a.ns.iter().map(|&n| n as f64));
    let out = svg((1000, 620), |root| {
        let (top, body) = root.split_vertically(80);
        title(
            &top,
            "Paired speedup vs numpy",
            "per cell: numpy median wall / contestant median wall; line: median over the cells at each n; dots: cells",
        )?;
        let entries: Vec<(String, RGBColor)> = others
            .iter()
            .map(|c| ((*c).clone(), color(c, &a.contestants)))
            .collect();
        legend(&top, 14, 62, &entries)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("n (rows)")
            .y_desc("speedup vs numpy (x)")
            .x_label_formatter(&n_label)
            .y_label_formatter(&short)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                [(xlo, 1.0), (xhi, 1.0)],
                BLACK.mix(0.5).stroke_width(1),
            ))
            .map_err(err)?;
        for name in &others {
            let c = color(name, &a.contestants);
            let dots: Vec<(f64, f64)> = a
                .cells
                .iter()
                .filter_map(|cell| a.speedup(name, cell).map(|s| (cell.n as f64, s)))
                .collect();
            chart
                .draw_series(
                    dots.iter()
                        .map(|p| Circle::new(*p, 2, c.mix(0.35).filled())),
                )
                .map_err(err)?;
            let line: Vec<(f64, f64)> =
                a.ns.iter()
                    .filter_map(|&n| {
                        a.median_at_n(n, |cell| a.speedup(name, cell))
                            .map(|m| (n as f64, m))
                    })
                    .collect();
            chart
                .draw_series(LineSeries::new(line.clone(), c.stroke_width(3)))
                .map_err(err)?;
            chart
                .draw_series(line.iter().map(|p| Circle::new(*p, 4, c.filled())))
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Some(out))
}

/// The winner map: one square per cell, coloured by the fastest contestant, labelled
/// with the runner-up's time over the winner's.
pub fn winners(a: &Analysis) -> Result<String> {
    let rows: Vec<(String, usize, usize)> = {
        let mut v = Vec::new();
        for s in &a.shapes {
            for &d in &a.ds {
                for &k in &a.ks {
                    if a.cells
                        .iter()
                        .any(|c| &c.shape == s && c.d == d && c.k_max == k)
                    {
                        v.push((s.clone(), d, k));
                    }
                }
            }
        }
        v
    };
    let cw = 86;
    let ch = 44;
    let left = 150;
    let top_h = 100;
    let w = (left + cw * a.ns.len().max(1) + 30) as u32;
    let h = (top_h + ch * rows.len().max(1) + 70) as u32;
    let multi_shape = a.shapes.len() > 1;
    svg((w.max(720), h), |root| {
        title(
            root,
            "Fastest contestant per cell",
            "colour: lowest median wall; label: runner-up's median / winner's (how far ahead)",
        )?;
        let entries: Vec<(String, RGBColor)> = a
            .contestants
            .iter()
            .map(|c| (c.clone(), color(c, &a.contestants)))
            .collect();
        legend(root, 14, 62, &entries)?;
        let font = ("sans-serif", 13).into_font();
        for (j, &n) in a.ns.iter().enumerate() {
            let x = (left + j * cw) as i32;
            root.draw(&Text::new(
                format!("n={}", fmt::n(n)),
                (x + 18, top_h as i32 - 18),
                font.clone(),
            ))
            .map_err(err)?;
        }
        for (i, (s, d, k)) in rows.iter().enumerate() {
            let y = (top_h + i * ch) as i32;
            let label = if multi_shape {
                format!("{s} d={d} k={k}")
            } else {
                format!("d={d}, k_max={k}")
            };
            root.draw(&Text::new(label, (10, y + 14), font.clone()))
                .map_err(err)?;
            for (j, &n) in a.ns.iter().enumerate() {
                let x = (left + j * cw) as i32;
                let cell = super::data::Cell {
                    shape: s.clone(),
                    n,
                    d: *d,
                    k_max: *k,
                };
                let rect = [(x + 1, y + 1), (x + cw as i32 - 1, y + ch as i32 - 1)];
                match a.winner(&cell) {
                    Some((name, second)) => {
                        let c = color(&name, &a.contestants);
                        root.draw(&Rectangle::new(rect, c.filled())).map_err(err)?;
                        let text = second.map_or("only".to_string(), |(_, r)| fmt::ratio(r));
                        root.draw(&Text::new(
                            text,
                            (x + 16, y + 14),
                            ("sans-serif", 14).into_font().color(&WHITE),
                        ))
                        .map_err(err)?;
                    }
                    None => {
                        root.draw(&Rectangle::new(rect, RGBColor(230, 230, 230).filled()))
                            .map_err(err)?;
                        root.draw(&Text::new("no ok run", (x + 10, y + 14), font.clone()))
                            .map_err(err)?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// Roofline: the measured roof (all cores solid, one thread thinner) and each Rust
/// contestant's estimated achieved GFLOP/s per cell.
pub fn roofline(a: &Analysis, roof: &MachineRoof, iters: f64) -> Result<Option<String>> {
    let pts = roofline::points(a, iters);
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
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("arithmetic intensity (flop / byte of data streamed)")
            .y_desc("GFLOP/s")
            .y_label_formatter(&short)
            .x_label_formatter(&short)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        let grid: Vec<f64> = (0..=200)
            .map(|i| xlo * (xhi / xlo).powf(i as f64 / 200.0))
            .collect();
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

/// The assignment kernel on the roofline, from micro.csv's Criterion `assign` rows:
/// one point per (variant, threads, shape) at the largest n of each shape, coloured by
/// variant, marker by thread count; the roof of every thread count from the rows'
/// probe numbers. `None` without such rows.
pub fn kernel_roofline(rows: &[crate::microdata::Row]) -> Result<Option<String>> {
    let Some(rl) = microbench::assign_roofline(rows) else {
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
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("arithmetic intensity (flop / byte of data read)")
            .y_desc("GFLOP/s")
            .y_label_formatter(&short)
            .x_label_formatter(&short)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        let grid: Vec<f64> = (0..=200)
            .map(|i| xlo * (xhi / xlo).powf(i as f64 / 200.0))
            .collect();
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

/// Thread scaling: speedup over one thread vs thread count, one panel per contestant,
/// one line per cell; the grey diagonal is perfect scaling.
pub fn threads(a: &Analysis) -> Result<Option<String>> {
    if a.sweep.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<String> = a.sweep.keys().map(|(c, _)| c.clone()).collect();
    names.dedup();
    let tmax = a.sweep_threads.iter().copied().max().unwrap_or(1).max(2) as f64;
    let mut ymax: f64 = 1.5;
    for s in a.sweep.values() {
        if let Some(b) = s.get(&1) {
            for v in s.values() {
                ymax = ymax.max(b.median / v.median * 1.15);
            }
        }
    }
    let cols = names.len().max(1);
    let out = svg((40 + 460 * cols as u32, 560), |root| {
        let (top, body) = root.split_vertically(70);
        title(
            &top,
            "Thread scaling (threads.csv)",
            "speedup = median wall at 1 thread / median wall at t threads, per cell; grey: ideal",
        )?;
        let panels = body.split_evenly((1, cols));
        for (panel, name) in panels.iter().zip(&names) {
            let mut chart = ChartBuilder::on(panel)
                .caption(name.clone(), ("sans-serif", 15))
                .margin(10)
                .x_label_area_size(32)
                .y_label_area_size(48)
                .build_cartesian_2d(0.5..tmax + 0.5, 0.0..ymax.min(tmax + 0.5))
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("threads")
                .y_desc("speedup over 1 thread")
                .x_labels(tmax as usize + 2)
                .x_label_formatter(&|x: &f64| {
                    if (x - x.round()).abs() < 1e-9 && *x >= 1.0 {
                        format!("{x:.0}")
                    } else {
                        String::new()
                    }
                })
                .light_line_style(RGBColor(245, 245, 245))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    [(1.0, 1.0), (tmax, tmax)],
                    RGBColor(180, 180, 180).stroke_width(1),
                ))
                .map_err(err)?;
            let cells: Vec<_> = a.sweep.iter().filter(|((c, _), _)| c == name).collect();
            for (i, ((_, cell), by_t)) in cells.iter().enumerate() {
                let Some(base) = by_t.get(&1) else { continue };
                let shade = 1.0 - 0.6 * (i as f64 / cells.len().max(1) as f64);
                let c = color(name, &a.contestants).mix(shade);
                let pts: Vec<(f64, f64)> = by_t
                    .iter()
                    .map(|(&t, s)| (t as f64, base.median / s.median))
                    .collect();
                chart
                    .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                    .map_err(err)?
                    .label(format!(
                        "n={} d={} k={}",
                        fmt::n(cell.n),
                        cell.d,
                        cell.k_max
                    ))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                    .map_err(err)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .draw()
                .map_err(err)?;
        }
        Ok(())
    })?;
    Ok(Some(out))
}

/// One panel of the comparison figure: the other machine's label and its
/// `(contestant, n, time ratio)` points.
pub type ComparePanel = (String, Vec<(String, usize, f64)>);

/// Cross-machine figure: per other machine a panel of time ratios (other / base) vs n;
/// lines are geometric means over the cells at each n, dots the cells.
pub fn compare(base: &str, panels: &[ComparePanel], contestants: &[String]) -> Result<String> {
    let cols = panels.len().max(1);
    let mut ys = vec![1.0];
    let mut xs = Vec::new();
    for (_, pts) in panels {
        for (_, n, r) in pts {
            ys.push(*r);
            xs.push(*n as f64);
        }
    }
    let (ylo, yhi) = log_range(ys);
    let (xlo, xhi) = log_range(xs);
    svg((80 + 640 * cols as u32, 600), |root| {
        let (top, body) = root.split_vertically(80);
        title(
            &top,
            &format!("Time ratio vs {base}"),
            &format!(
                "per cell: median wall here / median wall on {base}; below 1: faster here; line: geometric mean over the cells at each n"
            ),
        )?;
        let entries: Vec<(String, RGBColor)> = contestants
            .iter()
            .map(|c| (c.clone(), color(c, contestants)))
            .collect();
        legend(&top, 14, 62, &entries)?;
        let areas = body.split_evenly((1, cols));
        for (area, (name, pts)) in areas.iter().zip(panels) {
            let mut chart = ChartBuilder::on(area)
                .caption(name.clone(), ("sans-serif", 15))
                .margin(10)
                .x_label_area_size(32)
                .y_label_area_size(56)
                .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("n (rows)")
                .y_desc(format!("time ratio vs {base}"))
                .x_label_formatter(&n_label)
                .y_label_formatter(&short)
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(
                    [(xlo, 1.0), (xhi, 1.0)],
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(err)?;
            for cname in contestants {
                let c = color(cname, contestants);
                let mine: Vec<(f64, f64)> = pts
                    .iter()
                    .filter(|(who, _, _)| who == cname)
                    .map(|(_, n, r)| (*n as f64, *r))
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                chart
                    .draw_series(
                        mine.iter()
                            .map(|p| Circle::new(*p, 2, c.mix(0.35).filled())),
                    )
                    .map_err(err)?;
                let mut ns: Vec<f64> = mine.iter().map(|p| p.0).collect();
                ns.sort_by(f64::total_cmp);
                ns.dedup();
                let line: Vec<(f64, f64)> = ns
                    .iter()
                    .filter_map(|&n| {
                        let v: Vec<f64> = mine.iter().filter(|p| p.0 == n).map(|p| p.1).collect();
                        stats::geomean(&v).map(|g| (n, g))
                    })
                    .collect();
                chart
                    .draw_series(LineSeries::new(line.clone(), c.stroke_width(3)))
                    .map_err(err)?;
                chart
                    .draw_series(line.iter().map(|p| Circle::new(*p, 4, c.filled())))
                    .map_err(err)?;
            }
        }
        Ok(())
    })
}
