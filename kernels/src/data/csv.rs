//! Memory-mapped (or streamed), parallel CSV parsing into the flat matrix.
//!
//! Format (see DESIGN.md): a header line `ID,feature_1,…,feature_d` (names are free;
//! d is the number of columns after the first), then one row per line. Accepted: a
//! UTF-8 BOM, CRLF or LF line endings, a missing final newline, blank lines (skipped),
//! fields in double quotes (with `""` for a quote inside), spaces around numbers.
//! Rejected with file, line and column: ragged rows, non-numeric, empty, NaN or
//! infinite values, and values beyond the f64 range. Quoted fields may not contain
//! line breaks.
//!
//! The body is cut at line ends into chunks of about [`CHUNK_BYTES`]; a window of a
//! few chunks per thread is parsed in parallel, each chunk into its own reused
//! buffer, and the buffers are then copied in parallel into their places in the
//! matrix (allocated once, zeroed lazily by the kernel, so its page faults are taken
//! by all threads). A chunk's pages of the mapped file are released as soon as it is
//! parsed, so the mapping never stays resident: peak memory is the f64 matrix plus
//! about one window.
//!
//! Rows are parsed by a fast path first ([`fast_row`]): an unquoted ID, then `d`
//! numbers of the form `-?digits[.digits]` with at most 19 significant digits, each
//! followed directly by the separator, converted exactly ([`fast_number`]). Any
//! other row (quotes, spaces, exponents, long mantissas, blank lines, errors) is
//! parsed again from its start by the general path, which uses `fast_float2`, so
//! values, IDs and error positions do not depend on which path ran.
//!
//! Inputs that cannot be mapped (pipes, `-` for stdin) are read by a second thread in
//! blocks ([`load_csv_stream`]); the text so far is cut at its last line end and
//! parsed by the same windows, so values and errors are the same as for a file.

use super::{release_pages_covering, CsvRows, Dataset, Matrix, Source, Text};
use crate::error::{Error, Result};
use crate::exec::Exec;
use memmap2::Mmap;
use std::io::Read;
use std::path::Path;

/// Bytes of CSV per parallel task: large enough that scheduling costs nothing, small
/// enough that a window of them stays a few MB and a chunk's output stays in L2.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks per window per thread (at least [`MIN_WINDOW_CHUNKS`] in all). The threads
/// wait for each other at the end of a window (its rows are then copied in order), so
/// more chunks per window waste less time there; the window bounds the chunk buffers
/// only. Results do not depend on it.
pub const WINDOW_CHUNKS_PER_THREAD: usize = 8;
/// Smallest window, in chunks.
pub const MIN_WINDOW_CHUNKS: usize = 4;
/// Bytes a stream is read in (per `read` round of the reader thread).
pub const STREAM_BLOCK_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// More than the kernel maps around a page fault of a file mapping (its default
/// `fault_around_bytes` is 64 KiB).
const FAULT_AROUND: usize = 128 * 1024;

/// A parse failure inside a chunk, before it is turned into a file/line/column error.
struct RowError {
    /// Absolute byte offset of the start of the offending line.
    offset: usize,
    column: usize,
    message: String,
}

