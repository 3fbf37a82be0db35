//! The abstraction Lloyd, seeding and the metrics are written against: a set of `n`
//! points of dimension `d` with a chunk-level assignment step. Two implementations:
//! [`Flat`] (one contiguous row-major buffer, fast kernels) and
//! [`crate::data::aos::Aos`] (the seed's `Vec<DataPoint>` and naive loops).
//!
//! Every layout must return *exactly* the canonical labels: the index of the center
//! with the smallest [`dist2`] (ties to the lowest index). Fast kernels may compute
//! distances another way but must re-check near-ties with [`dist2`] (see
//! [`crate::kernel`]). Accumulation into [`Partial`] adds points in row order, so sums
//! are bit-identical across layouts and kernels.

use crate::data::Matrix;
use crate::kernel::{self, KernelChoice};
use std::ops::Range;

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

/// [`dist2`] as a [`kernel::simd::Dist2`] (the scalar kernel's distance).
#[derive(Clone, Copy)]
struct ScalarDist2;

impl kernel::simd::Dist2 for ScalarDist2 {
    #[inline]
    fn dist2(self, a: &[f64], b: &[f64]) -> f64 {
        dist2(a, b)
    }
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

/// The canonical k-means++ update over `rows` of `x` (see
/// [`Layout::update_closest`]): plain loops over [`dist2`].
pub fn canonical_update_closest<L: Layout + ?Sized>(
    x: &L,
    rows: Range<usize>,
    c: &[f64],
    closest: &mut [f64],
    init: bool,
) -> f64 {
    let mut s = 0.0;
    let mut buf = Vec::new();
    for (i, v) in rows.zip(closest.iter_mut()) {
        let dd = dist2(x.row(i, &mut buf), c);
        if init || dd < *v {
            *v = dd;
        }
        s += *v;
    }
    s
}

/// The canonical candidate potentials over `rows` of `x` (see [`Layout::potentials`]).
pub fn canonical_potentials<L: Layout + ?Sized>(
    x: &L,
    rows: Range<usize>,
    cands: &[f64],
    closest: &[f64],
    weights: Option<&[f64]>,
    pots: &mut [f64],
    mut closer: Option<&mut [u8]>,
) {
    let d = x.d();
    pots.fill(0.0);
    let mut buf = Vec::new();
    for (r, (i, v)) in rows.zip(closest).enumerate() {
        let row = x.row(i, &mut buf);
        let mut bits = 0u8;
        for (t, (p, c)) in pots.iter_mut().zip(cands.chunks_exact(d)).enumerate() {
            let dd = dist2(row, c);
            bits |= ((dd < *v) as u8) << (t % 8);
            let m = dd.min(*v);
            *p += match weights {
                Some(w) => w[r] * m,
                None => m,
            };
        }
        if let Some(out) = closer.as_deref_mut() {
            out[r] = bits;
        }
    }
}

/// The current centers, plus whatever derived copies kernels need (norms, padded or
/// transposed blocks), refreshed once per iteration by [`Centers::set`].
pub struct Centers {
    k: usize,
    d: usize,
    values: Vec<f64>,
    pub(crate) prepared: kernel::Prepared,
}

impl Centers {
    pub fn new(k: usize, d: usize) -> Self {
        Centers {
            k,
            d,
            values: vec![0.0; k * d],
            prepared: kernel::Prepared::default(),
        }
    }
    pub fn k(&self) -> usize {
        self.k
    }
    pub fn d(&self) -> usize {
        self.d
    }
    /// All centers, row after row (`k × d`).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    #[inline]
    pub fn row(&self, j: usize) -> &[f64] {
        &self.values[j * self.d..(j + 1) * self.d]
    }
    /// Replaces the centers and refreshes the derived copies (no allocation once
    /// the buffers have their size).
    pub fn set(&mut self, values: &[f64]) {
        self.values.copy_from_slice(values);
        self.prepared.prepare(&self.values, self.k, self.d);
    }
}

/// A zeroed f64 buffer that starts on a cache-line boundary (derefs to `[f64]`).
///
/// The assignment kernels add each row into its cluster's `d` sums with full-width
/// vector loads and stores. From an ordinary allocation (16-byte aligned) every
/// 64-byte access straddles two cache lines; measured with `examples/assign_probe`
/// (n = 262,144, d = 32, k = 8, one thread, AVX-512) the pass then took ~15 % longer.
/// The buffer is an ordinary `Vec<f64>` with 7 spare elements and the values at the
/// first 64-byte boundary. An over-aligned allocation (a `Vec` of 64-byte-aligned
/// lines, `posix_memalign` under Rust's allocator) was ~6 % faster still on that pass
/// for reasons not pinned down, but it fragmented glibc's heap: the default run of the
/// heaviest cell peaked 4–5 MB higher (90–91 MB, past #3's goal of 89.9 MB).
#[derive(Debug)]
pub struct Lines {
    buf: Vec<f64>,
    offset: usize,
    len: usize,
}

impl Lines {
    /// `len` zeros.
    pub fn zeros(len: usize) -> Self {
        let buf = vec![0.0; len + 7];
        let offset = crate::data::line_offset(buf.as_ptr());
        Lines { buf, offset, len }
    }
}

impl Clone for Lines {
    /// A fresh buffer (aligned for its own address) holding the same values.
    fn clone(&self) -> Self {
        let mut c = Lines::zeros(self.len);
        c.copy_from_slice(self);
        c
    }
}

impl std::ops::Deref for Lines {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.buf[self.offset..self.offset + self.len]
    }
}

