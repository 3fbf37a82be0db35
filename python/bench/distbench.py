"""The distributed benchmark (issue #21): kmeans_roofline.dask against dask-ml's
KMeans and Spark MLlib's KMeans on the same data and initial centers.

    .venv/bin/pip install -r python/requirements-spark.txt   # pyspark (Java 17)
    .venv/bin/python python/bench/distbench.py --out DIR [--quick] [--skip spark]

Data: Gaussian blobs (k = 32 centers) as .npy files generated once into --data;
every contestant starts from the same initial centers (32 rows drawn with seed 1)
and runs on a LocalCluster(processes=True, n_workers=2, threads_per_worker=1) or
Spark local[2]. Per-iteration time is (T(1 + M iterations) − T(1 iteration)) / M
with the tolerance at 0, so loading and set-up cancel out. Writes DIR/results.csv
and DIR/RESULTS.md.
"""

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

CASES = {"4M x 32": (4_000_000, 32, 32), "1M x 128": (1_000_000, 128, 32)}
QUICK = {"4M x 32": (1_000_000, 32, 32), "1M x 128": (250_000, 128, 32)}
BLOCK_ROWS = 128 * 1024
M = 4  # timed iterations beyond the first
CAP = 20  # iterations at most for dask-ml's and Spark's runs to convergence (time)


def data(dirname, name, n, d, k):
    os.makedirs(dirname, exist_ok=True)
    path = os.path.join(dirname, f"blobs-{n}x{d}-k{k}.npy")
    if not os.path.exists(path):
        rng = np.random.default_rng(0)
        centers = rng.normal(scale=4.0, size=(k, d))
        out = np.lib.format.open_memmap(path + ".tmp.npy", "w+", np.float64, (n, d))
        step = 1 << 18
        for s in range(0, n, step):
            e = min(n, s + step)
            out[s:e] = centers[rng.integers(0, k, e - s)] + rng.normal(size=(e - s, d))
        out.flush()
        del out
        os.rename(path + ".tmp.npy", path)
    x = np.load(path, mmap_mode="r")
    init = np.ascontiguousarray(x[np.random.default_rng(1).choice(n, k, replace=False)])
    return path, init


def cluster(workers):
    from distributed import Client, LocalCluster

    c = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit="8GiB",
        silence_logs=50,
    )
    return Client(c)


def worker_peak_mb(client):
    def peak():
        # VmHWM: this process's own peak (ru_maxrss would include the high-water
        # mark inherited from the process that forked the worker).
        with open("/proc/self/status") as f:
            return int([ln for ln in f if ln.startswith("VmHWM")][0].split()[1]) / 1024

    return max(client.run(peak).values())


def evaluate(path, centers):
    """Σ min_j ‖x − c_j‖² of any contestant's centers, by the same lazy pass."""
    from kmeans_roofline.dask import KMeans, from_npy

    km = KMeans(len(centers))
    km.cluster_centers_ = np.ascontiguousarray(centers, dtype=np.float64)
    return -km.score(from_npy(path, block_rows=BLOCK_ROWS))


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def ours(path, init, k, workers=2, converge=True, kparallel=True, reduce="chunk"):
    from kmeans_roofline.dask import KMeans as _KMeans
    from kmeans_roofline.dask import from_npy

    def KMeans(*a, **kw):  # noqa: N802
        return _KMeans(*a, reduce=reduce, **kw)

    res = {}
    with cluster(workers) as client:
        X = from_npy(path, block_rows=BLOCK_ROWS)
        KMeans(k, init=init, max_iter=1, tol=0).fit(X)  # warm-up (page cache, imports)
        t1, _ = timed(lambda: KMeans(k, init=init, max_iter=1, tol=0).fit(X))
        tm, km = timed(lambda: KMeans(k, init=init, max_iter=1 + M, tol=0).fit(X))
        res["per_iter_s"] = (tm - t1) / M
        it = km.timings_["iterations"][1:]
        ker = km.timings_["kernel"][1:]
        res["iter_wall_median_s"] = float(np.median(it))
        res["kernel_per_iter_s"] = float(np.median(ker)) / workers
        res["overhead_per_iter_s"] = float(np.median(np.array(it) - np.array(ker) / workers))
        res["kernel_per_block_s"] = float(np.median(ker)) / km.n_blocks_
        res["n_blocks"] = km.n_blocks_
        if converge:
            tc, kc = timed(lambda: KMeans(k, init=init, max_iter=300).fit(X))
            res.update(converge_s=tc, n_iter=kc.n_iter_, inertia=kc.inertia_,
                       inertia_eval=evaluate(path, kc.cluster_centers_))
        if kparallel:
            kp = KMeans(k, init="k-means||", random_state=0, max_iter=CAP).fit(X)
            res.update(kmpar_init_s=kp.timings_["init"], kmpar_inertia=kp.inertia_,
                       kmpar_n_iter=kp.n_iter_)
        res["peak_worker_mb"] = worker_peak_mb(client)
    return res


