//! Exact triangle-inequality pruning of the k-means++ passes on the f64 layouts.
//!
//! Each row keeps the index of a center whose canonical distance is its `closest`
//! value (`a² = D(x)`). For a candidate `c` at distance `e` from that center,
//! `‖x − c‖ ≥ e − a`, so when `e ≥ 2a` the candidate is not closer: `min(D, dist2(x, c))`
//! is `D` and the row's "closer" bit is clear. The row then adds `w·D` to every
//! candidate's potential without being read. The test is made on the *computed*
//! distances, widened by [`PruneBound`] so that it implies `dist2(x, c) ≥ D` for the
//! canonical values themselves (not only for the exact ones): the sums, bits and
//! centers are the unpruned ones bit for bit. After the first steps most rows sit
//! near their center and far from a new candidate, and the seeding reads only the
//! rows near it instead of the whole matrix per step.

use crate::exec::Exec;
use crate::kernel::canonical::{canonical_dist2, canonical_dist2_many};
use crate::kernel::isa;
use crate::layout::Layout;
use pulp::{Simd, WithSimd};
use std::ops::Range;

/// Features below which pruning is not used: measured on the seed's heaviest cell
/// (256k × 32, k = 1..32, warm sweep) the pruned passes made seeding 18 % slower
/// (0.68 s against 0.57 s), while at d = 128 they gain ~10 % and at d = 768 halve it.
pub(crate) const PRUNE_MIN_D: usize = 64;

/// The absolute term of the bound (covers distances that underflow).
const UNDERFLOW: f64 = 1e-300;

/// The widening of the pruning test for `d` features.
///
/// The canonical `dist2` is within `γ = (d + 8)·ε` relative of the exact squared
/// distance, plus an absolute `U` for underflow. With `a² ≤ (D̂ + U)/(1 − γ)` (the
/// row's computed `closest` `D̂`) and `e² ≥ (ê − U)/(1 + γ)` (the computed
/// center-to-candidate distance `ê`), `e² ≥ 4B`, `B = a²(1 + γ)/(1 − γ) + 2U/(1 − γ)`
/// gives `e − a ≥ √B`, so `b² (1 − γ) − U ≥ a²(1 + γ) + U`, i.e. the candidate's
/// computed distance is at least `D̂`. `η = 32 (d + 8) ε` exceeds the `4γ` those
/// quotients need with room for the test's own roundings (a few ε), and `8U` covers
/// the absolute terms: the row is skipped only when `ê(1 − η) − 8U ≥ 4 (D̂(1 + η) + 8U)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PruneBound {
    eta: f64,
}

impl PruneBound {
    /// The bound for `d` features.
    pub(crate) fn new(d: usize) -> Self {
        PruneBound {
            eta: 32.0 * (d as f64 + 8.0) * f64::EPSILON,
        }
    }

    /// The lower side of a computed center-to-candidate squared distance.
    #[inline(always)]
    pub(crate) fn down(self, e: f64) -> f64 {
        e * (1.0 - self.eta) - 8.0 * UNDERFLOW
    }

    /// Whether a row with computed `closest` value `dd` may skip a candidate whose
    /// [`PruneBound::down`] distance to the row's center is `near`. A row at distance 0
    /// is never changed by any candidate.
    #[inline(always)]
    pub(crate) fn skip(self, dd: f64, near: f64) -> bool {
        dd == 0.0 || near >= 4.0 * (dd * (1.0 + self.eta) + 8.0 * UNDERFLOW)
    }
}

/// Per row, the center its `closest` value is the canonical distance to.
pub(crate) struct Prune {
    /// One label per row.
    pub(crate) labels: Vec<u32>,
    /// Per center, the smallest [`PruneBound::down`] distance to the step's candidates.
    pub(crate) near: Vec<f64>,
    /// The bound.
    pub(crate) bound: PruneBound,
}

impl Prune {
    /// All rows on center 0 (the first center, which every `closest` starts from).
    pub(crate) fn new(n: usize, d: usize) -> Self {
        Prune {
            labels: vec![0; n],
            near: Vec::new(),
            bound: PruneBound::new(d),
        }
    }

    /// Fills `near[j] = min_t down(dist2(cands_t, centers_j))` for the `count` centers.
    pub(crate) fn set_near(&mut self, exec: &Exec, cands: &[f64], centers: &[f64], d: usize) {
        let count = centers.len() / d;
        self.near.clear();
        self.near.resize(count, f64::INFINITY);
        const GROUP: usize = 64;
        let mut unit = vec![(); count.div_ceil(GROUP)];
        let bound = self.bound;
        exec.for_each_chunk(&mut self.near, GROUP, &mut unit, |g, near, _| {
            let cs = &centers[g * GROUP * d..(g * GROUP + near.len()) * d];
            isa::dispatch(NearOp {
                cands,
                centers: cs,
                d,
                bound,
                near,
            });
        });
    }
}

struct NearOp<'a> {
    cands: &'a [f64],
    centers: &'a [f64],
    d: usize,
    bound: PruneBound,
    near: &'a mut [f64],
}

impl WithSimd for NearOp<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let d = self.d;
        for (j, v) in self.near.iter_mut().enumerate() {
            let c = &self.centers[j * d..(j + 1) * d];
            for t in self.cands.chunks_exact(d) {
                let e = self.bound.down(canonical_dist2::<S>(simd, c, t));
                if e < *v {
                    *v = e;
                }
            }
        }
    }
}

