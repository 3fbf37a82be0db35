//! k-means|| (Bahmani, Moseley, Vattani, Kumar, Vassilvitskii, "Scalable K-Means++",
//! VLDB 2012): a handful of passes that each sample about `ℓ` rows at once, then a
//! weighted greedy k-means++ over the sampled candidates.
//!
//! 1. The first candidate is drawn as k-means++ draws its first center.
//! 2. Each round samples every row independently with probability
//!    `min(1, ℓ · w_i · D_i / ψ)` (`D_i` its squared distance to the nearest candidate,
//!    `ψ = Σ w_i D_i`) and folds the sampled rows into `D`.
//! 3. Each candidate is weighted by the (sample) weight of the rows nearest to it
//!    (lowest candidate index on ties), and greedy k-means++ with those weights picks
//!    the `k` centers among the candidates, in process.
//!
//! Determinism: the uniform draw of row `i` in round `r` comes from the stream of its
//! seeding chunk (`Rng::for_start(base_r, r, chunk)`, `base_r` drawn from the fit's
//! RNG), one draw per row whatever its probability, and the candidates are taken in
//! row order; sums are per chunk, merged in chunk order. Nothing depends on the
//! thread count.
//!
//! The distance updates are exact canonical distances, pruned by the triangle
//! inequality against each row's nearest candidate ([`PruneBound`]): a new candidate is
//! evaluated for a row only when it could be closer. If the rounds give fewer than `k`
//! candidates with a positive weight (fewer distinct rows than `ℓ · rounds`), up to
//! ten more rounds are run; if that is still not enough (fewer than `k` distinct rows),
//! greedy k-means++ on all the rows is used instead.

use super::plusplus::{first_center, greedy_trials, kmeans_pp, SEED_CHUNK};
use super::prune::PruneBound;
use crate::accum::{Centers, Partial};
use crate::distance::dist2;
use crate::exec::Exec;
use crate::kernel::canonical::canonical_dist2_many;
use crate::kernel::{isa, KernelChoice};
use crate::layout::{Flat, Layout};
use crate::rng::Rng;
use pulp::{Simd, WithSimd};

/// Default oversampling factor: `ℓ = 2k` candidates per round (Bahmani et al.'s
/// experiments use `ℓ` between `0.1k` and `10k`; `2k` with 5 rounds is Spark MLlib's
/// choice of rounds and their recommended factor).
pub const DEFAULT_OVERSAMPLING: f64 = 2.0;

/// Default number of sampling rounds.
pub const DEFAULT_ROUNDS: usize = 5;

/// Extra rounds allowed when the rounds gave fewer than `k` weighted candidates.
const EXTRA_ROUNDS: usize = 10;

/// The candidates of k-means|| and their weights, before the reduction.
#[derive(Clone, Debug)]
pub struct Candidates {
    /// `m × d` row-major, in the order they were sampled (the first candidate first).
    pub rows: Vec<f64>,
    /// The row index of each candidate.
    pub ids: Vec<usize>,
    /// Per candidate, the total weight (row count without weights) of the rows nearest
    /// to it (lowest candidate index on ties).
    pub weights: Vec<f64>,
    /// Sampling rounds run.
    pub rounds: usize,
}

