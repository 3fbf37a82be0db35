//! The portable SIMD assignment and seeding kernels, written once over
//! [`pulp::Simd`] (no `unsafe`), dispatched by [`super::isa::dispatch`].
//!
//! **Assignment.** Vectorized over centers: the centers are kept transposed
//! (`d × kp`, `kp` = k rounded up to [`PAD`]), so one broadcast of `x[r][t]` meets a
//! vector of `L` centers. A register tile of `R` rows × `NV` center vectors (as a BLIS
//! micro-kernel; with 8 lanes and the expanded form `R` = 12, 10, 8 or 6 for 1, 2, 3 or
//! 4 vectors, otherwise [`MR`] rows × 2 vectors; the last tile of a row block has the
//! exact width of the remaining vectors) runs over `t`, then a vectorized running
//! argmin (best, its index, and the second best per lane) consumes the tile. The rows
//! are prefetched [`PREFETCH_BYTES`] ahead. With 8 lanes, k ≤ 8 and the expanded form
//! (one center vector holds every center), tiles are [`LANES8_ROWS`] rows and the
//! argmin of eight rows is taken at once by a network of lane selects and rotations
//! ([`lanes8`]) rather than one horizontal reduction per row; at row widths known at
//! compile time (8, 16, 24, 32, 64) each tile's rows are added into the sums inside
//! the next tile's FMA loop, where the core overlaps those loads and stores with the
//! FMAs (after the tile it hardly did). Two forms:
//!
//! * **direct** (`d ≤ DIRECT_MAX_D`): each lane computes the squared differences with a
//!   separate multiply and add and sums them as `(s0 + s2) + (s1 + s3)` — bit for bit
//!   the canonical [`dist2`](crate::layout::dist2) for d ≤ 4, so labels are exact with
//!   no re-check. For tiny d the work per
//!   row is a handful of vector ops, and nothing is wasted on padding `d`.
//! * **expanded** (larger d): `score_j = ‖c_j‖² − 2 x·c_j` with FMAs (`‖x‖²` is the
//!   same for every j), a third of the direct form's operations. Rounding could flip
//!   a near-tie, so when the gap between the best and second-best score is not larger
//!   than a bound on the rounding error of both forms ([`margin`]), the row is
//!   re-assigned with the canonical [`dist2`](crate::layout::dist2) over all centers. Labels are therefore
//!   always the canonical ones.
//!
//! **Seeding** (k-means++ distance updates). These need the distance *values*, which
//! feed sums and sampling, bit-identical to the canonical ones (so both layouts
//! choose the same centers). The canonical distance is defined so that a vector
//! computes it along the row ([`canonical_dist2`]: eight partial sums, one per
//! feature residue mod 8, and a fixed tree), so rows are read as they are stored, and
//! each candidate's potential is summed over rows in row order.

// Register tiles index `acc[r][v]` with constant bounds; index loops say what the
// micro-kernel does more plainly than iterator chains.
#![allow(clippy::needless_range_loop)]

use super::Prepared;
use crate::layout::{combine, nearest, Partial, PARTIALS};
use pulp::{Simd, WithSimd};

/// Rows per register tile with fewer than 8 lanes (16 registers on AVX2) and in the
/// direct form (two accumulators per tile entry).
pub const MR: usize = 4;
/// Centers are padded to a multiple of this (the widest vector: 8 f64 lanes).
pub const PAD: usize = 8;
/// Largest d that uses the direct form (chosen by measurement, see BENCHMARKS.md).
pub const DIRECT_MAX_D: usize = 4;

/// How far ahead (bytes) the assignment kernel prefetches its rows.
pub const PREFETCH_BYTES: usize = 8192;

const IOTA: [f64; 8] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];

/// Bound on the rounding error of the expanded score difference plus that of the
/// canonical distances, for rows with `‖x‖² ≤ xmax` and centers with
/// `‖c‖² ≤ cmax`: `8 (d + 2) ε (xmax + cmax)` plus an absolute term for underflow.
/// (Both dot products have error `≤ γ_d ‖x‖‖c‖`; the canonical sum `≤ γ_d · dist`,
/// and `dist ≤ 2 (‖x‖² + ‖c‖²)`; 8 covers all four terms with room to spare.)
#[inline]
pub fn margin(d: usize, xmax: f64, cmax: f64) -> f64 {
    8.0 * (d as f64 + 2.0) * f64::EPSILON * (xmax + cmax) + (d as f64 + 2.0) * 1e-300
}

/// The assignment of one block of rows.
pub struct Assign<'a> {
    pub x: &'a [f64],
    pub d: usize,
    pub centers: &'a [f64],
    pub prep: &'a Prepared,
    pub labels: &'a mut [u32],
    pub part: &'a mut Partial,
    pub accumulate: bool,
    /// Largest squared row norm of the data set (for the expanded form's margin).
    pub xmax: f64,
    /// When given, receives per row a lower bound on the squared distance from the
    /// row to every center other than its label (Hamerly's lower bound): the
    /// second-best canonical distance in the direct form; in the expanded form
    /// `‖x‖² + second score − margin` (or `+ best score − margin` after a re-check).
    pub second: Option<&'a mut [f64]>,
}

impl Assign<'_> {
    /// The same assignment for the rows from `first` on.
    fn rows_from(self, first: usize) -> Self {
        let Assign {
            x,
            d,
            labels,
            second,
            ..
        } = self;
        Assign {
            x: &x[first * d..],
            labels: &mut labels[first..],
            second: second.map(|s| &mut s[first..]),
            ..self
        }
    }
}

