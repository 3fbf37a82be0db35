//! `--precision f32` (kernels::layout::flat32): every f32 kernel against a plain loop over the
//! f32 reference distance on awkward shapes, at every SIMD level and with pulp's scalar
//! backend; Lloyd on f32 bit-identical across thread counts and levels; and f32 results
//! against f64 within the documented tolerances.

mod common;

use common::{ari, blobs, flatten};
use kernels::accum::{Centers, Partial};
use kernels::data::Matrix;
use kernels::distance::{dist2_f32, max_magnitude_f32};
use kernels::exec::Exec;
use kernels::fit::{absolute_tol, fit, lloyd, Params};
use kernels::init::Init;
use kernels::kernel::isa::{self, Isa};
use kernels::kernel::KernelChoice;
use kernels::layout::flat32::{Flat32, BLOCK};
use kernels::layout::{Flat, Layout};
use kernels::rng::Rng;
use std::sync::Mutex;

/// The ISA cap is global: tests that set it take this lock.
static CAP: Mutex<()> = Mutex::new(());

/// Every level this machine runs, plus pulp's scalar backend through
/// `KernelChoice::Scalar` (`None` level).
fn paths() -> Vec<(Option<Isa>, KernelChoice)> {
    let mut v = vec![(None, KernelChoice::Scalar)];
    for l in isa::available() {
        v.push((Some(l), KernelChoice::Auto));
    }
    v
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// The reference argmin: f32 distances, lowest index on ties.
fn naive_label(row: &[f32], c: &[f32], d: usize) -> u32 {
    let mut best = 0;
    let mut bd = f32::INFINITY;
    for (j, cj) in c.chunks_exact(d).enumerate() {
        let v = dist2_f32(row, cj);
        if v < bd {
            bd = v;
            best = j;
        }
    }
    best as u32
}

fn random(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut r = Rng::for_k(seed, 1);
    (0..n).map(|_| (r.uniform() - 0.5) * scale).collect()
}

#[test]
fn assign_and_seeding_kernels_match_the_plain_loop_on_awkward_shapes() {
    let _g = CAP.lock().unwrap_or_else(|e| e.into_inner());
    for &n in &[0usize, 1, 2, 15, 16, 17, 31, 33, 97, 1024, 1031] {
        for &d in &[1usize, 2, 3, 4, 5, 8, 31, 33] {
            for &k in &[1usize, 2, 7, 8, 9, 17] {
                let x = random(n * d, (n * 131 + d * 7 + k) as u64, 10.0);
                // A few exact duplicates of rows among the centers make exact ties.
                let mut c = random(k * d, (n + d + k) as u64 + 5, 10.0);
                if n > 0 {
                    c[..d].copy_from_slice(&x[..d]);
                }
                let (xf, cf) = (f32s(&x), f32s(&c));
                let want: Vec<u32> = (0..n)
                    .map(|i| naive_label(&xf[i * d..(i + 1) * d], &cf, d))
                    .collect();
                // Reference sums: f32 values widened, added in row order.
                let mut sums = vec![0.0f64; k * d];
                let mut counts = vec![0.0f64; k];
                for i in 0..n {
                    let l = want[i] as usize;
                    for t in 0..d {
                        sums[l * d + t] += xf[i * d + t] as f64;
                    }
                    counts[l] += 1.0;
                }
                let closest_ref: Vec<f64> = (0..n)
                    .map(|i| dist2_f32(&xf[i * d..(i + 1) * d], &cf[..d]) as f64)
                    .collect();
                let m = Matrix::from_vec(n, d, x.clone());
                let mut centers = Centers::new(k, d);
                centers.set(&c);
                for (level, kc) in paths() {
                    isa::set_max_isa(level);
                    let ctx = format!("n={n} d={d} k={k} {level:?} {kc:?}");
                    let x32 = Flat32::from_matrix(&m, kc);
                    let mut labels = vec![u32::MAX; n];
                    let mut part = Partial::new(k, d);
                    x32.assign(0..n, &centers, &mut labels, &mut part, true);
                    assert_eq!(labels, want, "labels: {ctx}");
                    assert_eq!(part.changed, n, "changed: {ctx}");
                    assert!(
                        part.sums
                            .iter()
                            .zip(&sums)
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "sums: {ctx}"
                    );
                    assert_eq!(part.counts, counts, "counts: {ctx}");
                    // Ranges that start past the first block (as Lloyd's later chunks do).
                    for start in [16usize, 32, 1024] {
                        if start > n {
                            continue;
                        }
                        let mut lab = vec![u32::MAX; n - start];
                        let mut p = Partial::new(k, d);
                        x32.assign(start..n, &centers, &mut lab, &mut p, false);
                        assert_eq!(lab, want[start..], "labels from {start}: {ctx}");
                        let mut cl = vec![0.0; n - start];
                        x32.update_closest(start..n, &c[..d], &mut cl, true);
                        assert_eq!(cl, closest_ref[start..], "closest from {start}: {ctx}");
                    }
                    // A second pass changes nothing.
                    let mut part2 = Partial::new(k, d);
                    x32.assign(0..n, &centers, &mut labels, &mut part2, false);
                    assert_eq!(part2.changed, 0, "{ctx}");
                    // Rows round-trip through f32.
                    let mut buf = Vec::new();
                    for i in 0..n {
                        let got = x32.row(i, &mut buf).to_vec();
                        let exp: Vec<f64> =
                            xf[i * d..(i + 1) * d].iter().map(|&v| v as f64).collect();
                        assert_eq!(got, exp, "row {i}: {ctx}");
                    }
                    // Seeding: the first center, then a second one folded in.
                    let mut closest = vec![0.0; n];
                    let s = x32.update_closest(0..n, &c[..d], &mut closest, true);
                    assert_eq!(closest, closest_ref, "closest: {ctx}");
                    let total = closest_ref.iter().fold(0.0f64, |a, v| a + v);
                    assert_eq!(s.to_bits(), total.to_bits(), "{ctx}");
                    let c2 = &c[(k - 1) * d..];
                    x32.update_closest(0..n, c2, &mut closest, false);
                    let mut pots = vec![0.0; k];
                    let w: Vec<f64> = (0..n).map(|i| (i % 5) as f64 * 0.5).collect();
                    let mut closer = vec![0xAAu8; n];
                    let kk = k.min(8);
                    let mut pots8 = vec![0.0; kk];
                    x32.potentials(
                        0..n,
                        &c[..kk * d],
                        &closest,
                        Some(&w),
                        &mut pots8,
                        Some(&mut closer),
                    );
                    x32.potentials(0..n, &c, &closest, Some(&w), &mut pots, None);
                    assert_eq!(pots8[..], pots[..kk], "{ctx}");
                    // The kept bits mark the rows `update_closest` changes per candidate
                    // (the seeding's shortcut, `init::keeps_closer_rows`).
                    for j in 0..kk {
                        let mut upd = closest.clone();
                        x32.update_closest(0..n, &c[j * d..(j + 1) * d], &mut upd, false);
                        for i in 0..n {
                            let changed = upd[i].to_bits() != closest[i].to_bits();
                            assert_eq!(closer[i] >> j & 1 == 1, changed, "{ctx}");
                        }
                    }
                    for (j, p) in pots.iter().enumerate() {
                        let mut e = 0.0;
                        for i in 0..n {
                            let c2d = dist2_f32(&xf[i * d..(i + 1) * d], &cf[(k - 1) * d..]);
                            let cl = closest_ref[i].min(c2d as f64);
                            assert_eq!(closest[i], cl, "closest after update: {ctx}");
                            let v = dist2_f32(&xf[i * d..(i + 1) * d], &cf[j * d..(j + 1) * d]);
                            e += w[i] * (v as f64).min(cl);
                        }
                        assert_eq!(p.to_bits(), e.to_bits(), "potential {j}: {ctx}");
                    }
                }
                isa::set_max_isa(None);
            }
        }
    }
}

#[test]
fn exact_ties_go_to_the_lowest_index_at_every_level() {
    let _g = CAP.lock().unwrap_or_else(|e| e.into_inner());
    // Points on the perpendicular bisector of two centers, and points equal to a
    // center that appears twice.
    let d = 3;
    let c = vec![-1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0];
    let mut x = Vec::new();
    for i in 0..40 {
        x.extend_from_slice(&[0.0, i as f64 * 0.25, -(i as f64)]);
        x.extend_from_slice(&[5.0, 5.0, 5.0]);
    }
    let n = x.len() / d;
    let m = Matrix::from_vec(n, d, x);
    let mut centers = Centers::new(4, d);
    centers.set(&c);
    for (level, kc) in paths() {
        isa::set_max_isa(level);
        let x32 = Flat32::from_matrix(&m, kc);
        let mut labels = vec![u32::MAX; n];
        x32.assign(0..n, &centers, &mut labels, &mut Partial::new(4, d), false);
        for (i, l) in labels.iter().enumerate() {
            assert_eq!(*l, if i % 2 == 0 { 0 } else { 2 }, "row {i} {level:?}");
        }
    }
    isa::set_max_isa(None);
}

/// Lloyd on the f32 layout: bit-identical for every thread count and level.
#[test]
fn f32_lloyd_is_identical_for_every_thread_count_and_level() {
    let _g = CAP.lock().unwrap_or_else(|e| e.into_inner());
    let (rows, _) = blobs(5003, 7, 6, 21);
    let m = Matrix::from_vec(5003, 7, flatten(&rows));
    let params = Params::default();
    let mut first = None;
    for (level, kc) in paths() {
        isa::set_max_isa(level);
        let x32 = Flat32::from_matrix(&m, kc);
        for t in [1usize, 2, 3] {
            let exec = Exec::new(t).unwrap();
            let tol = absolute_tol(&x32, &exec, params.tol);
            let f = fit(&x32, &exec, 6, &Init::GreedyKMeansPlusPlus, 3, &params, tol);
            let got = (
                f.labels,
                f.centers.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                f.inertia.to_bits(),
                f.iterations,
            );
            match &first {
                None => first = Some(got),
                Some(w) => assert_eq!(&got, w, "{level:?} {kc:?} threads={t}"),
            }
        }
    }
    isa::set_max_isa(None);
}

/// The documented tolerance: on separated blobs, f32 gives the f64 labels from the same
/// centers, centers within 1e-6 · max|x| and inertia within 1e-5 relative.
#[test]
fn f32_matches_f64_within_the_documented_tolerance() {
    for &(n, d, k, offset) in &[
        (4000usize, 2usize, 4usize, 0.0f64),
        (3001, 8, 7, 0.0),
        (2048, 33, 5, 0.0),
        (2500, 4, 3, 100.0),
    ] {
        let (mut rows, _) = blobs(n, d, k, (n + d) as u64);
        for r in &mut rows {
            r.iter_mut().for_each(|v| *v += offset);
        }
        let m = Matrix::from_vec(n, d, flatten(&rows));
        let init: Vec<f64> = (0..k).flat_map(|j| rows[j * (n / k)].clone()).collect();
        let params = Params::default();
        let exec = Exec::new(2).unwrap();
        let x64 = Flat::new(&m, KernelChoice::Auto);
        let x32 = Flat32::from_matrix(&m, KernelChoice::Auto);
        let tol = absolute_tol(&x64, &exec, params.tol);
        let kernels::fit::Outcome {
            labels: l64,
            centers: c64,
            inertia: i64_,
            ..
        } = lloyd(&x64, &exec, &init, &params, tol);
        let kernels::fit::Outcome {
            labels: l32,
            centers: c32,
            inertia: i32_,
            ..
        } = lloyd(&x32, &exec, &init, &params, tol);
        let a: Vec<usize> = l64.iter().map(|&v| v as usize).collect();
        let b: Vec<usize> = l32.iter().map(|&v| v as usize).collect();
        let ctx = format!("n={n} d={d} k={k} offset={offset}");
        assert_eq!(ari(&a, &b), 1.0, "{ctx}");
        assert_eq!(l64, l32, "{ctx}");
        let xmax = m.as_slice().iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for (p, q) in c64.iter().zip(&c32) {
            assert!((p - q).abs() <= 1e-6 * xmax, "center {p} vs {q}: {ctx}");
        }
        assert!(
            ((i64_ - i32_) / i64_).abs() <= 1e-5,
            "inertia {i64_} vs {i32_}: {ctx}"
        );
    }
}

#[test]
fn magnitude_limit_keeps_squared_distances_finite() {
    for d in [1usize, 2, 32, 1000] {
        let l = max_magnitude_f32(d) as f32;
        let x = vec![l; d];
        let c = vec![-l; d];
        assert!(dist2_f32(&x, &c).is_finite(), "d={d}");
    }
    assert_eq!(BLOCK, 16);
}
