//! The work scheme of a fit: rows cut into chunks of [`CHUNK_ROWS`], each chunk
//! accumulating its own sums, merged in chunk order, so results never depend on the
//! thread count; and Lloyd's assignment pass over it (`assign_all`).

use crate::accum::{Centers, Partial};
use crate::exec::Exec;
use crate::kernel::canonical::{with_canonical_dist2, CanonicalOp, Dist2, ScalarDist2};
use crate::layout::Layout;
use std::ops::Range;

/// Rows per chunk of the assignment pass. Fixed: results depend on it, never on the
/// number of threads. 1024 rows × d = 32 is 256 KiB, comfortably in L2.
pub const CHUNK_ROWS: usize = 1024;

/// Smallest `k·d` at which a pass with fewer chunks than twice the threads splits
/// its labels over smaller blocks (see `assign_all`): below it a pass is too short for
/// the hand-off to pay.
pub const SPLIT_MIN_KD: usize = 1024;

/// Budget for the per-chunk accumulators alive at once (bytes); bounds memory at
/// large `k × d` without changing results (merging is always in chunk order).
const PARTIAL_BUDGET: usize = 2 << 20;

// Lloyd's chunks start on the f32 layout's block boundaries.
const _: () =
    assert!(CHUNK_ROWS / crate::kernel::f32::BLOCK * crate::kernel::f32::BLOCK == CHUNK_ROWS);

/// What stays the same through a fit: the data, where it runs, and the weights.
pub(crate) struct Data<'a, L> {
    /// The points.
    pub(crate) x: &'a L,
    /// The execution context.
    pub(crate) exec: &'a Exec,
    /// One weight per row, if any.
    pub(crate) weights: Option<&'a [f64]>,
}

impl<L> Clone for Data<'_, L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L> Copy for Data<'_, L> {}

/// Reusable buffers of the assignment passes (allocated once per fit).
pub(crate) struct Work {
    partials: Vec<Partial>,
    /// The merged sums of the last pass.
    pub(crate) total: Partial,
    /// Whether [`assign_all`] also sums each chunk's inertia against the pass's
    /// centers (into `total.inertia`), while the chunk is in cache.
    pub(crate) inertia: bool,
    /// When not empty, [`assign_all`] also sums each chunk's squared deviations from
    /// these column means (into `total.dev`; the tolerance's variance).
    pub(crate) means: Vec<f64>,
}

impl Work {
    pub(crate) fn new(k: usize, d: usize, n: usize, threads: usize) -> Self {
        let n_chunks = n.div_ceil(CHUNK_ROWS).max(1);
        let per = (k * d + k) * 8;
        let wave = (PARTIAL_BUDGET / per.max(1)).max(2 * threads).min(n_chunks);
        Work {
            partials: vec![Partial::new(k, d); wave],
            total: Partial::new(k, d),
            inertia: false,
            means: Vec::new(),
        }
    }
}

