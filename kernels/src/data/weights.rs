//! The `--sample-weight` file: one non-negative, finite weight per input row, as a
//! one-column CSV with a header line (BOM, CRLF, quotes and blank lines as for the
//! input), or a 1-D `.npy` (`<f8` or `<f4`; shape `(n,)` or `(n, 1)`).

use super::csv::fields::parse_number;
use crate::error::{Error, Result};
use std::path::Path;

/// Reads the weights of `n` rows. Errors name the file and, for CSV, `line:column`:
/// wrong count, negative, NaN/inf or non-numeric values, all weights zero.
pub fn read_weights(path: &Path, n: usize) -> Result<Vec<f64>> {
    let map = super::map_file(path)?;
    let w = if map.starts_with(super::npy::MAGIC) {
        read_npy(path, &map)?
    } else {
        read_csv(path, &map)?
    };
    if w.len() != n {
        return Err(Error::format(
            path,
            format!("has {} weights, the data has {n} rows", w.len()),
        ));
    }
    if let Some(i) = w.iter().position(|&v| v < 0.0) {
        return Err(Error::format(
            path,
            format!(
                "weight {} (row {}) is negative: weights must be >= 0",
                w[i],
                i + 1
            ),
        ));
    }
    if w.iter().all(|&v| v == 0.0) {
        return Err(Error::format(path, "every weight is 0"));
    }
    if !w.iter().sum::<f64>().is_finite() {
        return Err(Error::format(path, "the weights sum to infinity"));
    }
    Ok(w)
}

fn read_npy(path: &Path, map: &[u8]) -> Result<Vec<f64>> {
    let fail = |m: String| Error::format(path, m);
    let h = super::npy::parse_header(map).map_err(fail)?;
    if h.fortran_order && h.shape.len() > 1 {
        return Err(fail("Fortran-order .npy is not supported".into()));
    }
    let m = match h.shape[..] {
        [m] | [m, 1] => m,
        _ => {
            return Err(fail(format!(
                "expected a 1-D array of weights, found shape {:?}",
                h.shape
            )))
        }
    };
    let width = h.float_width().map_err(fail)?;
    let need = m
        .checked_mul(width)
        .ok_or_else(|| fail("the array shape is too large".into()))?;
    let data = map
        .get(h.data_offset..h.data_offset + need)
        .ok_or_else(|| {
            fail(format!(
                "truncated .npy: {m} weights need {need} data bytes"
            ))
        })?;
    let values: Vec<f64> = if width == 8 {
        data.chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect()
    } else {
        data.chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64)
            .collect()
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(fail(format!(
            "weight {} (row {}) is NaN or infinite",
            values[i],
            i + 1
        )));
    }
    Ok(values)
}

fn read_csv(path: &Path, map: &[u8]) -> Result<Vec<f64>> {
    let text: &[u8] = map.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(map);
    let mut out = Vec::new();
    let mut header = true;
    for (ln, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        let at = |column: usize, message: String| Error::Parse {
            path: path.to_path_buf(),
            line: ln as u64 + 1,
            column,
            message,
        };
        let fields = line.split(|&b| b == b',').count();
        if fields != 1 {
            return Err(at(
                2,
                format!("expected one column of weights, found {fields}"),
            ));
        }
        if std::mem::replace(&mut header, false) {
            continue;
        }
        let f = line.trim_ascii();
        let f = f
            .strip_prefix(b"\"")
            .and_then(|f| f.strip_suffix(b"\""))
            .unwrap_or(f);
        out.push(parse_number(f).map_err(|m| at(1, m))?);
    }
    if header {
        return Err(Error::format(path, "no header line and no weights"));
    }
    Ok(out)
}
