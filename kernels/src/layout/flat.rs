//! The flat layout: a borrowed contiguous row-major f64 matrix, run by the kernels
//! of [`crate::kernel`] (the scalar loop or the SIMD kernels).

use super::{canonical_potentials, canonical_update_closest, Layout};
use crate::accum::{Centers, Partial};
use crate::data::Matrix;
use crate::distance::Screen;
use crate::kernel::canonical::{with_canonical_dist2, CanonicalOp, Dist2, ScalarDist2};
use crate::kernel::seed::{Seed, SeedMode};
use crate::kernel::{self, isa, Block, KernelChoice};
use crate::scan::max_row_norm2;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

/// The flat layout: a borrowed contiguous row-major matrix, with the kernel chosen
/// by [`KernelChoice`].
pub struct Flat<'a> {
    x: &'a [f64],
    n: usize,
    d: usize,
    kernel: KernelChoice,
    /// Largest squared row norm (bounds the SIMD kernel's rounding error).
    xmax: f64,
    /// The screened kernel's f32 copy of the rows (`KernelChoice::Screened`).
    screen: Option<Screened>,
}

/// What the screened kernel keeps besides the f64 rows.
struct Screened {
    /// The column means the f32 copies are taken relative to.
    shift: Vec<f64>,
    /// The rows minus `shift`, rounded to f32, row-major.
    x32: Vec<f32>,
    /// `‖x_i − shift‖` (f64) per row, for the per-row acceptance bound.
    norms: Vec<f64>,
    /// The largest of `norms`.
    max_norm: f64,
}

impl Screened {
    fn new(x: &[f64], n: usize, d: usize) -> Self {
        let mut shift = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for (m, v) in shift.iter_mut().zip(row) {
                *m += v;
            }
        }
        shift.iter_mut().for_each(|m| *m /= n as f64);
        let mut x32 = Vec::with_capacity(n * d);
        let mut norms = Vec::with_capacity(n);
        for row in x.chunks_exact(d) {
            let mut nn = 0.0;
            for (v, m) in row.iter().zip(&shift) {
                let c = v - m;
                x32.push(c as f32);
                nn += c * c;
            }
            norms.push(nn.sqrt());
        }
        let max_norm = norms.iter().copied().fold(0.0, f64::max);
        Screened {
            shift,
            x32,
            norms,
            max_norm,
        }
    }
}

/// Rows screened and rows re-checked by the screened kernel since the process
/// started (all fits, all threads): diagnostics for `--verbose` and the benchmarks.
static SCREENED: AtomicU64 = AtomicU64::new(0);
static RECHECKED: AtomicU64 = AtomicU64::new(0);

/// `(rows screened, rows re-checked in f64)` by the screened kernel so far in this
/// process (see [`KernelChoice::Screened`]).
pub fn screen_counts() -> (u64, u64) {
    (
        SCREENED.load(AtomicOrdering::Relaxed),
        RECHECKED.load(AtomicOrdering::Relaxed),
    )
}

impl<'a> Flat<'a> {
    /// Wraps a matrix (one pass over it to find the largest row norm).
    pub fn new(m: &'a Matrix, kernel: KernelChoice) -> Self {
        Flat::from_slice(m.as_slice(), m.n(), m.d(), kernel)
    }

    /// Wraps `n × d` row-major values in place (one pass over them to find the
    /// largest row norm). Panics if `x.len() != n·d`.
    pub fn from_slice(x: &'a [f64], n: usize, d: usize, kernel: KernelChoice) -> Self {
        assert_eq!(x.len(), n * d, "Flat: shape does not match the values");
        Flat::with_xmax(x, n, d, kernel, max_row_norm2(x, d))
    }

    /// [`Flat::from_slice`] with the largest squared row norm already known (from
    /// the fit's [scan](crate::scan) of the input, which computes it bit for bit as
    /// `from_slice` does).
    pub(crate) fn with_xmax(
        x: &'a [f64],
        n: usize,
        d: usize,
        kernel: KernelChoice,
        xmax: f64,
    ) -> Self {
        assert_eq!(x.len(), n * d, "Flat: shape does not match the values");
        let screen = (kernel == KernelChoice::Screened && d > 0 && d <= 100_000 && n > 0)
            .then(|| Screened::new(x, n, d));
        Flat {
            x,
            n,
            d,
            kernel,
            xmax,
            screen,
        }
    }

