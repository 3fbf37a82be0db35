//! Hamerly's algorithm: per point an upper bound on the distance to its center and
//! one lower bound on the distance to every other center; a point whose bounds prove
//! its label cannot change is skipped, the others are searched together by the
//! layout's full search (the SIMD kernel for `flat`).

use super::bounds::{bounded_waves, BoundChunk, CenterBounds, RowBounds, Sums};
use super::work::{accumulate_rows, assign_all, Data, Work, CHUNK_ROWS};
use crate::accum::Centers;
use crate::distance::dist2;
use crate::layout::Layout;

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

/// Hamerly's bounds (distances, widened by [`Margin`](crate::distance::Margin)).
pub(crate) struct Hamerly {
    /// Upper bound on the distance from each point to its center.
    upper: Vec<f64>,
    /// Lower bound on the distance from each point to every other center.
    lower: Vec<f64>,
    /// Moves and separations of the centers.
    pub(crate) cb: CenterBounds,
    /// Whether the bounds have been set (after the first full pass).
    ready: bool,
}

impl Hamerly {
    pub(crate) fn new(n: usize, k: usize, d: usize) -> Self {
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
    fn chunk<L: Layout>(
        cb: &CenterBounds,
        x: &L,
        centers: &Centers,
        s0: usize,
        ch: &mut BoundChunk,
        sc: &mut HamScratch,
        sums: Sums<'_>,
    ) {
        let d = x.d();
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
        if sums.accumulate {
            accumulate_rows(x, s0..s0 + ch.lab.len(), ch.lab, sums.weights, ch.part);
        }
    }

    /// One assignment pass with the bounds (the first one computes every distance with
    /// the blocked kernel); sums accumulated in row order per chunk, as Lloyd's.
    pub(crate) fn assign_all<L: Layout>(
        &mut self,
        fit: Data<'_, L>,
        centers: &Centers,
        labels: &mut [u32],
        work: &mut Work,
        accumulate: bool,
    ) {
        let Data { x, exec, weights } = fit;
        if !self.ready {
            // First pass: the fast kernel's labels; the upper bound from one distance
            // per row (per chunk, on the pool), no lower bound yet: the separation test
            // can still skip next time. `lloyd` records the moves and the separation
            // after every center update, before the next pass reads them.
            assign_all(fit, centers, labels, work, accumulate);
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
            let Hamerly {
                upper, lower, cb, ..
            } = self;
            let cb = &*cb;
            let rows = RowBounds {
                labels,
                upper,
                lower,
                per_row: 1,
            };
            let sums = Sums {
                accumulate,
                weights,
            };
            bounded_waves(x.n(), exec, rows, work, |s0, ch| {
                thread_local! {
                    static SCRATCH: std::cell::RefCell<HamScratch> =
                        std::cell::RefCell::new(HamScratch::default());
                }
                SCRATCH.with(|sc| {
                    let mut sc = sc.borrow_mut();
                    Hamerly::chunk(cb, x, centers, s0, ch, &mut sc, sums);
                });
            });
        }
        self.cb.reset_moves();
    }
}
