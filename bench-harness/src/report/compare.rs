//! `compare`: the same cells side by side across machines. For each further folder
//! against the first (the base): per contestant and shared cell the ratio of the cell
//! times (median of the repeats) `other / base`, and their geometric mean.

use super::analysis::{Analysis, BASELINE};
use super::data::{contestant_order, json_text, Cell, Folder};
use super::fmt::{self, strings, table};
use super::svg::{color, err, legend, log_range, n_label, short, svg, title};
use crate::stats;
use anyhow::{Context, Result};
use plotters::prelude::*;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// One machine's side of a comparison.
pub struct Side {
    /// Name in the tables (the machine id).
    pub label: String,
    /// The results folder.
    pub folder: Folder,
    /// Its analysis.
    pub analysis: Analysis,
}

/// The ratio of one contestant in one cell.
#[derive(Clone, Debug)]
pub struct CellRatio {
    /// The contestant.
    pub contestant: String,
    /// The cell.
    pub cell: Cell,
    /// Cell time on the base machine, seconds.
    pub base_s: f64,
    /// Cell time on the other machine, seconds.
    pub other_s: f64,
    /// other_s / base_s.
    pub ratio: f64,
}

/// Per-cell ratios of `other` against `base` for every contestant both ran.
pub fn ratios(base: &Analysis, other: &Analysis) -> Vec<CellRatio> {
    let mut out = Vec::new();
    for name in contestant_order(
        base.contestants
            .iter()
            .filter(|c| other.contestants.contains(c))
            .map(String::as_str),
    ) {
        for cell in &base.cells {
            if let (Some(b), Some(o)) = (base.cell_time(&name, cell), other.cell_time(&name, cell))
            {
                if b > 0.0 {
                    out.push(CellRatio {
                        contestant: name.clone(),
                        cell: cell.clone(),
                        base_s: b,
                        other_s: o,
                        ratio: o / b,
                    });
                }
            }
        }
    }
    out
}

/// Unique labels: the machine names, with `#2`, `#3` … appended to repeats.
fn labels(folders: &[Folder]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in folders {
        let name = f.name();
        let seen = out
            .iter()
            .filter(|l| l.split(" #").next() == Some(name.as_str()))
            .count();
        out.push(if seen == 0 {
            name
        } else {
            format!("{name} #{}", seen + 1)
        });
    }
    out
}

/// Whether a contestant runs this project's Rust code (`rust-aos-serial`, `rust-flat`,
/// `rust-py`, …): its times depend on the commit it was built from.
pub fn is_rust(contestant: &str) -> bool {
    contestant.starts_with("rust")
}

/// The code a run's binaries came from, from its `harness_version`: the part after the
/// crate version (`0.1.0+8911c88c4da1` → `8911c88c4da1`, with `-dirty` kept), the whole
/// value otherwise (`seed-import:owner/repo@commit`), `unknown` when it is empty.
pub fn code_of(harness_version: &str) -> String {
    let v = harness_version.trim();
    if v.is_empty() {
        return "unknown".to_string();
    }
    match v.split_once('+') {
        Some((crate_version, commit))
            if !commit.is_empty()
                && crate_version
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.') =>
        {
            commit.to_string()
        }
        _ => v.to_string(),
    }
}

