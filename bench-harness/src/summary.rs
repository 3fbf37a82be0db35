//! The summary table printed at the end of a run, shaped like the seed's first table.
//!
//! Definitions:
//! - *median wall*: median `wall_s` over the contestant's `ok` runs.
//! - *speedup vs numpy*: the median, over cells (n, d, k_max) where both have `ok`
//!   runs, of `numpy_time / contestant_time`, each cell's time being the median of its
//!   repeats (a paired median, as the seed's Rust figures).
//! - *RSS / 1k rows*: median over `ok` runs of `max_rss_mb / (n / 1000)`, with
//!   `max_rss_mb` the kernel's `ru_maxrss` from `wait4` (not the 10 ms samples).
//! - *ARI*: median over runs with an answer (`ok` and `wrong`).

use crate::results::{status, Key, Row};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

/// Median of the finite values (NaN when there is none): [`crate::stats::median`].
fn median(xs: &[f64]) -> f64 {
    crate::stats::median(xs).unwrap_or(f64::NAN)
}

/// Per-contestant figures.
#[derive(Clone, Debug)]
pub struct Line {
    /// The contestant.
    pub contestant: String,
    /// All its runs.
    pub runs: usize,
    /// `ok` runs.
    pub ok: usize,
    /// `wrong` runs.
    pub wrong: usize,
    /// `failed` runs.
    pub failed: usize,
    /// Median wall time of the `ok` runs.
    pub median_wall_s: f64,
    /// Paired speedup vs numpy (median over cells).
    pub speedup_vs_numpy: f64,
    /// Cells paired with numpy.
    pub cells_paired: usize,
    /// Median `ru_maxrss` per 1k rows, MB.
    pub rss_mb_per_1k: f64,
    /// Median ARI.
    pub median_ari: f64,
}

type CellId = (String, usize, usize, usize, usize); // shape, n, d, k_max, threads-free

fn cell_times(rows: &[&Row], who: &str) -> BTreeMap<CellId, f64> {
    let mut by: BTreeMap<CellId, Vec<f64>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.contestant == who && r.status == status::OK)
    {
        if let Some(w) = r.wall_s {
            by.entry((r.shape.clone(), r.n, r.d, r.k_max, 0))
                .or_default()
                .push(w);
        }
    }
    by.into_iter().map(|(k, v)| (k, median(&v))).collect()
}

/// Computes the table over `rows` (restricted to `keys` when given), contestants in
/// `order` first, then any others in name order.
pub fn lines(rows: &[Row], keys: Option<&HashSet<Key>>, order: &[String]) -> Vec<Line> {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| keys.is_none_or(|k| k.contains(&r.key())))
        .collect();
    let mut names: Vec<String> = order
        .iter()
        .filter(|n| rows.iter().any(|r| &r.contestant == *n))
        .cloned()
        .collect();
    let mut others: Vec<String> = rows
        .iter()
        .map(|r| r.contestant.clone())
        .filter(|n| !names.contains(n))
        .collect();
    others.sort();
    others.dedup();
    names.extend(others);

    let numpy = cell_times(&rows, "numpy");
    names
        .into_iter()
        .map(|name| {
            let mine: Vec<&&Row> = rows.iter().filter(|r| r.contestant == name).collect();
            let ok: Vec<&&Row> = mine
                .iter()
                .copied()
                .filter(|r| r.status == status::OK)
                .collect();
            let walls: Vec<f64> = ok.iter().filter_map(|r| r.wall_s).collect();
            let rss: Vec<f64> = ok
                .iter()
                .filter_map(|r| r.max_rss_mb.map(|m| m / (r.n as f64 / 1000.0)))
                .collect();
            let aris: Vec<f64> = mine.iter().filter_map(|r| r.ari).collect();
            let times = cell_times(&rows, &name);
            let ratios: Vec<f64> = times
                .iter()
                .filter_map(|(cell, t)| numpy.get(cell).map(|np| np / t))
                .collect();
            Line {
                runs: mine.len(),
                ok: ok.len(),
                wrong: mine.iter().filter(|r| r.status == status::WRONG).count(),
                failed: mine.iter().filter(|r| r.status == status::FAILED).count(),
                median_wall_s: median(&walls),
                speedup_vs_numpy: median(&ratios),
                cells_paired: ratios.len(),
                rss_mb_per_1k: median(&rss),
                median_ari: median(&aris),
                contestant: name,
            }
        })
        .collect()
}

