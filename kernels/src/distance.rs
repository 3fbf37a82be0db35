//! The canonical distances every label of the crate is defined by, and the bounds on
//! their rounding that let fast paths skip them safely.
//!
//! * [`dist2`]: the canonical f64 squared distance (eight partial sums, a fixed tree),
//!   with [`nearest`] and [`nearest_two`], the canonical argmins.
//! * [`dist2_f32`]: the canonical f32 distance of `--precision f32`.
//! * `Margin`: the one rounding-bound helper (expanded scores, bounded algorithms).
//! * [`max_magnitude`], [`max_magnitude_f32`]: the largest coordinates whose distances
//!   cannot overflow.
//!
//! A leaf: it imports nothing from the crate.

/// Partial sums of the canonical distance: feature `t` goes to partial `t % 8`.
pub const PARTIALS: usize = 8;

/// The canonical squared Euclidean distance, in f64 with no FMA: feature `t`'s squared
/// difference is added to partial sum `t % 8` (each partial summed in order of `t`,
/// starting from 0), and the eight partials are combined by the fixed tree
/// [`combine`]: `((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7))`.
///
/// This is the order an 8-lane vector accumulates a row chunk by chunk and then halves
/// itself, so SIMD code reproduces it bit for bit with any lane count (8 lanes: one
/// vector; 4: two; 2: four; 1: eight) without transposing rows; plain loops get eight
/// independent chains instead of one. Every label in this crate is the argmin of this
/// function (lowest index on ties), whatever kernel found it. For d ≤ 2 it equals the
/// left-to-right sum; for d = 3 it is `(s0 + s2) + s1`, for d = 4 `(s0 + s2) + (s1 + s3)`.
#[inline]
pub fn dist2(a: &[f64], b: &[f64]) -> f64 {
    let mut p = [0.0f64; PARTIALS];
    let mut ca = a.chunks_exact(PARTIALS);
    let mut cb = b.chunks_exact(PARTIALS);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for j in 0..PARTIALS {
            let t = x[j] - y[j];
            p[j] += t * t;
        }
    }
    for (j, (x, y)) in ca.remainder().iter().zip(cb.remainder()).enumerate() {
        let t = x - y;
        p[j] += t * t;
    }
    combine(&p)
}

/// The fixed reduction tree of [`dist2`]'s eight partial sums.
#[inline(always)]
pub fn combine(p: &[f64; PARTIALS]) -> f64 {
    ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]))
}

/// The canonical argmin: the index of the center (of `centers`, `k × d` row-major)
/// with the smallest [`dist2`] to `row`, the lowest index on ties.
#[inline]
pub fn nearest(row: &[f64], centers: &[f64], d: usize) -> usize {
    let mut best = 0usize;
    let mut best_d = f64::INFINITY;
    for (j, c) in centers.chunks_exact(d).enumerate() {
        let dd = dist2(row, c);
        if dd < best_d {
            best_d = dd;
            best = j;
        }
    }
    best
}

/// The canonical argmin of `dist2` over `centers` (`k × d`), lowest index on ties, with
/// the best and second-best squared distances.
pub fn nearest_two(row: &[f64], centers: &[f64], k: usize) -> (usize, f64, f64) {
    let d = row.len();
    let (mut best, mut d1, mut d2) = (0usize, f64::INFINITY, f64::INFINITY);
    for j in 0..k {
        let dd = dist2(row, &centers[j * d..(j + 1) * d]);
        if dd < d1 {
            d2 = d1;
            d1 = dd;
            best = j;
        } else if dd < d2 {
            d2 = dd;
        }
    }
    (best, d1, d2)
}

/// The f32 squared distance of one row to one center (both already rounded to f32):
/// `acc = fma(x_t − c_t, x_t − c_t, acc)` over `t = 0..d` in order. The reference
/// every f32 kernel reproduces bit for bit.
#[inline]
pub fn dist2_f32(x: &[f32], c: &[f32]) -> f32 {
    let mut acc = 0.0f32;
    for (a, b) in x.iter().zip(c) {
        let t = a - b;
        acc = t.mul_add(t, acc);
    }
    acc
}

