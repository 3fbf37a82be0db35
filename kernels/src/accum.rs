//! What an assignment pass reads and writes besides the data: the current [`Centers`]
//! (with the derived copies the kernels read, `Prepared`) and the per-chunk
//! accumulators [`Partial`] (sums in cache-line aligned [`Lines`]).
//!
//! A leaf: it imports nothing from the crate. The layout of `Prepared` (centers
//! padded to [`PAD`], f32 tiles of [`TILE`]) is the contract between
//! [`Centers::set`] and the kernels that read it.

/// Centers are padded to a multiple of this in the transposed copy (the widest
/// vector: 8 f64 lanes).
pub const PAD: usize = 8;

/// Centers per panel of the transposed copy (`Prepared::ct`): the centers are
/// packed in panels of `PANEL` centers, each panel `d × width` contiguous (width
/// `PANEL`, or what is left of `kp` in the last panel), as a BLIS packed B panel.
/// One panel of 32 centers is four AVX-512 vectors, exactly one register tile's
/// width, so a tile reads one contiguous stream; the cache-blocked kernel runs each
/// panel against a block of rows (see `kernel::assign`). With `kp ≤ PANEL` the
/// packing is the plain `d × kp` transpose.
pub const PANEL: usize = 32;

/// Offset of center `j`, feature `t` in the panel-packed transposed centers of `kp`
/// padded centers and dimension `d` (see [`PANEL`]).
#[inline]
pub fn panel_offset(j: usize, t: usize, d: usize, kp: usize) -> usize {
    let p0 = j / PANEL * PANEL;
    let width = (kp - p0).min(PANEL);
    p0 * d + t * width + (j - p0)
}

/// Centers per register tile of the f32 assignment kernel (the tiled order of
/// `Prepared`'s f32 copy).
pub const TILE: usize = 8;

/// How many f64s from `p` to the next cache-line (64-byte) boundary, 0..=7 (`p` is
/// 8-byte aligned, as every f64 allocation is).
pub(crate) fn line_offset(p: *const f64) -> usize {
    (64 - p as usize % 64) % 64 / 8
}

/// The current centers, plus whatever derived copies kernels need (norms, padded or
/// transposed blocks), refreshed once per iteration by [`Centers::set`].
pub struct Centers {
    k: usize,
    d: usize,
    values: Vec<f64>,
    pub(crate) prepared: Prepared,
}

impl Centers {
    /// `k` centers of dimension `d`, all zero until [`Centers::set`].
    pub fn new(k: usize, d: usize) -> Self {
        Centers {
            k,
            d,
            values: vec![0.0; k * d],
            prepared: Prepared::default(),
        }
    }
    /// Number of centers.
    pub fn k(&self) -> usize {
        self.k
    }
    /// Dimension.
    pub fn d(&self) -> usize {
        self.d
    }
    /// All centers, row after row (`k × d`).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    /// Center `j` (`d` values).
    #[inline]
    pub fn row(&self, j: usize) -> &[f64] {
        &self.values[j * self.d..(j + 1) * self.d]
    }
    /// Replaces the centers and refreshes the derived copies (no allocation once
    /// the buffers have their size).
    pub fn set(&mut self, values: &[f64]) {
        self.values.copy_from_slice(values);
        self.prepared.prepare(&self.values, self.k, self.d);
        if !self.prepared.shift.is_empty() {
            self.prepared.prepare_f32(&self.values, self.k, self.d);
        }
    }
    /// Also keeps the f32 panel copy the screened kernel reads, relative to `shift`
    /// (`d` values: the screened layout's column means), from now on (every
    /// [`Centers::set`] refreshes it).
    pub fn set_screened(&mut self, shift: &[f64]) {
        assert_eq!(shift.len(), self.d, "set_screened: one shift per feature");
        self.prepared.shift = shift.to_vec();
        self.prepared.prepare_f32(&self.values, self.k, self.d);
    }
    /// Whether the f32 panel copy of the screened kernel is kept.
    pub fn is_screened(&self) -> bool {
        !self.prepared.shift.is_empty()
    }
}

/// Derived copies of the centers that the SIMD kernels read, refreshed once per
/// iteration (buffers keep their size: no allocation after the first).
#[derive(Default, Debug)]
pub(crate) struct Prepared {
    pub(crate) k: usize,
    /// `k` rounded up to [`PAD`].
    pub(crate) kp: usize,
    /// Transposed centers packed in panels of [`PANEL`] centers (see
    /// [`panel_offset`]; plain `d × kp` when `kp ≤ PANEL`), zero in the padding.
    pub(crate) ct: Vec<f64>,
    /// `‖c_j‖²`, `+∞` in the padding (so padding never wins).
    pub(crate) cnorm: Vec<f64>,
    /// Start value of the direct form's sums: 0, or `+∞` in the padding.
    pub(crate) zinit: Vec<f64>,
    /// Largest `‖c_j‖²`.
    pub(crate) cmax: f64,
    /// The centers rounded to f32 for the f32 layout, in tiles of [`TILE`] centers,
    /// feature-major inside a tile (center `j`, feature `t` at
    /// `((j / TILE)·d + t)·TILE + j % TILE`); NaN in the padding, which never
    /// compares less, so it never wins.
    pub(crate) c32: Vec<f32>,
    /// The centers rounded to f32 for the screened kernel, panel-packed with every
    /// panel [`PANEL`] wide (`k` padded to a multiple of [`PANEL`], zero in the
    /// padding): center `j`, feature `t` at `(j / PANEL)·PANEL·d + t·PANEL + j % PANEL`.
    /// Filled only when a screened layout asks for it ([`Centers::set_screened`]).
    pub(crate) ct32: Vec<f32>,
    /// `‖ĉ_j‖²` of the f32 centers (summed in f64, rounded once), `+∞` in the padding.
    pub(crate) cn32: Vec<f32>,
    /// The point the screened kernel's f32 copies are taken relative to (the data's
    /// column means: distances do not change, the norms that bound the rounding
    /// shrink); empty when the screen is off.
    pub(crate) shift: Vec<f64>,
    /// Largest `‖c_j − shift‖` (f64).
    pub(crate) cn32max: f64,
}

