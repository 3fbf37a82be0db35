//! Both layouts (and every kernel of the flat one) against the reference k-means, on
//! awkward shapes, for every thread count; and bit-identical results across threads.

mod common;

use common::*;
use kernels::data::Matrix;
use kernels::exec::Exec;
use kernels::fit::{absolute_tol, fit, lloyd, lloyd_weighted, Algorithm, Params};
use kernels::init::Init;
use kernels::kernel::KernelChoice;
use kernels::layout::{Aos, DataPoint};
use kernels::layout::{Flat, Layout};

const THREADS: [usize; 4] = [1, 2, 3, 0];
const KERNELS: [KernelChoice; 3] = [KernelChoice::Scalar, KernelChoice::Simd, KernelChoice::Auto];
const ALGORITHMS: [Algorithm; 3] = [Algorithm::Lloyd, Algorithm::Hamerly, Algorithm::Elkan];

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn to_aos(rows: &[Vec<f64>]) -> Aos {
    Aos::from_points(
        rows.iter()
            .enumerate()
            .map(|(i, r)| DataPoint {
                id: format!("p{i}"),
                features: r.clone(),
            })
            .collect(),
    )
}

/// Runs Lloyd from `init` on every layout, kernel and thread count and checks each
/// against the reference, and all of them against each other bit for bit.
fn check_all(rows: &[Vec<f64>], init: &[Vec<f64>], what: &str) {
    let n = rows.len();
    let d = rows[0].len();
    let params = Params::default();
    let (rl, rc, ri, rit) = reference_lloyd(rows, init, params.max_iter, params.tol);
    let m = Matrix::from_vec(n, d, flatten(rows));
    let aos = to_aos(rows);
    let init_flat = flatten(init);
    let mut first: Option<(Vec<u32>, Vec<f64>, f64)> = None;
    let mut run = |x: &dyn Layout, label: String| {
        for (&t, algorithm) in THREADS.iter().flat_map(|t| ALGORITHMS.map(|a| (t, a))) {
            let exec = Exec::new(t).unwrap();
            let tol = absolute_tol(&x, &exec, params.tol);
            let params = Params {
                algorithm,
                ..params
            };
            let kernels::fit::Outcome {
                labels,
                centers,
                inertia,
                iterations: iters,
                ..
            } = lloyd(&x, &exec, &init_flat, &params, tol);
            let ctx = format!("{what} {label} threads={t} {algorithm:?}");
            let l: Vec<usize> = labels.iter().map(|&v| v as usize).collect();
            assert_eq!(l, rl, "labels differ from the reference: {ctx}");
            assert_eq!(iters, rit, "iterations differ: {ctx}");
            for (a, b) in centers.iter().zip(rc.iter().flatten()) {
                assert!(close(*a, *b, 1e-12), "center {a} vs reference {b}: {ctx}");
            }
            assert!(
                close(inertia, ri, 1e-12),
                "inertia {inertia} vs {ri}: {ctx}"
            );
            match &first {
                None => first = Some((labels, centers, inertia)),
                Some((fl, fc, fi)) => {
                    assert_eq!(&labels, fl, "labels not identical: {ctx}");
                    assert!(
                        centers
                            .iter()
                            .zip(fc)
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                        "centers not bit-identical: {ctx}"
                    );
                    assert_eq!(
                        inertia.to_bits(),
                        fi.to_bits(),
                        "inertia not bit-identical: {ctx}"
                    );
                }
            }
        }
    };
    run(&aos, "aos".into());
    for kc in KERNELS {
        run(&Flat::new(&m, kc), format!("flat/{kc:?}"));
    }
}

/// `k` initial centers: rows spread over the data, or random points in the box
/// (which leaves clusters empty and exercises relocation).
fn inits(rows: &[Vec<f64>], k: usize, seed: u64) -> Vec<Vec<Vec<f64>>> {
    let n = rows.len();
    let spread: Vec<Vec<f64>> = (0..k).map(|j| rows[j * n / k].clone()).collect();
    let d = rows[0].len();
    let box_ = uniform(k, d, seed)
        .into_iter()
        .map(|r| r.iter().map(|v| v * 3.0).collect())
        .collect();
    vec![spread, box_]
}

