//! Initial centers: k-means++ (the seed's D² sampling), greedy k-means++
//! (scikit-learn's: `2 + ⌊ln k⌋` candidates per step, keep the one that lowers the
//! potential most), random distinct rows, or explicit centers.
//!
//! Distances are the canonical [`dist2`](crate::layout::dist2); per-point minima
//! are summed per fixed-size chunk and chunks in order, and the D² sample is the
//! first row whose running sum (chunk offset + in-chunk prefix) reaches `u · total`,
//! as NumPy's `searchsorted(cumsum, u · total)`. Every step is therefore
//! independent of the thread count.

use crate::exec::Exec;
use crate::layout::Layout;
use crate::rng::Rng;

/// Rows per chunk of the seeding passes (fixed: results depend on it, threads don't).
pub const SEED_CHUNK: usize = 4096;

/// How to choose the initial centers.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// D² sampling, one candidate per step (the seed's).
    KMeansPlusPlus,
    /// scikit-learn's greedy k-means++ (`2 + ⌊ln k⌋` candidates per step).
    GreedyKMeansPlusPlus,
    /// `k` distinct rows chosen uniformly.
    Random,
    /// Given centers, `k × d` row-major.
    Explicit(Vec<f64>),
}

impl Init {
    pub fn name(&self) -> &'static str {
        match self {
            Init::KMeansPlusPlus => "k-means++",
            Init::GreedyKMeansPlusPlus => "greedy-k-means++",
            Init::Random => "random",
            Init::Explicit(_) => "explicit",
        }
    }
}

/// Number of candidates per step of greedy k-means++ (scikit-learn's rule).
pub fn greedy_trials(k: usize) -> usize {
    2 + (k as f64).ln().floor() as usize
}

/// Chooses `k` initial centers (`k × d` row-major). `k ≤ n` is the caller's check.
pub fn initial_centers<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    rng: &mut Rng,
) -> Vec<f64> {
    initial_centers_weighted(x, exec, k, init, None, rng)
}

/// [`initial_centers`] with sample weights (scikit-learn's semantics): the first
/// k-means++ center is drawn with probability proportional to the weight, every next
/// one proportionally to `w_i · D²_i`, greedy candidates are compared by
/// `Σ w_i · min(D²_i, d²(x_i, c))`, and `random` draws rows without replacement with
/// probability proportional to the weight. Equal weights (all 1, or any constant) take
/// exactly the unweighted code path, so they give exactly the unweighted centers. `k`
/// must not exceed the number of rows with a positive weight (the caller's check).
pub fn initial_centers_weighted<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    weights: Option<&[f64]>,
    rng: &mut Rng,
) -> Vec<f64> {
    let weights = weights.filter(|w| !w.iter().all(|&v| v == w[0]));
    match init {
        Init::KMeansPlusPlus => kmeans_pp(x, exec, k, 1, weights, rng),
        Init::GreedyKMeansPlusPlus => kmeans_pp(x, exec, k, greedy_trials(k), weights, rng),
        Init::Random => match weights {
            None => random_rows(x, k, rng),
            Some(w) => weighted_rows(x, k, w, rng),
        },
        Init::Explicit(c) => c.clone(),
    }
}

fn random_rows<L: Layout>(x: &L, k: usize, rng: &mut Rng) -> Vec<f64> {
    // Partial Fisher–Yates over the indices: the first k of a uniform permutation.
    let n = x.n();
    let mut idx: Vec<usize> = (0..n).collect();
    let mut out = Vec::with_capacity(k * x.d());
    for i in 0..k {
        let j = i + rng.index(n - i);
        idx.swap(i, j);
        out.extend_from_slice(x.row(idx[i]));
    }
    out
}

/// `k` distinct rows drawn without replacement, each draw proportional to the weight
/// among the rows not drawn yet (NumPy's `choice(n, k, replace=False, p=w / Σw)`).
fn weighted_rows<L: Layout>(x: &L, k: usize, w: &[f64], rng: &mut Rng) -> Vec<f64> {
    let mut taken = vec![false; w.len()];
    let mut left: f64 = w.iter().sum();
    let mut out = Vec::with_capacity(k * x.d());
    for _ in 0..k {
        let i = draw(w, &taken, rng.uniform() * left);
        taken[i] = true;
        left -= w[i];
        out.extend_from_slice(x.row(i));
    }
    out
}

