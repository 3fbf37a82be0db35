//! The f32 screen of the screened kernel (`--kernel screened`): every row's best and
//! second-best f32 scores `‖ĉ_j‖² − 2 x̂·ĉ_j` over all centers, in the expanded form
//! with FMAs at twice the f64 lanes, on an f32 copy of the rows (`x̂`) and of the
//! centers (`ĉ`, panel-packed as the f64 copy, see [`crate::accum::PANEL`]).
//!
//! The screen only proposes: the caller (`layout::flat`) accepts a row's best
//! candidate when its gap to the second best exceeds a rigorous bound on the
//! rounding of both the f32 scores and the canonical f64 distances
//! ([`crate::distance::Screen`]), and otherwise recomputes the row with the
//! canonical f64 argmin. Labels are therefore the f64 kernel's, bit for bit.
//!
//! Loop order as the cache-blocked f64 kernel: rows in blocks of [`BLOCK_ROWS`],
//! each panel of 32 centers run against the whole block (register tiles of `R` rows
//! × 2 vectors), a running (best, index, second) per row and lane kept across panels.

// Register tiles index `acc[r][v]` with constant bounds.
#![allow(clippy::needless_range_loop)]

use crate::accum::PANEL;
use crate::distance::SCREEN_CHAIN;
use pulp::{Simd, WithSimd};

/// Features per FMA chain of the screen's dot products (see
/// [`crate::distance::SCREEN_CHAIN`]).
pub const CHAIN: usize = SCREEN_CHAIN;

/// Rows per block of the screen (the rows a panel runs against before the next).
pub const BLOCK_ROWS: usize = 64;

/// Lane indices as f32.
const IOTA32: [f32; 16] = [
    0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
];

/// The screen of a run of rows (a [`pulp::WithSimd`] op).
pub(crate) struct Screen<'a> {
    /// The rows in f32, row-major, `d` columns.
    pub(crate) x: &'a [f32],
    /// Dimension.
    pub(crate) d: usize,
    /// The centers in f32, panel-packed: panel `p` holds `d` rows of [`PANEL`]
    /// centers from `p·PANEL·d` (zero in the padding).
    pub(crate) ct: &'a [f32],
    /// `‖ĉ_j‖²` in f32, [`PANEL`]-padded with `+∞`.
    pub(crate) cn: &'a [f32],
    /// Per row: the best candidate's index.
    pub(crate) idx: &'a mut [u32],
    /// Per row: the best score.
    pub(crate) best: &'a mut [f32],
    /// Per row: the second-best score (`+∞` with one center).
    pub(crate) second: &'a mut [f32],
}

/// Running argmin per lane of one row.
#[derive(Clone, Copy)]
struct State<V> {
    best: V,
    idx: V,
    second: V,
}

impl WithSimd for Screen<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        // R rows × 2 vectors, twice over (the chunk's sums and the totals), plus two
        // center vectors and a broadcast: 27 of 32 registers at R = 6, 15 of 16 at 3.
        if S::F32_LANES >= 16 {
            run::<S, 6>(simd, self)
        } else {
            run::<S, 3>(simd, self)
        }
    }
}

