//! Empty clusters (scikit-learn's `_relocate_empty_clusters`): each takes one of the
//! points farthest from their current centers.

use crate::accum::{Centers, Partial};
use crate::distance::dist2;
use crate::layout::Layout;

/// Empty clusters take the points farthest from their current centers (scikit-learn's
/// `_relocate_empty_clusters`); `sums`/`counts` are updated as there.
pub(crate) fn relocate_empty<L: Layout>(
    x: &L,
    centers_old: &Centers,
    labels: &[u32],
    weights: Option<&[f64]>,
    total: &mut Partial,
) {
    let k = centers_old.k();
    let d = centers_old.d();
    let empty: Vec<usize> = (0..k).filter(|&j| total.counts[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    // The `m` largest distances, largest first, lowest index on ties.
    let m = empty.len().min(x.n());
    let mut far: Vec<(f64, usize)> = Vec::with_capacity(m + 1);
    let mut buf = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        let dd = dist2(x.row(i, &mut buf), centers_old.row(l as usize));
        if far.len() < m || dd > far[far.len() - 1].0 {
            let pos = far.partition_point(|&(fd, _)| fd >= dd);
            far.insert(pos, (dd, i));
            far.truncate(m);
        }
    }
    for (&j, &(_, i)) in empty.iter().zip(&far) {
        let old = labels[i] as usize;
        let row = x.row(i, &mut buf);
        let w = weights.map_or(1.0, |w| w[i]);
        for (t, &v) in row.iter().enumerate() {
            total.sums[old * d + t] -= v * w;
            total.sums[j * d + t] = v * w;
        }
        total.counts[j] = w;
        total.counts[old] -= w;
    }
}