impl std::ops::DerefMut for Lines {
    fn deref_mut(&mut self) -> &mut [f64] {
        &mut self.buf[self.offset..self.offset + self.len]
    }
}

/// Per-chunk accumulators of one assignment pass.
#[derive(Clone, Debug)]
pub struct Partial {
    /// Per-cluster sums of the assigned points, `k × d` (cache-line aligned).
    pub sums: Lines,
    /// Per-cluster point counts (as f64, the weight total, like scikit-learn).
    pub counts: Vec<f64>,
    /// Points whose label changed in this pass.
    pub changed: usize,
}

impl Partial {
    pub fn new(k: usize, d: usize) -> Self {
        Partial {
            sums: Lines::zeros(k * d),
            counts: vec![0.0; k],
            changed: 0,
        }
    }
    /// Adds point `x` with weight `w` to cluster `j` (`w = 1` adds exactly as [`Partial::add`]).
    #[inline]
    pub fn add_weighted(&mut self, j: usize, x: &[f64], w: f64) {
        let d = x.len();
        for (s, v) in self.sums[j * d..(j + 1) * d].iter_mut().zip(x) {
            *s += v * w;
        }
        self.counts[j] += w;
    }
    pub fn clear(&mut self) {
        self.sums.fill(0.0);
        self.counts.fill(0.0);
        self.changed = 0;
    }
    /// Adds point `x` to cluster `j`. (Inlined into the SIMD kernels, where it is
    /// vectorized at their instruction set; elementwise adds round the same at any
    /// width, so sums stay bit-identical.)
    #[inline(always)]
    pub fn add(&mut self, j: usize, x: &[f64]) {
        let d = x.len();
        for (s, v) in self.sums[j * d..(j + 1) * d].iter_mut().zip(x) {
            *s += v;
        }
        self.counts[j] += 1.0;
    }
    /// `self += other`, elementwise.
    pub fn merge(&mut self, other: &Partial) {
        for (a, b) in self.sums.iter_mut().zip(other.sums.iter()) {
            *a += b;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.changed += other.changed;
    }
}

/// A set of points the algorithms can run on.
pub trait Layout: Sync {
    /// Number of points.
    fn n(&self) -> usize;
    /// Dimension.
    fn d(&self) -> usize;
    /// Point `i` in f64: the layout's own storage when it holds f64 (`buf` untouched),
    /// otherwise converted into `buf` (resized to `d`). Passing the same `buf` for every
    /// row of a loop allocates at most once.
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f64>) -> &'a [f64];
    /// Assigns rows `rows` to their nearest center (writing `labels`, which holds the
    /// previous labels on entry) and, when `accumulate`, adds each point to `part`.
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    );
    /// `closest[i] = min(closest[i], dist2(row(i), c))` for `rows`, or plain
    /// assignment when `init`; returns the sum of the new values in row order.
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        canonical_update_closest(self, rows, c, closest, init)
    }
    /// For each candidate `t` of `cands` (`m × d`): `pots[t] = Σ w_i · min(closest[i],
    /// dist2(row(i), cand_t))` over `rows` (`w_i` = 1 without `weights`, which holds
    /// the weights of `rows`), summed in row order. When `closer` is given (one byte per
    /// row, `m ≤ 8`), bit `t` of `closer[r]` is set when `dist2(row, cand_t) <
    /// closest[r]`: exactly the rows whose `closest` [`Layout::update_closest`] would
    /// change for candidate `t`, so the seeding can update only those rows instead of
    /// a second pass over all the data.
    fn potentials(
        &self,
        rows: Range<usize>,
        cands: &[f64],
        closest: &[f64],
        weights: Option<&[f64]>,
        pots: &mut [f64],
        closer: Option<&mut [u8]>,
    ) {
        canonical_potentials(self, rows, cands, closest, weights, pots, closer)
    }
    /// Hamerly's full search over gathered rows `x` (row-major, `d` columns, copies of
    /// some rows of this layout): the canonical label of each row, and a lower bound on
    /// its squared distance to every other center. The default is the plain loop.
    fn full_search(&self, x: &[f64], centers: &Centers, labels: &mut [u32], second: &mut [f64]) {
        kernel::nearest_block(
            KernelChoice::Scalar,
            x,
            self.d(),
            centers,
            labels,
            second,
            0.0,
        )
    }
    /// Short name for reports (`aos`, `flat`).
    fn name(&self) -> &'static str;
    /// Whether [`Layout::assign`] gives the canonical [`dist2`] argmin, which the
    /// bounds of Hamerly and Elkan assume (false for the f32 layout, which then runs
    /// Lloyd whatever the algorithm).
    fn canonical_f64(&self) -> bool {
        true
    }
    /// Whether greedy k-means++ may keep, per row, which candidates its potentials pass
    /// found closer, and recompute only those rows for the chosen one
    /// ([`crate::init::keeps_closer_rows`], [`Layout::update_closest_where`]) instead
    /// of a second pass over the data per step. The flat layouts do; `aos`,
    /// which stands for the seed's loops, keeps two passes per step (as `--warm-start
    /// auto` is off for it). The centers are the same either way.
    fn seeding_keeps_closer_rows(&self) -> bool {
        false
    }
    /// [`Layout::update_closest`] (not `init`) restricted to the rows of `rows` whose
    /// `closer` byte has `bit` set, which must be exactly the rows the candidate `c` is
    /// closer to (from [`Layout::potentials`]): the same result, computing only their
    /// distances where the layout can. The default updates runs of 16-row groups that
    /// hold such a row (the f32 layout's blocks) with `update_closest`.
    fn update_closest_where(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        closer: &[u8],
        bit: u8,
    ) {
        let len = closest.len();
        let mut run: Option<usize> = None;
        for g in (0..len).step_by(16).chain(std::iter::once(len)) {
            let hit = g < len && closer[g..(g + 16).min(len)].iter().any(|&b| b & bit != 0);
            match (hit, run) {
                (true, None) => run = Some(g),
                (false, Some(s)) => {
                    let at = rows.start;
                    self.update_closest(at + s..at + g, c, &mut closest[s..g], false);
                    run = None;
                }
                _ => {}
            }
        }
    }
}

