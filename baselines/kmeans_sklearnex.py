#!/usr/bin/env python3
"""Optional contestant "sklearnex": scikit-learn-intelex (oneDAL) behind the sklearn API.

`sklearnex.patch_sklearn()` then exactly the calls of kmeans_sklearn.py (same flags,
same choices). Exits with status 3 and "scikit-learn-intelex is not installed" when the
package is missing, before parsing arguments, so the harness can skip it.

The summary's "versions" records scikit-learn-intelex's own dispatch log lines (e.g.
"sklearn.cluster.KMeans.fit: running accelerated version on CPU"), so a run that fell
back to stock scikit-learn is visible. --threads N > 0 sets oneDAL's thread count
(daal4py.daalinit) as well as threadpoolctl's limits. oneDAL's k-means uses its own float summation
order and its own empty-cluster and stopping details, so labels can differ from
scikit-learn in rare near-ties; iterations may differ by one.
"""
import time

T_START = time.perf_counter()

import logging  # noqa: E402
import sys  # noqa: E402

import _common  # noqa: E402

DISPATCH = []


class _Collect(logging.Handler):
    def emit(self, record):
        msg = record.getMessage().strip()
        if msg not in DISPATCH:
            DISPATCH.append(msg)


if __name__ == "__main__":
    sklearnex = _common.require_optional("sklearnex", "scikit-learn-intelex")
    log = logging.getLogger("sklearnex")
    for h in list(log.handlers):  # sklearnex logs each dispatch to stderr; collect instead
        log.removeHandler(h)
    log.addHandler(_Collect())
    log.setLevel(logging.INFO)
    log.propagate = False
    sklearnex.patch_sklearn(verbose=False)

    from sklearn.cluster import KMeans

    import kmeans_sklearn

    def versions():
        from importlib.metadata import version

        v = kmeans_sklearn.versions()
        for pkg in ("scikit-learn-intelex", "daal"):
            try:
                v[pkg] = version(pkg)
            except Exception:
                pass
        v["sklearnex_dispatch"] = list(DISPATCH)
        return v

    def limit_threads(n):
        # oneDAL runs on its own (TBB) thread pool, which threadpoolctl does not see.
        try:
            import daal4py

            daal4py.daalinit(n)
        except Exception:
            pass
        return kmeans_sklearn.limit_threads(n)

    sys.exit(_common.run("sklearnex", T_START, kmeans_sklearn.make_fit_one(KMeans),
                         inits=tuple(kmeans_sklearn.INITS),
                         description="scikit-learn-intelex KMeans(n_init=1, lloyd), k = k-min..k-max",
                         versions=versions, limit_threads=limit_threads))
