//! Elkan's algorithm (2003): per point an upper bound on the distance to its center
//! and a lower bound on the distance to each center, plus half the distance between
//! every two centers; only the centers the bounds do not exclude are measured, with
//! the canonical distance vectorized at the dispatched level.

use super::bounds::{bounded_waves, BoundChunk, CenterBounds, RowBounds};
use super::work::{accumulate_rows, Data, Work};
use crate::accum::Centers;
use crate::kernel::canonical::{with_canonical_dist2, CanonicalOp, Dist2};
use crate::layout::Layout;

/// Elkan's bounds (distances, widened by [`Margin`](crate::distance::Margin)): per point an upper bound on the
/// distance to its center and a lower bound on the distance to every center
/// (`8·n·k` bytes).
pub(crate) struct Elkan {
    /// Upper bound on the distance from each point to its center.
    upper: Vec<f64>,
    /// Lower bound on the distance from each point to each center, `n × k`.
    lower: Vec<f64>,
    /// Moves and separations of the centers, with the `k × k` half distances.
    pub(crate) cb: CenterBounds,
    /// Whether the bounds have been set (after the first full pass).
    ready: bool,
}

impl Elkan {
    pub(crate) fn new(n: usize, k: usize, d: usize) -> Self {
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
    pub(crate) fn assign_all<L: Layout>(
        &mut self,
        fit: Data<'_, L>,
        centers: &Centers,
        labels: &mut [u32],
        work: &mut Work,
        accumulate: bool,
    ) {
        let Data { x, exec, weights } = fit;
        let fresh = !self.ready;
        let Elkan {
            upper, lower, cb, ..
        } = self;
        let cb = &*cb;
        let rows = RowBounds {
            labels,
            upper,
            lower,
            per_row: centers.k(),
        };
        bounded_waves(x.n(), exec, rows, work, |s0, ch| {
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
        });
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