impl<T: Layout + ?Sized> Layout for &T {
    fn n(&self) -> usize {
        (**self).n()
    }
    fn d(&self) -> usize {
        (**self).d()
    }
    #[inline]
    fn row<'a>(&'a self, i: usize, buf: &'a mut Vec<f64>) -> &'a [f64] {
        (**self).row(i, buf)
    }
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        (**self).assign(rows, centers, labels, part, accumulate)
    }
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        (**self).update_closest(rows, c, closest, init)
    }
    fn potentials(
        &self,
        rows: Range<usize>,
        cands: &[f64],
        closest: &[f64],
        weights: Option<&[f64]>,
        pots: &mut [f64],
        closer: Option<&mut [u8]>,
    ) {
        (**self).potentials(rows, cands, closest, weights, pots, closer)
    }
    fn full_search(&self, x: &[f64], centers: &Centers, labels: &mut [u32], second: &mut [f64]) {
        (**self).full_search(x, centers, labels, second)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn canonical_f64(&self) -> bool {
        (**self).canonical_f64()
    }
    fn seeding_keeps_closer_rows(&self) -> bool {
        (**self).seeding_keeps_closer_rows()
    }
    fn update_closest_where(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        closer: &[u8],
        bit: u8,
    ) {
        (**self).update_closest_where(rows, c, closest, closer, bit)
    }
}

