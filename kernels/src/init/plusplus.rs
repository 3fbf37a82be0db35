//! k-means++ (the seed's D² sampling, one candidate per step) and scikit-learn's
//! greedy k-means++ (`2 + ⌊ln k⌋` candidates per step), as a resumable state
//! ([`PlusPlus`]) so a sweep can extend the seeding of `k` to `k + 1`.

use super::prune::{relabel, Prune, PrunedPotentials, PrunedUpdate, PRUNE_MIN_D};
use super::random::draw;
use crate::exec::Exec;
use crate::layout::Layout;
use crate::rng::Rng;

/// Number of candidates per step of greedy k-means++ (scikit-learn's rule).
pub fn greedy_trials(k: usize) -> usize {
    2 + (k as f64).ln().floor() as usize
}

/// The first center of a k-means++ seeding: a uniform row, or a row drawn in
/// proportion to its weight.
pub(crate) fn first_center(n: usize, weights: Option<&[f64]>, rng: &mut Rng) -> usize {
    match weights {
        None => rng.index(n),
        Some(w) => {
            let total: f64 = w.iter().sum();
            draw(w, &vec![false; n], rng.uniform() * total)
        }
    }
}

/// Rows per chunk of the seeding passes (fixed: results depend on it, threads don't).
pub const SEED_CHUNK: usize = 4096;

// The seeding's chunks start on the f32 layout's block boundaries.
const _: () =
    assert!(SEED_CHUNK / crate::kernel::f32::BLOCK * crate::kernel::f32::BLOCK == SEED_CHUNK);

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
pub(crate) fn kmeans_pp<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    trials: usize,
    weights: Option<&[f64]>,
    rng: &mut Rng,
) -> Vec<f64> {
    let mut pp = PlusPlus::new(x, exec, trials, weights, rng);
    pp.extend(x, exec, k, weights, rng);
    pp.centers
}

/// The state of a k-means++ seeding after some centers: the next center depends only
/// on it and on the RNG, so seeding `k + 1` centers from the state after `k` (with
/// the same RNG, continued) gives exactly the centers of seeding `k + 1` from scratch.
/// This is what `--warm-start` reuses between consecutive k of a sweep.
pub struct PlusPlus {
    trials: usize,
    count: usize,
    centers: Vec<f64>,
    /// Each row's squared distance to its closest center so far.
    closest: Vec<f64>,
    /// Per seeding chunk, the (weighted) sum of `closest`.
    chunk_sums: Vec<f64>,
    pot: f64,
    cand_pots: Vec<Vec<f64>>,
    cand_ids: Vec<usize>,
    cand_rows: Vec<f64>,
    /// One byte per row: bit `t` set when candidate `t` of the current step is closer
    /// than the row's `closest` ([`Layout::potentials`]' `closer`); kept when the
    /// layout opts in and [`keeps_closer_rows`] says so, empty otherwise.
    cand_closer: Vec<u8>,
    /// Each row's center, for the exact triangle-inequality pruning of the passes
    /// ([`super::prune`]); on the f64 layouts that keep closer rows, `d ≥`
    /// [`PRUNE_MIN_D`].
    prune: Option<Prune>,
}

/// Whether a greedy step keeps, per row, which candidates are closer than its current
/// `closest` (one byte per row, from the potentials pass), so that folding in the
/// chosen candidate recomputes the distance of those rows only instead of a second
/// pass over all the data ([`Layout::update_closest_where`]). Both give the same
/// bits: the same comparison decides which rows change and their new value is the
/// same canonical distance, and the chunk sums are the chosen candidate's potentials,
/// summed in the same order as the update's (tested per layout and ISA level by
/// `potentials_keep_what_update_computes` in `tests/simd.rs` and in
/// `tests/single.rs`). Used up to 8 candidates per step (greedy k-means++'s
/// 2 + ⌊ln k⌋, so k ≤ 1096) and only on layouts that opt in
/// ([`Layout::seeding_keeps_closer_rows`]: the flat ones, not `aos`). After the first steps a new center is closer for a
/// small share of the rows, so the seeding streams the data about once per step
/// instead of twice; the byte per row keeps the peak memory within #3's goal.
pub fn keeps_closer_rows(trials: usize) -> bool {
    (2..=8).contains(&trials)
}

