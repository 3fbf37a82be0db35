"""One assignment step (distances to all k centers, argmin) of the Python contestants,
timed in-process, so they can be placed on the same roofline as the Rust kernels
(perf-reports/<machine>/ANALYSIS.md). Run with the project venv:

    .venv/bin/python scripts/python_assign.py            # n = 262144
    N=65536 .venv/bin/python scripts/python_assign.py

* numpy: the seed's step, `kmeans_numpy.distances` (one `np.linalg.norm(X - c, axis=1)`
  column per center), then argmin.
* sklearn: scikit-learn's own Lloyd assignment (`_labels_inertia_threadpool_limit`,
  chunked GEMM + argmin with OpenMP), the step `KMeans.fit` repeats each iteration.

Flops are counted as for the Rust kernels, 2·n·k·d per step; bytes as the data read
once, 8·n·d (numpy actually moves several times that: each column allocates, writes and
reads an n × d temporary). Median of REPEATS runs, for 1 and 2 threads (threadpoolctl).
"""
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "baselines"))
import kmeans_numpy  # noqa: E402
from sklearn.cluster._kmeans import _labels_inertia_threadpool_limit  # noqa: E402

N = int(os.environ.get("N", 262144))
REPEATS = int(os.environ.get("REPEATS", 5))


def median_time(f):
    f()
    ts = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main():
    rng = np.random.default_rng(1)
    print("contestant,threads,n,d,k,time_s,gflops,gbs")
    for d in (8, 32):
        X = rng.normal(size=(N, d))
        w = np.ones(N)
        for k in (8, 32):
            C = X[rng.choice(N, k, replace=False)].copy()
            flops, nbytes = 2 * N * k * d, 8 * N * d
            for threads in (1, 2):
                with threadpool_limits(limits=threads):
                    runs = {
                        "numpy": lambda: kmeans_numpy.distances(X, C).argmin(axis=1),
                        "sklearn": lambda: _labels_inertia_threadpool_limit(X, w, C, n_threads=threads),
                    }
                    for name, f in runs.items():
                        if name == "numpy" and threads > 1:
                            continue  # single-threaded: the seed's loop never asks for more
                        t = median_time(f)
                        print(f"{name},{threads},{N},{d},{k},{t:.6f},{flops / t / 1e9:.2f},{nbytes / t / 1e9:.2f}")


if __name__ == "__main__":
    main()
