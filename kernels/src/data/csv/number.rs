//! Exact decimal-to-f64 conversion for the fast path: `-?digits[.digits]` with at
//! most 19 significant digits, eight digits at a time (SWAR), by Clinger's fast path
//! or Eisel-Lemire; anything else is left to the general parser (`fast_float2`).

/// `10^i` for `i ≤ 22`: exact in f64 (5^22 < 2^53).
const POW10_F64: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Most digits after the point the fast path takes: the range of [`POW5_128`].
const FAST_MAX_FRAC: usize = 27;

/// `5^q` for `q = -27..=0` as the 128-bit normalized, truncated-up significands that
/// the Eisel-Lemire algorithm multiplies by (entry `q + 27`, high word first): the
/// same values as fast_float's table, computed here by long division
/// (`⌊2^(z+127) / 5^-q⌋ + 1` with `2^(z-1) < 5^-q < 2^z`).
static POW5_128: [(u64, u64); FAST_MAX_FRAC + 1] = pow5_table();

const fn pow5_table() -> [(u64, u64); FAST_MAX_FRAC + 1] {
    let mut t = [(0u64, 0u64); FAST_MAX_FRAC + 1];
    t[FAST_MAX_FRAC] = (1 << 63, 0);
    let mut e = 1;
    while e <= FAST_MAX_FRAC {
        let p = 5u64.pow(e as u32) as u128;
        let z = 128 - p.leading_zeros();
        // ⌊2^(z+127) / p⌋: the first quotient bit is 1 (2^z / p in (1, 2)), then 127 more.
        let mut r = (1u128 << z) - p;
        let mut quot: u128 = 1;
        let mut i = 0;
        while i < 127 {
            r <<= 1;
            quot <<= 1;
            if r >= p {
                r -= p;
                quot |= 1;
            }
            i += 1;
        }
        let c = quot + 1;
        t[FAST_MAX_FRAC - e] = ((c >> 64) as u64, c as u64);
        e += 1;
    }
    t
}

/// The value of eight ASCII digits (first digit in the low byte), SWAR.
#[inline(always)]
fn parse_eight(mut v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 0x000F_4240_0000_0064;
    const MUL2: u64 = 0x0000_2710_0000_0001;
    v -= 0x3030_3030_3030_3030;
    v = (v * 10) + (v >> 8);
    (((v & MASK).wrapping_mul(MUL1)).wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2))) >> 32
}

pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `v` that is zero, exactly (no carries between
/// bytes).
#[inline(always)]
pub(crate) fn zero_bytes(v: u64) -> u64 {
    !((((v & !HIGH) + !HIGH) | v) | !HIGH)
}

/// The high bit of each byte of `v` that is not an ASCII digit, exactly.
#[inline(always)]
fn non_digits(v: u64) -> u64 {
    let x = v & !HIGH;
    let ge_0 = x.wrapping_add(0x50 * ONES) & HIGH;
    let ge_colon = x.wrapping_add(0x46 * ONES) & HIGH;
    !(ge_0 & !ge_colon & !v) & HIGH
}

/// `10^i` for `i < 8`.
const POW10_U64: [u64; 8] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

/// Accumulates the digits at `b[i..]` into `w` (wrapping; the caller bounds the
/// count) and returns the index after the last digit. Eight bytes at a time: a
/// word's leading digits are counted from its non-digit mask and converted in one
/// go (shifted so that zeros stand in front of them), so the loop branches once per
/// eight digits, not once per digit.
#[inline(always)]
fn digits(b: &[u8], mut i: usize, w: &mut u64) -> usize {
    while let Some(word) = b.get(i..i + 8) {
        let v = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let nd = non_digits(v);
        if nd == 0 {
            *w = w.wrapping_mul(100_000_000).wrapping_add(parse_eight(v));
            i += 8;
            continue;
        }
        let r = nd.trailing_zeros() as usize / 8;
        if r > 0 {
            let s = (8 - r) * 8;
            let t = (v << s) | (0x30 * ONES) >> (64 - s);
            *w = w.wrapping_mul(POW10_U64[r]).wrapping_add(parse_eight(t));
        }
        return i + r;
    }
    while let Some(&c) = b.get(i) {
        let dg = c.wrapping_sub(b'0');
        if dg > 9 {
            break;
        }
        *w = w.wrapping_mul(10).wrapping_add(dg as u64);
        i += 1;
    }
    i
}

/// Parses `-?digits[.digits]` at `b[i..]` and returns the value and the index after
/// it, or `None` when the text has another form (sign `+`, exponent, no digit on one
/// side of the point, …), more than 19 significant digits or more than
/// [`FAST_MAX_FRAC`] digits after the point; those go to the general parser. When
/// it returns a value, it is the correctly rounded f64 of the decimal, so the same
/// as `fast_float2::parse` of the same text (tests check this on random and edge
/// cases): with `w` the digits as an integer and `f` the digits after the point,
/// the value is `w / 10^f`; exact when `w ≤ 2^53` and `f ≤ 22` (one IEEE division
/// of two exact values, Clinger's fast path), else computed by Eisel-Lemire, which
/// is exact or declines (then `None`).
#[inline(always)]
pub(crate) fn fast_number(b: &[u8], i: usize) -> Option<(f64, usize)> {
    let neg = b.get(i) == Some(&b'-');
    let start = i + neg as usize;
    let mut w: u64 = 0;
    // One digit before the point is common enough (values in (-10, 10)) to skip
    // the word-wise scan for it.
    let mut end = match (b.get(start), b.get(start + 1)) {
        (Some(&c), Some(b'.')) if c.is_ascii_digit() => {
            w = (c - b'0') as u64;
            start + 1
        }
        _ => digits(b, start, &mut w),
    };
    if end == start {
        return None;
    }
    let mut frac = 0;
    if b.get(end) == Some(&b'.') {
        let f0 = end + 1;
        end = digits(b, f0, &mut w);
        frac = end - f0;
        if frac == 0 {
            return None;
        }
    }
    if end - start - (frac > 0) as usize > 19 && significant_digits(&b[start..end]) > 19 {
        return None;
    }
    let v = decimal_to_f64(w, frac)?;
    Some((if neg { -v } else { v }, end))
}

/// Digits of `s` (digits and at most one point) after its leading zeros.
#[cold]
fn significant_digits(s: &[u8]) -> usize {
    s.iter()
        .filter(|c| c.is_ascii_digit())
        .skip_while(|&&c| c == b'0')
        .count()
}

/// `w / 10^frac` correctly rounded, for `w < 10^19` (exact integer), or `None` when
/// this fast conversion does not apply.
#[inline(always)]
fn decimal_to_f64(w: u64, frac: usize) -> Option<f64> {
    if w == 0 {
        return Some(0.0);
    }
    if frac > FAST_MAX_FRAC {
        return None;
    }
    if w <= 1 << 53 && frac <= 22 {
        return Some(w as f64 / POW10_F64[frac]);
    }
    eisel_lemire(w, -(frac as i32))
}

/// The Eisel-Lemire conversion of `w × 10^q` (`w ≠ 0`, `-27 ≤ q ≤ 0`) to the nearest
/// f64, following fast_float's `compute_float` (the range keeps every result normal
/// and finite, so its subnormal and overflow branches are not needed); `None` in the
/// rare cases the 128-bit product cannot decide the rounding.
#[inline(always)]
fn eisel_lemire(w: u64, q: i32) -> Option<f64> {
    const MANT: i32 = 52;
    let lz = w.leading_zeros();
    let w = w << lz;
    let (hi5, lo5) = POW5_128[(q + FAST_MAX_FRAC as i32) as usize];
    let r = (w as u128) * (hi5 as u128);
    let (mut lo, mut hi) = (r as u64, (r >> 64) as u64);
    const MASK: u64 = u64::MAX >> (MANT + 3);
    if hi & MASK == MASK {
        let s_hi = (((w as u128) * (lo5 as u128)) >> 64) as u64;
        lo = lo.wrapping_add(s_hi);
        if s_hi > lo {
            hi = hi.wrapping_add(1);
        }
    }
    // (`lo == u64::MAX` needs no check: q is inside fast_float's safe -27..=55.)
    let upperbit = (hi >> 63) as i32;
    let shift = upperbit + 64 - MANT - 3;
    let mut mantissa = hi >> shift;
    let power = ((q.wrapping_mul(152_170 + 65536)) >> 16) + 63;
    let mut power2 = power + upperbit - lz as i32 + 1023;
    if power2 <= 0 {
        return None;
    }
    if lo <= 1 && (-4..=23).contains(&q) && mantissa & 3 == 1 && (mantissa << shift) == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << MANT {
        mantissa = 1 << MANT;
        power2 += 1;
    }
    mantissa &= !(1 << MANT);
    if power2 >= 0x7FF {
        return None;
    }
    Some(f64::from_bits(mantissa | (power2 as u64) << MANT))
}