fn fmt(x: f64, digits: usize, suffix: &str) -> String {
    if x.is_finite() {
        format!("{x:.digits$}{suffix}")
    } else {
        "-".to_string()
    }
}

/// The table as Markdown, with its definitions underneath.
pub fn render(lines: &[Line]) -> String {
    let header = [
        "contestant",
        "median wall",
        "speedup vs numpy (paired)",
        "median RSS / 1k rows",
        "median ARI",
        "runs",
        "wrong",
        "failed",
    ];
    let body: Vec<[String; 8]> = lines
        .iter()
        .map(|l| {
            [
                l.contestant.clone(),
                fmt(l.median_wall_s, 3, " s"),
                if l.contestant == "numpy" && l.cells_paired > 0 {
                    "1.00x (baseline)".to_string()
                } else {
                    fmt(l.speedup_vs_numpy, 2, "x")
                },
                fmt(l.rss_mb_per_1k, 2, " MB"),
                fmt(l.median_ari, 3, ""),
                l.runs.to_string(),
                l.wrong.to_string(),
                l.failed.to_string(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            body.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let row = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (i, c) in cells.iter().enumerate() {
            let _ = write!(out, " {c:<w$} |", w = widths[i]);
        }
        out.push('\n');
    };
    row(&mut out, &header.map(String::from));
    out.push('|');
    for w in &widths {
        let _ = write!(out, "{}|", "-".repeat(w + 2));
    }
    out.push('\n');
    for b in &body {
        row(&mut out, b);
    }
    out.push_str(
        "\nmedian wall: over ok runs (whole subprocess: load CSV, fit k = 1..k_max, write CSV).\n\
         speedup vs numpy: median over cells (n, d, k_max) of numpy_time / contestant_time,\n  \
         each cell's time the median of its ok repeats.\n\
         RSS / 1k rows: median of max_rss_mb (wait4 ru_maxrss, the kernel's peak) / (n / 1000).\n\
         ARI: against the generated ground truth, k = k_max column; wrong = failed a check (see runs.csv reason).\n",
    );
    out
}

/// (contestant, n, d, k_max) of the thread sweep.
type SweepCell = (String, usize, usize, usize);

/// The thread-sweep table: per contestant and cell, the median wall per thread count
/// and its speedup over the 1-thread median.
pub fn render_threads(rows: &[Row], keys: Option<&HashSet<Key>>) -> String {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| keys.is_none_or(|k| k.contains(&r.key())))
        .collect();
    let mut threads: Vec<usize> = rows.iter().map(|r| r.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut groups: BTreeMap<SweepCell, BTreeMap<usize, Vec<f64>>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == status::OK) {
        if let Some(w) = r.wall_s {
            groups
                .entry((r.contestant.clone(), r.n, r.d, r.k_max))
                .or_default()
                .entry(r.threads)
                .or_default()
                .push(w);
        }
    }
    let mut out = String::from("| contestant | n | d | k_max |");
    for t in &threads {
        let _ = write!(out, " {t} thr |");
    }
    out.push_str("\n|---|---|---|---|");
    for _ in &threads {
        out.push_str("---|");
    }
    out.push('\n');
    for ((name, n, d, k), by_t) in &groups {
        let base = by_t.get(&1).map(|v| median(v));
        let _ = write!(out, "| {name} | {n} | {d} | {k} |");
        for t in &threads {
            match by_t.get(t).map(|v| median(v)) {
                Some(m) => match base {
                    Some(b) => {
                        let _ = write!(out, " {m:.3} s ({:.2}x) |", b / m);
                    }
                    None => {
                        let _ = write!(out, " {m:.3} s |");
                    }
                },
                None => out.push_str(" - |"),
            }
        }
        out.push('\n');
    }
    out.push_str(
        "\ncells: median wall of ok runs; (x) = speedup over the same contestant at 1 thread.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