/// One chunk's rows. Reused from window to window, so its buffers are allocated (and
/// their pages faulted in) once per task slot, not once per chunk.
#[derive(Default)]
struct ChunkOut {
    values: Vec<f64>,
    starts: Vec<u64>,
    lens: Vec<u32>,
    /// The first bad row of the chunk; the rows before it are kept, those after it
    /// are not parsed.
    err: Option<RowError>,
}

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

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `v` that is zero, exactly (no carries between
/// bytes).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
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

/// The fast path's value of a whole field, `None` when it leaves the field to the
/// general parser. For tests, which check it against [`general_value`].
#[doc(hidden)]
pub fn fast_value(field: &[u8]) -> Option<f64> {
    match fast_number(field, 0) {
        Some((v, end)) if end == field.len() => Some(v),
        _ => None,
    }
}

/// The general parser's value of a field (`fast_float2` after trimming spaces), or
/// its error message. For tests.
#[doc(hidden)]
pub fn general_value(field: &[u8]) -> std::result::Result<f64, String> {
    parse_number(field)
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

/// Parses the row starting at `pos` by the fast path: an unquoted ID up to the
/// first comma, then `out.len()` fields that [`fast_number`] takes whole, separated
/// by commas and ended by `\n`, `\r\n` or the end of `b`. Writes the values to `out`
/// and returns the row's length (without line ending) and where the next row
/// starts; on `None` the caller parses the row again by the general path, which
/// accepts the same rows with the same values (and more).
#[inline(always)]
fn fast_row(b: &[u8], pos: usize, out: &mut [f64]) -> Option<(usize, usize)> {
    if b.get(pos) == Some(&b'"') {
        return None;
    }
    let mut i = pos;
    // The ID: up to the first comma, which must come before the line end.
    loop {
        if let Some(word) = b.get(i..i + 8) {
            let v = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            let hit = zero_bytes(v ^ (b',' as u64 * ONES)) | zero_bytes(v ^ (b'\n' as u64 * ONES));
            if hit == 0 {
                i += 8;
                continue;
            }
            i += hit.trailing_zeros() as usize / 8;
        } else {
            i += b[i..].iter().position(|&c| c == b',' || c == b'\n')?;
        }
        if b[i] != b',' {
            return None;
        }
        break;
    }
    let (last, first) = out.split_last_mut()?;
    for slot in first {
        let (v, e) = fast_number(b, i + 1)?;
        if b.get(e) != Some(&b',') {
            return None;
        }
        *slot = v;
        i = e;
    }
    let (v, e) = fast_number(b, i + 1)?;
    let (len, next) = match b.get(e) {
        None => (e - pos, e),
        Some(b'\n') => (e - pos, e + 1),
        Some(b'\r') if b.get(e + 1) == Some(&b'\n') => (e - pos, e + 2),
        _ => return None,
    };
    if len > u32::MAX as usize {
        return None;
    }
    *last = v;
    Some((len, next))
}

/// Splits the ID field off a row: returns the ID (without quotes) and the offset of
/// the first feature field (just past the comma), or `None` if there is no comma.
pub(crate) fn split_id(row: &[u8]) -> (&[u8], Option<usize>) {
    if row.first() == Some(&b'"') {
        match closing_quote(row, 0) {
            Some(q) => {
                let id = &row[1..q];
                match row.get(q + 1) {
                    Some(b',') => (id, Some(q + 2)),
                    _ => (id, None),
                }
            }
            None => (&row[1..], None),
        }
    } else {
        match memchr::memchr(b',', row) {
            Some(c) => (&row[..c], Some(c + 1)),
            None => (row, None),
        }
    }
}

/// Index of the quote closing the quoted field that opens at `open`, skipping `""`.
fn closing_quote(s: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while let Some(q) = memchr::memchr(b'"', &s[i..]) {
        let q = i + q;
        if s.get(q + 1) == Some(&b'"') {
            i = q + 2;
        } else {
            return Some(q);
        }
    }
    None
}

/// Splits a full line into its fields (quotes removed, `""` kept as is). Used for the
/// header; the hot path parses numbers without building this list.
fn split_fields(line: &[u8]) -> std::result::Result<Vec<&[u8]>, (usize, String)> {
    let mut out = Vec::new();
    let mut p = 0;
    loop {
        let col = out.len() + 1;
        if line.get(p) == Some(&b'"') {
            let q = closing_quote(line, p).ok_or((col, "unterminated quoted field".to_string()))?;
            out.push(&line[p + 1..q]);
            match line.get(q + 1) {
                None => return Ok(out),
                Some(b',') => p = q + 2,
                Some(_) => return Err((col, "text after a closing quote".to_string())),
            }
        } else {
            match memchr::memchr(b',', &line[p..]) {
                Some(c) => {
                    out.push(&line[p..p + c]);
                    p += c + 1;
                }
                None => {
                    out.push(&line[p..]);
                    return Ok(out);
                }
            }
        }
    }
}

fn count_fields(line: &[u8]) -> usize {
    split_fields(line)
        .map(|f| f.len())
        .unwrap_or_else(|_| memchr::memchr_iter(b',', line).count() + 1)
}

fn show(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.into_owned()
    }
}

/// Parses one number field (already unquoted).
#[inline]
pub(crate) fn parse_number(field: &[u8]) -> std::result::Result<f64, String> {
    let t = field.trim_ascii();
    match fast_float2::parse::<f64, _>(t) {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => {
            let lower = t.to_ascii_lowercase();
            if v.is_nan() || lower.windows(3).any(|w| w == b"inf" || w == b"nan") {
                Err(format!(
                    "NaN or infinite value '{}' is not allowed",
                    show(t)
                ))
            } else {
                Err(format!("value '{}' is out of the f64 range", show(t)))
            }
        }
        Err(_) if t.is_empty() => Err("empty value".to_string()),
        Err(_) => Err(format!("not a number: '{}'", show(t))),
    }
}

/// Parses the `d` feature fields of a row (starting at `p`) into `out`. On error gives
/// the 1-based column and the message.
#[inline]
fn parse_features(
    line: &[u8],
    mut p: usize,
    d: usize,
    out: &mut Vec<f64>,
) -> std::result::Result<(), (usize, String)> {
    let ragged = |line: &[u8]| {
        (
            count_fields(line).min(d + 2),
            format!(
                "row has {} fields, the header has {}",
                count_fields(line),
                d + 1
            ),
        )
    };
    for j in 0..d {
        let col = j + 2;
        let last = j + 1 == d;
        let (field, next) = if line.get(p) == Some(&b'"') {
            let q = closing_quote(line, p).ok_or((col, "unterminated quoted field".to_string()))?;
            match line.get(q + 1) {
                None => (&line[p + 1..q], None),
                Some(b',') => (&line[p + 1..q], Some(q + 2)),
                Some(_) => return Err((col, "text after a closing quote".to_string())),
            }
        } else {
            match memchr::memchr(b',', &line[p..]) {
                Some(c) => (&line[p..p + c], Some(p + c + 1)),
                None => (&line[p..], None),
            }
        };
        let v = parse_number(field).map_err(|m| (col, m))?;
        out.push(v);
        match (next, last) {
            (Some(n), false) => p = n,
            (None, true) => return Ok(()),
            _ => return Err(ragged(line)),
        }
    }
    Ok(())
}

/// Parses the lines of `bytes` (which starts at absolute offset `base`) into `out`
/// (cleared first), stopping at the first bad row.
fn parse_chunk(bytes: &[u8], base: usize, d: usize, out: &mut ChunkOut) {
    out.values.clear();
    out.starts.clear();
    out.lens.clear();
    out.err = None;
    // A row holds at least 2 bytes per value (`,0`): enough room for most files.
    out.values.reserve(bytes.len() / 8);
    let mut pos = 0;
    while pos < bytes.len() {
        let mark = out.values.len();
        // Room for the row first (cheaper than a push per value).
        out.values.resize(mark + d, 0.0);
        if let Some((len, next)) = fast_row(bytes, pos, &mut out.values[mark..]) {
            out.starts.push((base + pos) as u64);
            out.lens.push(len as u32);
            pos = next;
            continue;
        }
        out.values.truncate(mark);
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
        let mut line = &bytes[pos..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if !line.is_empty() {
            let err = |column: usize, message: String| {
                Some(RowError {
                    offset: base + pos,
                    column,
                    message,
                })
            };
            let (_, first) = split_id(line);
            let Some(first) = first else {
                out.err = if line.first() == Some(&b'"') && closing_quote(line, 0).is_none() {
                    err(1, "unterminated quoted field".into())
                } else {
                    err(
                        count_fields(line).min(d + 1),
                        format!("row has 1 field, the header has {}", d + 1),
                    )
                };
                return;
            };
            if line.len() > u32::MAX as usize {
                out.err = err(1, "line longer than 4 GiB".into());
                return;
            }
            if let Err((c, m)) = parse_features(line, first, d, &mut out.values) {
                out.err = err(c, m);
                return;
            }
            out.starts.push((base + pos) as u64);
            out.lens.push(line.len() as u32);
        }
        pos = end + 1;
    }
}

/// 1-based line number of absolute byte offset `offset`.
fn line_of(text: &[u8], offset: usize) -> u64 {
    memchr::memchr_iter(b'\n', &text[..offset]).count() as u64 + 1
}

/// Cuts `[start, end)` into chunks of about `chunk_bytes` ending at line ends.
fn next_chunk_end(text: &[u8], start: usize, end: usize, chunk_bytes: usize) -> usize {
    let nominal = start + chunk_bytes;
    if nominal >= end {
        return end;
    }
    memchr::memchr(b'\n', &text[nominal..end]).map_or(end, |e| nominal + e + 1)
}

/// The header: where it is (without BOM and line ending), d, and where the body
/// starts. `text` holds at least the whole first line.
fn parse_header(path: &Path, text: &[u8]) -> Result<(std::ops::Range<usize>, usize, usize)> {
    let body0 = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let header_end = memchr::memchr(b'\n', &text[body0..]).map_or(text.len(), |e| body0 + e);
    let mut header = body0..header_end;
    if text[header.clone()].last() == Some(&b'\r') {
        header.end -= 1;
    }
    let parse_err = |column: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        line: 1,
        column,
        message,
    };
    let header_line = &text[header.clone()];
    if header_line.trim_ascii().is_empty() {
        return Err(parse_err(1, "the header line is empty".into()));
    }
    let fields = split_fields(header_line).map_err(|(c, m)| parse_err(c, m))?;
    if fields.len() < 2 {
        return Err(parse_err(
            1,
            "no feature columns: the header must be ID,feature_1,…,feature_d".into(),
        ));
    }
    Ok((header, fields.len() - 1, (header_end + 1).min(text.len())))
}

/// The matrix being filled: `len()` f64s, zero where not written yet.
enum Buf {
    /// Anonymous memory with transparent huge pages requested (Linux): a 64 MB
    /// matrix then takes ~32 page faults instead of ~16 000 (each a few µs on a VM),
    /// and pages never written never become resident. Used when the size is known
    /// in advance (a mapped file).
    Anon(memmap2::MmapMut),
    /// A vector (zeroed by the allocator, or grown as rows come).
    Vec(Vec<f64>),
}

impl Buf {
    /// Zeroed room for `len` values: anonymous memory aligned to 2 MiB inside, or
    /// a vector when that fails (other platforms).
    fn zeroed(len: usize, huge: bool) -> Buf {
        const HUGE: usize = 2 << 20;
        if huge {
            if let Ok(map) = memmap2::MmapMut::map_anon(len.saturating_mul(8).saturating_add(HUGE))
            {
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::HugePage);
                return Buf::Anon(map);
            }
        }
        Buf::Vec(vec![0.0; len])
    }

    fn values(&mut self) -> &mut [f64] {
        match self {
            Buf::Anon(map) => bytemuck::cast_slice_mut(&mut map[..]),
            Buf::Vec(v) => v,
        }
    }

    fn len(&mut self) -> usize {
        self.values().len()
    }

    /// Makes room for at least `need` values, keeping the first `filled`.
    fn grow(&mut self, filled: usize, need: usize) {
        if self.len() >= need {
            return;
        }
        if let Buf::Anon(map) = self {
            // The estimate was short: move to a vector (rare; costs one copy).
            let mut v = Vec::with_capacity(need + need / 2);
            v.extend_from_slice(&bytemuck::cast_slice::<u8, f64>(&map[..])[..filled]);
            *self = Buf::Vec(v);
        }
        if let Buf::Vec(v) = self {
            if v.len() < need {
                // Geometric growth, zeroing only what is written now.
                v.reserve(need.max(v.len() + v.len() / 2) - v.len());
                v.resize(need, 0.0);
            }
        }
    }
}

