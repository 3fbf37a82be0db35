//! REPORT.md and the README results section, as Markdown.

use super::analysis::{Analysis, Glance, BASELINE, TUNED_BASELINE};
use super::data::{json_f64, json_path, json_text, Cell, Folder, Run};
use super::fmt::{self, strings, table};
use super::roofline::{self, MachineRoof};
use crate::stats;
use serde_json::Value;
use std::fmt::Write;

/// The figure files a report may contain, with their captions, in report order.
pub const FIGURES: [(&str, &str); 6] = [
    ("winners.svg", "Fastest contestant per cell"),
    ("wall_vs_n.svg", "Wall time vs n, faceted by d and k_max"),
    ("speedup_vs_n.svg", "Paired speedup vs numpy by n"),
    (
        "rss_vs_n.svg",
        "Sampled peak RSS vs n, faceted by d and k_max",
    ),
    ("threads.svg", "Thread scaling"),
    ("roofline.svg", "Roofline of the Rust contestants"),
];

/// The machine summary as `(field, value)` pairs (fields that are absent are left out).
pub fn machine_lines(m: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push((k.to_string(), v));
        }
    };
    push("machine id", json_text(m, "machine_id"));
    push("CPU", json_text(m, "cpu.model"));
    push(
        "cores",
        json_text(m, "cpu.cores").map(|c| match json_text(m, "cpu.arch") {
            Some(a) => format!("{c} ({a})"),
            None => c,
        }),
    );
    if let Some(Value::Array(caches)) = json_path(m, "cpu.caches") {
        let parts: Vec<String> = caches
            .iter()
            .filter_map(|c| {
                let level = json_text(c, "level")?;
                let kind = json_text(c, "type").unwrap_or_default();
                let size = json_text(c, "size")?;
                let tag = match kind.as_str() {
                    "Data" => "d",
                    "Instruction" => "i",
                    _ => "",
                };
                Some(format!("L{level}{tag} {size}"))
            })
            .collect();
        if !parts.is_empty() {
            push("caches (per core / shared)", Some(parts.join(", ")));
        }
    }
    if let Some(Value::Array(flags)) = json_path(m, "cpu.isa_flags") {
        let f: Vec<String> = flags
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if !f.is_empty() {
            push("ISA flags", Some(f.join(" ")));
        }
    }
    push(
        "memory",
        json_f64(m, "memory_gib").map(|g| format!("{g} GiB")),
    );
    push("OS", json_text(m, "os"));
    push("kernel", json_text(m, "kernel"));
    push("rustc", json_text(m, "toolchain.rustc"));
    push("Python", json_text(m, "python.python"));
    for (label, key) in [
        ("NumPy", "numpy"),
        ("scikit-learn", "scikit-learn"),
        ("threadpoolctl", "threadpoolctl"),
    ] {
        push(label, json_text(m, &format!("python.packages.{key}")));
    }
    if let Some(Value::Array(pools)) = json_path(m, "python.threadpool_info") {
        let parts: Vec<String> = pools
            .iter()
            .map(|p| {
                let api = json_text(p, "internal_api").unwrap_or_else(|| "?".into());
                let ver = json_text(p, "version").unwrap_or_default();
                let arch = json_text(p, "architecture").unwrap_or_default();
                let th = json_text(p, "num_threads").unwrap_or_default();
                format!("{api} {ver} {arch} ({th} threads)")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if !parts.is_empty() {
            push("BLAS (threadpoolctl)", Some(parts.join("; ")));
        }
    }
    let probe = |k: &str| json_f64(m, &format!("kernels_probe.{k}"));
    if let (Some(p1), Some(pa)) = (probe("fma_peak_gflops_1t"), probe("fma_peak_gflops_all")) {
        push(
            "FMA peak (measured)",
            Some(format!(
                "{p1:.1} GFLOP/s 1 thread, {pa:.1} GFLOP/s all cores"
            )),
        );
    }
    if let (Some(b1), Some(ba)) = (probe("triad_gbs_1t"), probe("triad_gbs_all")) {
        push(
            "triad bandwidth (measured)",
            Some(format!("{b1:.1} GB/s 1 thread, {ba:.1} GB/s all cores")),
        );
    }
    push("probed at", json_text(m, "probed_at"));
    push("harness", json_text(m, "harness_version"));
    if let Some(src) = json_path(m, "source") {
        let text = match src {
            Value::String(s) => s.clone(),
            other => {
                let note = json_text(other, "note");
                let repo = json_text(other, "repository");
                let commit = json_text(other, "commit");
                let file = json_text(other, "file");
                [
                    note,
                    repo.map(|r| format!("repository {r}")),
                    commit.map(|c| format!("commit {c}")),
                    file.map(|f| format!("file {f}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
            }
        };
        push("source", Some(text));
    }
    out
}

fn md_machine(folder: &Folder) -> String {
    let mut s = String::from("## Machine\n\n");
    match (&folder.machine, &folder.machine_error) {
        (Some(m), _) => {
            let rows: Vec<Vec<String>> = machine_lines(m)
                .into_iter()
                .map(|(k, v)| vec![k, fmt::cell_text(&v, 400)])
                .collect();
            s.push_str(&table(&strings(&["", "from machine.json"]), &[], &rows));
        }
        (None, Some(e)) => {
            let _ = writeln!(s, "machine.json unusable: {e}");
        }
        (None, None) => s.push_str("No machine.json in this folder (run `bench-harness probe`).\n"),
    }
    s
}

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

fn cell_label(c: &Cell, multi_shape: bool) -> String {
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

/// Worst-case ARI per contestant, and the cells with the lowest median ARI.
pub fn accuracy(a: &Analysis) -> String {
    let mut s = String::new();
    let rows: Vec<Vec<String>> = a
        .glance
        .iter()
        .map(|g| {
            let worst = match &g.worst_ari {
                Some((v, r)) => format!(
                    "{v:.3} (n={} d={} k={} repeat {})",
                    fmt::n(r.n),
                    r.d,
                    r.k_max,
                    r.repeat
                ),
                None => "–".into(),
            };
            vec![
                format!("`{}`", g.contestant),
                fmt::num(g.median_ari, 4),
                fmt::num(g.mean_ari, 4),
                worst,
            ]
        })
        .collect();
    s.push_str(&table(
        &strings(&["contestant", "median ARI", "mean ARI", "worst ARI (run)"]),
        &[false, true, true, false],
        &rows,
    ));
    s.push_str("\nARI over every run that answered (`ok` and `wrong`), against the generated ground truth at k = k_max.\n");
    s
}

/// Roofline table: per Rust contestant, the best and median estimated GFLOP/s.
pub fn roofline_section(a: &Analysis, roof: &MachineRoof, iters: f64) -> String {
    let pts = roofline::points(a, iters);
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
            let mine: Vec<&roofline::Point> = pts
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

fn problem_table(runs: &[Run], file: &str) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                format!("`{}`", r.contestant),
                fmt::n(r.n),
                r.d.to_string(),
                r.k_max.to_string(),
                r.repeat.to_string(),
                r.threads.map_or("–".into(), |t| t.to_string()),
                format!("**{}**", r.status),
                r.exit_code.map_or("–".into(), |c| c.to_string()),
                r.wall_s.map_or("–".into(), fmt::secs),
                fmt::cell_text(&r.reason, 160),
                format!("{file}:{}", r.line),
            ]
        })
        .collect();
    table(
        &strings(&[
            "contestant",
            "n",
            "d",
            "k_max",
            "repeat",
            "threads",
            "status",
            "exit",
            "wall",
            "reason",
            "line",
        ]),
        &[
            false, true, true, true, true, true, false, true, true, false, false,
        ],
        &rows,
    )
}

/// Options of the report text.
pub struct TextOptions<'a> {
    pub iterations: f64,
    /// Figures that were written (file names).
    pub figures: &'a [String],
}

/// The whole REPORT.md.
pub fn report(folder: &Folder, a: &Analysis, opts: &TextOptions) -> String {
    let mut s = String::new();
    let name = folder.name();
    let _ = writeln!(s, "# Results: {name}\n");
    let _ = writeln!(
        s,
        "Generated by `bench-harness report` from `runs.csv` ({} runs{}){}: do not edit by hand, rerun the command. The interactive version is [dashboard.html](dashboard.html).\n",
        folder.runs.runs.len(),
        if folder.runs.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} unusable lines skipped", folder.runs.skipped.len())
        },
        if folder.threads.is_some() { " and `threads.csv`" } else { "" }
    );
    let has = |f: &str| opts.figures.iter().any(|x| x == f);
    s.push_str(&md_machine(folder));
    s.push('\n');

    s.push_str("## Four ways at a glance\n\n");
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

    s.push_str("## Where each contestant wins\n\n");
    if has("winners.svg") {
        s.push_str("![Fastest contestant per cell](figures/winners.svg)\n\n");
    }
    s.push_str(&crossovers(a));
    s.push('\n');

    s.push_str("## Scaling with n\n\n");
    if has("wall_vs_n.svg") {
        s.push_str("![Wall time vs n](figures/wall_vs_n.svg)\n\n");
    }
    if has("speedup_vs_n.svg") {
        s.push_str("![Paired speedup vs numpy](figures/speedup_vs_n.svg)\n\n");
    }
    s.push_str(&slopes(a));
    s.push('\n');

    s.push_str("## Per-cell wall time\n\nMedian of the `ok` repeats, (min–max), ×repeats; `not run` = no row for that contestant and cell.\n\n");
    s.push_str(&cell_tables(a));
    if a.has_baseline {
        s.push_str("## Per-cell paired speedup vs numpy\n\nnumpy cell time / contestant cell time (above 1: faster than numpy).\n\n");
        s.push_str(&speedup_tables(a));
    } else {
        s.push_str(
            "## Paired speedup vs numpy\n\nNo `ok` numpy run in this folder: no speedups.\n\n",
        );
    }

    s.push_str("## Memory\n\n");
    if has("rss_vs_n.svg") {
        s.push_str("![Peak RSS vs n](figures/rss_vs_n.svg)\n\n");
    }
    let rows: Vec<Vec<String>> = a
        .glance
        .iter()
        .map(|g| {
            vec![
                format!("`{}`", g.contestant),
                fmt::num(g.rss_per_1k, 3),
                fmt::num(g.max_rss_per_1k, 3),
            ]
        })
        .collect();
    s.push_str(&table(
        &strings(&[
            "contestant",
            "sampled peak RSS / 1k rows (MB)",
            "ru_maxrss / 1k rows (MB)",
        ]),
        &[false, true, true],
        &rows,
    ));
    s.push_str("\nMedians over `ok` runs. *Sampled*: max VmRSS polled every 10 ms (the seed's method); *ru_maxrss*: the kernel's high-water mark from wait4, when recorded.\n\n");

    s.push_str("## Accuracy and worst case\n\n");
    s.push_str(&accuracy(a));
    s.push('\n');

    s.push_str("## Roofline\n\n");
    if has("roofline.svg") {
        s.push_str("![Roofline](figures/roofline.svg)\n\n");
    }
    s.push_str(&roofline_section(
        a,
        &MachineRoof::from_machine(folder.machine.as_ref()),
        opts.iterations,
    ));
    s.push('\n');

    s.push_str("## Thread sweep\n\n");
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

    if let Some(micro) = super::microbench::section(folder, opts.figures) {
        s.push_str(&micro);
    }

    s.push_str("## Failed and wrong runs\n\n");
    if a.problems.is_empty() && a.sweep_problems.is_empty() {
        s.push_str("None: every run ended `ok`.\n");
    } else {
        if !a.problems.is_empty() {
            let _ = writeln!(
                s,
                "{} runs in `runs.csv` did not end `ok`:\n",
                a.problems.len()
            );
            s.push_str(&problem_table(&a.problems, "runs.csv"));
            s.push('\n');
        }
        if !a.sweep_problems.is_empty() {
            let _ = writeln!(
                s,
                "{} runs in `threads.csv` did not end `ok`:\n",
                a.sweep_problems.len()
            );
            s.push_str(&problem_table(&a.sweep_problems, "threads.csv"));
            s.push('\n');
        }
    }
    let skipped: Vec<(String, &(usize, String))> = folder
        .runs
        .skipped
        .iter()
        .map(|x| ("runs.csv".to_string(), x))
        .chain(
            folder
                .threads
                .iter()
                .flat_map(|t| t.skipped.iter().map(|x| ("threads.csv".to_string(), x))),
        )
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(s, "\nUnusable lines (not counted anywhere):\n");
        for (file, (line, why)) in skipped {
            let _ = writeln!(s, "- {file}:{line}: {}", fmt::cell_text(why, 200));
        }
    }
    s.push_str("\n## How the figures are made\n\n");
    s.push_str("- `winners.svg`: per cell, the contestant with the lowest cell time; the label is the runner-up's cell time / the winner's.\n");
    s.push_str("- `wall_vs_n.svg`, `rss_vs_n.svg`: per contestant and cell, the median of the `ok` repeats (dot) and their min–max (whisker), log-log, one panel per (d, k_max).\n");
    s.push_str("- `speedup_vs_n.svg`: per cell the paired ratio numpy cell time / contestant cell time (small dots), and per n the median of that n's cell ratios (line).\n");
    s.push_str("- `threads.svg`: per contestant and cell of `threads.csv`, median wall at 1 thread / median wall at t threads.\n");
    s.push_str("- `roofline.svg`: see *Roofline* above for the flop estimate; roof = min(measured FMA peak, intensity × measured triad bandwidth).\n");
    if has(super::microbench::KERNEL_ROOFLINE_SVG) {
        s.push_str("- `kernel-roofline.svg`: from `micro.csv`, per code variant, thread count and shape of the `assign` benchmark at the largest n, flops / bytes (x) and flops / Criterion's median time (y); roof per thread count = min(FMA peak, intensity × triad bandwidth) from the rows' probe numbers (see *Assignment step vs the roof*).\n");
    }
    s
}

