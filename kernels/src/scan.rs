//! The one pass over a fit's input before anything else runs: the value checks
//! (finite, within the overflow limits), the largest squared row norm the SIMD
//! kernel's rounding bound needs, and the column means of the tolerance, all from
//! each chunk of rows while it is in cache, chunks in parallel.
//!
//! Each result is bit for bit what the separate passes it replaces computed (the
//! same sums in the same order), so no output changes; only the data is read once
//! instead of three or four times. That matters most for a single fit of a few
//! iterations on data larger than the cache, where those passes cost as much as
//! the fit (the seed's heaviest cell: about one pass each per k, of 4 to 5
//! iterations).

use crate::exec::Exec;

/// Bytes per sub-block of a chunk: the loops of [`scan_rows`] run over one sub-block
/// (about 256 KiB, a whole number of f32 storage blocks) before the next, so it is
/// read from memory once.
const SUB_BYTES: usize = 256 * 1024;

/// Rows per storage block of the f32 layout ([`crate::kernel::f32::BLOCK`]).
const BLOCK: usize = crate::kernel::f32::BLOCK;

/// What [`scan`] looks for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScanWants {
    /// Every value must satisfy `|v| ≤ limit` (false for NaN and infinities).
    pub(crate) limit: f64,
    /// Also look for the first value with `|v| > limit_f32` (an f32 fit).
    pub(crate) limit_f32: Option<f64>,
    /// Compute the largest squared row norm ([`max_row_norm2`]).
    pub(crate) xmax: bool,
    /// Compute the column means, from the values rounded to f32 first when
    /// `Some(true)` (what an f32 layout holds).
    pub(crate) means: Option<bool>,
}

/// What [`scan`] found. When `first_bad` is set the other fields are meaningless.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scanned {
    /// Flat index of the first value outside `limit`.
    pub(crate) first_bad: Option<usize>,
    /// Flat index of the first value beyond `limit_f32`.
    pub(crate) first_bad_f32: Option<usize>,
    /// Largest squared row norm (0 when not asked for).
    pub(crate) xmax: f64,
    /// Column means (empty when not asked for).
    pub(crate) means: Vec<f64>,
}

/// One chunk's share of a [`Scanned`]: its column sums are kept apart, to be added
/// in chunk order.
#[derive(Default)]
struct Part {
    first_bad: Option<usize>,
    first_bad_f32: Option<usize>,
    xmax: f64,
    sums: Vec<f64>,
}

/// A value type of the data (f32 or f64).
pub(crate) trait Value: Copy + Send + Sync + Into<f64> {
    /// The value rounded to f32 and widened back.
    fn rounded(self) -> f64;
}

impl Value for f64 {
    #[inline(always)]
    fn rounded(self) -> f64 {
        self as f32 as f64
    }
}

impl Value for f32 {
    #[inline(always)]
    fn rounded(self) -> f64 {
        self as f64
    }
}

/// The largest `Σ_t x_t²` of the rows of `x` (`d` values a row), each row's sum
/// taken in feature order from 0 (bit for bit `row.iter().map(|v| v * v).sum()`),
/// four rows interleaved so the four dependency chains overlap.
pub(crate) fn max_row_norm2<T: Value>(x: &[T], d: usize) -> f64 {
    if d == 0 {
        return 0.0;
    }
    let mut m = 0.0f64;
    let mut quads = x.chunks_exact(4 * d);
    for q in &mut quads {
        let (r0, rest) = q.split_at(d);
        let (r1, rest) = rest.split_at(d);
        let (r2, r3) = rest.split_at(d);
        let mut s = [0.0f64; 4];
        for t in 0..d {
            let (a, b, c, e) = (r0[t].into(), r1[t].into(), r2[t].into(), r3[t].into());
            s[0] += a * a;
            s[1] += b * b;
            s[2] += c * c;
            s[3] += e * e;
        }
        m = m.max(s[0]).max(s[1]).max(s[2]).max(s[3]);
    }
    for r in quads.remainder().chunks_exact(d) {
        let mut s = 0.0f64;
        for &v in r {
            let v: f64 = v.into();
            s += v * v;
        }
        m = m.max(s);
    }
    m
}

/// `|v| ≤ limit`: false for NaN and infinities as well as for large values.
#[inline(always)]
fn within<T: Value>(v: T, limit: f64) -> bool {
    v.into().abs() <= limit
}

/// Rows `x` (`d` values each, starting at a block boundary) rounded to f32 into the
/// storage blocks of the f32 layout ([`crate::layout::Flat32`]: [`BLOCK`] rows a
/// block, feature-major inside it) at the start of `out`; a last partial block's
/// padding lanes are left as they are.
#[inline(always)]
pub(crate) fn write_blocks<T: Value>(x: &[T], d: usize, out: &mut [f32]) {
    for (q, rows) in x.chunks(BLOCK * d).enumerate() {
        let ob = &mut out[q * BLOCK * d..(q + 1) * BLOCK * d];
        for (r, row) in rows.chunks_exact(d).enumerate() {
            for (o, &v) in ob[r..].iter_mut().step_by(BLOCK).zip(row) {
                *o = v.rounded() as f32;
            }
        }
    }
}