/// The rows parsed so far, and the reused per-chunk buffers.
struct Sink<'p> {
    path: &'p Path,
    d: usize,
    /// `pad` zeros (so the values start on a cache line, or a huge page), the
    /// `n × d` values, then zeros not yet written (room reserved from the size
    /// estimate). `None` until the first rows are parsed.
    values: Option<Buf>,
    pad: usize,
    /// Values written, including `pad`.
    filled: usize,
    starts: Vec<u64>,
    lens: Vec<u32>,
    outs: Vec<ChunkOut>,
    ranges: Vec<(usize, usize)>,
    window: usize,
    chunk_bytes: usize,
    /// `(body start, total bytes)` of a mapped file: the basis of the size estimate.
    /// `None` for a stream, whose matrix grows as needed.
    size: Option<(usize, usize)>,
}

impl<'p> Sink<'p> {
    fn new(path: &'p Path, d: usize, exec: &Exec, chunk_bytes: usize) -> Self {
        Sink {
            path,
            d,
            values: None,
            pad: 0,
            filled: 0,
            starts: Vec::new(),
            lens: Vec::new(),
            outs: Vec::new(),
            ranges: Vec::new(),
            window: (WINDOW_CHUNKS_PER_THREAD * exec.threads()).max(MIN_WINDOW_CHUNKS),
            chunk_bytes: chunk_bytes.max(1),
            size: None,
        }
    }