impl PlusPlus {
    /// Draws the first center and computes every row's distance to it. `weights`
    /// must be the same in every later call.
    pub fn new<L: Layout>(
        x: &L,
        exec: &Exec,
        trials: usize,
        weights: Option<&[f64]>,
        rng: &mut Rng,
    ) -> Self {
        let n = x.n();
        let d = x.d();
        let n_chunks = n.div_ceil(SEED_CHUNK);
        let first = first_center(n, weights, rng);
        let mut pp = PlusPlus {
            trials,
            count: 1,
            centers: x.row(first, &mut Vec::new()).to_vec(),
            closest: vec![0.0f64; n],
            chunk_sums: vec![0.0f64; n_chunks],
            pot: 0.0,
            cand_pots: vec![vec![0.0f64; trials]; n_chunks],
            cand_ids: vec![0usize; trials],
            cand_rows: vec![0.0f64; trials * d],
            cand_closer: if x.seeding_keeps_closer_rows() && keeps_closer_rows(trials) {
                vec![0u8; n]
            } else {
                Vec::new()
            },
            prune: (x.canonical_f64() && x.seeding_keeps_closer_rows() && d >= PRUNE_MIN_D)
                .then(|| Prune::new(n, d)),
        };
        let c = pp.centers.clone();
        pp.update(x, exec, &c, weights, true);
        pp
    }

    /// Candidates per step.
    pub fn trials(&self) -> usize {
        self.trials
    }

    /// Centers chosen so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The first `k` centers (`k × d` row-major; `k ≤` [`PlusPlus::count`]).
    pub fn centers(&self, k: usize, d: usize) -> &[f64] {
        &self.centers[..k * d]
    }

    /// Folds center `c` into `closest` and the chunk sums (`init`: first center).
    fn update<L: Layout>(
        &mut self,
        x: &L,
        exec: &Exec,
        c: &[f64],
        weights: Option<&[f64]>,
        init: bool,
    ) {
        let n = x.n();
        exec.for_each_chunk(
            &mut self.closest,
            SEED_CHUNK,
            &mut self.chunk_sums,
            |ci, part, sum| {
                let rows = chunk_rows(ci, n);
                *sum = x.update_closest(rows.clone(), c, part, init);
                if let Some(w) = weights {
                    *sum = part
                        .iter()
                        .zip(&w[rows])
                        .fold(0.0, |acc, (v, wi)| acc + wi * v);
                }
            },
        );
        self.pot = self.chunk_sums.iter().sum();
    }

