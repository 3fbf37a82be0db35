//! The "Micro-benchmarks" section of REPORT.md, from `micro.csv` (`bench-harness micro`):
//! one table per kernel of the Criterion rows, the assignment kernel against the roof
//! (the data of `figures/kernel-roofline.svg` and its table), and the instruction counts.

use super::data::Folder;
use super::fmt::{cell_text, table};
use crate::microdata::{Row, CRITERION, GUNGRAUN};
use crate::roofline::Roof;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A duration with three significant digits in ns, µs, ms or s.
pub fn duration(s: f64) -> String {
    let (v, unit) = unit_of(s);
    format!("{} {unit}", sig3(s / v))
}

fn unit_of(s: f64) -> (f64, &'static str) {
    let a = s.abs();
    if a < 1e-6 {
        (1e-9, "ns")
    } else if a < 1e-3 {
        (1e-6, "µs")
    } else if a < 1.0 {
        (1e-3, "ms")
    } else {
        (1.0, "s")
    }
}

/// Three significant digits (no exponent): `0.123`, `4.56`, `78.9`, `123`, `4560`.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// An integer with thousands separators: `2,361,723`.
pub fn thousands(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

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

/// The figure of the assignment kernel on the roofline (written by `report` into
/// `figures/` when micro.csv has `assign` rows with flops and bytes).
pub const KERNEL_ROOFLINE_SVG: &str = "kernel-roofline.svg";

/// The roof at one thread count, from the probe numbers the rows recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadRoof {
    /// The thread count.
    pub threads: usize,
    /// FMA peak and triad bandwidth at that thread count.
    pub roof: Roof,
    /// Rows at this thread count recorded other probe numbers too (the most common pair is used).
    pub mixed: bool,
}

impl ThreadRoof {
    /// Attainable GFLOP/s at arithmetic intensity `ai` (flop/byte).
    pub fn attainable(&self, ai: f64) -> f64 {
        self.roof.attainable(ai)
    }

    /// The intensity where the roof turns flat.
    pub fn ridge(&self) -> f64 {
        self.roof.ridge()
    }

    /// `1 thread: 131 GFLOP/s, 35 GB/s`.
    pub fn label(&self) -> String {
        format!(
            "{} thread{}: {} GFLOP/s, {} GB/s",
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            whole(self.roof.peak_gflops),
            whole(self.roof.bw_gbs)
        )
    }
}

/// No decimals from 10 up, three significant digits below.
fn whole(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.0}")
    } else {
        sig3(x)
    }
}

/// One Criterion `assign` benchmark on the roofline.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelPoint {
    pub variant: String,
    pub threads: usize,
    pub n: usize,
    pub d: usize,
    pub k: usize,
    /// Arithmetic intensity, the row's flops / bytes (2·n·k·d / 8·n·d = k/4).
    pub ai: f64,
    pub gflops: f64,
    pub time_s: f64,
}

/// The assignment kernel's points and the roofs they are drawn against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssignRoofline {
    /// One per (variant, threads, d, k) at the shape's largest n; ordered by d, k,
    /// variant, threads.
    pub points: Vec<KernelPoint>,
    /// One per thread count of the points that has both probe numbers, by threads.
    pub roofs: Vec<ThreadRoof>,
    /// Thread counts of the points, ascending.
    pub threads: Vec<usize>,
    /// Variants of the points, in legend order.
    pub variants: Vec<String>,
    /// Feature counts of the points, ascending.
    pub ds: Vec<usize>,
    /// The n used, ascending (one per shape; usually a single value).
    pub ns: Vec<usize>,
    /// Rows left out because their shape was also measured at a larger n.
    pub smaller_n: usize,
}

impl AssignRoofline {
    /// The roof at `threads`, when the rows had its probe numbers.
    pub fn roof(&self, threads: usize) -> Option<&ThreadRoof> {
        self.roofs.iter().find(|r| r.threads == threads)
    }

    /// "n = 262,144" or "n = 65,536 to 262,144 (the largest measured per shape)".
    pub fn n_text(&self) -> String {
        match (self.ns.first(), self.ns.last()) {
            (Some(a), Some(b)) if a == b => format!("n = {}", thousands(*a as u64)),
            (Some(a), Some(b)) => format!(
                "n = {} to {} (per shape)",
                thousands(*a as u64),
                thousands(*b as u64)
            ),
            _ => String::new(),
        }
    }
}

