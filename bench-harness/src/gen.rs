//! The data-set generator: the seed's Gaussian blobs (`n_clusters = k`, equal sizes,
//! centers at least 3.0 apart drawn by rejection in a box, `cluster_std` 0.5, rows
//! shuffled) plus harder demo shapes. Output: `<stem>.csv` (`ID,feature_1..feature_d`)
//! and `<stem>_labels.npy` (i64 ground truth), both written atomically and cached.
//!
//! Rows are produced one at a time, so generating 256k × 32 takes a few MB of memory.

use crate::npy;
use crate::rng::Random;
use anyhow::{bail, Context, Result};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Minimum distance between two blob centers (the seed's `cluster_separation`).
pub const MIN_SEPARATION: f64 = 3.0;
/// Standard deviation of every blob (the seed's `cluster_std`).
pub const CLUSTER_STD: f64 = 0.5;
/// Half-width of the box the centers are drawn from (scikit-learn's `center_box`).
pub const CENTER_BOX: f64 = 10.0;
/// Fraction of rows that are outliers in the `outliers` shape.
pub const OUTLIER_FRACTION: f64 = 0.05;

/// Shape of a generated data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Shape {
    /// The seed's isotropic Gaussian blobs (the default of the benchmark grid).
    Blobs,
    /// Uniform in the center box; labels are the Voronoi cells of k random centers.
    Uniform,
    /// Blobs sheared and stretched by one random linear map.
    Anisotropic,
    /// Blobs whose sizes fall off as 1/(i+1).
    Unequal,
    /// k concentric rings in the first two features (noise in the others).
    Rings,
    /// k interleaved half moons in the first two features.
    Moons,
    /// Blobs plus 5 % uniform outliers in a box three times wider (label -1).
    Outliers,
}

impl Shape {
    /// Lower-case name used in file names and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Blobs => "blobs",
            Shape::Uniform => "uniform",
            Shape::Anisotropic => "anisotropic",
            Shape::Unequal => "unequal",
            Shape::Rings => "rings",
            Shape::Moons => "moons",
            Shape::Outliers => "outliers",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        <Shape as clap::ValueEnum>::from_str(s, true).map_err(|e| anyhow::anyhow!(e))
    }
}

/// Everything that determines a data set's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Clusters.
    pub k: usize,
    /// Seed of the generator.
    pub seed: u64,
    /// Shape of the data.
    pub shape: Shape,
}

impl Spec {
    /// File stem, e.g. `blobs_n1000_d2_k8_s20260609`.
    pub fn stem(&self) -> String {
        format!(
            "{}_n{}_d{}_k{}_s{}",
            self.shape, self.n, self.d, self.k, self.seed
        )
    }

    fn validate(&self) -> Result<()> {
        if self.n == 0 || self.d == 0 || self.k == 0 {
            bail!(
                "n, d and k must all be at least 1 (got n={}, d={}, k={})",
                self.n,
                self.d,
                self.k
            );
        }
        if self.k > self.n {
            bail!("k ({}) is larger than n ({})", self.k, self.n);
        }
        Ok(())
    }
}

/// Paths of a generated data set.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The data, `<stem>.csv`.
    pub csv: PathBuf,
    /// The true labels, `<stem>_labels.npy`.
    pub labels: PathBuf,
}

impl Dataset {
    /// The files of `spec` inside `dir` (whether or not they exist yet).
    pub fn locate(spec: &Spec, dir: &Path) -> Self {
        let stem = spec.stem();
        Self {
            csv: dir.join(format!("{stem}.csv")),
            labels: dir.join(format!("{stem}_labels.npy")),
        }
    }
}