#[test]
fn awkward_shapes_match_reference() {
    for &n in &[1usize, 2, 7, 63, 64, 65, 1000, 1025] {
        for &d in &[1usize, 2, 3, 4, 5, 8, 31, 32, 33] {
            let mut ks = vec![1, 2, n];
            if n > 9 {
                ks.push(9);
            }
            ks.sort();
            ks.dedup();
            let rows = uniform(n, d, (n * 100 + d) as u64);
            for &k in ks.iter().filter(|&&k| k <= n) {
                if n >= 1000 && k == n && d > 8 {
                    continue; // the reference is O(n²d) per iteration; d ≤ 8 covers k = n
                }
                for (v, init) in inits(&rows, k, (k + d) as u64).iter().enumerate() {
                    check_all(&rows, init, &format!("n={n} d={d} k={k} init#{v}"));
                }
            }
        }
    }
}

#[test]
fn blobs_match_reference() {
    for &(n, d, k) in &[(3000usize, 2usize, 8usize), (2500, 8, 5), (2049, 33, 4)] {
        let (rows, _) = blobs(n, d, k, 3);
        for init in inits(&rows, k, 9) {
            check_all(&rows, &init, &format!("blobs n={n} d={d} k={k}"));
        }
    }
}

#[test]
fn duplicates_and_all_equal_points() {
    // all equal: every point ties with every center
    let rows = vec![vec![1.5, -2.0, 0.25]; 70];
    for k in [1, 2, 5, 70] {
        let init: Vec<Vec<f64>> = (0..k).map(|j| rows[j].clone()).collect();
        check_all(&rows, &init, &format!("all-equal k={k}"));
    }
    // few distinct values, many duplicates, more clusters than distinct points
    let rows: Vec<Vec<f64>> = (0..130)
        .map(|i| vec![(i % 3) as f64, ((i / 3) % 2) as f64])
        .collect();
    for k in [2, 6, 7, 10] {
        let init: Vec<Vec<f64>> = (0..k).map(|j| rows[j].clone()).collect();
        check_all(&rows, &init, &format!("duplicates k={k}"));
    }
}

