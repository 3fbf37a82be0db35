//! `--warm-start`: k-means++ seedings kept between the fits of a sweep.

use super::plusplus::PlusPlus;
use super::{effective_weights, stream, trials, Init};
use crate::exec::Exec;
use crate::layout::Layout;
use crate::rng::Rng;

/// k-means++ seedings kept between the fits of a sweep (`--warm-start`), one per start
/// of `--n-init`: the seeding of `k` continues the kept seeding of a smaller k when
/// both use the same RNG stream ([`stream`]), instead of starting over. The centers
/// are exactly those of [`initial_centers_weighted`](super::initial_centers_weighted) with the start's stream; only the
/// work is saved (for greedy k-means++, up to k = 54 the passes of about one seeding of
/// the band's largest k instead of one per k). Holds `8·n` bytes per start (`12·n`
/// where the seeding prunes: each row's center index too).
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
    /// [`initial_centers_weighted`](super::initial_centers_weighted) with `Rng::for_start(seed, stream(init, k), s)`.
    /// `None` for `random` and explicit centers (nothing to reuse) and for a start
    /// beyond [`WarmSeeds::new`]'s count; the caller then seeds from scratch.
    // A public method of `WarmSeeds`, whose signatures the API built on `fit_with`
    // keeps; the arguments are the seeding's identity, not a context to bundle.
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