/// Per-row running argmin state, one vector of each.
#[derive(Clone, Copy)]
struct Best<V> {
    best: V,
    idx: V,
    second: V,
}

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
    // and the per-tile work is spread over more rows. Measured against 4-row tiles
    // (`examples/assign_probe`, n = 262,144, one thread, AVX-512): d = 16, k = 16
    // 5.9 → 3.5 ms; d = 32, k = 16 7.0 → 5.0 ms; d = 32, k = 32 9.4 → 8.1 ms.
    if S::F64_LANES == 8
        && a.d > DIRECT_MAX_D
        && a.prep.k > 1
        && a.prep.k <= 8
        && a.second.is_none()
    {
        // Rows of whole vectors with the width known at compile time: the previous
        // tile's sums are spread through this tile's FMA loop (see `lanes8`).
        return match a.d {
            8 => lanes8::<S, LANES8_ROWS, NV, 8>(simd, a),
            16 => lanes8::<S, LANES8_ROWS, NV, 16>(simd, a),
            24 => lanes8::<S, LANES8_ROWS, NV, 24>(simd, a),
            32 => lanes8::<S, LANES8_ROWS, NV, 32>(simd, a),
            64 => lanes8::<S, LANES8_ROWS, NV, 64>(simd, a),
            _ => lanes8::<S, LANES8_ROWS, NV, 0>(simd, a),
        };
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

/// Rows per register tile of [`lanes8`] (a multiple of 8). Eight rows give the two
/// FMA pipes the eight independent chains they need; 16 rows were slower
/// (`examples/assign_probe`, d = 32, k = 8: 2.77 against 2.54 ms).
pub const LANES8_ROWS: usize = 8;

/// Eight-lane constants of [`lanes8`]'s argmin network, built once per block.
struct Net<S: Simd> {
    /// Stage 1, shift σ = 0..3: lanes `σ .. σ + 3` (mod 8).
    m1: [S::m64s; 4],
    /// Stage 2, shift τ = 0, 1: lanes `τ, τ + 1, τ + 4, τ + 5`.
    m2: [S::m64s; 2],
    /// Stage 3: the even lanes.
    m3: S::m64s,
    iota: S::f64s,
    /// `iota` rotated by four lanes: `4 5 6 7 0 1 2 3`.
    iota4: S::f64s,
}

impl<S: Simd> Net<S> {
    fn new(simd: S) -> Self {
        let mask = |f: &dyn Fn(usize) -> bool| {
            let v: [f64; 8] = std::array::from_fn(|j| if f(j) { 1.0 } else { 0.0 });
            simd.less_than_f64s(simd.splat_f64s(0.5), simd.partial_load_f64s(&v))
        };
        let iota = simd.partial_load_f64s(&IOTA);
        Net {
            m1: std::array::from_fn(|s| mask(&|j| (j + 8 - s) % 8 < 4)),
            m2: std::array::from_fn(|s| mask(&|j| (j + 8 - s) % 4 < 2)),
            m3: mask(&|j| j % 2 == 0),
            iota,
            iota4: simd.rotate_left_f64s(iota, 4),
        }
    }
}

/// The assignment with k ≤ 8 centers in one 8-lane vector (AVX-512, expanded form,
/// no Hamerly bound): the scores of a tile of `R` rows as in [`single`], then the
/// argmin of eight rows at a time by a network of lane selects and rotations (three
/// stages, each halving the centers a lane stands for, eight rows sharing the
/// vectors; [`argmin8`]) instead of one horizontal reduction per row. The same
/// labels as [`single`]: a row whose best is not more than the rounding bound below
/// its second best goes to the canonical re-check, like [`decide`]. The last rows
/// (fewer than a tile) go through [`run_rows`].
///
/// `D`: the row width when it is known at compile time (8, 16, 24, 32 or 64; 0 for
/// any other width, read at run time). Then each tile's rows are added into the sums
/// during the next tile's FMA loop, one row after each eighth of its features, and
/// the last tile's after the loop: the same additions in the same order as adding
/// each tile right after it, so the same bits.
#[inline(always)]
fn lanes8<S: Simd, const R: usize, const NV: usize, const D: usize>(simd: S, mut a: Assign<'_>) {
    const { assert!(R.is_multiple_of(8)) };
    debug_assert!(D == 0 || (D == a.d && D.is_multiple_of(8)));
    let d = if D > 0 { D } else { a.d };
    let n = a.labels.len();
    let full = n / R * R;
    {
        let Assign {
            x,
            centers,
            prep,
            ref mut labels,
            ref mut part,
            accumulate,
            xmax,
            ..
        } = a;
        let (ct, _) = S::as_simd_f64s(&prep.ct[..d * 8]);
        let c0 = S::as_simd_f64s(&prep.cnorm[..8]).0[0];
        let bound = margin(d, xmax, prep.cmax);
        let net = Net::<S>::new(simd);
        let ahead = (PREFETCH_BYTES / (8 * d)).max(R);
        let m2 = simd.splat_f64s(-2.0);
        // With `D` known, the previous tile's rows are added into the sums inside this
        // tile's FMA loop, one row after each eighth of the features, instead of after
        // the tile (the same additions in the same order). Adding them after the tile,
        // the core ran the sums' loads and stores beside the FMAs hardly at all (they
        // cost as much as alone); spread, they overlap. `assign_probe`, n = 262,144,
        // one thread, same minute, medians: d = 32, k = 8 2.52–2.55 → 2.30–2.33 ms;
        // d = 64 5.5–5.7 → 4.2–4.5; d = 16 and 24 −3 %; d = 8 −2 %. With a runtime
        // `d` the row pointers spill and the same spreading was slower (3.2 against
        // 2.5 ms). The sums are borrowed per tile: borrowed once per block, d = 8 ran
        // 2 % slower than before.
        let spread = D > 0 && accumulate;
        let mut changed = 0;
        let mut i = 0;
        while i < full {
            let from = ((i + ahead) * d).min(x.len());
            let to = ((i + ahead + R) * d).min(x.len());
            super::prefetch::prefetch_lines(&x[from..to]);
            let block = &x[i * d..(i + R) * d];
            let rows: [&[f64]; R] = std::array::from_fn(|r| &block[r * d..(r + 1) * d]);
            // `scores::<S, R, 1>` computes the same, but through it (its runtime form
            // test, `kpv` stride and row-length checks) d = 8, k = 8 ran 10 % slower
            // (`assign_probe`: 0.96–0.98 against 0.86–0.89 ms).
            let mut acc = [simd.splat_f64s(0.0); R];
            if D > 0 {
                let ct = &ct[..D];
                let (sums, counts) = (&mut part.sums[..], &mut part.counts[..]);
                for q in 0..R {
                    for t in q * D / R..(q + 1) * D / R {
                        for r in 0..R {
                            let b = simd.splat_f64s(block[r * D + t]);
                            acc[r] = simd.mul_add_f64s(b, ct[t], acc[r]);
                        }
                    }
                    if spread && i > 0 {
                        let j = i - R + q;
                        add_row::<S, D>(simd, &x[j * D..(j + 1) * D], labels[j], sums, counts);
                    }
                }
            } else {
                for (t, c) in ct.iter().enumerate() {
                    for r in 0..R {
                        acc[r] = simd.mul_add_f64s(simd.splat_f64s(rows[r][t]), *c, acc[r]);
                    }
                }
            }
            for a in acc.iter_mut() {
                *a = simd.mul_add_f64s(m2, *a, c0);
            }
            for g in 0..R / 8 {
                let s: &[S::f64s; 8] = (&acc[g * 8..g * 8 + 8]).try_into().unwrap();
                let best = argmin8(simd, &net, s);
                let gap = simd.sub_f64s(best.second, best.best);
                let sure = mask_bits::<S>(&simd.less_than_f64s(simd.splat_f64s(bound), gap));
                let idx: &[f64] = bytemuck::cast_slice(std::slice::from_ref(&best.idx));
                for r in 0..8 {
                    let row = g * 8 + r;
                    let j = if sure >> r & 1 != 0 {
                        small_index(idx[r])
                    } else {
                        recheck(rows[row], centers, d)
                    } as u32;
                    let l = &mut labels[i + row];
                    if *l != j {
                        changed += 1;
                        *l = j;
                    }
                }
            }
            if accumulate && !spread {
                add_rows::<S>(simd, x, d, labels, i..i + R, part);
            }
            i += R;
        }
        if spread && full > 0 {
            add_rows::<S>(simd, x, d, labels, full - R..full, part);
        }
        part.changed += changed;
    }
    if full < n {
        run_rows::<S, 12, NV>(simd, a.rows_from(full));
    }
}

/// Argmin of eight rows' scores (`s[r]`: row `r`'s scores, center `j` in lane `j`),
/// lane `r` of the result for row `r`: best score, its center, and the second-best
/// score (equal to the best on a tie). Three stages; in each, two states are split
/// by a lane mask and one half is rotated onto the other, so that every lane meets
/// another lane of the same row (stage 1 pairs centers `j` and `j + 4`, stage 2
/// lanes two apart, stage 3 neighbours). The rows' placement (rows `p`, `q` on the
/// lane ranges `σ .. σ + 3` and the rest in stage 1, shifted so that stage 2 and 3's
/// rotations stay within a row) ends with row `r` on lane `r`. Which of two equal
/// scores is kept is not defined: a tie makes the second best equal the best, so the
/// row is re-checked anyway.
#[inline(always)]
fn argmin8<S: Simd>(simd: S, net: &Net<S>, s: &[S::f64s; 8]) -> Best<S::f64s> {
    let first = |p: usize, q: usize, sh: usize| {
        let m = net.m1[sh];
        let x = simd.select_f64s(m, s[p], s[q]);
        let y = simd.rotate_left_f64s(simd.select_f64s(m, s[q], s[p]), 4);
        let lt = simd.less_than_f64s(y, x);
        Best {
            best: simd.min_f64s(x, y),
            idx: simd.select_f64s(lt, net.iota4, net.iota),
            second: simd.max_f64s(x, y),
        }
    };
    let w = pair8(simd, net.m2[0], 2, &first(0, 4, 0), &first(2, 6, 2));
    let v = pair8(simd, net.m2[1], 2, &first(1, 5, 1), &first(3, 7, 3));
    pair8(simd, net.m3, 1, &w, &v)
}

/// One stage of [`argmin8`]: `a` on the lanes of `m`, `b` on the others, each lane
/// merged with the lane `rot` to its right (rotated left).
#[inline(always)]
fn pair8<S: Simd>(
    simd: S,
    m: S::m64s,
    rot: usize,
    a: &Best<S::f64s>,
    b: &Best<S::f64s>,
) -> Best<S::f64s> {
    let split = |u: S::f64s, v: S::f64s| {
        (
            simd.select_f64s(m, u, v),
            simd.rotate_left_f64s(simd.select_f64s(m, v, u), rot),
        )
    };
    let (xb, yb) = split(a.best, b.best);
    let (xi, yi) = split(a.idx, b.idx);
    let (xs, ys) = split(a.second, b.second);
    let lt = simd.less_than_f64s(yb, xb);
    Best {
        best: simd.min_f64s(xb, yb),
        idx: simd.select_f64s(lt, yi, xi),
        second: simd.min_f64s(simd.min_f64s(xs, ys), simd.max_f64s(xb, yb)),
    }
}

#[inline(always)]
fn run_rows<S: Simd, const R: usize, const NV: usize>(simd: S, a: Assign<'_>) {
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
    let bound = margin(d, xmax, prep.cmax);

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
    // those sums' stores then drain while the next tile's FMA loop runs (measured at
    // AVX-512 before `lanes8` took that case over there: d = 32, k = 8 2.82 → 2.63 ms,
    // d = 8, k = 8 1.26 → 1.16 ms; at other shapes one-tile groups were no better or
    // slower, e.g. d = 2, k = 8 0.98 → 1.08 ms, so they keep the 128 KiB groups).
    // `lanes8` adds per tile too, or in the next tile's FMA loop; this serves AVX2, NEON.
    let group = if !direct && nvec == 1 {
        R
    } else {
        (SUM_GROUP_BYTES / (8 * d.max(1))).div_ceil(R).max(1) * R
    };
    // Prefetch distance in rows: about PREFETCH_BYTES ahead, at least one tile.
    let ahead = (PREFETCH_BYTES / (8 * d.max(1))).max(R);
    let mut i = 0;
    while i < n {
        let start = i;
        let end = (i + group).min(n);
        while i + R <= end {
            let from = ((i + ahead) * d).min(x.len());
            let to = ((i + ahead + R) * d).min(x.len());
            super::prefetch::prefetch_lines(&x[from..to]);
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
                tiles::<S, R, NV>(simd, &rows, &t, nvec, &mut st);
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
                tiles::<S, 1, NV>(simd, &rows, &t, nvec, &mut st);
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

/// Rows are added into their clusters' sums in groups of about this many bytes (whole
/// register tiles), in a separate loop once the group's labels are known, while the
/// rows are still in cache. (With one center vector the groups are one tile, see
/// `run_rows`.)
pub const SUM_GROUP_BYTES: usize = 128 * 1024;

/// Adds rows `rows` of the block into their clusters' sums, in row order (the order
/// of the additions into each cluster is the same as adding each row as it is
/// labelled, so the sums are bit-identical). A tight loop of its own: interleaved
/// with the tiles (the accumulation inside [`Finish::finish`] before), the adds
/// cost ~40 % of a d = 32, k = 8 pass; here ~25 % less time in all
/// (`examples/assign_probe`, n = 262,144, one thread, AVX-512: d = 32, k = 8
/// 4.5 → 3.8 ms; d = 32, k = 32 9.1 → 7.7 ms).
#[inline(always)]
fn add_rows<S: Simd>(
    simd: S,
    x: &[f64],
    d: usize,
    labels: &[u32],
    rows: std::ops::Range<usize>,
    part: &mut Partial,
) {
    if d == 0 {
        labels[rows].iter().for_each(|&l| part.add(l as usize, &[]));
        return;
    }
    // Plain slices, so the buffers' addresses and lengths stay in registers (through
    // `part`, every store to a count could have changed them).
    add_rows_to::<S>(simd, x, d, labels, rows, &mut part.sums, &mut part.counts)
}

/// [`add_rows`] into plain slices (`d > 0`). Its own function only for the code it
/// makes: folded back into `add_rows`, d = 32, k = 8 read 2–4 % slower in three
/// same-minute `assign_probe` A/Bs (medians 2.40–2.49 against 2.35–2.45 ms).
#[inline(always)]
fn add_rows_to<S: Simd>(
    simd: S,
    x: &[f64],
    d: usize,
    labels: &[u32],
    rows: std::ops::Range<usize>,
    sums: &mut [f64],
    counts: &mut [f64],
) {
    let labels = &labels[rows.clone()];
    let x = &x[rows.start * d..rows.end * d];
    // Rows of 1 to 4 or 8 whole vectors with the count known, so the adds are
    // straight-line code; any other width through the general loop.
    if d.is_multiple_of(S::F64_LANES) {
        match d / S::F64_LANES {
            1 => return add_rows_n::<S, 1>(simd, x, labels, sums, counts),
            2 => return add_rows_n::<S, 2>(simd, x, labels, sums, counts),
            3 => return add_rows_n::<S, 3>(simd, x, labels, sums, counts),
            4 => return add_rows_n::<S, 4>(simd, x, labels, sums, counts),
            8 => return add_rows_n::<S, 8>(simd, x, labels, sums, counts),
            _ => {}
        }
    }
    for (row, &l) in x.chunks_exact(d).zip(labels) {
        let l = l as usize;
        // Spelled out in vectors: the compiler's own loop for `Partial::add` checks
        // the two slices for overlap and dispatches on the length at every row.
        let (sv, st) = S::as_mut_simd_f64s(&mut sums[l * d..(l + 1) * d]);
        let (xv, xt) = S::as_simd_f64s(row);
        for (s, v) in sv.iter_mut().zip(xv) {
            *s = simd.add_f64s(*s, *v);
        }
        for (s, v) in st.iter_mut().zip(xt) {
            *s += v;
        }
        counts[l] += 1.0;
    }
}

/// Adds one row of `D` values (whole vectors) into cluster `l`'s sums.
#[inline(always)]
fn add_row<S: Simd, const D: usize>(
    simd: S,
    row: &[f64],
    l: u32,
    sums: &mut [f64],
    counts: &mut [f64],
) {
    let l = l as usize;
    let (sv, _) = S::as_mut_simd_f64s(&mut sums[l * D..(l + 1) * D]);
    let (xv, _) = S::as_simd_f64s(row);
    for (s, v) in sv.iter_mut().zip(xv) {
        *s = simd.add_f64s(*s, *v);
    }
    counts[l] += 1.0;
}

/// [`add_rows`] for rows of exactly `N` vectors.
#[inline(always)]
fn add_rows_n<S: Simd, const N: usize>(
    simd: S,
    x: &[f64],
    labels: &[u32],
    sums: &mut [f64],
    counts: &mut [f64],
) {
    let (xv, _) = S::as_simd_f64s(x);
    let (sv, _) = S::as_mut_simd_f64s(sums);
    for (row, &l) in xv.chunks_exact(N).zip(labels) {
        let l = l as usize;
        let s: &mut [S::f64s; N] = (&mut sv[l * N..(l + 1) * N]).try_into().unwrap();
        for v in 0..N {
            s[v] = simd.add_f64s(s[v], row[v]);
        }
        counts[l] += 1.0;
    }
}

/// What the end of a row needs (a plain struct, not a closure: closures are not
/// inlined into the target-feature context of the kernel, and the SIMD operations
/// inside them would turn into function calls).
#[derive(Clone, Copy)]
struct Finish<'a> {
    k: usize,
    d: usize,
    direct: bool,
    bound: f64,
    centers: &'a [f64],
    /// The row states hold one center vector from center 0 (see [`decide`]).
    one_vector: bool,
}

impl Finish<'_> {
    /// Final argmin of one row (re-checked with the canonical distance when the
    /// expanded form's gap is within the rounding bound) and its label (the sums are
    /// added later, by [`add_rows`]).
    #[inline(always)]
    fn finish<S: Simd>(
        &self,
        simd: S,
        label: &mut u32,
        row: &[f64],
        st: &Best<S::f64s>,
        part: &mut Partial,
        second: Option<&mut f64>,
    ) {
        let best = if self.k == 1 {
            if let Some(lb) = second {
                *lb = f64::INFINITY;
            }
            0
        } else if !self.direct && second.is_none() {
            // Lloyd's expanded form: one horizontal reduction and a mask test instead of
            // three reductions (see `decide`).
            match decide::<S>(simd, st, self.bound, self.one_vector) {
                Some(j) => j,
                None => recheck(row, self.centers, self.d),
            }
        } else {
            let want = second.is_some();
            let (j, b, s) = reduce::<S>(simd, st, !self.direct || want);
            let (best, lb) = if self.direct || s - b > self.bound {
                (j, s)
            } else {
                (recheck(row, self.centers, self.d), b)
            };
            if let Some(out) = second {
                *out = if self.direct {
                    lb
                } else {
                    let xx: f64 = row.iter().map(|v| v * v).sum();
                    (xx + lb - 2.0 * self.bound).max(0.0)
                };
            }
            best
        };
        if *label != best as u32 {
            part.changed += 1;
            *label = best as u32;
        }
    }
}

/// What a register tile reads, besides the rows.
struct Tables<'a, S: Simd> {
    d: usize,
    ct: &'a [S::f64s],
    cnorm: &'a [S::f64s],
    zinit: &'a [S::f64s],
    kpv: usize,
    iota: S::f64s,
    direct: bool,
    init: Best<S::f64s>,
}

/// Where a row block's results go.
struct Out<'a> {
    labels: &'a mut [u32],
    second: Option<&'a mut [f64]>,
    part: &'a mut Partial,
}

