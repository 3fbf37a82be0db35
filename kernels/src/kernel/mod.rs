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
//! * [`screen`]: the f32 screen of the screened kernel (f64-exact labels).
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
pub mod screen;
pub mod seed;
pub mod sums;
pub mod tile;

use crate::accum::{Centers, Partial, Prepared};

/// Which kernel the flat layout runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KernelChoice {
    /// The canonical scalar loop.
    Scalar,
    /// The portable SIMD kernel at the best ISA level detected, its loop order
    /// chosen per shape (as `Auto`).
    Simd,
    /// The SIMD kernel in the register-tiled order: every tile of rows against all
    /// centers (best while the centers stay in L1/L2).
    Tiled,
    /// The SIMD kernel in the cache-blocked order: a block of rows against one panel
    /// of centers at a time (large `k·d`), see [`Order::Blocked`].
    Blocked,
    /// f64-exact labels at f32 speed: every row screened by an f32 expanded-form
    /// kernel ([`screen`]) under a rigorous rounding bound, the rows it cannot settle
    /// re-checked with the canonical f64 distance; sums in f64. The same labels as
    /// the f64 kernels bit for bit, for `n × d × 4` more bytes (an f32 copy of the
    /// rows). Flat f64 layout; elsewhere it runs as `Auto`.
    Screened,
    /// Let the library choose per shape: SIMD, tiled or blocked by [`Order::for_shape`].
    #[default]
    Auto,
}

/// Loop order of the f64 SIMD assignment (see `assign`): the labels are the same
/// bit for bit in both; only the memory traffic differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Every register tile of rows runs against all `k` centers.
    Tiled,
    /// Rows in blocks of `assign::BLOCK_TILES` tiles; each panel of
    /// [`crate::accum::PANEL`] centers runs against the whole block before the next.
    Blocked,
}

/// Centers' size (`k·d·8` bytes) from which `Auto` takes the blocked order: half
/// of a 1 MiB L2. Measured on Zen 4 (32 KiB L1d, 1 MiB L2): at k·d·8 ≤ 256 KiB the
/// two orders are within noise; from 512 KiB on (k = 512, d = 128) the tiled order
/// re-streams the centers from L3 per tile and the blocked one is faster (see
/// BENCHMARKS.md, "Large k·d").
pub const BLOCKED_MIN_BYTES: usize = 512 * 1024;

impl Order {
    /// The loop order `choice` runs at `k` centers of dimension `d`.
    pub fn for_shape(choice: KernelChoice, k: usize, d: usize) -> Order {
        match choice {
            KernelChoice::Tiled => Order::Tiled,
            KernelChoice::Blocked => Order::Blocked,
            _ if k > crate::accum::PANEL && k * d * 8 >= BLOCKED_MIN_BYTES => Order::Blocked,
            _ => Order::Tiled,
        }
    }
    /// `"tiled"` or `"blocked"`.
    pub fn name(self) -> &'static str {
        match self {
            Order::Tiled => "tiled",
            Order::Blocked => "blocked",
        }
    }
}

impl std::str::FromStr for KernelChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "scalar" => Ok(KernelChoice::Scalar),
            "simd" => Ok(KernelChoice::Simd),
            "tiled" => Ok(KernelChoice::Tiled),
            "blocked" => Ok(KernelChoice::Blocked),
            "screened" => Ok(KernelChoice::Screened),
            "auto" => Ok(KernelChoice::Auto),
            _ => Err(format!(
                "unknown kernel '{s}' (expected scalar, simd, tiled, blocked, screened or auto)"
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
    /// The loop order.
    pub(crate) order: Order,
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
        _ => isa::dispatch(Assign {
            x,
            d,
            centers: centers.values(),
            prep: &centers.prepared,
            labels,
            part,
            accumulate,
            xmax,
            second: None,
            order: Order::for_shape(choice, centers.k(), d),
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
        _ => {
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
                order: Order::for_shape(choice, centers.k(), d),
            })
        }
    }
}

/// Name of the kernel `choice` resolves to on this machine.
pub fn resolved_name(choice: KernelChoice) -> &'static str {
    match choice {
        KernelChoice::Scalar => "scalar",
        _ => "simd",
    }
}

/// The loop order of the assignment kernel `choice` runs at `k` centers of dimension
/// `d`, in f32 (`--precision f32`) or f64: `"scalar"`, `"tiled"`, `"blocked"` or
/// `"screened"`.
pub fn order_name(choice: KernelChoice, f32: bool, k: usize, d: usize) -> &'static str {
    match choice {
        KernelChoice::Scalar => "scalar",
        _ if f32 => "tiled",
        KernelChoice::Screened => "screened",
        _ => Order::for_shape(choice, k, d).name(),
    }
}

/// Name of the SIMD instruction set the portable kernels dispatch to.
pub fn isa_name() -> &'static str {
    isa::active().name()
}
