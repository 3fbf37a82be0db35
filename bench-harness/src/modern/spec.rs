//! What a `modern` run measures: the cells (n × d, k), the contestants and their
//! variants, parsed from the command line. A leaf module: the rest of `modern` imports
//! it, it imports nothing of theirs.

use anyhow::{bail, Context, Result};
use std::fmt;

/// One cell of the grid: n rows of d features, k clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Clusters.
    pub k: usize,
}

impl Cell {
    /// Parses `NxDxK` (`x` or `×`), where each number may end in `k` (×1000) or `M`
    /// (×1,000,000): `100kx128x256`, `1Mx768x1024`, `2000x16x8`.
    pub fn parse(s: &str) -> Result<Cell> {
        let parts: Vec<&str> = s.split(['x', '×']).map(str::trim).collect();
        let [n, d, k] = parts[..] else {
            bail!("shape {s:?}: expected NxDxK, e.g. 100kx128x256");
        };
        let cell = Cell {
            n: count(n).with_context(|| format!("shape {s:?}: n"))?,
            d: count(d).with_context(|| format!("shape {s:?}: d"))?,
            k: count(k).with_context(|| format!("shape {s:?}: k"))?,
        };
        if cell.n == 0 || cell.d == 0 || cell.k == 0 || cell.k > cell.n {
            bail!("shape {s:?}: need n, d, k ≥ 1 and k ≤ n");
        }
        Ok(cell)
    }

    /// Parses a comma-separated list of cells.
    pub fn parse_list(s: &str) -> Result<Vec<Cell>> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Cell::parse)
            .collect()
    }

    /// Flops of one Lloyd iteration's distances in the FMA convention: `2·n·k·d`
    /// (one multiply and one add per feature, row and center: the expanded form's
    /// matrix product, and issue #23's "% of the FMA peak").
    pub fn flops_per_iteration(&self) -> f64 {
        2.0 * self.n as f64 * self.k as f64 * self.d as f64
    }

    /// Compact label: `100k×128, k=256`.
    pub fn label(&self) -> String {
        format!("{}×{}, k={}", short(self.n), self.d, self.k)
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", short(self.n), self.d, self.k)
    }
}

/// `100000` → `100k`, `1000000` → `1M`, else the number.
pub fn short(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn count(s: &str) -> Result<usize> {
    let (num, mul) = match s.strip_suffix(['k', 'K']) {
        Some(x) => (x, 1000),
        None => match s.strip_suffix('M') {
            Some(x) => (x, 1_000_000),
            None => (s, 1),
        },
    };
    let v: usize = num
        .parse()
        .with_context(|| format!("{s:?} is not a count"))?;
    Ok(v * mul)
}

/// Arithmetic of a contestant's distances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// float64.
    F64,
    /// float32.
    F32,
}

impl Precision {
    /// `f64` / `f32`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// Who computes: our `kmeans` binary (with a `--kernel` value), or a Python library
/// run by `python/bench/fitbench.py`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `target/release/kmeans`, `--kernel <kernel>` unless the kernel is `auto`.
    Ours {
        /// The `--kernel` value.
        kernel: String,
    },
    /// A fitbench.py contestant: `kmeans_roofline`, `sklearn`, `sklearnex`, `faiss`.
    Python {
        /// fitbench.py's contestant name.
        lib: String,
    },
}

/// One contestant of the fit race.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contestant {
    /// Display name, e.g. `kmeans-f32-blocked`, `sklearnex`, `faiss`.
    pub name: String,
    /// Who computes.
    pub engine: Engine,
    /// Distance arithmetic.
    pub precision: Precision,
}

/// The Python libraries fitbench.py knows.
pub const PYTHON_LIBS: [&str; 4] = ["kmeans_roofline", "sklearn", "sklearnex", "faiss"];

/// Default contestants of the fit race.
pub const DEFAULT_CONTESTANTS: &str =
    "kmeans,kmeans-f32,kmeans_roofline,kmeans_roofline-f32,sklearn,sklearnex,faiss";

