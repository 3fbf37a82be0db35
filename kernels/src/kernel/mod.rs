//! Assignment kernels for the flat layout.
//!
//! * [`scalar`]: the canonical loop over a contiguous block (the reference every other
//!   kernel is tested against).
//! * [`simd`]: the portable SIMD kernels (pulp), register-tiled, at the level chosen
//!   by [`isa`] (AVX-512, AVX2+FMA, NEON, wasm simd128, or pulp's scalar backend).
//!
//! Every kernel returns the canonical labels (argmin of [`crate::layout::dist2`],
//! lowest index on ties) and accumulates points in row order.

pub mod isa;
pub mod prefetch;
pub mod scalar;
pub mod simd;

use crate::layout::{Centers, Partial};

/// Which kernel the flat layout runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KernelChoice {
    /// The canonical scalar loop.
    Scalar,
    /// The portable SIMD kernel at the best ISA level detected.
    Simd,
    /// Let the library choose per shape (currently: SIMD when available).
    #[default]
    Auto,
}

impl std::str::FromStr for KernelChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "scalar" => Ok(KernelChoice::Scalar),
            "simd" => Ok(KernelChoice::Simd),
            "auto" => Ok(KernelChoice::Auto),
            _ => Err(format!(
                "unknown kernel '{s}' (expected scalar, simd or auto)"
            )),
        }
    }
}

/// Derived copies of the centers that the SIMD kernel reads, refreshed once per
/// iteration (buffers keep their size: no allocation after the first).
#[derive(Default, Debug)]
pub struct Prepared {
    pub(crate) k: usize,
    /// `k` rounded up to [`simd::PAD`].
    pub(crate) kp: usize,
    /// Transposed centers, `d × kp`, zero in the padding.
    pub(crate) ct: Vec<f64>,
    /// `‖c_j‖²`, `+∞` in the padding (so padding never wins).
    pub(crate) cnorm: Vec<f64>,
    /// Start value of the direct form's sums: 0, or `+∞` in the padding.
    pub(crate) zinit: Vec<f64>,
    /// Largest `‖c_j‖²`.
    pub(crate) cmax: f64,
    /// The centers rounded to f32 for [`crate::single::Flat32`], in tiles of
    /// [`crate::single::TILE`] centers, feature-major inside a tile (center `j`,
    /// feature `t` at `((j / TILE)·d + t)·TILE + j % TILE`); NaN in the padding, which
    /// never compares less, so it never wins.
    pub(crate) c32: Vec<f32>,
}

impl Prepared {
    pub(crate) fn prepare(&mut self, centers: &[f64], k: usize, d: usize) {
        let kp = k.div_ceil(simd::PAD) * simd::PAD;
        self.k = k;
        self.kp = kp;
        self.ct.resize(d * kp, 0.0);
        self.cnorm.resize(kp, f64::INFINITY);
        self.zinit.resize(kp, f64::INFINITY);
        self.cmax = 0.0;
        crate::single::tile_centers(centers, k, d, &mut self.c32);
        for j in 0..k {
            let c = &centers[j * d..(j + 1) * d];
            let mut nn = 0.0;
            for (t, v) in c.iter().enumerate() {
                self.ct[t * kp + j] = *v;
                nn += v * v;
            }
            self.cnorm[j] = nn;
            self.zinit[j] = 0.0;
            self.cmax = self.cmax.max(nn);
        }
    }
}

/// Assigns the rows of `x` (row-major, `d` columns) to their nearest centers.
/// `xmax` bounds the squared row norms (for the SIMD kernel's near-tie check).
#[allow(clippy::too_many_arguments)]
pub fn assign_block(
    choice: KernelChoice,
    x: &[f64],
    d: usize,
    centers: &Centers,
    labels: &mut [u32],
    part: &mut Partial,
    accumulate: bool,
    xmax: f64,
) {
    match choice {
        KernelChoice::Scalar => scalar::assign(x, d, centers, labels, part, accumulate),
        KernelChoice::Simd | KernelChoice::Auto => isa::dispatch(simd::Assign {
            x,
            d,
            centers: centers.values(),
            prep: &centers.prepared,
            labels,
            part,
            accumulate,
            xmax,
            second: None,
        }),
    }
}

/// The canonical labels of the rows of `x` (written unconditionally) and, per row, a
/// lower bound on the squared distance to every other center (see
/// [`simd::Assign::second`]); the full search of Hamerly's algorithm.
pub fn nearest_block(
    choice: KernelChoice,
    x: &[f64],
    d: usize,
    centers: &Centers,
    labels: &mut [u32],
    second: &mut [f64],
    xmax: f64,
) {
    match choice {
        KernelChoice::Scalar => {
            for ((row, l), s) in x
                .chunks_exact(d)
                .zip(labels.iter_mut())
                .zip(second.iter_mut())
            {
                let (b, _, d2) = crate::layout::nearest_two(row, centers.values(), centers.k());
                *l = b as u32;
                *s = d2;
            }
        }
        KernelChoice::Simd | KernelChoice::Auto => {
            let mut part = Partial::new(0, 0);
            isa::dispatch(simd::Assign {
                x,
                d,
                centers: centers.values(),
                prep: &centers.prepared,
                labels,
                part: &mut part,
                accumulate: false,
                xmax,
                second: Some(second),
            })
        }
    }
}

/// Name of the kernel `choice` resolves to on this machine.
pub fn resolved_name(choice: KernelChoice) -> &'static str {
    match choice {
        KernelChoice::Scalar => "scalar",
        KernelChoice::Simd | KernelChoice::Auto => "simd",
    }
}

/// Name of the SIMD instruction set the portable kernels dispatch to.
pub fn isa_name() -> &'static str {
    isa::active().name()
}