/// The README results section (without markers): machine line, at-a-glance table,
/// the winner figure and links to the full report, with paths relative to `rel`.
pub fn readme_section(folder: &Folder, a: &Analysis, rel: &str, figures: &[String]) -> String {
    let mut s = String::new();
    let cpu = folder
        .machine
        .as_ref()
        .and_then(|m| {
            let model = json_text(m, "cpu.model")?;
            Some(match json_text(m, "cpu.cores") {
                Some(c) => format!("{model}, {c} cores"),
                None => model,
            })
        })
        .unwrap_or_else(|| "machine not probed".into());
    let _ = writeln!(
        s,
        "Generated by `bench-harness report {rel} --readme …` from [{rel}/runs.csv]({rel}/runs.csv) (machine `{}`: {cpu}; {} runs, {} cells). Do not edit between the markers.\n",
        folder.name(),
        folder.runs.runs.len(),
        a.cells.len()
    );
    s.push_str(&glance_table(a));
    s.push_str("\nPaired speedup: median over cells of numpy's cell time / the contestant's (cell time = median of the repeats). ");
    s.push_str("Full definitions, per-cell tables, crossovers, slopes and failed runs: ");
    let _ = writeln!(s, "[{rel}/REPORT.md]({rel}/REPORT.md); interactive: [{rel}/dashboard.html]({rel}/dashboard.html).\n");
    if figures.iter().any(|f| f == "winners.svg") {
        let _ = writeln!(
            s,
            "![Fastest contestant per cell]({rel}/figures/winners.svg)"
        );
    }
    let problems = a.problems.len();
    if problems > 0 {
        let _ = writeln!(
            s,
            "\n{problems} runs did not end `ok`; they are listed in REPORT.md."
        );
    }
    s
}

