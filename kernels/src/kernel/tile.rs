//! The register tiles of the SIMD assignment: the scores of `R` rows against `V`
//! vectors of transposed centers, in the direct form (canonical distances, d ≤ 4) or
//! the expanded form (`‖c‖² − 2 x·c` with FMAs), folded into the rows' argmins.

// Register tiles index `acc[r][v]` with constant bounds; index loops say what the
// micro-kernel does more plainly than iterator chains.
#![allow(clippy::needless_range_loop)]

use super::argmin::{merge, Best, Finish};
use crate::accum::{Partial, PANEL};
use pulp::Simd;

/// What a register tile reads, besides the rows.
pub(crate) struct Tables<'a, S: Simd> {
    /// Dimension.
    pub(crate) d: usize,
    /// Transposed centers in panels (see [`crate::accum::PANEL`]), `kpv` vectors per
    /// transposed row in all.
    pub(crate) ct: &'a [S::f64s],
    /// `‖c_j‖²` (`+∞` in the padding).
    pub(crate) cnorm: &'a [S::f64s],
    /// Start values of the direct form's sums (0, `+∞` in the padding).
    pub(crate) zinit: &'a [S::f64s],
    /// Vectors per transposed row.
    pub(crate) kpv: usize,
    /// Lane indices.
    pub(crate) iota: S::f64s,
    /// The direct form.
    pub(crate) direct: bool,
    /// The empty argmin state.
    pub(crate) init: Best<S::f64s>,
}

/// Where a row block's results go.
pub(crate) struct Out<'a> {
    /// The block's labels.
    pub(crate) labels: &'a mut [u32],
    /// The block's Hamerly lower bounds, when asked for.
    pub(crate) second: Option<&'a mut [f64]>,
    /// The changed count.
    pub(crate) part: &'a mut Partial,
}

/// A row block whose centers fit in one tile of `V` vectors: the scores, then per row
/// the argmin folded from them and finished right away. (Plain structs, not a closure:
/// see [`Finish`].)
#[inline(always)]
pub(crate) fn single<S: Simd, const R: usize, const V: usize>(
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

/// The center vectors `from .. to` (of `kpv` per transposed row) for `R` rows: full
/// groups of `NV` vectors, then the rest in one tile of its exact width. `from` is a
/// multiple of `NV` (a panel's or 0).
#[inline(always)]
pub(crate) fn tiles<S: Simd, const R: usize, const NV: usize>(
    simd: S,
    rows: &[&[f64]; R],
    t: &Tables<'_, S>,
    from: usize,
    nvec: usize,
    st: &mut [Best<S::f64s>; R],
) {
    let mut jv = from;
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
pub(crate) fn tile<S: Simd, const R: usize, const V: usize>(
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
pub(crate) fn scores<S: Simd, const R: usize, const V: usize>(
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
    // The tile's panel (see `crate::accum::PANEL`): `d` rows of `width` vectors from
    // `base`; a tile never crosses a panel (NV divides the vectors per panel).
    let pv = (PANEL / S::F64_LANES).max(1);
    let p0 = jv / pv * pv;
    let width = (kpv - p0).min(pv);
    let off = jv - p0;
    debug_assert!(off + V <= width);
    let panel = &ct[p0 * d..p0 * d + d * width];
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
        for (t, crow) in panel.chunks_exact(width).enumerate() {
            let c: [S::f64s; V] = std::array::from_fn(|v| crow[off + v]);
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
        for (t, crow) in panel.chunks_exact(width).enumerate() {
            let c: [S::f64s; V] = std::array::from_fn(|v| crow[off + v]);
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
