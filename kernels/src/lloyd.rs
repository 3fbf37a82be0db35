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
use crate::init::{Init, WarmSeeds};
use crate::kernel::simd::{with_canonical_dist2, CanonicalOp, Dist2};
use crate::layout::{dist2, Centers, Layout, Partial};
use crate::rng::Rng;
use std::ops::Range;
use std::time::Instant;

/// Rows per chunk of the assignment pass. Fixed: results depend on it, never on the
/// number of threads. 1024 rows × d = 32 is 256 KiB, comfortably in L2.
pub const CHUNK_ROWS: usize = 1024;

/// Budget for the per-chunk accumulators alive at once (bytes); bounds memory at
/// large `k × d` without changing results (merging is always in chunk order).
const PARTIAL_BUDGET: usize = 2 << 20;

/// How the assignment step finds each point's nearest center. Every choice gives the
/// same labels, centers and inertia bit for bit (the canonical argmin of `dist2`). On a
/// layout that is not canonical f64 ([`Layout::canonical_f64`], the f32 layout) the
/// bounds do not apply and Lloyd runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Algorithm {
    /// Every distance, every iteration (the blocked SIMD kernel).
    #[default]
    Lloyd,
    /// Hamerly's bounds: per point an upper bound on the distance to its center and a
    /// lower bound on the distance to every other center, plus half the distance from
    /// each center to its nearest other center; a point whose bounds prove its label
    /// cannot change is skipped (its sums are still accumulated, in row order).
    /// 16 bytes per point.
    Hamerly,
    /// Elkan's bounds (2003): per point an upper bound on the distance to its center
    /// and a lower bound on the distance to each center (`8·n·k` bytes, plus 8 per
    /// point), plus half the distance between every two centers (`k × k`, recomputed
    /// after each update). A point is skipped when its upper bound is below half the
    /// distance from its center to the nearest other; otherwise only the centers whose
    /// bounds do not exclude them are measured (with the vectorized canonical distance).
    /// Every bound is widened by the rounding of the canonical distance, as Hamerly's.
    Elkan,
}

impl std::str::FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lloyd" => Ok(Algorithm::Lloyd),
            "hamerly" => Ok(Algorithm::Hamerly),
            "elkan" => Ok(Algorithm::Elkan),
            other => Err(format!(
                "unknown algorithm `{other}` (lloyd, hamerly, elkan, auto)"
            )),
        }
    }
}

/// What `--algorithm auto` runs for `n × d` data and sweeps up to `k_max`, from the
/// measurements in BENCHMARKS.md: Hamerly where its bounds prune well and a distance
/// is cheap to skip relative to the bookkeeping (d ≤ 4, or d ≤ 16 with k ≥ 64);
/// the blocked SIMD Lloyd elsewhere, where the fused kernel computes all k distances
/// of a row for little more than Hamerly's tests cost (and blobs converge in a few
/// iterations after greedy k-means++, so there is little to prune). Never Elkan: it
/// measured 1.6–5× Lloyd's time on the grid (d = 2, 8, 32; k = 16, 64, 128) and beat it
/// only on blobs at d ≥ 64 with k = 128 (0.90–0.91), where Hamerly is faster at d = 64
/// (0.80) and not at d = 128 (1.01); it also needs `8·n·k` bytes.
pub fn auto_algorithm(_n: usize, d: usize, k_max: usize) -> Algorithm {
    if k_max > 1 && (d <= 4 || (d <= 16 && k_max >= 64)) {
        Algorithm::Hamerly
    } else {
        Algorithm::Lloyd
    }
}

