//! Memory-mapped, parallel CSV parsing into the flat matrix.
//!
//! Format (see DESIGN.md): a header line `ID,feature_1,…,feature_d` (names are free;
//! d is the number of columns after the first), then one row per line. Accepted: a
//! UTF-8 BOM, CRLF or LF line endings, a missing final newline, blank lines (skipped),
//! fields in double quotes (with `""` for a quote inside), spaces around numbers.
//! Rejected with file, line and column: ragged rows, non-numeric, empty, NaN or
//! infinite values, and values beyond the f64 range. Quoted fields may not contain
//! line breaks.
//!
//! The body is parsed in windows of a few chunks of about [`CHUNK_BYTES`]
//! each, cut at line ends; the chunks of a window are parsed in parallel and appended
//! in order, then the window's pages are released, so the mapped file never stays
//! resident: peak memory is the f64 matrix plus about one window.

use super::{release_pages, CsvRows, Dataset, Matrix, Source};
use crate::error::{Error, Result};
use crate::exec::Exec;
use memmap2::Mmap;
use std::path::Path;

/// Bytes of CSV per parallel task: large enough that scheduling costs nothing, small
/// enough that a window of them stays a few MB.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks per window per thread (at least [`MIN_WINDOW_CHUNKS`] in all): the unit
/// after which parsed pages are released. The window only bounds memory; results do
/// not depend on it.
pub const WINDOW_CHUNKS_PER_THREAD: usize = 2;
/// Smallest window, in chunks.
pub const MIN_WINDOW_CHUNKS: usize = 4;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parse failure inside a chunk, before it is turned into a file/line/column error.
struct RowError {
    /// Absolute byte offset of the start of the offending line.
    offset: usize,
    column: usize,
    message: String,
}

