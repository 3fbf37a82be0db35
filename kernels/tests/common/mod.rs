//! Shared test helpers: an obviously-correct reference k-means, a blob generator,
//! the adjusted Rand index, and CSV writing.
#![allow(dead_code)]

use kernels::rng::Rng;
use std::io::Write;
use std::path::Path;

/// The reference: plain loops over `Vec<Vec<f64>>`, scikit-learn's Lloyd semantics.
/// Returns (labels, centers, inertia, iterations).
pub(crate) fn reference_lloyd(
    x: &[Vec<f64>],
    init: &[Vec<f64>],
    max_iter: usize,
    tol: f64,
) -> (Vec<usize>, Vec<Vec<f64>>, f64, usize) {
    let n = x.len();
    let d = x[0].len();
    let k = init.len();
    // The crate's canonical distance, written plainly: feature t into partial t % 8,
    // then a fixed tree (kernels::distance::dist2).
    let dist = |a: &[f64], b: &[f64]| -> f64 {
        let mut p = [0.0f64; 8];
        for j in 0..a.len() {
            p[j % 8] += (a[j] - b[j]) * (a[j] - b[j]);
        }
        ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]))
    };
    let nearest = |p: &[f64], c: &[Vec<f64>]| -> usize {
        let mut best = 0;
        for j in 1..c.len() {
            if dist(p, &c[j]) < dist(p, &c[best]) {
                best = j;
            }
        }
        best
    };
    // tol relative to the mean per-feature variance
    let mut mean = vec![0.0; d];
    for p in x {
        for j in 0..d {
            mean[j] += p[j];
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    let mut var = 0.0;
    for j in 0..d {
        let mut v = 0.0;
        for p in x {
            v += (p[j] - mean[j]) * (p[j] - mean[j]);
        }
        var += v / n as f64;
    }
    let tol_abs = var / d as f64 * tol;

    let mut centers = init.to_vec();
    let mut labels = vec![usize::MAX; n];
    let mut strict = false;
    let mut iters = 0;
    for it in 0..max_iter {
        iters = it + 1;
        let new_labels: Vec<usize> = x.iter().map(|p| nearest(p, &centers)).collect();
        let changed = new_labels != labels;
        labels = new_labels;
        let mut sums = vec![vec![0.0; d]; k];
        let mut counts = vec![0.0; k];
        for (p, &l) in x.iter().zip(&labels) {
            for j in 0..d {
                sums[l][j] += p[j];
            }
            counts[l] += 1.0;
        }
        // empty clusters: farthest points from their (old) centers
        let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0.0).collect();
        if !empty.is_empty() {
            let mut order: Vec<usize> = (0..n).collect();
            let dd: Vec<f64> = (0..n).map(|i| dist(&x[i], &centers[labels[i]])).collect();
            order.sort_by(|&a, &b| dd[b].partial_cmp(&dd[a]).unwrap().then(a.cmp(&b)));
            for (e, &i) in empty.iter().zip(&order) {
                let old = labels[i];
                for j in 0..d {
                    sums[old][j] -= x[i][j];
                    sums[*e][j] = x[i][j];
                }
                counts[*e] = 1.0;
                counts[old] -= 1.0;
            }
        }
        let mut shift = 0.0;
        let mut new_centers = vec![vec![0.0; d]; k];
        for c in 0..k {
            let alpha = if counts[c] > 0.0 {
                1.0 / counts[c]
            } else {
                1.0
            };
            for j in 0..d {
                new_centers[c][j] = sums[c][j] * alpha;
            }
            shift += dist(&new_centers[c], &centers[c]);
        }
        centers = new_centers;
        if !changed {
            strict = true;
            break;
        }
        if shift <= tol_abs {
            break;
        }
    }
    if !strict {
        labels = x.iter().map(|p| nearest(p, &centers)).collect();
    }
    let inertia = x
        .iter()
        .zip(&labels)
        .map(|(p, &l)| dist(p, &centers[l]))
        .sum();
    (labels, centers, inertia, iters)
}

/// Standard normal by Box–Muller.
pub(crate) fn normal(rng: &mut Rng) -> f64 {
    let u1 = rng.uniform().max(1e-300);
    let u2 = rng.uniform();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Gaussian blobs: `k` centers in a box, std 0.5, round-robin membership, shuffled.
/// Returns (rows, true labels).
pub(crate) fn blobs(n: usize, d: usize, k: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
    let mut rng = Rng::for_k(seed, 1_000_000 + k);
    let centers: Vec<Vec<f64>> = (0..k)
        .map(|_| (0..d).map(|_| rng.uniform() * 40.0 - 20.0).collect())
        .collect();
    let mut rows = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % k;
        rows.push(
            centers[c]
                .iter()
                .map(|m| m + 0.5 * normal(&mut rng))
                .collect(),
        );
        labels.push(c);
    }
    for i in (1..n).rev() {
        let j = rng.index(i + 1);
        rows.swap(i, j);
        labels.swap(i, j);
    }
    (rows, labels)
}

/// Uniformly random rows in [-1, 1)^d.
pub(crate) fn uniform(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::for_k(seed, 7);
    (0..n)
        .map(|_| (0..d).map(|_| rng.uniform() * 2.0 - 1.0).collect())
        .collect()
}

/// Adjusted Rand index (Hubert & Arabie).
pub(crate) fn ari(a: &[usize], b: &[usize]) -> f64 {
    use std::collections::HashMap;
    let n = a.len() as f64;
    let mut table: HashMap<(usize, usize), f64> = HashMap::new();
    let mut ra: HashMap<usize, f64> = HashMap::new();
    let mut rb: HashMap<usize, f64> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_default() += 1.0;
        *ra.entry(x).or_default() += 1.0;
        *rb.entry(y).or_default() += 1.0;
    }
    let c2 = |v: f64| v * (v - 1.0) / 2.0;
    let index: f64 = table.values().map(|&v| c2(v)).sum();
    let sa: f64 = ra.values().map(|&v| c2(v)).sum();
    let sb: f64 = rb.values().map(|&v| c2(v)).sum();
    let expected = sa * sb / c2(n);
    let max = (sa + sb) / 2.0;
    if max == expected {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Writes rows as the seed's CSV (`ID,feature_1..`), shortest round-trip floats.
pub(crate) fn write_csv(path: &Path, rows: &[Vec<f64>]) {
    let d = rows.first().map_or(1, |r| r.len());
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(f, "ID").unwrap();
    for j in 1..=d {
        write!(f, ",feature_{j}").unwrap();
    }
    writeln!(f).unwrap();
    let mut b = ryu::Buffer::new();
    for (i, r) in rows.iter().enumerate() {
        write!(f, "p{i}").unwrap();
        for v in r {
            write!(f, ",{}", b.format(*v)).unwrap();
        }
        writeln!(f).unwrap();
    }
}

pub(crate) fn flatten(rows: &[Vec<f64>]) -> Vec<f64> {
    rows.iter().flatten().copied().collect()
}