    /// Parses the lines of `text[from..to]` (`to` is the end of `text` or just past a
    /// line end) and appends their rows. `map`, when given, is the mapping `text`
    /// lives in: each chunk's pages are released once it is parsed.
    fn parse(
        &mut self,
        text: &[u8],
        from: usize,
        to: usize,
        exec: &Exec,
        map: Option<&Mmap>,
    ) -> Result<()> {
        let d = self.d;
        let mut pos = from;
        while pos < to {
            self.ranges.clear();
            while self.ranges.len() < self.window && pos < to {
                let e = next_chunk_end(text, pos, to, self.chunk_bytes);
                self.ranges.push((pos, e));
                pos = e;
            }
            let nr = self.ranges.len();
            if self.outs.len() < nr {
                self.outs.resize_with(nr, ChunkOut::default);
            }
            let ranges = &self.ranges;
            exec.for_each(&mut self.outs[..nr], |i, out| {
                let (s, e) = ranges[i];
                parse_chunk(&text[s..e], s, d, out);
                if let Some(map) = map {
                    release_pages_covering(map, s..e);
                }
            });
            if let Some(map) = map {
                // A page fault maps the pages around it too (fault-around, 64 KiB by
                // default), so a chunk's first fault maps pages of the chunk before
                // it again, perhaps already released; sweep the window once more,
                // with the previous window's tail (cheap: few pages are mapped).
                release_pages_covering(map, self.ranges[0].0.saturating_sub(FAULT_AROUND)..pos);
            }
            let mut add = 0;
            for i in 0..nr {
                if let Some(e) = self.outs[i].err.take() {
                    return Err(Error::Parse {
                        path: self.path.to_path_buf(),
                        line: line_of(text, e.offset),
                        column: e.column,
                        message: e.message,
                    });
                }
                if self.values.is_none() && !self.outs[i].starts.is_empty() {
                    self.reserve(self.outs[i].starts.len())?;
                }
                add += self.outs[i].values.len();
            }
            if add == 0 {
                continue;
            }
            let need = self.filled + add;
            let values = self.values.as_mut().expect("reserved at the first rows");
            // More room when the estimate was short, or for a stream.
            values.grow(self.filled, need);
            let mut dst: Vec<&mut [f64]> = Vec::with_capacity(nr);
            let mut rest = &mut values.values()[self.filled..need];
            for out in &self.outs[..nr] {
                let (a, b) = std::mem::take(&mut rest).split_at_mut(out.values.len());
                dst.push(a);
                rest = b;
            }
            // In parallel: the copies also take the first-touch page faults of the
            // matrix, which cost about as much as the copies themselves.
            exec.for_each_zip(&mut self.outs[..nr], &mut dst, |_, out, dst| {
                dst.copy_from_slice(&out.values)
            });
            for out in &self.outs[..nr] {
                self.starts.extend_from_slice(&out.starts);
                self.lens.extend_from_slice(&out.lens);
            }
            self.filled = need;
        }
        Ok(())
    }

