//! Initial centers: k-means++ (the seed's D² sampling), greedy k-means++
//! (scikit-learn's: `2 + ⌊ln k⌋` candidates per step, keep the one that lowers the
//! potential most), random distinct rows, or explicit centers.
//!
//! Distances are the canonical [`dist2`](crate::distance::dist2); per-point minima
//! are summed per fixed-size chunk and chunks in order, and the D² sample is the
//! first row whose running sum (chunk offset + in-chunk prefix) reaches `u · total`,
//! as NumPy's `searchsorted(cumsum, u · total)`. Every step is therefore
//! independent of the thread count.
//!
//! * [`plusplus`]: k-means++ and greedy k-means++ ([`PlusPlus`]).
//! * [`random`]: `k` distinct rows, uniform or weighted.
//! * [`warm`]: seedings kept between the k of a sweep ([`WarmSeeds`]).

pub mod plusplus;
pub mod random;
pub mod warm;

pub use plusplus::{keeps_closer_rows, PlusPlus, SEED_CHUNK};
pub use warm::WarmSeeds;

use crate::exec::Exec;
use crate::layout::Layout;
use crate::rng::Rng;
use plusplus::kmeans_pp;
use random::{random_rows, weighted_rows};

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
    /// The name the CLI and the reports use.
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
