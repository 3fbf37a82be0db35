//! Lloyd's algorithm with scikit-learn's semantics (`sklearn.cluster.KMeans`,
//! `algorithm="lloyd"`), so results compare one to one:
//!
//! * `tol` is relative: the absolute threshold is `tol × mean per-feature variance`;
//! * each iteration assigns every point to its nearest center and recomputes the
//!   centers as means (`sum × (1 / count)`); it stops when no label changed (strict
//!   convergence) or when the sum of squared center shifts is `≤ tol`, or after
//!   `max_iter` iterations;
//! * if it stopped without strict convergence, labels are recomputed once from the
//!   final centers, so labels and centers agree;
//! * an empty cluster takes the point farthest from its current center (largest
//!   distance first, lowest row index on ties), as `_relocate_empty_clusters`;
//! * the reported inertia is `Σ dist2(x_i, c_{label_i})`, recomputed at the end.
//!
//! Work is cut into chunks of [`CHUNK_ROWS`] rows; each chunk accumulates its own
//! sums, merged in chunk order, so results are bit-identical for every thread count.

use crate::exec::Exec;
use crate::init::Init;
use crate::layout::{dist2, Centers, Layout, Partial};
use crate::rng::Rng;
use std::time::Instant;

/// Rows per chunk of the assignment pass. Fixed: results depend on it, never on the
/// number of threads. 1024 rows × d = 32 is 256 KiB, comfortably in L2.
pub const CHUNK_ROWS: usize = 1024;

/// Budget for the per-chunk accumulators alive at once (bytes); bounds memory at
/// large `k × d` without changing results (merging is always in chunk order).
const PARTIAL_BUDGET: usize = 2 << 20;

/// Stopping rule and limits.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub max_iter: usize,
    /// Relative tolerance (scikit-learn's `tol`).
    pub tol: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_iter: 300,
            tol: 1e-4,
        }
    }
}

/// The outcome of one fit.
#[derive(Clone, Debug)]
pub struct Fit {
    pub k: usize,
    pub labels: Vec<u32>,
    /// `k × d` row-major.
    pub centers: Vec<f64>,
    pub inertia: f64,
    pub iterations: usize,
    /// Stopped by the tolerance or unchanged labels, not by `max_iter`.
    pub converged: bool,
    pub init_seconds: f64,
    pub iter_seconds: f64,
}

/// scikit-learn's absolute tolerance: `tol × mean(var(X, axis=0))`, with the variance
/// computed in two passes over fixed-size chunks (deterministic).
pub fn absolute_tol<L: Layout>(x: &L, exec: &Exec, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let n = x.n();
    let d = x.d();
    let n_chunks = n.div_ceil(CHUNK_ROWS);
    let mut parts = vec![vec![0.0f64; d]; n_chunks];
    exec.for_each(&mut parts, |c, s| {
        for i in c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n) {
            for (a, v) in s.iter_mut().zip(x.row(i)) {
                *a += v;
            }
        }
    });
    let mut mean = vec![0.0f64; d];
    for p in &parts {
        for (a, v) in mean.iter_mut().zip(p) {
            *a += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    exec.for_each(&mut parts, |c, s| {
        s.fill(0.0);
        for i in c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n) {
            for ((a, v), m) in s.iter_mut().zip(x.row(i)).zip(&mean) {
                let t = v - m;
                *a += t * t;
            }
        }
    });
    let mut var = vec![0.0f64; d];
    for p in &parts {
        for (a, v) in var.iter_mut().zip(p) {
            *a += v;
        }
    }
    let mean_var = var.iter().map(|v| v / n as f64).sum::<f64>() / d as f64;
    mean_var * tol
}

/// Reusable buffers of the assignment passes (allocated once per fit).
struct Work {
    partials: Vec<Partial>,
    total: Partial,
}

impl Work {
    fn new(k: usize, d: usize, n: usize, threads: usize) -> Self {
        let n_chunks = n.div_ceil(CHUNK_ROWS).max(1);
        let per = (k * d + k) * 8;
        let wave = (PARTIAL_BUDGET / per.max(1)).max(2 * threads).min(n_chunks);
        Work {
            partials: vec![Partial::new(k, d); wave],
            total: Partial::new(k, d),
        }
    }
}

