//! The loaded data: the flat row-major [`Matrix`] (owned, in anonymous memory the
//! CSV parser filled, or mapped from a `.npy`), the CSV text and row offsets that
//! output echoes ([`CsvRows`]), where the rows came from ([`Source`]), and the memory
//! bookkeeping of the loaders (releasing parsed pages, the memory available).

use super::csv::fields::split_id;
use crate::accum::line_offset;
use memmap2::Mmap;
use std::path::PathBuf;

/// Storage of the `n × d` matrix: owned, or borrowed straight from a mapped `.npy`.
enum Storage {
    /// The values are `buf[offset..offset + n * d]`, starting on a cache line (see
    /// [`cache_line_aligned`]).
    Owned { buf: Vec<f64>, offset: usize },
    /// Anonymous memory the CSV parser filled (see `csv::Buf`): the values are
    /// `map[offset..]` as f64s, `offset` a multiple of 64 bytes.
    Anon {
        map: memmap2::MmapMut,
        offset: usize,
    },
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
    /// on a cache line without moving them; see [`line_offset`]).
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

    /// Wraps `n × d` values in `map` from byte `offset` (a multiple of 64).
    pub(crate) fn from_anon(n: usize, d: usize, map: memmap2::MmapMut, offset: usize) -> Self {
        assert!(
            offset.is_multiple_of(64) && offset + n * d * 8 <= map.len(),
            "matrix shape does not match its buffer"
        );
        Matrix {
            n,
            d,
            storage: Storage::Anon { map, offset },
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
            Storage::Anon { map, offset } => {
                bytemuck::cast_slice(&map[*offset..*offset + self.n * self.d * 8])
            }
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

/// Moves the values `buf[offset..]` within `buf` (by at most 7 elements, growing it
/// if needed) so that they start on a cache line, and returns the buffer and their
/// new offset. The SIMD kernels read rows and add them into the sums with 64-byte
/// vectors; from an ordinary allocation (16-byte aligned) each of those would
/// straddle two cache lines.
/// No copy when they are already aligned (readers pad in front);
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

/// The text of a CSV input: the mapped file, another mapping (one that
/// [`map_file`] filled from a stream: its pages must never be released, that would
/// zero them), or the bytes read from a stream.
pub(crate) enum Text {
    Mapped(Mmap),
    Anon(Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Text {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Text::Mapped(m) | Text::Anon(m) => m,
            Text::Owned(v) => v,
        }
    }
}

/// Where each row's text lives in the input file, so output can echo the ID and
/// feature fields byte for byte instead of re-formatting them.
pub struct CsvRows {
    pub(crate) text: Text,
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
        &self.text[self.header.clone()]
    }
    /// Row `i`'s text, without line ending.
    pub fn row_bytes(&self, i: usize) -> &[u8] {
        let s = self.starts[i] as usize;
        &self.text[s..s + self.lens[i] as usize]
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
    /// Drops the pages of `range` from this process's resident set, for a mapped
    /// file (they are read again from the page cache if touched later); text read
    /// from a stream stays in memory.
    pub(crate) fn release(&self, range: std::ops::Range<usize>) {
        if let Text::Mapped(map) = &self.text {
            release_pages(map, range);
        }
    }
    /// The ID field of row `i` (unquoted as written in the file).
    pub fn id_bytes(&self, i: usize) -> &[u8] {
        let row = self.row_bytes(i);
        split_id(row).0
    }
}

/// Tells the kernel this process no longer needs the mapped pages in `range`
/// (rounded inward to whole pages). Best effort: errors are ignored, they only cost
/// memory.
pub(crate) fn release_pages(map: &Mmap, range: std::ops::Range<usize>) {
    const PAGE: usize = 4096;
    release_page_range(
        map,
        range.start.div_ceil(PAGE) * PAGE,
        (range.end / PAGE) * PAGE,
    );
}

/// [`release_pages`] rounded outward: also the pages `range` shares with its
/// neighbours. For the CSV parser, whose chunks are parsed in parallel: dropping a
/// page that another thread still reads only makes that thread fault it back in
/// from the page cache, with the same bytes.
pub(crate) fn release_pages_covering(map: &Mmap, range: std::ops::Range<usize>) {
    const PAGE: usize = 4096;
    release_page_range(
        map,
        (range.start / PAGE) * PAGE,
        range.end.div_ceil(PAGE).saturating_mul(PAGE).min(map.len()),
    );
}

#[cfg_attr(not(unix), allow(unused_variables))]
fn release_page_range(map: &Mmap, start: usize, end: usize) {
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
