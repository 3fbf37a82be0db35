//! Every SIMD level against the canonical scalar kernel: labels, sums and seeding
//! values bit for bit, on awkward shapes and on data built to have near-ties.

mod common;

use common::*;
use kernels::accum::{Centers, Partial};
use kernels::data::Matrix;
use kernels::kernel::isa::{self, Isa};
use kernels::kernel::KernelChoice;
use kernels::layout::{Flat, Layout};
use std::sync::Mutex;

/// The ISA cap is process-wide; tests in this file take turns.
static CAP: Mutex<()> = Mutex::new(());

fn levels() -> Vec<Isa> {
    isa::available()
}

/// The seeding's shortcut (`init::keeps_closer_rows`): the `closer` bits that
/// `potentials` keeps for candidate `t` mark exactly the rows whose `closest`
/// `update_closest` changes for it, updating just those rows one at a time gives the
/// same `closest` bit for bit, and the potential (plain and weighted) is bit for bit
/// the sum the seeding would take after that update.
fn potentials_keep_what_update_computes(
    x: &dyn Layout,
    n: usize,
    d: usize,
    cands: &[f64],
    closest: &[f64],
    pots: &[f64],
    what: &str,
) {
    let m = (cands.len() / d).min(8);
    let cands = &cands[..m * d];
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let w: Vec<f64> = (0..n).map(|i| 0.25 + (i % 7) as f64 * 0.5).collect();
    let mut closer = vec![0xAAu8; n];
    let mut again = vec![0.0; m];
    x.potentials(0..n, cands, closest, None, &mut again, Some(&mut closer));
    assert_eq!(
        bits(&again),
        bits(&pots[..m]),
        "{what}: potentials with closer"
    );
    let mut wpots = vec![0.0; m];
    let mut wcloser = vec![0x55u8; n];
    x.potentials(
        0..n,
        cands,
        closest,
        Some(&w),
        &mut wpots,
        Some(&mut wcloser),
    );
    assert_eq!(wcloser, closer, "{what}: weighted closer");
    for t in 0..m {
        let mut upd = closest.to_vec();
        let s = x.update_closest(0..n, &cands[t * d..(t + 1) * d], &mut upd, false);
        let mut sparse = closest.to_vec();
        for i in 0..n {
            let changed = upd[i].to_bits() != closest[i].to_bits();
            assert_eq!(
                closer[i] >> t & 1 == 1,
                changed,
                "{what}: row {i}, candidate {t}"
            );
            if changed {
                x.update_closest(
                    i..i + 1,
                    &cands[t * d..(t + 1) * d],
                    &mut sparse[i..i + 1],
                    false,
                );
            }
        }
        assert_eq!(
            bits(&sparse),
            bits(&upd),
            "{what}: sparse update of candidate {t}"
        );
        assert_eq!(
            s.to_bits(),
            pots[t].to_bits(),
            "{what}: potential of candidate {t}"
        );
        let ws = upd.iter().zip(&w).fold(0.0, |acc, (v, wi)| acc + wi * v);
        assert_eq!(
            ws.to_bits(),
            wpots[t].to_bits(),
            "{what}: weighted potential {t}"
        );
    }
}