/// Default `--kernel` values tried for our binary (those it does not offer are skipped
/// with a note).
pub const DEFAULT_KERNELS: &str = "auto,blocked,screened";

/// Expands the `--contestants` list: `kmeans` and `kmeans-f32` become one contestant
/// per kernel of `kernels` (`kmeans` for `auto`, `kmeans-<kernel>` otherwise), Python
/// libraries take an optional `-f32` suffix (`faiss` is always float32).
pub fn contestants(list: &str, kernels: &[String]) -> Result<Vec<Contestant>> {
    let mut out: Vec<Contestant> = Vec::new();
    for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (base, precision) = match raw.strip_suffix("-f32") {
            Some(b) => (b, Precision::F32),
            None => (raw, Precision::F64),
        };
        let mut add = |c: Contestant| {
            if !out.iter().any(|o| o.name == c.name) {
                out.push(c);
            }
        };
        if base == "kmeans" {
            for kernel in kernels {
                let suffix = if kernel == "auto" {
                    String::new()
                } else {
                    format!("-{kernel}")
                };
                let p = if precision == Precision::F32 {
                    "-f32"
                } else {
                    ""
                };
                add(Contestant {
                    name: format!("kmeans{p}{suffix}"),
                    engine: Engine::Ours {
                        kernel: kernel.clone(),
                    },
                    precision,
                });
            }
        } else if let Some(kernel) = base.strip_prefix("kmeans-") {
            // One explicit kernel: kmeans-blocked, kmeans-f32-blocked (the f32 suffix
            // was taken above only when last).
            let (kernel, precision) = match kernel.strip_prefix("f32-") {
                Some(k) => (k, Precision::F32),
                None => (kernel, precision),
            };
            add(Contestant {
                name: raw.to_string(),
                engine: Engine::Ours {
                    kernel: kernel.to_string(),
                },
                precision,
            });
        } else if PYTHON_LIBS.contains(&base) {
            let precision = if base == "faiss" {
                Precision::F32
            } else {
                precision
            };
            add(Contestant {
                name: if precision == Precision::F32 && base != "faiss" {
                    format!("{base}-f32")
                } else {
                    base.to_string()
                },
                engine: Engine::Python {
                    lib: base.to_string(),
                },
                precision,
            });
        } else {
            bail!(
                "unknown contestant {raw:?}: known are kmeans, kmeans-f32, kmeans-<kernel>, kmeans-f32-<kernel>, {} (with -f32)",
                PYTHON_LIBS.join(", ")
            );
        }
    }
    if out.is_empty() {
        bail!("no contestants");
    }
    Ok(out)
}

/// The seeding contestants (greedy k-means++).
pub const SEEDERS: [&str; 3] = ["kmeans", "sklearn", "sklearnex"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse() {
        let c = Cell::parse("100kx128x256").unwrap();
        assert_eq!((c.n, c.d, c.k), (100_000, 128, 256));
        assert_eq!(Cell::parse("1M×768×1024").unwrap().n, 1_000_000);
        assert_eq!(c.to_string(), "100kx128x256");
        assert!(Cell::parse("10x2").is_err());
        assert!(Cell::parse("10x2x11").is_err());
    }

    #[test]
    fn contestants_expand() {
        let ks = vec!["auto".to_string(), "blocked".to_string()];
        let c = contestants("kmeans,kmeans-f32,faiss,sklearnex-f32", &ks).unwrap();
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "kmeans",
                "kmeans-blocked",
                "kmeans-f32",
                "kmeans-f32-blocked",
                "faiss",
                "sklearnex-f32"
            ]
        );
        assert_eq!(c[5].precision, Precision::F32);
        let one = contestants("kmeans-f32-screened", &ks).unwrap();
        assert_eq!(
            one[0].engine,
            Engine::Ours {
                kernel: "screened".into()
            }
        );
        assert_eq!(one[0].precision, Precision::F32);
        assert!(contestants("nope", &ks).is_err());
    }
}
