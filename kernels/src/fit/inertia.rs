//! The inertia `Σ w_i · dist2(x_i, c_{label_i})`, summed per chunk and chunks in
//! order (bit-identical for every thread count), and Lloyd's final label pass fused
//! with it.

use super::work::{chunk_inertia, CHUNK_ROWS};
use crate::accum::{Centers, Partial};
use crate::exec::Exec;
use crate::layout::Layout;

/// Lloyd's final label pass and the inertia in one pass over the data: each chunk's
/// labels, then its inertia while the chunk is still in cache. The same labels as
/// [`assign_all`](super::work::assign_all) without accumulation and bit for bit the same inertia as
/// [`inertia_weighted`] (same chunks, rows in order, chunks in order); the separate
/// inertia pass streamed the data once more per k.
pub(crate) fn final_labels_and_inertia<L: Layout>(
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
