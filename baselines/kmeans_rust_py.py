#!/usr/bin/env python3
"""Contestant "rust-py": the project's kernels called from Python, as a Python user
would: pandas reads the CSV and writes the output exactly as the other Python
contestants do (_common.py); kmeans_roofline.KMeans (python/, installed into the venv
by scripts/venv.sh) fits in process.

Per k: kmeans_roofline.KMeans(n_clusters=k, n_init=1, init=..., random_state=seed,
max_iter=max_iter, tol=tol, n_threads=threads).fit(X), the same call as the sklearn
contestant's, with the defaults of the package (algorithm "lloyd", precision follows
X: float64). With --init-centers FILE: init=<that array>, fitting exactly that k.

- --init k-means++ (and its synonym greedy-k-means++) is scikit-learn's greedy
  k-means++, as for the sklearn contestant; random maps to init="random".
- Seeding: random_state=seed for every k, the Rust RNG's stream for that k, so the
  labels equal the `rust-flat` contestant's (`kmeans --layout flat`, default init)
  for the same seed.
- --threads N: n_threads=N (0 = the package's choice from the problem size).
- X is the float64 C-contiguous array _common reads: passed to Rust without a copy.
- `converged` is the fit's own (n_iter_ < max_iter, as for sklearn; kmeans_roofline
  stops on the same rules).

Exits with status 3 when kmeans_roofline is not installed (run scripts/venv.sh).
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
        init = init_centers if init_centers is not None else INITS[args.init]
        km = KMeans(n_clusters=k, n_init=1, init=init, random_state=args.seed,
                    max_iter=args.max_iter, tol=args.tol, n_threads=args.threads)
        with warnings.catch_warnings():
            # "Number of distinct clusters found smaller than n_clusters" on duplicate points
            warnings.simplefilter("ignore")
            km.fit(X)
        return {"labels": km.labels_, "inertia": km.inertia_, "iterations": km.n_iter_,
                "converged": km.n_iter_ < args.max_iter, "centers": km.cluster_centers_}
    return fit_one


def versions():
    import pandas
    import sklearn

    import kmeans_roofline

    return {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pandas.__version__,
            "scikit-learn": sklearn.__version__, "kmeans_roofline": kmeans_roofline.__version__}


if __name__ == "__main__":
    _common.require_optional("kmeans_roofline", "kmeans_roofline (scripts/venv.sh)")
    from kmeans_roofline import KMeans

    sys.exit(_common.run("rust-py", T_START, make_fit_one(KMeans), inits=tuple(INITS),
                         description="kmeans_roofline.KMeans(n_init=1) in process, k = k-min..k-max",
                         versions=versions))