/// Compares one assignment pass and both seeding passes of the SIMD kernel (at
/// every level) with the scalar kernel.
fn check(rows: &[f64], n: usize, d: usize, centers: &[f64], what: &str) {
    let k = centers.len() / d;
    let m = Matrix::from_vec(n, d, rows.to_vec());
    let mut c = Centers::new(k, d);
    c.set(centers);
    // The screened kernel reads the centers' f32 panel copy (kept on request).
    let mut cs = Centers::new(k, d);
    cs.set_screened(&mean_of(rows, d));
    cs.set(centers);
    let scalar = Flat::new(&m, KernelChoice::Scalar);
    let run = |x: &Flat, c: &Centers| {
        let mut labels = vec![u32::MAX; n];
        let mut part = Partial::new(k, d);
        x.assign(0..n, c, &mut labels, &mut part, true);
        let mut closest = vec![0.0; n];
        let s0 = x.update_closest(0..n, &centers[..d], &mut closest, true);
        let s1 = x.update_closest(0..n, &centers[(k - 1) * d..], &mut closest, false);
        let mut pots = vec![0.0; k];
        x.potentials(0..n, centers, &closest, None, &mut pots, None);
        potentials_keep_what_update_computes(x, n, d, centers, &closest, &pots, what);
        // Hamerly's full search: canonical labels and a valid lower bound on the
        // squared distance to every other center.
        let mut fl = vec![u32::MAX; n];
        let mut second = vec![0.0; n];
        x.full_search(m.as_slice(), c, &mut fl, &mut second);
        for i in 0..n {
            let row = &rows[i * d..(i + 1) * d];
            assert_eq!(
                fl[i] as usize,
                kernels::distance::nearest(row, centers, d),
                "{what}: full search label of row {i}"
            );
            let other = (0..k)
                .filter(|&j| j != fl[i] as usize)
                .map(|j| kernels::distance::dist2(row, &centers[j * d..(j + 1) * d]))
                .fold(f64::INFINITY, f64::min);
            let slack = other * 64.0 * (d as f64 + 8.0) * f64::EPSILON + 1e-300;
            assert!(
                second[i] >= 0.0 && second[i] <= other + slack,
                "{what}: row {i}: lower bound {} above the second-best distance {other}",
                second[i]
            );
        }
        (labels, part, closest, [s0, s1], pots)
    };
    let want = run(&scalar, &c);
    let _g = CAP.lock().unwrap_or_else(|e| e.into_inner());
    for level in levels() {
        isa::set_max_isa(Some(level));
        assert_eq!(isa::active(), level);
        for choice in [
            KernelChoice::Simd,
            KernelChoice::Tiled,
            KernelChoice::Blocked,
            KernelChoice::Screened,
        ] {
            let centers = if choice == KernelChoice::Screened {
                &cs
            } else {
                &c
            };
            let got = run(&Flat::new(&m, choice), centers);
            let ctx = format!("{what} isa={} {choice:?}", level.name());
            assert_eq!(got.0, want.0, "labels: {ctx}");
            assert_eq!(got.1.changed, want.1.changed, "changed: {ctx}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.1.sums), bits(&want.1.sums), "sums: {ctx}");
            assert_eq!(bits(&got.1.counts), bits(&want.1.counts), "counts: {ctx}");
            assert_eq!(bits(&got.2), bits(&want.2), "closest: {ctx}");
            assert_eq!(bits(&got.3), bits(&want.3), "closest sums: {ctx}");
            assert_eq!(bits(&got.4), bits(&want.4), "potentials: {ctx}");
        }
    }
    isa::set_max_isa(None);
}

#[test]
fn every_level_matches_scalar_on_awkward_shapes() {
    for &n in &[1usize, 3, 4, 5, 7, 8, 9, 63, 64, 65, 257] {
        for &d in &[1usize, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33] {
            for &k in &[1usize, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40] {
                let rows = flatten(&uniform(n, d, (n * 31 + d) as u64));
                let centers = flatten(&uniform(k, d, (k * 7 + d) as u64));
                check(&rows, n, d, &centers, &format!("n={n} d={d} k={k}"));
            }
        }
    }
}

/// Widths the AVX-512 k ≤ 8 kernel knows at compile time (8, 16, 24, 32, 64): the
/// previous tile's rows go into the sums inside the next tile's FMA loop, so the
/// first and last tiles, a single tile and the rows after the last whole tile are the
/// edges; a width next to each takes the runtime path.
#[test]
fn compile_time_widths_match_scalar() {
    for &d in &[8usize, 16, 24, 32, 64, 23, 25, 63, 65] {
        for &n in &[1usize, 7, 8, 9, 15, 16, 17, 24, 63, 64, 65, 257] {
            for &k in &[2usize, 3, 5, 8] {
                let rows = flatten(&uniform(n, d, (n * 13 + d) as u64));
                let centers = flatten(&uniform(k, d, (k * 5 + d) as u64));
                check(&rows, n, d, &centers, &format!("n={n} d={d} k={k}"));
            }
        }
    }
}

/// Blocks longer than one group of rows (the kernel adds each group's rows into the
/// sums once its labels are known; `SUM_GROUP_BYTES` of rows, whole tiles): the
/// sums must still be added in row order, the last group partial and the rows after
/// the last whole tile included.
#[test]
fn sums_over_several_row_groups() {
    let group_rows = |d: usize| kernels::kernel::sums::SUM_GROUP_BYTES / (8 * d);
    for &d in &[16usize, 32, 64, 65, 128] {
        let n = 3 * group_rows(d) + 13;
        for &k in &[2usize, 8, 20] {
            let rows = flatten(&uniform(n, d, (n * 31 + d) as u64));
            let centers = flatten(&uniform(k, d, (k * 7 + d) as u64));
            check(&rows, n, d, &centers, &format!("n={n} d={d} k={k}"));
        }
    }
}

/// The panel-packed centers and the cache-blocked order around every boundary:
/// k just below, at and above one, two and three panels of 32 centers (and the
/// vectors of the last panel not a multiple of a tile); n below one row block, at
/// it and across several with a partial last tile; d not a multiple of the lanes.
/// Tiled and blocked orders must give the scalar kernel's labels and sums bit for
/// bit (`check` runs both at every ISA level).
#[test]
fn both_orders_match_scalar_around_panels_and_blocks() {
    let block = kernels::kernel::assign::BLOCK_TILES * 6;
    for &k in &[31usize, 32, 33, 40, 63, 64, 65, 96, 97, 100] {
        for &d in &[5usize, 9, 31, 33, 64] {
            for &n in &[1usize, 5, block - 1, block, block + 1, 3 * block + 7] {
                let rows = flatten(&uniform(n, d, (n * 31 + d + k) as u64));
                let centers = flatten(&uniform(k, d, (k * 7 + d) as u64));
                check(&rows, n, d, &centers, &format!("n={n} d={d} k={k}"));
            }
        }
    }
}

/// Near-ties across panels: duplicated centers in different panels (center j and
/// j + 32, j + 64 identical) and rows equidistant from mirrored centers, so the
/// running argmin carried across panels must keep the lowest index and send the
/// ties to the canonical re-check.
#[test]
fn both_orders_recheck_near_ties_across_panels() {
    for &d in &[8usize, 33] {
        let k = 97;
        let base = flatten(&uniform(32, d, 77));
        let mut centers = Vec::with_capacity(k * d);
        for j in 0..k {
            centers.extend_from_slice(&base[(j % 32) * d..(j % 32 + 1) * d]);
        }
        // Mirror center 96 (panel 3) of center 5 across the plane x0 = 0.
        let mut mirror = centers[5 * d..6 * d].to_vec();
        mirror[0] = -mirror[0];
        centers[96 * d..97 * d].copy_from_slice(&mirror);
        let n = 150;
        let mut rows = flatten(&uniform(n, d, 5));
        for i in (0..n).step_by(3) {
            rows[i * d] = 0.0;
            for t in 1..d {
                rows[i * d + t] = centers[5 * d + t] + 1e-9 * t as f64;
            }
        }
        check(&rows, n, d, &centers, &format!("ties across panels d={d}"));
    }
}

#[test]
fn exact_ties_go_to_the_lowest_index() {
    // centers mirrored around the plane x0 = 0; points on the plane are exactly
    // equidistant from each mirrored pair, and duplicated centers tie everywhere.
    for d in [1usize, 2, 3, 5, 8, 33] {
        let k = 6;
        let mut centers = vec![0.0; k * d];
        for j in 0..3 {
            centers[2 * j * d] = -(j as f64 + 1.0);
            centers[(2 * j + 1) * d] = j as f64 + 1.0;
            for t in 1..d {
                centers[2 * j * d + t] = 0.25 * t as f64;
                centers[(2 * j + 1) * d + t] = 0.25 * t as f64;
            }
        }
        let n = 101;
        let mut rows = flatten(&uniform(n, d, 3));
        for i in 0..n {
            rows[i * d] = 0.0;
        }
        check(&rows, n, d, &centers, &format!("mirror d={d}"));
        let dup: Vec<f64> = [&centers[..d], &centers[..d], &centers[d..2 * d]].concat();
        check(&rows, n, d, &dup, &format!("duplicate centers d={d}"));
    }
}

#[test]
fn near_ties_far_from_the_origin_are_rechecked() {
    // Large offsets make the expanded form lose most of its digits: ‖x‖², ‖c‖² ~ 1e16
    // while the distances that decide are ~1. Centers 1 ulp-ish apart, points between.
    for d in [5usize, 8, 32, 33] {
        let base = 1e8;
        let k = 4;
        let mut centers = vec![base; k * d];
        for j in 0..k {
            centers[j * d] += j as f64 * 1e-7;
        }
        let n = 200;
        let noise = uniform(n, d, 9);
        let mut rows = vec![0.0; n * d];
        for i in 0..n {
            for t in 0..d {
                rows[i * d + t] = base + noise[i][t] * 3e-7;
            }
        }
        check(&rows, n, d, &centers, &format!("far d={d}"));
    }
}

#[test]
fn extreme_magnitudes() {
    for d in [2usize, 8, 32] {
        let n = 40;
        let mut rows = flatten(&uniform(n, d, 4));
        for (i, v) in rows.iter_mut().enumerate() {
            *v *= match i % 4 {
                0 => 1e300,
                1 => 1e-300,
                2 => 5e-324,
                _ => 1.0,
            };
        }
        let centers = flatten(&uniform(5, d, 8))
            .iter()
            .map(|v| v * 1e150)
            .collect::<Vec<_>>();
        check(&rows, n, d, &centers, &format!("extreme d={d}"));
    }
}

/// Under the aarch64 cross test (scripts/neon-test.sh, qemu-aarch64), the NEON path
/// is the one that runs: pulp detects NEON and vectors hold 2 f64 lanes.
#[test]
#[cfg(target_arch = "aarch64")]
fn neon_is_the_path_that_runs() {
    let _g = CAP.lock().unwrap_or_else(|e| e.into_inner());
    isa::set_max_isa(None);
    assert_eq!(isa::detected(), Isa::Simd128);
    assert_eq!(isa::active(), Isa::Simd128);
    assert_eq!(isa::active().name(), "neon");
    assert_eq!(kernels::probe::f64_lanes(), 2);
    assert!(matches!(pulp::Arch::new(), pulp::Arch::Neon(_)));
}

/// Column means of `n × d` row-major values (the screened layout's shift).
fn mean_of(rows: &[f64], d: usize) -> Vec<f64> {
    let n = rows.len() / d;
    let mut m = vec![0.0; d];
    for r in rows.chunks_exact(d) {
        for (a, v) in m.iter_mut().zip(r) {
            *a += v;
        }
    }
    m.iter().map(|v| v / n as f64).collect()
}
