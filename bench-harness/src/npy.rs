//! The `.npy` format (version 1.0) for 1-D little-endian i64 arrays: a hand-written
//! header on the writing side, and a reader that accepts what NumPy writes for such an
//! array.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";

/// The complete header (magic, version, length, dict, padding) for a 1-D `<i8` array of
/// `len` elements, padded with spaces and a newline to a multiple of 64 bytes as NumPy does.
pub fn i64_header(len: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<i8', 'fortran_order': False, 'shape': ({len},), }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let total = unpadded.div_ceil(64) * 64;
    let header_len = total - (MAGIC.len() + 2 + 2);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Writes `values` as a 1-D i64 `.npy` stream.
pub fn write_i64<W: Write>(mut w: W, values: &[i64]) -> std::io::Result<()> {
    w.write_all(&i64_header(values.len()))?;
    let mut buf = Vec::with_capacity(values.len().min(1 << 16) * 8);
    for chunk in values.chunks(1 << 16) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Reads a 1-D integer `.npy` file (`<i8`, `<i4`, `|i1`…, little-endian, C order).
pub fn read_i64(path: &Path) -> Result<Vec<i64>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    parse_i64(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// Parses the bytes of a 1-D integer `.npy` file.
pub fn parse_i64(bytes: &[u8]) -> Result<Vec<i64>> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        bail!("not a .npy file");
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => bail!("unsupported .npy version {v}"),
    };
    let body = start + header_len;
    let header = bytes
        .get(start..body)
        .context("truncated .npy header")
        .map(String::from_utf8_lossy)?;
    let descr = dict_value(&header, "descr").context("no 'descr' in .npy header")?;
    let width = match descr.trim_matches(|c| c == '\'' || c == '"') {
        "<i8" => 8,
        "<i4" => 4,
        "<i2" => 2,
        "|i1" | "<i1" => 1,
        other => bail!("unsupported dtype {other} (expected little-endian signed integers)"),
    };
    if dict_value(&header, "fortran_order").is_some_and(|v| v.trim() == "True") {
        bail!("Fortran-ordered arrays are not supported");
    }
    let shape = dict_value(&header, "shape").context("no 'shape' in .npy header")?;
    let dims: Vec<usize> = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().context("bad shape"))
        .collect::<Result<_>>()?;
    let [len] = dims[..] else {
        bail!("expected a 1-D array, found shape {shape}");
    };
    let data = &bytes[body.min(bytes.len())..];
    let Some(size) = len.checked_mul(width) else {
        bail!("shape ({len},) is too large");
    };
    if data.len() < size {
        bail!(
            "truncated .npy data: {} bytes for {len} elements",
            data.len()
        );
    }
    Ok(data[..size]
        .chunks_exact(width)
        .map(|c| match width {
            8 => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            _ => c[0] as i8 as i64,
        })
        .collect())
}

/// The raw text of `key`'s value in a Python dict literal (values here never nest
/// braces; a tuple value is returned with its parentheses).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_well_formed() {
        for len in [0usize, 1, 7, 1000, 262_144, usize::MAX >> 20] {
            let h = i64_header(len);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(&h[..6], MAGIC);
            assert_eq!(h[6..8], [1, 0]);
            let hl = u16::from_le_bytes([h[8], h[9]]) as usize;
            assert_eq!(10 + hl, h.len());
            assert_eq!(*h.last().unwrap(), b'\n');
            let text = std::str::from_utf8(&h[10..]).unwrap();
            assert!(text.starts_with(&format!(
                "{{'descr': '<i8', 'fortran_order': False, 'shape': ({len},), }}"
            )));
        }
    }

    #[test]
    fn numpy_reference_bytes() {
        // np.save of np.array([1, -2, 3], dtype=np.int64) with NumPy 2.x.
        let mut expected =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"
                .to_vec();
        expected.resize(127, b' ');
        expected.push(b'\n');
        for v in [1i64, -2, 3] {
            expected.extend_from_slice(&v.to_le_bytes());
        }
        let mut got = Vec::new();
        write_i64(&mut got, &[1, -2, 3]).unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn round_trip() {
        let values: Vec<i64> = (0..100_000).map(|i| (i * 7919) % 31 - 5).collect();
        let mut bytes = Vec::new();
        write_i64(&mut bytes, &values).unwrap();
        assert_eq!(parse_i64(&bytes).unwrap(), values);
        assert_eq!(parse_i64(&i64_header(0)).unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse_i64(b"hello").is_err());
        let mut bytes = Vec::new();
        write_i64(&mut bytes, &[1, 2, 3]).unwrap();
        assert!(parse_i64(&bytes[..bytes.len() - 1]).is_err());
    }
}