/// Exact and near ties in the bounded passes: clusters whose means are ±2 (and 100)
/// on the first axis, reached from starts on either side, and zero-weight probe points
/// on and next to the bisector x = 0 (off by 1e-17 .. 1e-14 and a denormal, so some
/// tie exactly in canonical distance, some only after rounding, some by a few ulps).
/// The probes' first labels come from the first pass; after the update the second pass
/// (the final relabel with `max_iter = 1`, every pass with 300) must switch or keep them
/// exactly as Lloyd does: the canonical argmin, lowest index on ties.
#[test]
fn ties_and_near_ties_give_lloyds_labels() {
    let offsets = [
        0.0, 5e-324, 1e-17, 1e-16, 2e-16, 3e-16, 4e-16, 5e-16, 1e-15, 3e-15, 1e-14,
    ];
    for d in [1usize, 3, 9] {
        let mut rows: Vec<Vec<f64>> = Vec::new();
        let mut weights = Vec::new();
        let point = |x: f64, rest: f64| {
            let mut r = vec![rest; d];
            r[0] = x;
            r
        };
        for x in [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 99.0, 100.0, 101.0] {
            rows.push(point(x, 0.0));
            weights.push(1.0);
        }
        for (t, &o) in offsets.iter().enumerate() {
            for x in [o, -o] {
                rows.push(point(x, 0.25 * t as f64));
                weights.push(0.0);
            }
        }
        let n = rows.len();
        let m = Matrix::from_vec(n, d, flatten(&rows));
        let aos = to_aos(&rows);
        // Starts with the bisector at +0.5 (probes first go to center 0) and at -0.5
        // (they first go to center 1); the first axis of each start, the rest 0.
        for starts in [[-1.5, 2.5, 100.0], [-2.5, 1.5, 100.0]] {
            let init: Vec<f64> = starts.iter().flat_map(|&c| point(c, 0.0)).collect();
            for max_iter in [1, 300] {
                let params = Params {
                    max_iter,
                    tol: 0.0,
                    ..Params::default()
                };
                let mut want: Option<(Vec<u32>, Vec<f64>, usize)> = None;
                let layouts: Vec<Box<dyn Layout>> = vec![
                    Box::new(&aos),
                    Box::new(Flat::new(&m, KernelChoice::Scalar)),
                    Box::new(Flat::new(&m, KernelChoice::Auto)),
                ];
                for x in layouts.iter().map(|b| b.as_ref()) {
                    for t in [1, 2] {
                        let exec = Exec::new(t).unwrap();
                        for algorithm in ALGORITHMS {
                            let p = Params {
                                algorithm,
                                ..params
                            };
                            let kernels::fit::Outcome {
                                labels,
                                centers,
                                iterations: iters,
                                ..
                            } = lloyd_weighted(&x, &exec, &init, &p, 0.0, Some(&weights));
                            let ctx = format!(
                                "d={d} starts={starts:?} max_iter={max_iter} {} threads={t} {algorithm:?}",
                                x.name()
                            );
                            for (i, r) in rows.iter().enumerate() {
                                assert_eq!(
                                    labels[i] as usize,
                                    kernels::distance::nearest(r, &centers, d),
                                    "row {i} not at its canonical nearest center: {ctx}"
                                );
                            }
                            match &want {
                                None => want = Some((labels, centers, iters)),
                                Some((wl, wc, wi)) => {
                                    assert_eq!(&labels, wl, "labels: {ctx}");
                                    assert_eq!(iters, *wi, "iterations: {ctx}");
                                    assert!(
                                        centers
                                            .iter()
                                            .zip(wc)
                                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                                        "centers: {ctx}"
                                    );
                                }
                            }
                        }
                    }
                }
                // The construction does what it says: the centers end at -2, 2, 100,
                // and the exact-zero probe ties (label 0) while +1e-14 goes to center 1.
                let (wl, wc, _) = want.unwrap();
                assert_eq!(
                    wc.chunks(d).map(|c| c[0]).collect::<Vec<_>>(),
                    [-2.0, 2.0, 100.0]
                );
                assert_eq!(wl[9], 0, "exact tie goes to the lowest index");
                assert_eq!(
                    wl[9 + 2 * (offsets.len() - 1)],
                    1,
                    "+1e-14 is nearer center 1"
                );
            }
        }
    }
}

#[test]
fn seeding_is_identical_across_layouts_and_threads() {
    let (rows, truth) = blobs(5000, 8, 6, 11);
    let m = Matrix::from_vec(rows.len(), 8, flatten(&rows));
    let aos = to_aos(&rows);
    let params = Params::default();
    for init in [
        Init::KMeansPlusPlus,
        Init::GreedyKMeansPlusPlus,
        Init::Random,
    ] {
        let mut first: Option<(Vec<u32>, Vec<f64>)> = None;
        let layouts: Vec<Box<dyn Layout>> = vec![
            Box::new(to_aos(&rows)),
            Box::new(Flat::new(&m, KernelChoice::Scalar)),
            Box::new(Flat::new(&m, KernelChoice::Auto)),
        ];
        for x in layouts.iter().map(|b| b.as_ref()) {
            for &t in &THREADS {
                let exec = Exec::new(t).unwrap();
                let tol = absolute_tol(&x, &exec, params.tol);
                let f = fit(&x, &exec, 6, &init, 42, &params, tol);
                match &first {
                    None => first = Some((f.labels.clone(), f.centers.clone())),
                    Some((l, c)) => {
                        assert_eq!(&f.labels, l, "{init:?} {} threads={t}", x.name());
                        assert!(f
                            .centers
                            .iter()
                            .zip(c)
                            .all(|(a, b)| a.to_bits() == b.to_bits()));
                    }
                }
            }
        }
        if init != Init::Random {
            let (l, _) = first.unwrap();
            let l: Vec<usize> = l.iter().map(|&v| v as usize).collect();
            assert!(ari(&l, &truth) > 0.99, "{init:?} ARI {}", ari(&l, &truth));
        }
    }
    drop(aos);
}

