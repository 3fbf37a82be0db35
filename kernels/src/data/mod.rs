//! Input: the flat row-major matrix, where its rows came from, and the two layouts.
//!
//! * [`csv`]: memory-mapped (or streamed from a pipe), parallel CSV parsing straight
//!   into the flat matrix.
//! * [`npy`]: `.npy` (2-D, f64 or f32, C order), zero-copy for aligned f64.
//! * [`centers`]: the `--init-centers` reader.
//! * [`weights`]: the `--sample-weight` reader.
//! * [`aos`]: the seed's `Vec<DataPoint>` layout.

pub mod aos;
pub mod centers;
pub mod csv;
pub mod npy;
pub mod weights;

use crate::error::{Error, Result};
use crate::exec::Exec;
use memmap2::Mmap;
use std::io::Read;
use std::path::{Path, PathBuf};

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

    pub fn n(&self) -> usize {
        self.n
    }
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

/// How many f64s from `p` to the next cache-line (64-byte) boundary, 0..=7 (`p` is
/// 8-byte aligned, as every f64 allocation is).
pub(crate) fn line_offset(p: *const f64) -> usize {
    (64 - p as usize % 64) % 64 / 8
}

/// Moves the values `buf[offset..]` within `buf` (by at most 7 elements, growing it
/// if needed) so that they start on a cache line, and returns the buffer and their
/// new offset. The SIMD kernels read rows and add them into the sums with 64-byte
/// vectors; from an ordinary allocation (16-byte aligned) each of those straddles
/// two cache lines, ~5-10 % of an assignment pass at d = 32 (`examples/assign_probe`).
/// No copy when they are already aligned (readers pad in front, see [`line_offset`]);
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
        csv::split_id(row).0
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
    Csv(CsvRows),
    Npy,
}

/// A loaded input file.
pub struct Dataset {
    pub path: PathBuf,
    pub matrix: Matrix,
    pub source: Source,
}

impl Dataset {
    pub fn n(&self) -> usize {
        self.matrix.n()
    }
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
/// A path that is not a regular file (a pipe, `/dev/stdin`, `<(zcat …)`, or `-` for
/// stdin) is read as a stream: a CSV is parsed while it is read, with the same
/// results and errors as from a file.
pub fn load(path: &Path, exec: &Exec) -> Result<Dataset> {
    let Some(mut reader) = open_stream(path)? else {
        let map = map_file(path)?;
        return if map.starts_with(npy::MAGIC) {
            npy::load_npy(path, map)
        } else {
            csv::load_csv(path, map, exec)
        };
    };
    let mut first = Vec::new();
    (&mut reader)
        .take(npy::MAGIC.len() as u64)
        .read_to_end(&mut first)
        .map_err(|e| Error::io(path, e))?;
    if first.starts_with(npy::MAGIC) {
        npy::load_npy(path, read_to_map(path, first, reader)?)
    } else {
        csv::load_csv_stream(
            path,
            first,
            reader,
            exec,
            csv::CHUNK_BYTES,
            csv::STREAM_BLOCK_BYTES,
        )
    }
}

/// `-` (stdin) or a path that exists and is not a regular file or a directory (a
/// pipe, a character device): opened for reading as a stream. `None` for anything
/// else, which [`map_file`] maps (or explains why not).
fn open_stream(path: &Path) -> Result<Option<Box<dyn Read + Send>>> {
    if path.as_os_str() == "-" {
        return Ok(Some(Box::new(std::io::stdin())));
    }
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            Ok(Some(Box::new(file)))
        }
        _ => Ok(None),
    }
}

/// Reads the rest of a stream (after `first`) into an anonymous read-only mapping,
/// so that the readers of mapped files can take it.
fn read_to_map(path: &Path, mut first: Vec<u8>, mut reader: impl Read) -> Result<Mmap> {
    reader
        .read_to_end(&mut first)
        .map_err(|e| Error::io(path, e))?;
    if first.is_empty() {
        return Err(Error::format(path, "file is empty"));
    }
    let mut map = memmap2::MmapMut::map_anon(first.len()).map_err(|e| Error::io(path, e))?;
    map.copy_from_slice(&first);
    map.make_read_only().map_err(|e| Error::io(path, e))
}

/// Opens and maps a regular file read-only, with errors a user can act on. A stream
/// (see [`load`]) is read whole into memory instead.
pub fn map_file(path: &Path) -> Result<Mmap> {
    if let Some(reader) = open_stream(path)? {
        return read_to_map(path, Vec::new(), reader);
    }
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

/// The largest magnitude a coordinate may have so that no sum the fit computes can
/// overflow: with every coordinate of the points and centers in `[-m, m]`, a squared
/// distance is at most `4·d·m²` and the inertia (a sum over `n` rows) at most `4·n·d·m²`,
/// which must stay below `f64::MAX`. About 2e150 for n = 256k, d = 32; data beyond it
/// (values near ±1e300) is refused with a message to rescale, instead of producing
/// infinite distances whose argmin would be meaningless.
pub fn max_magnitude(n: usize, d: usize) -> f64 {
    (f64::MAX / (4.0 * n.max(1) as f64 * d.max(1) as f64)).sqrt()
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
/// could overflow f32 ([`crate::single::max_magnitude_f32`]), naming the first one.
pub fn check_magnitude_f32(values: &[f64], d: usize, what: &str) -> Result<()> {
    let limit = crate::single::max_magnitude_f32(d);
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
