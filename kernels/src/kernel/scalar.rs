//! The canonical scalar assignment loop over a contiguous block of rows.

use crate::layout::{dist2, Centers, Partial};

/// Nearest center of each row of `x` by [`dist2`], lowest index on ties; the points
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
        let mut best = 0usize;
        let mut best_d = f64::INFINITY;
        for (j, c) in centers.values().chunks_exact(d).enumerate() {
            let dd = dist2(row, c);
            if dd < best_d {
                best_d = dd;
                best = j;
            }
        }
        if *label != best as u32 {
            part.changed += 1;
            *label = best as u32;
        }
        if accumulate {
            part.add(best, row);
        }
    }
}