/// The sampling phase of k-means|| (steps 1 and 2 and the weighting): `oversampling · k`
/// expected candidates per round, `rounds` rounds (more while fewer than `k`
/// candidates have a positive weight, up to ten).
pub fn candidates<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    oversampling: f64,
    rounds: usize,
    weights: Option<&[f64]>,
    rng: &mut Rng,
) -> Candidates {
    let n = x.n();
    let d = x.d();
    let ell = (oversampling * k as f64).max(1.0);
    let bound = PruneBound::new(d);
    let n_chunks = n.div_ceil(SEED_CHUNK);
    let first = first_center(n, weights, rng);
    let mut buf = Vec::new();
    let mut rows = x.row(first, &mut buf).to_vec();
    let mut ids = vec![first];
    let mut closest = vec![0.0f64; n];
    let mut owner = vec![0u32; n];
    let mut sums = vec![0.0f64; n_chunks];
    {
        let c = rows.clone();
        exec.for_each_chunk(&mut closest, SEED_CHUNK, &mut sums, |ci, part, s| {
            let r = ci * SEED_CHUNK..ci * SEED_CHUNK + part.len();
            *s = x.update_closest(r.clone(), &c, part, true);
            if let Some(w) = weights {
                *s = weighted_sum(part, &w[r]);
            }
        });
    }
    let mut round = 0;
    let positive = |owner: &[u32], m: usize| -> (Vec<f64>, usize) {
        let mut cw = vec![0.0f64; m];
        for (i, &o) in owner.iter().enumerate() {
            cw[o as usize] += weights.map_or(1.0, |w| w[i]);
        }
        let p = cw.iter().filter(|&&v| v > 0.0).count();
        (cw, p)
    };
    loop {
        if round >= rounds
            && (round >= rounds + EXTRA_ROUNDS
                || ids.len() >= k && positive(&owner, ids.len()).1 >= k)
        {
            break;
        }
        let psi: f64 = sums.iter().sum();
        if psi <= 0.0 {
            break;
        }
        // Sampling: one uniform per row from its chunk's stream.
        let base = (rng.uniform() * (1u64 << 53) as f64) as u64;
        let mut picks: Vec<Vec<usize>> = vec![Vec::new(); n_chunks];
        {
            let closest = &closest;
            exec.for_each(&mut picks, |ci, out| {
                let mut r = Rng::for_start(base, round as u64, ci);
                let start = ci * SEED_CHUNK;
                let end = (start + SEED_CHUNK).min(n);
                for i in start..end {
                    let p = ell * weights.map_or(1.0, |w| w[i]) * closest[i] / psi;
                    if r.uniform() < p {
                        out.push(i);
                    }
                }
            });
        }
        round += 1;
        let new: Vec<usize> = picks.into_iter().flatten().collect();
        if new.is_empty() {
            continue;
        }
        let old = ids.len();
        let mut new_rows = Vec::with_capacity(new.len() * d);
        for &i in &new {
            new_rows.extend_from_slice(x.row(i, &mut buf));
        }
        // Per existing candidate, the new ones that may be closer than it for some row
        // it owns, nearest first (ties by index).
        let mut reach = vec![0.0f64; old];
        let mut owned = vec![0usize; old];
        for (&o, &v) in owner.iter().zip(&closest) {
            let r = &mut reach[o as usize];
            if v > *r {
                *r = v;
            }
            owned[o as usize] += 1;
        }
        let mut lists: Vec<Vec<(f64, u32)>> = vec![Vec::new(); old];
        {
            let (rows, new_rows, reach) = (&rows, &new_rows, &reach);
            exec.for_each(&mut lists, |j, list| {
                if reach[j] == 0.0 {
                    return;
                }
                let c = &rows[j * d..(j + 1) * d];
                for (t, nr) in new_rows.chunks_exact(d).enumerate() {
                    let e = bound.down(dist2(c, nr));
                    if !bound.skip(reach[j], e) {
                        list.push((e, (old + t) as u32));
                    }
                }
                list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            });
        }
        // At most this many row-candidate pairs pruned; above it (the first rounds,
        // when rows are far from every candidate) the assignment kernel's argmin over
        // the new candidates is cheaper than one canonical distance per pair.
        let pairs: usize = lists.iter().zip(&owned).map(|(l, c)| l.len() * c).sum();
        let dense = x.canonical_f64() && pairs > n * new.len() / DENSE_FRACTION;
        let mut centers = Centers::new(new.len(), d);
        if dense {
            centers.set(&new_rows);
        }
        let mut parts: Vec<(&mut f64, &mut [u32])> =
            sums.iter_mut().zip(owner.chunks_mut(SEED_CHUNK)).collect();
        exec.for_each_chunk(
            &mut closest,
            SEED_CHUNK,
            &mut parts,
            |ci, part, (s, own)| {
                let start = ci * SEED_CHUNK;
                let sum = if dense {
                    dense_update(x, start, &centers, old, part, own)
                } else {
                    isa::dispatch(RoundUpdate {
                        x,
                        start,
                        new_rows: &new_rows,
                        old,
                        closest: part,
                        owner: own,
                        lists: &lists,
                        bound,
                    })
                };
                **s = match weights {
                    Some(w) => weighted_sum(part, &w[start..start + part.len()]),
                    None => sum,
                };
            },
        );
        rows.extend_from_slice(&new_rows);
        ids.extend_from_slice(&new);
    }
    let (cw, _) = positive(&owner, ids.len());
    Candidates {
        rows,
        ids,
        weights: cw,
        rounds: round,
    }
}

