#!/usr/bin/env python3
"""One contestant of a fit-only k-means benchmark, in this (fresh) process.

Used by `bench-harness modern` (the modern shapes of issue #23): the harness writes a
JSON spec, runs `.venv/bin/python python/bench/fitbench.py SPEC.json` once per
contestant and precision, and reads back the result JSON and the final centers.

    {"contestant": "sklearn" | "sklearnex" | "faiss" | "kmeans_roofline",
     "mode": "fit" | "seed",
     "x": "data.npy",            2-D float64 C-order .npy (memory-mapped, read-only)
     "init": "init.npy",         k x d float64 initial centers (mode "fit")
     "k": 256, "iterations": 5, "repeats": 3, "threads": 2, "seed": 0,
     "precision": "f64" | "f32", "algorithm": "lloyd",
     "centers_out": "final.npy", "result": "result.json"}

mode "fit": `iterations` Lloyd iterations from the given centers (max_iter =
iterations, tol = 0), timed with time.perf_counter around the fit call only, repeated;
the final centers of the last repeat are written as float64 to `centers_out`.
mode "seed": greedy k-means++ (2 + floor(ln k) candidates per step) of k centers,
timed the same way: scikit-learn's `kmeans_plusplus`, sklearnex's oneDAL
`onedal.cluster.kmeans_plusplus`; the seeds of the last repeat go to `centers_out`.

float32 runs convert X once (not timed). The process is limited to `threads` threads
(threadpoolctl for BLAS/OpenMP, daal4py.daalinit for oneDAL, faiss.omp_set_num_threads,
n_threads for kmeans_roofline). The result records threadpoolctl's report of the BLAS
and OpenMP libraries that ran, the package versions, sklearnex's dispatch log (to
show that oneDAL, not the scikit-learn fallback, ran) and the OPENBLAS_* variables
seen. `python/bench/inprocess.py` is the issue #20 race; this is the per-contestant
child the harness drives.
"""
import json
import logging
import os
import sys
import time
import warnings


def _load(spec):
    import numpy as np

    X = np.load(spec["x"], mmap_mode="r")
    _ = float(np.add.reduce(X, axis=None))  # fault the memory map in before any timing
    if spec.get("precision", "f64") == "f32":
        X = np.ascontiguousarray(X, dtype=np.float32)
    else:
        X = np.asarray(X)  # the memmap as an ndarray view (no copy)
    return X


def _sklearnex(versions, dispatch, threads):
    import daal4py
    from importlib.metadata import version

    versions["scikit-learn-intelex"] = version("scikit-learn-intelex")

    class _Collect(logging.Handler):
        def emit(self, record):
            msg = record.getMessage().strip()
            if "KMeans" in msg or "kmeans" in msg:
                dispatch[msg] = dispatch.get(msg, 0) + 1

    daal4py.daalinit(threads)
    log = logging.getLogger("sklearnex")  # collect the dispatch log instead of printing it
    for h in list(log.handlers):
        log.removeHandler(h)
    log.addHandler(_Collect())
    log.setLevel(logging.INFO)
    log.propagate = False


