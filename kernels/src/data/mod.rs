//! Input: loading the flat row-major [`Matrix`] and where its rows came from
//! ([`Source`]). Loading only: the layouts that run on a matrix are in
//! [`crate::layout`].
//!
//! * [`csv`]: memory-mapped, parallel CSV parsing straight into the flat matrix.
//! * [`npy`]: `.npy` (2-D, f64 or f32, C order), zero-copy for aligned f64.
//! * [`centers`]: the `--init-centers` reader.
//! * [`weights`]: the `--sample-weight` reader.

pub mod centers;
pub mod csv;
pub mod npy;
pub mod weights;

use crate::accum::line_offset;
use crate::distance::{max_magnitude, max_magnitude_f32};
use crate::error::{Error, Result};
use crate::exec::Exec;
use memmap2::Mmap;
use std::path::{Path, PathBuf};

/// Storage of the `n × d` matrix: owned, or borrowed straight from a mapped `.npy`.
enum Storage {
    /// The values are `buf[offset..offset + n * d]`, starting on a cache line (see
    /// [`cache_line_aligned`]).
    Owned { buf: Vec<f64>, offset: usize },
    /// f64 data inside a read-only mapping, at `offset` bytes, suitably aligned.
    Mapped {
        map: Mmap,
        offset: usize,
        len: usize,
    },
}

/// A dense row-major `n × d` matrix of finite f64 values.
pub struct Matrix {
    n: usize,
    d: usize,
    storage: Storage,
}

impl Matrix {
    /// Wraps an owned buffer. Panics if `values.len() != n * d` (a programming error).
    pub fn from_vec(n: usize, d: usize, values: Vec<f64>) -> Self {
        assert_eq!(
            values.len(),
            n * d,
            "matrix shape does not match its buffer"
        );
        Matrix::from_padded(n, d, values, 0)
    }

    /// Wraps `buf[pad..]` (a reader may leave room in front so that the values start
    /// on a cache line without moving them; see [`line_pad`]).
    pub(crate) fn from_padded(n: usize, d: usize, buf: Vec<f64>, pad: usize) -> Self {
        assert_eq!(
            buf.len() - pad,
            n * d,
            "matrix shape does not match its buffer"
        );
        let (buf, offset) = cache_line_aligned(buf, pad);
        Matrix {
            n,
            d,
            storage: Storage::Owned { buf, offset },
        }
    }

    pub(crate) fn from_mapped(n: usize, d: usize, map: Mmap, offset: usize) -> Self {
        Matrix {
            n,
            d,
            storage: Storage::Mapped {
                map,
                offset,
                len: n * d,
            },
        }
    }

    /// Number of rows.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of columns.
    pub fn d(&self) -> usize {
        self.d
    }

    /// All values, row after row.
    pub fn as_slice(&self) -> &[f64] {
        match &self.storage {
            Storage::Owned { buf, offset } => &buf[*offset..*offset + self.n * self.d],
            Storage::Mapped { map, offset, len } => {
                bytemuck::cast_slice(&map[*offset..*offset + len * 8])
            }
        }
    }

    /// Row `i` (`d` values).
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.as_slice()[i * self.d..(i + 1) * self.d]
    }

    /// True when the values are read in place from a mapped file (no copy was made).
    pub fn is_zero_copy(&self) -> bool {
        matches!(self.storage, Storage::Mapped { .. })
    }
}

/// Elements to leave in front of `buf`'s current end so that the next value pushed
/// starts on a cache line (64 bytes).
pub(crate) fn line_pad(buf: &[f64]) -> usize {
    line_offset(buf.as_ptr_range().end)
}

/// Moves the values `buf[offset..]` within `buf` (by at most 7 elements, growing it
/// if needed) so that they start on a cache line, and returns the buffer and their
/// new offset. The SIMD kernels read rows and add them into the sums with 64-byte
/// vectors; from an ordinary allocation (16-byte aligned) each of those would
/// straddle two cache lines.
/// No copy when they are already aligned (readers pad in front, see [`line_pad`]);
/// otherwise one `memmove` of the data, no second buffer.
fn cache_line_aligned(mut buf: Vec<f64>, offset: usize) -> (Vec<f64>, usize) {
    let len = buf.len() - offset;
    let values = buf[offset..].as_ptr();
    if len == 0 || line_offset(values) == 0 || !(values as usize).is_multiple_of(8) {
        return (buf, offset);
    }
    if buf.capacity() < buf.len() + 7 && buf.try_reserve_exact(7).is_err() {
        return (buf, offset);
    }
    let target = line_offset(buf.as_ptr());
    buf.resize(buf.len().max(target + len), 0.0);
    buf.copy_within(offset..offset + len, target);
    buf.truncate(target + len);
    (buf, target)
}

/// Where each row's text lives in the input file, so output can echo the ID and
/// feature fields byte for byte instead of re-formatting them.
pub struct CsvRows {
    pub(crate) map: Mmap,
    /// The header line without BOM and line ending.
    pub(crate) header: std::ops::Range<usize>,
    /// Byte offset of each row's first byte.
    pub(crate) starts: Vec<u64>,
    /// Length of each row without its line ending.
    pub(crate) lens: Vec<u32>,
}

