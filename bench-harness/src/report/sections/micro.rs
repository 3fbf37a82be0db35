//! The "Micro-benchmarks" section of REPORT.md, from `micro.csv` (`bench-harness micro`):
//! one table per kernel of the Criterion rows, the assignment kernel against the roof
//! (the data of `figures/kernel-roofline.svg` and its table), and the instruction counts.

use super::kernel_roofline::{assign_roofline, roof_subsection, KERNEL_ROOFLINE_SVG};
use crate::microdata::{Row, CRITERION, GUNGRAUN};
use crate::report::data::Folder;
use crate::report::fmt::{cell_text, duration, sig3, table, thousands, unit_of};
use std::collections::BTreeMap;
use std::fmt::Write;

fn pct(frac: Option<f64>) -> Option<String> {
    frac.filter(|f| f.is_finite())
        .map(|f| format!("{:.1} %", f * 100.0))
}

fn rate(x: Option<f64>, frac: Option<f64>) -> String {
    match (x.filter(|v| v.is_finite()), pct(frac)) {
        (Some(v), Some(p)) => format!("{} ({p})", sig3(v)),
        (Some(v), None) => sig3(v),
        _ => "–".into(),
    }
}

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map(|v| v.to_string()).unwrap_or_else(|| "–".into())
}

/// The code cell: the variant, with the ISA when the variant does not name it
/// (`flat` with automatic dispatch).
fn code(r: &Row) -> String {
    let v = if r.variant.is_empty() {
        "?"
    } else {
        &r.variant
    };
    let named = r.variant.ends_with(&r.isa);
    if r.isa.is_empty() || named {
        format!("`{}`", cell_text(v, 40))
    } else {
        format!("`{}` ({})", cell_text(v, 40), cell_text(&r.isa, 20))
    }
}

fn time_cell(r: &Row) -> String {
    let Some(t) = r.time_s.filter(|t| t.is_finite()) else {
        return "–".into();
    };
    let (unit, name) = unit_of(t);
    match (r.time_lo_s, r.time_hi_s) {
        (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => format!(
            "{} {name} ({}–{})",
            sig3(t / unit),
            sig3(lo / unit),
            sig3(hi / unit)
        ),
        _ => duration(t),
    }
}

/// The probe numbers the rows' fractions were taken of, per thread count.
fn probe_text(rows: &[&Row]) -> String {
    let mut by_threads: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for r in rows {
        if r.probe_fma_gflops.is_none() && r.probe_triad_gbs.is_none() {
            continue;
        }
        let pair = (
            r.probe_fma_gflops
                .map(|x| format!("{x:.1} GFLOP/s"))
                .unwrap_or_else(|| "– GFLOP/s".into()),
            r.probe_triad_gbs
                .map(|x| format!("{x:.1} GB/s"))
                .unwrap_or_else(|| "– GB/s".into()),
        );
        let e = by_threads.entry(r.threads.unwrap_or(1)).or_default();
        if !e.contains(&pair) {
            e.push(pair);
        }
    }
    if by_threads.is_empty() {
        return "No probe numbers were available when these rows were measured: the percentages are empty.".into();
    }
    let mut mixed = false;
    let parts: Vec<String> = by_threads
        .iter()
        .map(|(t, pairs)| {
            mixed |= pairs.len() > 1;
            let vals: Vec<String> = pairs
                .iter()
                .map(|(f, b)| format!("FMA peak {f}, triad {b}"))
                .collect();
            format!(
                "{t} thread{}: {}",
                if *t == 1 { "" } else { "s" },
                vals.join(" or ")
            )
        })
        .collect();
    format!(
        "Probe numbers the percentages are of (each row records its own, `probe_fma_gflops` and `probe_triad_gbs`: the bench run's `target/criterion/probe.json`, else machine.json's): {}.{}",
        parts.join("; "),
        if mixed {
            " The rows come from runs with different probe results; each row uses its own run's."
        } else {
            ""
        }
    )
}

fn kernel_table(rows: &[&Row]) -> String {
    let has_k = rows.iter().any(|r| r.k.is_some());
    let has_flops = rows.iter().any(|r| r.gflops.is_some());
    let has_bytes = rows.iter().any(|r| r.gbs.is_some());
    let mut header: Vec<String> = vec!["n".into(), "d".into()];
    if has_k {
        header.push("k".into());
    }
    header.extend([
        "code".into(),
        "threads".into(),
        "median time (95 % CI)".into(),
    ]);
    if has_flops {
        header.push("GFLOP/s (% of FMA peak)".into());
    }
    if has_bytes {
        header.push("GB/s (% of triad)".into());
    }
    let right: Vec<bool> = header.iter().map(|h| h != "code").collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = vec![opt(r.n), opt(r.d)];
            if has_k {
                c.push(opt(r.k));
            }
            c.extend([code(r), opt(r.threads), time_cell(r)]);
            if has_flops {
                c.push(rate(r.gflops, r.frac_fma_peak));
            }
            if has_bytes {
                c.push(rate(r.gbs, r.frac_bandwidth));
            }
            c
        })
        .collect();
    table(&header, &right, &body)
}

