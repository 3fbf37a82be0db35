//! "Four ways at a glance" (the at-a-glance table and its definitions, also the README's)
//! and "Where each contestant wins" (`winners.svg` and the crossover table).

use super::cells::cell_label;
use crate::report::analysis::{Analysis, Glance, BASELINE, TUNED_BASELINE};
use crate::report::fmt::{self, strings, table};
use crate::report::svg::{color, err, legend, svg, title};
use anyhow::Result;
use plotters::prelude::*;
use std::fmt::Write;

fn paired_cell(g: &Glance, a: &Analysis) -> String {
    if !a.has_baseline {
        return "– (no numpy runs)".into();
    }
    if g.contestant == BASELINE {
        return "1.00x (baseline)".into();
    }
    match g.paired_speedup {
        Some(x) => format!("{} ({} cells)", fmt::ratio(x), g.paired_cells),
        None => "– (no shared cells)".into(),
    }
}

/// The "four ways at a glance" table (every contestant).
pub fn glance_table(a: &Analysis) -> String {
    let tuned = a.glance.iter().any(|g| g.contestant == TUNED_BASELINE);
    let mut header = strings(&[
        "contestant",
        "runs ok / all",
        "median wall",
        "paired speedup vs numpy",
        "geo-mean speedup",
        "paired per data set",
        "ratio of medians",
        "median peak RSS / 1k rows (sampled)",
        "median ARI",
    ]);
    if tuned {
        header.insert(4, "paired speedup vs numpy-tuned".into());
    }
    let rows: Vec<Vec<String>> = a
        .glance
        .iter()
        .map(|g| {
            let mut row = vec![
                format!("`{}`", g.contestant),
                format!("{} / {}", g.ok, g.runs),
                g.median_wall_s.map_or("–".into(), fmt::secs),
                paired_cell(g, a),
                g.paired_geomean.map_or("–".into(), fmt::ratio),
                g.paired_by_dataset.map_or("–".into(), fmt::ratio),
                g.ratio_of_medians.map_or("–".into(), fmt::ratio),
                fmt::num(g.rss_per_1k, 2) + if g.rss_per_1k.is_some() { " MB" } else { "" },
                fmt::num(g.median_ari, 3),
            ];
            if tuned {
                row.insert(4, g.paired_vs_tuned.map_or("–".into(), fmt::ratio));
            }
            row
        })
        .collect();
    let mut right = vec![true; header.len()];
    right[0] = false;
    table(&header, &right, &rows)
}

