//! The canonical scalar assignment loop over a contiguous block of rows.

use crate::accum::{Centers, Partial};
use crate::distance::nearest;

/// Nearest center of each row of `x` by [`crate::distance::dist2`], lowest index on
/// ties ([`nearest`]); the points
/// are added to `part` in row order when `accumulate`.
pub fn assign(
    x: &[f64],
    d: usize,
    centers: &Centers,
    labels: &mut [u32],
    part: &mut Partial,
    accumulate: bool,
) {
    for (row, label) in x.chunks_exact(d).zip(labels.iter_mut()) {
        let best = nearest(row, centers.values(), d);
        if *label != best as u32 {
            part.changed += 1;
            *label = best as u32;
        }
        if accumulate {
            part.add(best, row);
        }
    }
}
