//! The answer check across contestants (each inertia against the reference's from the
//! same centers), the derived columns (ratios to sklearnex and faiss) and the files of
//! a `modern` results folder: `modern.csv`, `seeding.csv`, `modern.json` and the
//! generated `README.md`.

use super::rows::{FitRow, SeedRow};
use anyhow::Result;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Tolerances of the inertia check.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    /// Relative inertia difference allowed for float64 contestants.
    pub f64: f64,
    /// Relative inertia difference allowed for float32 contestants.
    pub f32: f64,
}

/// Row status before the check: the process ran and measured.
pub const MEASURED: &str = "measured";

/// Fills the check and the ratios. Per cell the reference is our `kmeans` (f64,
/// default kernel); without it, the first measured float64 contestant. A row whose
/// inertia differs from the reference's by more than the tolerance of its precision,
/// or that ran fewer iterations than asked, is `wrong`: it keeps its time but gets no
/// ratio and cannot win.
pub fn check(rows: &mut [FitRow], tol: Tolerance) {
    let cells: Vec<String> = unique(rows.iter().map(|r| r.cell.clone()));
    for cell in cells {
        let measured = |r: &FitRow| r.cell == cell && r.status == MEASURED && r.inertia.is_some();
        let reference = rows
            .iter()
            .find(|r| measured(r) && r.contestant == "kmeans")
            .or_else(|| rows.iter().find(|r| measured(r) && r.precision == "f64"))
            .map(|r| (r.contestant.clone(), r.inertia.unwrap_or(f64::NAN)));
        for r in rows.iter_mut().filter(|r| r.cell == cell) {
            if r.status != MEASURED {
                continue;
            }
            let t = if r.precision == "f32" {
                tol.f32
            } else {
                tol.f64
            };
            r.tolerance = Some(t);
            r.status = "ok".into();
            if let (Some((name, want)), Some(got)) = (&reference, r.inertia) {
                let rel = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
                r.reference = name.clone();
                r.inertia_rel_diff = Some(rel);
                if rel.is_nan() || rel > t {
                    r.status = "wrong".into();
                    r.reason = format!("inertia {rel:.2e} from {name}'s (tolerance {t:.0e})");
                }
            } else {
                r.reason = "no reference inertia to check against".into();
            }
            if r.n_iter.is_some_and(|i| i < r.iterations) {
                r.status = "wrong".into();
                let why = format!(
                    "ran {} of {} iterations",
                    r.n_iter.unwrap_or(0),
                    r.iterations
                );
                r.reason = if r.reason.is_empty() {
                    why
                } else {
                    format!("{}; {why}", r.reason)
                };
            }
        }
        let per_iter = |name: &str, rows: &[FitRow]| {
            rows.iter()
                .find(|r| r.cell == cell && r.contestant == name && r.status == "ok")
                .and_then(|r| r.s_per_iter)
        };
        let (sx, fa) = (per_iter("sklearnex", rows), per_iter("faiss", rows));
        for r in rows
            .iter_mut()
            .filter(|r| r.cell == cell && r.status == "ok")
        {
            if let Some(t) = r.s_per_iter {
                r.speedup_vs_sklearnex = sx.map(|s| s / t);
                r.speedup_vs_faiss = fa.map(|s| s / t);
            }
        }
    }
}

/// scikit-learn's median seeding time over each row's, per cell.
pub fn check_seeds(rows: &mut [SeedRow]) {
    let cells: Vec<String> = unique(rows.iter().map(|r| r.cell.clone()));
    for cell in cells {
        let sk = rows
            .iter()
            .find(|r| r.cell == cell && r.contestant == "sklearn" && r.status == "ok")
            .and_then(|r| r.seed_s);
        for r in rows
            .iter_mut()
            .filter(|r| r.cell == cell && r.status == "ok")
        {
            r.speedup_vs_sklearn = match (sk, r.seed_s) {
                (Some(a), Some(b)) => Some(a / b),
                _ => None,
            };
        }
    }
}

fn unique(xs: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in xs {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// Writes `modern.csv`, `seeding.csv`, `modern.json` and `README.md` into `dir`
/// (each atomically; called after every contestant, so a long run shows its progress).
pub fn write(dir: &Path, fits: &[FitRow], seeds: &[SeedRow], meta: &Value) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    write_csv(&dir.join("modern.csv"), fits)?;
    write_csv(&dir.join("seeding.csv"), seeds)?;
    crate::io::write_json(
        &dir.join("modern.json"),
        &json!({ "meta": meta, "fit": fits, "seeding": seeds }),
    )?;
    crate::io::write_atomic(&dir.join("README.md"), markdown(fits, seeds, meta))
}

fn write_csv<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    crate::io::write_with(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        for r in rows {
            c.serialize(r)?;
        }
        c.flush()?;
        Ok(())
    })
}

/// Seconds with three significant digits.
fn secs(s: Option<f64>) -> String {
    match s {
        Some(s) if s >= 100.0 => format!("{s:.0} s"),
        Some(s) if s >= 10.0 => format!("{s:.1} s"),
        Some(s) if s >= 1.0 => format!("{s:.2} s"),
        Some(s) if s >= 1e-3 => format!("{:.1} ms", s * 1e3),
        Some(s) => format!("{:.0} µs", s * 1e6),
        None => "—".into(),
    }
}

