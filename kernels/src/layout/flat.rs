//! The flat layout: a borrowed contiguous row-major f64 matrix, run by the kernels
//! of [`crate::kernel`] (the scalar loop or the SIMD kernels).

use super::{canonical_potentials, canonical_update_closest, Layout};
use crate::accum::{Centers, Partial};
use crate::data::Matrix;
use crate::kernel::canonical::{with_canonical_dist2, CanonicalOp, Dist2, ScalarDist2};
use crate::kernel::seed::{Seed, SeedMode};
use crate::kernel::{self, isa, Block, KernelChoice};
use std::ops::Range;

/// The flat layout: a borrowed contiguous row-major matrix, with the kernel chosen
/// by [`KernelChoice`].
pub struct Flat<'a> {
    x: &'a [f64],
    n: usize,
    d: usize,
    kernel: KernelChoice,
    /// Largest squared row norm (bounds the SIMD kernel's rounding error).
    xmax: f64,
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
        let xmax = x
            .chunks_exact(d.max(1))
            .map(|r| r.iter().map(|v| v * v).sum::<f64>())
            .fold(0.0, f64::max);
        Flat {
            x,
            n,
            d,
            kernel,
            xmax,
        }
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
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
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
}