/// A row block whose centers fit in one tile of `V` vectors: the scores, then per row
/// the argmin folded from them and finished right away. (Plain structs, not a closure:
/// see [`Finish`].)
#[inline(always)]
fn single<S: Simd, const R: usize, const V: usize>(
    simd: S,
    rows: &[&[f64]; R],
    t: &Tables<'_, S>,
    ctx: &Finish<'_>,
    out: Out<'_>,
) {
    let Out {
        labels,
        mut second,
        part,
    } = out;
    let ctx = Finish {
        one_vector: V == 1,
        ..*ctx
    };
    let acc = scores::<S, R, V>(simd, rows, t, 0);
    for (r, a) in acc.iter().enumerate() {
        let st = if V == 1 {
            // All centers in one vector: each lane's best is its own score (what
            // `merge` into the initial state gives, bar the index of +inf padding
            // lanes, which never win), with no second best.
            Best {
                best: a[0],
                idx: t.iota,
                second: t.init.second,
            }
        } else {
            let mut st = t.init;
            merge::<S, V>(simd, a, 0, t.iota, &mut st);
            st
        };
        let lb = second.as_deref_mut().map(|s| &mut s[r]);
        ctx.finish::<S>(simd, &mut labels[r], rows[r], &st, part, lb);
    }
}