/// Returns the data set of `spec` in `dir`, generating it unless both files exist.
/// Returns whether it was generated (`true`) or reused.
pub fn ensure(spec: &Spec, dir: &Path) -> Result<(Dataset, bool)> {
    spec.validate()?;
    let ds = Dataset::locate(spec, dir);
    if ds.csv.is_file() && ds.labels.is_file() {
        return Ok((ds, false));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let labels = crate::io::write_with(&ds.csv, |w| generate(spec, w))?;
    crate::io::write_with(&ds.labels, |w| Ok(npy::write_i64(w, &labels)?))?;
    Ok((ds, true))
}

/// Draws `k` centers in `[-box, box]^d`, each at least [`MIN_SEPARATION`] from the others,
/// by rejection; when the box is too crowded it restarts with a 25 % larger box.
pub fn draw_centers(rng: &mut Random, k: usize, d: usize) -> Vec<Vec<f64>> {
    let mut half = CENTER_BOX;
    loop {
        let mut centers: Vec<Vec<f64>> = Vec::with_capacity(k);
        let mut attempts = 0usize;
        while centers.len() < k && attempts < 2000 * k.max(1) {
            attempts += 1;
            let c: Vec<f64> = (0..d).map(|_| rng.uniform_in(-half, half)).collect();
            let far = centers.iter().all(|o| {
                let d2: f64 = o.iter().zip(&c).map(|(a, b)| (a - b) * (a - b)).sum();
                d2 >= MIN_SEPARATION * MIN_SEPARATION
            });
            if far {
                centers.push(c);
            }
        }
        if centers.len() == k {
            return centers;
        }
        half *= 1.25;
    }
}

/// Cluster sizes: equal (remainder to the first clusters), or 1/(i+1)-weighted for
/// [`Shape::Unequal`], every cluster getting at least one row.
fn cluster_sizes(n: usize, k: usize, unequal: bool) -> Vec<usize> {
    if !unequal {
        return (0..k).map(|i| n / k + usize::from(i < n % k)).collect();
    }
    let w: Vec<f64> = (0..k).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    let total: f64 = w.iter().sum();
    let spare = n - k;
    let exact: Vec<f64> = w.iter().map(|x| x / total * spare as f64).collect();
    let mut sizes: Vec<usize> = exact.iter().map(|x| 1 + x.floor() as usize).collect();
    let mut left = n - sizes.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        sizes[i] += 1;
        left -= 1;
    }
    sizes
}

/// Generates the CSV of `spec` into `w` and returns the ground-truth labels (row order).
pub fn generate<W: Write>(spec: &Spec, w: &mut W) -> Result<Vec<i64>> {
    // Header.
    let d = spec.d;
    let mut line = String::with_capacity(32 + 24 * d);
    line.push_str("ID");
    for j in 1..=d {
        line.push_str(&format!(",feature_{j}"));
    }
    line.push('\n');
    w.write_all(line.as_bytes())?;
    let mut fbuf = ryu::Buffer::new();
    generate_rows(spec, |row, x| {
        line.clear();
        line.push_str(&row_id(row, spec.n));
        for v in x {
            line.push(',');
            line.push_str(fbuf.format(*v));
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
        Ok(())
    })
}

/// Generates the rows of `spec` in order, handing each (row index, features) to
/// `each` (the same values [`generate`] prints), and returns the ground-truth labels.
pub fn generate_rows(
    spec: &Spec,
    mut each: impl FnMut(usize, &[f64]) -> Result<()>,
) -> Result<Vec<i64>> {
    spec.validate()?;
    let Spec {
        n,
        d,
        k,
        seed,
        shape,
    } = *spec;
    let mut rng = Random::new(seed);
    let centers = draw_centers(&mut rng, k, d);

    let n_out = if shape == Shape::Outliers {
        ((n as f64) * OUTLIER_FRACTION) as usize
    } else {
        0
    };
    let n_out = n_out.min(n - k);
    let sizes = cluster_sizes(n - n_out, k, shape == Shape::Unequal);
    let mut labels: Vec<i64> = Vec::with_capacity(n);
    for (i, &s) in sizes.iter().enumerate() {
        labels.extend(std::iter::repeat_n(i as i64, s));
    }
    labels.extend(std::iter::repeat_n(-1, n_out));
    rng.shuffle(&mut labels);

    // One random linear map for the anisotropic shape: a stretch per axis plus a shear.
    let transform: Option<Vec<f64>> = (shape == Shape::Anisotropic).then(|| {
        let scale = 0.6 / (d as f64).sqrt();
        let mut t = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                t[i * d + j] = scale * rng.normal();
            }
            t[i * d + i] += rng.uniform_in(0.3, 1.5);
        }
        t
    });

    let mut x = vec![0.0; d];
    let mut tmp = vec![0.0; d];
    for (row, slot) in labels.iter_mut().enumerate() {
        let label = *slot;
        match shape {
            Shape::Blobs | Shape::Unequal | Shape::Anisotropic | Shape::Outliers => {
                if label < 0 {
                    for v in x.iter_mut() {
                        *v = rng.uniform_in(-3.0 * CENTER_BOX, 3.0 * CENTER_BOX);
                    }
                } else {
                    let c = &centers[label as usize];
                    for (v, cj) in x.iter_mut().zip(c) {
                        *v = cj + CLUSTER_STD * rng.normal();
                    }
                }
                if let Some(t) = &transform {
                    for (i, out) in tmp.iter_mut().enumerate() {
                        *out = t[i * d..(i + 1) * d]
                            .iter()
                            .zip(&x)
                            .map(|(a, b)| a * b)
                            .sum();
                    }
                    x.copy_from_slice(&tmp);
                }
            }
            Shape::Uniform => {
                // The ground truth of uniform data is the Voronoi cell of each point.
                for v in x.iter_mut() {
                    *v = rng.uniform_in(-CENTER_BOX, CENTER_BOX);
                }
                *slot = nearest(&centers, &x) as i64;
            }
            Shape::Rings => {
                let radius = 1.0 + 1.5 * label as f64;
                let theta = rng.uniform_in(0.0, std::f64::consts::TAU);
                let noise = 0.1;
                if d == 1 {
                    let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                    x[0] = sign * radius + noise * rng.normal();
                } else {
                    x[0] = radius * libm::cos(theta) + noise * rng.normal();
                    x[1] = radius * libm::sin(theta) + noise * rng.normal();
                    for v in x.iter_mut().skip(2) {
                        *v = noise * rng.normal();
                    }
                }
            }
            Shape::Moons => {
                let l = label as usize;
                let t = rng.uniform_in(0.0, std::f64::consts::PI);
                let shift = 3.0 * (l / 2) as f64;
                let (px, py) = if l.is_multiple_of(2) {
                    (libm::cos(t) + shift, libm::sin(t))
                } else {
                    (1.0 - libm::cos(t) + shift, 0.5 - libm::sin(t))
                };
                let noise = 0.1;
                x[0] = px + noise * rng.normal();
                if d > 1 {
                    x[1] = py + noise * rng.normal();
                }
                for v in x.iter_mut().skip(2) {
                    *v = noise * rng.normal();
                }
            }
        }

        each(row, &x)?;
    }
    Ok(labels)
}

