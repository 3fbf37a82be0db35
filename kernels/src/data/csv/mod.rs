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
//! Rows are parsed by a fast path first (`fields::fast_row`): an unquoted ID, then `d`
//! numbers of the form `-?digits[.digits]` with at most 19 significant digits, each
//! followed directly by the separator, converted exactly (`number::fast_number`). Any
//! other row (quotes, spaces, exponents, long mantissas, blank lines, errors) is
//! parsed again from its start by the general path, which uses `fast_float2`, so
//! values, IDs and error positions do not depend on which path ran.
//!
//! Inputs that cannot be mapped (pipes, `-` for stdin) are read by a second thread in
//! blocks ([`load_csv_stream`]); the text so far is cut at its last line end and
//! parsed by the same windows, so values and errors are the same as for a file.

pub mod fields;
pub mod number;
pub mod stream;

pub use fields::parse_number;
pub use fields::{fast_value, general_value};
pub use stream::load_csv_stream;

use super::dataset::{release_pages_covering, CsvRows, Dataset, Matrix, Source, Text};
use crate::error::{Error, Result};
use crate::exec::Exec;
use fields::{closing_quote, count_fields, fast_row, parse_features, split_fields, split_id};
use memmap2::Mmap;
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
                if let Some(avail) = super::dataset::available_memory() {
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
            Buf::Vec(_) => crate::accum::line_offset(ptr),
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
