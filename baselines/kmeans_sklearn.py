#!/usr/bin/env python3
"""scikit-learn k-means contestant ("sklearn"), as in the seed study.

Per k: KMeans(n_clusters=k, n_init=1, init="k-means++", algorithm="lloyd",
random_state=seed, max_iter=max_iter, tol=tol).fit(X). With --init-centers FILE:
init=<that array>, n_init=1, fitting exactly that k.

Choices:
- --init k-means++ means scikit-learn's own "k-means++", which is the *greedy* variant
  (2 + floor(ln k) candidates per step, keep the one that lowers the potential most);
  `greedy-k-means++` is accepted as a synonym, `random` maps to init="random".
- Seeding: random_state=seed for every k (the seed study's call), so each k is
  independent of the others.
- --threads N > 0 wraps the fits in threadpoolctl.threadpool_limits(N) (OpenMP and
  BLAS); 0 leaves scikit-learn's default (all cores).
- X is float64 (f32 .npy input is converted; features are echoed as read).
- inertia, n_iter_, cluster_centers_ are scikit-learn's own; `converged` is
  n_iter_ < max_iter (scikit-learn does not expose which stop rule fired; a run that
  converges exactly at iteration max_iter is reported as not converged).
"""
import time

T_START = time.perf_counter()

import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import _common  # noqa: E402

INITS = {"k-means++": "k-means++", "greedy-k-means++": "k-means++", "random": "random"}


def make_fit_one(KMeans):
    def fit_one(X, k, args, init_centers):
        if init_centers is not None:
            init = init_centers
        else:
            init = INITS[args.init]
        km = KMeans(n_clusters=k, n_init=1, init=init, algorithm="lloyd",
                    random_state=args.seed, max_iter=args.max_iter, tol=args.tol)
        with warnings.catch_warnings():
            # "Number of distinct clusters found smaller than n_clusters" on duplicate points
            warnings.simplefilter("ignore")
            km.fit(X)
        return {"labels": km.labels_, "inertia": km.inertia_, "iterations": km.n_iter_,
                "converged": km.n_iter_ < args.max_iter, "centers": km.cluster_centers_}
    return fit_one


def limit_threads(n):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n)


def versions():
    import pandas
    import scipy
    import sklearn

    return {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pandas.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}


if __name__ == "__main__":
    from sklearn.cluster import KMeans

    sys.exit(_common.run("sklearn", T_START, make_fit_one(KMeans), inits=tuple(INITS),
                         description="scikit-learn KMeans(n_init=1, lloyd), k = k-min..k-max",
                         versions=versions, limit_threads=limit_threads))
