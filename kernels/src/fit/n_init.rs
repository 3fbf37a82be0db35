//! Fitting one k: [`fit`], and [`fit_with`] for several starts (scikit-learn's
//! `n_init`, the lowest inertia wins), sample weights and warm-started seedings.

use super::lloyd::lloyd_tol;
use super::{Outcome, Params, Tol};
use crate::exec::Exec;
use crate::init::{initial_centers_weighted, stream, Init, WarmSeeds};
use crate::layout::Layout;
use crate::rng::Rng;
use std::time::Instant;

/// Fits one `k`: initial centers (from `init`, with the RNG stream
/// [`stream`] of `init` and `k` under `seed`),
/// then Lloyd.
pub fn fit<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    seed: u64,
    params: &Params,
    tol_abs: f64,
) -> Outcome {
    fit_with(
        x,
        exec,
        k,
        init,
        seed,
        params,
        tol_abs,
        &FitOptions::default(),
    )
}

/// What [`fit_with`] adds to [`fit`]: several starts and sample weights.
#[derive(Clone, Debug)]
pub struct FitOptions<'a> {
    /// Starts per k (scikit-learn's `n_init`): the fit with the lowest inertia wins,
    /// the earliest start on ties. Start 0 uses the stream of `(seed, init, k)`, so
    /// `n_init = 1` is exactly [`fit`]; start `s` uses `(seed, init, k, s)`. Explicit
    /// centers are one start whatever `n_init` says.
    pub n_init: usize,
    /// One non-negative weight per row (scikit-learn's `sample_weight`).
    pub weights: Option<&'a [f64]>,
    /// Run the starts on this many threads at once, each fit serial (for data too
    /// small to split); 1 = one start after another on `exec`. Results do not depend
    /// on it.
    pub parallel_starts: usize,
    /// k-means++ seedings kept from the previous k of a sweep (`--warm-start`); the
    /// results do not depend on it.
    pub warm: Option<&'a WarmSeeds>,
}

impl Default for FitOptions<'_> {
    fn default() -> Self {
        FitOptions {
            n_init: 1,
            weights: None,
            parallel_starts: 1,
            warm: None,
        }
    }
}

/// What every start of one fit shares: the clustering asked for and how to run it.
struct Job<'a, 'o> {
    k: usize,
    init: &'a Init,
    seed: u64,
    params: &'a Params,
    tol: Tol<'a>,
    opts: &'a FitOptions<'o>,
}

/// One start (`s`): initial centers (from the stream of `(seed, init, k)`, continuing
/// a warm seeding when there is one), then Lloyd.
fn one_start<L: Layout>(x: &L, exec: &Exec, job: &Job<'_, '_>, s: usize) -> Outcome {
    let Job {
        k,
        init,
        seed,
        params,
        tol,
        opts,
    } = *job;
    let weights = opts.weights;
    let t0 = Instant::now();
    let warm = opts
        .warm
        .and_then(|w| w.centers(x, exec, k, init, weights, seed, s));
    let c0 = warm.unwrap_or_else(|| {
        let mut rng = Rng::for_start(seed, stream(init, k), s);
        initial_centers_weighted(x, exec, k, init, weights, &mut rng)
    });
    let init_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let outcome = lloyd_tol(x, exec, &c0, params, tol, weights);
    Outcome {
        init_seconds,
        iter_seconds: t1.elapsed().as_secs_f64(),
        ..outcome
    }
}

/// [`fit`] with [`FitOptions`]. The reported `init_seconds` and `iter_seconds` are
/// summed over the starts.
// The public signature the binary and the API are built on: kept as it is rather
// than folded into a struct.
#[allow(clippy::too_many_arguments)]
pub fn fit_with<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    seed: u64,
    params: &Params,
    tol_abs: f64,
    opts: &FitOptions,
) -> Outcome {
    fit_with_tol(x, exec, k, init, seed, params, Tol::Abs(tol_abs), opts)
}

/// [`fit_with`] with the tolerance possibly still to be found ([`Tol::Means`]): a
/// single start finds it in its first pass, several starts by its own pass first.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_with_tol<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    seed: u64,
    params: &Params,
    tol: Tol<'_>,
    opts: &FitOptions,
) -> Outcome {
    let starts = if matches!(init, Init::Explicit(_)) {
        1
    } else {
        opts.n_init.max(1)
    };
    let tol = if starts > 1 {
        Tol::Abs(tol.resolve(x, exec))
    } else {
        tol
    };
    let job = Job {
        k,
        init,
        seed,
        params,
        tol,
        opts,
    };
    let run = |s: usize, exec: &Exec| one_start(x, exec, &job, s);
    let fits: Vec<Outcome> = if starts > 1 && opts.parallel_starts > 1 {
        let p = opts.parallel_starts.min(starts);
        let mut slots: Vec<Option<Outcome>> = (0..starts).map(|_| None).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..p)
                .map(|t| {
                    let run = &run;
                    scope.spawn(move || {
                        let serial = exec.serial_sibling();
                        (t..starts)
                            .step_by(p)
                            .map(|s| (s, run(s, &serial)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                // A cancelled start unwinds with `exec::Cancelled`: passed on as is.
                let done = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                for (s, f) in done {
                    slots[s] = Some(f);
                }
            }
        });
        slots.into_iter().flatten().collect()
    } else {
        (0..starts).map(|s| run(s, exec)).collect()
    };
    let (init_s, iter_s) = fits.iter().fold((0.0, 0.0), |(a, b), f| {
        (a + f.init_seconds, b + f.iter_seconds)
    });
    let mut best = fits
        .into_iter()
        .reduce(|best, f| if f.inertia < best.inertia { f } else { best })
        .expect("at least one start");
    best.init_seconds = init_s;
    best.iter_seconds = iter_s;
    best
}
