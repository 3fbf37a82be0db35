//! CSV from a stream (a pipe, stdin): read by a second thread in blocks and parsed
//! by the same windows as a mapped file.

use super::{parse_header, Sink};
use crate::data::dataset::{Dataset, Text};
use crate::error::{Error, Result};
use crate::exec::Exec;
use std::io::Read;
use std::path::Path;

/// Parses a CSV read from a stream (a pipe, stdin): the same rows, values and errors
/// as [`load_csv`](super::load_csv) on a file with the same bytes. `first` holds bytes already read
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
