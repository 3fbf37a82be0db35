//! "Thread sweep": `threads.svg` and the table of `threads.csv`.

use crate::report::analysis::Analysis;
use crate::report::data::Folder;
use crate::report::fmt::{self, strings, table};
use crate::report::svg::{color, err, svg, title};
use anyhow::Result;
use plotters::prelude::*;

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

/// The thread-sweep table: median wall per thread count and speedup over 1 thread.
pub fn thread_table(a: &Analysis) -> String {
    let mut header = strings(&["contestant", "n", "d", "k_max"]);
    header.extend(a.sweep_threads.iter().map(|t| format!("{t} thr")));
    header.push("best".into());
    let rows: Vec<Vec<String>> = a
        .sweep
        .iter()
        .map(|((name, cell), by_t)| {
            let base = by_t.get(&1).map(|s| s.median);
            let mut r = vec![
                format!("`{name}`"),
                fmt::n(cell.n),
                cell.d.to_string(),
                cell.k_max.to_string(),
            ];
            for t in &a.sweep_threads {
                r.push(match (by_t.get(t), base) {
                    (Some(s), Some(b)) => {
                        format!("{} ({})", fmt::secs(s.median), fmt::ratio(b / s.median))
                    }
                    (Some(s), None) => fmt::secs(s.median),
                    (None, _) => "–".into(),
                });
            }
            let best = by_t
                .iter()
                .min_by(|x, y| x.1.median.total_cmp(&y.1.median))
                .map(|(t, s)| match base {
                    Some(b) => format!("{t} thr, {}", fmt::ratio(b / s.median)),
                    None => format!("{t} thr"),
                })
                .unwrap_or_default();
            r.push(best);
            r
        })
        .collect();
    let mut s = table(&header, &vec![true; header.len()], &rows);
    s.push_str("\nCells: median wall of the `ok` repeats at that thread count; (x) = the same contestant's 1-thread median / this median.\n");
    s
}

/// The "Thread sweep" section.
pub(crate) fn section(folder: &Folder, a: &Analysis, has: &dyn Fn(&str) -> bool) -> String {
    let mut s = String::from("## Thread sweep\n\n");
    if a.sweep.is_empty() {
        s.push_str(if folder.threads.is_some() {
            "`threads.csv` has no `ok` run.\n\n"
        } else {
            "No `threads.csv` in this folder (`bench-harness threads` writes one).\n\n"
        });
    } else {
        if has("threads.svg") {
            s.push_str("![Thread scaling](figures/threads.svg)\n\n");
        }
        s.push_str(&thread_table(a));
        s.push('\n');
    }
    s
}