/// One assignment pass over all rows: labels updated in place, sums merged in chunk
/// order into `work.total`.
fn assign_all<L: Layout>(
    x: &L,
    exec: &Exec,
    centers: &Centers,
    labels: &mut [u32],
    work: &mut Work,
    accumulate: bool,
    weights: Option<&[f64]>,
) {
    let n = x.n();
    work.total.clear();
    let wave_rows = work.partials.len() * CHUNK_ROWS;
    let mut start = 0;
    while start < n {
        let end = (start + wave_rows).min(n);
        let m = (end - start).div_ceil(CHUNK_ROWS);
        let parts = &mut work.partials[..m];
        exec.for_each_chunk(
            &mut labels[start..end],
            CHUNK_ROWS,
            parts,
            |c, lab, part| {
                part.clear();
                let s = start + c * CHUNK_ROWS;
                let rows = s..s + lab.len();
                match weights {
                    None => x.assign(rows, centers, lab, part, accumulate),
                    Some(w) => {
                        // Labels from the kernel, then the weighted sums over the
                        // chunk while it is still in cache, in row order.
                        x.assign(rows.clone(), centers, lab, part, false);
                        if accumulate {
                            for (i, &l) in rows.zip(lab.iter()) {
                                part.add_weighted(l as usize, x.row(i), w[i]);
                            }
                        }
                    }
                }
            },
        );
        for p in parts.iter() {
            work.total.merge(p);
        }
        start = end;
    }
}

/// Empty clusters take the points farthest from their current centers (scikit-learn's
/// `_relocate_empty_clusters`); `sums`/`counts` are updated as there.
fn relocate_empty<L: Layout>(
    x: &L,
    centers_old: &Centers,
    labels: &[u32],
    weights: Option<&[f64]>,
    total: &mut Partial,
) {
    let k = centers_old.k();
    let d = centers_old.d();
    let empty: Vec<usize> = (0..k).filter(|&j| total.counts[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    // The `m` largest distances, largest first, lowest index on ties.
    let m = empty.len().min(x.n());
    let mut far: Vec<(f64, usize)> = Vec::with_capacity(m + 1);
    for (i, &l) in labels.iter().enumerate() {
        let dd = dist2(x.row(i), centers_old.row(l as usize));
        if far.len() < m || dd > far[far.len() - 1].0 {
            let pos = far.partition_point(|&(fd, _)| fd >= dd);
            far.insert(pos, (dd, i));
            far.truncate(m);
        }
    }
    for (&j, &(_, i)) in empty.iter().zip(&far) {
        let old = labels[i] as usize;
        let row = x.row(i);
        let w = weights.map_or(1.0, |w| w[i]);
        for (t, &v) in row.iter().enumerate() {
            total.sums[old * d + t] -= v * w;
            total.sums[j * d + t] = v * w;
        }
        total.counts[j] = w;
        total.counts[old] -= w;
    }
}

/// Runs Lloyd from `init_centers` (`k × d`).
pub fn lloyd<L: Layout>(
    x: &L,
    exec: &Exec,
    init_centers: &[f64],
    params: &Params,
    tol_abs: f64,
) -> (Vec<u32>, Vec<f64>, f64, usize, bool) {
    lloyd_weighted(x, exec, init_centers, params, tol_abs, None)
}

/// [`lloyd`] with sample weights (scikit-learn's semantics): centers are weighted
/// means, a cluster is empty when its weight is 0, a relocated point brings its weight,
/// and the inertia is `Σ w_i · dist2`. The tolerance stays relative to the unweighted
/// variance, as in scikit-learn. Unit weights give exactly the unweighted result.
pub fn lloyd_weighted<L: Layout>(
    x: &L,
    exec: &Exec,
    init_centers: &[f64],
    params: &Params,
    tol_abs: f64,
    weights: Option<&[f64]>,
) -> (Vec<u32>, Vec<f64>, f64, usize, bool) {
    let n = x.n();
    let d = x.d();
    let k = init_centers.len() / d;
    let mut centers = Centers::new(k, d);
    centers.set(init_centers);
    let mut new_values = vec![0.0f64; k * d];
    let mut labels = vec![u32::MAX; n];
    let mut work = Work::new(k, d, n, exec.threads());
    let mut strict = false;
    let mut converged = false;
    let mut iterations = 0;
    for it in 0..params.max_iter {
        iterations = it + 1;
        assign_all(x, exec, &centers, &mut labels, &mut work, true, weights);
        relocate_empty(x, &centers, &labels, weights, &mut work.total);
        let mut shift = 0.0;
        for j in 0..k {
            let c = work.total.counts[j];
            let alpha = if c > 0.0 { 1.0 / c } else { 1.0 };
            let new = &mut new_values[j * d..(j + 1) * d];
            for (v, s) in new.iter_mut().zip(&work.total.sums[j * d..(j + 1) * d]) {
                *v = s * alpha;
            }
            shift += dist2(new, centers.row(j));
        }
        centers.set(&new_values);
        if work.total.changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        if shift <= tol_abs {
            converged = true;
            break;
        }
    }
    if !strict {
        assign_all(x, exec, &centers, &mut labels, &mut work, false, weights);
    }
    let inertia = inertia_weighted(x, exec, &centers, &labels, weights);
    (
        labels,
        centers.values().to_vec(),
        inertia,
        iterations,
        converged,
    )
}

/// `Σ dist2(x_i, c_{label_i})`, summed per chunk and chunks in order.
pub fn inertia<L: Layout>(x: &L, exec: &Exec, centers: &Centers, labels: &[u32]) -> f64 {
    inertia_weighted(x, exec, centers, labels, None)
}

/// `Σ w_i · dist2(x_i, c_{label_i})` (`w_i = 1` without weights), summed per chunk and
/// chunks in order.
pub fn inertia_weighted<L: Layout>(
    x: &L,
    exec: &Exec,
    centers: &Centers,
    labels: &[u32],
    weights: Option<&[f64]>,
) -> f64 {
    let n = x.n();
    let mut sums = vec![0.0f64; n.div_ceil(CHUNK_ROWS)];
    exec.for_each(&mut sums, |c, s| {
        let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
        for (i, &l) in rows.clone().zip(&labels[rows]) {
            let dd = dist2(x.row(i), centers.row(l as usize));
            *s += match weights {
                Some(w) => w[i] * dd,
                None => dd,
            };
        }
    });
    sums.iter().sum()
}

/// Fits one `k`: initial centers (from `init`, with the RNG stream of `(seed, k)`),
/// then Lloyd.
pub fn fit<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    seed: u64,
    params: &Params,
    tol_abs: f64,
) -> Fit {
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
    /// the earliest start on ties. Start 0 uses the stream of `(seed, k)`, so
    /// `n_init = 1` is exactly [`fit`]; start `s` uses `(seed, k, s)`. Explicit
    /// centers are one start whatever `n_init` says.
    pub n_init: usize,
    /// One non-negative weight per row (scikit-learn's `sample_weight`).
    pub weights: Option<&'a [f64]>,
    /// Run the starts on this many threads at once, each fit serial (for data too
    /// small to split); 1 = one start after another on `exec`. Results do not depend
    /// on it.
    pub parallel_starts: usize,
}

impl Default for FitOptions<'_> {
    fn default() -> Self {
        FitOptions {
            n_init: 1,
            weights: None,
            parallel_starts: 1,
        }
    }
}

