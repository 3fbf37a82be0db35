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
//! * [`parallel`]: k-means|| (Bahmani et al.), reduced by weighted greedy k-means++.
//! * [`random`]: `k` distinct rows, uniform or weighted.
//! * [`warm`]: seedings kept between the k of a sweep ([`WarmSeeds`]).

pub mod parallel;
pub mod plusplus;
pub(crate) mod prune;
pub mod random;
pub mod warm;

pub use plusplus::{greedy_trials, keeps_closer_rows, PlusPlus, SEED_CHUNK};
pub use warm::WarmSeeds;

use crate::exec::Exec;
use crate::layout::Layout;
use crate::rng::Rng;
use parallel::kmeans_parallel;
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
    /// k-means|| (Bahmani et al., VLDB 2012): `rounds` passes each sampling about
    /// `oversampling · k` rows, the candidates weighted by the rows nearest to them and
    /// reduced to `k` by weighted greedy k-means++ ([`parallel`]). Defaults
    /// ([`Init::k_means_parallel`]): oversampling 2 (`ℓ = 2k`), 5 rounds.
    KMeansParallel {
        /// Expected candidates per round, as a multiple of `k` (`ℓ = oversampling · k`).
        oversampling: f64,
        /// Sampling rounds.
        rounds: usize,
    },
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
            Init::KMeansParallel { .. } => "k-means||",
            Init::Explicit(_) => "explicit",
        }
    }

    /// Whether seedings of consecutive k continue each other (`--warm-start`): the
    /// k-means++ inits, not `random`, k-means|| or explicit centers.
    pub fn continues(&self) -> bool {
        matches!(self, Init::KMeansPlusPlus | Init::GreedyKMeansPlusPlus)
    }

    /// k-means|| with the default oversampling (`ℓ = 2k`) and rounds (5).
    pub fn k_means_parallel() -> Self {
        Init::KMeansParallel {
            oversampling: parallel::DEFAULT_OVERSAMPLING,
            rounds: parallel::DEFAULT_ROUNDS,
        }
    }
}

/// Candidates per step of a k-means++ seeding of `k` centers (`None` for `random` and
/// explicit centers).
pub fn trials(init: &Init, k: usize) -> Option<usize> {
    match init {
        Init::KMeansPlusPlus => Some(1),
        Init::GreedyKMeansPlusPlus => Some(greedy_trials(k)),
        Init::Random | Init::KMeansParallel { .. } | Init::Explicit(_) => None,
    }
}

/// The RNG stream of the seeding of `k` centers ([`Rng::for_start`]). k-means++ and
/// greedy k-means++ use one stream per number of candidates per step (one for every k
/// with plain k-means++; k = 1–2, 3–7, 8–20, 21–54, … with greedy's `2 + ⌊ln k⌋`), so
/// the seeding of `k` centers is the first `k` centers of that stream's seeding: it
/// does not depend on which other k are fitted, and the seeding of `k + 1` extends the
/// seeding of `k` ([`PlusPlus`], `--warm-start`). `random` uses one stream per k, and
/// k-means|| one per k of its own.
pub fn stream(init: &Init, k: usize) -> u64 {
    match (trials(init, k), init) {
        (Some(t), _) => (1 << 32) | t as u64,
        (None, Init::KMeansParallel { .. }) => (2 << 32) | k as u64,
        (None, _) => k as u64,
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
        Init::KMeansParallel {
            oversampling,
            rounds,
        } => kmeans_parallel(x, exec, k, *oversampling, *rounds, weights, rng),
        Init::Explicit(c) => c.clone(),
    }
}