impl Work {
    /// Cuts `0..n` into waves of as many [`CHUNK_ROWS`] chunks as there are partials;
    /// `pass(rows, parts)` fills one partial per chunk of `rows` (cleared first), and the
    /// partials are merged into `total` in chunk order, so the result never depends on
    /// the thread count.
    pub(crate) fn waves(&mut self, n: usize, mut pass: impl FnMut(Range<usize>, &mut [Partial])) {
        let Work {
            partials, total, ..
        } = self;
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

/// Rows per batch of [`row_pass`] (a multiple of the f32 layout's 16-row blocks).
const ROW_BATCH: usize = 64;

/// What [`row_pass`] takes from each row besides its label.
#[derive(Clone, Copy)]
pub(crate) struct RowWork<'a> {
    /// Add the row into its cluster's sums (and count).
    pub(crate) sums: bool,
    /// One weight per row, if any.
    pub(crate) weights: Option<&'a [f64]>,
    /// Sum `w_i · dist2(x_i, c_{label_i})` against these centers.
    pub(crate) inertia: Option<&'a Centers>,
    /// Add `(x_t − means_t)²` into `part.dev`.
    pub(crate) means: Option<&'a [f64]>,
}

/// One pass over rows `rows` (labelled `labels`) in row order, in batches of
/// [`Layout::rows`]: the sums, the inertia and the squared deviations that `w` asks
/// for, into `part`; returns the inertia (0 when not asked). Each is summed in row
/// order, so the bits do not depend on the batches.
pub(crate) fn row_pass<L: Layout>(
    x: &L,
    rows: Range<usize>,
    labels: &[u32],
    w: &RowWork<'_>,
    part: &mut Partial,
) -> f64 {
    if w.inertia.is_none() {
        return row_pass_with(ScalarDist2, x, rows, labels, w, part);
    }
    // The inertia's canonical distances at the dispatched SIMD level (the plain
    // `dist2` runs its eight partials as scalars: about 10 ns a row at d = 32).
    struct Pass<'a, 'w, L> {
        x: &'a L,
        rows: Range<usize>,
        labels: &'a [u32],
        w: &'a RowWork<'w>,
        part: &'a mut Partial,
    }
    impl<L: Layout> CanonicalOp for Pass<'_, '_, L> {
        type Output = f64;
        #[inline(always)]
        fn run<D: Dist2>(self, dist: D) -> f64 {
            row_pass_with(dist, self.x, self.rows, self.labels, self.w, self.part)
        }
    }
    with_canonical_dist2(Pass {
        x,
        rows,
        labels,
        w,
        part,
    })
}

/// [`row_pass`] with the canonical distance `dist`.
#[inline(always)]
fn row_pass_with<D: Dist2, L: Layout>(
    dist: D,
    x: &L,
    rows: Range<usize>,
    labels: &[u32],
    w: &RowWork<'_>,
    part: &mut Partial,
) -> f64 {
    let d = x.d().max(1);
    let mut buf = Vec::new();
    let mut inertia = 0.0;
    let mut s = rows.start;
    while s < rows.end {
        let e = (s + ROW_BATCH).min(rows.end);
        let xs = x.rows(s..e, &mut buf);
        for (q, row) in xs.chunks_exact(d).enumerate() {
            let i = s + q;
            let l = labels[i - rows.start] as usize;
            if w.sums {
                match w.weights {
                    Some(ws) => part.add_weighted(l, row, ws[i]),
                    None => part.add(l, row),
                }
            }
            if let Some(c) = w.inertia {
                let dd = dist.dist2(row, c.row(l));
                inertia += match w.weights {
                    Some(ws) => ws[i] * dd,
                    None => dd,
                };
            }
            if let Some(m) = w.means {
                add_deviations(row, m, &mut part.dev);
            }
        }
        s = e;
    }
    inertia
}

/// `dev_t += (row_t − means_t)²`.
#[inline(always)]
fn add_deviations(row: &[f64], means: &[f64], dev: &mut [f64]) {
    for ((a, v), m) in dev.iter_mut().zip(row).zip(means) {
        let t = v - m;
        *a += t * t;
    }
}

/// Adds rows `rows` of `x`, labelled `labels`, to `part` in row order, each with its
/// weight (1 without weights).
pub(crate) fn accumulate_rows<L: Layout>(
    x: &L,
    rows: Range<usize>,
    labels: &[u32],
    weights: Option<&[f64]>,
    part: &mut Partial,
) {
    let w = RowWork {
        sums: true,
        weights,
        inertia: None,
        means: None,
    };
    row_pass(x, rows, labels, &w, part);
}

/// Adds `(x_t − means_t)²` of rows `rows` to `dev`, row after row (the variance of
/// [`absolute_tol`](super::absolute_tol), per chunk).
pub(crate) fn deviations<L: Layout>(x: &L, rows: Range<usize>, means: &[f64], dev: &mut [f64]) {
    let d = x.d().max(1);
    let mut buf = Vec::new();
    let mut s = rows.start;
    while s < rows.end {
        let e = (s + ROW_BATCH).min(rows.end);
        for row in x.rows(s..e, &mut buf).chunks_exact(d) {
            add_deviations(row, means, dev);
        }
        s = e;
    }
}

/// `Σ w_i · dist2(x_i, c_{label_i})` over `rows` in row order.
pub(crate) fn chunk_inertia<L: Layout>(
    x: &L,
    rows: Range<usize>,
    labels: &[u32],
    centers: &Centers,
    weights: Option<&[f64]>,
) -> f64 {
    let w = RowWork {
        sums: false,
        weights,
        inertia: Some(centers),
        means: None,
    };
    row_pass(x, rows, labels, &w, &mut Partial::new(0, 0))
}

/// One assignment pass over all rows: labels updated in place, sums merged in chunk
/// order into `work.total`; with `work.inertia`, each chunk's inertia against
/// `centers` too (the same sums in the same order as
/// [`inertia_weighted`](super::inertia::inertia_weighted)), and with `work.means`
/// each chunk's squared deviations (as [`absolute_tol`](super::absolute_tol)'s).
pub(crate) fn assign_all<L: Layout>(
    fit: Data<'_, L>,
    centers: &Centers,
    labels: &mut [u32],
    work: &mut Work,
    accumulate: bool,
) {
    let Data { x, exec, weights } = fit;
    let n = x.n();
    let threads = exec.threads();
    // Rows run out: fewer chunks than twice the threads would leave cores idle (one
    // chunk of 1024 rows: one core). A row's label does not depend on which rows
    // share its block, so the labels are then computed first, in parallel over
    // smaller blocks (multiples of the f32 layout's 16-row blocks), and the chunks
    // below only add their sums, in row order, merged in chunk order as always: the
    // same bits as the one-chunk-per-task pass.
    let labelled_first =
        threads > 1 && n.div_ceil(CHUNK_ROWS) < 2 * threads && centers.k() * x.d() >= SPLIT_MIN_KD;
    let mut changed = 0;
    if labelled_first {
        let sub = n.div_ceil(4 * threads).div_ceil(16) * 16;
        let mut counts = vec![Partial::new(0, 0); n.div_ceil(sub)];
        exec.for_each_chunk(labels, sub, &mut counts, |c, lab, part| {
            let s = c * sub;
            x.assign(s..s + lab.len(), centers, lab, part, false);
        });
        changed = counts.iter().map(|p| p.changed).sum();
    }
    let with_inertia = work.inertia;
    let kernel_sums = x.sums_in_assign();
    let means = std::mem::take(&mut work.means);
    let with_dev = !means.is_empty();
    if with_dev {
        for p in work
            .partials
            .iter_mut()
            .chain(std::iter::once(&mut work.total))
        {
            p.dev.resize(x.d(), 0.0);
        }
    }
    work.waves(n, |wave, parts| {
        exec.for_each_chunk(
            &mut labels[wave.clone()],
            CHUNK_ROWS,
            parts,
            |c, lab, part| {
                let s = wave.start + c * CHUNK_ROWS;
                let rows = s..s + lab.len();
                // The kernel adds the rows into the sums when it can (no weights, not
                // labelled above, a layout whose kernel adds them fast); otherwise, and
                // for the inertia and deviations, one pass over the chunk while it is
                // still in cache, in row order.
                let in_assign = accumulate && weights.is_none() && !labelled_first && kernel_sums;
                if !labelled_first {
                    x.assign(rows.clone(), centers, lab, part, in_assign);
                }
                let w = RowWork {
                    sums: accumulate && !in_assign,
                    weights,
                    inertia: with_inertia.then_some(centers),
                    means: with_dev.then_some(&means[..]),
                };
                if w.sums || w.inertia.is_some() || w.means.is_some() {
                    let inertia = row_pass(x, rows, lab, &w, part);
                    if with_inertia {
                        part.inertia = inertia;
                    }
                }
            },
        );
    });
    work.total.changed += changed;
    work.means = means;
}