/// The greedy step's potentials over `rows` (see [`Layout::potentials`]), skipping the
/// rows [`PruneBound::skip`] clears for every candidate. Same values and bits.
pub(crate) struct PrunedPotentials<'a, L> {
    pub(crate) x: &'a L,
    pub(crate) rows: Range<usize>,
    pub(crate) cands: &'a [f64],
    pub(crate) closest: &'a [f64],
    pub(crate) labels: &'a [u32],
    pub(crate) near: &'a [f64],
    pub(crate) bound: PruneBound,
    pub(crate) weights: Option<&'a [f64]>,
    pub(crate) pots: &'a mut [f64],
    pub(crate) closer: Option<&'a mut [u8]>,
}

impl<L: Layout> PrunedPotentials<'_, L> {
    /// Runs at the active ISA level.
    pub(crate) fn run(self) {
        isa::dispatch(self)
    }
}

#[inline(always)]
fn pots_rows<S: Simd, L: Layout, const M: usize>(simd: S, p: PrunedPotentials<'_, L>) {
    let PrunedPotentials {
        x,
        rows,
        cands,
        closest,
        labels,
        near,
        bound,
        weights,
        pots,
        mut closer,
    } = p;
    let d = x.d();
    let mut buf = Vec::new();
    let mut acc = [0.0f64; M];
    for (r, &v) in closest.iter().enumerate() {
        let w = weights.map(|w| w[r]);
        if bound.skip(v, near[labels[r] as usize]) {
            let add = match w {
                Some(w) => w * v,
                None => v,
            };
            for a in acc.iter_mut() {
                *a += add;
            }
            continue;
        }
        let row = x.row(rows.start + r, &mut buf);
        let b = std::array::from_fn(|j| &cands[j * d..(j + 1) * d]);
        let dd = canonical_dist2_many::<S, M>(simd, row, b);
        let mut bits = 0u8;
        for (j, (a, dd)) in acc.iter_mut().zip(dd).enumerate() {
            bits |= ((dd < v) as u8) << (j % 8);
            let m = dd.min(v);
            *a += match w {
                Some(w) => w * m,
                None => m,
            };
        }
        if let Some(out) = closer.as_deref_mut() {
            out[r] = bits;
        }
    }
    pots.copy_from_slice(&acc);
}

impl<L: Layout> WithSimd for PrunedPotentials<'_, L> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(mut self, simd: S) {
        let d = self.x.d();
        let m = self.cands.len() / d;
        if let Some(out) = self.closer.as_deref_mut() {
            out.fill(0);
        }
        match m {
            1 => pots_rows::<S, L, 1>(simd, self),
            2 => pots_rows::<S, L, 2>(simd, self),
            3 => pots_rows::<S, L, 3>(simd, self),
            4 => pots_rows::<S, L, 4>(simd, self),
            5 => pots_rows::<S, L, 5>(simd, self),
            6 => pots_rows::<S, L, 6>(simd, self),
            7 => pots_rows::<S, L, 7>(simd, self),
            8 => pots_rows::<S, L, 8>(simd, self),
            _ => {
                // More than 8 candidates (k > 1096): one at a time, each its own
                // canonical distance (the same bits), no closer bits.
                let p = self;
                p.pots.fill(0.0);
                let mut buf = Vec::new();
                for (r, &v) in p.closest.iter().enumerate() {
                    let w = p.weights.map(|w| w[r]);
                    let skip = p.bound.skip(v, p.near[p.labels[r] as usize]);
                    let row = if skip {
                        &[][..]
                    } else {
                        p.x.row(p.rows.start + r, &mut buf)
                    };
                    for (t, pot) in p.pots.iter_mut().enumerate() {
                        let m = if skip {
                            v
                        } else {
                            canonical_dist2::<S>(simd, row, &p.cands[t * d..(t + 1) * d]).min(v)
                        };
                        *pot += match w {
                            Some(w) => w * m,
                            None => m,
                        };
                    }
                }
            }
        }
    }
}

/// The k-means++ update with center `c` (index `index`) over `rows` (see
/// [`Layout::update_closest`], not `init`), skipping cleared rows and relabelling the
/// rows it changes; returns the sum of the new values in row order.
pub(crate) struct PrunedUpdate<'a, L> {
    pub(crate) x: &'a L,
    pub(crate) rows: Range<usize>,
    pub(crate) c: &'a [f64],
    pub(crate) index: u32,
    pub(crate) closest: &'a mut [f64],
    pub(crate) labels: &'a mut [u32],
    pub(crate) near: &'a [f64],
    pub(crate) bound: PruneBound,
}

impl<L: Layout> PrunedUpdate<'_, L> {
    /// Runs at the active ISA level.
    pub(crate) fn run(self) -> f64 {
        isa::dispatch(self)
    }
}

impl<L: Layout> WithSimd for PrunedUpdate<'_, L> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        let mut buf = Vec::new();
        let mut sum = 0.0;
        for (r, (v, lab)) in self
            .closest
            .iter_mut()
            .zip(self.labels.iter_mut())
            .enumerate()
        {
            if !self.bound.skip(*v, self.near[*lab as usize]) {
                let row = self.x.row(self.rows.start + r, &mut buf);
                let dd = canonical_dist2::<S>(simd, row, self.c);
                if dd < *v {
                    *v = dd;
                    *lab = self.index;
                }
            }
            sum += *v;
        }
        sum
    }
}

/// Relabels the rows of a chunk whose `closer` byte has `bit` (the rows the chosen
/// candidate `index` replaced the center of).
pub(crate) fn relabel(labels: &mut [u32], closer: &[u8], bit: u8, index: u32) {
    for (l, &b) in labels.iter_mut().zip(closer) {
        if b & bit != 0 {
            *l = index;
        }
    }
}