/// The largest magnitude a coordinate may have so that no sum the fit computes can
/// overflow: with every coordinate of the points and centers in `[-m, m]`, a squared
/// distance is at most `4·d·m²` and the inertia (a sum over `n` rows) at most `4·n·d·m²`,
/// which must stay below `f64::MAX`. About 2e150 for n = 256k, d = 32; data beyond it
/// (values near ±1e300) is refused with a message to rescale, instead of producing
/// infinite distances whose argmin would be meaningless.
pub fn max_magnitude(n: usize, d: usize) -> f64 {
    (f64::MAX / (4.0 * n.max(1) as f64 * d.max(1) as f64)).sqrt()
}

/// The largest magnitude `--precision f32` accepts for `d` features: every squared
/// distance between such values stays below `f32::MAX`.
pub fn max_magnitude_f32(d: usize) -> f64 {
    (f32::MAX as f64 / (4.0 * d.max(1) as f64)).sqrt()
}

/// The absolute term of every rounding bound: covers results that underflow to
/// subnormals or zero, where a relative bound says nothing.
const UNDERFLOW: f64 = 1e-300;

/// Bounds on the rounding error of the canonical distance, for the two places that
/// skip it on proof: the expanded form of the assignment kernel (scores
/// `‖c‖² − 2 x·c`, see [`Margin::scores`]) and the bounded algorithms (Hamerly,
/// Elkan), whose bounds are distances widened by a relative margin ([`Margin::new`]).
/// Either way a label is settled without the canonical distance only when no rounding
/// could change the canonical argmin; exact ties always go to the canonical argmin.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Margin {
    eps: f64,
}

impl Margin {
    /// The relative margin of distances (square roots of [`dist2`]) of `d` features.
    /// The canonical dist2 is within (d + 8)·ε relative of the exact squared distance
    /// (error of a sum of non-negative terms of depth ≤ d / 8 + 3); its square root
    /// within half that; 16× covers the bound updates' roundings.
    pub(crate) fn new(d: usize) -> Self {
        Margin {
            eps: 16.0 * (d as f64 + 8.0) * f64::EPSILON,
        }
    }

    /// `v` widened upwards (an upper bound stays one).
    #[inline(always)]
    pub(crate) fn up(self, v: f64) -> f64 {
        v * (1.0 + self.eps) + UNDERFLOW
    }

    /// `v` widened downwards, at least 0 (a lower bound stays one). (`w.max(0.0)` as a
    /// comparison, the same value for every `w` including NaN, which vectorizes to one
    /// instruction where `f64::max` needs a NaN fix-up.)
    #[inline(always)]
    pub(crate) fn down(self, v: f64) -> f64 {
        let w = v * (1.0 - self.eps) - UNDERFLOW;
        if w > 0.0 {
            w
        } else {
            0.0
        }
    }

    /// Whether a point with upper bound `u` on the distance to its center and lower
    /// bound `bound` on the distance to another center (or to every other) keeps its
    /// center: the gap must exceed the rounding of the canonical distances, so the
    /// canonical argmin cannot differ (and no exact tie is skipped).
    #[inline(always)]
    pub(crate) fn clear(self, u: f64, bound: f64) -> bool {
        self.up(u) < self.down(bound)
    }

    /// Bound on the rounding error of the expanded score difference plus that of the
    /// canonical distances, for rows with `‖x‖² ≤ xmax` and centers with
    /// `‖c‖² ≤ cmax`: `8 (d + 2) ε (xmax + cmax)` plus an absolute term for underflow.
    /// (Both dot products have error `≤ γ_d ‖x‖‖c‖`; the canonical sum `≤ γ_d · dist`,
    /// and `dist ≤ 2 (‖x‖² + ‖c‖²)`; 8 covers all four terms with room to spare.)
    #[inline]
    pub(crate) fn scores(d: usize, xmax: f64, cmax: f64) -> f64 {
        8.0 * (d as f64 + 2.0) * f64::EPSILON * (xmax + cmax) + (d as f64 + 2.0) * UNDERFLOW
    }
}