/// The first `nvec` center vectors (of `kpv` per transposed row) for `R` rows: full
/// groups of `NV` vectors, then the rest in one tile of its exact width.
#[inline(always)]
fn tiles<S: Simd, const R: usize, const NV: usize>(
    simd: S,
    rows: &[&[f64]; R],
    t: &Tables<'_, S>,
    nvec: usize,
    st: &mut [Best<S::f64s>; R],
) {
    let mut jv = 0;
    while jv + NV <= nvec {
        tile::<S, R, NV>(simd, rows, t, jv, st);
        jv += NV;
    }
    // The remaining vectors in one tile of their exact width (not one at a time, which
    // would re-read the rows per vector and leave too few independent FMA chains).
    match nvec - jv {
        0 => {}
        1 => tile::<S, R, 1>(simd, rows, t, jv, st),
        2 if NV > 2 => tile::<S, R, 2>(simd, rows, t, jv, st),
        3 if NV > 3 => tile::<S, R, 3>(simd, rows, t, jv, st),
        _ => unreachable!("fewer than NV ≤ 4 vectors remain"),
    }
}

/// One register tile: `R` rows × `V` center vectors starting at vector `jv`, folded
/// into the rows' running argmins.
#[inline(always)]
fn tile<S: Simd, const R: usize, const V: usize>(
    simd: S,
    rows: &[&[f64]; R],
    t: &Tables<'_, S>,
    jv: usize,
    st: &mut [Best<S::f64s>; R],
) {
    let acc = scores::<S, R, V>(simd, rows, t, jv);
    for r in 0..R {
        merge::<S, V>(simd, &acc[r], jv, t.iota, &mut st[r]);
    }
}

