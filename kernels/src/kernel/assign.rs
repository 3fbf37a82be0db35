//! The portable SIMD assignment, written once over [`pulp::Simd`] (no `unsafe`),
//! dispatched by [`super::isa::dispatch`]: the tile loops over a block of rows.
//!
//! Vectorized over centers: the centers are kept transposed (`d × kp`, `kp` = k
//! rounded up to [`PAD`](crate::accum::PAD)), so one broadcast of `x[r][t]` meets a
//! vector of `L` centers. A register tile of `R` rows × `NV` center vectors (as a BLIS
//! micro-kernel; with 8 lanes and the expanded form `R` = 12, 10, 8 or 6 for 1, 2, 3 or
//! 4 vectors, otherwise [`MR`] rows × 2 vectors; the last tile of a row block has the
//! exact width of the remaining vectors, see [`super::tile`]) runs over `t`, then a
//! vectorized running argmin (best, its index, and the second best per lane,
//! [`super::argmin`]) consumes the tile. The rows are prefetched
//! [`PREFETCH_BYTES`] ahead. With 8 lanes, k ≤ 8 and the expanded form (one center
//! vector holds every center), the argmin of eight rows is taken at once by a network
//! of lane selects and rotations ([`super::net`]) rather than one horizontal reduction
//! per row. Two forms:
//!
//! * **direct** (`d ≤ DIRECT_MAX_D`): each lane computes the squared differences with a
//!   separate multiply and add and sums them as `(s0 + s2) + (s1 + s3)` — bit for bit
//!   the canonical [`dist2`](crate::distance::dist2) for d ≤ 4, so labels are exact
//!   with no re-check. For tiny d the work per row is a handful of vector ops, and
//!   nothing is wasted on padding `d`.
//! * **expanded** (larger d): `score_j = ‖c_j‖² − 2 x·c_j` with FMAs (`‖x‖²` is the
//!   same for every j), a third of the direct form's operations. Rounding could flip
//!   a near-tie, so when the gap between the best and second-best score is not larger
//!   than a bound on the rounding error of both forms (`Margin::scores` in
//!   [`crate::distance`]), the row is re-assigned with the canonical
//!   [`dist2`](crate::distance::dist2) over all centers. Labels are therefore always
//!   the canonical ones.
//!
//! The sums are added per group of rows once their labels are known ([`super::sums`]).

// Register tiles index `acc[r][v]` with constant bounds; index loops say what the
// micro-kernel does more plainly than iterator chains.
#![allow(clippy::needless_range_loop)]

use super::argmin::{Best, Finish, IOTA};
use super::net::{lanes8, LANES8_ROWS};
use super::prefetch::{prefetch_lines, PREFETCH_BYTES};
use super::sums::{add_rows, SUM_GROUP_BYTES};
use super::tile::{single, tiles, Out, Tables};
use super::{Assign, Order};
use crate::accum::PANEL;
use crate::distance::Margin;
use pulp::{Simd, WithSimd};

/// Rows per register tile with fewer than 8 lanes (16 registers on AVX2) and in the
/// direct form (two accumulators per tile entry).
pub const MR: usize = 4;
/// Largest d that uses the direct form (the crossover with the expanded form, see
/// BENCHMARKS.md).
pub const DIRECT_MAX_D: usize = 4;

impl WithSimd for Assign<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let lanes = S::F64_LANES;
        // The direct form keeps two sums per tile entry (even and odd features):
        // 4 × 4 × 2 accumulators would spill on 32 registers, so it uses NV = 2.
        if lanes >= 8 && self.d > DIRECT_MAX_D {
            run::<S, 4>(simd, self)
        } else {
            run::<S, 2>(simd, self)
        }
    }
}