/// Start and end markers of the README section.
pub const MARK_START: &str = "<!-- results:start -->";
pub const MARK_END: &str = "<!-- results:end -->";

/// Replaces the text between the markers (kept) with `section`. Errors when the markers
/// are missing, duplicated or out of order.
pub fn replace_between_markers(text: &str, section: &str) -> Result<String, String> {
    let starts = text.matches(MARK_START).count();
    let ends = text.matches(MARK_END).count();
    if starts != 1 || ends != 1 {
        return Err(format!(
            "expected exactly one `{MARK_START}` and one `{MARK_END}` (found {starts} and {ends}); add them where the results belong"
        ));
    }
    let (Some(i), Some(j)) = (text.find(MARK_START), text.find(MARK_END)) else {
        return Err("markers not found".into());
    };
    if j < i {
        return Err(format!("`{MARK_END}` comes before `{MARK_START}`"));
    }
    let head = &text[..i + MARK_START.len()];
    let tail = &text[j..];
    Ok(format!("{head}\n{}\n{tail}", section.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let t = "a\n<!-- results:start -->\nold\n<!-- results:end -->\nb\n";
        let r = replace_between_markers(t, "new").unwrap();
        assert_eq!(
            r,
            "a\n<!-- results:start -->\nnew\n<!-- results:end -->\nb\n"
        );
        assert_eq!(replace_between_markers(&r, "new").unwrap(), r);
        assert!(replace_between_markers("no markers", "x").is_err());
        assert!(
            replace_between_markers("<!-- results:end --> <!-- results:start -->", "x").is_err()
        );
    }
}
