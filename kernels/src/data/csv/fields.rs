//! Rows and fields: the fast row path, the ID split, quoted fields and the general
//! number parser with its error messages.

use super::number::{fast_number, zero_bytes, ONES};

/// Parses the row starting at `pos` by the fast path: an unquoted ID up to the
/// first comma, then `out.len()` fields that [`fast_number`] takes whole, separated
/// by commas and ended by `\n`, `\r\n` or the end of `b`. Writes the values to `out`
/// and returns the row's length (without line ending) and where the next row
/// starts; on `None` the caller parses the row again by the general path, which
/// accepts the same rows with the same values (and more).
#[inline(always)]
pub(crate) fn fast_row(b: &[u8], pos: usize, out: &mut [f64]) -> Option<(usize, usize)> {
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
pub(crate) fn closing_quote(s: &[u8], open: usize) -> Option<usize> {
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
pub(crate) fn split_fields(line: &[u8]) -> std::result::Result<Vec<&[u8]>, (usize, String)> {
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

pub(crate) fn count_fields(line: &[u8]) -> usize {
    split_fields(line)
        .map(|f| f.len())
        .unwrap_or_else(|_| memchr::memchr_iter(b',', line).count() + 1)
}

pub(crate) fn show(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.into_owned()
    }
}

/// Parses one number field (already unquoted).
#[inline]
pub fn parse_number(field: &[u8]) -> std::result::Result<f64, String> {
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
pub(crate) fn parse_features(
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