#[test]
fn k_equal_n_puts_every_point_alone() {
    let rows = uniform(17, 3, 5);
    let m = Matrix::from_vec(17, 3, flatten(&rows));
    let x = Flat::new(&m, KernelChoice::Auto);
    let exec = Exec::serial();
    let f = fit(
        &x,
        &exec,
        17,
        &Init::GreedyKMeansPlusPlus,
        1,
        &Params::default(),
        0.0,
    );
    let mut l = f.labels.clone();
    l.sort();
    l.dedup();
    assert_eq!(l.len(), 17);
    assert_eq!(f.inertia, 0.0);
}

#[test]
fn result_for_one_k_does_not_depend_on_the_sweep() {
    let (rows, _) = blobs(2000, 4, 5, 2);
    let m = Matrix::from_vec(2000, 4, flatten(&rows));
    let x = Flat::new(&m, KernelChoice::Auto);
    let exec = Exec::serial();
    let p = Params::default();
    let tol = absolute_tol(&x, &exec, p.tol);
    let a = fit(&x, &exec, 4, &Init::GreedyKMeansPlusPlus, 7, &p, tol);
    let _ = fit(&x, &exec, 3, &Init::GreedyKMeansPlusPlus, 7, &p, tol);
    let b = fit(&x, &exec, 4, &Init::GreedyKMeansPlusPlus, 7, &p, tol);
    assert_eq!(a.labels, b.labels);
    let c = fit(&x, &exec, 4, &Init::GreedyKMeansPlusPlus, 8, &p, tol);
    assert_ne!(
        a.centers, c.centers,
        "another seed should give another start"
    );
}

/// Numerics (issue 10): scaling the data by a power of two is exact, so the fit must be
/// the same fit, scaled: labels equal, centers and inertia scaled bit for bit, near the
/// top (2^460 ≈ 3e138) and the bottom (2^-500 ≈ 3e-151) of the range. Denormal inputs
/// (whose squared distances underflow to 0, so every distance ties and the lowest
/// center index wins), collinear points, and identical points with k > 1 all give the
/// reference's answer on every layout, kernel and thread count.
#[test]
fn numerics_scaling_denormals_collinear_identical() {
    let (rows, _) = blobs(500, 3, 4, 7);
    let init: Vec<Vec<f64>> = (0..4).map(|j| rows[j * 125].clone()).collect();
    let params = Params::default();
    let exec = Exec::new(1).unwrap();
    let base = Matrix::from_vec(500, 3, flatten(&rows));
    let flat = Flat::new(&base, KernelChoice::Auto);
    let tol = absolute_tol(&flat, &exec, params.tol);
    let kernels::fit::Outcome {
        labels: bl,
        centers: bc,
        inertia: bi,
        iterations: bit,
        ..
    } = lloyd(&flat, &exec, &flatten(&init), &params, tol);
    for e in [460, -500] {
        let s = 2f64.powi(e);
        let scale = |v: &[Vec<f64>]| -> Vec<Vec<f64>> {
            v.iter()
                .map(|r| r.iter().map(|x| x * s).collect())
                .collect()
        };
        let (srows, sinit) = (scale(&rows), scale(&init));
        check_all(&srows, &sinit, &format!("scaled by 2^{e}"));
        for kc in KERNELS {
            let m = Matrix::from_vec(500, 3, flatten(&srows));
            let x = Flat::new(&m, kc);
            let tol = absolute_tol(&x, &exec, params.tol);
            let kernels::fit::Outcome {
                labels: l,
                centers: c,
                inertia: i,
                iterations: it,
                ..
            } = lloyd(&x, &exec, &flatten(&sinit), &params, tol);
            assert_eq!(l, bl, "2^{e} {kc:?}: labels changed with the scale");
            assert_eq!(it, bit);
            for (a, b) in c.iter().zip(&bc) {
                assert_eq!(a.to_bits(), (b * s).to_bits(), "2^{e} {kc:?}: center");
            }
            assert_eq!(i.to_bits(), (bi * s * s).to_bits(), "2^{e} {kc:?}: inertia");
        }
    }

    // Denormals: multiples of the smallest subnormal.
    let den: Vec<Vec<f64>> = (0..300u64)
        .map(|i| vec![f64::from_bits(i % 17 + 1), f64::from_bits((i * 7) % 13 + 1)])
        .collect();
    assert!(den.iter().flatten().all(|v| v.is_subnormal()));
    for init in inits(&den, 3, 5).iter().take(1) {
        check_all(&den, init, "denormals");
    }

    // Collinear points in d = 5 (x = t·v), three groups along the line.
    let v = [1.0, -2.0, 0.5, 3.0, 1e-3];
    let (line, _) = blobs(400, 1, 3, 11);
    let col: Vec<Vec<f64>> = line
        .iter()
        .map(|t| v.iter().map(|c| c * t[0]).collect())
        .collect();
    for init in inits(&col, 3, 9) {
        check_all(&col, &init, "collinear");
    }

    // Identical points, k = 4 > 1 distinct point.
    let same = vec![vec![1.5, -2.25, 1e-7]; 97];
    for init in inits(&same, 4, 3) {
        check_all(&same, &init, "identical points");
    }
}