fn ratio(x: Option<f64>) -> String {
    x.map_or("—".into(), |x| format!("{x:.2}×"))
}

fn spread(all: &str) -> String {
    let v: Vec<f64> = all.split(';').filter_map(|s| s.parse().ok()).collect();
    match (crate::stats::min(&v), crate::stats::max(&v)) {
        (Some(a), Some(b)) if v.len() > 1 => format!("{}–{}", secs(Some(a)), secs(Some(b))),
        _ => String::new(),
    }
}

/// The generated README of a results folder.
pub fn markdown(fits: &[FitRow], seeds: &[SeedRow], meta: &Value) -> String {
    let s = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("");
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Modern shapes: fit-only k-means from identical centers\n"
    );
    let _ = writeln!(
        o,
        "Generated by `bench-harness modern` (do not edit): `{}`\n\ncommit `{}`, machine `{}`, {} to {}; status: **{}**.\n",
        s("command"),
        s("commit"),
        s("machine_id"),
        s("started"),
        s("finished"),
        s("state")
    );
    let peak = meta.get("fma_peak_gflops").and_then(Value::as_f64);
    let threads = meta.get("threads").and_then(Value::as_u64).unwrap_or(0);
    let _ = writeln!(
        o,
        "**How it was measured.** Data: the harness generator's `{}` shape (seed {}), written as a float64 `.npy`; \
initial centers: k distinct rows drawn once per cell, the same file for every contestant. Every contestant runs \
exactly {} Lloyd iterations (max_iter = {}, tol = 0) in its own process with {} threads; the time is the fit call's \
wall time measured inside that process (our binary: its summary's fit seconds, one process per repeat; Python: \
`time.perf_counter` around `fit`, repeats in one process, `python/bench/fitbench.py`), median of the repeats. \
`s/iter` = fit time / iterations run (so the final label pass that scikit-learn, sklearnex and ours make after \
the last iteration is included; faiss makes none). float32 contestants get the data converted once, outside the timing. \
Python processes run without `OPENBLAS_CORETYPE` / `OPENBLAS_L2_SIZE`; the BLAS that ran is threadpoolctl's report.\n",
        s("shape"),
        meta.get("seed").and_then(Value::as_u64).unwrap_or(0),
        meta.get("iterations").and_then(Value::as_u64).unwrap_or(0),
        meta.get("iterations").and_then(Value::as_u64).unwrap_or(0),
        threads
    );
    let _ = writeln!(
        o,
        "**Flops.** GFLOP/s = 2·n·k·d / (s/iter) / 1e9: one multiply and one add per feature, row and center \
(the expanded form's matrix product, the convention of `micro.csv` and issue #23); the direct form's \
subtract-multiply-add count, 3·n·k·d, is 1.5× these numbers. % of peak: against the f64 FMA peak at {} threads \
({}; float32 rows against twice it, twice the lanes).\n",
        threads,
        peak.map_or("not probed".into(), |p| format!(
            "{p:.0} GFLOP/s, from {}",
            s("fma_peak_source")
        ))
    );
    let _ = writeln!(
        o,
        "**Answers.** The harness evaluates every contestant's final centers in float64 (each row to its nearest \
center, the kernels crate's canonical distance): `inertia Δ` is the relative difference to the reference's (our \
`kmeans` f64) from the same centers. Allowed: {} for float64, {} for float32. A contestant outside it, or that \
stopped before the iterations asked, is marked **wrong**, gets no ratio and cannot win.\n",
        meta.pointer("/tolerance/f64")
            .and_then(Value::as_f64)
            .map_or("?".into(), |t| format!("{t:.0e}")),
        meta.pointer("/tolerance/f32")
            .and_then(Value::as_f64)
            .map_or("?".into(), |t| format!("{t:.0e}")),
    );
    let cells: Vec<String> = unique(fits.iter().map(|r| r.cell.clone()));
    for cell in &cells {
        let rs: Vec<&FitRow> = fits.iter().filter(|r| &r.cell == cell).collect();
        let r0 = rs[0];
        let _ = writeln!(
            o,
            "## {} × {}, k = {} ({} iterations)\n",
            r0.n, r0.d, r0.k, r0.iterations
        );
        let _ = writeln!(
            o,
            "| contestant | prec. | s/iter | fit (min–max) | GFLOP/s | % peak | vs sklearnex | vs faiss | inertia Δ | check | what ran |"
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
        let best = rs
            .iter()
            .filter(|r| r.status == "ok")
            .filter_map(|r| r.s_per_iter)
            .fold(f64::INFINITY, f64::min);
        for r in rs.iter().filter(|r| r.status != "skipped") {
            let name = if r.s_per_iter == Some(best) && r.status == "ok" {
                format!("**{}**", r.contestant)
            } else {
                r.contestant.clone()
            };
            let check = match r.status.as_str() {
                "ok" => "ok".to_string(),
                other => format!("**{other}**: {}", r.reason),
            };
            let _ = writeln!(
                o,
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {check} | {} |",
                r.precision,
                secs(r.s_per_iter),
                spread(&r.fit_s_all),
                r.gflops.map_or("—".into(), |g| format!("{g:.1}")),
                r.frac_fma_peak
                    .map_or("—".into(), |f| format!("{:.0} %", f * 100.0)),
                ratio(r.speedup_vs_sklearnex),
                ratio(r.speedup_vs_faiss),
                r.inertia_rel_diff
                    .map_or("—".into(), |x| format!("{x:.1e}")),
                r.detail.replace('|', "/"),
            );
        }
        let skipped: Vec<String> = rs
            .iter()
            .filter(|r| r.status == "skipped")
            .map(|r| format!("`{}` ({})", r.contestant, r.reason))
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(o, "\nNot run: {}.", skipped.join("; "));
        }
        let _ = writeln!(o);
    }
    if !seeds.is_empty() {
        let _ = writeln!(
            o,
            "## Greedy k-means++ seeding (2 + ⌊ln k⌋ candidates per step)\n\n\
Ours: `kmeans --init greedy-k-means++ --k-min k --k-max k --max-iter 1`, the summary's seeding seconds; \
scikit-learn: `sklearn.cluster.kmeans_plusplus`; sklearnex: oneDAL's `onedal.cluster.kmeans_plusplus` \
(what its KMeans runs). Each repeat with its own seed. `potential`: inertia of the seeds evaluated by the \
harness (ours: after one Lloyd iteration from its seeds, which is at most its seeds' potential: the binary \
does not return the seeds).\n"
        );
        let _ = writeln!(
            o,
            "| cell | contestant | seeding (median) | min–max | vs scikit-learn | potential | check | what ran |"
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---|---|");
        for r in seeds {
            let check = if r.status == "ok" {
                "ok".to_string()
            } else {
                format!("**{}**: {}", r.status, r.reason)
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {check} | {} |",
                r.cell,
                r.contestant,
                secs(r.seed_s),
                spread(&r.seed_s_all),
                ratio(r.speedup_vs_sklearn),
                r.potential.map_or("—".into(), |p| format!(
                    "{p:.6e}{}",
                    if r.potential_of == "seeds" {
                        ""
                    } else {
                        " (after 1 iteration)"
                    }
                )),
                r.detail.replace('|', "/"),
            );
        }
        let _ = writeln!(o);
    }
    let loads: Vec<String> = meta
        .get("loadavg")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    let _ = writeln!(
        o,
        "Load average (1 min) at the start, after each cell and at the end: {}. Other work on the machine \
inflates every time; the contestants of a cell run one after the other, in an order rotated per cell.\n",
        loads.join(", ")
    );
    let _ = writeln!(
        o,
        "Files: `modern.csv` (one row per contestant and cell, every column), `seeding.csv`, `modern.json` \
(the rows plus the versions, threadpoolctl reports and sklearnex dispatch logs of every process), `machine.json`."
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, prec: &str, inertia: f64, per_iter: f64) -> FitRow {
        FitRow {
            cell: "c".into(),
            contestant: name.into(),
            precision: prec.into(),
            iterations: 3,
            n_iter: Some(3),
            inertia: Some(inertia),
            s_per_iter: Some(per_iter),
            status: MEASURED.into(),
            ..FitRow::default()
        }
    }

    #[test]
    fn a_wrong_answer_cannot_win() {
        let mut rows = vec![
            row("sklearnex", "f64", 100.0, 2.0),
            row("kmeans", "f64", 100.0, 1.0),
            row("cheat", "f64", 101.0, 0.1),
            row("kmeans-f32", "f32", 100.001, 0.5),
            row("faiss", "f32", 100.2, 4.0),
        ];
        rows[1].n_iter = Some(3);
        check(
            &mut rows,
            Tolerance {
                f64: 1e-6,
                f32: 1e-3,
            },
        );
        assert_eq!(rows[0].reference, "kmeans");
        assert_eq!(rows[1].status, "ok");
        assert_eq!(rows[2].status, "wrong");
        assert_eq!(rows[2].speedup_vs_sklearnex, None);
        assert_eq!(rows[3].status, "ok");
        assert_eq!(rows[4].status, "wrong");
        assert_eq!(rows[1].speedup_vs_sklearnex, Some(2.0));
        assert_eq!(rows[3].speedup_vs_faiss, None); // faiss was wrong
        let md = markdown(&rows, &[], &json!({}));
        assert!(md.contains("| **kmeans-f32** |"), "{md}");
    }

    #[test]
    fn too_few_iterations_is_wrong() {
        let mut rows = vec![row("kmeans", "f64", 1.0, 1.0), row("x", "f64", 1.0, 1.0)];
        rows[1].n_iter = Some(2);
        check(
            &mut rows,
            Tolerance {
                f64: 1e-6,
                f32: 1e-3,
            },
        );
        assert_eq!(rows[1].status, "wrong");
        assert!(rows[1].reason.contains("2 of 3"));
    }
}