/// The scores of one register tile: `R` rows × `V` center vectors from vector `jv`.
#[inline(always)]
fn scores<S: Simd, const R: usize, const V: usize>(
    simd: S,
    rows: &[&[f64]; R],
    t: &Tables<'_, S>,
    jv: usize,
) -> [[S::f64s; V]; R] {
    let Tables {
        d,
        ct,
        cnorm,
        zinit,
        kpv,
        direct,
        ..
    } = *t;
    // Bounds the compiler can use to drop every check in the loops below.
    for row in rows {
        assert_eq!(row.len(), d);
    }
    assert!(jv + V <= kpv && ct.len() >= d * kpv);
    let mut acc = [[simd.splat_f64s(0.0); V]; R];
    if direct {
        // The canonical order for d <= 4: (s0 + s2) + (s1 + s3), even features in
        // `acc` (which starts at 0, or +inf for padding centers), odd ones in `odd`.
        for row in acc.iter_mut() {
            for (v, a) in row.iter_mut().enumerate() {
                *a = zinit[jv + v];
            }
        }
        let mut odd = [[simd.splat_f64s(0.0); V]; R];
        for (t, crow) in ct.chunks_exact(kpv).take(d).enumerate() {
            let c: [S::f64s; V] = std::array::from_fn(|v| crow[jv + v]);
            let sums = if t % 2 == 0 { &mut acc } else { &mut odd };
            for r in 0..R {
                let xb = simd.splat_f64s(rows[r][t]);
                for v in 0..V {
                    let diff = simd.sub_f64s(xb, c[v]);
                    sums[r][v] = simd.add_f64s(sums[r][v], simd.mul_f64s(diff, diff));
                }
            }
        }
        if d > 1 {
            for r in 0..R {
                for v in 0..V {
                    acc[r][v] = simd.add_f64s(acc[r][v], odd[r][v]);
                }
            }
        }
    } else {
        for (t, crow) in ct.chunks_exact(kpv).take(d).enumerate() {
            let c: [S::f64s; V] = std::array::from_fn(|v| crow[jv + v]);
            for r in 0..R {
                let xb = simd.splat_f64s(rows[r][t]);
                for v in 0..V {
                    acc[r][v] = simd.mul_add_f64s(xb, c[v], acc[r][v]);
                }
            }
        }
        let m2 = simd.splat_f64s(-2.0);
        for row in acc.iter_mut() {
            for (v, a) in row.iter_mut().enumerate() {
                *a = simd.mul_add_f64s(m2, *a, cnorm[jv + v]);
            }
        }
    }
    acc
}

