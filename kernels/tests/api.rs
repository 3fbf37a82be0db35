//! The public API (`KMeans`, `Data`, `Fit`) against the reference k-means and
//! against itself: every thread count, precision and input type, the elbow sweep
//! against separate fits, `predict` and `transform`, and the errors.

mod common;

use common::*;
use kernels::{Algorithm, Data, Error, Init, KMeans, KernelChoice, Precision};

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// From the same initial centers, `KMeans::fit` gives the reference's labels,
/// iterations, centers and inertia, on awkward shapes, and the same bits for every
/// thread count, kernel and algorithm.
#[test]
fn fit_matches_the_reference_on_awkward_shapes() {
    for &(n, d, k) in &[
        (1, 1, 1),
        (2, 3, 2),
        (7, 2, 7),
        (1023, 33, 5),
        (1025, 31, 3),
        (257, 1, 4),
        (600, 8, 8),
        (97, 65, 9),
        (1500, 33, 70),
    ] {
        let (rows, _) = blobs(n, d, k.min(n), n as u64 + 7);
        let x = flatten(&rows);
        let init: Vec<Vec<f64>> = (0..k).map(|j| rows[(j * 7919) % n].clone()).collect();
        let (rl, rc, ri, rit) = reference_lloyd(&rows, &init, 300, 1e-4);
        let data = Data::f64(&x, n, d).unwrap();
        let mut first: Option<kernels::Fit> = None;
        for threads in [1, 2, 3, 0] {
            for kernel in [
                KernelChoice::Scalar,
                KernelChoice::Auto,
                KernelChoice::Tiled,
                KernelChoice::Blocked,
                KernelChoice::Screened,
            ] {
                for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly, Algorithm::Elkan] {
                    let ctx =
                        format!("n={n} d={d} k={k} threads={threads} {kernel:?} {algorithm:?}");
                    let f = KMeans::new(k)
                        .init(Init::Explicit(flatten(&init)))
                        .threads(threads)
                        .kernel(kernel)
                        .algorithm(algorithm)
                        .fit(&data)
                        .unwrap();
                    let labels: Vec<usize> = f.labels.iter().map(|&l| l as usize).collect();
                    assert_eq!(labels, rl, "labels: {ctx}");
                    assert_eq!(f.n_iter, rit, "iterations: {ctx}");
                    assert_eq!((f.k, f.d), (k, d));
                    for (a, b) in f.centers.iter().zip(rc.iter().flatten()) {
                        assert!(
                            (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                            "{a} vs {b}: {ctx}"
                        );
                    }
                    assert!(
                        (f.inertia - ri).abs() <= 1e-12 * ri.max(1.0),
                        "inertia: {ctx}"
                    );
                    assert_eq!(f.algorithm, algorithm);
                    if let Some(g) = &first {
                        assert_eq!(f.labels, g.labels, "{ctx}");
                        assert_eq!(bits(&f.centers), bits(&g.centers), "{ctx}");
                        assert_eq!(f.inertia.to_bits(), g.inertia.to_bits(), "{ctx}");
                    } else {
                        first = Some(f);
                    }
                }
            }
        }
    }
}

/// The elbow sweep gives every k exactly what a separate fit of that k gives, with
/// warm seeding on or off, for each init and with several starts.
#[test]
fn elbow_equals_separate_fits() {
    let (rows, _) = blobs(2000, 5, 6, 3);
    let x = flatten(&rows);
    let data = Data::f64(&x, 2000, 5).unwrap();
    for init in [
        Init::GreedyKMeansPlusPlus,
        Init::KMeansPlusPlus,
        Init::Random,
    ] {
        for n_init in [1, 3] {
            let km = KMeans::new(1).init(init.clone()).n_init(n_init).seed(11);
            let sweep = km.elbow(&data, 2..=9).unwrap();
            let cold = km.clone().warm_start(false).elbow(&data, 2..=9).unwrap();
            assert_eq!(sweep.len(), 8);
            for (f, c) in sweep.iter().zip(&cold) {
                let one = km.clone().k(f.k).fit(&data).unwrap();
                for g in [c, &one] {
                    assert_eq!(f.k, g.k);
                    assert_eq!(f.labels, g.labels, "{init:?} n_init={n_init} k={}", f.k);
                    assert_eq!(bits(&f.centers), bits(&g.centers));
                    assert_eq!(f.inertia.to_bits(), g.inertia.to_bits());
                    assert_eq!(f.n_iter, g.n_iter);
                }
            }
        }
    }
}

