//! Assignment and seeding kernels of the flat layouts, one concern per file (the
//! arrangement of memchr's `arch/` and hashbrown's `control/group/`):
//!
//! * [`isa`]: detection of the instruction set and dispatch to it.
//! * [`scalar`]: the canonical loop over a contiguous block (the reference every other
//!   kernel is tested against).
//! * [`assign`]: the portable SIMD assignment (pulp), register-tiled: the tile loops;
//!   [`tile`] the tiles' scores, [`argmin`] the per-row argmin and its rounding
//!   check, [`net`] the k ≤ 8 argmin network, [`sums`] the accumulation of the sums.
//! * [`seed`]: the k-means++ distance updates and potentials.
//! * [`canonical`]: the canonical distance vectorized along a row, bit for bit
//!   [`crate::distance::dist2`].
//! * [`f32`](mod@f32): the kernels of the f32 layout (`--precision f32`).
//! * [`prefetch`]: the software prefetch of the streaming kernels.
//!
//! Every kernel returns the canonical labels (argmin of [`crate::distance::dist2`],
//! lowest index on ties) and accumulates points in row order.
//!
//! Dependencies run one way: `assign` → `net`, `tile` → `argmin` → `sums`…; the
//! shared op `Assign` is defined here, below all of them.

pub mod argmin;
pub mod assign;
pub mod canonical;
pub mod f32;
pub mod isa;
pub mod net;
pub mod prefetch;
pub mod scalar;
pub mod seed;
pub mod sums;
pub mod tile;

use crate::accum::{Centers, Partial, Prepared};

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

/// The SIMD assignment of one block of rows (a [`pulp::WithSimd`] op, run by
/// [`isa::dispatch`]; the kernel itself is in [`assign`]).
pub(crate) struct Assign<'a> {
    /// The rows, row-major, `d` columns.
    pub(crate) x: &'a [f64],
    /// Dimension.
    pub(crate) d: usize,
    /// The centers, `k × d` row-major (for the canonical re-check).
    pub(crate) centers: &'a [f64],
    /// The centers' derived copies.
    pub(crate) prep: &'a Prepared,
    /// One label per row: the previous labels on entry, the new ones on return.
    pub(crate) labels: &'a mut [u32],
    /// Receives the changed count and, when `accumulate`, the sums.
    pub(crate) part: &'a mut Partial,
    /// Whether to add each row into its cluster's sums.
    pub(crate) accumulate: bool,
    /// Largest squared row norm of the data set (for the expanded form's margin).
    pub(crate) xmax: f64,
    /// When given, receives per row a lower bound on the squared distance from the
    /// row to every center other than its label (Hamerly's lower bound): the
    /// second-best canonical distance in the direct form; in the expanded form
    /// `‖x‖² + second score − margin` (or `+ best score − margin` after a re-check).
    pub(crate) second: Option<&'a mut [f64]>,
}

impl Assign<'_> {
    /// The same assignment for the rows from `first` on.
    pub(crate) fn rows_from(self, first: usize) -> Self {
        let Assign {
            x,
            d,
            labels,
            second,
            ..
        } = self;
        Assign {
            x: &x[first * d..],
            labels: &mut labels[first..],
            second: second.map(|s| &mut s[first..]),
            ..self
        }
    }
}

/// What [`assign_block`] and [`nearest_block`] work on: rows `x` (row-major, `d`
/// columns) against `centers`, with `xmax` bounding the squared row norms (for the
/// SIMD kernel's near-tie check).
#[derive(Clone, Copy)]
pub struct Block<'a> {
    /// Which kernel runs.
    pub choice: KernelChoice,
    /// The rows, row-major.
    pub x: &'a [f64],
    /// Dimension.
    pub d: usize,
    /// The current centers.
    pub centers: &'a Centers,
    /// Largest squared row norm (0 when unknown: then only for the scalar kernel).
    pub xmax: f64,
}

/// Assigns the rows of `b` to their nearest centers (`labels` holds the previous
/// labels on entry) and, when `accumulate`, adds each row into `part` in row order.
pub fn assign_block(b: Block<'_>, labels: &mut [u32], part: &mut Partial, accumulate: bool) {
    let Block {
        choice,
        x,
        d,
        centers,
        xmax,
    } = b;
    match choice {
        KernelChoice::Scalar => scalar::assign(x, d, centers, labels, part, accumulate),
        KernelChoice::Simd | KernelChoice::Auto => isa::dispatch(Assign {
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

/// The canonical labels of the rows of `b` (written unconditionally) and, per row, a
/// lower bound on the squared distance to every other center (see
/// `Assign::second`); the full search of Hamerly's algorithm.
pub fn nearest_block(b: Block<'_>, labels: &mut [u32], second: &mut [f64]) {
    let Block {
        choice,
        x,
        d,
        centers,
        xmax,
    } = b;
    match choice {
        KernelChoice::Scalar => {
            for ((row, l), s) in x
                .chunks_exact(d)
                .zip(labels.iter_mut())
                .zip(second.iter_mut())
            {
                let (b, _, d2) = crate::distance::nearest_two(row, centers.values(), centers.k());
                *l = b as u32;
                *s = d2;
            }
        }
        KernelChoice::Simd | KernelChoice::Auto => {
            let mut part = Partial::new(0, 0);
            isa::dispatch(Assign {
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