    /// The screened assignment of `rows` (see [`KernelChoice::Screened`]): the f32
    /// screen proposes each row's label, rows whose two best scores are closer than
    /// the rounding bound get the canonical f64 argmin; then the changed count and,
    /// when `accumulate`, the f64 sums in row order. `false` (nothing done) when the
    /// screen does not apply to these centers (magnitudes, k).
    fn assign_screened(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) -> bool {
        let Some(sc) = &self.screen else {
            return false;
        };
        let (d, k) = (self.d, centers.k());
        let prep = &centers.prepared;
        let cn = prep.cn32max;
        if prep.shift != sc.shift || !Screen::applies(sc.max_norm, cn, k) {
            return false;
        }
        let n = rows.len();
        let mut idx = vec![0u32; n];
        let mut best = vec![0.0f32; n];
        let mut second = vec![0.0f32; n];
        isa::dispatch(kernel::screen::Screen {
            x: &sc.x32[rows.start * d..rows.end * d],
            d,
            ct: &prep.ct32,
            cn: &prep.cn32,
            idx: &mut idx,
            best: &mut best,
            second: &mut second,
        });
        let bound = Screen::new(d);
        let x = &self.x[rows.start * d..rows.end * d];
        // The rows the screen cannot settle, gathered and run through the f64 SIMD
        // kernel (whose labels are the canonical ones): a few per cent of the rows at
        // f64 kernel speed, instead of a scalar canonical search per row.
        let unsettled: Vec<usize> = (0..n)
            .filter(|&r| k > 1 && !bound.settles(best[r], second[r], sc.norms[rows.start + r], cn))
            .collect();
        if !unsettled.is_empty() {
            let mut gathered = Vec::with_capacity(unsettled.len() * d);
            for &r in &unsettled {
                gathered.extend_from_slice(&x[r * d..(r + 1) * d]);
            }
            let mut exact = vec![0u32; unsettled.len()];
            let mut none = Partial::new(0, 0);
            kernel::assign_block(self.block(&gathered, centers), &mut exact, &mut none, false);
            for (&r, &j) in unsettled.iter().zip(&exact) {
                idx[r] = j;
            }
        }
        let rechecked = unsettled.len() as u64;
        for (label, &j) in labels.iter_mut().zip(&idx) {
            if *label != j {
                part.changed += 1;
                *label = j;
            }
        }
        if accumulate {
            for (row, &j) in x.chunks_exact(d).zip(labels.iter()) {
                part.add(j as usize, row);
            }
        }
        SCREENED.fetch_add(n as u64, AtomicOrdering::Relaxed);
        RECHECKED.fetch_add(rechecked, AtomicOrdering::Relaxed);
        true
    }

    /// Rows `x` (copies of or a slice of this matrix) against `centers`, with this
    /// layout's kernel and norm bound.
    fn block<'b>(&self, x: &'b [f64], centers: &'b Centers) -> Block<'b> {
        Block {
            choice: self.kernel,
            x,
            d: self.d,
            centers,
            xmax: self.xmax,
        }
    }

    /// Runs the seeding kernel over `rows` at the active ISA level.
    fn seed_kernel(&self, rows: Range<usize>, cands: &[f64], mode: SeedMode) -> f64 {
        let d = self.d;
        let x = &self.x[rows.start * d..rows.end * d];
        isa::dispatch(Seed { x, d, cands, mode })
    }
}

impl Layout for Flat<'_> {
    fn n(&self) -> usize {
        self.n
    }
    fn d(&self) -> usize {
        self.d
    }
    #[inline]
    fn row<'a>(&'a self, i: usize, _buf: &'a mut Vec<f64>) -> &'a [f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    fn rows<'a>(&'a self, rows: Range<usize>, _buf: &'a mut Vec<f64>) -> &'a [f64] {
        &self.x[rows.start * self.d..rows.end * self.d]
    }
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        if self.assign_screened(rows.clone(), centers, labels, part, accumulate) {
            return;
        }
        let d = self.d;
        let x = &self.x[rows.start * d..rows.end * d];
        kernel::assign_block(self.block(x, centers), labels, part, accumulate);
    }
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        if self.kernel == KernelChoice::Scalar {
            return canonical_update_closest(self, rows, c, closest, init);
        }
        self.seed_kernel(rows, c, SeedMode::Update { closest, init })
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
        if self.kernel == KernelChoice::Scalar {
            return canonical_potentials(self, rows, cands, closest, weights, pots, closer);
        }
        self.seed_kernel(
            rows,
            cands,
            SeedMode::Potentials {
                closest,
                weights,
                pots,
                closer,
            },
        );
    }
    fn seeding_keeps_closer_rows(&self) -> bool {
        true
    }
    fn update_closest_where(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        closer: &[u8],
        bit: u8,
    ) {
        // Row by row: one canonical distance per marked row (one ISA dispatch per call).
        struct Op<'a> {
            x: &'a [f64],
            d: usize,
            c: &'a [f64],
            closest: &'a mut [f64],
            closer: &'a [u8],
            bit: u8,
        }
        impl CanonicalOp for Op<'_> {
            type Output = ();
            #[inline(always)]
            fn run<D: Dist2>(self, dist: D) {
                for (r, v) in self.closest.iter_mut().enumerate() {
                    if self.closer[r] & self.bit != 0 {
                        let dd = dist.dist2(&self.x[r * self.d..(r + 1) * self.d], self.c);
                        if dd < *v {
                            *v = dd;
                        }
                    }
                }
            }
        }
        let d = self.d;
        let x = &self.x[rows.start * d..rows.end * d];
        let op = Op {
            x,
            d,
            c,
            closest,
            closer,
            bit,
        };
        if self.kernel == KernelChoice::Scalar {
            CanonicalOp::run(op, ScalarDist2);
        } else {
            with_canonical_dist2(op);
        }
    }
    fn full_search(&self, x: &[f64], centers: &Centers, labels: &mut [u32], second: &mut [f64]) {
        kernel::nearest_block(self.block(x, centers), labels, second)
    }
    fn name(&self) -> &'static str {
        "flat"
    }
    fn screen_shift(&self) -> Option<&[f64]> {
        self.screen.as_ref().map(|s| &s.shift[..])
    }
}
