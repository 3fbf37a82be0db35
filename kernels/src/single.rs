//! Single precision (`--precision f32`): the data stored as f32, distances computed in
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
//! * **Distance** [`dist2_f32`]: `acc = fma(x_t − c_t, x_t − c_t, acc)` in f32 over
//!   `t = 0..d` in order, one row per SIMD lane. Every instruction set (AVX-512, AVX2,
//!   NEON, simd128, pulp's scalar backend) performs the same IEEE operations per lane
//!   (a subtraction and a fused multiply-add), so labels are identical on every level
//!   and thread count, as in f64.
//! * **Labels** are the argmin of [`dist2_f32`] with the centers rounded to f32,
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

use crate::data::Matrix;
use crate::kernel::{isa, KernelChoice};
use crate::layout::{Centers, Layout, Partial};
use pulp::{Simd, WithSimd};
use std::ops::Range;

/// Rows per storage block (the widest vector: 16 f32 lanes of AVX-512).
pub const BLOCK: usize = 16;

// Lloyd's and the seeding's chunks start on block boundaries.
const _: () = assert!(
    crate::lloyd::CHUNK_ROWS / BLOCK * BLOCK == crate::lloyd::CHUNK_ROWS
        && crate::init::SEED_CHUNK / BLOCK * BLOCK == crate::init::SEED_CHUNK
);

/// Centers per register tile of the assignment kernel.
pub const TILE: usize = 8;

/// Rounds `k × d` row-major centers to f32 into `out`, in the tiled order of
/// `Prepared::c32` (padding NaN). No allocation once `out` has its size.
pub(crate) fn tile_centers(centers: &[f64], k: usize, d: usize, out: &mut Vec<f32>) {
    out.clear();
    out.resize(k.div_ceil(TILE) * TILE * d, f32::NAN);
    for j in 0..k {
        for t in 0..d {
            out[((j / TILE) * d + t) * TILE + j % TILE] = centers[j * d + t] as f32;
        }
    }
}

/// The largest magnitude `--precision f32` accepts for `d` features: every squared
/// distance between such values stays below `f32::MAX`.
pub fn max_magnitude_f32(d: usize) -> f64 {
    (f32::MAX as f64 / (4.0 * d.max(1) as f64)).sqrt()
}

/// The f32 squared distance of one row to one center (both already rounded to f32):
/// the reference every f32 kernel reproduces bit for bit.
#[inline]
pub fn dist2_f32(x: &[f32], c: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for (a, b) in x.iter().zip(c) {
        let t = a - b;
        acc = t.mul_add(t, acc);
    }
    acc
}

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
        assert!(d > 0, "Flat32 needs at least one feature");
        assert_eq!(x.len(), n * d, "Flat32: shape does not match the values");
        let mut data = vec![0.0f32; n.div_ceil(BLOCK) * BLOCK * d];
        for (i, row) in x.chunks_exact(d).enumerate() {
            let base = (i / BLOCK) * BLOCK * d + i % BLOCK;
            for (t, v) in row.iter().enumerate() {
                data[base + t * BLOCK] = *v as f32;
            }
        }
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
            KernelChoice::Simd | KernelChoice::Auto => isa::dispatch(op),
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
        buf.clear();
        buf.extend((0..self.d).map(|t| self.data[base + t * BLOCK] as f64));
        buf
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

/// f32 distances of the rows of `blocks` (`rows`) to the centers of `c` (`m × d`),
/// handed to `f(row, center, value)` block by block, center by center.
struct Distances<'a, F> {
    blocks: &'a [f32],
    rows: Range<usize>,
    d: usize,
    c: &'a [f32],
    f: F,
}

impl<F: FnMut(usize, usize, f32)> WithSimd for Distances<'_, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Distances {
            blocks,
            rows,
            d,
            c,
            mut f,
        } = self;
        let groups = BLOCK / S::F32_LANES;
        let mut out = [0.0f32; BLOCK];
        for (b, blk) in blocks.chunks_exact(BLOCK * d).enumerate() {
            let (bv, _) = S::as_simd_f32s(blk);
            let i0 = rows.start + b * BLOCK;
            for (j, cj) in c.chunks_exact(d).enumerate() {
                let (ov, _) = S::as_mut_simd_f32s(&mut out[..]);
                for (g, o) in ov.iter_mut().enumerate().take(groups) {
                    let mut acc = simd.splat_f32s(0.0);
                    for (t, &ct) in cj.iter().enumerate() {
                        let diff = simd.sub_f32s(bv[t * groups + g], simd.splat_f32s(ct));
                        acc = simd.mul_add_f32s(diff, diff, acc);
                    }
                    *o = acc;
                }
                for (r, v) in out.iter().enumerate().take(rows.end.saturating_sub(i0)) {
                    f(i0 + r, j, *v);
                }
            }
        }
    }
}