/// `predict` on the training data gives the fit's labels (f64 and f32, every thread
/// count); `transform` is the Euclidean distance to every center and its argmin is
/// the label.
#[test]
fn predict_and_transform() {
    for &(n, d, k) in &[(1, 2, 1), (1500, 3, 4), (1029, 33, 7)] {
        let (rows, _) = blobs(n, d, k, 5);
        let x = flatten(&rows);
        let data = Data::f64(&x, n, d).unwrap();
        for precision in [Precision::F64, Precision::F32] {
            for threads in [1, 2] {
                let f = KMeans::new(k)
                    .precision(precision)
                    .threads(threads)
                    .fit(&data)
                    .unwrap();
                assert_eq!(f.precision(), precision);
                assert_eq!(f.predict(&data).unwrap(), f.labels, "{precision:?}");
                let t = f.transform(&data).unwrap();
                assert_eq!(t.len(), n * k);
                for (i, row) in rows.iter().enumerate() {
                    for j in 0..k {
                        let want: f64 = row
                            .iter()
                            .zip(f.center(j))
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum::<f64>()
                            .sqrt();
                        assert!((t[i * k + j] - want).abs() <= 1e-9 * want.max(1.0));
                    }
                    if precision == Precision::F64 {
                        let dist = &t[i * k..(i + 1) * k];
                        let best = dist.iter().cloned().fold(f64::INFINITY, f64::min);
                        assert_eq!(dist[f.labels[i] as usize], best);
                    }
                }
            }
        }
    }
    // New points: each goes to the center it is nearest to.
    let x = [0.0, 0.0, 0.2, 0.0, 10.0, 0.0, 10.2, 0.0];
    let f = KMeans::new(2).fit(&Data::f64(&x, 4, 2).unwrap()).unwrap();
    let new = [9.0, 1.0, 1.0, -1.0];
    let p = f.predict(&Data::f64(&new, 2, 2).unwrap()).unwrap();
    assert_eq!(p, vec![f.labels[2], f.labels[0]]);
}

/// f32 input is widened exactly, so an f64 fit of f32 data equals the fit of the same
/// values given as f64; the f32 precision fits f32 data too.
#[test]
fn f32_input() {
    let (rows, _) = blobs(777, 6, 5, 9);
    let x32: Vec<f32> = flatten(&rows).iter().map(|&v| v as f32).collect();
    let x64: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
    let a = KMeans::new(5)
        .fit(&Data::f32(&x32, 777, 6).unwrap())
        .unwrap();
    let b = KMeans::new(5)
        .fit(&Data::f64(&x64, 777, 6).unwrap())
        .unwrap();
    assert_eq!(a.labels, b.labels);
    assert_eq!(bits(&a.centers), bits(&b.centers));
    let c = KMeans::new(5)
        .precision(Precision::F32)
        .fit(&Data::f32(&x32, 777, 6).unwrap())
        .unwrap();
    assert!(
        ari(
            &a.labels.iter().map(|&l| l as usize).collect::<Vec<_>>(),
            &c.labels.iter().map(|&l| l as usize).collect::<Vec<_>>()
        ) > 0.999
    );
}

