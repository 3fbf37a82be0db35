//! The data of a cell as `.npy` files: the harness generator's rows (`gen`, any
//! shape) written as a C-order float64 matrix, and one set of initial centers drawn
//! once (k distinct rows, ChaCha8 with the seed) that every contestant starts from.
//! Both are written atomically and reused when present.

use super::spec::Cell;
use crate::gen::{self, Shape, Spec};
use crate::rng::Random;
use anyhow::{bail, Context, Result};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The files of one cell.
#[derive(Clone, Debug)]
pub struct CellData {
    /// `n × d` float64 rows.
    pub x: PathBuf,
    /// `k × d` float64 initial centers.
    pub init: PathBuf,
}

/// Writes (or finds) the data and initial centers of `cell` in `dir`.
pub fn ensure(cell: &Cell, shape: Shape, seed: u64, dir: &Path) -> Result<CellData> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // The generator's own k (true clusters / Voronoi cells) is the cell's k.
    let spec = Spec {
        n: cell.n,
        d: cell.d,
        k: cell.k,
        seed,
        shape,
    };
    let stem = spec.stem();
    let x = dir.join(format!("{stem}.npy"));
    let init = dir.join(format!("{stem}_init.npy"));
    if !x.is_file() {
        eprintln!("generating {} ({} rows × {})", x.display(), cell.n, cell.d);
        crate::io::write_with(&x, |w| {
            w.write_all(&kernels::data::npy::header_bytes("<f8", &[cell.n, cell.d]))?;
            let mut buf = Vec::with_capacity(cell.d * 8);
            gen::generate_rows(&spec, |_, row| {
                buf.clear();
                for v in row {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                w.write_all(&buf)?;
                Ok(())
            })?;
            Ok(())
        })?;
    }
    if !init.is_file() {
        let rows = distinct_rows(cell.n, cell.k, seed ^ 0x1A17_CE47);
        let header = kernels::data::npy::header_bytes("<f8", &[cell.n, cell.d]);
        let mut f = std::fs::File::open(&x).with_context(|| format!("opening {}", x.display()))?;
        let len = f.metadata()?.len() as usize;
        let mut head = vec![0u8; header.len()];
        f.read_exact(&mut head)?;
        if len != header.len() + cell.n * cell.d * 8 || head != header {
            bail!(
                "{} is not the expected {} × {} float64 matrix: remove it",
                x.display(),
                cell.n,
                cell.d
            );
        }
        let mut out = kernels::data::npy::header_bytes("<f8", &[cell.k, cell.d]);
        let mut row = vec![0u8; cell.d * 8];
        for r in rows {
            f.seek(SeekFrom::Start((header.len() + r * cell.d * 8) as u64))?;
            f.read_exact(&mut row)?;
            out.extend_from_slice(&row);
        }
        crate::io::write_atomic(&init, out)?;
    }
    Ok(CellData { x, init })
}

/// `k` distinct row indices of `0..n`, drawn uniformly (partial Fisher–Yates).
fn distinct_rows(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut rng = Random::new(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = i + rng.below((n - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(k);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_rows_are_distinct_and_seeded() {
        let a = distinct_rows(50, 20, 7);
        let mut s = a.clone();
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 20);
        assert_eq!(a, distinct_rows(50, 20, 7));
        assert_ne!(a, distinct_rows(50, 20, 8));
    }

    #[test]
    fn npy_matches_the_generator() {
        let tmp = tempfile::tempdir().unwrap();
        let cell = Cell { n: 30, d: 3, k: 4 };
        let f = ensure(&cell, Shape::Uniform, 5, tmp.path()).unwrap();
        let bytes = std::fs::read(&f.x).unwrap();
        let h = kernels::data::npy::header_bytes("<f8", &[30, 3]);
        let mut want = Vec::new();
        let spec = Spec {
            n: 30,
            d: 3,
            k: 4,
            seed: 5,
            shape: Shape::Uniform,
        };
        gen::generate_rows(&spec, |_, r| {
            want.extend_from_slice(r);
            Ok(())
        })
        .unwrap();
        let got: Vec<f64> = bytes[h.len()..]
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(got, want);
        let init = std::fs::read(&f.init).unwrap();
        assert_eq!(
            init.len(),
            kernels::data::npy::header_bytes("<f8", &[4, 3]).len() + 4 * 3 * 8
        );
    }
}
