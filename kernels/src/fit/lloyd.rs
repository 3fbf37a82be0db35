//! The Lloyd iteration: assignment (every distance, or pruned by Hamerly's or
//! Elkan's bounds, the same labels), empty-cluster relocation, means, and the
//! stopping rule; then the final labels and the inertia.

use super::bounds::CenterBounds;
use super::elkan::Elkan;
use super::hamerly::Hamerly;
use super::inertia::{final_labels_and_inertia, inertia_weighted};
use super::relocate::relocate_empty;
use super::work::{assign_all, Data, Work};
use super::{tol_from_deviations, Algorithm, Outcome, Params, Tol};
use crate::accum::Centers;
use crate::distance::dist2;
use crate::exec::Exec;
use crate::layout::Layout;

/// The assignment step of one fit: every distance (Lloyd), or a bounded algorithm with
/// its bounds. All give the same labels.
enum Assigner {
    Lloyd,
    Hamerly(Hamerly),
    Elkan(Elkan),
}

impl Assigner {
    /// Bounds are kept only with two centers or more, and only on layouts whose labels
    /// are the canonical f64 argmin (the bounds are derived from that distance); other
    /// layouts ([`crate::layout::Flat32`]) run Lloyd whatever `algorithm` says.
    fn new(algorithm: Algorithm, n: usize, k: usize, d: usize, canonical_f64: bool) -> Self {
        match algorithm {
            _ if k < 2 || !canonical_f64 => Assigner::Lloyd,
            Algorithm::Lloyd => Assigner::Lloyd,
            Algorithm::Hamerly => Assigner::Hamerly(Hamerly::new(n, k, d)),
            Algorithm::Elkan => Assigner::Elkan(Elkan::new(n, k, d)),
        }
    }

    /// One assignment pass over all rows (see [`assign_all`]).
    fn assign_all<L: Layout>(
        &mut self,
        fit: Data<'_, L>,
        centers: &Centers,
        labels: &mut [u32],
        work: &mut Work,
        accumulate: bool,
    ) {
        match self {
            Assigner::Lloyd => assign_all(fit, centers, labels, work, accumulate),
            Assigner::Hamerly(h) => h.assign_all(fit, centers, labels, work, accumulate),
            Assigner::Elkan(e) => e.assign_all(fit, centers, labels, work, accumulate),
        }
    }

    /// The center bookkeeping of a bounded algorithm.
    fn center_bounds(&mut self) -> Option<&mut CenterBounds> {
        match self {
            Assigner::Lloyd => None,
            Assigner::Hamerly(h) => Some(&mut h.cb),
            Assigner::Elkan(e) => Some(&mut e.cb),
        }
    }
}

/// Runs Lloyd from `init_centers` (`k × d`): the [`Outcome`] of those centers, with
/// both timings 0. Nothing here reads a clock: `std::time::Instant` panics on
/// `wasm32-unknown-unknown`, where the demo runs this loop; [`super::fit_with`] times
/// the phases around it.
pub fn lloyd<L: Layout>(
    x: &L,
    exec: &Exec,
    init_centers: &[f64],
    params: &Params,
    tol_abs: f64,
) -> Outcome {
    lloyd_weighted(x, exec, init_centers, params, tol_abs, None)
}

/// [`lloyd`] with sample weights (scikit-learn's semantics): centers are weighted
/// means, a cluster is empty when its weight is 0, a relocated point brings its weight,
/// and the inertia is `Σ w_i · dist2`. The tolerance stays relative to the unweighted
/// variance, as in scikit-learn. Unit weights give exactly the unweighted result.
pub fn lloyd_weighted<L: Layout>(
    x: &L,
    exec: &Exec,
    init_centers: &[f64],
    params: &Params,
    tol_abs: f64,
    weights: Option<&[f64]>,
) -> Outcome {
    lloyd_tol(x, exec, init_centers, params, Tol::Abs(tol_abs), weights)
}