impl Prepared {
    fn prepare(&mut self, centers: &[f64], k: usize, d: usize) {
        let kp = k.div_ceil(PAD) * PAD;
        self.k = k;
        self.kp = kp;
        self.ct.resize(d * kp, 0.0);
        self.cnorm.resize(kp, f64::INFINITY);
        self.zinit.resize(kp, f64::INFINITY);
        self.cmax = 0.0;
        tile_centers(centers, k, d, &mut self.c32);
        for j in 0..k {
            let c = &centers[j * d..(j + 1) * d];
            let mut nn = 0.0;
            for (t, v) in c.iter().enumerate() {
                self.ct[panel_offset(j, t, d, kp)] = *v;
                nn += v * v;
            }
            self.cnorm[j] = nn;
            self.zinit[j] = 0.0;
            self.cmax = self.cmax.max(nn);
        }
    }
}

impl Prepared {
    /// The f32 panel copy and norms of the screened kernel (`ct32`, `cn32`).
    fn prepare_f32(&mut self, centers: &[f64], k: usize, d: usize) {
        let kp = k.div_ceil(PANEL).max(1) * PANEL;
        self.ct32.clear();
        self.ct32.resize(kp * d, 0.0);
        self.cn32.clear();
        self.cn32.resize(kp, f32::INFINITY);
        self.cn32max = 0.0;
        for j in 0..k {
            let base = j / PANEL * PANEL * d + j % PANEL;
            let (mut nn, mut exact) = (0.0f64, 0.0f64);
            for t in 0..d {
                let c = centers[j * d + t] - self.shift[t];
                let v = c as f32;
                self.ct32[base + t * PANEL] = v;
                nn += v as f64 * v as f64;
                exact += c * c;
            }
            self.cn32[j] = nn as f32;
            self.cn32max = self.cn32max.max(exact.sqrt());
        }
    }
}

/// Rounds `k × d` row-major centers to f32 into `out`, in the tiled order of
/// `Prepared::c32` (padding NaN). No allocation once `out` has its size.
fn tile_centers(centers: &[f64], k: usize, d: usize, out: &mut Vec<f32>) {
    out.clear();
    out.resize(k.div_ceil(TILE) * TILE * d, f32::NAN);
    for j in 0..k {
        for t in 0..d {
            out[((j / TILE) * d + t) * TILE + j % TILE] = centers[j * d + t] as f32;
        }
    }
}

/// A zeroed f64 buffer that starts on a cache-line boundary (derefs to `[f64]`).
///
/// The assignment kernels add each row into its cluster's `d` sums with full-width
/// vector loads and stores; from an ordinary allocation (16-byte aligned) every
/// 64-byte access would straddle two cache lines. The buffer is an ordinary
/// `Vec<f64>` with 7 spare elements and the values at the first 64-byte boundary.
/// Not an over-aligned allocation (`posix_memalign` under Rust's allocator): it
/// fragmented glibc's heap and raised the peak memory of the largest runs by 4–5 MB.
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
        let offset = line_offset(buf.as_ptr());
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
    /// `Σ w_i · dist2(x_i, c_{label_i})` of the rows added, against the centers of
    /// the pass, when the pass was asked for it (0 otherwise).
    pub inertia: f64,
    /// Per feature, `Σ (x_t − mean_t)²` of the rows seen, when the pass was asked
    /// for it (the tolerance's variance, folded into a fit's first pass); empty
    /// otherwise.
    pub dev: Vec<f64>,
}

impl Partial {
    /// Zeroed accumulators for `k` clusters of dimension `d`.
    pub fn new(k: usize, d: usize) -> Self {
        Partial {
            sums: Lines::zeros(k * d),
            counts: vec![0.0; k],
            changed: 0,
            inertia: 0.0,
            dev: Vec::new(),
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
    /// Zeroes the sums, counts and the changed count.
    pub fn clear(&mut self) {
        self.sums.fill(0.0);
        self.counts.fill(0.0);
        self.changed = 0;
        self.inertia = 0.0;
        self.dev.fill(0.0);
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
    /// `self += other`, elementwise (the inertia and deviations too).
    pub fn merge(&mut self, other: &Partial) {
        for (a, b) in self.sums.iter_mut().zip(other.sums.iter()) {
            *a += b;
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.changed += other.changed;
        self.inertia += other.inertia;
        for (a, b) in self.dev.iter_mut().zip(&other.dev) {
            *a += b;
        }
    }
}
