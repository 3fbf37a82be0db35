//! The `--init-centers` file: one center per row, `d` numeric columns, an optional
//! header line (detected: a first line whose fields are not all numbers), CSV rules as
//! for the input (BOM, CRLF, quotes, blank lines). A 2-D `.npy` is accepted too.

use super::csv::fields::parse_number;
use crate::error::{Error, Result};
use std::path::Path;

/// Reads centers for data of dimension `d`; returns `(k, k × d values)`.
pub fn read_centers(path: &Path, d: usize) -> Result<(usize, Vec<f64>)> {
    let map = super::map_file(path)?;
    if map.starts_with(super::npy::MAGIC) {
        let ds = super::npy::load_npy(path, map)?;
        if ds.d() != d {
            return Err(Error::format(
                path,
                format!("centers have {} columns, the data has {d} features", ds.d()),
            ));
        }
        return Ok((ds.n(), ds.matrix.as_slice().to_vec()));
    }
    let text: &[u8] = map.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&map);
    let mut values = Vec::new();
    let mut k = 0;
    let mut first_line = true;
    for (ln, line) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = ln as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        let fields: Vec<&[u8]> = line
            .split(|&b| b == b',')
            .map(|f| {
                let f = f.trim_ascii();
                f.strip_prefix(b"\"")
                    .and_then(|f| f.strip_suffix(b"\""))
                    .unwrap_or(f)
            })
            .collect();
        let parsed: Vec<std::result::Result<f64, String>> =
            fields.iter().map(|f| parse_number(f)).collect();
        let is_first = std::mem::replace(&mut first_line, false);
        if is_first && parsed.iter().any(|p| p.is_err()) {
            // A header line: some field is not a number. A line that *looks* numeric
            // but holds NaN/inf is an error, not a header.
            if !parsed
                .iter()
                .any(|p| matches!(p, Err(m) if m.contains("NaN") || m.contains("range")))
            {
                if fields.len() != d {
                    return Err(Error::Parse {
                        path: path.to_path_buf(),
                        line: line_no,
                        column: 1,
                        message: format!(
                            "header has {} columns, the data has {d} features",
                            fields.len()
                        ),
                    });
                }
                continue;
            }
        }
        if fields.len() != d {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line: line_no,
                column: fields.len().min(d + 1),
                message: format!(
                    "center has {} columns, the data has {d} features",
                    fields.len()
                ),
            });
        }
        for (j, p) in parsed.into_iter().enumerate() {
            let v = p.map_err(|m| Error::Parse {
                path: path.to_path_buf(),
                line: line_no,
                column: j + 1,
                message: m,
            })?;
            values.push(v);
        }
        k += 1;
    }
    if k == 0 {
        return Err(Error::format(path, "no centers in the file"));
    }
    Ok((k, values))
}
