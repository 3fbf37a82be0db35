//! Seeding at large k: greedy k-means++ (with its exact triangle-inequality pruning)
//! against a naive reference, bit for bit, on awkward shapes and every thread count;
//! k-means|| (candidate weighting, determinism, quality).

mod common;

use common::*;
use kernels::distance::dist2;
use kernels::exec::Exec;
use kernels::init::{greedy_trials, initial_centers, initial_centers_weighted, stream, Init};
use kernels::kernel::KernelChoice;
use kernels::layout::{Aos, DataPoint, Flat};
use kernels::rng::Rng;

const THREADS: [usize; 4] = [1, 2, 3, 0];
const CHUNK: usize = 4096;

/// The first row whose running sum (chunk offset + in-chunk prefix) reaches `r`.
fn sample(closest: &[f64], w: Option<&[f64]>, chunk_sums: &[f64], r: f64) -> usize {
    let mut offset = 0.0;
    for (c, s) in chunk_sums.iter().enumerate() {
        if offset + s >= r {
            let mut local = 0.0;
            for i in c * CHUNK..((c + 1) * CHUNK).min(closest.len()) {
                local += w.map_or(1.0, |w| w[i]) * closest[i];
                if offset + local >= r {
                    return i;
                }
            }
        }
        offset += s;
    }
    closest.len() - 1
}

/// Per chunk of 4096 rows, `Σ w_i · v_i` in row order.
fn chunk_sums(v: &[f64], w: Option<&[f64]>) -> Vec<f64> {
    v.chunks(CHUNK)
        .enumerate()
        .map(|(c, part)| {
            part.iter().enumerate().fold(0.0, |acc, (i, x)| match w {
                Some(w) => acc + w[c * CHUNK + i] * x,
                None => acc + x,
            })
        })
        .collect()
}

