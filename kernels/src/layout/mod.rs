//! The abstraction Lloyd, seeding and the metrics are written against: a set of `n`
//! points of dimension `d` with a chunk-level assignment step ([`Layout`]). Three
//! implementations:
//!
//! * [`flat::Flat`]: one contiguous row-major f64 buffer, the SIMD kernels.
//! * [`flat32::Flat32`]: the data in f32 (`--precision f32`), f32 distances.
//! * [`aos::Aos`]: the seed's `Vec<DataPoint>` and naive loops.
//!
//! Every f64 layout must return *exactly* the canonical labels: the index of the
//! center with the smallest [`dist2`] (ties to the lowest index). Fast kernels may
//! compute distances another way but must re-check near-ties with [`dist2`] (see
//! [`crate::kernel`]). Accumulation into [`Partial`] adds points in row order, so sums
//! are bit-identical across layouts and kernels.

pub mod aos;
pub mod flat;
pub mod flat32;

pub use aos::{Aos, DataPoint};
pub use flat::Flat;
pub use flat32::Flat32;

use crate::accum::{Centers, Partial};
use crate::distance::dist2;
use crate::kernel::{self, Block, KernelChoice};
use std::ops::Range;

/// The canonical k-means++ update over `rows` of `x` (see
/// [`Layout::update_closest`]): plain loops over [`dist2`].
pub fn canonical_update_closest<L: Layout + ?Sized>(
    x: &L,
    rows: Range<usize>,
    c: &[f64],
    closest: &mut [f64],
    init: bool,
) -> f64 {
    let mut s = 0.0;
    let mut buf = Vec::new();
    for (i, v) in rows.zip(closest.iter_mut()) {
        let dd = dist2(x.row(i, &mut buf), c);
        if init || dd < *v {
            *v = dd;
        }
        s += *v;
    }
    s
}

/// The canonical candidate potentials over `rows` of `x` (see [`Layout::potentials`]).
pub fn canonical_potentials<L: Layout + ?Sized>(
    x: &L,
    rows: Range<usize>,
    cands: &[f64],
    closest: &[f64],
    weights: Option<&[f64]>,
    pots: &mut [f64],
    mut closer: Option<&mut [u8]>,
) {
    let d = x.d();
    pots.fill(0.0);
    let mut buf = Vec::new();
    for (r, (i, v)) in rows.zip(closest).enumerate() {
        let row = x.row(i, &mut buf);
        let mut bits = 0u8;
        for (t, (p, c)) in pots.iter_mut().zip(cands.chunks_exact(d)).enumerate() {
            let dd = dist2(row, c);
            bits |= ((dd < *v) as u8) << (t % 8);
            let m = dd.min(*v);
            *p += match weights {
                Some(w) => w[r] * m,
                None => m,
            };
        }
        if let Some(out) = closer.as_deref_mut() {
            out[r] = bits;
        }
    }
}