/// [`lloyd_weighted`] with the tolerance possibly still to be found ([`Tol::Means`]):
/// then the first assignment pass also sums the squared deviations from the column
/// means (the variance pass of [`absolute_tol`](super::absolute_tol) folded into it,
/// the same bits), and the tolerance is known before the first stopping test.
pub(crate) fn lloyd_tol<L: Layout>(
    x: &L,
    exec: &Exec,
    init_centers: &[f64],
    params: &Params,
    tol: Tol<'_>,
    weights: Option<&[f64]>,
) -> Outcome {
    let fit = Data { x, exec, weights };
    let n = x.n();
    let d = x.d();
    let k = init_centers.len() / d;
    let mut centers = Centers::new(k, d);
    if let Some(shift) = x.screen_shift() {
        centers.set_screened(shift);
    }
    centers.set(init_centers);
    let mut new_values = vec![0.0f64; k * d];
    let mut labels = vec![u32::MAX; n];
    let mut work = Work::new(k, d, n, exec.threads());
    let mut assigner = Assigner::new(params.algorithm, n, k, d, x.canonical_f64());
    let mut strict = false;
    let mut converged = false;
    let mut iterations = 0;
    // Lloyd's passes after the first also sum the inertia against their centers: when
    // the labels come back unchanged the new centers are the old ones bit for bit (the
    // same sums), so that inertia is the final one and the separate pass over the data
    // is saved. (The first pass always changes every label.)
    let lloyd = matches!(assigner, Assigner::Lloyd);
    let mut fused_inertia = None;
    // Elkan's first pass does not go through `assign_all`: its tolerance takes the
    // separate pass.
    let (mut tol_abs, mut pending) = match tol {
        Tol::Means { tol, .. } if tol != 0.0 && !matches!(assigner, Assigner::Elkan(_)) => {
            (f64::NAN, Some(tol))
        }
        t => (t.resolve(x, exec), None),
    };
    if pending.is_some() {
        if let Tol::Means { means, .. } = tol {
            work.means = means.to_vec();
        }
    }
    for it in 0..params.max_iter {
        iterations = it + 1;
        work.inertia = lloyd && it > 0;
        assigner.assign_all(fit, &centers, &mut labels, &mut work, true);
        if let Some(t) = pending.take() {
            tol_abs = tol_from_deviations(&work.total.dev, n, t);
            work.means.clear();
        }
        relocate_empty(x, &centers, &labels, weights, &mut work.total);
        let mut shift = 0.0;
        for j in 0..k {
            let c = work.total.counts[j];
            let alpha = if c > 0.0 { 1.0 / c } else { 1.0 };
            let new = &mut new_values[j * d..(j + 1) * d];
            for (v, s) in new.iter_mut().zip(&work.total.sums[j * d..(j + 1) * d]) {
                *v = s * alpha;
            }
            shift += dist2(new, centers.row(j));
        }
        if let Some(cb) = assigner.center_bounds() {
            cb.moved(&centers, &new_values);
        }
        if work.inertia && work.total.changed == 0 && new_values == centers.values() {
            fused_inertia = Some(work.total.inertia);
        }
        centers.set(&new_values);
        if let Some(cb) = assigner.center_bounds() {
            cb.separation(&centers);
        }
        if work.total.changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        if shift <= tol_abs {
            converged = true;
            break;
        }
    }
    let inertia = if let Some(v) = fused_inertia.filter(|_| strict) {
        v
    } else if strict {
        inertia_weighted(x, exec, &centers, &labels, weights)
    } else if lloyd {
        final_labels_and_inertia(x, exec, &centers, &mut labels, weights)
    } else {
        assigner.assign_all(fit, &centers, &mut labels, &mut work, false);
        inertia_weighted(x, exec, &centers, &labels, weights)
    };
    Outcome {
        k,
        labels,
        centers: centers.values().to_vec(),
        inertia,
        iterations,
        converged,
        init_seconds: 0.0,
        iter_seconds: 0.0,
        tol_abs,
    }
}