/// How the at-a-glance numbers are computed (stated under every copy of the table).
pub const GLANCE_DEFINITIONS: &str = "\
- **cell**: one data-set configuration (n, d, k_max); its repeats use different seeds. A contestant's **cell time** is the median wall time of its `ok` repeats in that cell.
- **median wall**: median over all of the contestant's `ok` runs (the whole subprocess: load the CSV, fit k = 1..k_max, write the CSV).
- **paired speedup vs numpy**: for every cell where both numpy and the contestant have a cell time, the ratio numpy cell time / contestant cell time; the median of those ratios. 
- **paired speedup vs numpy-tuned** (when that contestant ran): the same median with `numpy-tuned`, the seed's NumPy program with glibc's malloc told to keep its memory (`MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=64G`; see perf-reports/BIAS.md), as the baseline.
- **geo-mean speedup**: the geometric mean of the per-cell ratios vs numpy.
- **paired per data set**: the seed's pairing: one ratio numpy wall / contestant wall per data set (cell and repeat, which share the seed), median over data sets, without first reducing the repeats.
- **ratio of medians**: numpy's median wall / the contestant's median wall (the seed's definition for scikit-learn); it is not paired and mixes sizes.
- **median peak RSS / 1k rows**: median over `ok` runs of `peak_rss_mb_sampled / (n / 1000)`, the 10 ms-sampled peak (the seed's method; it can undercount short spikes).
- **median ARI**: over every run that answered (`ok` and `wrong`), against the generated labels at k = k_max.
- Runs that failed or were wrong are counted in *runs ok / all* and listed at the end; they never enter a time.
";

/// The "Four ways at a glance" section.
pub(crate) fn glance_section(a: &Analysis) -> String {
    let mut s = String::from("## Four ways at a glance\n\n");
    let _ = writeln!(
        s,
        "{} contestants, {} cells ({} sizes × {} feature counts × {} k_max values{}).\n",
        a.contestants.len(),
        a.cells.len(),
        a.ns.len(),
        a.ds.len(),
        a.ks.len(),
        if a.shapes.len() > 1 {
            format!(" × {} shapes", a.shapes.len())
        } else {
            String::new()
        }
    );
    s.push_str(&glance_table(a));
    s.push('\n');
    s.push_str(GLANCE_DEFINITIONS);
    s.push('\n');
    s
}

/// The "Where each contestant wins" section (`has`: whether a figure was written).
pub(crate) fn winners_section(a: &Analysis, has: &dyn Fn(&str) -> bool) -> String {
    let mut s = String::from("## Where each contestant wins\n\n");
    if has("winners.svg") {
        s.push_str("![Fastest contestant per cell](figures/winners.svg)\n\n");
    }
    s.push_str(&crossovers(a));
    s.push('\n');
    s
}

/// Crossover analysis: wins matrix, then for every pair the cells where the one that
/// wins less often wins, with the margin.
pub fn crossovers(a: &Analysis) -> String {
    let mut s = String::new();
    let multi = a.shapes.len() > 1;
    s.push_str("Row beats column in *x / y* cells: *y* cells where both have a cell time, *x* where the row's cell time is lower.\n\n");
    let mut header = strings(&["row vs column"]);
    header.extend(a.contestants.iter().map(|c| format!("`{c}`")));
    let rows: Vec<Vec<String>> = a
        .contestants
        .iter()
        .map(|row| {
            let mut r = vec![format!("`{row}`")];
            for col in &a.contestants {
                if row == col {
                    r.push("".into());
                    continue;
                }
                let cell = a.pairs.iter().find_map(|p| {
                    if &p.a == row && &p.b == col {
                        Some((p.a_wins.len(), p.cells()))
                    } else if &p.b == row && &p.a == col {
                        Some((p.b_wins.len(), p.cells()))
                    } else {
                        None
                    }
                });
                r.push(match cell {
                    Some((_, 0)) | None => "–".into(),
                    Some((w, t)) => format!("{w} / {t}"),
                });
            }
            r
        })
        .collect();
    s.push_str(&table(&header, &vec![true; header.len()], &rows));
    s.push('\n');
    for p in &a.pairs {
        let total = p.cells();
        if total == 0 {
            continue;
        }
        let (major, minor, minor_cells) = if p.a_wins.len() >= p.b_wins.len() {
            (&p.a, &p.b, &p.b_wins)
        } else {
            (&p.b, &p.a, &p.a_wins)
        };
        if minor_cells.is_empty() {
            let _ = writeln!(
                s,
                "- `{major}` beats `{minor}` in all {total} shared cells{}.",
                if p.ties.is_empty() {
                    String::new()
                } else {
                    format!(" but {} ties", p.ties.len())
                }
            );
            continue;
        }
        let listed: Vec<String> = minor_cells
            .iter()
            .take(24)
            .map(|c| {
                let tm = a.cell_time(minor, c).unwrap_or(f64::NAN);
                let tj = a.cell_time(major, c).unwrap_or(f64::NAN);
                format!(
                    "{} ({} vs {}, {})",
                    cell_label(c, multi),
                    fmt::secs(tm),
                    fmt::secs(tj),
                    fmt::ratio(tj / tm)
                )
            })
            .collect();
        let more = if minor_cells.len() > 24 {
            format!(" … and {} more", minor_cells.len() - 24)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "- `{major}` beats `{minor}` in {} of {total} cells; `{minor}` wins {}: {}{more}.",
            total - minor_cells.len() - p.ties.len(),
            minor_cells.len(),
            listed.join("; ")
        );
    }
    s
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
                let cell = crate::report::data::Cell {
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