/// Sample weights and several starts (issue 9): bit-identical on every layout, kernel,
/// thread count and start-parallelism; unit weights equal no weights; `n_init` keeps
/// the start with the lowest inertia (the earliest on ties).
#[test]
fn weights_and_n_init_are_deterministic_everywhere() {
    use kernels::fit::{fit_with, lloyd_weighted, FitOptions};
    use kernels::init::initial_centers_weighted;
    use kernels::rng::Rng;
    for &(n, d, k) in &[(1025usize, 3usize, 5usize), (257, 33, 4), (64, 1, 9)] {
        let (rows, _) = blobs(n, d, k, (n + d) as u64);
        let weights: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64 * 0.25).collect();
        let m = Matrix::from_vec(n, d, flatten(&rows));
        let aos = to_aos(&rows);
        let params = Params::default();
        let mut first: Option<(Vec<u32>, Vec<u64>, u64)> = None;
        let layouts: Vec<(String, Box<dyn Layout>)> =
            std::iter::once(("aos".to_string(), Box::new(&aos) as Box<dyn Layout>))
                .chain(KERNELS.iter().map(|&kc| {
                    (
                        format!("flat/{kc:?}"),
                        Box::new(Flat::new(&m, kc)) as Box<dyn Layout>,
                    )
                }))
                .collect();
        for (name, x) in &layouts {
            let x: &dyn Layout = x.as_ref();
            for &t in &THREADS {
                for parallel_starts in [1, 3] {
                    let exec = Exec::new(t).unwrap();
                    let tol = absolute_tol(&x, &exec, params.tol);
                    let opts = FitOptions {
                        n_init: 3,
                        weights: Some(&weights),
                        parallel_starts,
                        warm: None,
                    };
                    let f = fit_with(
                        &x,
                        &exec,
                        k,
                        &Init::GreedyKMeansPlusPlus,
                        9,
                        &params,
                        tol,
                        &opts,
                    );
                    let got = (
                        f.labels.clone(),
                        f.centers.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        f.inertia.to_bits(),
                    );
                    match &first {
                        None => first = Some(got),
                        Some(want) => assert_eq!(
                            &got, want,
                            "n={n} d={d} k={k} {name} threads={t} parallel_starts={parallel_starts}"
                        ),
                    }
                }
            }
        }
        // n_init = 3 is the best of the three single starts.
        let exec = Exec::new(1).unwrap();
        let flat = Flat::new(&m, KernelChoice::Auto);
        let tol = absolute_tol(&flat, &exec, params.tol);
        let singles: Vec<f64> = (0..3)
            .map(|s| {
                let stream = kernels::init::stream(&Init::GreedyKMeansPlusPlus, k);
                let mut rng = Rng::for_start(9, stream, s);
                let c0 = initial_centers_weighted(
                    &flat,
                    &exec,
                    k,
                    &Init::GreedyKMeansPlusPlus,
                    Some(&weights),
                    &mut rng,
                );
                lloyd_weighted(&flat, &exec, &c0, &params, tol, Some(&weights)).inertia
            })
            .collect();
        let best = singles.iter().cloned().fold(f64::INFINITY, f64::min);
        assert_eq!(
            first.unwrap().2,
            best.to_bits(),
            "n={n} d={d} k={k}: {singles:?}"
        );

        // Unit weights are no weights, bit for bit.
        let ones = vec![1.0; n];
        let plain = fit(
            &flat,
            &exec,
            k,
            &Init::GreedyKMeansPlusPlus,
            4,
            &params,
            tol,
        );
        let unit = fit_with(
            &flat,
            &exec,
            k,
            &Init::GreedyKMeansPlusPlus,
            4,
            &params,
            tol,
            &FitOptions {
                weights: Some(&ones),
                ..FitOptions::default()
            },
        );
        assert_eq!(plain.labels, unit.labels);
        assert_eq!(plain.inertia.to_bits(), unit.inertia.to_bits());
        assert!(plain
            .centers
            .iter()
            .zip(&unit.centers)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}

/// `--warm-start` (issue 9): a sweep that continues each k-means++ seeding from the
/// previous k gives exactly the fits of seeding every k from scratch on the same layout,
/// for every init, with and without weights, several starts (one after another or side
/// by side), every layout (the f32 one too), kernel and thread count, and for k visited
/// in any order (a k below the kept seeding, or in another stream, starts over).
#[test]
fn warm_started_sweep_equals_cold_sweep() {
    use kernels::fit::{fit_with, FitOptions};
    use kernels::init::WarmSeeds;
    use kernels::layout::Flat32;
    let (n, d) = (1500usize, 5usize);
    let (rows, _) = blobs(n, d, 9, 77);
    let weights: Vec<f64> = (0..n).map(|i| ((i * 31) % 7) as f64 * 0.5).collect();
    let m = Matrix::from_vec(n, d, flatten(&rows));
    let aos = to_aos(&rows);
    let params = Params::default();
    // Ascending through the greedy bands (1-2, 3-7, 8-20, 21-...), back down and across
    // bands, and back down inside a band (12 then 10).
    let ks = [1usize, 2, 3, 4, 7, 8, 9, 20, 21, 23, 5, 22, 2, 8, 12, 10];
    let layouts: Vec<(String, Box<dyn Layout>)> =
        std::iter::once(("aos".to_string(), Box::new(&aos) as Box<dyn Layout>))
            .chain(KERNELS.iter().map(|&kc| {
                (
                    format!("flat/{kc:?}"),
                    Box::new(Flat::new(&m, kc)) as Box<dyn Layout>,
                )
            }))
            .chain(std::iter::once((
                "flat32".to_string(),
                Box::new(Flat32::from_matrix(&m, KernelChoice::Auto)) as Box<dyn Layout>,
            )))
            .collect();
    for init in [
        Init::GreedyKMeansPlusPlus,
        Init::KMeansPlusPlus,
        Init::Random,
    ] {
        for w in [None, Some(&weights[..])] {
            for n_init in [1usize, 2] {
                for (name, x) in &layouts {
                    let x: &dyn Layout = x.as_ref();
                    let exec1 = Exec::new(1).unwrap();
                    let tol = absolute_tol(&x, &exec1, params.tol);
                    let cold_opts = FitOptions {
                        n_init,
                        weights: w,
                        ..FitOptions::default()
                    };
                    let cold: Vec<_> = ks
                        .iter()
                        .map(|&k| fit_with(&x, &exec1, k, &init, 5, &params, tol, &cold_opts))
                        .collect();
                    for &t in &THREADS {
                        for parallel_starts in [1usize, 2] {
                            let exec = Exec::new(t).unwrap();
                            let seeds = WarmSeeds::new(n_init);
                            let opts = FitOptions {
                                warm: Some(&seeds),
                                parallel_starts,
                                ..cold_opts.clone()
                            };
                            for (&k, want) in ks.iter().zip(&cold) {
                                let f = fit_with(&x, &exec, k, &init, 5, &params, tol, &opts);
                                let ctx = format!(
                                    "{init:?} weights={} n_init={n_init} {name} threads={t} \
                                     parallel_starts={parallel_starts} k={k}",
                                    w.is_some()
                                );
                                assert_eq!(f.labels, want.labels, "{ctx}");
                                assert_eq!(f.inertia.to_bits(), want.inertia.to_bits(), "{ctx}");
                                assert_eq!(f.iterations, want.iterations, "{ctx}");
                                assert!(
                                    f.centers
                                        .iter()
                                        .zip(&want.centers)
                                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                                    "{ctx}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A kept seeding continues only the seeding it came from: another seed or other
/// weights with the same `WarmSeeds` start over (library callers may reuse one).
#[test]
fn warm_seeds_do_not_mix_seeds_or_weights() {
    use kernels::fit::{fit_with, FitOptions};
    use kernels::init::WarmSeeds;
    let (rows, _) = blobs(800, 3, 5, 8);
    let m = Matrix::from_vec(800, 3, flatten(&rows));
    let x = Flat::new(&m, KernelChoice::Auto);
    let exec = Exec::new(2).unwrap();
    let params = Params::default();
    let tol = absolute_tol(&x, &exec, params.tol);
    let w: Vec<f64> = (0..800).map(|i| (i % 3) as f64).collect();
    let seeds = WarmSeeds::new(1);
    let init = Init::GreedyKMeansPlusPlus;
    let warm = FitOptions {
        warm: Some(&seeds),
        ..FitOptions::default()
    };
    let warm_w = FitOptions {
        weights: Some(&w),
        ..warm.clone()
    };
    let cold_w = FitOptions {
        weights: Some(&w),
        ..FitOptions::default()
    };
    let _ = fit_with(&x, &exec, 3, &init, 1, &params, tol, &warm);
    let a = fit_with(&x, &exec, 4, &init, 2, &params, tol, &warm);
    let b = fit(&x, &exec, 4, &init, 2, &params, tol);
    assert_eq!(a.centers, b.centers, "another seed");
    let c = fit_with(&x, &exec, 5, &init, 2, &params, tol, &warm_w);
    let e = fit_with(&x, &exec, 5, &init, 2, &params, tol, &cold_w);
    assert_eq!(c.centers, e.centers, "other weights");
}

/// The seeding of k is the first k centers of the seeding of k + 1 while both take the
/// same number of candidates per step (what makes `--warm-start` exact), and only then.
#[test]
fn seeding_of_k_is_a_prefix_of_k_plus_one_within_a_stream() {
    use kernels::init::{initial_centers, stream};
    use kernels::rng::Rng;
    let (rows, _) = blobs(700, 3, 12, 3);
    let m = Matrix::from_vec(700, 3, flatten(&rows));
    let flat = Flat::new(&m, KernelChoice::Auto);
    let exec = Exec::new(2).unwrap();
    for init in [Init::GreedyKMeansPlusPlus, Init::KMeansPlusPlus] {
        for k in 1..30usize {
            let seeding = |k: usize| {
                let mut rng = Rng::for_start(11, stream(&init, k), 0);
                initial_centers(&flat, &exec, k, &init, &mut rng)
            };
            let (a, b) = (seeding(k), seeding(k + 1));
            let same_stream = stream(&init, k) == stream(&init, k + 1);
            assert_eq!(
                a[..] == b[..3 * k],
                same_stream,
                "{init:?} k={k}: prefix {} but same stream {same_stream}",
                a[..] == b[..3 * k]
            );
        }
    }
}

/// `Layout::rows` (batches of rows in f64, what the passes over sums, inertia and
/// deviations read) equals `Layout::row` one by one, for every layout, on ranges
/// that start and end inside the f32 layout's 16-row blocks.
#[test]
fn rows_in_batches_equal_rows_one_by_one() {
    use kernels::layout::Flat32;
    for &(n, d) in &[(1usize, 1usize), (17, 3), (100, 31), (70, 33)] {
        let (rows, _) = blobs(n, d, 2.min(n), n as u64);
        let m = Matrix::from_vec(n, d, flatten(&rows));
        let flat = Flat::new(&m, KernelChoice::Auto);
        let f32l = Flat32::from_matrix(&m, KernelChoice::Auto);
        let aos = to_aos(&rows);
        let layouts: [&dyn Layout; 3] = [&flat, &f32l, &aos];
        for x in layouts {
            for (a, b) in [
                (0, n),
                (0, 1),
                (n - 1, n),
                (n / 3, n),
                (n / 5, (n / 5 + 19).min(n)),
            ] {
                let (mut buf, mut one) = (Vec::new(), Vec::new());
                let want: Vec<f64> = (a..b).flat_map(|i| x.row(i, &mut one).to_vec()).collect();
                assert_eq!(
                    x.rows(a..b, &mut buf),
                    &want[..],
                    "{} n={n} d={d} {a}..{b}",
                    x.name()
                );
            }
        }
    }
}