    /// Allocates the matrix when the first rows are known: for a mapped file, for the
    /// whole file from the first chunk's bytes per row plus a margin (zeroed lazily
    /// by the kernel: pages never written never become resident); for a stream, for
    /// this window's rows (it then grows).
    fn reserve(&mut self, first_rows: usize) -> Result<()> {
        let d = self.d;
        let first_bytes = (self.ranges[0].1 - self.ranges[0].0).max(1);
        let est_rows = match self.size {
            Some((body_start, total)) => {
                // A row holds at least 2d bytes, which caps the estimate.
                let body = total - body_start;
                let est_rows =
                    ((first_rows as f64 * body as f64 / first_bytes as f64 * 1.02) as usize + 16)
                        .min(body / (2 * d) + 1);
                // Fail early, before the memory is touched, when the matrix cannot fit.
                let need = (est_rows as u64).saturating_mul(d as u64 * 8 + 12);
                if let Some(avail) = super::available_memory() {
                    if need > avail {
                        return Err(Error::format(
                            self.path,
                            format!(
                                "too large for this machine's memory: about {} rows × {d} features need {:.1} GB, {:.1} GB are available",
                                est_rows,
                                need as f64 / 1e9,
                                avail as f64 / 1e9
                            ),
                        ));
                    }
                }
                est_rows
            }
            None => first_rows * self.window,
        };
        // Zeroed memory that is not written here (fresh pages from the kernel), so
        // its page faults are taken by the parallel copies, and never beyond the rows
        // the file really has.
        let len = est_rows.saturating_mul(d);
        let mut values = Buf::zeroed(len.saturating_add(7), self.size.is_some());
        // Room in front so the values start on a cache line (on a huge page for
        // the anonymous map).
        let ptr = values.values().as_ptr();
        self.pad = match values {
            Buf::Anon(_) => ((2 << 20) - ptr as usize % (2 << 20)) % (2 << 20) / 8,
            Buf::Vec(_) => super::line_offset(ptr),
        };
        self.filled = self.pad;
        values.grow(self.pad, self.pad);
        self.values = Some(values);
        let _ = self.starts.try_reserve_exact(est_rows);
        let _ = self.lens.try_reserve_exact(est_rows);
        Ok(())
    }

