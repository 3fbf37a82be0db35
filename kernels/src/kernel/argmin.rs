//! The per-row argmin of the SIMD assignment: the running state `Best` a tile's
//! scores are folded into (`merge`), its horizontal reduction (`reduce`), the
//! rounding check of the expanded form (`decide`) and the canonical re-check of
//! near-ties (`recheck`); `Finish` puts them together at the end of a row.

// Tiles' score vectors index `scores[v]` with constant bounds.
#![allow(clippy::needless_range_loop)]

use crate::accum::Partial;
use crate::distance::nearest;
use pulp::Simd;
use std::sync::atomic::{AtomicU64, Ordering};

/// Lane indices `0..8` as f64 (the center index of each lane of the first vector).
pub(crate) const IOTA: [f64; 8] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];

/// Per-row running argmin state, one vector of each.
#[derive(Clone, Copy)]
pub(crate) struct Best<V> {
    /// Best score per lane.
    pub(crate) best: V,
    /// Its center index (as f64).
    pub(crate) idx: V,
    /// Second-best score per lane.
    pub(crate) second: V,
}

/// What the end of a row needs (a plain struct, not a closure: closures are not
/// inlined into the target-feature context of the kernel, and the SIMD operations
/// inside them would turn into function calls).
#[derive(Clone, Copy)]
pub(crate) struct Finish<'a> {
    /// Number of centers.
    pub(crate) k: usize,
    /// Dimension.
    pub(crate) d: usize,
    /// The direct form (`d ≤ DIRECT_MAX_D`): scores are canonical distances.
    pub(crate) direct: bool,
    /// The expanded form's rounding bound ([`crate::distance::Margin::scores`]).
    pub(crate) bound: f64,
    /// The centers, `k × d` row-major (for the re-check).
    pub(crate) centers: &'a [f64],
    /// The row states hold one center vector from center 0 (see [`decide`]).
    pub(crate) one_vector: bool,
}

impl Finish<'_> {
    /// Final argmin of one row (re-checked with the canonical distance when the
    /// expanded form's gap is within the rounding bound) and its label (the sums are
    /// added later, by [`add_rows`]).
    #[inline(always)]
    pub(crate) fn finish<S: Simd>(
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

/// Folds one row's scores of center vectors `jv .. jv + V` into its running argmin.
#[inline(always)]
pub(crate) fn merge<S: Simd, const V: usize>(
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
pub(crate) fn reduce<S: Simd>(simd: S, st: &Best<S::f64s>, want_second: bool) -> (usize, f64, f64) {
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
pub(crate) fn decide<S: Simd>(
    simd: S,
    st: &Best<S::f64s>,
    bound: f64,
    one_vector: bool,
) -> Option<usize> {
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
pub(crate) fn small_index(v: f64) -> usize {
    debug_assert!(v >= 0.0 && v < (1u64 << 32) as f64 && v.fract() == 0.0);
    ((v + 4_503_599_627_370_496.0).to_bits() & 0xffff_ffff) as usize
}

/// A lane mask as bits, lane `l` at bit `l`: AVX-512 masks are already a bit per lane
/// (one byte for 8 lanes; pulp's scalar level has a one-byte `bool`), other levels
/// hold a full-width all-ones or all-zeros element per lane. (Not pulp's
/// `first_true_m64s`, whose bitmask and vector-mask versions count lanes from
/// opposite ends.)
#[inline(always)]
pub(crate) fn mask_bits<S: Simd>(m: &S::m64s) -> u32 {
    let bytes = bytemuck::bytes_of(m);
    if bytes.len() == 1 {
        bytes[0] as u32
    } else {
        let w = bytes.len() / S::F64_LANES;
        (0..S::F64_LANES).fold(0, |acc, l| acc | ((bytes[l * w] != 0) as u32) << l)
    }
}

/// Rows the expanded form sent to the canonical re-check since the process started
/// (all fits, all threads): a diagnostic ([`recheck_count`]).
static RECHECKS: AtomicU64 = AtomicU64::new(0);

/// Rows the f64 SIMD kernel's expanded form has re-checked with the canonical distance
/// so far in this process (its near-ties; see `--verbose`).
pub fn recheck_count() -> u64 {
    RECHECKS.load(Ordering::Relaxed)
}

/// The near-tie re-check: the canonical argmin, kept out of line so the rare slow
/// path does not crowd the kernel's registers.
#[inline(never)]
pub(crate) fn recheck(row: &[f64], centers: &[f64], d: usize) -> usize {
    RECHECKS.fetch_add(1, Ordering::Relaxed);
    nearest(row, centers, d)
}
