//! The kernels of the f32 layout ([`crate::layout::flat32`], `--precision f32`): f32
//! distances with twice the SIMD lanes of f64, f64 sums.
//!
//! Rows are stored in blocks of [`BLOCK`] rows, feature-major inside a block, so one
//! vector holds one feature of 16, 8 or 4 consecutive rows and no transposition
//! happens per iteration. The distance is [`crate::distance::dist2_f32`], one row per
//! lane: every instruction set performs the same IEEE operations per lane (a
//! subtraction and a fused multiply-add), so labels are identical on every level.

use crate::accum::{Partial, TILE};
use pulp::{Simd, WithSimd};
use std::ops::Range;

/// Rows per storage block (the widest vector: 16 f32 lanes of AVX-512).
pub const BLOCK: usize = 16;

/// Storage blocks per row group of the assignment's cache-blocked loop (128 rows;
/// one tile of centers runs against the whole group before the next).
pub const GROUP: usize = 8;

/// f32 distances of the rows of `blocks` (`rows`) to the centers of `c` (`m × d`),
/// handed to `f(row, center, value)` block by block, center by center.
pub(crate) struct Distances<'a, F> {
    /// The blocks holding `rows`.
    pub(crate) blocks: &'a [f32],
    /// The rows (block-aligned start).
    pub(crate) rows: Range<usize>,
    /// Dimension.
    pub(crate) d: usize,
    /// The centers in f32, `m × d` row-major.
    pub(crate) c: &'a [f32],
    /// Receives `(row, center, distance)`.
    pub(crate) f: F,
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

/// [`add_block_rows`] compiled on its own, for the AVX-512 level with d ≥ 8: inlined
/// into that kernel, the compiler vectorizes a row's strided reads with gathers,
/// which are slow (the pass then ran slower at AVX-512 than at AVX2). Below d = 8
/// (where the gathered loop is not entered) and at the other levels the inlined loop
/// is faster.
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
pub(crate) struct Assign<'a> {
    /// The blocks holding the rows.
    pub(crate) blocks: &'a [f32],
    /// Dimension.
    pub(crate) d: usize,
    /// Tiled f32 centers (`Prepared::c32`).
    pub(crate) c: &'a [f32],
    /// One label per row (previous labels on entry).
    pub(crate) labels: &'a mut [u32],
    /// Changed count and sums.
    pub(crate) part: &'a mut Partial,
    /// Whether to add each row into its cluster's sums.
    pub(crate) accumulate: bool,
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
            ..
        } = part;
        let sums: &mut [f64] = sums;
        let counts: &mut [f64] = counts;
        let mut n_changed = 0;
        // Cache-blocked: GROUP storage blocks of rows at a time, each tile of centers
        // run against all of them before the next tile (the tile then comes from L1
        // and the rows from L2, instead of every center from L3 once per 16 rows at
        // large k·d). Each lane's argmin sees the tiles in the same order as one
        // block at a time, so the labels are the same.
        let c_tiles = c.len() / (TILE * d);
        let group_blocks = if c_tiles > 1 { GROUP } else { 1 };
        let mut best = [simd.splat_f32s(f32::INFINITY); GROUP * BLOCK];
        let mut arg = [simd.splat_u32s(0); GROUP * BLOCK];
        let n = labels.len();
        let nblocks = n.div_ceil(BLOCK);
        let mut b0 = 0;
        while b0 < nblocks {
            let b1 = (b0 + group_blocks).min(nblocks);
            let nb = b1 - b0;
            best[..nb * groups].fill(simd.splat_f32s(f32::INFINITY));
            arg[..nb * groups].fill(simd.splat_u32s(0));
            for (tile, ct) in c.chunks_exact(TILE * d).enumerate() {
                for b in 0..nb {
                    let blk = &blocks[(b0 + b) * BLOCK * d..(b0 + b + 1) * BLOCK * d];
                    let (bv, _) = S::as_simd_f32s(blk);
                    for g in 0..groups {
                        let mut acc = [simd.splat_f32s(0.0); TILE];
                        for (x, cs) in bv.iter().skip(g).step_by(groups).zip(ct.chunks_exact(TILE))
                        {
                            let cs: &[f32; TILE] = cs.try_into().expect("a tile row");
                            for (a, &cv) in acc.iter_mut().zip(cs) {
                                let diff = simd.sub_f32s(*x, simd.splat_f32s(cv));
                                *a = simd.mul_add_f32s(diff, diff, *a);
                            }
                        }
                        let (bs, ar) = (&mut best[b * groups + g], &mut arg[b * groups + g]);
                        for (jj, a) in acc.iter().enumerate() {
                            let lt = simd.less_than_f32s(*a, *bs);
                            *bs = simd.select_f32s(lt, *a, *bs);
                            *ar = simd.select_u32s(
                                lt,
                                simd.splat_u32s((tile * TILE + jj) as u32),
                                *ar,
                            );
                        }
                    }
                }
            }
            for b in 0..nb {
                let blk = &blocks[(b0 + b) * BLOCK * d..(b0 + b + 1) * BLOCK * d];
                let lab = &mut labels[(b0 + b) * BLOCK..((b0 + b + 1) * BLOCK).min(n)];
                let (lv, _) = S::as_mut_simd_u32s(&mut out[..]);
                for (g, lo) in lv.iter_mut().enumerate().take(groups) {
                    *lo = arg[b * groups + g];
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
            b0 = b1;
        }
        *changed += n_changed;
    }
}