    fn finish(mut self, header: std::ops::Range<usize>, text: Text) -> Result<Dataset> {
        let n = self.starts.len();
        if n == 0 {
            return Err(Error::format(
                self.path,
                "no data rows (the file has only a header)",
            ));
        }
        self.starts.shrink_to_fit();
        self.lens.shrink_to_fit();
        let matrix = match self.values.expect("rows were parsed") {
            Buf::Anon(map) => Matrix::from_anon(n, self.d, map, self.pad * 8),
            Buf::Vec(mut v) => {
                v.truncate(self.filled);
                v.shrink_to_fit();
                Matrix::from_padded(n, self.d, v, self.pad)
            }
        };
        Ok(Dataset {
            path: self.path.to_path_buf(),
            matrix,
            source: Source::Csv(CsvRows {
                text,
                header,
                starts: self.starts,
                lens: self.lens,
            }),
        })
    }
}

/// Parses a mapped CSV file. See the module docs for the format.
pub fn load_csv(path: &Path, map: Mmap, exec: &Exec) -> Result<Dataset> {
    load_csv_chunked(path, map, exec, CHUNK_BYTES)
}

/// [`load_csv`] with another chunk size (tests use it to put chunk boundaries
/// everywhere; results never depend on it).
pub fn load_csv_chunked(
    path: &Path,
    map: Mmap,
    exec: &Exec,
    chunk_bytes: usize,
) -> Result<Dataset> {
    // Pages are released only from a mapped regular file; a mapping that
    // `map_file` filled from a stream is anonymous memory, which releasing would zero.
    let file_backed = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let text: &[u8] = &map;
    let (header, d, body_start) = parse_header(path, text)?;
    let mut sink = Sink::new(path, d, exec, chunk_bytes);
    sink.size = Some((body_start, text.len()));
    sink.parse(
        text,
        body_start,
        text.len(),
        exec,
        file_backed.then_some(&map),
    )?;
    sink.finish(
        header,
        if file_backed {
            Text::Mapped(map)
        } else {
            Text::Anon(map)
        },
    )
}

