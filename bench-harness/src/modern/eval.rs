//! The answer check: the inertia of a contestant's final centers on the cell's data,
//! evaluated the same way for everyone, in float64 (each row to its nearest center by
//! the kernels crate's canonical f64 distance, then `Σ‖x − c‖²` summed in order).

use anyhow::{Context, Result};
use kernels::{Data, Fit, Precision};

/// The cell's rows, loaded once (memory-mapped `.npy`).
pub struct Rows {
    set: kernels::data::Dataset,
    threads: usize,
}

impl Rows {
    /// Loads `path` (a float64 `.npy`).
    pub fn load(path: &std::path::Path, threads: usize) -> Result<Rows> {
        let exec = kernels::Exec::new(threads)?;
        let set = kernels::data::load(path, &exec)
            .with_context(|| format!("loading {}", path.display()))?;
        Ok(Rows { set, threads })
    }

    /// Inertia of `centers` (`k × d`, row-major): every row to its nearest center.
    pub fn inertia(&self, centers: &[f64]) -> Result<f64> {
        let m = &self.set.matrix;
        let d = m.d();
        let k = centers.len() / d.max(1);
        let fit = Fit::from_centers(centers.to_vec(), k, d, Precision::F64, self.threads)?;
        let labels = fit.predict(&Data::from_matrix(m))?;
        let x = m.as_slice();
        let mut total = 0.0;
        for (i, &l) in labels.iter().enumerate() {
            let c = &centers[l as usize * d..(l as usize + 1) * d];
            total += x[i * d..(i + 1) * d]
                .iter()
                .zip(c)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>();
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inertia_of_two_centers() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("x.npy");
        let x = [0.0, 0.0, 1.0, 0.0, 10.0, 0.0, 12.0, 0.0];
        let mut bytes = kernels::data::npy::header_bytes("<f8", &[4, 2]);
        for v in x {
            bytes.extend_from_slice(&f64::to_le_bytes(v));
        }
        std::fs::write(&p, bytes).unwrap();
        let rows = Rows::load(&p, 1).unwrap();
        let got = rows.inertia(&[0.5, 0.0, 11.0, 0.0]).unwrap();
        assert!((got - (0.25 * 2.0 + 1.0 * 2.0)).abs() < 1e-12);
    }
}
