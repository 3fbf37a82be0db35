//! The seeding kernel: k-means++ distance updates and greedy candidates' potentials.
//!
//! These need the distance *values*, which feed sums and sampling, bit-identical to
//! the canonical ones (so every layout chooses the same centers). The canonical
//! distance is defined so that a vector computes it along the row
//! (`canonical_dist2`: eight partial sums, one per feature residue mod 8, and a
//! fixed tree), so rows are read as they are stored, and each candidate's potential is
//! summed over rows in row order.

use super::canonical::{canonical_dist2, canonical_dist2_many};
use pulp::{Simd, WithSimd};

/// What a [`Seed`] pass computes.
pub(crate) enum SeedMode<'a> {
    /// `closest[i] = min(closest[i], dist2(x_i, c))` (or `=` when `init`) for the one
    /// candidate; the pass returns the new sum in row order.
    Update {
        /// Each row's squared distance to its closest center so far.
        closest: &'a mut [f64],
        /// First center: assign instead of taking the minimum.
        init: bool,
    },
    /// `pots[t] = Σ_i w_i · min(closest[i], dist2(x_i, cand_t))` in row order, per
    /// candidate (`w_i = 1` without weights); `closer[i]`, when given, gets bit `t` set
    /// when `dist2(x_i, cand_t) < closest[i]` (`m ≤ 8`).
    Potentials {
        /// Each row's squared distance to its closest center so far.
        closest: &'a [f64],
        /// The rows' weights, if any.
        weights: Option<&'a [f64]>,
        /// One potential per candidate.
        pots: &'a mut [f64],
        /// One byte per row: bit `t` for candidate `t` being closer.
        closer: Option<&'a mut [u8]>,
    },
}

/// Seeding kernel over rows `x` (row-major, `d` columns) and candidates `cands`
/// (`m × d`).
pub(crate) struct Seed<'a> {
    /// The rows, row-major.
    pub(crate) x: &'a [f64],
    /// Dimension.
    pub(crate) d: usize,
    /// The candidates, `m × d` row-major.
    pub(crate) cands: &'a [f64],
    /// What to compute.
    pub(crate) mode: SeedMode<'a>,
}

impl WithSimd for Seed<'_> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        let Seed { x, d, cands, mode } = self;
        let n = x.len() / d;
        let mut mode = mode;
        let m = match mode {
            SeedMode::Update { .. } => 1,
            SeedMode::Potentials { ref mut pots, .. } => {
                pots.fill(0.0);
                cands.len() / d
            }
        };
        let mut sum = 0.0;
        match mode {
            SeedMode::Update { closest, init } => {
                for (i, v) in closest.iter_mut().enumerate().take(n) {
                    let dd = canonical_dist2::<S>(simd, &x[i * d..(i + 1) * d], cands);
                    if init || dd < *v {
                        *v = dd;
                    }
                    sum += *v;
                }
            }
            SeedMode::Potentials {
                closest,
                weights,
                pots,
                mut closer,
            } => {
                if let Some(out) = closer.as_deref_mut() {
                    out.fill(0);
                }
                let mut fold = |i: usize, c: usize, dd: f64| {
                    if let Some(out) = closer.as_deref_mut() {
                        out[i] |= ((dd < closest[i]) as u8) << (c % 8);
                    }
                    let v = dd.min(closest[i]);
                    pots[c] += match weights {
                        Some(w) => w[i] * v,
                        None => v,
                    };
                };
                // All of a step's candidates at once (greedy k-means++ has 2 + ⌊ln k⌋,
                // at most 8 up to k = 1096), as many independent accumulator chains as
                // candidates (one candidate's distance alone is a chain of d / L
                // dependent adds and then the reduction); other counts in groups of
                // four, then one at a time.
                macro_rules! all {
                    ($m:literal) => {
                        for i in 0..n {
                            let row = &x[i * d..(i + 1) * d];
                            let b = std::array::from_fn(|j| &cands[j * d..(j + 1) * d]);
                            let dd = canonical_dist2_many::<S, $m>(simd, row, b);
                            for (j, v) in dd.into_iter().enumerate() {
                                fold(i, j, v);
                            }
                        }
                    };
                }
                match m {
                    2 => all!(2),
                    3 => all!(3),
                    4 => all!(4),
                    5 => all!(5),
                    6 => all!(6),
                    7 => all!(7),
                    8 => all!(8),
                    _ => {
                        for i in 0..n {
                            let row = &x[i * d..(i + 1) * d];
                            let mut c = 0;
                            while c + 4 <= m {
                                let b =
                                    std::array::from_fn(|j| &cands[(c + j) * d..(c + j + 1) * d]);
                                let dd = canonical_dist2_many::<S, 4>(simd, row, b);
                                for (j, v) in dd.into_iter().enumerate() {
                                    fold(i, c + j, v);
                                }
                                c += 4;
                            }
                            while c < m {
                                let b = &cands[c * d..(c + 1) * d];
                                fold(i, c, canonical_dist2::<S>(simd, row, b));
                                c += 1;
                            }
                        }
                    }
                }
            }
        }
        sum
    }
}
