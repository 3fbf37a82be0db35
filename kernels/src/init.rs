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

/// Candidates per step of a k-means++ seeding of `k` centers (`None` for `random` and
/// explicit centers).
pub fn trials(init: &Init, k: usize) -> Option<usize> {
    match init {
        Init::KMeansPlusPlus => Some(1),
        Init::GreedyKMeansPlusPlus => Some(greedy_trials(k)),
        Init::Random | Init::Explicit(_) => None,
    }
}

/// The RNG stream of the seeding of `k` centers ([`Rng::for_start`]). k-means++ and
/// greedy k-means++ use one stream per number of candidates per step (one for every k
/// with plain k-means++; k = 1–2, 3–7, 8–20, 21–54, … with greedy's `2 + ⌊ln k⌋`), so
/// the seeding of `k` centers is the first `k` centers of that stream's seeding: it
/// does not depend on which other k are fitted, and the seeding of `k + 1` extends the
/// seeding of `k` ([`PlusPlus`], `--warm-start`). `random` uses one stream per k.
pub fn stream(init: &Init, k: usize) -> u64 {
    match trials(init, k) {
        Some(t) => (1 << 32) | t as u64,
        None => k as u64,
    }
}

/// The weights seeding uses: `None` when there are none or all are equal (equal
/// weights take exactly the unweighted path).
pub fn effective_weights(weights: Option<&[f64]>) -> Option<&[f64]> {
    weights.filter(|w| !w.iter().all(|&v| v == w[0]))
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
    let weights = effective_weights(weights);
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
fn weighted_rows<L: Layout>(x: &L, k: usize, w: &[f64], rng: &mut Rng) -> Vec<f64> {
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
        let first = match weights {
            None => rng.index(n),
            Some(w) => {
                let total: f64 = w.iter().sum();
                draw(w, &vec![false; n], rng.uniform() * total)
            }
        };
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
                let (cand_rows, closest) = (&self.cand_rows, &self.closest);
                let pass = |ci: usize, pots: &mut Vec<f64>, closer: Option<&mut [u8]>| {
                    let rows = chunk_rows(ci, n);
                    let w = weights.map(|w| &w[rows.clone()]);
                    x.potentials(rows.clone(), cand_rows, &closest[rows], w, pots, closer);
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
            } else {
                self.update(x, exec, &c, weights, false);
            }
            self.centers.extend_from_slice(&c);
            self.count += 1;
        }
    }
}

/// k-means++ seedings kept between the fits of a sweep (`--warm-start`), one per start
/// of `--n-init`: the seeding of `k` continues the kept seeding of a smaller k when
/// both use the same RNG stream ([`stream`]), instead of starting over. The centers
/// are exactly those of [`initial_centers_weighted`] with the start's stream; only the
/// work is saved (for greedy k-means++, up to k = 54 the passes of about one seeding of
/// the band's largest k instead of one per k). Holds `8·n` bytes per start.
pub struct WarmSeeds {
    slots: Vec<std::sync::Mutex<Option<WarmSlot>>>,
}

impl std::fmt::Debug for WarmSeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WarmSeeds({} starts)", self.slots.len())
    }
}

struct WarmSlot {
    /// What the kept seeding was made from: it continues only the same seeding.
    key: WarmKey,
    pp: PlusPlus,
    rng: Rng,
}

#[derive(PartialEq)]
struct WarmKey {
    stream: u64,
    seed: u64,
    n: usize,
    d: usize,
    /// The weights' address and length (the same slice, not just equal values).
    weights: Option<(usize, usize)>,
}

impl WarmSeeds {
    /// Room for `starts` starts.
    pub fn new(starts: usize) -> Self {
        WarmSeeds {
            slots: (0..starts.max(1))
                .map(|_| std::sync::Mutex::new(None))
                .collect(),
        }
    }

    /// The initial centers of start `s` for `k` under `seed`: the same as
    /// [`initial_centers_weighted`] with `Rng::for_start(seed, stream(init, k), s)`.
    /// `None` for `random` and explicit centers (nothing to reuse) and for a start
    /// beyond [`WarmSeeds::new`]'s count; the caller then seeds from scratch.
    #[allow(clippy::too_many_arguments)]
    pub fn centers<L: Layout>(
        &self,
        x: &L,
        exec: &Exec,
        k: usize,
        init: &Init,
        weights: Option<&[f64]>,
        seed: u64,
        s: usize,
    ) -> Option<Vec<f64>> {
        let trials = trials(init, k)?;
        let slot = self.slots.get(s)?;
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        let weights = effective_weights(weights);
        let d = x.d();
        let key = WarmKey {
            stream: stream(init, k),
            seed,
            n: x.n(),
            d,
            weights: weights.map(|w| (w.as_ptr() as usize, w.len())),
        };
        // Taken out while it is extended: a panic leaves the slot empty, never half
        // updated.
        let mut w = match slot.take() {
            Some(w) if w.key == key && w.pp.count() <= k => w,
            _ => {
                let mut rng = Rng::for_start(seed, key.stream, s);
                let pp = PlusPlus::new(x, exec, trials, weights, &mut rng);
                WarmSlot { key, pp, rng }
            }
        };
        w.pp.extend(x, exec, k, weights, &mut w.rng);
        let centers = w.pp.centers(k, d).to_vec();
        *slot = Some(w);
        Some(centers)
    }

    /// Drops the kept seedings (their memory).
    pub fn clear(&self) {
        for s in &self.slots {
            *s.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}