/// The `assign` rows of Criterion with flops, bytes and a time, at the largest n of
/// each shape (d, k), with the roof of every thread count from the rows' probe
/// numbers. `None` when there is no such row. Other kernels are left out: seeding,
/// parsing and writing have no flops, and `lloyd1` is a different kernel.
pub fn assign_roofline(rows: &[Row]) -> Option<AssignRoofline> {
    struct Cand<'a> {
        row: &'a Row,
        p: KernelPoint,
    }
    let mut cands: Vec<Cand> = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.source == CRITERION && r.kernel == "assign")
    {
        let (Some(n), Some(d), Some(k), Some(flops), Some(bytes)) =
            (r.n, r.d, r.k, r.flops, r.bytes)
        else {
            continue;
        };
        let Some(time_s) = r.time_s.filter(|t| t.is_finite() && *t > 0.0) else {
            continue;
        };
        if flops == 0 || bytes == 0 {
            continue;
        }
        let gflops = r
            .gflops
            .filter(|g| g.is_finite() && *g > 0.0)
            .unwrap_or(flops as f64 / time_s / 1e9);
        cands.push(Cand {
            row: r,
            p: KernelPoint {
                variant: if r.variant.is_empty() {
                    "?".into()
                } else {
                    r.variant.clone()
                },
                threads: r.threads.unwrap_or(1),
                n,
                d,
                k,
                ai: flops as f64 / bytes as f64,
                gflops,
                time_s,
            },
        });
    }
    let mut largest: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for c in &cands {
        let e = largest.entry((c.p.d, c.p.k)).or_insert(c.p.n);
        *e = (*e).max(c.p.n);
    }
    let before = cands.len();
    cands.retain(|c| largest.get(&(c.p.d, c.p.k)) == Some(&c.p.n));
    let smaller_n = before - cands.len();
    cands.sort_by(|a, b| {
        (
            a.p.d,
            a.p.k,
            super::palette::VARIANTS.rank(&a.p.variant),
            a.p.threads,
        )
            .cmp(&(
                b.p.d,
                b.p.k,
                super::palette::VARIANTS.rank(&b.p.variant),
                b.p.threads,
            ))
            .then_with(|| a.row.bench_id.cmp(&b.row.bench_id))
    });
    // One point per (variant, threads, shape): the first (a duplicate id is not expected).
    cands.dedup_by(|b, a| {
        (a.p.d, a.p.k, a.p.threads) == (b.p.d, b.p.k, b.p.threads) && a.p.variant == b.p.variant
    });
    if cands.is_empty() {
        return None;
    }
    let mut threads: Vec<usize> = cands.iter().map(|c| c.p.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let mut variants: Vec<String> = cands.iter().map(|c| c.p.variant.clone()).collect();
    variants.sort_by_key(|v| super::palette::VARIANTS.rank(v));
    variants.dedup();
    let mut ds: Vec<usize> = cands.iter().map(|c| c.p.d).collect();
    ds.sort_unstable();
    ds.dedup();
    let mut ns: Vec<usize> = largest.values().copied().collect();
    ns.sort_unstable();
    ns.dedup();
    let mut roofs = Vec::new();
    for &t in &threads {
        // (peak, bw), how many rows, latest timestamp.
        let mut pairs: Vec<((f64, f64), usize, &str)> = Vec::new();
        for c in cands.iter().filter(|c| c.p.threads == t) {
            let (Some(p), Some(b)) = (c.row.probe_fma_gflops, c.row.probe_triad_gbs) else {
                continue;
            };
            if !(p.is_finite() && p > 0.0 && b.is_finite() && b > 0.0) {
                continue;
            }
            match pairs.iter_mut().find(|(x, _, _)| *x == (p, b)) {
                Some(e) => {
                    e.1 += 1;
                    if c.row.timestamp.as_str() > e.2 {
                        e.2 = &c.row.timestamp;
                    }
                }
                None => pairs.push(((p, b), 1, &c.row.timestamp)),
            }
        }
        let mixed = pairs.len() > 1;
        if let Some(((p, b), _, _)) = pairs.iter().max_by(|x, y| x.1.cmp(&y.1).then(x.2.cmp(y.2))) {
            roofs.push(ThreadRoof {
                threads: t,
                roof: Roof {
                    peak_gflops: *p,
                    bw_gbs: *b,
                },
                mixed,
            });
        }
    }
    Some(AssignRoofline {
        points: cands.into_iter().map(|c| c.p).collect(),
        roofs,
        threads,
        variants,
        ds,
        ns,
        smaller_n,
    })
}