#[inline(always)]
fn run<S: Simd, const NV: usize>(simd: S, a: Assign<'_>) {
    // Taller tiles where the registers allow (32 vector registers at 8 lanes, expanded
    // form): 12, 10, 8 rows when the centers take 1, 2, 3 vectors, 6 rows with 4
    // vectors per tile (12 to 24 accumulators). More rows share each center load and
    // give more independent FMA chains (two FMA pipes with a 4-cycle latency need 8),
    // and the per-tile work is spread over more rows (4-row tiles, as with fewer
    // registers, were markedly slower here).
    if S::F64_LANES == 8
        && a.d > DIRECT_MAX_D
        && a.prep.k > 1
        && a.prep.k <= 8
        && a.second.is_none()
    {
        // Rows of whole vectors with the width known at compile time: the previous
        // tile's sums are spread through this tile's FMA loop (see `lanes8`).
        let rest = match a.d {
            8 => lanes8::<S, LANES8_ROWS, NV, 8>(simd, a),
            16 => lanes8::<S, LANES8_ROWS, NV, 16>(simd, a),
            24 => lanes8::<S, LANES8_ROWS, NV, 24>(simd, a),
            32 => lanes8::<S, LANES8_ROWS, NV, 32>(simd, a),
            64 => lanes8::<S, LANES8_ROWS, NV, 64>(simd, a),
            _ => lanes8::<S, LANES8_ROWS, NV, 0>(simd, a),
        };
        if let Some(rest) = rest {
            run_rows::<S, 12, NV>(simd, rest);
        }
        return;
    }
    if S::F64_LANES >= 8 && a.d > DIRECT_MAX_D {
        match a.prep.k.div_ceil(S::F64_LANES) {
            1 => run_rows::<S, 12, NV>(simd, a),
            2 => run_rows::<S, 10, NV>(simd, a),
            3 => run_rows::<S, 8, NV>(simd, a),
            _ => run_rows::<S, 6, NV>(simd, a),
        }
    } else {
        run_rows::<S, MR, NV>(simd, a)
    }
}

#[inline(always)]
pub(crate) fn run_rows<S: Simd, const R: usize, const NV: usize>(simd: S, a: Assign<'_>) {
    let Assign {
        x,
        d,
        centers,
        prep,
        labels,
        part,
        accumulate,
        xmax,
        mut second,
        order,
    } = a;
    let k = prep.k;
    let n = labels.len();
    let direct = d <= DIRECT_MAX_D;
    let (ct, _) = S::as_simd_f64s(&prep.ct);
    let (cnorm, _) = S::as_simd_f64s(&prep.cnorm);
    let (zinit, _) = S::as_simd_f64s(&prep.zinit);
    let kpv = prep.kp / S::F64_LANES;
    // Vectors that hold real centers: the padding to 8 is for the widest ISA; with
    // fewer lanes the all-padding vectors at the end are skipped (their scores would
    // be +inf anyway), so k = 2 on NEON costs one vector, not four.
    let nvec = k.div_ceil(S::F64_LANES);
    let iota = simd.partial_load_f64s(&IOTA[..S::F64_LANES]);
    let bound = Margin::scores(d, xmax, prep.cmax);

    let ctx = Finish {
        k,
        d,
        direct,
        bound,
        centers,
        one_vector: false,
    };
    let init = Best {
        best: simd.splat_f64s(f64::INFINITY),
        idx: simd.splat_f64s(0.0),
        second: simd.splat_f64s(f64::INFINITY),
    };
    let t = Tables {
        d,
        ct,
        cnorm,
        zinit,
        kpv,
        iota,
        direct,
        init,
    };
    // Rows go in groups of whole tiles; each group's rows are added into the sums
    // once its labels are known (`add_rows`, one call site). With one center vector
    // (k ≤ lanes, expanded form) every tile's rows are added right after the tile:
    // those sums' stores then drain while the next tile's FMA loop runs. At other
    // shapes one-tile groups were no better or slower, so they keep groups of
    // `SUM_GROUP_BYTES`. (With 8 lanes and k ≤ 8, `lanes8` takes that case over.)
    let group = if !direct && nvec == 1 {
        R
    } else {
        (SUM_GROUP_BYTES / (8 * d.max(1))).div_ceil(R).max(1) * R
    };
    // Vectors per center panel (see `crate::accum::PANEL`).
    let pv = (PANEL / S::F64_LANES).max(1);
    if order == Order::Blocked && !direct && k > 1 && nvec > pv {
        let out = Out {
            labels,
            second,
            part,
        };
        blocked::<S, R, NV>(simd, x, &t, &ctx, nvec, pv, out, accumulate);
        return;
    }
    // Prefetch distance in rows: about PREFETCH_BYTES ahead, at least one tile.
    let ahead = (PREFETCH_BYTES / (8 * d.max(1))).max(R);
    let mut i = 0;
    while i < n {
        let start = i;
        let end = (i + group).min(n);
        while i + R <= end {
            let from = ((i + ahead) * d).min(x.len());
            let to = ((i + ahead + R) * d).min(x.len());
            prefetch_lines(&x[from..to]);
            let rows: [&[f64]; R] = std::array::from_fn(|r| &x[(i + r) * d..(i + r + 1) * d]);
            if k > 1 && nvec <= NV {
                // One tile holds every center: each row's argmin is folded from the
                // tile's scores and finished right away, so no array of running argmins
                // (three vectors per row) goes through memory.
                let out = Out {
                    labels: &mut labels[i..i + R],
                    second: second.as_deref_mut().map(|s| &mut s[i..i + R]),
                    part: &mut *part,
                };
                match nvec {
                    1 => single::<S, R, 1>(simd, &rows, &t, &ctx, out),
                    2 => single::<S, R, 2>(simd, &rows, &t, &ctx, out),
                    3 if NV >= 3 => single::<S, R, 3>(simd, &rows, &t, &ctx, out),
                    _ => single::<S, R, NV>(simd, &rows, &t, &ctx, out),
                }
                i += R;
                continue;
            }
            let mut st = [init; R];
            if k > 1 {
                tiles::<S, R, NV>(simd, &rows, &t, 0, nvec, &mut st);
            }
            for r in 0..R {
                let lb = second.as_deref_mut().map(|s| &mut s[i + r]);
                ctx.finish::<S>(simd, &mut labels[i + r], rows[r], &st[r], part, lb);
            }
            i += R;
        }
        // Fewer than R rows left (only in the last group).
        while i < end {
            let rows: [&[f64]; 1] = [&x[i * d..(i + 1) * d]];
            let mut st = [init; 1];
            if k > 1 {
                tiles::<S, 1, NV>(simd, &rows, &t, 0, nvec, &mut st);
            }
            let lb = second.as_deref_mut().map(|s| &mut s[i]);
            ctx.finish::<S>(simd, &mut labels[i], rows[0], &st[0], part, lb);
            i += 1;
        }
        if accumulate {
            add_rows::<S>(simd, x, d, labels, start..end, part);
        }
    }
}

