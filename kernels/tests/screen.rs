//! The screened kernel (`KernelChoice::Screened`): the f32 screen settles most rows
//! on well-separated data and sends near-ties to the f64 re-check, and a whole fit
//! gives the f64 fit's result bit for bit. (One test per process section: the
//! screen's counters are process-wide, so this file's tests take turns.)

mod common;

use common::*;
use kernels::accum::{Centers, Partial};
use kernels::data::Matrix;
use kernels::kernel::KernelChoice;
use kernels::layout::flat::screen_counts;
use kernels::layout::{Flat, Layout};
use kernels::{Data, Init, KMeans};
use std::sync::Mutex;

static TURN: Mutex<()> = Mutex::new(());

/// One screened pass: (labels, rows screened, rows re-checked), checked against the
/// scalar kernel's labels and sums bit for bit.
fn pass(rows: &[f64], n: usize, d: usize, centers: &[f64]) -> (u64, u64) {
    let k = centers.len() / d;
    let m = Matrix::from_vec(n, d, rows.to_vec());
    let mut c = Centers::new(k, d);
    c.set(centers);
    let mut cs = Centers::new(k, d);
    let screened = Flat::new(&m, KernelChoice::Screened);
    cs.set_screened(screened.screen_shift().expect("a screened layout"));
    cs.set(centers);
    let run = |x: &Flat, c: &Centers| {
        let mut labels = vec![u32::MAX; n];
        let mut part = Partial::new(k, d);
        x.assign(0..n, c, &mut labels, &mut part, true);
        (labels, part)
    };
    let want = run(&Flat::new(&m, KernelChoice::Scalar), &c);
    let (s0, r0) = screen_counts();
    let got = run(&screened, &cs);
    let (s1, r1) = screen_counts();
    assert_eq!(got.0, want.0, "labels n={n} d={d} k={k}");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&got.1.sums),
        bits(&want.1.sums),
        "sums n={n} d={d} k={k}"
    );
    assert_eq!(got.1.changed, want.1.changed);
    (s1 - s0, r1 - r0)
}

#[test]
fn screen_settles_separated_rows_and_rechecks_ties() {
    let _t = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // Blobs: nearly every row is far from its second-best center (the centers are
    // data rows, some from the same blob: about 1 % of rows are near-ties here).
    let (n, d, k) = (3000, 64, 40);
    let (rows, _) = blobs(n, d, k, 11);
    let x = flatten(&rows);
    let centers: Vec<f64> = (0..k).flat_map(|j| rows[j * 71 % n].clone()).collect();
    let (screened, rechecked) = pass(&x, n, d, &centers);
    assert_eq!(screened, n as u64);
    assert!(
        rechecked * 20 < n as u64,
        "{rechecked} of {n} rows re-checked on separated blobs"
    );
    // Duplicated centers: every row ties exactly between two centers, so every row
    // must be re-checked (and get the lower index).
    let dup: Vec<f64> = [&centers[..], &centers[..]].concat();
    let (screened, rechecked) = pass(&x, n, d, &dup);
    assert_eq!((screened, rechecked), (n as u64, n as u64));
    // Near-ties f32 cannot resolve: two centers mirrored across x0 = 0 and rows
    // within 1e-8 of that plane (gaps of 4e-8 against scores of order 1), some
    // exactly on it: every row must go to the re-check, and get the f64 label.
    let d = 8;
    let mut two = vec![0.5; 2 * d];
    two[0] = -1.0;
    two[d] = 1.0;
    let noise = uniform(201, d, 5);
    let mut rows: Vec<f64> = noise.iter().flatten().copied().collect();
    for i in 0..201 {
        rows[i * d] = (i as f64 - 100.0) * 1e-10;
    }
    let (_, rechecked) = pass(&rows, 201, d, &two);
    assert_eq!(rechecked, 201);
}

#[test]
fn screened_fit_equals_the_f64_fit() {
    let _t = TURN.lock().unwrap_or_else(|e| e.into_inner());
    for &(n, d, k) in &[(2500, 33, 70), (1000, 128, 33), (300, 5, 3), (64, 1, 2)] {
        let (rows, _) = blobs(n, d, k.min(20), n as u64);
        let x = flatten(&rows);
        let data = Data::f64(&x, n, d).unwrap();
        let fit = |kernel, threads| {
            KMeans::new(k)
                .init(Init::GreedyKMeansPlusPlus)
                .seed(7)
                .threads(threads)
                .kernel(kernel)
                .fit(&data)
                .unwrap()
        };
        let want = fit(KernelChoice::Scalar, 1);
        for threads in [1, 2] {
            let (s0, _) = screen_counts();
            let got = fit(KernelChoice::Screened, threads);
            let (s1, _) = screen_counts();
            assert!(s1 >= s0 + n as u64, "the screen ran every pass");
            assert_eq!(got.labels, want.labels, "n={n} d={d} k={k} t={threads}");
            assert_eq!(got.n_iter, want.n_iter);
            assert_eq!(got.inertia.to_bits(), want.inertia.to_bits());
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.centers), bits(&want.centers));
        }
    }
}