/// Adds the rows of one block (feature-major, [`BLOCK`] rows) into their clusters'
/// f64 sums, row after row (so each sum receives its rows in row order).
#[inline(always)]
fn add_block_rows(blk: &[f32], labels: &[u32], d: usize, sums: &mut [f64], counts: &mut [f64]) {
    for (r, &l) in labels.iter().enumerate() {
        let l = l as usize;
        let s = &mut sums[l * d..(l + 1) * d];
        for (t, a) in s.iter_mut().enumerate() {
            *a += blk[t * BLOCK + r] as f64;
        }
        counts[l] += 1.0;
    }
}

/// [`add_block_rows`] compiled on its own, for the AVX-512 level: inlined into that
/// kernel, the compiler vectorized a row's strided reads with gathers, which are slow
/// here; the f32 pass at d = 32, k = 8 took 5.8 ms at AVX-512 against 3.4 ms at AVX2
/// (`assign_probe`, `KMEANS_PROBE_F32=1`), 3.7 ms with this; d = 32, k = 32 8.6 →
/// 6.5 ms. Below d = 8 (where the gathered loop is not entered) and at the other
/// levels the inlined loop is faster (d = 2, k = 8: 0.91 against 1.0 ms; AVX2 at
/// d = 32, k = 8: 3.4 against 3.9 ms).
#[inline(never)]
fn add_block_rows_out_of_line(
    blk: &[f32],
    labels: &[u32],
    d: usize,
    sums: &mut [f64],
    counts: &mut [f64],
) {
    add_block_rows(blk, labels, d, sums, counts)
}

/// The assignment step over the rows of `blocks` (`labels.len()` rows): the f32 argmin
/// of each row (lowest index on ties), [`TILE`] centers at a time in registers (`c` in
/// the tiled order of `Prepared::c32`);
/// changed labels counted; each row added to `part` in row order (f64) when
/// `accumulate`.
struct Assign<'a> {
    blocks: &'a [f32],
    d: usize,
    /// Tiled f32 centers (`Prepared::c32`).
    c: &'a [f32],
    labels: &'a mut [u32],
    part: &'a mut Partial,
    accumulate: bool,
}

impl WithSimd for Assign<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Assign {
            blocks,
            d,
            c,
            labels,
            part,
            accumulate,
        } = self;
        let groups = BLOCK / S::F32_LANES;
        let mut out = [0u32; BLOCK];
        // Plain slices, so the buffers' addresses and lengths stay in registers (through
        // `part`, every store to a sum could have changed them).
        let Partial {
            sums,
            counts,
            changed,
        } = part;
        let sums: &mut [f64] = sums;
        let counts: &mut [f64] = counts;
        let mut n_changed = 0;
        for (blk, lab) in blocks.chunks_exact(BLOCK * d).zip(labels.chunks_mut(BLOCK)) {
            let (bv, _) = S::as_simd_f32s(blk);
            let (lv, _) = S::as_mut_simd_u32s(&mut out[..]);
            for (g, lo) in lv.iter_mut().enumerate().take(groups) {
                let mut best = simd.splat_f32s(f32::INFINITY);
                let mut arg = simd.splat_u32s(0);
                for (tile, ct) in c.chunks_exact(TILE * d).enumerate() {
                    let mut acc = [simd.splat_f32s(0.0); TILE];
                    for (x, cs) in bv.iter().skip(g).step_by(groups).zip(ct.chunks_exact(TILE)) {
                        let cs: &[f32; TILE] = cs.try_into().expect("a tile row");
                        for (a, &cv) in acc.iter_mut().zip(cs) {
                            let diff = simd.sub_f32s(*x, simd.splat_f32s(cv));
                            *a = simd.mul_add_f32s(diff, diff, *a);
                        }
                    }
                    for (jj, a) in acc.iter().enumerate() {
                        let lt = simd.less_than_f32s(*a, best);
                        best = simd.select_f32s(lt, *a, best);
                        arg = simd.select_u32s(lt, simd.splat_u32s((tile * TILE + jj) as u32), arg);
                    }
                }
                *lo = arg;
            }
            for (slot, &l) in lab.iter_mut().zip(&out) {
                if *slot != l {
                    n_changed += 1;
                    *slot = l;
                }
            }
            if accumulate {
                let labels = &out[..lab.len()];
                if S::F32_LANES >= 16 && d >= 8 {
                    add_block_rows_out_of_line(blk, labels, d, sums, counts);
                } else {
                    add_block_rows(blk, labels, d, sums, counts);
                }
            }
        }
        *changed += n_changed;
    }
}