/// One start: initial centers, then Lloyd.
#[allow(clippy::too_many_arguments)]
fn one_start<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    rng: &mut Rng,
    params: &Params,
    tol_abs: f64,
    weights: Option<&[f64]>,
) -> Fit {
    let t0 = Instant::now();
    let c0 = crate::init::initial_centers_weighted(x, exec, k, init, weights, rng);
    let init_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let (labels, centers, inertia, iterations, converged) =
        lloyd_weighted(x, exec, &c0, params, tol_abs, weights);
    Fit {
        k,
        labels,
        centers,
        inertia,
        iterations,
        converged,
        init_seconds,
        iter_seconds: t1.elapsed().as_secs_f64(),
    }
}

/// [`fit`] with [`FitOptions`]. The reported `init_seconds` and `iter_seconds` are
/// summed over the starts.
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
) -> Fit {
    let starts = if matches!(init, Init::Explicit(_)) {
        1
    } else {
        opts.n_init.max(1)
    };
    let run = |s: usize, exec: &Exec| {
        let mut rng = Rng::for_start(seed, k, s);
        one_start(x, exec, k, init, &mut rng, params, tol_abs, opts.weights)
    };
    let fits: Vec<Fit> = if starts > 1 && opts.parallel_starts > 1 {
        let p = opts.parallel_starts.min(starts);
        let mut slots: Vec<Option<Fit>> = (0..starts).map(|_| None).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..p)
                .map(|t| {
                    let run = &run;
                    scope.spawn(move || {
                        let serial = Exec::serial();
                        (t..starts)
                            .step_by(p)
                            .map(|s| (s, run(s, &serial)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (s, f) in h.join().expect("a start panicked") {
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
