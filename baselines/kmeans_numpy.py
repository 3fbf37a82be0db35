#!/usr/bin/env python3
"""Pure-Python NumPy k-means: the seed study's baseline contestant ("numpy").

Faithful to the seed's algorithmic choices (k-means++ in NumPy, Lloyd whose assignment
step fills the n x k distance matrix one centroid column at a time with
`np.linalg.norm(X - centroids[j], axis=1)`, argmin, mean update), with the semantics of
the project's `kmeans` binary so that, given the same --init-centers, labels match it and
scikit-learn one to one. Where the seed text is silent or ambiguous, these are the choices:

1. k-means++ is the plain Arthur-Vassilvitskii D^2 sampling, one candidate per step
   (not scikit-learn's greedy 2 + ln k candidates). First center: a uniform row index
   `rng.integers(n)`. Each next center: u = rng.random() * sum(D^2), index =
   searchsorted(cumsum(D^2), u, side="right") (so points with D^2 = 0, e.g. already
   chosen ones, are never picked); if sum(D^2) == 0 (fewer distinct points than k) a
   uniform index is drawn instead. D^2 is computed as sum((X - c)**2, axis=1).
2. Seeding: every k has its own generator `np.random.default_rng([seed, k])`, so the
   result for one k does not depend on which other k the sweep ran (and --k-min 5 gives
   the same k=5 column as --k-min 1). NumPy's PCG64 stream cannot be reproduced by the
   Rust binary: cross-implementation comparisons go through --init-centers.
3. Tolerance as scikit-learn: tol_abs = mean(var(X, axis=0)) * tol (population
   variance). Iteration i: assign, update, then stop if labels equal the previous
   iteration's ("strict convergence") or if the SUM over centers of the squared center
   shift <= tol_abs. At most max_iter iterations; `iterations` counts Lloyd iterations
   run (scikit-learn's n_iter_). `converged` is true for either stop rule, false when
   max_iter was exhausted.
4. After the loop, if not strictly converged, labels are reassigned once with the final
   centers (scikit-learn's lloyd does exactly this), so labels always belong to the
   returned centers. Inertia = sum ||x_i - c_label(i)||^2 with those centers.
5. Argmin over the sqrt'ed norms equals argmin over squared distances except for ties
   created by rounding in sqrt (two different squared distances rounding to the same
   norm); ties go to the lowest centroid index (np.argmin). Exact-distance ties are
   vanishingly rare on continuous data.
6. Empty clusters (as scikit-learn's _relocate_empty_clusters_dense): after the
   assignment, empty clusters, in increasing index order, take the points farthest from
   their current (just-assigned) centers, in decreasing distance order (ties: lowest row
   index first; scikit-learn's argpartition leaves that order unspecified). The point is
   moved out of its old cluster's sum and becomes the new center alone; its label is not
   changed until the next assignment. If every point sits on its center (all distances
   0) nothing is relocated. A cluster left with no points keeps its previous center
   (scikit-learn would leave a zero vector there; a degenerate case only).
7. The mean update sums each cluster's rows (a boolean-mask loop over centroids, like
   the seed's) and divides by the count; all arithmetic is float64 (f32 .npy input is
   converted, and echoed as read).
8. --threads is accepted and ignored: nothing here calls BLAS, and the seed's version
   never limited threads.
"""
import time

T_START = time.perf_counter()

import sys  # noqa: E402

import numpy as np  # noqa: E402

import _common  # noqa: E402  (imports pandas too: the seed's I/O)


def kmeans_plusplus(X, k, rng):
    n = X.shape[0]
    centers = np.empty((k, X.shape[1]), dtype=np.float64)
    centers[0] = X[rng.integers(n)]
    closest_sq = np.sum((X - centers[0]) ** 2, axis=1)
    for c in range(1, k):
        total = closest_sq.sum()
        if total > 0:
            cumulative = np.cumsum(closest_sq)
            idx = int(np.searchsorted(cumulative, rng.random() * total, side="right"))
            if idx >= n:  # rounding at the top end: take the last point with D^2 > 0
                idx = int(np.flatnonzero(closest_sq)[-1])
        else:
            idx = int(rng.integers(n))
        centers[c] = X[idx]
        closest_sq = np.minimum(closest_sq, np.sum((X - centers[c]) ** 2, axis=1))
    return centers


def distances(X, centroids):
    """The seed's assignment step: one column of the n x k matrix per centroid."""
    dist = np.empty((X.shape[0], centroids.shape[0]), dtype=np.float64)
    for j in range(centroids.shape[0]):
        dist[:, j] = np.linalg.norm(X - centroids[j], axis=1)
    return dist


def update_centers(X, labels, centers_old, dist_to_own):
    k = centers_old.shape[0]
    sums = np.zeros_like(centers_old)
    counts = np.zeros(k, dtype=np.int64)
    for j in range(k):
        members = X[labels == j]
        counts[j] = members.shape[0]
        if counts[j]:
            sums[j] = members.sum(axis=0)
    empty = np.flatnonzero(counts == 0)
    if empty.size and dist_to_own.max() > 0:
        farthest = np.argsort(-dist_to_own, kind="stable")[: empty.size]
        for j, p in zip(empty, farthest):
            old = labels[p]
            sums[old] -= X[p]
            counts[old] -= 1
            sums[j] = X[p]
            counts[j] = 1
    centers = centers_old.copy()
    filled = counts > 0
    centers[filled] = sums[filled] / counts[filled, None]
    return centers


def lloyd(X, centers, max_iter, tol):
    n = X.shape[0]
    tol_abs = np.mean(np.var(X, axis=0)) * tol
    labels_old = np.full(n, -1, dtype=np.int64)
    strict = converged = False
    rows = np.arange(n)
    for it in range(max_iter):
        dist = distances(X, centers)
        labels = np.argmin(dist, axis=1)
        centers_new = update_centers(X, labels, centers, dist[rows, labels])
        shift = np.sum((centers_new - centers) ** 2)
        centers = centers_new
        if np.array_equal(labels, labels_old):
            strict = converged = True
            break
        if shift <= tol_abs:
            converged = True
            break
        labels_old = labels
    if not strict:
        labels = np.argmin(distances(X, centers), axis=1)
    inertia = float(np.sum((X - centers[labels]) ** 2))
    return labels, inertia, centers, it + 1, converged


def fit_one(X, k, args, init_centers):
    if init_centers is not None:
        centers = init_centers.copy()
    else:
        centers = kmeans_plusplus(X, k, np.random.default_rng([args.seed, k]))
    labels, inertia, centers, iterations, converged = lloyd(X, centers, args.max_iter, args.tol)
    return {"labels": labels, "inertia": inertia, "iterations": iterations,
            "converged": converged, "centers": centers}


def versions():
    import pandas

    return {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pandas.__version__}


if __name__ == "__main__":
    sys.exit(_common.run("numpy", T_START, fit_one, inits=("k-means++",),
                         description="Pure NumPy k-means (the seed's baseline), k = k-min..k-max",
                         versions=versions))