/// A set of points the algorithms can run on.
pub trait Layout: Sync {
    /// Number of points.
    fn n(&self) -> usize;
    /// Dimension.
    fn d(&self) -> usize;
    /// Point `i` in f64: the layout's own storage when it holds f64 (`buf` untouched),
    /// otherwise converted into `buf` (resized to `d`). Passing the same `buf` for every
    /// row of a loop allocates at most once.
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f64>) -> &'a [f64];
    /// Rows `rows` in f64, one after the other (`rows.len() × d` values): the layout's
    /// own storage when it holds them contiguous in f64 (`buf` untouched), otherwise
    /// converted into `buf`. A batch of rows in one call lets a layout that stores
    /// rows in blocks (the f32 layout) convert a block at a time instead of gathering
    /// each row's values one by one.
    fn rows<'a>(&'a self, rows: Range<usize>, buf: &'a mut Vec<f64>) -> &'a [f64] {
        buf.clear();
        let mut one = Vec::new();
        for i in rows {
            buf.extend_from_slice(self.row(i, &mut one));
        }
        buf
    }
    /// Whether [`Layout::assign`] adds the rows into the sums faster than a pass over
    /// [`Layout::rows`] (true but for the f32 layout: its kernel would add them one
    /// value at a time from its blocks, while [`Layout::rows`] converts a block at a
    /// time, shared with the inertia of the same pass).
    fn sums_in_assign(&self) -> bool {
        true
    }
    /// Assigns rows `rows` to their nearest center (writing `labels`, which holds the
    /// previous labels on entry) and, when `accumulate`, adds each point to `part`.
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    );
    /// `closest[i] = min(closest[i], dist2(row(i), c))` for `rows`, or plain
    /// assignment when `init`; returns the sum of the new values in row order.
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        canonical_update_closest(self, rows, c, closest, init)
    }
    /// For each candidate `t` of `cands` (`m × d`): `pots[t] = Σ w_i · min(closest[i],
    /// dist2(row(i), cand_t))` over `rows` (`w_i` = 1 without `weights`, which holds
    /// the weights of `rows`), summed in row order. When `closer` is given (one byte per
    /// row, `m ≤ 8`), bit `t` of `closer[r]` is set when `dist2(row, cand_t) <
    /// closest[r]`: exactly the rows whose `closest` [`Layout::update_closest`] would
    /// change for candidate `t`, so the seeding can update only those rows instead of
    /// a second pass over all the data.
    fn potentials(
        &self,
        rows: Range<usize>,
        cands: &[f64],
        closest: &[f64],
        weights: Option<&[f64]>,
        pots: &mut [f64],
        closer: Option<&mut [u8]>,
    ) {
        canonical_potentials(self, rows, cands, closest, weights, pots, closer)
    }
    /// Hamerly's full search over gathered rows `x` (row-major, `d` columns, copies of
    /// some rows of this layout): the canonical label of each row, and a lower bound on
    /// its squared distance to every other center. The default is the plain loop.
    fn full_search(&self, x: &[f64], centers: &Centers, labels: &mut [u32], second: &mut [f64]) {
        let b = Block {
            choice: KernelChoice::Scalar,
            x,
            d: self.d(),
            centers,
            xmax: 0.0,
        };
        kernel::nearest_block(b, labels, second)
    }
    /// Short name for reports (`aos`, `flat`).
    fn name(&self) -> &'static str;
    /// When [`Layout::assign`] reads the centers' f32 panel copy (the screened
    /// kernel), the shift that copy is relative to: then Lloyd keeps it with
    /// [`Centers::set_screened`].
    fn screen_shift(&self) -> Option<&[f64]> {
        None
    }
    /// Whether [`Layout::assign`] gives the canonical [`dist2`] argmin, which the
    /// bounds of Hamerly and Elkan assume (false for the f32 layout, which then runs
    /// Lloyd whatever the algorithm).
    fn canonical_f64(&self) -> bool {
        true
    }
    /// Whether greedy k-means++ may keep, per row, which candidates its potentials pass
    /// found closer, and recompute only those rows for the chosen one
    /// ([`crate::init::keeps_closer_rows`], [`Layout::update_closest_where`]) instead
    /// of a second pass over the data per step. The flat layouts do; `aos`,
    /// which stands for the seed's loops, keeps two passes per step (as `--warm-start
    /// auto` is off for it). The centers are the same either way.
    fn seeding_keeps_closer_rows(&self) -> bool {
        false
    }
    /// [`Layout::update_closest`] (not `init`) restricted to the rows of `rows` whose
    /// `closer` byte has `bit` set, which must be exactly the rows the candidate `c` is
    /// closer to (from [`Layout::potentials`]): the same result, computing only their
    /// distances where the layout can. The default updates runs of 16-row groups that
    /// hold such a row (the f32 layout's blocks) with `update_closest`.
    fn update_closest_where(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        closer: &[u8],
        bit: u8,
    ) {
        let len = closest.len();
        let mut run: Option<usize> = None;
        for g in (0..len).step_by(16).chain(std::iter::once(len)) {
            let hit = g < len && closer[g..(g + 16).min(len)].iter().any(|&b| b & bit != 0);
            match (hit, run) {
                (true, None) => run = Some(g),
                (false, Some(s)) => {
                    let at = rows.start;
                    self.update_closest(at + s..at + g, c, &mut closest[s..g], false);
                    run = None;
                }
                _ => {}
            }
        }
    }
}

impl<T: Layout + ?Sized> Layout for &T {
    fn n(&self) -> usize {
        (**self).n()
    }
    fn d(&self) -> usize {
        (**self).d()
    }
    #[inline]
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f64>) -> &'a [f64] {
        (**self).row(i, buf)
    }
    #[inline]
    fn rows<'a>(&'a self, rows: Range<usize>, buf: &'a mut Vec<f64>) -> &'a [f64] {
        (**self).rows(rows, buf)
    }
    fn sums_in_assign(&self) -> bool {
        (**self).sums_in_assign()
    }
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        (**self).assign(rows, centers, labels, part, accumulate)
    }
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        (**self).update_closest(rows, c, closest, init)
    }
    fn potentials(
        &self,
        rows: Range<usize>,
        cands: &[f64],
        closest: &[f64],
        weights: Option<&[f64]>,
        pots: &mut [f64],
        closer: Option<&mut [u8]>,
    ) {
        (**self).potentials(rows, cands, closest, weights, pots, closer)
    }
    fn full_search(&self, x: &[f64], centers: &Centers, labels: &mut [u32], second: &mut [f64]) {
        (**self).full_search(x, centers, labels, second)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn canonical_f64(&self) -> bool {
        (**self).canonical_f64()
    }
    fn seeding_keeps_closer_rows(&self) -> bool {
        (**self).seeding_keeps_closer_rows()
    }
    fn screen_shift(&self) -> Option<&[f64]> {
        (**self).screen_shift()
    }
    fn update_closest_where(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        closer: &[u8],
        bit: u8,
    ) {
        (**self).update_closest_where(rows, c, closest, closer, bit)
    }
}