/// Greedy k-means++ as plain loops: every distance computed, every step.
fn reference_greedy(
    x: &[Vec<f64>],
    k: usize,
    trials: usize,
    w: Option<&[f64]>,
    rng: &mut Rng,
) -> Vec<f64> {
    let n = x.len();
    let first = match w {
        None => rng.index(n),
        Some(w) => {
            let total: f64 = w.iter().sum();
            let r = rng.uniform() * total;
            let mut acc = 0.0;
            let mut pick = 0;
            for (i, &wi) in w.iter().enumerate() {
                if wi <= 0.0 {
                    continue;
                }
                acc += wi;
                pick = i;
                if acc > r {
                    break;
                }
            }
            pick
        }
    };
    let mut centers = x[first].clone();
    let mut closest: Vec<f64> = x.iter().map(|r| dist2(r, &x[first])).collect();
    let mut sums = chunk_sums(&closest, w);
    while centers.len() / x[0].len() < k {
        let pot: f64 = sums.iter().sum();
        let ids: Vec<usize> = (0..trials)
            .map(|_| sample(&closest, w, &sums, rng.uniform() * pot))
            .collect();
        let mut best = 0;
        if trials > 1 {
            let mut best_pot = f64::INFINITY;
            for (t, &id) in ids.iter().enumerate() {
                let v: Vec<f64> = x
                    .iter()
                    .zip(&closest)
                    .map(|(r, c)| dist2(r, &x[id]).min(*c))
                    .collect();
                let p: f64 = chunk_sums(&v, w).iter().sum();
                if p < best_pot {
                    best_pot = p;
                    best = t;
                }
            }
        }
        let c = &x[ids[best]];
        for (r, v) in x.iter().zip(closest.iter_mut()) {
            let dd = dist2(r, c);
            if dd < *v {
                *v = dd;
            }
        }
        sums = chunk_sums(&closest, w);
        centers.extend_from_slice(c);
    }
    centers
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn check(rows: &[Vec<f64>], ks: &[usize], w: Option<&[f64]>) {
    let (n, d) = (rows.len(), rows[0].len());
    let flat_values = flatten(rows);
    let aos = Aos::from_points(
        rows.iter()
            .enumerate()
            .map(|(i, r)| DataPoint {
                id: i.to_string(),
                features: r.clone(),
            })
            .collect(),
    );
    for &k in ks {
        for init in [Init::GreedyKMeansPlusPlus, Init::KMeansPlusPlus] {
            let trials = if init == Init::KMeansPlusPlus {
                1
            } else {
                greedy_trials(k)
            };
            let mut rng = Rng::for_start(5, stream(&init, k), 0);
            let want = bits(&reference_greedy(rows, k, trials, w, &mut rng));
            for threads in THREADS {
                let exec = Exec::new(threads).unwrap();
                for kernel in [KernelChoice::Scalar, KernelChoice::Auto] {
                    let flat = Flat::from_slice(&flat_values, n, d, kernel);
                    let mut rng = Rng::for_start(5, stream(&init, k), 0);
                    let got = initial_centers_weighted(&flat, &exec, k, &init, w, &mut rng);
                    assert_eq!(
                        bits(&got),
                        want,
                        "flat n {n} d {d} k {k} {init:?} threads {threads} {kernel:?}"
                    );
                }
                let mut rng = Rng::for_start(5, stream(&init, k), 0);
                let got = initial_centers_weighted(&aos, &exec, k, &init, w, &mut rng);
                assert_eq!(bits(&got), want, "aos n {n} d {d} k {k} threads {threads}");
            }
        }
    }
}

#[test]
fn greedy_matches_reference_on_awkward_shapes() {
    for d in [1, 2, 3, 8, 31, 33, 64, 65, 128] {
        for n in [1, 2, 7, 61] {
            let (rows, _) = blobs(n, d, 3.min(n), 11 + d as u64);
            let ks: Vec<usize> = [1, 2, 5, n].into_iter().filter(|&k| k <= n).collect();
            check(&rows, &ks, None);
        }
    }
}

#[test]
fn greedy_matches_reference_across_chunks() {
    // 4099 and 8209 rows: a chunk boundary inside the data, prime counts.
    for (n, d, blobs_k, ks) in [
        (4099, 33, 20, vec![1, 9, 40]),
        (8209, 64, 30, vec![3, 30, 60]),
        (4099, 128, 12, vec![25]),
        (5003, 9, 50, vec![70]),
    ] {
        let (rows, _) = blobs(n, d, blobs_k, n as u64);
        check(&rows, &ks, None);
    }
}

#[test]
fn greedy_matches_reference_with_duplicates_and_weights() {
    // Many rows at distance 0 from a center (the pruning's `D = 0` case), and weights.
    let (mut rows, _) = blobs(4500, 64, 6, 3);
    for i in (0..rows.len()).step_by(3) {
        rows[i] = rows[0].clone();
    }
    check(&rows, &[1, 7, 20], None);
    let mut rng = Rng::for_k(9, 1);
    let w: Vec<f64> = (0..rows.len()).map(|_| rng.uniform() * 3.0).collect();
    check(&rows, &[1, 7, 20], Some(&w));
}

#[test]
fn greedy_same_across_threads_large_k() {
    let (rows, _) = blobs(20000, 40, 64, 1);
    let x = flatten(&rows);
    let k = 128;
    let init = Init::GreedyKMeansPlusPlus;
    let flat = Flat::from_slice(&x, rows.len(), 40, KernelChoice::Auto);
    let run = |threads| {
        let mut rng = Rng::for_start(1, stream(&init, k), 0);
        bits(&initial_centers(
            &flat,
            &Exec::new(threads).unwrap(),
            k,
            &init,
            &mut rng,
        ))
    };
    let one = run(1);
    for t in [2, 3, 0] {
        assert_eq!(run(t), one);
    }
    let mut rng = Rng::for_start(1, stream(&init, k), 0);
    assert_eq!(
        bits(&reference_greedy(
            &rows,
            k,
            greedy_trials(k),
            None,
            &mut rng
        )),
        one
    );
}

/// k-means|| candidates: every candidate's weight is the number (or the weight) of the
/// rows whose nearest candidate (canonical distance, lowest index on ties) it is.
#[test]
fn parallel_candidates_weighted_by_nearest_rows() {
    use kernels::init::parallel::candidates;
    let (rows, _) = blobs(9000, 12, 15, 4);
    let (n, d) = (rows.len(), 12);
    let x = flatten(&rows);
    let flat = Flat::from_slice(&x, n, d, KernelChoice::Auto);
    let mut wrng = Rng::for_k(2, 2);
    let w: Vec<f64> = (0..n).map(|_| (wrng.uniform() * 4.0).floor()).collect();
    for weights in [None, Some(&w[..])] {
        let mut rng = Rng::for_k(3, 1);
        let c = candidates(&flat, &Exec::new(2).unwrap(), 10, 2.0, 5, weights, &mut rng);
        let m = c.ids.len();
        assert!(
            m > 10 && c.rounds == 5,
            "{m} candidates, {} rounds",
            c.rounds
        );
        for (t, &id) in c.ids.iter().enumerate() {
            assert_eq!(&c.rows[t * d..(t + 1) * d], &rows[id][..]);
        }
        let mut want = vec![0.0; m];
        for (i, r) in rows.iter().enumerate() {
            let mut best = (f64::INFINITY, 0);
            for t in 0..m {
                let dd = dist2(r, &c.rows[t * d..(t + 1) * d]);
                if dd < best.0 {
                    best = (dd, t);
                }
            }
            want[best.1] += weights.map_or(1.0, |w| w[i]);
        }
        assert_eq!(c.weights, want);
        if weights.is_none() {
            assert_eq!(c.weights.iter().sum::<f64>(), n as f64);
        }
    }
}

#[test]
fn parallel_same_across_threads_and_layouts() {
    let (rows, _) = blobs(10000, 33, 40, 8);
    let (n, d) = (rows.len(), 33);
    let x = flatten(&rows);
    let aos = Aos::from_points(
        rows.iter()
            .enumerate()
            .map(|(i, r)| DataPoint {
                id: i.to_string(),
                features: r.clone(),
            })
            .collect(),
    );
    for k in [1, 7, 40, 90] {
        let init = Init::k_means_parallel();
        let run = |threads: usize, kernel: KernelChoice| {
            let flat = Flat::from_slice(&x, n, d, kernel);
            let mut rng = Rng::for_start(1, stream(&init, k), 0);
            bits(&initial_centers(
                &flat,
                &Exec::new(threads).unwrap(),
                k,
                &init,
                &mut rng,
            ))
        };
        let one = run(1, KernelChoice::Auto);
        assert_eq!(one.len(), k * d);
        for t in [2, 3, 0] {
            assert_eq!(run(t, KernelChoice::Auto), one, "k {k} threads {t}");
        }
        assert_eq!(run(2, KernelChoice::Scalar), one);
        let mut rng = Rng::for_start(1, stream(&init, k), 0);
        let a = initial_centers(&aos, &Exec::new(2).unwrap(), k, &init, &mut rng);
        assert_eq!(bits(&a), one);
    }
}

#[test]
fn parallel_small_and_degenerate_inputs() {
    // k = n, all rows equal, n = 1: fewer candidates than k fall back to greedy.
    for (rows, k) in [
        (vec![vec![1.0, 2.0]], 1),
        (vec![vec![3.0; 5]; 50], 1),
        (blobs(7, 3, 7, 1).0, 7),
        (blobs(61, 9, 4, 1).0, 61),
    ] {
        let (n, d) = (rows.len(), rows[0].len());
        let x = flatten(&rows);
        let flat = Flat::from_slice(&x, n, d, KernelChoice::Auto);
        let init = Init::k_means_parallel();
        let mut rng = Rng::for_start(0, stream(&init, k), 0);
        let c = initial_centers(&flat, &Exec::new(2).unwrap(), k, &init, &mut rng);
        assert_eq!(c.len(), k * d);
        for center in c.chunks_exact(d) {
            assert!(rows.iter().any(|r| r[..] == *center));
        }
        if k == n {
            let mut ids: Vec<usize> = c
                .chunks_exact(d)
                .map(|center| rows.iter().position(|r| r[..] == *center).unwrap())
                .collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n, "k = n must pick every distinct row");
        }
    }
}

/// Quality: after Lloyd, k-means||'s inertia is within 1 % of greedy k-means++'s
/// (median over seeds) on blobs.
#[test]
fn parallel_quality_close_to_greedy() {
    use kernels::{Data, KMeans};
    let (rows, _) = blobs(6000, 16, 30, 21);
    let x = flatten(&rows);
    let data = Data::f64(&x, rows.len(), 16).unwrap();
    let mut ratios: Vec<f64> = (0..7)
        .map(|seed| {
            let fit = |init: Init| {
                KMeans::new(30)
                    .init(init)
                    .seed(seed)
                    .threads(2)
                    .fit(&data)
                    .unwrap()
                    .inertia
            };
            fit(Init::k_means_parallel()) / fit(Init::GreedyKMeansPlusPlus)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    assert!(median <= 1.01, "median inertia ratio {median} ({ratios:?})");
}
