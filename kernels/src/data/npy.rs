//! `.npy` input: version 1–3 headers, 2-D, C order, little-endian f64 (`<f8`, read in
//! place without a copy when the data is 8-byte aligned, which NumPy guarantees) or
//! f32 (`<f4`, widened to f64). IDs are the row numbers 0..n.

use super::dataset::{Dataset, Matrix, Source};
use crate::error::{Error, Result};
use memmap2::Mmap;
use std::path::Path;

/// The first bytes of every `.npy` file.
pub const MAGIC: &[u8] = b"\x93NUMPY";

/// The parsed header of a `.npy` file.
#[derive(Debug, PartialEq)]
pub struct NpyHeader {
    /// The dtype, e.g. `<f8`.
    pub descr: String,
    /// Whether the data is column-major.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Offset of the data from the start of the file.
    pub data_offset: usize,
}

impl NpyHeader {
    /// Bytes per value of the float dtypes the readers accept: 8 for little-endian
    /// float64, 4 for float32.
    pub fn float_width(&self) -> std::result::Result<usize, String> {
        match self.descr.as_str() {
            "<f8" | "=f8" => Ok(8),
            "<f4" | "=f4" => Ok(4),
            other => Err(format!(
                "unsupported dtype '{other}': expected little-endian float64 ('<f8') or float32 ('<f4')"
            )),
        }
    }
}

/// Parses the header (magic, version, length, and the Python-dict literal).
pub fn parse_header(bytes: &[u8]) -> std::result::Result<NpyHeader, String> {
    if !bytes.starts_with(MAGIC) {
        return Err("not a .npy file (bad magic)".into());
    }
    let (len, start) = match bytes.get(6) {
        Some(1) => {
            let b = bytes.get(8..10).ok_or("truncated .npy header")?;
            (u16::from_le_bytes([b[0], b[1]]) as usize, 10)
        }
        Some(2) | Some(3) => {
            let b = bytes.get(8..12).ok_or("truncated .npy header")?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        Some(v) => return Err(format!("unsupported .npy version {v}")),
        None => return Err("truncated .npy header".into()),
    };
    let text = bytes
        .get(start..start + len)
        .ok_or("truncated .npy header")?;
    let text = std::str::from_utf8(text).map_err(|_| "the .npy header is not text")?;
    let descr = dict_value(text, "descr")
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix('\'')
                .and_then(|v| v.split('\'').next())
                .map(str::to_string)
        })
        .ok_or("the .npy header has no 'descr'")?;
    let fortran_order = match dict_value(text, "fortran_order").map(str::trim) {
        Some(v) if v.starts_with("True") => true,
        Some(v) if v.starts_with("False") => false,
        _ => return Err("the .npy header has no 'fortran_order'".into()),
    };
    let shape_text = dict_value(text, "shape").ok_or("the .npy header has no 'shape'")?;
    let shape_text = shape_text
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("the .npy header has a malformed 'shape'")?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| "the .npy header has a malformed 'shape'")?;
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
        data_offset: start + len,
    })
}

/// The text after `'key':` in a dict literal.
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.find(&format!("'{key}'"))?;
    let rest = &text[at + key.len() + 2..];
    rest.trim_start().strip_prefix(':')
}

pub(crate) fn load_npy(path: &Path, map: Mmap) -> Result<Dataset> {
    let fail = |m: String| Error::format(path, m);
    let h = parse_header(&map).map_err(fail)?;
    if h.fortran_order {
        return Err(fail(
            "Fortran-order .npy is not supported; save with np.ascontiguousarray".into(),
        ));
    }
    let (n, d) = match h.shape[..] {
        [n, d] => (n, d),
        _ => {
            return Err(fail(format!(
                "expected a 2-D array, found shape {:?}",
                h.shape
            )))
        }
    };
    let width = h.float_width().map_err(fail)?;
    if n == 0 {
        return Err(fail("the array has no rows".into()));
    }
    if d == 0 {
        return Err(fail("the array has no feature columns".into()));
    }
    let need = n
        .checked_mul(d)
        .and_then(|c| c.checked_mul(width))
        .ok_or_else(|| fail("the array shape is too large".into()))?;
    let have = map.len().saturating_sub(h.data_offset);
    if have < need {
        return Err(fail(format!(
            "truncated .npy: shape ({n}, {d}) needs {need} data bytes, the file has {have}"
        )));
    }
    // A copy is made unless the data is aligned f64: check it fits first.
    let copies = width == 4
        || bytemuck::try_cast_slice::<u8, f64>(&map[h.data_offset..h.data_offset + need]).is_err();
    if copies {
        let bytes = (n as u64).saturating_mul(d as u64 * 8);
        if let Some(avail) = super::dataset::available_memory() {
            if bytes > avail {
                return Err(fail(format!(
                    "too large for this machine's memory: {n} rows × {d} features need {:.1} GB as f64, {:.1} GB are available",
                    bytes as f64 / 1e9,
                    avail as f64 / 1e9
                )));
            }
        }
    }
    let data = &map[h.data_offset..h.data_offset + need];
    let check = |i: usize, v: f64| -> Result<()> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(fail(format!(
                "row {}, column {}: NaN or infinite value is not allowed",
                i / d,
                i % d + 1
            )))
        }
    };
    let matrix = if width == 8 {
        match bytemuck::try_cast_slice::<u8, f64>(data) {
            Ok(vals) => {
                if let Some(i) = vals.iter().position(|v| !v.is_finite()) {
                    check(i, vals[i])?;
                }
                let off = h.data_offset;
                Matrix::from_mapped(n, d, map, off)
            }
            Err(_) => {
                let vals: Vec<f64> = data
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect();
                if let Some(i) = vals.iter().position(|v| !v.is_finite()) {
                    check(i, vals[i])?;
                }
                Matrix::from_vec(n, d, vals)
            }
        }
    } else {
        let vals: Vec<f64> = data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as f64)
            .collect();
        if let Some(i) = vals.iter().position(|v| !v.is_finite()) {
            check(i, vals[i])?;
        }
        Matrix::from_vec(n, d, vals)
    };
    Ok(Dataset {
        path: path.to_path_buf(),
        matrix,
        source: Source::Npy,
    })
}

/// Writes a `.npy` version 1.0 header for `descr` and `shape` (padded so the data
/// starts on a 64-byte boundary, as NumPy does).
pub fn header_bytes(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_txt = match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}
