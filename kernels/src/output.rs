//! Output: the labels of every fitted k, written atomically.
//!
//! * CSV (default): `ID,feature_1..feature_d,cluster_<k>…` as in the seed. For CSV
//!   input, the header and each row's ID and feature fields are copied byte for byte
//!   from the input (line endings normalised to `\n`); for `.npy` input IDs are row
//!   numbers and features are written with shortest round-trip formatting. With
//!   `labels_only`, only the ID and cluster columns.
//! * `.npy`: the labels alone, an `n × K` little-endian int32 array in C order, one
//!   column per k (the ID is the row number).
//!
//! Rows are formatted in parallel into per-block buffers (reused) and written in
//! order, so the bytes never depend on the thread count and memory stays bounded.
//! The file is written to a temporary file in the destination folder and renamed
//! over the destination only when complete: an error or an interrupt never leaves a
//! partial file. (There is no fsync: like pandas or NumPy, a power loss right after
//! the rename may lose the file's contents; an fsync costs ~10 ms per run here.)

use crate::data::{Dataset, Source};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::layout::Layout;
use std::io::Write;
use std::path::Path;

/// Rows per formatting task.
const BLOCK_ROWS: usize = 256;
/// Tasks per write wave per thread, at least 4 (bounds the buffers alive at once).
const WAVE_BLOCKS_PER_THREAD: usize = 2;

/// Labels of all fitted k, `n` rows × `cols` columns, stored in the narrowest
/// unsigned integer that holds `k_max − 1`.
pub struct LabelMatrix {
    n: usize,
    cols: usize,
    width: usize,
    data: Vec<u8>,
}

impl LabelMatrix {
    /// `n` rows of `cols` label columns, wide enough for labels below `k_max`.
    pub fn new(n: usize, cols: usize, k_max: usize) -> Self {
        let width = if k_max <= 1 << 8 {
            1
        } else if k_max <= 1 << 16 {
            2
        } else {
            4
        };
        LabelMatrix {
            n,
            cols,
            width,
            data: vec![0; n * cols * width],
        }
    }
    /// Number of rows.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of label columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// Stores column `c`.
    pub fn set_column(&mut self, c: usize, labels: &[u32]) {
        let (w, cols) = (self.width, self.cols);
        for (i, &l) in labels.iter().enumerate() {
            let at = (i * cols + c) * w;
            self.data[at..at + w].copy_from_slice(&l.to_le_bytes()[..w]);
        }
    }
    /// The label of row `i` in column `c`.
    #[inline]
    pub fn get(&self, i: usize, c: usize) -> u32 {
        let at = (i * self.cols + c) * self.width;
        let b = &self.data[at..at + self.width];
        // Reads of the exact width (a copy of `width` bytes into a 4-byte buffer became a
        // memcpy call and a stalled wider reload per label: 40 % of the CSV formatting).
        match *b {
            [v] => v as u32,
            [lo, hi] => u16::from_le_bytes([lo, hi]) as u32,
            [a, b2, c2, d] => u32::from_le_bytes([a, b2, c2, d]),
            _ => unreachable!("label width is 1, 2 or 4"),
        }
    }
}

/// Output file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// CSV: the input's rows echoed with one label column per k.
    #[default]
    Csv,
    /// `.npy`: the labels as an integer matrix.
    Npy,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "csv" => Ok(OutputFormat::Csv),
            "npy" => Ok(OutputFormat::Npy),
            _ => Err(format!("unknown output format '{s}' (expected csv or npy)")),
        }
    }
}

/// What to write.
pub struct OutputSpec<'a> {
    /// The file format.
    pub format: OutputFormat,
    /// Write only the label columns, not the input's ID and features.
    pub labels_only: bool,
    /// The k of each label column.
    pub ks: &'a [usize],
}

