//! "Per-cell wall time" and "Per-cell paired speedup vs numpy": one table per (d, k_max).

use crate::report::analysis::{Analysis, BASELINE};
use crate::report::data::Cell;
use crate::report::fmt::{self, strings, table};
use std::fmt::Write;

pub(crate) fn cell_label(c: &Cell, multi_shape: bool) -> String {
    if multi_shape {
        format!("{} n={} d={} k={}", c.shape, fmt::n(c.n), c.d, c.k_max)
    } else {
        format!("n={} d={} k={}", fmt::n(c.n), c.d, c.k_max)
    }
}

fn facet_groups(a: &Analysis) -> Vec<(String, usize, usize)> {
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
}

fn facet_title(a: &Analysis, s: &str, d: usize, k: usize) -> String {
    if a.shapes.len() > 1 {
        format!("{s}, d = {d}, k_max = {k}")
    } else {
        format!("d = {d}, k_max = {k}")
    }
}

/// Per-cell wall-time tables: one per (d, k_max), rows n, a column per contestant with
/// `median (min–max) ×repeats`.
pub fn cell_tables(a: &Analysis) -> String {
    let mut s = String::new();
    for (shape, d, k) in facet_groups(a) {
        let _ = writeln!(s, "#### {}\n", facet_title(a, &shape, d, k));
        let mut header = strings(&["n"]);
        header.extend(a.contestants.iter().map(|c| format!("`{c}`")));
        let cells: Vec<&Cell> = a
            .cells
            .iter()
            .filter(|c| c.shape == shape && c.d == d && c.k_max == k)
            .collect();
        let rows: Vec<Vec<String>> = cells
            .iter()
            .map(|cell| {
                let mut r = vec![fmt::n(cell.n)];
                for name in &a.contestants {
                    r.push(match a.get(name, cell) {
                        None => "not run".into(),
                        Some(st) => {
                            let bad = st.runs - st.ok;
                            let note = if bad > 0 {
                                format!(" ({bad} not ok)")
                            } else {
                                String::new()
                            };
                            match st.wall {
                                Some(w) if w.count > 1 => format!(
                                    "{} ({}–{}) ×{}{note}",
                                    fmt::secs(w.median),
                                    fmt::secs_bare(w.min),
                                    fmt::secs_bare(w.max),
                                    w.count
                                ),
                                Some(w) => format!("{} ×1{note}", fmt::secs(w.median)),
                                None => format!("no ok run{note}"),
                            }
                        }
                    });
                }
                r
            })
            .collect();
        let right = vec![true; header.len()];
        s.push_str(&table(&header, &right, &rows));
        s.push('\n');
    }
    s
}

/// Per-cell paired speedup tables (numpy cell time / contestant cell time).
pub fn speedup_tables(a: &Analysis) -> String {
    let others: Vec<&String> = a.contestants.iter().filter(|c| *c != BASELINE).collect();
    let mut s = String::new();
    for (shape, d, k) in facet_groups(a) {
        let _ = writeln!(s, "#### {}\n", facet_title(a, &shape, d, k));
        let mut header = strings(&["n"]);
        header.extend(others.iter().map(|c| format!("`{c}`")));
        let rows: Vec<Vec<String>> = a
            .cells
            .iter()
            .filter(|c| c.shape == shape && c.d == d && c.k_max == k)
            .map(|cell| {
                let mut r = vec![fmt::n(cell.n)];
                r.extend(
                    others
                        .iter()
                        .map(|name| a.speedup(name, cell).map_or("–".into(), fmt::ratio)),
                );
                r
            })
            .collect();
        s.push_str(&table(&header, &vec![true; header.len()], &rows));
        s.push('\n');
    }
    s
}

/// The per-cell sections (wall time, and the paired speedup when numpy ran).
pub(crate) fn section(a: &Analysis) -> String {
    let mut s = String::from("## Per-cell wall time\n\nMedian of the `ok` repeats, (min–max), ×repeats; `not run` = no row for that contestant and cell.\n\n");
    s.push_str(&cell_tables(a));
    if a.has_baseline {
        s.push_str("## Per-cell paired speedup vs numpy\n\nnumpy cell time / contestant cell time (above 1: faster than numpy).\n\n");
        s.push_str(&speedup_tables(a));
    } else {
        s.push_str(
            "## Paired speedup vs numpy\n\nNo `ok` numpy run in this folder: no speedups.\n\n",
        );
    }
    s
}