#[derive(Default)]
struct ChunkOut {
    values: Vec<f64>,
    starts: Vec<u64>,
    lens: Vec<u32>,
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

/// Parses the lines of `bytes` (which starts at absolute offset `base`).
fn parse_chunk(bytes: &[u8], base: usize, d: usize) -> std::result::Result<ChunkOut, RowError> {
    let mut out = ChunkOut {
        values: Vec::with_capacity(bytes.len() / 8),
        ..Default::default()
    };
    let mut pos = 0;
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
        let mut line = &bytes[pos..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if !line.is_empty() {
            let err = |column: usize, message: String| RowError {
                offset: base + pos,
                column,
                message,
            };
            let (_, first) = split_id(line);
            let Some(first) = first else {
                if line.first() == Some(&b'"') && closing_quote(line, 0).is_none() {
                    return Err(err(1, "unterminated quoted field".into()));
                }
                return Err(err(
                    count_fields(line).min(d + 1),
                    format!("row has 1 field, the header has {}", d + 1),
                ));
            };
            if line.len() > u32::MAX as usize {
                return Err(err(1, "line longer than 4 GiB".into()));
            }
            parse_features(line, first, d, &mut out.values).map_err(|(c, m)| err(c, m))?;
            out.starts.push((base + pos) as u64);
            out.lens.push(line.len() as u32);
        }
        pos = end + 1;
    }
    Ok(out)
}

/// 1-based line number of absolute byte offset `offset`.
fn line_of(map: &[u8], offset: usize) -> u64 {
    memchr::memchr_iter(b'\n', &map[..offset]).count() as u64 + 1
}

/// Cuts `[start, end)` into chunks of about `chunk_bytes` ending at line ends.
fn next_chunk_end(map: &[u8], start: usize, end: usize, chunk_bytes: usize) -> usize {
    let nominal = start + chunk_bytes;
    if nominal >= end {
        return end;
    }
    memchr::memchr(b'\n', &map[nominal..end]).map_or(end, |e| nominal + e + 1)
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
    let chunk_bytes = chunk_bytes.max(1);
    let bytes: &[u8] = &map;
    let body0 = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let header_end = memchr::memchr(b'\n', &bytes[body0..]).map_or(bytes.len(), |e| body0 + e);
    let mut header = body0..header_end;
    if bytes[header.clone()].last() == Some(&b'\r') {
        header.end -= 1;
    }
    let parse_err = |line: u64, column: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let header_line = &bytes[header.clone()];
    if header_line.trim_ascii().is_empty() {
        return Err(parse_err(1, 1, "the header line is empty".into()));
    }
    let fields = split_fields(header_line).map_err(|(c, m)| parse_err(1, c, m))?;
    if fields.len() < 2 {
        return Err(parse_err(
            1,
            1,
            "no feature columns: the header must be ID,feature_1,…,feature_d".into(),
        ));
    }
    let d = fields.len() - 1;
    let body_start = (header_end + 1).min(bytes.len());
    let total = bytes.len();

    let mut values: Vec<f64> = Vec::new();
    let mut pad = 0;
    let mut starts: Vec<u64> = Vec::new();
    let mut lens: Vec<u32> = Vec::new();
    let mut pos = body_start;
    let mut outs: Vec<std::result::Result<ChunkOut, RowError>> = Vec::new();
    let window = (WINDOW_CHUNKS_PER_THREAD * exec.threads()).max(MIN_WINDOW_CHUNKS);
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(window);
    while pos < total {
        ranges.clear();
        while ranges.len() < window && pos < total {
            let e = next_chunk_end(bytes, pos, total, chunk_bytes);
            ranges.push((pos, e));
            pos = e;
        }
        outs.clear();
        outs.resize_with(ranges.len(), || Ok(ChunkOut::default()));
        exec.for_each(&mut outs, |i, slot| {
            let (s, e) = ranges[i];
            *slot = parse_chunk(&bytes[s..e], s, d);
        });
        for out in outs.drain(..) {
            let out = out.map_err(|e| parse_err(line_of(bytes, e.offset), e.column, e.message))?;
            if values.capacity() == 0 && !out.starts.is_empty() {
                // Reserve for the whole file from the first rows' bytes per row, plus
                // a margin; pages never touched never become resident. A row holds at
                // least 2d bytes, which caps the estimate. Best effort: on failure
                // the vectors simply grow.
                let first_bytes = (ranges[0].1 - ranges[0].0).max(1);
                let body = total - body_start;
                let est_rows = ((out.starts.len() as f64 * body as f64 / first_bytes as f64 * 1.02)
                    as usize
                    + 16)
                    .min(body / (2 * d) + 1);
                // Fail early, before the memory is touched, when the matrix cannot fit.
                let need = (est_rows as u64).saturating_mul(d as u64 * 8 + 12);
                if let Some(avail) = super::available_memory() {
                    if need > avail {
                        return Err(Error::format(
                            path,
                            format!(
                                "too large for this machine's memory: about {} rows × {d} features need {:.1} GB, {:.1} GB are available",
                                est_rows,
                                need as f64 / 1e9,
                                avail as f64 / 1e9
                            ),
                        ));
                    }
                }
                let _ = values.try_reserve_exact(est_rows.saturating_mul(d) + 7);
                // Room in front so the values start on a cache line.
                pad = super::line_pad(&values);
                values.resize(pad, 0.0);
                let _ = starts.try_reserve_exact(est_rows);
                let _ = lens.try_reserve_exact(est_rows);
            }
            values.extend_from_slice(&out.values);
            starts.extend_from_slice(&out.starts);
            lens.extend_from_slice(&out.lens);
        }
        release_pages(&map, ranges[0].0..pos);
    }
    let n = starts.len();
    if n == 0 {
        return Err(Error::format(
            path,
            "no data rows (the file has only a header)",
        ));
    }
    values.shrink_to_fit();
    starts.shrink_to_fit();
    lens.shrink_to_fit();
    Ok(Dataset {
        path: path.to_path_buf(),
        matrix: Matrix::from_padded(n, d, values, pad),
        source: Source::Csv(CsvRows {
            map,
            header,
            starts,
            lens,
        }),
    })
}