/// Register tiles per row block of the cache-blocked order.
pub const BLOCK_TILES: usize = 8;

/// The cache-blocked order (BLIS's loop around the micro-kernel): the rows go in
/// blocks of [`BLOCK_TILES`] register tiles; each center panel (`PANEL` centers,
/// `d × PANEL` contiguous, see [`crate::accum::PANEL`]) is run against every tile of
/// the block before the next panel, so a panel is read from memory once per block
/// and then from L1/L2, instead of the whole `k × d` centers once per tile. Each
/// row's running argmin (`Best`: three vectors) is kept across the panels, and the
/// rows are finished (rounding check, canonical re-check) once every panel has been
/// seen: the same scores folded in the same order as the tiled order, so the same
/// labels bit for bit.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn blocked<S: Simd, const R: usize, const NV: usize>(
    simd: S,
    x: &[f64],
    t: &Tables<'_, S>,
    ctx: &Finish<'_>,
    nvec: usize,
    pv: usize,
    out: Out<'_>,
    accumulate: bool,
) {
    let Out {
        labels,
        mut second,
        part,
    } = out;
    let d = t.d;
    let n = labels.len();
    let block = BLOCK_TILES * R;
    let mut st = [[t.init; R]; BLOCK_TILES];
    let mut start = 0;
    while start < n {
        let end = (start + block).min(n);
        let full = (end - start) / R;
        for tile in st.iter_mut().take(full) {
            *tile = [t.init; R];
        }
        let mut rest = [t.init; R];
        let tail = start + full * R;
        let mut p0 = 0;
        while p0 < nvec {
            let p1 = (p0 + pv).min(nvec);
            for (q, tile) in st.iter_mut().take(full).enumerate() {
                let i = start + q * R;
                let rows: [&[f64]; R] = std::array::from_fn(|r| &x[(i + r) * d..(i + r + 1) * d]);
                tiles::<S, R, NV>(simd, &rows, t, p0, p1, tile);
            }
            for (r, s) in rest.iter_mut().enumerate().take(end - tail) {
                let i = tail + r;
                let rows: [&[f64]; 1] = [&x[i * d..(i + 1) * d]];
                let mut one = [*s];
                tiles::<S, 1, NV>(simd, &rows, t, p0, p1, &mut one);
                *s = one[0];
            }
            p0 = p1;
        }
        for i in start..end {
            let q = i - start;
            let s = if i < tail {
                &st[q / R][q % R]
            } else {
                &rest[i - tail]
            };
            let lb = second.as_deref_mut().map(|v| &mut v[i]);
            ctx.finish::<S>(simd, &mut labels[i], &x[i * d..(i + 1) * d], s, part, lb);
        }
        if accumulate {
            add_rows::<S>(simd, x, d, labels, start..end, part);
        }
        start = end;
    }
}