def block_vs_inprocess(path, init, k):
    """The kernel on one block: inside the Dask task (reported by ours()) against
    the same call in this process and the in-process fit's iteration."""
    from kmeans_roofline import KMeans as InProcess
    from kmeans_roofline import _core

    x = np.ascontiguousarray(np.load(path, mmap_mode="r")[:BLOCK_ROWS])
    reps = []
    for _ in range(5):
        t, _r = timed(lambda: _core.block_assign(x, init, None, None, True))
        reps.append(t)
    one = lambda m: InProcess(k, init=init, max_iter=m, tol=0, n_threads=1).fit(x)  # noqa: E731
    t1 = min(timed(lambda: one(1))[0] for _ in range(3))
    runs = [timed(lambda: one(1 + M)) for _ in range(3)]
    t6, km = min(runs, key=lambda r: r[0])
    # The fit stops early when the labels stop changing: divide by what it ran.
    per = (t6 - t1) / max(km.n_iter_ - 1, 1)
    return {"block_assign_client_s": float(np.min(reps)), "inprocess_iter_s": per,
            "inprocess_n_iter": km.n_iter_}


def daskml(path, init, k, converge=True):
    from dask_ml.cluster import KMeans as DKM

    from kmeans_roofline.dask import from_npy

    res = {}
    with cluster(2) as client:
        X = from_npy(path, block_rows=BLOCK_ROWS).persist()
        from distributed import wait

        wait(X)
        DKM(n_clusters=k, init=init, max_iter=1, tol=0).fit(X)  # warm-up (numba compiles)
        t1, _ = timed(lambda: DKM(n_clusters=k, init=init, max_iter=1, tol=0).fit(X))
        tm, _ = timed(lambda: DKM(n_clusters=k, init=init, max_iter=1 + M, tol=0).fit(X))
        res["per_iter_s"] = (tm - t1) / M
        if converge:
            tc, kc = timed(lambda: DKM(n_clusters=k, init=init, max_iter=CAP).fit(X))
            res.update(converge_s=tc, n_iter=int(kc.n_iter_), inertia=float(kc.inertia_),
                       inertia_eval=evaluate(path, kc.cluster_centers_))
        tp, kp = timed(lambda: DKM(n_clusters=k, init="k-means||", random_state=0,
                                   max_iter=1, tol=0).fit(X))
        res["kmpar_init_s"] = tp - t1
        res["peak_worker_mb"] = worker_peak_mb(client)
    return res