/// Sample weights: integer weights equal repeated rows; unit weights change nothing.
#[test]
fn weights() {
    let (rows, _) = blobs(300, 2, 3, 4);
    let x = flatten(&rows);
    let w: Vec<f64> = (0..300).map(|i| (i % 3) as f64).collect();
    let init = flatten(&rows[..3]);
    let km = KMeans::new(3).init(Init::Explicit(init));
    let weighted = km
        .fit(&Data::f64(&x, 300, 2).unwrap().with_weights(&w).unwrap())
        .unwrap();
    let mut rep = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        for _ in 0..(i % 3) {
            rep.extend_from_slice(r);
        }
    }
    let repeated = km.fit(&Data::f64(&rep, rep.len() / 2, 2).unwrap()).unwrap();
    for (a, b) in weighted.centers.iter().zip(&repeated.centers) {
        assert!((a - b).abs() <= 1e-10);
    }
    assert!((weighted.inertia - repeated.inertia).abs() <= 1e-9 * repeated.inertia);
    let ones = vec![1.0; 300];
    let unit = km
        .fit(&Data::f64(&x, 300, 2).unwrap().with_weights(&ones).unwrap())
        .unwrap();
    let plain = km.fit(&Data::f64(&x, 300, 2).unwrap()).unwrap();
    assert_eq!(unit.labels, plain.labels);
    assert_eq!(bits(&unit.centers), bits(&plain.centers));
}

fn message(e: Error) -> String {
    e.to_string()
}

/// Bad input is an error with a message, never a panic.
#[test]
fn errors() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    assert!(message(Data::f64(&x, 4, 2).unwrap_err()).contains("not n × d"));
    assert!(message(Data::f64(&[], 0, 0).unwrap_err()).contains("d = 0"));
    let data = Data::f64(&x, 3, 2).unwrap();
    let e = KMeans::new(4).fit(&data).unwrap_err();
    assert!(message(e).contains("larger than the number of rows (3)"));
    assert!(message(KMeans::new(0).fit(&data).unwrap_err()).contains("at least 1"));
    assert!(message(KMeans::new(2).n_init(0).fit(&data).unwrap_err()).contains("n_init"));
    assert!(message(KMeans::new(2).tol(f64::NAN).fit(&data).unwrap_err()).contains("tol"));
    let nan = [1.0, f64::NAN, 3.0, 4.0];
    let e = KMeans::new(1)
        .fit(&Data::f64(&nan, 2, 2).unwrap())
        .unwrap_err();
    assert!(message(e).contains("row 1, column 2: NaN is not a finite number"));
    let huge = [1.0, 2.0, 1e300, 4.0];
    let e = KMeans::new(1)
        .fit(&Data::f64(&huge, 2, 2).unwrap().named("x.csv"))
        .unwrap_err();
    assert!(message(e).starts_with("x.csv: row 2, column 1: |1e300| is too large"));
    let e = KMeans::new(1)
        .precision(Precision::F32)
        .fit(&Data::f64(&[1e30, 0.0], 1, 2).unwrap())
        .unwrap_err();
    assert!(message(e).contains("too large for --precision f32"));
    assert!(data.clone().with_weights(&[1.0]).is_err());
    assert!(data.clone().with_weights(&[1.0, -1.0, 1.0]).is_err());
    let zero = data.clone().with_weights(&[1.0, 0.0, 0.0]).unwrap();
    assert!(message(KMeans::new(2).fit(&zero).unwrap_err()).contains("positive weight"));
    let e = KMeans::new(2)
        .init(Init::Explicit(vec![0.0; 3]))
        .fit(&data)
        .unwrap_err();
    assert!(message(e).contains("explicit initial centers"));
    let e = KMeans::new(2)
        .precision(Precision::F32)
        .algorithm(Algorithm::Elkan)
        .fit(&data)
        .unwrap_err();
    assert!(message(e).contains("lloyd algorithm only"));
    let f = KMeans::new(2).fit(&data).unwrap();
    let e = f
        .predict(&Data::f64(&[1.0, 2.0, 3.0], 1, 3).unwrap())
        .unwrap_err();
    assert!(message(e).contains("3 features, but the model was fitted on 2"));
    let e = f
        .transform(&Data::f64(&[f64::INFINITY, 2.0], 1, 2).unwrap())
        .unwrap_err();
    assert!(message(e).contains("not a finite number"));
}