fn instructions_table(rows: &[&Row]) -> String {
    let header: Vec<String> = [
        "kernel",
        "code",
        "n",
        "d",
        "k",
        "instructions (Ir)",
        "D1 misses",
        "LL misses",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let right = [false, false, true, true, true, true, true, true];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                cell_text(&r.kernel, 40),
                code(r),
                opt(r.n),
                opt(r.d),
                opt(r.k),
                r.instructions.map(thousands).unwrap_or_else(|| "–".into()),
                r.d1_misses.map(thousands).unwrap_or_else(|| "–".into()),
                r.ll_misses.map(thousands).unwrap_or_else(|| "–".into()),
            ]
        })
        .collect();
    table(&header, &right, &body)
}

fn time_range(rows: &[Row]) -> Option<(String, String)> {
    let mut ts: Vec<&str> = rows
        .iter()
        .map(|r| r.timestamp.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    ts.sort_unstable();
    Some((ts.first()?.to_string(), ts.last()?.to_string()))
}

/// The section (heading included), or `None` when the folder has no micro.csv.
/// `figures` are the figure files `report` wrote (for the kernel roofline's link).
pub fn section(folder: &Folder, figures: &[String]) -> Option<String> {
    let mut s = String::from("## Micro-benchmarks\n\n");
    if let Some(e) = &folder.micro_error {
        let _ = writeln!(s, "`micro.csv` could not be read: {}\n", cell_text(e, 300));
        return Some(s);
    }
    let m = folder.micro.as_ref()?;
    let mut rows: Vec<Row> = m.rows.clone();
    crate::microdata::sort_rows(&mut rows);
    let timed: Vec<&Row> = rows.iter().filter(|r| r.source == CRITERION).collect();
    let counted: Vec<&Row> = rows.iter().filter(|r| r.source == GUNGRAUN).collect();
    let other = rows.len() - timed.len() - counted.len();
    let _ = write!(
        s,
        "From `micro.csv` (`bench-harness micro`, which runs `cargo bench -p kernels`): {} benchmarks timed by Criterion and {} instruction counts (gungraun){}",
        timed.len(),
        counted.len(),
        if other > 0 {
            format!(", {other} rows of another source left out")
        } else {
            String::new()
        }
    );
    match time_range(&rows) {
        Some((a, b)) if a == b => {
            let _ = write!(s, ", measured {a}");
        }
        Some((a, b)) => {
            let _ = write!(s, ", measured between {a} and {b}");
        }
        None => {}
    }
    s.push_str(".\n\n");
    if rows.is_empty() {
        s.push_str("The file has no rows.\n\n");
    }
    if !timed.is_empty() {
        s.push_str(
            "Time: Criterion's median with its 95 % confidence interval. GFLOP/s: the bench's flops per iteration / median time (assign: 2·n·k·d per pass; lloyd1: two passes, 4·n·k·d). GB/s: bytes of input read per iteration / median time (assign: the 8·n·d bytes of data of its pass; lloyd1: three passes, 24·n·d; parse-csv: the CSV read; write-csv-k32: the CSV written). Percentages: of the probe's FMA peak and triad bandwidth at the same thread count. `flat` is the automatic dispatch (the ISA in brackets: the one the probe detected); `flat-simd-<isa>` the SIMD kernel capped at that level; `flat-scalar` the canonical scalar loop; `aos` the seed's layout. Benches without a thread count run serially.\n\n",
        );
        s.push_str(&probe_text(&timed));
        s.push_str("\n\n");
        let mut kernels: Vec<&str> = Vec::new();
        for r in &timed {
            if !kernels.contains(&r.kernel.as_str()) {
                kernels.push(&r.kernel);
            }
        }
        for k in kernels {
            let of: Vec<&Row> = timed.iter().copied().filter(|r| r.kernel == k).collect();
            let _ = writeln!(s, "### {}\n", cell_text(k, 60));
            s.push_str(&kernel_table(&of));
            s.push('\n');
        }
    }
    if let Some(rl) = assign_roofline(&rows) {
        s.push_str(&roof_subsection(
            &rl,
            figures.iter().any(|f| f == KERNEL_ROOFLINE_SVG),
        ));
    }
    if !counted.is_empty() {
        s.push_str("### Instruction counts\n\n");
        s.push_str("`cargo bench -p kernels --bench instructions` (callgrind, one thread, the SIMD level capped at AVX2): instructions executed (Ir), D1 misses (D1mr + D1mw) and last-level misses (ILmr + DLmr + DLmw) of one call, setup excluded.\n\n");
        s.push_str(&instructions_table(&counted));
        s.push('\n');
    }
    if !m.skipped.is_empty() {
        s.push_str("Unusable lines of `micro.csv` (left out):\n\n");
        for (line, why) in &m.skipped {
            let _ = writeln!(s, "- micro.csv:{line}: {}", cell_text(why, 200));
        }
        s.push('\n');
    }
    Some(s)
}
