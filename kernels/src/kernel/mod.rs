//! Assignment kernels for the flat layout.
//!
//! * [`scalar`]: the canonical loop over a contiguous block (the reference every other
//!   kernel is tested against).
//!
//! Every kernel returns the canonical labels (argmin of [`crate::layout::dist2`],
//! lowest index on ties) and accumulates points in row order.

pub mod scalar;

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

/// Derived copies of the centers that kernels read (refreshed once per iteration).
#[derive(Default, Debug)]
pub struct Prepared {}

impl Prepared {
    pub(crate) fn prepare(&mut self, _centers: &[f64], _k: usize, _d: usize) {}
}

/// Assigns the rows of `x` (row-major, `d` columns) to their nearest centers.
pub fn assign_block(
    choice: KernelChoice,
    x: &[f64],
    d: usize,
    centers: &Centers,
    labels: &mut [u32],
    part: &mut Partial,
    accumulate: bool,
) {
    match choice {
        KernelChoice::Scalar | KernelChoice::Simd | KernelChoice::Auto => {
            scalar::assign(x, d, centers, labels, part, accumulate)
        }
    }
}

/// Name of the kernel `choice` resolves to on this machine.
pub fn resolved_name(choice: KernelChoice) -> &'static str {
    match choice {
        KernelChoice::Scalar => "scalar",
        KernelChoice::Simd | KernelChoice::Auto => "scalar",
    }
}

/// Name of the SIMD instruction set the portable kernels dispatch to.
pub fn isa_name() -> &'static str {
    "scalar"
}
