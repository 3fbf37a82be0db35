//! 1-D little-endian integer `.npy` files (the ground-truth labels): the header is the
//! kernels crate's ([`kernels::data::npy::header_bytes`] to write,
//! [`kernels::data::npy::parse_header`] to read); this module adds the i64 body.

use anyhow::{bail, Context, Result};
use kernels::data::npy::{header_bytes, parse_header};
use std::io::{Read, Write};
use std::path::Path;

/// The complete header (magic, version, length, dict, padding) for a 1-D `<i8` array of
/// `len` elements, padded with spaces and a newline to a multiple of 64 bytes as NumPy does.
pub fn i64_header(len: usize) -> Vec<u8> {
    header_bytes("<i8", &[len])
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
    let h = parse_header(bytes).map_err(anyhow::Error::msg)?;
    let width = match h.descr.as_str() {
        "<i8" => 8,
        "<i4" => 4,
        "<i2" => 2,
        "|i1" | "<i1" => 1,
        other => bail!("unsupported dtype {other} (expected little-endian signed integers)"),
    };
    if h.fortran_order {
        bail!("Fortran-ordered arrays are not supported");
    }
    let [len] = h.shape[..] else {
        bail!("expected a 1-D array, found shape {:?}", h.shape);
    };
    let data = &bytes[h.data_offset.min(bytes.len())..];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_well_formed() {
        for len in [0usize, 1, 7, 1000, 262_144, usize::MAX >> 20] {
            let h = i64_header(len);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(&h[..6], kernels::data::npy::MAGIC);
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