/// The first row not `taken` with a positive weight whose running weight sum exceeds
/// `r` (or the last such row).
fn draw(w: &[f64], taken: &[bool], r: f64) -> usize {
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

/// Chunk `c`'s row range.
fn chunk_rows(c: usize, n: usize) -> std::ops::Range<usize> {
    c * SEED_CHUNK..((c + 1) * SEED_CHUNK).min(n)
}

/// The first row whose running sum of `w_i · closest[i]` reaches `r` (or the last row).
fn sample(closest: &[f64], weights: Option<&[f64]>, chunk_sums: &[f64], r: f64) -> usize {
    let mut offset = 0.0;
    for (c, s) in chunk_sums.iter().enumerate() {
        let rows = chunk_rows(c, closest.len());
        // The chunk's last running sum is exactly `offset + s`: `s` is the in-chunk
        // prefix of its last row, summed in the same order.
        if offset + s >= r {
            let mut local = 0.0;
            for i in rows {
                local += match weights {
                    Some(w) => w[i] * closest[i],
                    None => closest[i],
                };
                if offset + local >= r {
                    return i;
                }
            }
        }
        offset += s;
    }
    closest.len() - 1
}

/// k-means++ with `trials` candidates per step.
fn kmeans_pp<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    trials: usize,
    weights: Option<&[f64]>,
    rng: &mut Rng,
) -> Vec<f64> {
    let n = x.n();
    let d = x.d();
    let n_chunks = n.div_ceil(SEED_CHUNK);
    let mut centers = Vec::with_capacity(k * d);
    let first = match weights {
        None => rng.index(n),
        Some(w) => {
            let total: f64 = w.iter().sum();
            draw(w, &vec![false; n], rng.uniform() * total)
        }
    };
    centers.extend_from_slice(x.row(first));

    let mut closest = vec![0.0f64; n];
    let mut chunk_sums = vec![0.0f64; n_chunks];
    let mut cand_pots = vec![vec![0.0f64; trials]; n_chunks];
    let mut cand_ids = vec![0usize; trials];
    let mut cand_rows = vec![0.0f64; trials * d];

    let update = |closest: &mut [f64], chunk_sums: &mut [f64], c: &[f64], init: bool| {
        exec.for_each_chunk(closest, SEED_CHUNK, chunk_sums, |ci, part, sum| {
            let rows = chunk_rows(ci, n);
            *sum = x.update_closest(rows.clone(), c, part, init);
            if let Some(w) = weights {
                *sum = part
                    .iter()
                    .zip(&w[rows])
                    .fold(0.0, |acc, (v, wi)| acc + wi * v);
            }
        });
    };
    update(&mut closest, &mut chunk_sums, &centers[..d], true);
    let mut pot: f64 = chunk_sums.iter().sum();

    for _ in 1..k {
        for (t, id) in cand_ids.iter_mut().enumerate() {
            let r = rng.uniform() * pot;
            *id = sample(&closest, weights, &chunk_sums, r);
            cand_rows[t * d..(t + 1) * d].copy_from_slice(x.row(*id));
        }
        let best = if trials == 1 {
            0
        } else {
            exec.for_each(&mut cand_pots, |ci, pots| {
                let rows = chunk_rows(ci, n);
                let w = weights.map(|w| &w[rows.clone()]);
                x.potentials(rows.clone(), &cand_rows, &closest[rows], w, pots);
            });
            let mut best = 0;
            let mut best_pot = f64::INFINITY;
            for t in 0..trials {
                let p: f64 = cand_pots.iter().map(|c| c[t]).sum();
                if p < best_pot {
                    best_pot = p;
                    best = t;
                }
            }
            best
        };
        let c = &cand_rows[best * d..(best + 1) * d];
        update(&mut closest, &mut chunk_sums, c, false);
        pot = chunk_sums.iter().sum();
        centers.extend_from_slice(c);
    }
    centers
}
