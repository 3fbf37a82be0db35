//! The k ≤ 8 assignment of 8-lane vectors (AVX-512, expanded form, no Hamerly
//! bound): all centers in one vector, the argmin of eight rows taken at once by a
//! network of lane selects and rotations (`argmin8`) instead of one horizontal
//! reduction per row.

// Register tiles index `acc[r]` with constant bounds.
#![allow(clippy::needless_range_loop)]

use super::argmin::{mask_bits, recheck, small_index, Best, IOTA};
use super::prefetch::{prefetch_lines, PREFETCH_BYTES};
use super::sums::{add_row, add_rows};
use super::Assign;
use crate::distance::Margin;
use pulp::Simd;

/// Rows per register tile of [`lanes8`] (a multiple of 8). Eight rows give the two
/// FMA pipes the eight independent chains they need; 16 rows were slower.
pub(crate) const LANES8_ROWS: usize = 8;

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
/// no Hamerly bound): the scores of a tile of `R` rows as in
/// [`single`](super::tile::single), then the
/// argmin of eight rows at a time by a network of lane selects and rotations (three
/// stages, each halving the centers a lane stands for, eight rows sharing the
/// vectors; [`argmin8`]) instead of one horizontal reduction per row. The same
/// labels as [`single`](super::tile::single): a row whose best is not more than the
/// rounding bound below its second best goes to the canonical re-check, like
/// [`decide`](super::argmin::decide). Returns the last rows (fewer than a tile), which
/// the caller runs through [`run_rows`](super::assign::run_rows).
///
/// `D`: the row width when it is known at compile time (8, 16, 24, 32 or 64; 0 for
/// any other width, read at run time). Then each tile's rows are added into the sums
/// during the next tile's FMA loop, one row after each eighth of its features, and
/// the last tile's after the loop: the same additions in the same order as adding
/// each tile right after it, so the same bits.
#[inline(always)]
pub(crate) fn lanes8<S: Simd, const R: usize, const NV: usize, const D: usize>(
    simd: S,
    mut a: Assign<'_>,
) -> Option<Assign<'_>> {
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
        let bound = Margin::scores(d, xmax, prep.cmax);
        let net = Net::<S>::new(simd);
        let ahead = (PREFETCH_BYTES / (8 * d)).max(R);
        let m2 = simd.splat_f64s(-2.0);
        // With `D` known, the previous tile's rows are added into the sums inside this
        // tile's FMA loop, one row after each eighth of the features, instead of after
        // the tile (the same additions in the same order): the core then overlaps the
        // sums' loads and stores with the FMAs, which it hardly does after the tile.
        // Not with a runtime `d`: the row pointers spill and spreading was slower. The
        // sums are borrowed per tile; borrowed once per block, small `d` was slower.
        let spread = D > 0 && accumulate;
        let mut changed = 0;
        let mut i = 0;
        while i < full {
            let from = ((i + ahead) * d).min(x.len());
            let to = ((i + ahead + R) * d).min(x.len());
            prefetch_lines(&x[from..to]);
            let block = &x[i * d..(i + R) * d];
            let rows: [&[f64]; R] = std::array::from_fn(|r| &block[r * d..(r + 1) * d]);
            // `scores::<S, R, 1>` computes the same, but its runtime form test, `kpv`
            // stride and row-length checks cost about a tenth of a small-`d` pass.
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
    (full < n).then(|| a.rows_from(full))
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