/// One in this many row-candidate pairs left by the pruning makes a round dense.
const DENSE_FRACTION: usize = 8;

/// A dense round's update of a chunk: the canonical argmin over the new candidates
/// (the assignment kernel, lowest index on ties), then its canonical distance against
/// the row's current one (an equal distance keeps the older, lower-index candidate):
/// the same result as trying every new candidate in index order.
fn dense_update<L: Layout>(
    x: &L,
    start: usize,
    centers: &Centers,
    old: usize,
    closest: &mut [f64],
    owner: &mut [u32],
) -> f64 {
    let rows = start..start + closest.len();
    let mut labels = vec![0u32; closest.len()];
    x.assign(rows, centers, &mut labels, &mut Partial::new(0, 0), false);
    let mut buf = Vec::new();
    let mut sum = 0.0;
    for (r, ((v, o), &l)) in closest
        .iter_mut()
        .zip(owner.iter_mut())
        .zip(&labels)
        .enumerate()
    {
        let dd = dist2(x.row(start + r, &mut buf), centers.row(l as usize));
        if dd < *v {
            *v = dd;
            *o = (old + l as usize) as u32;
        }
        sum += *v;
    }
    sum
}

/// `Σ w_i · v_i` in row order, from 0.
fn weighted_sum(v: &[f64], w: &[f64]) -> f64 {
    v.iter().zip(w).fold(0.0, |acc, (v, w)| acc + w * v)
}

/// One round's update of a chunk: each row tries the new candidates its owner's list
/// holds, nearest to the owner first, until the triangle inequality clears the rest.
struct RoundUpdate<'a, L> {
    x: &'a L,
    start: usize,
    new_rows: &'a [f64],
    old: usize,
    closest: &'a mut [f64],
    owner: &'a mut [u32],
    lists: &'a [Vec<(f64, u32)>],
    bound: PruneBound,
}

impl<L: Layout> WithSimd for RoundUpdate<'_, L> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        let d = self.x.d();
        let mut buf = Vec::new();
        let mut sum = 0.0;
        for (r, (v, o)) in self
            .closest
            .iter_mut()
            .zip(self.owner.iter_mut())
            .enumerate()
        {
            // The bound is relative to the row's owner at the start of the round, whose
            // distance is `v0`; `v` only decreases below it.
            let v0 = *v;
            let list = &self.lists[*o as usize];
            if !list.is_empty() && !self.bound.skip(v0, list[0].0) {
                let row = self.x.row(self.start + r, &mut buf);
                // Four candidates at a time (four accumulator chains); the ones past
                // the cut-off are not closer, and trying them changes nothing.
                for group in list.chunks(4) {
                    if self.bound.skip(v0, group[0].0) {
                        break;
                    }
                    let cand = |g: usize| {
                        let t = group[g.min(group.len() - 1)].1 as usize - self.old;
                        &self.new_rows[t * d..(t + 1) * d]
                    };
                    let four = [cand(0), cand(1), cand(2), cand(3)];
                    let dd = canonical_dist2_many::<S, 4>(simd, row, four);
                    for (&(_, t), dd) in group.iter().zip(dd) {
                        if dd < *v || (dd == *v && t < *o) {
                            *v = dd;
                            *o = t;
                        }
                    }
                }
            }
            sum += *v;
        }
        sum
    }
}

/// k-means|| with `oversampling · k` expected candidates per round and `rounds`
/// rounds, reduced to `k` centers by weighted greedy k-means++ (`2 + ⌊ln k⌋`
/// candidates per step) over the candidates.
pub(crate) fn kmeans_parallel<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    oversampling: f64,
    rounds: usize,
    weights: Option<&[f64]>,
    rng: &mut Rng,
) -> Vec<f64> {
    let d = x.d();
    let trials = greedy_trials(k);
    let cand = candidates(x, exec, k, oversampling, rounds, weights, rng);
    if cand.weights.iter().filter(|&&v| v > 0.0).count() < k {
        return kmeans_pp(x, exec, k, trials, weights, rng);
    }
    let m = cand.ids.len();
    let flat = Flat::from_slice(&cand.rows, m, d, KernelChoice::Auto);
    kmeans_pp(&flat, exec, k, trials, Some(&cand.weights), rng)
}
