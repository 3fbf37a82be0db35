//! What the Python package relies on: the cancel flag (`KMeans::cancel_flag`),
//! `Fit::from_centers`, and f32 data fitted in f32 without an f64 copy, each giving
//! the same results as the paths the binary takes.

mod common;

use common::*;
use kernels::{Data, Error, Fit, Init, KMeans, Precision};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// A flag set before the fit cancels it, on one thread and on a pool; every init.
#[test]
fn a_set_flag_cancels() {
    let (rows, _) = blobs(5000, 4, 6, 3);
    let x = flatten(&rows);
    let data = Data::f64(&x, 5000, 4).unwrap();
    for threads in [1, 2] {
        for init in [
            Init::GreedyKMeansPlusPlus,
            Init::KMeansPlusPlus,
            Init::Random,
        ] {
            let flag = Arc::new(AtomicBool::new(true));
            let r = KMeans::new(6)
                .init(init.clone())
                .threads(threads)
                .cancel_flag(flag)
                .fit(&data);
            assert!(
                matches!(r, Err(Error::Cancelled)),
                "threads={threads} {init:?}"
            );
        }
    }
}

/// Starts run side by side on small data (`n_init` > 1, one thread each) stop too.
#[test]
fn a_set_flag_cancels_parallel_starts() {
    let (rows, _) = blobs(300, 2, 3, 5);
    let x = flatten(&rows);
    let data = Data::f64(&x, 300, 2).unwrap();
    let r = KMeans::new(3)
        .n_init(4)
        .threads(0)
        .cancel_flag(Arc::new(AtomicBool::new(true)))
        .fit(&data);
    assert!(matches!(r, Err(Error::Cancelled)));
}

/// A flag that stays clear changes nothing, bit for bit.
#[test]
fn a_clear_flag_changes_nothing() {
    let (rows, _) = blobs(3000, 3, 5, 9);
    let x = flatten(&rows);
    let data = Data::f64(&x, 3000, 3).unwrap();
    for threads in [1, 2] {
        let plain = KMeans::new(5).threads(threads).seed(4).fit(&data).unwrap();
        let flagged = KMeans::new(5)
            .threads(threads)
            .seed(4)
            .cancel_flag(Arc::new(AtomicBool::new(false)))
            .fit(&data)
            .unwrap();
        assert_eq!(plain.labels, flagged.labels);
        assert_eq!(bits(&plain.centers), bits(&flagged.centers));
        assert_eq!(plain.inertia.to_bits(), flagged.inertia.to_bits());
        assert_eq!(plain.n_iter, flagged.n_iter);
    }
}

/// Set in the middle of a sweep (after k = 1 is handed out), the flag stops the
/// sweep before k = 2 completes.
#[test]
fn a_flag_set_mid_sweep_stops_it() {
    let (rows, _) = blobs(4000, 2, 4, 1);
    let x = flatten(&rows);
    let data = Data::f64(&x, 4000, 2).unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let mut seen = Vec::new();
    let r = KMeans::new(1)
        .threads(2)
        .cancel_flag(flag.clone())
        .elbow_each(&data, 1..=4, |f| {
            seen.push(f.k);
            flag.store(true, Ordering::Relaxed);
        });
    assert!(matches!(r, Err(Error::Cancelled)));
    assert_eq!(seen, vec![1]);
    // Clear again, the same model fits normally.
    flag.store(false, Ordering::Relaxed);
    let m = KMeans::new(3).cancel_flag(flag);
    assert_eq!(m.fit(&data).unwrap().k, 3);
}

/// f32 values fitted in f32 equal the same values passed as f64.
#[test]
fn f32_values_in_f32_equal_the_f64_path() {
    let (rows, _) = blobs(2000, 5, 4, 2);
    let x32: Vec<f32> = flatten(&rows).iter().map(|&v| v as f32).collect();
    let x64: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
    let m = KMeans::new(4).precision(Precision::F32).seed(1);
    let a = m.fit(&Data::f32(&x32, 2000, 5).unwrap()).unwrap();
    let b = m.fit(&Data::f64(&x64, 2000, 5).unwrap()).unwrap();
    assert_eq!(a.labels, b.labels);
    assert_eq!(bits(&a.centers), bits(&b.centers));
    assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
}

/// A model restored from its centers predicts the fit's labels, in both precisions,
/// and refuses shapes that do not match.
#[test]
fn from_centers_predicts_the_labels() {
    let (rows, _) = blobs(1500, 3, 5, 6);
    let x = flatten(&rows);
    let data = Data::f64(&x, 1500, 3).unwrap();
    for precision in [Precision::F64, Precision::F32] {
        let f = KMeans::new(5).precision(precision).fit(&data).unwrap();
        let r = Fit::from_centers(f.centers.clone(), 5, 3, precision, 0).unwrap();
        assert_eq!(r.predict(&data).unwrap(), f.labels);
        assert_eq!(
            bits(&r.transform(&data).unwrap()),
            bits(&f.transform(&data).unwrap())
        );
    }
    assert!(Fit::from_centers(vec![0.0; 5], 2, 3, Precision::F64, 0).is_err());
    assert!(Fit::from_centers(vec![f64::NAN; 6], 2, 3, Precision::F64, 0).is_err());
}