/// Folds one row's scores of center vectors `jv .. jv + V` into its running argmin.
#[inline(always)]
fn merge<S: Simd, const V: usize>(
    simd: S,
    scores: &[S::f64s; V],
    jv: usize,
    iota: S::f64s,
    s: &mut Best<S::f64s>,
) {
    let lanes = S::F64_LANES as f64;
    for v in 0..V {
        let score = scores[v];
        let idx = simd.add_f64s(iota, simd.splat_f64s(((jv + v) as f64) * lanes));
        let lt = simd.less_than_f64s(score, s.best);
        s.second = simd.min_f64s(s.second, simd.max_f64s(score, s.best));
        s.best = simd.select_f64s(lt, score, s.best);
        s.idx = simd.select_f64s(lt, idx, s.idx);
    }
}

/// Horizontal reduction: (index of the best score, lowest index on ties; best;
/// second best, which equals best on a tie). Branch-free, in vector registers.
#[inline(always)]
fn reduce<S: Simd>(simd: S, st: &Best<S::f64s>, want_second: bool) -> (usize, f64, f64) {
    let inf = simd.splat_f64s(f64::INFINITY);
    let b = simd.reduce_min_f64s(st.best);
    let at_min = simd.equal_f64s(st.best, simd.splat_f64s(b));
    let j = simd.reduce_min_f64s(simd.select_f64s(at_min, st.idx, inf));
    if !want_second {
        return (j as usize, b, f64::INFINITY);
    }
    // The runner-up is the chosen lane's own second best or another lane's best (a
    // lane's second is never below its best, so other lanes' seconds cannot be lower):
    // one reduction instead of two.
    let chosen = simd.equal_f64s(st.idx, simd.splat_f64s(j));
    let second = simd.reduce_min_f64s(simd.select_f64s(chosen, st.second, st.best));
    (j as usize, b, second)
}

/// The label of the expanded form when no re-check is needed, else `None`: the
/// re-check is skipped exactly when [`reduce`]'s `second − best > bound`, i.e. when
/// exactly one lane's best score is within `bound` of the overall best `b` (the lane
/// that holds `b`) and no lane's second-best is (a lane's second is never below its
/// best, and `v ↦ fl(v − b)` is monotone, so "the minimum is more than `bound` above
/// `b`" is "every value is"). Found with two masks instead of two more horizontal
/// reductions; an exact tie puts two lanes (or a lane's second) within the bound and
/// so goes to the canonical re-check, which picks the lowest index.
///
/// `one_vector`: `st` holds the scores of one center vector starting at center 0,
/// with no second bests (all +inf), so the lane is the index and only the first mask
/// is needed.
#[inline(always)]
fn decide<S: Simd>(simd: S, st: &Best<S::f64s>, bound: f64, one_vector: bool) -> Option<usize> {
    let b = simd.splat_f64s(simd.reduce_min_f64s(st.best));
    let bound = simd.splat_f64s(bound);
    let near_best = simd.less_than_or_equal_f64s(simd.sub_f64s(st.best, b), bound);
    let bits = mask_bits::<S>(&near_best);
    if bits.count_ones() != 1 {
        return None;
    }
    if one_vector {
        return Some(bits.trailing_zeros() as usize);
    }
    let near_second = simd.less_than_or_equal_f64s(simd.sub_f64s(st.second, b), bound);
    if mask_bits::<S>(&near_second) != 0 {
        return None;
    }
    // The one lane's index, by a reduction in registers: reading the lane from memory
    // (a vector store, then a scalar load of one lane) stalls on the store forwarding.
    let inf = simd.splat_f64s(f64::INFINITY);
    Some(small_index(
        simd.reduce_min_f64s(simd.select_f64s(near_best, st.idx, inf)),
    ))
}