/// Fewer chunks of rows than twice the threads: the labels are split over smaller
/// blocks across threads, the sums still added per chunk in row order. Every thread
/// count must give the serial fit's bits, with and without weights, every layout and
/// kernel.
#[test]
fn few_rows_split_over_threads_keep_the_bits() {
    for &(n, d, k) in &[
        (100, 40, 30),
        (1024, 33, 40),
        (1500, 64, 17),
        (2047, 9, 120),
    ] {
        let (rows, _) = blobs(n, d, k.min(20), n as u64 + 3);
        let x = flatten(&rows);
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 7) as f64).collect();
        for weighted in [false, true] {
            let mut data = Data::f64(&x, n, d).unwrap();
            if weighted {
                data = data.with_weights(&w).unwrap();
            }
            for (kernel, precision) in [
                (KernelChoice::Auto, Precision::F64),
                (KernelChoice::Scalar, Precision::F64),
                (KernelChoice::Screened, Precision::F64),
                (KernelChoice::Auto, Precision::F32),
            ] {
                let fit = |threads| {
                    KMeans::new(k)
                        .seed(5)
                        .threads(threads)
                        .kernel(kernel)
                        .precision(precision)
                        .fit(&data)
                        .unwrap()
                };
                let want = fit(1);
                for threads in [2, 3] {
                    let got = fit(threads);
                    let ctx = format!(
                        "n={n} d={d} k={k} w={weighted} {kernel:?} {precision:?} t={threads}"
                    );
                    assert_eq!(got.labels, want.labels, "{ctx}");
                    assert_eq!(got.n_iter, want.n_iter, "{ctx}");
                    assert_eq!(got.inertia.to_bits(), want.inertia.to_bits(), "{ctx}");
                    assert_eq!(bits(&got.centers), bits(&want.centers), "{ctx}");
                }
            }
        }
    }
}

/// The fit's one scan of the input and its first pass find the tolerance
/// (`Fit::tol_abs`) bit for bit as `absolute_tol`'s two passes over the layout: every
/// precision, input type, algorithm, thread count, with one start and several, on
/// every k of a sweep; and a fit that stops on unchanged labels reports the inertia
/// of its final centers bit for bit (summed in its last pass instead of a pass of its
/// own).
#[test]
fn folded_tolerance_and_inertia_keep_the_bits() {
    use kernels::fit::{absolute_tol, inertia};
    use kernels::layout::{Flat, Flat32};
    use kernels::Exec;
    for &(n, d, k) in &[(1, 1, 1), (1025, 3, 4), (3000, 33, 6), (2100, 31, 40)] {
        let (rows, _) = blobs(n, d, k.min(n), n as u64 + 3);
        let x = flatten(&rows);
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let exec = Exec::new(2).unwrap();
        let want64 = absolute_tol(&Flat::from_slice(&x, n, d, KernelChoice::Auto), &exec, 1e-4);
        let want32 = absolute_tol(
            &Flat32::from_slice(&x, n, d, KernelChoice::Auto),
            &exec,
            1e-4,
        );
        for threads in [1, 2, 3] {
            for (precision, want) in [(Precision::F64, want64), (Precision::F32, want32)] {
                let algorithms: &[Algorithm] = match precision {
                    Precision::F64 => &[Algorithm::Lloyd, Algorithm::Hamerly, Algorithm::Elkan],
                    Precision::F32 => &[Algorithm::Lloyd],
                };
                for &algorithm in algorithms {
                    for n_init in [1, 3] {
                        let km = KMeans::new(k)
                            .threads(threads)
                            .precision(precision)
                            .algorithm(algorithm)
                            .n_init(n_init)
                            .seed(5);
                        let ctx = format!("n={n} d={d} k={k} {precision:?} {algorithm:?} threads={threads} n_init={n_init}");
                        let inputs = [Data::f64(&x, n, d).unwrap(), Data::f32(&x32, n, d).unwrap()];
                        for data in &inputs[..if precision == Precision::F32 { 2 } else { 1 }] {
                            for f in km.elbow(data, 1..=k).unwrap() {
                                assert_eq!(f.tol_abs.to_bits(), want.to_bits(), "{ctx} k={}", f.k);
                                if precision == Precision::F64 && f.n_iter < 300 {
                                    let mut c = kernels::Centers::new(f.k, d);
                                    c.set(&f.centers);
                                    let flat = Flat::from_slice(&x, n, d, KernelChoice::Auto);
                                    let again = inertia(&flat, &exec, &c, &f.labels);
                                    assert_eq!(
                                        f.inertia.to_bits(),
                                        again.to_bits(),
                                        "{ctx} k={}",
                                        f.k
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