/// Intensity without trailing zeros: `2`, `8`, `0.25`, `2.667`.
fn intensity_text(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The "assignment step vs the roof" table: per shape and variant, the 1-thread rate,
/// the 1-thread roof at the shape's intensity and the fraction reached, and the
/// speedup of every other thread count over 1 thread (ratio of median times).
pub fn roof_table(rl: &AssignRoofline) -> String {
    let more: Vec<usize> = rl.threads.iter().copied().filter(|&t| t != 1).collect();
    let mut header = super::fmt::strings(&[
        "d",
        "k",
        "n",
        "code",
        "flop/byte",
        "GFLOP/s (1 thread)",
        "1-thread roof (GFLOP/s)",
        "of the roof",
    ]);
    for t in &more {
        header.push(format!("{t} threads / 1 thread"));
    }
    let right: Vec<bool> = header.iter().map(|h| h != "code").collect();
    let roof1 = rl.roof(1);
    let mut body: Vec<Vec<String>> = Vec::new();
    let mut seen: Vec<(usize, usize, &str)> = Vec::new();
    for p in &rl.points {
        let key = (p.d, p.k, p.variant.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let at = |t: usize| {
            rl.points
                .iter()
                .find(|q| (q.d, q.k, q.variant.as_str()) == key && q.threads == t)
        };
        let one = at(1);
        let roof = roof1.map(|r| r.attainable(p.ai));
        let mut c = vec![
            p.d.to_string(),
            p.k.to_string(),
            p.n.to_string(),
            format!("`{}`", cell_text(&p.variant, 40)),
            intensity_text(p.ai),
            one.map(|q| sig3(q.gflops)).unwrap_or_else(|| "–".into()),
            roof.map(sig3).unwrap_or_else(|| "–".into()),
            match (one, roof) {
                (Some(q), Some(a)) => format!("{:.1} %", q.gflops / a * 100.0),
                _ => "–".into(),
            },
        ];
        for &t in &more {
            c.push(match (one, at(t)) {
                (Some(a), Some(b)) => super::fmt::ratio(a.time_s / b.time_s),
                _ => "–".into(),
            });
        }
        body.push(c);
    }
    table(&header, &right, &body)
}

/// The subsection on the assignment kernel's roofline: the figure (when it was
/// written), what it shows, and [`roof_table`].
fn roof_subsection(rl: &AssignRoofline, has_figure: bool) -> String {
    let mut s = String::from("### Assignment step vs the roof\n\n");
    if has_figure {
        let _ = writeln!(
            s,
            "![Roofline of the assignment kernel](figures/{KERNEL_ROOFLINE_SVG})\n"
        );
    }
    let roofs: Vec<String> = rl.roofs.iter().map(ThreadRoof::label).collect();
    let _ = write!(
        s,
        "{} code variant, thread count and shape (d, k) of the `assign` benchmark (one assignment pass: distances, argmin, per-cluster sums) at {}{}. x: arithmetic intensity, the row's flops / bytes = 2·n·k·d / 8·n·d = k/4 flop/byte (the data read once; centers, labels and sums assumed to stay in cache), so shapes with the same k share an intensity; y: flops / Criterion's median time. The roof of each thread count is min(FMA peak, intensity × triad bandwidth), from the probe numbers the rows recorded ({}). Under the sloped part of a roof a kernel is limited by memory bandwidth, under the flat part by the FMA units; how far a point stays below its roof is time spent on neither (the argmin, the near-tie bookkeeping, the sums).",
        if has_figure {
            "The figure has one point per"
        } else {
            "The rows below are one per"
        },
        rl.n_text(),
        if rl.smaller_n > 0 {
            format!(
                ", the largest n measured for each shape ({} {} at smaller n left out)",
                rl.smaller_n,
                if rl.smaller_n == 1 { "row" } else { "rows" }
            )
        } else {
            String::new()
        },
        if roofs.is_empty() {
            "none: no roof".to_string()
        } else {
            roofs.join("; ")
        }
    );
    if rl.roofs.iter().any(|r| r.mixed) {
        s.push_str(" Rows of one thread count recorded different probe numbers (several bench runs): the roof uses the pair most rows recorded.");
    }
    s.push_str("\n\nPer shape and code: the GFLOP/s reached at 1 thread, the 1-thread roof at the shape's intensity and the fraction of it reached; `t threads / 1 thread`: median time at 1 thread / median time at t threads, same code and shape (`–`: not measured).\n\n");
    s.push_str(&roof_table(rl));
    s.push('\n');
    s
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(duration(0.00123), "1.23 ms");
        assert_eq!(duration(4.5e-7), "450 ns");
        assert_eq!(duration(2.5e-5), "25.0 µs");
        assert_eq!(duration(3.0), "3.00 s");
        assert_eq!(thousands(2_361_723), "2,361,723");
        assert_eq!(thousands(723), "723");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(sig3(0.5243), "0.524");
    }
}