    /// Adds centers until there are `k` (nothing if there are already `k` or more).
    pub fn extend<L: Layout>(
        &mut self,
        x: &L,
        exec: &Exec,
        k: usize,
        weights: Option<&[f64]>,
        rng: &mut Rng,
    ) {
        let n = x.n();
        let d = x.d();
        let trials = self.trials;
        let mut buf = Vec::new();
        while self.count < k {
            for (t, id) in self.cand_ids.iter_mut().enumerate() {
                let r = rng.uniform() * self.pot;
                *id = sample(&self.closest, weights, &self.chunk_sums, r);
                self.cand_rows[t * d..(t + 1) * d].copy_from_slice(x.row(*id, &mut buf));
            }
            let keep = !self.cand_closer.is_empty();
            let best = if trials == 1 {
                0
            } else {
                if let Some(pr) = &mut self.prune {
                    pr.set_near(exec, &self.cand_rows, &self.centers, d);
                }
                let (cand_rows, closest) = (&self.cand_rows, &self.closest);
                let prune = self.prune.as_ref();
                let pass = |ci: usize, pots: &mut Vec<f64>, closer: Option<&mut [u8]>| {
                    let rows = chunk_rows(ci, n);
                    let w = weights.map(|w| &w[rows.clone()]);
                    match prune {
                        Some(pr) => PrunedPotentials {
                            x,
                            rows: rows.clone(),
                            cands: cand_rows,
                            closest: &closest[rows.clone()],
                            labels: &pr.labels[rows],
                            near: &pr.near,
                            bound: pr.bound,
                            weights: w,
                            pots,
                            closer,
                        }
                        .run(),
                        None => {
                            x.potentials(rows.clone(), cand_rows, &closest[rows], w, pots, closer)
                        }
                    }
                };
                if keep {
                    exec.for_each_chunk(
                        &mut self.cand_closer,
                        SEED_CHUNK,
                        &mut self.cand_pots,
                        |ci, closer, pots| pass(ci, pots, Some(closer)),
                    );
                } else {
                    exec.for_each(&mut self.cand_pots, |ci, pots| pass(ci, pots, None));
                }
                let mut best = 0;
                let mut best_pot = f64::INFINITY;
                for t in 0..trials {
                    let p: f64 = self.cand_pots.iter().map(|c| c[t]).sum();
                    if p < best_pot {
                        best_pot = p;
                        best = t;
                    }
                }
                best
            };
            let c = self.cand_rows[best * d..(best + 1) * d].to_vec();
            if keep {
                // Only the rows the chosen candidate is closer to change; their new
                // `closest` is its distance, and each chunk's new sum its potential.
                let (closer, pots) = (&self.cand_closer, &self.cand_pots);
                let bit = 1u8 << best;
                exec.for_each_chunk(
                    &mut self.closest,
                    SEED_CHUNK,
                    &mut self.chunk_sums,
                    |ci, part, sum| {
                        let base = ci * SEED_CHUNK;
                        let rows = base..base + part.len();
                        x.update_closest_where(rows.clone(), &c, part, &closer[rows], bit);
                        *sum = pots[ci][best];
                    },
                );
                self.pot = self.chunk_sums.iter().sum();
                if let Some(pr) = &mut self.prune {
                    let index = self.count as u32;
                    let mut unit = vec![(); pr.labels.len().div_ceil(SEED_CHUNK)];
                    exec.for_each_chunk(&mut pr.labels, SEED_CHUNK, &mut unit, |ci, lab, _| {
                        let base = ci * SEED_CHUNK;
                        relabel(lab, &closer[base..base + lab.len()], bit, index);
                    });
                }
            } else if let Some(pr) = &mut self.prune {
                pr.set_near(exec, &c, &self.centers, d);
                let index = self.count as u32;
                let (near, bound) = (&pr.near, pr.bound);
                let mut parts: Vec<(&mut f64, &mut [u32])> = self
                    .chunk_sums
                    .iter_mut()
                    .zip(pr.labels.chunks_mut(SEED_CHUNK))
                    .collect();
                exec.for_each_chunk(
                    &mut self.closest,
                    SEED_CHUNK,
                    &mut parts,
                    |ci, part, (sum, labels)| {
                        let rows = chunk_rows(ci, n);
                        **sum = PrunedUpdate {
                            x,
                            rows: rows.clone(),
                            c: &c,
                            index,
                            closest: part,
                            labels,
                            near,
                            bound,
                        }
                        .run();
                        if let Some(w) = weights {
                            **sum = part
                                .iter()
                                .zip(&w[rows])
                                .fold(0.0, |acc, (v, wi)| acc + wi * v);
                        }
                    },
                );
                self.pot = self.chunk_sums.iter().sum();
            } else {
                self.update(x, exec, &c, weights, false);
            }
            self.centers.extend_from_slice(&c);
            self.count += 1;
        }
    }
}
