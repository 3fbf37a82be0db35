//! What the bounded algorithms (Hamerly, Elkan) share: the bookkeeping of the
//! centers' moves and separations (`CenterBounds`), and the chunked pass over the
//! rows' bounds (`bounded_waves`). Bounds are distances (not squared), widened by
//! the rounding `Margin` of the canonical distance.

use super::work::{Work, CHUNK_ROWS};
use crate::accum::{Centers, Partial};
use crate::distance::{dist2, Margin};
use crate::exec::Exec;

/// What the bounded algorithms know of the centers: how far each moved in the last
/// update (grown) and how far apart they are (shrunk).
pub(crate) struct CenterBounds {
    /// The rounding margin the bounds are widened by.
    pub(crate) margin: Margin,
    /// How far each center moved in the last update (grown).
    pub(crate) moved: Vec<f64>,
    /// The largest and second largest `moved`, and the index of the largest.
    pub(crate) max1: f64,
    /// The second largest `moved`.
    pub(crate) max2: f64,
    /// The index of the largest `moved`.
    pub(crate) arg1: usize,
    /// Half the distance from each center to its nearest other center (shrunk).
    pub(crate) half_sep: Vec<f64>,
    /// Elkan only (empty for Hamerly): half the distance between every two centers,
    /// `k × k` row-major (shrunk; the diagonal is unused).
    pub(crate) half_cc: Vec<f64>,
}

impl CenterBounds {
    /// `pairs`: also keep the `k × k` half distances (Elkan).
    pub(crate) fn new(k: usize, d: usize, pairs: bool) -> Self {
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
    pub(crate) fn moved(&mut self, old: &Centers, new: &[f64]) {
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
    pub(crate) fn reset_moves(&mut self) {
        self.moved.fill(0.0);
        (self.max1, self.max2, self.arg1) = (0.0, 0.0, 0);
    }

    /// Half the distance from each center to its nearest other one (and, for Elkan, to
    /// every other one), for the current centers.
    pub(crate) fn separation(&mut self, centers: &Centers) {
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
pub(crate) struct BoundChunk<'a> {
    /// The chunk's labels.
    pub(crate) lab: &'a mut [u32],
    /// Upper bounds, one a row.
    pub(crate) up: &'a mut [f64],
    /// Lower bounds, `per_row` a row.
    pub(crate) lo: &'a mut [f64],
    /// The chunk's sums.
    pub(crate) part: &'a mut Partial,
}

/// The per-row state a bounded pass updates: every row's label, upper bound and
/// `per_row` lower bounds (one for Hamerly, `k` for Elkan).
pub(crate) struct RowBounds<'a> {
    /// One label per row.
    pub(crate) labels: &'a mut [u32],
    /// One upper bound per row.
    pub(crate) upper: &'a mut [f64],
    /// `per_row` lower bounds per row.
    pub(crate) lower: &'a mut [f64],
    /// Lower bounds per row.
    pub(crate) per_row: usize,
}

/// A pass of a bounded algorithm over all rows: the waves of [`Work::waves`], each
/// cut into [`CHUNK_ROWS`] chunks with their labels and bounds (`per_row` lower bounds
/// a row), and `chunk(first_row, piece)` called for each on the pool. Rows are
/// independent and sums are accumulated per chunk, so results do not depend on the
/// thread count.
pub(crate) fn bounded_waves(
    n: usize,
    exec: &Exec,
    rows: RowBounds<'_>,
    work: &mut Work,
    chunk: impl Fn(usize, &mut BoundChunk) + Sync,
) {
    let RowBounds {
        labels,
        upper,
        lower,
        per_row,
    } = rows;
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

/// Whether a bounded pass accumulates the sums, and with which weights.
#[derive(Clone, Copy)]
pub(crate) struct Sums<'a> {
    /// Add each row into its cluster's sums.
    pub(crate) accumulate: bool,
    /// One weight per row, if any.
    pub(crate) weights: Option<&'a [f64]>,
}