/// The distinct codes (see [`code_of`]) the Rust contestants of a folder ran, sorted;
/// empty when the folder has no Rust contestant.
pub fn rust_codes(folder: &Folder) -> Vec<String> {
    let mut out: Vec<String> = folder
        .runs
        .runs
        .iter()
        .filter(|r| is_rust(&r.contestant))
        .map(|r| code_of(&r.harness_version))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Why the Rust contestants of `other` and `base` cannot be compared as the same code
/// (`None` when both ran one and the same known commit, or either has no Rust run).
pub fn code_difference(base: &Side, other: &Side) -> Option<String> {
    let (b, o) = (rust_codes(&base.folder), rust_codes(&other.folder));
    if b.is_empty() || o.is_empty() {
        return None;
    }
    let known = |v: &[String]| v.iter().all(|c| c != "unknown");
    if b == o && b.len() == 1 && known(&b) {
        return None;
    }
    let list = |v: &[String]| {
        v.iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let why = if !known(&b) || !known(&o) {
        "the commit of some runs is not recorded, so the same code cannot be shown"
    } else if b.len() > 1 || o.len() > 1 {
        "a folder mixes runs of several commits"
    } else {
        "different code"
    };
    Some(format!(
        "the Rust contestants ran {} on `{}` and {} on `{}` ({why}): their time ratios and speedups mix code changes with hardware",
        list(&o),
        other.label,
        list(&b),
        base.label
    ))
}

/// `s` with its first letter in upper case.
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Loads the folders and analyses them.
pub fn load(dirs: &[PathBuf]) -> Result<Vec<Side>> {
    let folders: Vec<Folder> = dirs
        .iter()
        .map(|d| super::data::load_folder(d))
        .collect::<Result<_>>()?;
    let labels = labels(&folders);
    Ok(folders
        .into_iter()
        .zip(labels)
        .map(|(folder, label)| {
            let analysis = Analysis::new(&folder.runs.runs, None);
            Side {
                label,
                folder,
                analysis,
            }
        })
        .collect())
}

/// The Markdown report, the CSV of every ratio and the figure's panels.
pub struct Output {
    /// COMPARE.md.
    pub markdown: String,
    /// compare.csv.
    pub csv: String,
    /// compare.svg.
    pub svg: String,
    /// One line per other machine whose Rust contestants ran other code than the base's
    /// (also in COMPARE.md).
    pub code_warnings: Vec<String>,
}

/// Builds the comparison of `sides[1..]` against `sides[0]`.
pub fn build(sides: &[Side]) -> Result<Output> {
    let base = &sides[0];
    let mut md = String::new();
    let _ = writeln!(md, "# Cross-machine comparison: base `{}`\n", base.label);
    md.push_str("Generated by `bench-harness compare`. **Time ratio** of a contestant in a cell = its cell time on the other machine / its cell time on the base machine, a cell time being the median wall of the `ok` repeats of that (n, d, k_max). Below 1: faster than on the base. Geometric means are over the cells both machines ran; failed runs never enter a time.\n\n");
    let rows: Vec<Vec<String>> = sides
        .iter()
        .map(|s| {
            let m = s.folder.machine.as_ref();
            vec![
                format!("`{}`", s.label),
                m.and_then(|m| json_text(m, "cpu.model"))
                    .unwrap_or_else(|| "–".into()),
                m.and_then(|m| json_text(m, "cpu.cores"))
                    .unwrap_or_else(|| "–".into()),
                s.folder.runs.runs.len().to_string(),
                s.analysis.cells.len().to_string(),
                s.analysis.contestants.join(", "),
                match rust_codes(&s.folder) {
                    v if v.is_empty() => "–".to_string(),
                    v => v
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                fmt::cell_text(&s.folder.dir.display().to_string(), 120),
            ]
        })
        .collect();
    md.push_str(&table(
        &strings(&[
            "machine",
            "CPU",
            "cores",
            "runs",
            "cells",
            "contestants",
            "Rust code",
            "folder",
        ]),
        &[false, false, true, true, true, false, false, false],
        &rows,
    ));
    md.push_str("\n**Rust code**: the commit the Rust contestants' binaries were built from (the `harness_version` column of `runs.csv`). Only the same code on both sides makes a Rust contestant's ratio a hardware comparison.\n\n");
    let code_warnings: Vec<String> = sides[1..]
        .iter()
        .filter_map(|o| code_difference(base, o))
        .collect();
    for w in &code_warnings {
        let _ = writeln!(md, "> **Warning: not the same code.** {}.\n", sentence(w));
    }

    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "base",
        "other",
        "contestant",
        "shape",
        "n",
        "d",
        "k_max",
        "base_median_s",
        "other_median_s",
        "ratio",
    ])?;
    let mut panels = Vec::new();
    let mut all_names: Vec<String> = Vec::new();
    for other in &sides[1..] {
        let rs = ratios(&base.analysis, &other.analysis);
        let _ = writeln!(md, "## `{}` vs `{}`\n", other.label, base.label);
        if let Some(w) = code_difference(base, other) {
            let _ = writeln!(md, "> **Warning: not the same code.** {}.\n", sentence(&w));
        }
        if rs.is_empty() {
            md.push_str("No contestant has a cell time on both machines in a shared cell.\n\n");
        }
        let names = contestant_order(rs.iter().map(|r| r.contestant.as_str()));
        let mut rows = Vec::new();
        for name in &names {
            let v: Vec<f64> = rs
                .iter()
                .filter(|r| &r.contestant == name)
                .map(|r| r.ratio)
                .collect();
            let faster = v.iter().filter(|r| **r < 1.0).count();
            rows.push(vec![
                format!("`{name}`"),
                v.len().to_string(),
                stats::geomean(&v).map_or("–".into(), fmt::ratio),
                stats::median(&v).map_or("–".into(), fmt::ratio),
                format!(
                    "{} – {}",
                    stats::min(&v).map_or("–".into(), fmt::ratio),
                    stats::max(&v).map_or("–".into(), fmt::ratio)
                ),
                format!("{faster} / {}", v.len()),
            ]);
        }
        if !rows.is_empty() {
            md.push_str(&table(
                &strings(&[
                    "contestant",
                    "shared cells",
                    "geo-mean time ratio",
                    "median time ratio",
                    "range",
                    "faster here in",
                ]),
                &[false, true, true, true, true, true],
                &rows,
            ));
            md.push('\n');
        }
        // Speedup vs numpy on each machine, over the cells both ran (so the two
        // numbers describe the same workloads).
        if base.analysis.has_baseline && other.analysis.has_baseline {
            let mut rows = Vec::new();
            for name in names.iter().filter(|n| *n != BASELINE) {
                let shared: Vec<&Cell> = base
                    .analysis
                    .cells
                    .iter()
                    .filter(|c| {
                        base.analysis.speedup(name, c).is_some()
                            && other.analysis.speedup(name, c).is_some()
                    })
                    .collect();
                let sb: Vec<f64> = shared
                    .iter()
                    .filter_map(|c| base.analysis.speedup(name, c))
                    .collect();
                let so: Vec<f64> = shared
                    .iter()
                    .filter_map(|c| other.analysis.speedup(name, c))
                    .collect();
                rows.push(vec![
                    format!("`{name}`"),
                    shared.len().to_string(),
                    stats::median(&sb).map_or("–".into(), fmt::ratio),
                    stats::median(&so).map_or("–".into(), fmt::ratio),
                    stats::geomean(&sb).map_or("–".into(), fmt::ratio),
                    stats::geomean(&so).map_or("–".into(), fmt::ratio),
                ]);
            }
            if !rows.is_empty() {
                let _ = writeln!(md, "Paired speedup vs numpy on each machine, over the cells where both machines have numpy and the contestant:\n");
                md.push_str(&table(
                    &[
                        "contestant".to_string(),
                        "cells".to_string(),
                        format!("median on `{}`", base.label),
                        format!("median on `{}`", other.label),
                        format!("geo-mean on `{}`", base.label),
                        format!("geo-mean on `{}`", other.label),
                    ],
                    &[false, true, true, true, true, true],
                    &rows,
                ));
                md.push('\n');
            }
        }
        // Per-cell table: rows cells, columns contestants.
        let mut cells: Vec<Cell> = rs.iter().map(|r| r.cell.clone()).collect();
        cells.sort();
        cells.dedup();
        if !cells.is_empty() {
            let _ = writeln!(
                md,
                "Per cell, time ratio `{}` / `{}`:\n",
                other.label, base.label
            );
            let mut header = strings(&["n", "d", "k_max"]);
            header.extend(names.iter().map(|n| format!("`{n}`")));
            let rows: Vec<Vec<String>> = cells
                .iter()
                .map(|c| {
                    let mut r = vec![fmt::n(c.n), c.d.to_string(), c.k_max.to_string()];
                    for name in &names {
                        r.push(
                            rs.iter()
                                .find(|x| &x.contestant == name && &x.cell == c)
                                .map_or("–".into(), |x| format!("{:.3}", x.ratio)),
                        );
                    }
                    r
                })
                .collect();
            md.push_str(&table(&header, &vec![true; header.len()], &rows));
            md.push('\n');
        }
        for r in &rs {
            csv.write_record([
                base.label.clone(),
                other.label.clone(),
                r.contestant.clone(),
                r.cell.shape.clone(),
                r.cell.n.to_string(),
                r.cell.d.to_string(),
                r.cell.k_max.to_string(),
                r.base_s.to_string(),
                r.other_s.to_string(),
                r.ratio.to_string(),
            ])?;
        }
        all_names.extend(names.iter().cloned());
        panels.push((
            other.label.clone(),
            rs.iter()
                .map(|r| (r.contestant.clone(), r.cell.n, r.ratio))
                .collect::<Vec<_>>(),
        ));
    }
    md.push_str("Figure: [compare.svg](compare.svg); every ratio: [compare.csv](compare.csv).\n\n![time ratios](compare.svg)\n");
    let all_names = contestant_order(all_names.iter().map(String::as_str));
    let svg = figure(&base.label, &panels, &all_names)?;
    let csv = String::from_utf8(csv.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(Output {
        markdown: md,
        csv,
        svg,
        code_warnings,
    })
}

/// Default output folder: `<first>/compare-<other labels>`.
pub fn default_out(first: &Path, sides: &[Side]) -> PathBuf {
    let tail: Vec<String> = sides[1..]
        .iter()
        .map(|s| {
            s.label
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    first.join(format!("compare-{}", tail.join("-")))
}

/// Writes COMPARE.md, compare.csv and compare.svg into `out`.
pub fn write(out: &Path, o: &Output) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    crate::io::write_atomic(&out.join("COMPARE.md"), &o.markdown)?;
    crate::io::write_atomic(&out.join("compare.csv"), &o.csv)?;
    crate::io::write_atomic(&out.join("compare.svg"), &o.svg)?;
    Ok(())
}

/// One panel of the comparison figure: the other machine's label and its
/// `(contestant, n, time ratio)` points.
pub type ComparePanel = (String, Vec<(String, usize, f64)>);

/// Cross-machine figure: per other machine a panel of time ratios (other / base) vs n;
/// lines are geometric means over the cells at each n, dots the cells.
pub fn figure(base: &str, panels: &[ComparePanel], contestants: &[String]) -> Result<String> {
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