#[inline(always)]
fn run<S: Simd, const R: usize>(simd: S, s: Screen<'_>) {
    let Screen {
        x,
        d,
        ct,
        cn,
        idx,
        best,
        second,
    } = s;
    let lanes = S::F32_LANES;
    assert!(lanes <= 16 && PANEL.is_multiple_of(2 * lanes) || lanes == 1);
    let n = idx.len();
    assert!(x.len() >= n * d && d > 0);
    let pv = PANEL / lanes;
    let (ctv, _) = S::as_simd_f32s(ct);
    let (cnv, _) = S::as_simd_f32s(cn);
    let panels = cn.len() / PANEL;
    assert!(ctv.len() >= panels * pv * d && cnv.len() >= panels * pv);
    let iota = simd.partial_load_f32s(&IOTA32[..lanes]);
    let inf = simd.splat_f32s(f32::INFINITY);
    let m2 = simd.splat_f32s(-2.0);
    let init = State {
        best: inf,
        idx: simd.splat_f32s(0.0),
        second: inf,
    };
    let mut st = [init; BLOCK_ROWS];
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK_ROWS).min(n);
        st.fill(init);
        for p in 0..panels {
            let panel = &ctv[p * pv * d..(p + 1) * pv * d];
            let mut jv = 0;
            while jv < pv {
                let cnorm = [cnv[p * pv + jv], cnv[p * pv + jv + 1]];
                let base = [
                    simd.add_f32s(iota, simd.splat_f32s((p * PANEL + jv * lanes) as f32)),
                    simd.add_f32s(iota, simd.splat_f32s((p * PANEL + (jv + 1) * lanes) as f32)),
                ];
                let mut i = start;
                while i + R <= end {
                    let rows: [&[f32]; R] =
                        std::array::from_fn(|r| &x[(i + r) * d..(i + r + 1) * d]);
                    let acc = tile::<S, R>(simd, &rows, panel, pv, jv);
                    for r in 0..R {
                        fold::<S>(simd, &acc[r], m2, &cnorm, &base, &mut st[i + r - start]);
                    }
                    i += R;
                }
                while i < end {
                    let rows: [&[f32]; 1] = [&x[i * d..(i + 1) * d]];
                    let acc = tile::<S, 1>(simd, &rows, panel, pv, jv);
                    fold::<S>(simd, &acc[0], m2, &cnorm, &base, &mut st[i - start]);
                    i += 1;
                }
                jv += 2;
            }
        }
        for i in start..end {
            let s = &st[i - start];
            let b = simd.reduce_min_f32s(s.best);
            let at_min = simd.equal_f32s(s.best, simd.splat_f32s(b));
            let j = simd.reduce_min_f32s(simd.select_f32s(at_min, s.idx, inf));
            // The runner-up is the chosen lane's own second or another lane's best.
            let chosen = simd.equal_f32s(s.idx, simd.splat_f32s(j));
            let sec = simd.reduce_min_f32s(simd.select_f32s(chosen, s.second, s.best));
            idx[i] = j as u32;
            best[i] = b;
            second[i] = sec;
        }
        start = end;
    }
}

/// The dot products of `R` rows with the two center vectors `jv`, `jv + 1` of a panel
/// (`d` rows of `pv` vectors).
#[inline(always)]
fn tile<S: Simd, const R: usize>(
    simd: S,
    rows: &[&[f32]; R],
    panel: &[S::f32s],
    pv: usize,
    jv: usize,
) -> [[S::f32s; 2]; R] {
    let d = rows[0].len();
    for row in rows {
        assert_eq!(row.len(), d);
    }
    assert!(jv + 2 <= pv && panel.len() >= d * pv);
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; 2]; R];
    let mut t0 = 0;
    while t0 < d {
        let t1 = (t0 + CHAIN).min(d);
        let mut part = [[zero; 2]; R];
        for t in t0..t1 {
            let crow = &panel[t * pv..(t + 1) * pv];
            let c = [crow[jv], crow[jv + 1]];
            for r in 0..R {
                let xb = simd.splat_f32s(rows[r][t]);
                part[r][0] = simd.mul_add_f32s(xb, c[0], part[r][0]);
                part[r][1] = simd.mul_add_f32s(xb, c[1], part[r][1]);
            }
        }
        if t0 == 0 {
            acc = part;
        } else {
            for r in 0..R {
                acc[r][0] = simd.add_f32s(acc[r][0], part[r][0]);
                acc[r][1] = simd.add_f32s(acc[r][1], part[r][1]);
            }
        }
        t0 = t1;
    }
    acc
}

/// Turns two vectors of dot products into scores `‖ĉ‖² − 2 x̂·ĉ` and folds them into
/// a row's running argmin (strictly less wins: the lowest index on ties per lane).
#[inline(always)]
fn fold<S: Simd>(
    simd: S,
    dots: &[S::f32s; 2],
    m2: S::f32s,
    cnorm: &[S::f32s; 2],
    base: &[S::f32s; 2],
    s: &mut State<S::f32s>,
) {
    for v in 0..2 {
        let score = simd.mul_add_f32s(m2, dots[v], cnorm[v]);
        let lt = simd.less_than_f32s(score, s.best);
        s.second = simd.min_f32s(s.second, simd.max_f32s(score, s.best));
        s.best = simd.select_f32s(lt, score, s.best);
        s.idx = simd.select_f32s(lt, base[v], s.idx);
    }
}