def _fit_factory(spec, X, versions, dispatch):
    """A function (k, C, iterations) -> fitted model exposing cluster_centers_, n_iter_."""
    import numpy as np

    name, threads = spec["contestant"], spec["threads"]
    if name == "kmeans_roofline":
        import kmeans_roofline
        from kmeans_roofline import KMeans

        versions["kmeans_roofline"] = kmeans_roofline.__version__

        def make(k, C, iters):
            return KMeans(n_clusters=k, init=C, n_init=1, max_iter=iters, tol=0.0,
                          algorithm=spec.get("algorithm") or "lloyd", n_threads=threads,
                          precision=spec.get("precision", "f64"))
        return make
    if name in ("sklearn", "sklearnex"):
        import sklearn

        versions["scikit-learn"] = sklearn.__version__
        if name == "sklearn":
            from sklearn.cluster import KMeans
        else:
            _sklearnex(versions, dispatch, threads)
            from sklearnex.cluster import KMeans

        def make(k, C, iters):
            return KMeans(n_clusters=k, init=C, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
        return make
    if name == "faiss":
        import faiss

        versions["faiss"] = faiss.__version__
        faiss.omp_set_num_threads(threads)
        n, d = X.shape

        class _Faiss:
            def __init__(self, k, C, iters):
                self.k, self.iters = k, iters
                self.C = np.ascontiguousarray(C, dtype=np.float32)

            def fit(self, X):
                # all points: no subsampling to max_points_per_centroid * k
                km = faiss.Kmeans(d, self.k, niter=self.iters, nredo=1, seed=1,
                                  max_points_per_centroid=max(n, 1), min_points_per_centroid=1,
                                  spherical=False, verbose=False)
                km.train(X, init_centroids=self.C)
                self.cluster_centers_ = km.centroids
                self.n_iter_ = len(km.obj)
                self.inertia_ = float(km.obj[-1]) if len(km.obj) else float("nan")
                return self

        def make(k, C, iters):
            return _Faiss(k, C, iters)
        return make
    raise SystemExit(f"fitbench: unknown contestant {name!r}")


def _seed_factory(spec, versions, dispatch):
    """A function (X, k, seed) -> k x d seeds: greedy k-means++."""
    name = spec["contestant"]
    import sklearn

    versions["scikit-learn"] = sklearn.__version__
    if name == "sklearn":
        from sklearn.cluster import kmeans_plusplus

        return lambda X, k, seed: kmeans_plusplus(X, k, random_state=seed)[0]
    if name == "sklearnex":
        _sklearnex(versions, dispatch, spec["threads"])
        from onedal.cluster import kmeans_plusplus

        return lambda X, k, seed: kmeans_plusplus(X, k, random_state=seed)[0]
    raise SystemExit(f"fitbench: no seeding measurement for {name!r}")


def run(spec):
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    X = _load(spec)
    versions = {"numpy": np.__version__, "python": sys.version.split()[0]}
    dispatch = {}
    limits = threadpool_limits(limits=spec["threads"])
    warnings.simplefilter("ignore")
    times, out = [], {}
    k = int(spec["k"])
    if spec["mode"] == "fit":
        make = _fit_factory(spec, X, versions, dispatch)
        C = np.load(spec["init"]).astype(X.dtype)
        for _ in range(int(spec["repeats"])):
            m = make(k, C, int(spec["iterations"]))
            t0 = time.perf_counter()
            m.fit(X)
            times.append(time.perf_counter() - t0)
        centers = np.asarray(m.cluster_centers_, dtype=np.float64)
        out["n_iter"] = int(m.n_iter_)
        out["inertia_own"] = float(getattr(m, "inertia_", float("nan")))
    elif spec["mode"] == "seed":
        seeder = _seed_factory(spec, versions, dispatch)
        for r in range(int(spec["repeats"])):
            t0 = time.perf_counter()
            centers = seeder(X, k, int(spec.get("seed", 0)) + r)
            times.append(time.perf_counter() - t0)
        centers = np.asarray(centers, dtype=np.float64)
    else:
        raise SystemExit(f"fitbench: unknown mode {spec['mode']!r}")
    np.save(spec["centers_out"], np.ascontiguousarray(centers))
    limits.unregister()
    out.update({
        "times": times,
        "threadpool_info": threadpool_info(),
        "versions": versions,
        "sklearnex_dispatch": dispatch,
        "env": {k_: os.environ[k_] for k_ in sorted(os.environ)
                if k_.startswith(("OPENBLAS", "OMP_", "MKL_"))},
    })
    tmp = spec["result"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, spec["result"])


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[0] + "\nusage: fitbench.py SPEC.json")
    with open(argv[1]) as f:
        run(json.load(f))


if __name__ == "__main__":
    main(sys.argv)
