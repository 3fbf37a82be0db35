//! The f32 layout, single precision (`--precision f32`): the data stored as f32, distances computed in
//! f32 with twice the SIMD lanes of f64 and half the bytes per row; everything else
//! (sums, centers, shift, tolerance, inertia) stays in f64.
//!
//! [`Flat32`] is a [`Layout`], so Lloyd, the seeding and `--warm-start` run on it
//! unchanged. Only its kernels differ:
//!
//! * **Storage**: rows in blocks of [`BLOCK`] (16) rows, feature-major inside a block
//!   (value `(i, t)` at `(i / 16)·16·d + t·16 + i % 16`), so one SIMD vector holds one
//!   feature of 16, 8 or 4 consecutive rows and no transposition happens per
//!   iteration. Each value is the input rounded to the nearest f32; rows past `n` in
//!   the last block are zero and never read back.
//! * **Distance** [`dist2_f32`](crate::distance::dist2_f32): `acc = fma(x_t − c_t, x_t − c_t, acc)` in f32 over
//!   `t = 0..d` in order, one row per SIMD lane. Every instruction set (AVX-512, AVX2,
//!   NEON, simd128, pulp's scalar backend) performs the same IEEE operations per lane
//!   (a subtraction and a fused multiply-add), so labels are identical on every level
//!   and thread count, as in f64.
//! * **Labels** are the argmin of [`dist2_f32`](crate::distance::dist2_f32) with the centers rounded to f32,
//!   lowest index on ties. They can differ from the f64 labels where two centers are
//!   within f32 rounding of each other for a point (relative ≈ `d · 2⁻²⁴` of the
//!   distance), or where the data's features carry a large common offset relative to
//!   their spread (each value keeps 24 significant bits). BENCHMARKS.md reports the
//!   adjusted Rand index between f32 and f64 labels over the seed's grid.
//! * **Range**: values are refused when `|x| > sqrt(f32::MAX / (4·d))` (a squared
//!   distance could overflow f32); values below `f32::MIN_POSITIVE` become subnormal
//!   or 0.
//!
//! The seeding ([`Layout::update_closest`], [`Layout::potentials`]) uses the same f32
//! distances, widened to f64 for the potentials. Hamerly's and Elkan's bounds are
//! derived from the f64 distance and so do not apply: the binary runs f32 with Lloyd.

pub use crate::kernel::f32::BLOCK;

use super::Layout;
use crate::accum::{Centers, Partial};
use crate::data::Matrix;
use crate::kernel::f32::{Assign, Distances};
use crate::kernel::{isa, KernelChoice};
use crate::scan::{write_blocks, Value};
use pulp::WithSimd;
use std::ops::Range;

/// The data in f32, in blocks of [`BLOCK`] rows (see the module docs).
pub struct Flat32 {
    n: usize,
    d: usize,
    data: Vec<f32>,
    kernel: KernelChoice,
}

impl Flat32 {
    /// Rounds `m` to f32 in blocked order. `kernel` = `Scalar` runs pulp's scalar
    /// backend (same results, one lane); `Simd`/`Auto` the best level.
    pub fn from_matrix(m: &Matrix, kernel: KernelChoice) -> Self {
        Flat32::from_slice(m.as_slice(), m.n(), m.d(), kernel)
    }

    /// [`Flat32::from_matrix`] from `n × d` row-major values. Panics if
    /// `x.len() != n·d` or `d = 0`.
    pub fn from_slice(x: &[f64], n: usize, d: usize, kernel: KernelChoice) -> Self {
        Flat32::blocked(x, n, d, kernel)
    }

    /// [`Flat32::from_slice`] from f32 values (no f64 copy in between; the values are
    /// the same as after a round trip through f64).
    pub fn from_f32_slice(x: &[f32], n: usize, d: usize, kernel: KernelChoice) -> Self {
        Flat32::blocked(x, n, d, kernel)
    }

    /// `n × d` row-major values rounded to f32 into blocks of [`BLOCK`] rows.
    fn blocked<T: Value>(x: &[T], n: usize, d: usize, kernel: KernelChoice) -> Self {
        assert!(d > 0, "Flat32 needs at least one feature");
        assert_eq!(x.len(), n * d, "Flat32: shape does not match the values");
        let mut data = vec![0.0f32; n.div_ceil(BLOCK) * BLOCK * d];
        write_blocks(x, d, &mut data);
        Flat32 { n, d, data, kernel }
    }

    /// Takes `n × d` values already in the blocked order (from the fit's
    /// [scan](crate::scan) of its input, which writes them while it checks them).
    pub(crate) fn from_blocked(data: Vec<f32>, n: usize, d: usize, kernel: KernelChoice) -> Self {
        assert!(d > 0, "Flat32 needs at least one feature");
        assert_eq!(
            data.len(),
            n.div_ceil(BLOCK) * BLOCK * d,
            "Flat32: blocked length"
        );
        Flat32 { n, d, data, kernel }
    }

