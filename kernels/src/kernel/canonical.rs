//! The canonical distance [`crate::distance::dist2`] vectorized along a row, bit for
//! bit, and the `Dist2` abstraction that lets scalar code (Elkan's pass, the flat
//! layout's row updates) run it at the dispatched SIMD level.

use crate::distance::{combine, dist2, PARTIALS};
use pulp::{Simd, WithSimd};

/// The canonical distance of one pair of rows, bit for bit [`crate::distance::dist2`].
pub(crate) trait Dist2: Copy {
    /// The canonical squared distance of `a` and `b`.
    fn dist2(self, a: &[f64], b: &[f64]) -> f64;
}

/// [`dist2`] as a [`Dist2`] (the scalar kernel's distance).
#[derive(Clone, Copy)]
pub(crate) struct ScalarDist2;

impl Dist2 for ScalarDist2 {
    #[inline]
    fn dist2(self, a: &[f64], b: &[f64]) -> f64 {
        dist2(a, b)
    }
}

/// [`canonical_dist2`] at one SIMD level. (A type with an `#[inline(always)]` method
/// rather than a closure: a closure is not compiled with its caller's target features
/// unless inlined, and the intrinsics would then become calls.)
#[derive(Clone, Copy)]
pub(crate) struct SimdDist2<S>(S);

impl<S: Simd> Dist2 for SimdDist2<S> {
    #[inline(always)]
    fn dist2(self, a: &[f64], b: &[f64]) -> f64 {
        canonical_dist2::<S>(self.0, a, b)
    }
}

/// A computation over canonical distances of single rows (Elkan's bounded pass), run by
/// [`with_canonical_dist2`] inside the active ISA level with [`canonical_dist2`] at
/// that level.
pub(crate) trait CanonicalOp {
    /// What the computation returns.
    type Output;
    /// Runs with `dist`. Implementations should be `#[inline(always)]` so their loops
    /// are compiled at the dispatched level.
    fn run<D: Dist2>(self, dist: D) -> Self::Output;
}

struct Canonical<Op>(Op);

impl<Op: CanonicalOp> WithSimd for Canonical<Op> {
    type Output = Op::Output;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Op::Output {
        self.0.run(SimdDist2(simd))
    }
}

/// Runs `op` with [`canonical_dist2`] at the active ISA level (see
/// [`super::isa::dispatch`]).
#[inline]
pub(crate) fn with_canonical_dist2<Op: CanonicalOp>(op: Op) -> Op::Output {
    super::isa::dispatch(Canonical(op))
}

/// [`dist2`](crate::distance::dist2) bit for bit, vectorized along the row: vector `v`
/// of the row (features `v·L .. v·L + L`) belongs to partials `(v·L) % 8 ..`, so with
/// `G = 8 / L` accumulators, vector `v` goes to accumulator `v % G`; the zero-padded
/// tail adds exact zeros. The eight partials are then combined by the canonical tree.
#[inline(always)]
pub(crate) fn canonical_dist2<S: Simd>(simd: S, a: &[f64], b: &[f64]) -> f64 {
    canonical_dist2_many::<S, 1>(simd, a, [b])[0]
}

/// [`canonical_dist2`] from one row `a` to `M` rows `bs` at once, each bit for bit
/// [`crate::distance::dist2`]: the same operations per pair, interleaved so the `M`
/// accumulator chains overlap.
#[inline(always)]
pub(crate) fn canonical_dist2_many<S: Simd, const M: usize>(
    simd: S,
    a: &[f64],
    bs: [&[f64]; M],
) -> [f64; M] {
    // d <= 4: the tree with its zero partials dropped (adding +0.0 to a sum of squares
    // returns it unchanged), in scalar code: cheaper than one masked vector.
    if a.len() <= 4 {
        return bs.map(|b| {
            let sq = |t: usize| {
                let u = a[t] - b[t];
                u * u
            };
            match a.len() {
                1 => sq(0),
                2 => sq(0) + sq(1),
                3 => (sq(0) + sq(2)) + sq(1),
                4 => (sq(0) + sq(2)) + (sq(1) + sq(3)),
                _ => 0.0,
            }
        });
    }
    let l = S::F64_LANES;
    let g = PARTIALS / l;
    let (av, at) = S::as_simd_f64s(a);
    let bv: [(&[S::f64s], &[f64]); M] = bs.map(|b| S::as_simd_f64s(b));
    let mut acc = [[simd.splat_f64s(0.0); PARTIALS]; M];
    let full = av.len() / g * g;
    let mut v = 0;
    while v < full {
        for j in 0..g {
            for (c, (b, _)) in bv.iter().enumerate() {
                let diff = simd.sub_f64s(av[v + j], b[v + j]);
                acc[c][j] = simd.add_f64s(acc[c][j], simd.mul_f64s(diff, diff));
            }
        }
        v += g;
    }
    for j in 0..av.len() - full {
        for (c, (b, _)) in bv.iter().enumerate() {
            let diff = simd.sub_f64s(av[full + j], b[full + j]);
            acc[c][j] = simd.add_f64s(acc[c][j], simd.mul_f64s(diff, diff));
        }
    }
    if !at.is_empty() {
        let j = av.len() - full;
        let ta = simd.partial_load_f64s(at);
        for (c, (_, bt)) in bv.iter().enumerate() {
            let diff = simd.sub_f64s(ta, simd.partial_load_f64s(bt));
            acc[c][j] = simd.add_f64s(acc[c][j], simd.mul_f64s(diff, diff));
        }
    }
    std::array::from_fn(|c| {
        let lanes: &[f64] = bytemuck::cast_slice(&acc[c][..g]);
        let mut p = [0.0f64; PARTIALS];
        p.copy_from_slice(&lanes[..PARTIALS]);
        combine(&p)
    })
}
