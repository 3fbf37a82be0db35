#!/usr/bin/env python3
"""Optional contestant "faiss": faiss-cpu's k-means (faiss.Kmeans), forced to run real
Lloyd iterations on every point from k-means++ centers.

Per k:
- initial centers: the numpy contestant's plain k-means++ (kmeans_numpy.kmeans_plusplus
  with np.random.default_rng([seed, k]), computed in float64), so faiss starts from
  exactly the centers the numpy contestant starts from; or the --init-centers array;
- faiss.Kmeans(d, k, niter=max_iter, nredo=1, seed=seed,
  max_points_per_centroid=n (>= n/k, so faiss never subsamples: every iteration uses
  all points), min_points_per_centroid=1 (no "too few points" warning),
  spherical=False, verbose=False).train(X32, init_centroids=C0);
- labels: one final assignment of every point to the final centroids (km.assign),
  like scikit-learn's final E-step; inertia is recomputed in float64 from those labels
  and centroids.

Differences from the numpy/sklearn/Rust contestants, all faiss's own:
- faiss computes in float32 (the data is converted once per k; the conversion is timed).
- faiss has no relative tolerance: --tol is accepted and ignored. With faiss's default
  early_stop_threshold = 0 it stops when an iteration's objective equals the previous
  one, else after niter = max_iter iterations. `iterations` = len(km.obj);
  `converged` = iterations < max_iter.
- empty clusters are handled by faiss (it splits a large cluster), not relocated to
  far points.
- --threads N > 0 calls faiss.omp_set_num_threads(N) (and threadpoolctl limits).

Exits with status 3 and "faiss-cpu is not installed" when faiss is missing, before
parsing arguments, so the harness can skip it.
"""
import time

T_START = time.perf_counter()

import sys  # noqa: E402

import numpy as np  # noqa: E402

import _common  # noqa: E402


class _FaissThreads:
    def __init__(self, faiss, n):
        from threadpoolctl import threadpool_limits

        self.faiss, self.n = faiss, n
        self.before = faiss.omp_get_max_threads()
        self.limits = threadpool_limits(limits=n)

    def __enter__(self):
        self.faiss.omp_set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        self.faiss.omp_set_num_threads(self.before)
        self.limits.unregister()
        return False


def make_fit_one(faiss, kmeans_plusplus):
    def fit_one(X, k, args, init_centers):
        n, d = X.shape
        if init_centers is not None:
            centers0 = init_centers
        else:
            centers0 = kmeans_plusplus(X, k, np.random.default_rng([args.seed, k]))
        x32 = np.ascontiguousarray(X, dtype=np.float32)
        km = faiss.Kmeans(d, k, niter=args.max_iter, nredo=1, seed=args.seed,
                          max_points_per_centroid=max(n, 1), min_points_per_centroid=1,
                          spherical=False, verbose=False)
        km.train(x32, init_centroids=np.ascontiguousarray(centers0, dtype=np.float32))
        _, labels = km.assign(x32)
        labels = labels.astype(np.int64)
        centers = km.centroids.astype(np.float64)
        inertia = float(np.sum((X - centers[labels]) ** 2))
        iterations = int(len(km.obj))
        return {"labels": labels, "inertia": inertia, "iterations": iterations,
                "converged": iterations < args.max_iter, "centers": centers}
    return fit_one


if __name__ == "__main__":
    faiss = _common.require_optional("faiss", "faiss-cpu")

    import kmeans_numpy

    def versions():
        import pandas

        return {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pandas.__version__,
                "faiss": faiss.__version__}

    sys.exit(_common.run("faiss", T_START, make_fit_one(faiss, kmeans_numpy.kmeans_plusplus),
                         inits=("k-means++",),
                         description="faiss-cpu Kmeans (all points, k-means++ init from NumPy), k = k-min..k-max",
                         versions=versions, limit_threads=lambda n: _FaissThreads(faiss, n)))
