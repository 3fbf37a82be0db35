//! The work scheme of a fit: rows cut into chunks of [`CHUNK_ROWS`], each chunk
//! accumulating its own sums, merged in chunk order, so results never depend on the
//! thread count; and Lloyd's assignment pass over it (`assign_all`).

use crate::accum::{Centers, Partial};
use crate::exec::Exec;
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
}

impl Work {
    pub(crate) fn new(k: usize, d: usize, n: usize, threads: usize) -> Self {
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
    pub(crate) fn waves(&mut self, n: usize, mut pass: impl FnMut(Range<usize>, &mut [Partial])) {
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
pub(crate) fn accumulate_rows<L: Layout>(
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
    work.waves(n, |wave, parts| {
        exec.for_each_chunk(
            &mut labels[wave.clone()],
            CHUNK_ROWS,
            parts,
            |c, lab, part| {
                let s = wave.start + c * CHUNK_ROWS;
                let rows = s..s + lab.len();
                match (labelled_first, weights) {
                    (false, None) => x.assign(rows, centers, lab, part, accumulate),
                    _ => {
                        // Labels from the kernel (unless computed above), then the
                        // sums over the chunk while it is still in cache, in row
                        // order, each row with its weight.
                        if !labelled_first {
                            x.assign(rows.clone(), centers, lab, part, false);
                        }
                        if accumulate {
                            accumulate_rows(x, rows, lab, weights, part);
                        }
                    }
                }
            },
        );
    });
    work.total.changed += changed;
}