/// The flat layout: a borrowed contiguous row-major matrix, with the kernel chosen
/// by [`KernelChoice`].
pub struct Flat<'a> {
    x: &'a [f64],
    n: usize,
    d: usize,
    kernel: KernelChoice,
    /// Largest squared row norm (bounds the SIMD kernel's rounding error).
    xmax: f64,
}

impl<'a> Flat<'a> {
    /// Wraps a matrix (one pass over it to find the largest row norm).
    pub fn new(m: &'a Matrix, kernel: KernelChoice) -> Self {
        Flat::from_slice(m.as_slice(), m.n(), m.d(), kernel)
    }

    /// Wraps `n × d` row-major values in place (one pass over them to find the
    /// largest row norm). Panics if `x.len() != n·d`.
    pub fn from_slice(x: &'a [f64], n: usize, d: usize, kernel: KernelChoice) -> Self {
        assert_eq!(x.len(), n * d, "Flat: shape does not match the values");
        let xmax = x
            .chunks_exact(d.max(1))
            .map(|r| r.iter().map(|v| v * v).sum::<f64>())
            .fold(0.0, f64::max);
        Flat {
            x,
            n,
            d,
            kernel,
            xmax,
        }
    }

    fn seed_kernel(&self, rows: Range<usize>, cands: &[f64], mode: kernel::simd::SeedMode) -> f64 {
        let d = self.d;
        let x = &self.x[rows.start * d..rows.end * d];
        kernel::isa::dispatch(kernel::simd::Seed { x, d, cands, mode })
    }
}

impl Layout for Flat<'_> {
    fn n(&self) -> usize {
        self.n
    }
    fn d(&self) -> usize {
        self.d
    }
    #[inline]
    fn row<'a>(&'a self, i: usize, _buf: &'a mut Vec<f64>) -> &'a [f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        let d = self.d;
        let x = &self.x[rows.start * d..rows.end * d];
        kernel::assign_block(
            self.kernel,
            x,
            d,
            centers,
            labels,
            part,
            accumulate,
            self.xmax,
        );
    }
    fn update_closest(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        init: bool,
    ) -> f64 {
        if self.kernel == KernelChoice::Scalar {
            return canonical_update_closest(self, rows, c, closest, init);
        }
        self.seed_kernel(rows, c, kernel::simd::SeedMode::Update { closest, init })
    }
    fn potentials(
        &self,
        rows: Range<usize>,
        cands: &[f64],
        closest: &[f64],
        weights: Option<&[f64]>,
        pots: &mut [f64],
        closer: Option<&mut [u8]>,
    ) {
        if self.kernel == KernelChoice::Scalar {
            return canonical_potentials(self, rows, cands, closest, weights, pots, closer);
        }
        self.seed_kernel(
            rows,
            cands,
            kernel::simd::SeedMode::Potentials {
                closest,
                weights,
                pots,
                closer,
            },
        );
    }
    fn seeding_keeps_closer_rows(&self) -> bool {
        true
    }
    fn update_closest_where(
        &self,
        rows: Range<usize>,
        c: &[f64],
        closest: &mut [f64],
        closer: &[u8],
        bit: u8,
    ) {
        // Row by row: one canonical distance per marked row (one ISA dispatch per call).
        struct Op<'a> {
            x: &'a [f64],
            d: usize,
            c: &'a [f64],
            closest: &'a mut [f64],
            closer: &'a [u8],
            bit: u8,
        }
        impl kernel::simd::CanonicalOp for Op<'_> {
            type Output = ();
            #[inline(always)]
            fn run<D: kernel::simd::Dist2>(self, dist: D) {
                for (r, v) in self.closest.iter_mut().enumerate() {
                    if self.closer[r] & self.bit != 0 {
                        let dd = dist.dist2(&self.x[r * self.d..(r + 1) * self.d], self.c);
                        if dd < *v {
                            *v = dd;
                        }
                    }
                }
            }
        }
        let d = self.d;
        let x = &self.x[rows.start * d..rows.end * d];
        let op = Op {
            x,
            d,
            c,
            closest,
            closer,
            bit,
        };
        if self.kernel == KernelChoice::Scalar {
            kernel::simd::CanonicalOp::run(op, ScalarDist2);
        } else {
            kernel::simd::with_canonical_dist2(op);
        }
    }
    fn full_search(&self, x: &[f64], centers: &Centers, labels: &mut [u32], second: &mut [f64]) {
        kernel::nearest_block(self.kernel, x, self.d, centers, labels, second, self.xmax)
    }
    fn name(&self) -> &'static str {
        "flat"
    }
}