/// Features per FMA chain of the screened kernel's dot products: each chunk of
/// `SCREEN_CHAIN` features is summed from zero, then the chunks' sums are added, so
/// the rounding bound of [`Screen`] grows with `min(d, SCREEN_CHAIN) + ⌈d / SCREEN_CHAIN⌉`
/// rather than `d` (ten times tighter at d = 768).
pub const SCREEN_CHAIN: usize = 64;

/// The screened kernel's acceptance test: when a row's two best f32 scores
/// `s = fl(‖Ĉ‖² − 2 X̂·Ĉ)` are more than the bound apart, the best one is the canonical
/// f64 argmin. Here `X = x − μ`, `C = c − μ` (`μ` the data's column means: distances
/// do not change, the norms shrink), `X̂`, `Ĉ` rounded to f32 (`u = 2⁻²⁴`), `‖Ĉ‖²`
/// summed in f64 and rounded once, the dot product by FMA chains of at most
/// [`SCREEN_CHAIN`] features whose sums are then added
/// (`L = min(d, CHAIN) + ⌈d / CHAIN⌉` roundings deep).
///
/// Each score is within `E32 = 1.01 (L + 6) u (‖C‖² + 2 ‖X‖‖C‖)` of the exact
/// `‖C‖² − 2 X·C`: rounding the inputs moves `‖C‖²` by `≤ (2u + u²)‖C‖²` and `X·C` by
/// `≤ (2u + u²)‖X‖‖C‖`; the chained dot product adds `≤ γ_L ‖X̂‖‖Ĉ‖`; rounding `‖Ĉ‖²`
/// and the final FMA add `≤ u (‖C‖² + 2‖X‖‖C‖)` more (with `L u ≤ 0.01`, i.e.
/// `d ≤ 100 000`, the products of `(1 + u)` factors stay under 1.01). Each canonical
/// f64 distance is within `E64 = (d + 8) ε (‖X‖ + ‖C‖)²` of the exact one (see
/// [`Margin::new`]). `‖X‖²` is common to a row's scores, so
/// `s_j − s_b > 2 (E32 + E64)` (with `‖C‖` the largest center norm) gives
/// `dist2(x, c_j) > dist2(x, c_b)` in f64 for every other `j`: no rounding can change
/// the argmin, and exact ties (gap 0) always go to the canonical re-check. An
/// absolute term covers subnormal results and inputs below f32's normal range
/// (absolute errors `≤ 2⁻¹⁴⁹` per operation). Valid only while no f32 value can
/// overflow: [`Screen::applies`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Screen {
    rel32: f64,
    rel64: f64,
    abs: f64,
}

impl Screen {
    /// The bound's coefficients for `d` features.
    pub(crate) fn new(d: usize) -> Self {
        let chain = SCREEN_CHAIN;
        let l = (d.min(chain) + d.div_ceil(chain)) as f64;
        let d = d as f64;
        Screen {
            rel32: 2.0 * 1.01 * (l + 6.0) * f64::from(f32::EPSILON) / 2.0,
            rel64: 2.0 * (d + 8.0) * f64::EPSILON,
            abs: 8.0 * (d + 8.0) * 2f64.powi(-140),
        }
    }

    /// Whether the screen is valid for rows of norm `≤ xn` and centers of norm
    /// `≤ cn` (largest, both relative to the shift), `k` centers: every score and
    /// dot product stays far below `f32::MAX`, and center indices are exact in f32.
    pub(crate) fn applies(xn: f64, cn: f64, k: usize) -> bool {
        let m = xn + cn;
        m.is_finite() && 4.0 * m * m < f64::from(f32::MAX) && k < (1 << 24)
    }

    /// Whether the best score `best` is settled against the runner-up `second` for a
    /// row of norm `xn`, centers of largest norm `cn` (relative to the shift).
    #[inline(always)]
    pub(crate) fn settles(self, best: f32, second: f32, xn: f64, cn: f64) -> bool {
        let m = xn + cn;
        let bound = self.rel32 * cn * (cn + 2.0 * xn) + self.rel64 * m * m + self.abs * (1.0 + m);
        f64::from(second) - f64::from(best) > bound
    }
}