impl CsvRows {
    /// The header line, as in the file (without BOM and line ending).
    pub fn header(&self) -> &[u8] {
        &self.map[self.header.clone()]
    }
    /// Row `i`'s text, without line ending.
    pub fn row_bytes(&self, i: usize) -> &[u8] {
        let s = self.starts[i] as usize;
        &self.map[s..s + self.lens[i] as usize]
    }
    /// Byte range of rows `rows` in the file (for releasing pages once used).
    pub(crate) fn byte_span(&self, rows: std::ops::Range<usize>) -> std::ops::Range<usize> {
        if rows.is_empty() {
            return 0..0;
        }
        let s = self.starts[rows.start] as usize;
        let last = rows.end - 1;
        s..self.starts[last] as usize + self.lens[last] as usize
    }
    /// Drops the pages of `range` from this process's resident set. They are read
    /// again from the page cache if touched later.
    pub(crate) fn release(&self, range: std::ops::Range<usize>) {
        release_pages(&self.map, range);
    }
    /// The ID field of row `i` (unquoted as written in the file).
    pub fn id_bytes(&self, i: usize) -> &[u8] {
        let row = self.row_bytes(i);
        csv::split_id(row).0
    }
}

/// Tells the kernel this process no longer needs the mapped pages in `range`
/// (rounded inward to whole pages). Best effort: errors are ignored, they only cost
/// memory.
#[cfg_attr(not(unix), allow(unused_variables))]
pub(crate) fn release_pages(map: &Mmap, range: std::ops::Range<usize>) {
    const PAGE: usize = 4096;
    let start = range.start.div_ceil(PAGE) * PAGE;
    let end = (range.end / PAGE) * PAGE;
    #[cfg(unix)]
    if end > start && end <= map.len() {
        // SAFETY: the mapping is a read-only, file-backed mapping (memmap2 `Mmap`).
        // MADV_DONTNEED on such pages only unmaps them from this process; any later
        // access faults them back in from the page cache/file with identical contents,
        // so no reference into the map can observe different bytes (the crate's
        // general caveat, that nobody truncates or rewrites the input file while it is
        // mapped, applies to every mapped read here).
        unsafe {
            let _ =
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start);
        }
    }
}

/// Where the rows came from: text rows to echo, or only numbers (then IDs are row
/// numbers and features are formatted with shortest round-trip).
pub enum Source {
    /// A CSV file: each row's text, to echo in the output.
    Csv(CsvRows),
    /// A `.npy` file: numbers only.
    Npy,
}

/// A loaded input file.
pub struct Dataset {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The values.
    pub matrix: Matrix,
    /// Where the rows came from.
    pub source: Source,
}

impl Dataset {
    /// Number of rows.
    pub fn n(&self) -> usize {
        self.matrix.n()
    }
    /// Number of features.
    pub fn d(&self) -> usize {
        self.matrix.d()
    }
}

/// Memory the loaders may use, in bytes: `KMEANS_MEMORY_LIMIT` (bytes) when set, else
/// `MemAvailable` from `/proc/meminfo`; `None` where neither is known. Inputs whose
/// matrix would not fit fail early with a clear error instead of an OOM kill.
pub fn available_memory() -> Option<u64> {
    if let Some(v) = std::env::var("KMEANS_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(v);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Loads a CSV or `.npy` file (chosen by the `.npy` magic bytes, not the extension).
/// CSV is parsed on `exec`'s threads; the result never depends on their number.
pub fn load(path: &Path, exec: &Exec) -> Result<Dataset> {
    let map = map_file(path)?;
    if map.starts_with(npy::MAGIC) {
        npy::load_npy(path, map)
    } else {
        csv::load_csv(path, map, exec)
    }
}

/// Opens and maps a regular file read-only, with errors a user can act on.
pub fn map_file(path: &Path) -> Result<Mmap> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::format(path, "is a directory, expected a file"));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if meta.len() == 0 {
        return Err(Error::format(path, "file is empty"));
    }
    // SAFETY: the file is mapped read-only. Like every memory-mapped reader, this
    // assumes no other process truncates or rewrites the file while it is mapped
    // (documented in the crate docs); this binary never writes its input.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// Checks [`max_magnitude`] over row-major `values` with `d` columns; `what` names the
/// values in the message ("input" or the centers file). Values are finite already.
pub fn check_magnitude(values: &[f64], n: usize, d: usize, what: &str) -> Result<()> {
    let limit = max_magnitude(n, d);
    match first_above(values, d, limit) {
        Some((row, col, v)) => Err(Error::Invalid(format!(
            "{what}: row {row}, column {col}: |{v:e}| is too large: with n = {n} and d = {d}, \
             squared distances and the inertia would overflow beyond {limit:.3e}; rescale the data"
        ))),
        None => Ok(()),
    }
}

/// [`check_magnitude`] for `--precision f32`: refuses values whose squared distances
/// could overflow f32 ([`crate::distance::max_magnitude_f32`]), naming the first one.
pub fn check_magnitude_f32(values: &[f64], d: usize, what: &str) -> Result<()> {
    let limit = max_magnitude_f32(d);
    match first_above(values, d, limit) {
        Some((row, col, v)) => Err(Error::Invalid(format!(
            "{what}: row {row}, column {col}: |{v:e}| is too large for --precision f32 \
             (limit {limit:.3e} at d = {d}); rescale the data or use --precision f64"
        ))),
        None => Ok(()),
    }
}

/// The first value of `values` (`d` columns) with `|v| > limit`, as (row, column)
/// counted from 1 and the value.
pub fn first_above(values: &[f64], d: usize, limit: f64) -> Option<(usize, usize, f64)> {
    let i = values.iter().position(|v| v.abs() > limit)?;
    Some((i / d.max(1) + 1, i % d.max(1) + 1, values[i]))
}