/// Writes the output atomically to `path`.
pub fn write_output(
    path: &Path,
    ds: &Dataset,
    points: &dyn Layout,
    labels: &LabelMatrix,
    spec: &OutputSpec,
    exec: &Exec,
) -> Result<()> {
    if !output_dir(path).is_dir() {
        return Err(Error::format(path, "the output folder does not exist"));
    }
    write_atomically(path, ".kmeans-out-", |file| {
        match spec.format {
            OutputFormat::Csv => write_csv(file, ds, points, labels, spec, exec)?,
            OutputFormat::Npy => write_npy(file, labels)?,
        }
        file.flush()
    })
    .map_err(|e| Error::io(path, e))
}

/// The folder `path` is written in (`.` for a bare file name).
fn output_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `path` atomically: `write` fills a temporary file in the same folder
/// ([`temp_file_in`], registered for Ctrl-C cleanup until after its rename), which is
/// then renamed over `path`. On any error the temporary file is removed and `path` is
/// untouched.
pub fn write_atomically(
    path: &Path,
    prefix: &str,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut tmp = temp_file_in(output_dir(path), prefix)?;
    let tmp_path = tmp.path().to_path_buf();
    // On failure the temporary file is removed before it is unregistered (dropping a
    // `NamedTempFile`, also inside a failed persist's error, deletes it), so no
    // interrupt finds it on disk and unregistered.
    let done = match write(tmp.as_file_mut()) {
        Ok(()) => tmp.persist(path).map(|_| ()).map_err(|e| e.error),
        Err(e) => {
            drop(tmp);
            Err(e)
        }
    };
    crate::signals::unregister_temp(&tmp_path);
    done
}

/// A temporary file in `dir` for an atomic write, created with mode 0666 minus the
/// umask like any file a program creates (tempfile's default is 0600), and registered
/// for deletion on Ctrl-C from the moment it exists ([`crate::signals::create_temp`]);
/// the caller unregisters it once it is renamed or removed.
pub fn temp_file_in(dir: &Path, prefix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .make_in(dir, crate::signals::create_temp)
}

/// Fails when no file can be created in `dir` (a registered temporary file, removed
/// again at once).
pub fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let tmp = temp_file_in(dir, ".kmeans-probe-")?;
    let p = tmp.path().to_path_buf();
    let closed = tmp.close();
    crate::signals::unregister_temp(&p);
    closed
}

fn write_npy(out: &mut std::fs::File, labels: &LabelMatrix) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out);
    w.write_all(&crate::data::npy::header_bytes(
        "<i4",
        &[labels.n(), labels.cols()],
    ))?;
    for i in 0..labels.n() {
        for c in 0..labels.cols() {
            w.write_all(&(labels.get(i, c) as i32).to_le_bytes())?;
        }
    }
    w.flush()
}

/// The header line (without newline).
fn header(ds: &Dataset, d: usize, spec: &OutputSpec) -> Vec<u8> {
    let mut h = Vec::new();
    match &ds.source {
        Source::Csv(rows) if !spec.labels_only => h.extend_from_slice(rows.header()),
        Source::Csv(rows) => {
            let hdr = rows.header();
            let (_, first) = crate::data::csv::fields::split_id(hdr);
            let end = first.map_or(hdr.len(), |f| f - 1);
            h.extend_from_slice(&hdr[..end]);
        }
        Source::Npy => {
            h.extend_from_slice(b"ID");
            if !spec.labels_only {
                for j in 1..=d {
                    h.extend_from_slice(format!(",feature_{j}").as_bytes());
                }
            }
        }
    }
    for k in spec.ks {
        h.extend_from_slice(format!(",cluster_{k}").as_bytes());
    }
    h
}

/// Appends `,<label>`: labels below 100 (every k ≤ 100) without going through itoa.
#[inline(always)]
fn push_label(buf: &mut Vec<u8>, l: u32, ib: &mut itoa::Buffer) {
    if l < 10 {
        buf.extend_from_slice(&[b',', b'0' + l as u8]);
    } else if l < 100 {
        buf.extend_from_slice(&[b',', b'0' + (l / 10) as u8, b'0' + (l % 10) as u8]);
    } else {
        buf.push(b',');
        buf.extend_from_slice(ib.format(l).as_bytes());
    }
}