/// Stopping rule and limits.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub max_iter: usize,
    /// Relative tolerance (scikit-learn's `tol`).
    pub tol: f64,
    /// The assignment algorithm (results do not depend on it).
    pub algorithm: Algorithm,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_iter: 300,
            tol: 1e-4,
            algorithm: Algorithm::Lloyd,
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
        let mut buf = Vec::new();
        for i in c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n) {
            for (a, v) in s.iter_mut().zip(x.row(i, &mut buf)) {
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
        let mut buf = Vec::new();
        for i in c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n) {
            for ((a, v), m) in s.iter_mut().zip(x.row(i, &mut buf)).zip(&mean) {
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

impl Work {
    /// Cuts `0..n` into waves of as many [`CHUNK_ROWS`] chunks as there are partials;
    /// `pass(rows, parts)` fills one partial per chunk of `rows` (cleared first), and the
    /// partials are merged into `total` in chunk order, so the result never depends on
    /// the thread count.
    fn waves(&mut self, n: usize, mut pass: impl FnMut(Range<usize>, &mut [Partial])) {
        let Work { partials, total } = self;
        total.clear();
        let wave_rows = partials.len() * CHUNK_ROWS;
        let mut start = 0;
        while start < n {
            let end = (start + wave_rows).min(n);
            let parts = &mut partials[..(end - start).div_ceil(CHUNK_ROWS)];
            parts.iter_mut().for_each(Partial::clear);
            pass(start..end, parts);
            for p in parts.iter() {
                total.merge(p);
            }
            start = end;
        }
    }
}

/// Adds rows `rows` of `x`, labelled `labels`, to `part` in row order, each with its
/// weight (1 without weights).
fn accumulate_rows<L: Layout>(
    x: &L,
    rows: Range<usize>,
    labels: &[u32],
    weights: Option<&[f64]>,
    part: &mut Partial,
) {
    let mut buf = Vec::new();
    for (i, &l) in rows.zip(labels) {
        match weights {
            Some(w) => part.add_weighted(l as usize, x.row(i, &mut buf), w[i]),
            None => part.add(l as usize, x.row(i, &mut buf)),
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
    work.waves(x.n(), |wave, parts| {
        exec.for_each_chunk(
            &mut labels[wave.clone()],
            CHUNK_ROWS,
            parts,
            |c, lab, part| {
                let s = wave.start + c * CHUNK_ROWS;
                let rows = s..s + lab.len();
                match weights {
                    None => x.assign(rows, centers, lab, part, accumulate),
                    Some(_) => {
                        // Labels from the kernel, then the weighted sums over the
                        // chunk while it is still in cache, in row order.
                        x.assign(rows.clone(), centers, lab, part, false);
                        if accumulate {
                            accumulate_rows(x, rows, lab, weights, part);
                        }
                    }
                }
            },
        );
    });
}

/// The rounding margin of the bounds of Hamerly's and Elkan's algorithms. Their bounds
/// are distances (not squared), kept conservative: every bound is widened by a relative
/// margin that covers the rounding of the canonical distances, so a point (or a center)
/// is skipped only when no rounding could change its canonical label (exact ties are
/// never skipped: they go through the canonical argmin).
#[derive(Clone, Copy, Debug)]
struct Margin {
    eps: f64,
}

impl Margin {
    fn new(d: usize) -> Self {
        // The canonical dist2 is within (d + 8)·ε relative of the exact squared distance
        // (error of a sum of non-negative terms of depth ≤ d / 8 + 3); its square root
        // within half that; 16× covers the bound updates' roundings.
        Margin {
            eps: 16.0 * (d as f64 + 8.0) * f64::EPSILON,
        }
    }

    /// `v` widened upwards (an upper bound stays one).
    #[inline(always)]
    fn up(self, v: f64) -> f64 {
        v * (1.0 + self.eps) + 1e-300
    }

    /// `v` widened downwards, at least 0 (a lower bound stays one). (`w.max(0.0)` as a
    /// comparison, the same value for every `w` including NaN, which vectorizes to one
    /// instruction where `f64::max` needs a NaN fix-up.)
    #[inline(always)]
    fn down(self, v: f64) -> f64 {
        let w = v * (1.0 - self.eps) - 1e-300;
        if w > 0.0 {
            w
        } else {
            0.0
        }
    }

    /// Whether a point with upper bound `u` on the distance to its center and lower
    /// bound `bound` on the distance to another center (or to every other) keeps its
    /// center: the gap must exceed the rounding of the canonical distances, so the
    /// canonical argmin cannot differ (and no exact tie is skipped).
    #[inline(always)]
    fn clear(self, u: f64, bound: f64) -> bool {
        self.up(u) < self.down(bound)
    }
}

/// What the bounded algorithms know of the centers: how far each moved in the last
/// update (grown) and how far apart they are (shrunk).
struct CenterBounds {
    margin: Margin,
    /// How far each center moved in the last update (grown).
    moved: Vec<f64>,
    /// The largest and second largest `moved`, and the index of the largest.
    max1: f64,
    max2: f64,
    arg1: usize,
    /// Half the distance from each center to its nearest other center (shrunk).
    half_sep: Vec<f64>,
    /// Elkan only (empty for Hamerly): half the distance between every two centers,
    /// `k × k` row-major (shrunk; the diagonal is unused).
    half_cc: Vec<f64>,
}

impl CenterBounds {
    /// `pairs`: also keep the `k × k` half distances (Elkan).
    fn new(k: usize, d: usize, pairs: bool) -> Self {
        CenterBounds {
            margin: Margin::new(d),
            moved: vec![0.0; k],
            max1: 0.0,
            max2: 0.0,
            arg1: 0,
            half_sep: vec![0.0; k],
            half_cc: if pairs { vec![0.0; k * k] } else { Vec::new() },
        }
    }

    /// Records how far each center moves from `old` to `new` (before `centers.set`).
    fn moved(&mut self, old: &Centers, new: &[f64]) {
        let d = old.d();
        let (mut m1, mut m2, mut a1) = (0.0f64, 0.0f64, 0usize);
        for j in 0..old.k() {
            let p = self
                .margin
                .up(dist2(old.row(j), &new[j * d..(j + 1) * d]).sqrt());
            self.moved[j] = p;
            if p > m1 {
                m2 = m1;
                m1 = p;
                a1 = j;
            } else if p > m2 {
                m2 = p;
            }
        }
        (self.max1, self.max2, self.arg1) = (m1, m2, a1);
    }

    /// After a pass: the bounds now hold for the current centers.
    fn reset_moves(&mut self) {
        self.moved.fill(0.0);
        (self.max1, self.max2, self.arg1) = (0.0, 0.0, 0);
    }

    /// Half the distance from each center to its nearest other one (and, for Elkan, to
    /// every other one), for the current centers.
    fn separation(&mut self, centers: &Centers) {
        let k = centers.k();
        let pairs = !self.half_cc.is_empty();
        for j in 0..k {
            let mut m = f64::INFINITY;
            for j2 in 0..k {
                if j2 != j {
                    let dd = dist2(centers.row(j), centers.row(j2));
                    if pairs {
                        self.half_cc[j * k + j2] = self.margin.down(0.5 * dd.sqrt());
                    }
                    m = m.min(dd);
                } else if pairs {
                    self.half_cc[j * k + j] = f64::INFINITY;
                }
            }
            self.half_sep[j] = self.margin.down(0.5 * m.sqrt());
        }
    }
}

/// One chunk of a bounded pass: its labels, upper bounds, lower bounds (one a row for
/// Hamerly, `k` a row for Elkan) and partial sums.
struct BoundChunk<'a> {
    lab: &'a mut [u32],
    up: &'a mut [f64],
    lo: &'a mut [f64],
    part: &'a mut Partial,
}

/// A pass of a bounded algorithm over all rows: the waves of [`Work::waves`], each
/// cut into [`CHUNK_ROWS`] chunks with their labels and bounds (`per_row` lower bounds
/// a row), and `chunk(first_row, piece)` called for each on the pool. Rows are
/// independent and sums are accumulated per chunk, so results do not depend on the
/// thread count.
#[allow(clippy::too_many_arguments)]
fn bounded_waves(
    n: usize,
    exec: &Exec,
    labels: &mut [u32],
    upper: &mut [f64],
    lower: &mut [f64],
    per_row: usize,
    work: &mut Work,
    chunk: impl Fn(usize, &mut BoundChunk) + Sync,
) {
    work.waves(n, |wave, parts| {
        let mut items: Vec<BoundChunk> = labels[wave.clone()]
            .chunks_mut(CHUNK_ROWS)
            .zip(upper[wave.clone()].chunks_mut(CHUNK_ROWS))
            .zip(lower[wave.start * per_row..wave.end * per_row].chunks_mut(CHUNK_ROWS * per_row))
            .zip(parts.iter_mut())
            .map(|(((lab, up), lo), part)| BoundChunk { lab, up, lo, part })
            .collect();
        exec.for_each(&mut items, |c, ch| chunk(wave.start + c * CHUNK_ROWS, ch));
    });
}

/// Per-thread buffers of the full search (kept across chunks).
#[derive(Default)]
struct HamScratch {
    need: Vec<usize>,
    rows: Vec<f64>,
    labels: Vec<u32>,
    second: Vec<f64>,
    /// Row conversion buffer ([`Layout::row`]).
    buf: Vec<f64>,
}

/// Hamerly's bounds (distances, widened by [`Margin`]).
struct Hamerly {
    /// Upper bound on the distance from each point to its center.
    upper: Vec<f64>,
    /// Lower bound on the distance from each point to every other center.
    lower: Vec<f64>,
    /// Moves and separations of the centers.
    cb: CenterBounds,
    /// Whether the bounds have been set (after the first full pass).
    ready: bool,
}

impl Hamerly {
    fn new(n: usize, k: usize, d: usize) -> Self {
        Hamerly {
            upper: vec![0.0; n],
            lower: vec![0.0; n],
            cb: CenterBounds::new(k, d, false),
            ready: false,
        }
    }

    /// One chunk: the bound tests; the rows they cannot settle gathered and searched
    /// in one call of the layout's full search (the SIMD kernel for `flat`); then the
    /// sums of every row in row order.
    #[allow(clippy::too_many_arguments)]
    fn chunk<L: Layout>(
        cb: &CenterBounds,
        x: &L,
        centers: &Centers,
        s0: usize,
        d: usize,
        ch: &mut BoundChunk,
        sc: &mut HamScratch,
        accumulate: bool,
        weights: Option<&[f64]>,
    ) {
        let mg = cb.margin;
        sc.need.clear();
        sc.rows.clear();
        for r in 0..ch.lab.len() {
            let a = ch.lab[r] as usize;
            let mut u = ch.up[r] + cb.moved[a];
            let l = ch.lo[r] - if a == cb.arg1 { cb.max2 } else { cb.max1 };
            let bound = cb.half_sep[a].max(l);
            if !mg.clear(u, bound) {
                let row = x.row(s0 + r, &mut sc.buf);
                u = mg.up(dist2(row, centers.row(a)).sqrt());
                if !mg.clear(u, bound) {
                    sc.need.push(r);
                    sc.rows.extend_from_slice(row);
                }
            }
            ch.up[r] = u;
            ch.lo[r] = l;
        }
        if !sc.need.is_empty() {
            let m = sc.need.len();
            sc.labels.clear();
            sc.labels.resize(m, u32::MAX);
            sc.second.clear();
            sc.second.resize(m, 0.0);
            x.full_search(&sc.rows[..m * d], centers, &mut sc.labels, &mut sc.second);
            for (q, &r) in sc.need.iter().enumerate() {
                let b = sc.labels[q];
                let row = &sc.rows[q * d..(q + 1) * d];
                ch.up[r] = mg.up(dist2(row, centers.row(b as usize)).sqrt());
                ch.lo[r] = mg.down(sc.second[q].sqrt());
                if ch.lab[r] != b {
                    ch.part.changed += 1;
                    ch.lab[r] = b;
                }
            }
        }
        if accumulate {
            accumulate_rows(x, s0..s0 + ch.lab.len(), ch.lab, weights, ch.part);
        }
    }

    /// One assignment pass with the bounds (the first one computes every distance with
    /// the blocked kernel); sums accumulated in row order per chunk, as Lloyd's.
    #[allow(clippy::too_many_arguments)]
    fn assign_all<L: Layout>(
        &mut self,
        x: &L,
        exec: &Exec,
        centers: &Centers,
        labels: &mut [u32],
        work: &mut Work,
        accumulate: bool,
        weights: Option<&[f64]>,
    ) {
        if !self.ready {
            // First pass: the fast kernel's labels; the upper bound from one distance
            // per row (per chunk, on the pool), no lower bound yet: the separation test
            // can still skip next time. `lloyd` records the moves and the separation
            // after every center update, before the next pass reads them.
            assign_all(x, exec, centers, labels, work, accumulate, weights);
            let mg = self.cb.margin;
            let mut chunks: Vec<&mut [f64]> = self.upper.chunks_mut(CHUNK_ROWS).collect();
            exec.for_each(&mut chunks, |c, up| {
                let mut buf = Vec::new();
                for (r, u) in up.iter_mut().enumerate() {
                    let i = c * CHUNK_ROWS + r;
                    let row = x.row(i, &mut buf);
                    *u = mg.up(dist2(row, centers.row(labels[i] as usize)).sqrt());
                }
            });
            self.lower.fill(0.0);
            self.ready = true;
        } else {
            // A pass once the bounds are set: each chunk's rows are tested, the
            // unsettled ones searched ([`Hamerly::chunk`]).
            let d = x.d();
            let Hamerly {
                upper, lower, cb, ..
            } = self;
            let cb = &*cb;
            bounded_waves(x.n(), exec, labels, upper, lower, 1, work, |s0, ch| {
                thread_local! {
                    static SCRATCH: std::cell::RefCell<HamScratch> =
                        std::cell::RefCell::new(HamScratch::default());
                }
                SCRATCH.with(|sc| {
                    let mut sc = sc.borrow_mut();
                    Hamerly::chunk(cb, x, centers, s0, d, ch, &mut sc, accumulate, weights);
                });
            });
        }
        self.cb.reset_moves();
    }
}

/// Elkan's bounds (distances, widened by [`Margin`]): per point an upper bound on the
/// distance to its center and a lower bound on the distance to every center
/// (`8·n·k` bytes).
struct Elkan {
    /// Upper bound on the distance from each point to its center.
    upper: Vec<f64>,
    /// Lower bound on the distance from each point to each center, `n × k`.
    lower: Vec<f64>,
    /// Moves and separations of the centers, with the `k × k` half distances.
    cb: CenterBounds,
    /// Whether the bounds have been set (after the first full pass).
    ready: bool,
}

impl Elkan {
    fn new(n: usize, k: usize, d: usize) -> Self {
        Elkan {
            upper: vec![0.0; n],
            lower: vec![0.0; n * k],
            cb: CenterBounds::new(k, d, true),
            ready: false,
        }
    }

    /// One assignment pass: the first computes every distance (labels and all bounds),
    /// later ones only those the bounds cannot exclude ([`ElkanRows`]); sums accumulated
    /// in row order per chunk, as Lloyd's.
    #[allow(clippy::too_many_arguments)]
    fn assign_all<L: Layout>(
        &mut self,
        x: &L,
        exec: &Exec,
        centers: &Centers,
        labels: &mut [u32],
        work: &mut Work,
        accumulate: bool,
        weights: Option<&[f64]>,
    ) {
        let fresh = !self.ready;
        let Elkan {
            upper, lower, cb, ..
        } = self;
        let cb = &*cb;
        bounded_waves(
            x.n(),
            exec,
            labels,
            upper,
            lower,
            centers.k(),
            work,
            |s0, ch| {
                thread_local! {
                    static SCRATCH: std::cell::RefCell<ElkanScratch> =
                        std::cell::RefCell::new(ElkanScratch::default());
                }
                SCRATCH.with(|sc| {
                    with_canonical_dist2(ElkanRows {
                        cb,
                        x,
                        centers,
                        s0,
                        ch: &mut *ch,
                        fresh,
                        scratch: &mut sc.borrow_mut(),
                    })
                });
                if accumulate {
                    accumulate_rows(x, s0..s0 + ch.lab.len(), ch.lab, weights, ch.part);
                }
            },
        );
        self.ready = true;
        self.cb.reset_moves();
    }
}

/// The larger of two bounds (neither is NaN), as a comparison, which vectorizes.
#[inline(always)]
fn max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// The rows of one chunk of an Elkan pass, run with the vectorized canonical distance.
struct ElkanRows<'a, 'b, L> {
    cb: &'a CenterBounds,
    x: &'a L,
    centers: &'a Centers,
    s0: usize,
    ch: &'a mut BoundChunk<'b>,
    /// First pass: every distance computed, every bound set.
    fresh: bool,
    scratch: &'a mut ElkanScratch,
}

/// Per-thread buffers of an Elkan pass (kept across chunks and passes).
#[derive(Default)]
struct ElkanScratch {
    /// One flag a center, padded with zeros to whole words of eight.
    open: Vec<u8>,
    /// Row conversion buffer ([`Layout::row`]).
    rbuf: Vec<f64>,
}

impl<L: Layout> CanonicalOp for ElkanRows<'_, '_, L> {
    type Output = ();

    /// Per row, after a center update: the bounds moved by the centers' moves; the row
    /// skipped when its upper bound clears half the separation of its center; else each
    /// other center `j` skipped when the upper bound clears `max(l[j], ½ d(c_best, c_j))`
    /// (the upper bound made exact by one distance the first time it does not), and its
    /// distance computed otherwise, with the best switched on `(dist2, index)`
    /// lexicographically smaller: every center not computed is strictly farther in
    /// canonical distance than the best, so the label is the canonical argmin.
    #[inline(always)]
    fn run<D: Dist2>(self, dist: D) {
        let ElkanRows {
            cb,
            x,
            centers,
            s0,
            ch,
            fresh,
            scratch,
        } = self;
        let k = centers.k();
        let mg = cb.margin;
        let dist2 = |a: &[f64], b: &[f64]| dist.dist2(a, b);
        // One flag a center (padded with zeros to whole words of eight).
        scratch.open.clear();
        scratch.open.resize(k.div_ceil(8) * 8, 0);
        let ElkanScratch { open, rbuf } = scratch;
        for r in 0..ch.lab.len() {
            let row = x.row(s0 + r, rbuf);
            let lo = &mut ch.lo[r * k..(r + 1) * k];
            let best = if fresh {
                let (mut best, mut db) = (0, f64::INFINITY);
                for (j, l) in lo.iter_mut().enumerate() {
                    let dj = dist2(row, centers.row(j));
                    *l = mg.down(dj.sqrt());
                    if dj < db {
                        (best, db) = (j, dj);
                    }
                }
                ch.up[r] = mg.up(db.sqrt());
                best
            } else {
                let a = ch.lab[r] as usize;
                let mut u = mg.up(ch.up[r] + cb.moved[a]);
                let mut best = a;
                if mg.clear(u, cb.half_sep[a]) {
                    for (l, m) in lo.iter_mut().zip(&cb.moved) {
                        *l = mg.down(*l - m);
                    }
                } else {
                    // The bounds moved, and a flag byte per center they do not exclude,
                    // in one branch-free (vectorized) loop; the diagonal of `half_cc` is
                    // +∞, so the row's own center is never flagged.
                    let near = &cb.half_cc[a * k..(a + 1) * k];
                    let moved = &cb.moved[..k];
                    for j in 0..k {
                        let l = mg.down(lo[j] - moved[j]);
                        lo[j] = l;
                        open[j] = u8::from(!mg.clear(u, max(l, near[j])));
                    }
                    // The flagged centers in index order, eight flags at a time.
                    let mut db = f64::NAN;
                    let mut tight = false;
                    for (w, flags) in open.chunks_exact(8).enumerate() {
                        let mut bits = u64::from_le_bytes(flags.try_into().expect("8 flags"));
                        while bits != 0 {
                            let j = w * 8 + (bits.trailing_zeros() / 8) as usize;
                            bits &= bits - 1;
                            if j == best {
                                continue;
                            }
                            let bound = max(lo[j], cb.half_cc[best * k + j]);
                            if mg.clear(u, bound) {
                                continue;
                            }
                            if !tight {
                                db = dist2(row, centers.row(best));
                                let s = db.sqrt();
                                (u, lo[best], tight) = (mg.up(s), mg.down(s), true);
                                if mg.clear(u, bound) {
                                    continue;
                                }
                            }
                            let dj = dist2(row, centers.row(j));
                            let s = dj.sqrt();
                            lo[j] = mg.down(s);
                            if dj < db || (dj == db && j < best) {
                                (best, db, u) = (j, dj, mg.up(s));
                            }
                        }
                    }
                }
                ch.up[r] = u;
                best
            };
            if ch.lab[r] != best as u32 {
                ch.part.changed += 1;
                ch.lab[r] = best as u32;
            }
        }
    }
}

/// The assignment step of one fit: every distance (Lloyd), or a bounded algorithm with
/// its bounds. All give the same labels.
enum Assigner {
    Lloyd,
    Hamerly(Hamerly),
    Elkan(Elkan),
}

impl Assigner {
    /// Bounds are kept only with two centers or more, and only on layouts whose labels
    /// are the canonical f64 argmin (the bounds are derived from that distance); other
    /// layouts ([`crate::single::Flat32`]) run Lloyd whatever `algorithm` says.
    fn new(algorithm: Algorithm, n: usize, k: usize, d: usize, canonical_f64: bool) -> Self {
        match algorithm {
            _ if k < 2 || !canonical_f64 => Assigner::Lloyd,
            Algorithm::Lloyd => Assigner::Lloyd,
            Algorithm::Hamerly => Assigner::Hamerly(Hamerly::new(n, k, d)),
            Algorithm::Elkan => Assigner::Elkan(Elkan::new(n, k, d)),
        }
    }

    /// One assignment pass over all rows (see [`assign_all`]).
    #[allow(clippy::too_many_arguments)]
    fn assign_all<L: Layout>(
        &mut self,
        x: &L,
        exec: &Exec,
        centers: &Centers,
        labels: &mut [u32],
        work: &mut Work,
        accumulate: bool,
        weights: Option<&[f64]>,
    ) {
        match self {
            Assigner::Lloyd => assign_all(x, exec, centers, labels, work, accumulate, weights),
            Assigner::Hamerly(h) => {
                h.assign_all(x, exec, centers, labels, work, accumulate, weights)
            }
            Assigner::Elkan(e) => e.assign_all(x, exec, centers, labels, work, accumulate, weights),
        }
    }

    /// The center bookkeeping of a bounded algorithm.
    fn center_bounds(&mut self) -> Option<&mut CenterBounds> {
        match self {
            Assigner::Lloyd => None,
            Assigner::Hamerly(h) => Some(&mut h.cb),
            Assigner::Elkan(e) => Some(&mut e.cb),
        }
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
    let mut buf = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        let dd = dist2(x.row(i, &mut buf), centers_old.row(l as usize));
        if far.len() < m || dd > far[far.len() - 1].0 {
            let pos = far.partition_point(|&(fd, _)| fd >= dd);
            far.insert(pos, (dd, i));
            far.truncate(m);
        }
    }
    for (&j, &(_, i)) in empty.iter().zip(&far) {
        let old = labels[i] as usize;
        let row = x.row(i, &mut buf);
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
    let mut assigner = Assigner::new(params.algorithm, n, k, d, x.canonical_f64());
    let mut strict = false;
    let mut converged = false;
    let mut iterations = 0;
    for it in 0..params.max_iter {
        iterations = it + 1;
        assigner.assign_all(x, exec, &centers, &mut labels, &mut work, true, weights);
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
        if let Some(cb) = assigner.center_bounds() {
            cb.moved(&centers, &new_values);
        }
        centers.set(&new_values);
        if let Some(cb) = assigner.center_bounds() {
            cb.separation(&centers);
        }
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
    let inertia = if strict {
        inertia_weighted(x, exec, &centers, &labels, weights)
    } else if matches!(assigner, Assigner::Lloyd) {
        final_labels_and_inertia(x, exec, &centers, &mut labels, weights)
    } else {
        assigner.assign_all(x, exec, &centers, &mut labels, &mut work, false, weights);
        inertia_weighted(x, exec, &centers, &labels, weights)
    };
    (
        labels,
        centers.values().to_vec(),
        inertia,
        iterations,
        converged,
    )
}

/// Lloyd's final label pass and the inertia in one pass over the data: each chunk's
/// labels, then its inertia while the chunk is still in cache. The same labels as
/// [`assign_all`] without accumulation and bit for bit the same inertia as
/// [`inertia_weighted`] (same chunks, rows in order, chunks in order); the separate
/// inertia pass streamed the data once more per k.
fn final_labels_and_inertia<L: Layout>(
    x: &L,
    exec: &Exec,
    centers: &Centers,
    labels: &mut [u32],
    weights: Option<&[f64]>,
) -> f64 {
    let n = x.n();
    let mut sums = vec![0.0f64; n.div_ceil(CHUNK_ROWS)];
    exec.for_each_chunk(labels, CHUNK_ROWS, &mut sums, |c, lab, s| {
        let rows = c * CHUNK_ROWS..c * CHUNK_ROWS + lab.len();
        x.assign(rows.clone(), centers, lab, &mut Partial::new(0, 0), false);
        *s = chunk_inertia(x, rows, lab, centers, weights);
    });
    sums.iter().sum()
}

/// `Σ w_i · dist2(x_i, c_{label_i})` over `rows` in row order.
fn chunk_inertia<L: Layout>(
    x: &L,
    rows: Range<usize>,
    labels: &[u32],
    centers: &Centers,
    weights: Option<&[f64]>,
) -> f64 {
    let mut buf = Vec::new();
    let mut s = 0.0;
    for (i, &l) in rows.zip(labels) {
        let dd = dist2(x.row(i, &mut buf), centers.row(l as usize));
        s += match weights {
            Some(w) => w[i] * dd,
            None => dd,
        };
    }
    s
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
        *s = chunk_inertia(x, rows.clone(), &labels[rows], centers, weights);
    });
    sums.iter().sum()
}

/// Fits one `k`: initial centers (from `init`, with the RNG stream
/// [`crate::init::stream`] of `init` and `k` under `seed`),
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

/// One start (`s`): initial centers (from the stream of `(seed, init, k)`, continuing
/// a warm seeding when there is one), then Lloyd.
#[allow(clippy::too_many_arguments)]
fn one_start<L: Layout>(
    x: &L,
    exec: &Exec,
    k: usize,
    init: &Init,
    seed: u64,
    s: usize,
    params: &Params,
    tol_abs: f64,
    opts: &FitOptions,
) -> Fit {
    let weights = opts.weights;
    let t0 = Instant::now();
    let warm = opts
        .warm
        .and_then(|w| w.centers(x, exec, k, init, weights, seed, s));
    let c0 = warm.unwrap_or_else(|| {
        let mut rng = Rng::for_start(seed, crate::init::stream(init, k), s);
        crate::init::initial_centers_weighted(x, exec, k, init, weights, &mut rng)
    });
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
    let run = |s: usize, exec: &Exec| one_start(x, exec, k, init, seed, s, params, tol_abs, opts);
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