/// A center index held as an f64 (a small non-negative integer) as a `usize`, without
/// the saturating conversion `as` compiles to (two compares and two conditional moves
/// on x86-64): adding 2^52 puts the integer in the low mantissa bits.
#[inline(always)]
fn small_index(v: f64) -> usize {
    debug_assert!(v >= 0.0 && v < (1u64 << 32) as f64 && v.fract() == 0.0);
    ((v + 4_503_599_627_370_496.0).to_bits() & 0xffff_ffff) as usize
}

/// A lane mask as bits, lane `l` at bit `l`: AVX-512 masks are already a bit per lane
/// (one byte for 8 lanes; pulp's scalar level has a one-byte `bool`), other levels
/// hold a full-width all-ones or all-zeros element per lane. (Not pulp's
/// `first_true_m64s`, whose bitmask and vector-mask versions count lanes from
/// opposite ends.)
#[inline(always)]
fn mask_bits<S: Simd>(m: &S::m64s) -> u32 {
    let bytes = bytemuck::bytes_of(m);
    if bytes.len() == 1 {
        bytes[0] as u32
    } else {
        let w = bytes.len() / S::F64_LANES;
        (0..S::F64_LANES).fold(0, |acc, l| acc | ((bytes[l * w] != 0) as u32) << l)
    }
}

/// The near-tie re-check: the canonical argmin, kept out of line so the rare slow
/// path does not crowd the kernel's registers.
#[inline(never)]
fn recheck(row: &[f64], centers: &[f64], d: usize) -> usize {
    nearest(row, centers, d)
}

/// What a [`Seed`] pass computes.
pub enum SeedMode<'a> {
    /// `closest[i] = min(closest[i], dist2(x_i, c))` (or `=` when `init`) for the one
    /// candidate; the pass returns the new sum in row order.
    Update { closest: &'a mut [f64], init: bool },
    /// `pots[t] = Σ_i w_i · min(closest[i], dist2(x_i, cand_t))` in row order, per
    /// candidate (`w_i = 1` without weights); `closer[i]`, when given, gets bit `t` set
    /// when `dist2(x_i, cand_t) < closest[i]` (`m ≤ 8`).
    Potentials {
        closest: &'a [f64],
        weights: Option<&'a [f64]>,
        pots: &'a mut [f64],
        closer: Option<&'a mut [u8]>,
    },
}

/// Seeding kernel over rows `x` (row-major, `d` columns) and candidates `cands`
/// (`m × d`).
pub struct Seed<'a> {
    pub x: &'a [f64],
    pub d: usize,
    pub cands: &'a [f64],
    pub mode: SeedMode<'a>,
}

impl WithSimd for Seed<'_> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        let Seed { x, d, cands, mode } = self;
        let n = x.len() / d;
        let mut mode = mode;
        let m = match mode {
            SeedMode::Update { .. } => 1,
            SeedMode::Potentials { ref mut pots, .. } => {
                pots.fill(0.0);
                cands.len() / d
            }
        };
        let mut sum = 0.0;
        match mode {
            SeedMode::Update { closest, init } => {
                for (i, v) in closest.iter_mut().enumerate().take(n) {
                    let dd = canonical_dist2::<S>(simd, &x[i * d..(i + 1) * d], cands);
                    if init || dd < *v {
                        *v = dd;
                    }
                    sum += *v;
                }
            }
            SeedMode::Potentials {
                closest,
                weights,
                pots,
                mut closer,
            } => {
                if let Some(out) = closer.as_deref_mut() {
                    out.fill(0);
                }
                let mut fold = |i: usize, c: usize, dd: f64| {
                    if let Some(out) = closer.as_deref_mut() {
                        out[i] |= ((dd < closest[i]) as u8) << (c % 8);
                    }
                    let v = dd.min(closest[i]);
                    pots[c] += match weights {
                        Some(w) => w[i] * v,
                        None => v,
                    };
                };
                // All of a step's candidates at once (greedy k-means++ has 2 + ⌊ln k⌋,
                // at most 8 up to k = 1096), as many independent accumulator chains as
                // candidates (one candidate's distance alone is a chain of d / L
                // dependent adds and then the reduction); other counts in groups of
                // four, then one at a time.
                macro_rules! all {
                    ($m:literal) => {
                        for i in 0..n {
                            let row = &x[i * d..(i + 1) * d];
                            let b = std::array::from_fn(|j| &cands[j * d..(j + 1) * d]);
                            let dd = canonical_dist2_many::<S, $m>(simd, row, b);
                            for (j, v) in dd.into_iter().enumerate() {
                                fold(i, j, v);
                            }
                        }
                    };
                }
                match m {
                    2 => all!(2),
                    3 => all!(3),
                    4 => all!(4),
                    5 => all!(5),
                    6 => all!(6),
                    7 => all!(7),
                    8 => all!(8),
                    _ => {
                        for i in 0..n {
                            let row = &x[i * d..(i + 1) * d];
                            let mut c = 0;
                            while c + 4 <= m {
                                let b =
                                    std::array::from_fn(|j| &cands[(c + j) * d..(c + j + 1) * d]);
                                let dd = canonical_dist2_many::<S, 4>(simd, row, b);
                                for (j, v) in dd.into_iter().enumerate() {
                                    fold(i, c + j, v);
                                }
                                c += 4;
                            }
                            while c < m {
                                let b = &cands[c * d..(c + 1) * d];
                                fold(i, c, canonical_dist2::<S>(simd, row, b));
                                c += 1;
                            }
                        }
                    }
                }
            }
        }
        sum
    }
}