fn format_rows(
    buf: &mut Vec<u8>,
    rows: std::ops::Range<usize>,
    ds: &Dataset,
    points: &dyn Layout,
    labels: &LabelMatrix,
    labels_only: bool,
) {
    buf.clear();
    let mut ib = itoa::Buffer::new();
    let mut rb = ryu::Buffer::new();
    let mut row_buf = Vec::new();
    for i in rows {
        match &ds.source {
            Source::Csv(src) => {
                let row = src.row_bytes(i);
                if labels_only {
                    let (_, first) = crate::data::csv::fields::split_id(row);
                    buf.extend_from_slice(&row[..first.map_or(row.len(), |f| f - 1)]);
                } else {
                    buf.extend_from_slice(row);
                }
            }
            Source::Npy => {
                buf.extend_from_slice(ib.format(i).as_bytes());
                if !labels_only {
                    // The exact f64 values: the matrix when it was kept (it is not
                    // for `aos`, whose rows are the same f64), else the layout's row.
                    let row = if ds.matrix.n() > i {
                        ds.matrix.row(i)
                    } else {
                        points.row(i, &mut row_buf)
                    };
                    for v in row {
                        buf.push(b',');
                        buf.extend_from_slice(rb.format_finite(*v).as_bytes());
                    }
                }
            }
        }
        for c in 0..labels.cols() {
            push_label(buf, labels.get(i, c), &mut ib);
        }
        buf.push(b'\n');
    }
}

fn write_csv(
    out: &mut std::fs::File,
    ds: &Dataset,
    points: &dyn Layout,
    labels: &LabelMatrix,
    spec: &OutputSpec,
    exec: &Exec,
) -> std::io::Result<()> {
    let mut h = header(ds, points.d(), spec);
    h.push(b'\n');
    out.write_all(&h)?;
    let n = labels.n();
    let wave = (WAVE_BLOCKS_PER_THREAD * exec.threads()).max(4);
    // Waves are formatted in parallel while a writer thread writes the previous wave
    // (write(2) is serial; overlapping it with the formatting took the 256k × 32
    // sweep's write phase from 0.095 to ~0.06 s). Two waves of buffers circulate
    // between the two sides, so memory stays bounded and the bytes stay in order.
    let (to_writer, from_main) = std::sync::mpsc::sync_channel::<(Vec<Vec<u8>>, usize)>(1);
    let (to_main, from_writer) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
    for _ in 0..2 {
        to_main
            .send(vec![Vec::new(); wave])
            .expect("the channel has room for both waves");
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> std::io::Result<()> {
            for (bufs, m) in from_main {
                for buf in &bufs[..m] {
                    out.write_all(buf)?;
                }
                // The main side may have stopped on its own error; nothing to return.
                let _ = to_main.send(bufs);
            }
            Ok(())
        });
        let mut start = 0;
        while start < n {
            let Ok(mut bufs) = from_writer.recv() else {
                break; // the writer stopped on an error, returned below
            };
            let end = (start + wave * BLOCK_ROWS).min(n);
            let m = (end - start).div_ceil(BLOCK_ROWS);
            exec.for_each(&mut bufs[..m], |b, buf| {
                let s = start + b * BLOCK_ROWS;
                format_rows(
                    buf,
                    s..(s + BLOCK_ROWS).min(end),
                    ds,
                    points,
                    labels,
                    spec.labels_only,
                );
            });
            if let Source::Csv(src) = &ds.source {
                src.release(src.byte_span(start..end));
            }
            if to_writer.send((bufs, m)).is_err() {
                break;
            }
            start = end;
        }
        drop(to_writer);
        writer.join().expect("the CSV writer thread does not panic")
    })
}