/// The first index of `x` whose value fails `|v| ≤ limit`, if any: a branch-free
/// test of the whole slice first (vectorized), the search only when it fails.
#[inline]
fn first_beyond<T: Value>(x: &[T], limit: f64) -> Option<usize> {
    if x.iter().fold(true, |ok, &v| ok & within(v, limit)) {
        None
    } else {
        x.iter().position(|&v| !within(v, limit))
    }
}

/// The rows `x` (a chunk starting at flat index `base`) into `part`, and into
/// `blocked` (the chunk's storage blocks of the f32 layout) when given.
fn scan_rows<T: Value>(
    x: &[T],
    base: usize,
    d: usize,
    wants: &ScanWants,
    part: &mut Part,
    mut blocked: Option<&mut [f32]>,
) {
    let sub = (SUB_BYTES / (8 * d)).max(1).div_ceil(BLOCK) * BLOCK * d;
    for (b, blk) in x.chunks(sub).enumerate() {
        let at = base + b * sub;
        if let Some(out) = blocked.as_deref_mut() {
            write_blocks(blk, d, &mut out[b * sub..]);
        }
        if let Some(i) = first_beyond(blk, wants.limit) {
            part.first_bad = Some(at + i);
            return;
        }
        if let (Some(l32), None) = (wants.limit_f32, part.first_bad_f32) {
            part.first_bad_f32 = first_beyond(blk, l32).map(|i| at + i);
        }
        if wants.xmax {
            part.xmax = part.xmax.max(max_row_norm2(blk, d));
        }
        match wants.means {
            Some(false) => {
                for row in blk.chunks_exact(d) {
                    for (a, &v) in part.sums.iter_mut().zip(row) {
                        *a += v.into();
                    }
                }
            }
            Some(true) => {
                for row in blk.chunks_exact(d) {
                    for (a, &v) in part.sums.iter_mut().zip(row) {
                        *a += v.rounded();
                    }
                }
            }
            None => {}
        }
    }
}

