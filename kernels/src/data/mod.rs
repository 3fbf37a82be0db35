//! Input: loading the flat row-major [`Matrix`] and where its rows came from
//! ([`Source`]). Loading only: the layouts that run on a matrix are in
//! [`crate::layout`].
//!
//! * [`csv`]: memory-mapped (or streamed from a pipe), parallel CSV parsing straight
//!   into the flat matrix.
//! * [`npy`]: `.npy` (2-D, f64 or f32, C order), zero-copy for aligned f64.
//! * [`centers`]: the `--init-centers` reader.
//! * [`weights`]: the `--sample-weight` reader.

pub mod centers;
pub mod csv;
pub mod dataset;
pub mod npy;
pub mod weights;

pub use dataset::{available_memory, CsvRows, Dataset, Matrix, Source};

use crate::distance::{max_magnitude, max_magnitude_f32};
use crate::error::{Error, Result};
use crate::exec::Exec;
use memmap2::Mmap;
use std::io::Read;
use std::path::Path;

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

/// Checks [`max_magnitude`] over row-major `values` with `d` columns; `what` names the
/// values in the message ("input" or the centers file). Values are finite already.
pub fn check_magnitude(values: &[f64], n: usize, d: usize, what: &str) -> Result<()> {
    let limit = max_magnitude(n, d);
    match first_above(values, d, limit) {
        Some((row, col, v)) => Err(too_large(what, (row, col), v, n, d)),
        None => Ok(()),
    }
}

/// The error for a value beyond [`max_magnitude`] at (row, column), counted from 1.
pub(crate) fn too_large(
    what: &str,
    (row, col): (usize, usize),
    v: f64,
    n: usize,
    d: usize,
) -> Error {
    let limit = max_magnitude(n, d);
    Error::Invalid(format!(
        "{what}: row {row}, column {col}: |{v:e}| is too large: with n = {n} and d = {d}, \
         squared distances and the inertia would overflow beyond {limit:.3e}; rescale the data"
    ))
}

/// The error for a value beyond [`max_magnitude_f32`] at (row, column), counted from 1.
pub(crate) fn too_large_f32(what: &str, (row, col): (usize, usize), v: f64, d: usize) -> Error {
    let limit = max_magnitude_f32(d);
    Error::Invalid(format!(
        "{what}: row {row}, column {col}: |{v:e}| is too large for --precision f32 \
         (limit {limit:.3e} at d = {d}); rescale the data or use --precision f64"
    ))
}

/// [`check_magnitude`] for `--precision f32`: refuses values whose squared distances
/// could overflow f32 ([`crate::distance::max_magnitude_f32`]), naming the first one.
pub fn check_magnitude_f32(values: &[f64], d: usize, what: &str) -> Result<()> {
    let limit = max_magnitude_f32(d);
    match first_above(values, d, limit) {
        Some((row, col, v)) => Err(too_large_f32(what, (row, col), v, d)),
        None => Ok(()),
    }
}

/// The first value of `values` (`d` columns) with `|v| > limit`, as (row, column)
/// counted from 1 and the value.
pub fn first_above(values: &[f64], d: usize, limit: f64) -> Option<(usize, usize, f64)> {
    let i = values.iter().position(|v| v.abs() > limit)?;
    Some((i / d.max(1) + 1, i % d.max(1) + 1, values[i]))
}