def spark(path, init, k, data_dir, converge=True):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.mllib.clustering import KMeans as SKM
    from pyspark.mllib.clustering import KMeansModel
    from pyspark.mllib.linalg import Vectors
    from pyspark.sql import SparkSession

    x = np.load(path, mmap_mode="r")
    n, d = x.shape
    pqp = path[:-4] + ".parquet"
    if not os.path.exists(pqp):
        w = None
        for s in range(0, n, 1 << 18):
            blk = np.ascontiguousarray(x[s : s + (1 << 18)])
            arr = pa.FixedSizeListArray.from_arrays(pa.array(blk.ravel()), d)
            t = pa.table({"f": arr})
            w = w or pq.ParquetWriter(pqp + ".tmp", t.schema)
            w.write_table(t)
        w.close()
        os.rename(pqp + ".tmp", pqp)
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers need this venv's numpy
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.memory", "8g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    res = {}
    try:
        rdd = spark.read.parquet(pqp).rdd.map(lambda r: Vectors.dense(r.f)).cache()
        t_load, _ = timed(rdd.count)
        res["load_s"] = t_load
        model = KMeansModel([c for c in init])

        def train(m, eps=0.0, mode="k-means||", initial=True):
            return SKM.train(rdd, k, maxIterations=m, initializationMode=mode, seed=0,
                             epsilon=eps, initialModel=model if initial else None)

        train(1)  # warm-up (JIT, the RDD's conversion)
        t1, _ = timed(lambda: train(1))
        tm, _ = timed(lambda: train(1 + M))
        res["per_iter_s"] = (tm - t1) / M
        if converge:
            tc, mc = timed(lambda: train(CAP, eps=1e-4))
            centers = np.array([np.asarray(c) for c in mc.clusterCenters])
            res.update(converge_s=tc, inertia=float(mc.computeCost(rdd)),
                       inertia_eval=evaluate(path, centers))
        tp, _ = timed(lambda: train(1, initial=False))
        res["kmpar_init_s"] = tp - t1
        java = subprocess.run(["pgrep", "-f", "org.apache.spark.deploy.SparkSubmit"],
                              capture_output=True, text=True).stdout.split()
        if java:
            with open(f"/proc/{java[0]}/status") as f:
                hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
            res["peak_worker_mb"] = int(hwm) / 1024
    finally:
        spark.stop()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="/tmp/kmeans-distributed-data")
    ap.add_argument("--quick", action="store_true", help="quarter-size data")
    ap.add_argument("--skip", default="", help="comma list of: ours,dask-ml,spark,scaling")
    ap.add_argument("--no-converge", action="store_true")
    ap.add_argument("--reduce", default="chunk", help="ours: reduce='chunk' or 'block'")
    ap.add_argument("--append", action="store_true", help="add to an existing results.csv")
    ap.add_argument("--block-rows", type=int, default=BLOCK_ROWS, help="rows per block")
    ap.add_argument("--tag", default="", help="suffix for the contestants' names")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    cases = QUICK if a.quick else CASES
    os.makedirs(a.out, exist_ok=True)
    rows = []
    globals()["BLOCK_ROWS"] = a.block_rows
    tag = "" if a.reduce == "chunk" else f"-reduce-{a.reduce}"
    if a.block_rows != 128 * 1024:
        tag += f"-blocks-{a.block_rows}"
    tag += a.tag
    if a.append and os.path.exists(os.path.join(a.out, "results.csv")):
        with open(os.path.join(a.out, "results.csv")) as f:
            rows = list(csv.DictReader(f))

    def record(contestant, case, res):
        for key, v in res.items():
            rows.append({"contestant": contestant, "case": case, "metric": key, "value": v})
            print(f"{contestant:10s} {case:10s} {key:22s} {v}", flush=True)
        with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, ["contestant", "case", "metric", "value"])
            w.writeheader()
            w.writerows(rows)

    conv = not a.no_converge
    for case, (n, d, k) in cases.items():
        path, init = data(a.data, case, n, d, k)
        if "ours" not in skip:
            record("ours" + tag, case, ours(path, init, k, converge=conv, reduce=a.reduce))
        if "block" not in skip:
            record("ours-block-kernel" + a.tag, case, block_vs_inprocess(path, init, k))
        if "scaling" not in skip and d == 32:
            r1 = ours(path, init, k, workers=1, converge=False, kparallel=False,
                      reduce=a.reduce)
            record("ours-1-worker" + tag, case, r1)
        if "dask-ml" not in skip:
            record("dask-ml", case, daskml(path, init, k, converge=conv))
        if "spark" not in skip:
            record("spark", case, spark(path, init, k, a.data, converge=conv))
    meta = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_avg_at_end": os.getloadavg(),
        "python": sys.version.split()[0],
        "cases": {c: list(v) for c, v in cases.items()},
        "block_rows": BLOCK_ROWS,
        "timed_iterations": M,
        "ru_maxrss_client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    with open(os.path.join(a.out, f"meta{tag}.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