/// Scans `x` (`n × d` row-major) in chunks of `chunk_rows` rows on `exec`'s threads.
/// The column means equal those of [`crate::fit::absolute_tol`] bit for bit when
/// `chunk_rows` is its chunk size (each chunk's sums in row order, the chunks' sums
/// in chunk order), whatever the thread count.
///
/// With `blocked` (`n.div_ceil(16) · 16 · d` zeros), also writes the values rounded to
/// f32 in the storage blocks of the f32 layout ([`crate::layout::Flat32`]), so that
/// copy costs no read pass of its own; `chunk_rows` must then be a multiple of 16.
pub(crate) fn scan<T: Value>(
    x: &[T],
    d: usize,
    chunk_rows: usize,
    exec: &Exec,
    wants: ScanWants,
    blocked: Option<&mut [f32]>,
) -> Scanned {
    let n = x.len() / d.max(1);
    let step = chunk_rows * d;
    let width = if wants.means.is_some() { d } else { 0 };
    let mut parts: Vec<Part> = (0..n.div_ceil(chunk_rows))
        .map(|_| Part {
            sums: vec![0.0; width],
            ..Part::default()
        })
        .collect();
    match blocked {
        Some(out) => {
            assert!(chunk_rows.is_multiple_of(BLOCK) && out.len() == n.div_ceil(BLOCK) * BLOCK * d);
            let mut items: Vec<(&mut Part, &mut [f32])> =
                parts.iter_mut().zip(out.chunks_mut(step)).collect();
            exec.for_each(&mut items, |c, (part, out)| {
                let end = ((c + 1) * step).min(x.len());
                scan_rows(&x[c * step..end], c * step, d, &wants, part, Some(out));
            });
        }
        None => exec.for_each(&mut parts, |c, part| {
            let end = ((c + 1) * step).min(x.len());
            scan_rows(&x[c * step..end], c * step, d, &wants, part, None);
        }),
    }
    let mut out = Scanned {
        first_bad: parts.iter().find_map(|p| p.first_bad),
        first_bad_f32: parts.iter().find_map(|p| p.first_bad_f32),
        xmax: parts.iter().fold(0.0, |m, p| m.max(p.xmax)),
        means: vec![0.0; width],
    };
    for p in &parts {
        for (a, v) in out.means.iter_mut().zip(&p.sums) {
            *a += v;
        }
    }
    out.means.iter_mut().for_each(|m| *m /= n as f64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{absolute_tol, absolute_tol_about, CHUNK_ROWS};
    use crate::kernel::KernelChoice;
    use crate::layout::{Flat, Flat32, Layout};

    fn values(n: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n * d)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                // Columns of different scales and offsets, so the means matter.
                (u - 0.5) * (1.0 + (i % d) as f64) + 3.0 * (i % d) as f64
            })
            .collect()
    }

    fn wants(xmax: bool, means: Option<bool>) -> ScanWants {
        ScanWants {
            limit: 1e100,
            limit_f32: Some(1e30),
            xmax,
            means,
        }
    }

    /// The row-norm bound, column means and tolerance are bit for bit those of the
    /// passes they replace (`Flat::from_slice`'s fold, `absolute_tol` on the f64 and
    /// f32 layouts), on awkward shapes and every thread count.
    #[test]
    fn scan_equals_the_separate_passes() {
        for &n in &[0usize, 1, 3, 4, 5, 17, 1023, 1024, 1025, 2053, 5000] {
            for &d in &[1usize, 2, 3, 31, 33] {
                let x = values(n, d, (n * 131 + d) as u64);
                let naive = x
                    .chunks_exact(d)
                    .map(|r| r.iter().map(|v| v * v).sum::<f64>())
                    .fold(0.0, f64::max);
                assert_eq!(
                    max_row_norm2(&x, d).to_bits(),
                    naive.to_bits(),
                    "n={n} d={d}"
                );
                if n == 0 {
                    continue;
                }
                let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                for threads in [1, 2, 3] {
                    let exec = Exec::new(threads).unwrap();
                    let ctx = format!("n={n} d={d} threads={threads}");
                    let s = scan(&x, d, CHUNK_ROWS, &exec, wants(true, Some(false)), None);
                    assert_eq!((s.first_bad, s.first_bad_f32), (None, None), "{ctx}");
                    assert_eq!(s.xmax.to_bits(), naive.to_bits(), "{ctx}");
                    let flat = Flat::from_slice(&x, n, d, KernelChoice::Auto);
                    let want = absolute_tol(&flat, &exec, 1e-4);
                    let got = absolute_tol_about(&flat, &exec, 1e-4, &s.means);
                    assert_eq!(got.to_bits(), want.to_bits(), "f64 tol: {ctx}");
                    // The f32 layout holds the values rounded: from f64 and from f32.
                    let l32 = Flat32::from_slice(&x, n, d, KernelChoice::Auto);
                    assert_eq!(l32.n(), n);
                    let want = absolute_tol(&l32, &exec, 1e-4);
                    let s = scan(&x, d, CHUNK_ROWS, &exec, wants(false, Some(true)), None);
                    let got = absolute_tol_about(&l32, &exec, 1e-4, &s.means);
                    assert_eq!(got.to_bits(), want.to_bits(), "f32 tol from f64: {ctx}");
                    // The f32 layout's copy written by the scan, from f64 and from f32.
                    let len = n.div_ceil(16) * 16 * d;
                    let (mut b64, mut b32) = (vec![0.0f32; len], vec![0.0f32; len]);
                    scan(&x, d, CHUNK_ROWS, &exec, wants(false, None), Some(&mut b64));
                    scan(
                        &x32,
                        d,
                        CHUNK_ROWS,
                        &exec,
                        wants(false, None),
                        Some(&mut b32),
                    );
                    let (mut buf, mut want_row) = (Vec::new(), Vec::new());
                    for b in [b64, b32] {
                        let got = Flat32::from_blocked(b, n, d, KernelChoice::Auto);
                        for i in 0..n {
                            let w = l32.row(i, &mut want_row).to_vec();
                            assert_eq!(got.row(i, &mut buf), &w[..], "row {i}: {ctx}");
                        }
                    }
                    let s = scan(&x32, d, CHUNK_ROWS, &exec, wants(false, Some(true)), None);
                    let got = absolute_tol_about(&l32, &exec, 1e-4, &s.means);
                    assert_eq!(got.to_bits(), want.to_bits(), "f32 tol from f32: {ctx}");
                }
            }
        }
    }

    /// The first offending value is found wherever it is (first chunk, last chunk,
    /// inside a sub-block), several offenders give the first, and a value beyond
    /// only the f32 limit is reported as such, after any non-finite one.
    #[test]
    fn scan_finds_the_first_bad_value() {
        let (n, d) = (3000, 33);
        let base = values(n, d, 5);
        for threads in [1, 2] {
            let exec = Exec::new(threads).unwrap();
            for &at in &[0usize, 1, d, 1024 * d - 1, 1024 * d, 50_000, n * d - 1] {
                for bad in [f64::NAN, f64::INFINITY, -f64::INFINITY, 1e200] {
                    let mut x = base.clone();
                    x[at] = bad;
                    let s = scan(&x, d, CHUNK_ROWS, &exec, wants(true, Some(false)), None);
                    assert_eq!(s.first_bad, Some(at), "{bad} at {at}");
                    if at + 7 < x.len() {
                        x[at + 7] = f64::NAN;
                        let s = scan(&x, d, CHUNK_ROWS, &exec, wants(false, None), None);
                        assert_eq!(s.first_bad, Some(at));
                    }
                }
                let mut x = base.clone();
                x[at] = 1e35;
                let s = scan(&x, d, CHUNK_ROWS, &exec, wants(false, None), None);
                assert_eq!((s.first_bad, s.first_bad_f32), (None, Some(at)));
                let s = scan(
                    &x,
                    d,
                    CHUNK_ROWS,
                    &exec,
                    ScanWants {
                        limit_f32: None,
                        ..wants(false, None)
                    },
                    None,
                );
                assert_eq!((s.first_bad, s.first_bad_f32), (None, None));
            }
        }
    }
}