/// Parses a CSV read from a stream (a pipe, stdin): the same rows, values and errors
/// as [`load_csv`] on a file with the same bytes. `first` holds bytes already read
/// from the stream. A second thread reads blocks of `block_bytes` while the text
/// read so far is parsed, in windows ending at a line end, on `exec`; the whole text
/// is kept (the output echoes rows from it), so peak memory is the text plus the
/// matrix.
pub fn load_csv_stream(
    path: &Path,
    first: Vec<u8>,
    reader: impl Read + Send,
    exec: &Exec,
    chunk_bytes: usize,
    block_bytes: usize,
) -> Result<Dataset> {
    let block_bytes = block_bytes.max(1);
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(4);
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    // `move`: the receiver is dropped when parsing stops (even on an error), which
    // stops the reader thread before the scope joins it.
    std::thread::scope(move |scope| {
        scope.spawn(move || read_blocks(reader, block_bytes, full_tx, free_rx));
        let mut text = first;
        let mut parsed = 0;
        let mut head: Option<(std::ops::Range<usize>, Sink)> = None;
        let window_bytes = |s: &Sink| s.window.saturating_mul(s.chunk_bytes);
        loop {
            let eof = match full_rx.recv() {
                Ok(Ok(block)) => {
                    text.extend_from_slice(&block);
                    let _ = free_tx.send(block);
                    false
                }
                Ok(Err(e)) => return Err(Error::io(path, e)),
                Err(_) => true,
            };
            if head.is_none() {
                if !eof && memchr::memchr(b'\n', &text).is_none() {
                    continue;
                }
                if text.is_empty() {
                    return Err(Error::format(path, "file is empty"));
                }
                let (header, d, body_start) = parse_header(path, &text)?;
                parsed = body_start;
                head = Some((header, Sink::new(path, d, exec, chunk_bytes)));
            }
            let (_, sink) = head.as_mut().expect("header parsed");
            let cut = if eof {
                text.len()
            } else {
                memchr::memrchr(b'\n', &text[parsed..]).map_or(parsed, |e| parsed + e + 1)
            };
            if eof || cut - parsed >= window_bytes(sink) {
                sink.parse(&text, parsed, cut, exec, None)?;
                parsed = cut;
            }
            if eof {
                let (header, sink) = head.take().expect("header parsed");
                return sink.finish(header, Text::Owned(text));
            }
        }
    })
}

/// The reader thread of [`load_csv_stream`]: sends full blocks (the last one may be
/// shorter) until the end of the stream or an error; reuses the blocks sent back.
fn read_blocks(
    mut reader: impl Read,
    block_bytes: usize,
    full: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    free: std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut block = free.try_recv().unwrap_or_default();
        block.resize(block_bytes, 0);
        let mut len = 0;
        while len < block_bytes {
            match reader.read(&mut block[len..]) {
                Ok(0) => break,
                Ok(r) => len += r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = full.send(Err(e));
                    return;
                }
            }
        }
        if len == 0 {
            return;
        }
        block.truncate(len);
        // The receiver is gone when the parse failed: stop reading.
        if full.send(Ok(block)).is_err() {
            return;
        }
    }
}