    /// Bytes held (the blocked f32 data).
    pub fn bytes(&self) -> usize {
        self.data.len() * 4
    }

    /// Runs `op` on the chosen backend.
    fn run<Op: WithSimd>(&self, op: Op) -> Op::Output {
        match self.kernel {
            KernelChoice::Scalar => pulp::Simd::vectorize(pulp::Scalar, op),
            _ => isa::dispatch(op),
        }
    }

    /// The blocks holding block-aligned `rows` (every range Lloyd and the seeding pass
    /// is: their chunk sizes are multiples of [`BLOCK`]).
    fn blocks(&self, rows: &Range<usize>) -> &[f32] {
        assert_eq!(
            rows.start % BLOCK,
            0,
            "Flat32: rows must start at a multiple of 16"
        );
        let w = BLOCK * self.d;
        &self.data[rows.start / BLOCK * w..rows.end.div_ceil(BLOCK) * w]
    }

    /// Calls `f(i, j, v)` for the rows `i` of block-aligned `rows` and the centers `j`
    /// of `c` (`m × d`), with `v` the f32 distance of row `i` to center `j`: block by
    /// block, and within a block center by center, so for each `j` the rows come in
    /// order (each block is read once for all centers).
    fn per_row_distances(&self, rows: Range<usize>, c: &[f32], f: impl FnMut(usize, usize, f32)) {
        self.run(Distances {
            blocks: self.blocks(&rows),
            rows,
            d: self.d,
            c,
            f,
        });
    }
}

/// Rounds f64 centers (`m × d`) to f32.
fn to_f32(c: &[f64]) -> Vec<f32> {
    c.iter().map(|&v| v as f32).collect()
}

impl Layout for Flat32 {
    fn n(&self) -> usize {
        self.n
    }
    fn d(&self) -> usize {
        self.d
    }
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f64>) -> &'a [f64] {
        let base = (i / BLOCK) * BLOCK * self.d + i % BLOCK;
        buf.resize(self.d, 0.0);
        for (o, &v) in buf.iter_mut().zip(self.data[base..].iter().step_by(BLOCK)) {
            *o = v as f64;
        }
        buf
    }
    fn rows<'a>(&'a self, rows: Range<usize>, buf: &'a mut Vec<f64>) -> &'a [f64] {
        // A block at a time: each feature's lanes (contiguous) to their rows.
        let d = self.d;
        buf.resize(rows.len() * d, 0.0);
        let mut i = rows.start;
        while i < rows.end {
            let (b, r0) = (i / BLOCK, i % BLOCK);
            let r1 = BLOCK.min(r0 + rows.end - i);
            let blk = &self.data[b * BLOCK * d..(b + 1) * BLOCK * d];
            let out = &mut buf[(i - rows.start) * d..(i - rows.start + r1 - r0) * d];
            for (r, o) in (r0..r1).zip(out.chunks_exact_mut(d)) {
                for (o, col) in o.iter_mut().zip(blk.chunks_exact(BLOCK)) {
                    *o = col[r] as f64;
                }
            }
            i += r1 - r0;
        }
        buf
    }
    fn sums_in_assign(&self) -> bool {
        false
    }
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        self.run(Assign {
            blocks: self.blocks(&rows),
            d: self.d,
            c: &centers.prepared.c32,
            labels,
            part,
            accumulate,
        });
    }
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        let c = to_f32(c);
        let start = rows.start;
        let mut s = 0.0;
        self.per_row_distances(rows, &c, |i, _, v| {
            let v = v as f64;
            let slot = &mut closest[i - start];
            if init || v < *slot {
                *slot = v;
            }
            s += *slot;
        });
        s
    }
    fn potentials(
        &self,
        rows: Range<usize>,
        cands: &[f64],
        closest: &[f64],
        weights: Option<&[f64]>,
        pots: &mut [f64],
        mut closer: Option<&mut [u8]>,
    ) {
        // Each candidate's sum is its own chain over the rows in order.
        let start = rows.start;
        let c = to_f32(cands);
        pots.fill(0.0);
        if let Some(out) = closer.as_deref_mut() {
            out.fill(0);
        }
        self.per_row_distances(rows, &c, |i, j, v| {
            let v = v as f64;
            if let Some(out) = closer.as_deref_mut() {
                out[i - start] |= ((v < closest[i - start]) as u8) << (j % 8);
            }
            let m = v.min(closest[i - start]);
            pots[j] += match weights {
                Some(w) => w[i - start] * m,
                None => m,
            };
        });
    }
    fn name(&self) -> &'static str {
        "flat-f32"
    }
    fn canonical_f64(&self) -> bool {
        false
    }
    fn seeding_keeps_closer_rows(&self) -> bool {
        true
    }
}
