//! "Scaling with n": `wall_vs_n.svg`, `speedup_vs_n.svg` and the fitted slopes; the
//! faceted dot-and-whisker chart is shared with the memory section.

use crate::report::analysis::{Analysis, BASELINE};
use crate::report::data::Cell;
use crate::report::fmt::{strings, table};
use crate::report::svg::{color, err, legend, log_range, loglog_chart, n_label, short, svg, title};
use anyhow::Result;
use plotters::prelude::*;

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
pub(crate) type Metric<'a> = &'a dyn Fn(&str, &Cell) -> Option<(f64, f64, f64)>;

pub(crate) fn faceted(
    a: &Analysis,
    heading: &str,
    sub: &str,
    y_desc: &str,
    metric: Metric,
) -> Result<String> {
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
        let mut chart = loglog_chart(
            &body,
            (xlo, xhi),
            (ylo, yhi),
            ("n (rows)", &n_label),
            ("speedup vs numpy (x)", &short),
        )?;
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

/// Slopes of log10(wall) vs log10(n).
pub fn slopes(a: &Analysis) -> String {
    let mut s = String::new();
    s.push_str("Pooled over the grid: for each n, the median wall of all the contestant's `ok` runs at that n; least squares of log10(median) on log10(n) (the seed's \"fitted slope over size-medians\"). A slope of 1 is linear in n; fixed overheads pull it below 1. These are descriptive fits, not algorithmic exponents.\n\n");
    let rows: Vec<Vec<String>> = a
        .fits
        .iter()
        .map(|(name, f)| match f {
            Some(f) => vec![
                format!("`{name}`"),
                format!("{:.3}", f.slope),
                format!("{:.3}", f.r2),
                f.points.to_string(),
            ],
            None => vec![
                format!("`{name}`"),
                "–".into(),
                "–".into(),
                "<2 sizes".into(),
            ],
        })
        .collect();
    s.push_str(&table(
        &strings(&["contestant", "slope", "R²", "sizes"]),
        &[false, true, true, true],
        &rows,
    ));
    if !a.facet_fits.is_empty() {
        s.push_str("\nPer (d, k_max), over the cell times (slope, R²):\n\n");
        let mut header = strings(&["contestant"]);
        let mut facets = Vec::new();
        for &k in &a.ks {
            for &d in &a.ds {
                header.push(format!("d={d} k={k}"));
                facets.push((d, k));
            }
        }
        let rows: Vec<Vec<String>> = a
            .contestants
            .iter()
            .map(|name| {
                let mut r = vec![format!("`{name}`")];
                for (d, k) in &facets {
                    r.push(match a.facet_fits.get(&(name.clone(), *d, *k)) {
                        Some(f) => format!("{:.2} ({:.2})", f.slope, f.r2),
                        None => "–".into(),
                    });
                }
                r
            })
            .collect();
        s.push_str(&table(&header, &vec![true; header.len()], &rows));
    }
    s
}

/// The "Scaling with n" section.
pub(crate) fn section(a: &Analysis, has: &dyn Fn(&str) -> bool) -> String {
    let mut s = String::from("## Scaling with n\n\n");
    if has("wall_vs_n.svg") {
        s.push_str("![Wall time vs n](figures/wall_vs_n.svg)\n\n");
    }
    if has("speedup_vs_n.svg") {
        s.push_str("![Paired speedup vs numpy](figures/speedup_vs_n.svg)\n\n");
    }
    s.push_str(&slopes(a));
    s.push('\n');
    s
}
