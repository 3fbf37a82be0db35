//! Accumulation of the assignment's sums: each row added into its cluster's `d`
//! sums, in row order, so the sums are bit-identical whatever kernel labelled the
//! rows. Spelled out in vectors at the dispatched level.

// Rows of `N` vectors index `s[v]` with constant bounds.
#![allow(clippy::needless_range_loop)]

use crate::accum::Partial;
use pulp::Simd;

/// Rows are added into their clusters' sums in groups of about this many bytes (whole
/// register tiles), in a separate loop once the group's labels are known, while the
/// rows are still in cache. (With one center vector the groups are one tile, see
/// `run_rows`.)
pub const SUM_GROUP_BYTES: usize = 128 * 1024;

/// Adds rows `rows` of the block into their clusters' sums, in row order (the order
/// of the additions into each cluster is the same as adding each row as it is
/// labelled, so the sums are bit-identical). A tight loop of its own, run once a
/// group's labels are known: adding each row as it is labelled, inside the tile loop,
/// interleaves the sums' loads and stores with the tiles and was markedly slower.
#[inline(always)]
pub(crate) fn add_rows<S: Simd>(
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
/// makes: folded back into `add_rows` (the same operations), the compiled pass was
/// a few percent slower.
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
pub(crate) fn add_row<S: Simd, const D: usize>(
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