fn nearest(centers: &[Vec<f64>], x: &[f64]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (i, c) in centers.iter().enumerate() {
        let d2: f64 = c.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum();
        if d2 < best.0 {
            best = (d2, i);
        }
    }
    best.1
}

/// The ID of row `row` in a data set of `n` rows: `p` and the zero-padded row number
/// (at least 6 digits), e.g. `p000123`.
pub fn row_id(row: usize, n: usize) -> String {
    let width = n.saturating_sub(1).to_string().len().max(6);
    format!("p{row:0width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(spec: &Spec) -> (Vec<u8>, Vec<i64>) {
        let mut out = Vec::new();
        let labels = generate(spec, &mut out).unwrap();
        (out, labels)
    }

    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        })
    }

    const BLOBS: Spec = Spec {
        n: 1000,
        d: 3,
        k: 8,
        seed: 20_260_609,
        shape: Shape::Blobs,
    };

    #[test]
    fn deterministic_bytes() {
        let (a, la) = bytes(&BLOBS);
        let (b, lb) = bytes(&BLOBS);
        assert_eq!(a, b);
        assert_eq!(la, lb);
        let (c, _) = bytes(&Spec { seed: 1, ..BLOBS });
        assert_ne!(a, c);
    }

    #[test]
    fn golden_hash() {
        // Guards the promise that a (n, d, k, seed, shape) tuple always gives the same
        // bytes: change this only together with a note in the README.
        let (a, labels) = bytes(&Spec {
            n: 200,
            d: 3,
            k: 4,
            seed: 7,
            shape: Shape::Blobs,
        });
        let mut npy_bytes = Vec::new();
        npy::write_i64(&mut npy_bytes, &labels).unwrap();
        assert_eq!((fnv1a(&a), fnv1a(&npy_bytes)), GOLDEN);
    }
    const GOLDEN: (u64, u64) = (4_281_997_357_039_232_274, 16_581_726_174_937_994_806);

    #[test]
    fn blobs_follow_the_seed() {
        let (csv, labels) = bytes(&BLOBS);
        let mut counts = [0usize; 8];
        for &l in &labels {
            counts[l as usize] += 1;
        }
        assert_eq!(counts, [125; 8]);
        // Shuffled: not sorted by label.
        assert!(labels.windows(2).any(|w| w[0] > w[1]));
        let text = String::from_utf8(csv).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("ID,feature_1,feature_2,feature_3"));
        let rows: Vec<Vec<f64>> = lines
            .enumerate()
            .map(|(i, l)| {
                let mut f = l.split(',');
                assert_eq!(f.next().unwrap(), row_id(i, 1000));
                f.map(|v| v.parse().unwrap()).collect()
            })
            .collect();
        assert_eq!(rows.len(), 1000);
        // Cluster means are >= 3 apart (minus sampling noise), spreads near 0.5.
        let mut means = vec![vec![0.0; 3]; 8];
        for (r, &l) in rows.iter().zip(&labels) {
            for j in 0..3 {
                means[l as usize][j] += r[j] / 125.0;
            }
        }
        for a in 0..8 {
            for b in a + 1..8 {
                let d: f64 = (0..3)
                    .map(|j| (means[a][j] - means[b][j]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                assert!(d > MIN_SEPARATION - 0.3, "{a} {b} {d}");
            }
        }
        let var: f64 = rows
            .iter()
            .zip(&labels)
            .map(|(r, &l)| {
                (0..3)
                    .map(|j| (r[j] - means[l as usize][j]).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / (1000.0 * 3.0);
        assert!((var.sqrt() - CLUSTER_STD).abs() < 0.05, "{}", var.sqrt());
    }

    #[test]
    fn centers_keep_their_distance_even_when_crowded() {
        let mut rng = Random::new(3);
        let centers = draw_centers(&mut rng, 64, 2);
        for a in 0..64 {
            for b in a + 1..64 {
                let d2: f64 = (0..2)
                    .map(|j| (centers[a][j] - centers[b][j]).powi(2))
                    .sum();
                assert!(d2 >= MIN_SEPARATION * MIN_SEPARATION);
            }
        }
    }

    #[test]
    fn every_shape_generates() {
        for shape in [
            Shape::Blobs,
            Shape::Uniform,
            Shape::Anisotropic,
            Shape::Unequal,
            Shape::Rings,
            Shape::Moons,
            Shape::Outliers,
        ] {
            for d in [1, 2, 5] {
                let spec = Spec {
                    n: 101,
                    d,
                    k: 3,
                    seed: 5,
                    shape,
                };
                let (csv, labels) = bytes(&spec);
                assert_eq!(labels.len(), 101);
                let text = String::from_utf8(csv).unwrap();
                assert_eq!(text.lines().count(), 102, "{shape} d={d}");
                for line in text.lines().skip(1) {
                    assert_eq!(line.split(',').count(), d + 1);
                    assert!(line
                        .split(',')
                        .skip(1)
                        .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)));
                }
                let lo = if shape == Shape::Outliers { -1 } else { 0 };
                assert!(labels.iter().all(|&l| (lo..3).contains(&l)), "{shape}");
            }
        }
        let (_, unequal) = bytes(&Spec {
            n: 1000,
            d: 2,
            k: 4,
            seed: 1,
            shape: Shape::Unequal,
        });
        let big = unequal.iter().filter(|&&l| l == 0).count();
        let small = unequal.iter().filter(|&&l| l == 3).count();
        assert!(big > 3 * small, "{big} {small}");
        let (_, out) = bytes(&Spec {
            n: 1000,
            d: 2,
            k: 4,
            seed: 1,
            shape: Shape::Outliers,
        });
        assert_eq!(out.iter().filter(|&&l| l == -1).count(), 50);
    }

    #[test]
    fn ensure_writes_once_and_caches() {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec {
            n: 50,
            d: 2,
            k: 2,
            seed: 9,
            shape: Shape::Blobs,
        };
        let (ds, made) = ensure(&spec, dir.path()).unwrap();
        assert!(made);
        let first = std::fs::read(&ds.csv).unwrap();
        let (_, made_again) = ensure(&spec, dir.path()).unwrap();
        assert!(!made_again);
        assert_eq!(std::fs::read(&ds.csv).unwrap(), first);
        assert_eq!(npy::read_i64(&ds.labels).unwrap().len(), 50);
        // No temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        assert!(ensure(&Spec { k: 60, ..spec }, dir.path()).is_err());
    }
}