/// The canonical distance of one pair of rows, bit for bit [`crate::layout::dist2`].
pub trait Dist2: Copy {
    fn dist2(self, a: &[f64], b: &[f64]) -> f64;
}

/// [`canonical_dist2`] at one SIMD level. (A type with an `#[inline(always)]` method
/// rather than a closure: a closure is not compiled with its caller's target features
/// unless inlined, and the intrinsics would then become calls.)
#[derive(Clone, Copy)]
pub struct SimdDist2<S>(S);

impl<S: Simd> Dist2 for SimdDist2<S> {
    #[inline(always)]
    fn dist2(self, a: &[f64], b: &[f64]) -> f64 {
        canonical_dist2::<S>(self.0, a, b)
    }
}

/// A computation over canonical distances of single rows (Elkan's bounded pass), run by
/// [`with_canonical_dist2`] inside the active ISA level with [`canonical_dist2`] at
/// that level.
pub trait CanonicalOp {
    type Output;
    /// Runs with `dist`. Implementations should be `#[inline(always)]` so their loops
    /// are compiled at the dispatched level.
    fn run<D: Dist2>(self, dist: D) -> Self::Output;
}

struct Canonical<Op>(Op);

impl<Op: CanonicalOp> WithSimd for Canonical<Op> {
    type Output = Op::Output;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Op::Output {
        self.0.run(SimdDist2(simd))
    }
}

/// Runs `op` with [`canonical_dist2`] at the active ISA level (see
/// [`super::isa::dispatch`]).
#[inline]
pub fn with_canonical_dist2<Op: CanonicalOp>(op: Op) -> Op::Output {
    super::isa::dispatch(Canonical(op))
}

/// [`dist2`](crate::layout::dist2) bit for bit, vectorized along the row: vector `v`
/// of the row (features `v·L .. v·L + L`) belongs to partials `(v·L) % 8 ..`, so with
/// `G = 8 / L` accumulators, vector `v` goes to accumulator `v % G`; the zero-padded
/// tail adds exact zeros. The eight partials are then combined by the canonical tree.
#[inline(always)]
pub fn canonical_dist2<S: Simd>(simd: S, a: &[f64], b: &[f64]) -> f64 {
    canonical_dist2_many::<S, 1>(simd, a, [b])[0]
}

/// [`canonical_dist2`] from one row `a` to `M` rows `bs` at once, each bit for bit
/// [`crate::layout::dist2`]: the same operations per pair, interleaved so the `M`
/// accumulator chains overlap.
#[inline(always)]
pub fn canonical_dist2_many<S: Simd, const M: usize>(
    simd: S,
    a: &[f64],
    bs: [&[f64]; M],
) -> [f64; M] {
    // d <= 4: the tree with its zero partials dropped (adding +0.0 to a sum of squares
    // returns it unchanged), in scalar code: cheaper than one masked vector.
    if a.len() <= 4 {
        return bs.map(|b| {
            let sq = |t: usize| {
                let u = a[t] - b[t];
                u * u
            };
            match a.len() {
                1 => sq(0),
                2 => sq(0) + sq(1),
                3 => (sq(0) + sq(2)) + sq(1),
                4 => (sq(0) + sq(2)) + (sq(1) + sq(3)),
                _ => 0.0,
            }
        });
    }
    let l = S::F64_LANES;
    let g = PARTIALS / l;
    let (av, at) = S::as_simd_f64s(a);
    let bv: [(&[S::f64s], &[f64]); M] = bs.map(|b| S::as_simd_f64s(b));
    let mut acc = [[simd.splat_f64s(0.0); PARTIALS]; M];
    let full = av.len() / g * g;
    let mut v = 0;
    while v < full {
        for j in 0..g {
            for (c, (b, _)) in bv.iter().enumerate() {
                let diff = simd.sub_f64s(av[v + j], b[v + j]);
                acc[c][j] = simd.add_f64s(acc[c][j], simd.mul_f64s(diff, diff));
            }
        }
        v += g;
    }
    for j in 0..av.len() - full {
        for (c, (b, _)) in bv.iter().enumerate() {
            let diff = simd.sub_f64s(av[full + j], b[full + j]);
            acc[c][j] = simd.add_f64s(acc[c][j], simd.mul_f64s(diff, diff));
        }
    }
    if !at.is_empty() {
        let j = av.len() - full;
        let ta = simd.partial_load_f64s(at);
        for (c, (_, bt)) in bv.iter().enumerate() {
            let diff = simd.sub_f64s(ta, simd.partial_load_f64s(bt));
            acc[c][j] = simd.add_f64s(acc[c][j], simd.mul_f64s(diff, diff));
        }
    }
    std::array::from_fn(|c| {
        let lanes: &[f64] = bytemuck::cast_slice(&acc[c][..g]);
        let mut p = [0.0f64; PARTIALS];
        p.copy_from_slice(&lanes[..PARTIALS]);
        combine(&p)
    })
}
