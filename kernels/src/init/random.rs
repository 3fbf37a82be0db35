//! `random` initialization: `k` distinct rows, uniformly or proportionally to the
//! weights, and the weighted draw k-means++ uses for its first center.

use crate::layout::Layout;
use crate::rng::Rng;

/// `k` distinct rows chosen uniformly (the first `k` of a uniform permutation).
pub(crate) fn random_rows<L: Layout>(x: &L, k: usize, rng: &mut Rng) -> Vec<f64> {
    // Partial Fisher–Yates over the indices: the first k of a uniform permutation.
    let n = x.n();
    let mut idx: Vec<usize> = (0..n).collect();
    let mut out = Vec::with_capacity(k * x.d());
    let mut buf = Vec::new();
    for i in 0..k {
        let j = i + rng.index(n - i);
        idx.swap(i, j);
        out.extend_from_slice(x.row(idx[i], &mut buf));
    }
    out
}

/// `k` distinct rows drawn without replacement, each draw proportional to the weight
/// among the rows not drawn yet (NumPy's `choice(n, k, replace=False, p=w / Σw)`).
pub(crate) fn weighted_rows<L: Layout>(x: &L, k: usize, w: &[f64], rng: &mut Rng) -> Vec<f64> {
    let mut taken = vec![false; w.len()];
    let mut left: f64 = w.iter().sum();
    let mut out = Vec::with_capacity(k * x.d());
    let mut buf = Vec::new();
    for _ in 0..k {
        let i = draw(w, &taken, rng.uniform() * left);
        taken[i] = true;
        left -= w[i];
        out.extend_from_slice(x.row(i, &mut buf));
    }
    out
}

/// The first row not `taken` with a positive weight whose running weight sum exceeds
/// `r` (or the last such row).
pub(crate) fn draw(w: &[f64], taken: &[bool], r: f64) -> usize {
    let mut acc = 0.0;
    let mut last = 0;
    for (i, (&v, &t)) in w.iter().zip(taken).enumerate() {
        if t || v <= 0.0 {
            continue;
        }
        acc += v;
        last = i;
        if acc > r {
            return i;
        }
    }
    last
}
