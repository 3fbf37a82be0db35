"""Exact k-means on a Dask cluster, with the Rust kernel in every partition.

>>> from distributed import Client, LocalCluster          # doctest: +SKIP
>>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
>>> from kmeans_roofline.dask import KMeans, from_npy
>>> km = KMeans(n_clusters=32, random_state=0).fit(from_npy("big.npy"))
>>> km.cluster_centers_, km.inertia_, km.labels_            # labels_: a dask array

Every Lloyd iteration scatters the centers to the workers once; each block of rows
is assigned by the Rust kernel (``kmeans_roofline._core.block_assign``) inside the
task that holds the block, and returns its partial sums, counts and changed-label
count; the client folds the partials **in chunk order** (the in-process fit's own
order: chunks of ``CHUNK_ROWS`` = 1024 rows, summed left to right from zero). The
result therefore never depends on the number of workers or the order in which
tasks ran, and equals the in-process ``kmeans_roofline.KMeans`` bit for bit
(labels, centers, inertia, ``n_iter_``) from the same initial centers whenever
every block but the last has a multiple of 1024 rows (see ``reduce``).

The scikit-learn semantics are the in-process fit's: tolerance relative to the mean
per-feature variance (two passes over the blocks), stop on unchanged labels or a
small center shift, empty clusters relocated to the farthest points found across
all blocks (lowest row on ties), a final label pass, ``sample_weight``.
"""

import math
import numbers
import os
import time

import numpy as np

from . import _core

__all__ = ["KMeans", "from_npy", "CHUNK_ROWS"]

#: Rows per chunk of the in-process fit; results depend on it.
CHUNK_ROWS = int(_core.CHUNK_ROWS)

#: Default rows per block of a ``.npy`` file (128 chunks: 32 MiB at d = 32).
DEFAULT_BLOCK_ROWS = 128 * CHUNK_ROWS


# -- blocks and their sources ---------------------------------------------------


class _Npy:
    """Rows ``start:stop`` of a 2-D ``.npy`` file, memory-mapped by the task that
    reads them (a few bytes to ship; the data is never in the graph)."""

    __slots__ = ("path", "start", "stop")

    def __init__(self, path, start, stop):
        self.path, self.start, self.stop = path, start, stop

    def __getstate__(self):
        return (self.path, self.start, self.stop)

    def __setstate__(self, s):
        self.path, self.start, self.stop = s

    def load(self):
        a = _mapped(self.path)[self.start : self.stop]
        if a.dtype != np.float64 or not a.flags.c_contiguous:
            a = np.ascontiguousarray(a, dtype=np.float64)
        return a


_MAPS = {}


def _mapped(path):
    """The worker's memory map of ``path``, kept between tasks (keyed by the file's
    identity): the pages a block touched stay mapped for the next iteration instead
    of being faulted in again. They are the page cache's (clean, file-backed), so
    the kernel can still evict them when the data is larger than memory."""
    st = os.stat(path)
    key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
    a = _MAPS.get(key)
    if a is None:
        if len(_MAPS) >= 8:
            _MAPS.clear()
        a = _MAPS[key] = np.load(path, mmap_mode="r")
    return a


def _aligned(a):
    """``a`` as a C-contiguous, aligned float64 array (a copy only when it is not:
    arrays deserialized from Dask's messages can be unaligned, which the kernels'
    slices refuse)."""
    return np.require(a, np.float64, ["C", "A"])


def _load(src):
    if isinstance(src, _Npy):
        return src.load()
    return _aligned(src)


def _npy_shape(path):
    a = np.load(path, mmap_mode="r")
    if a.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D array, got {a.ndim}-D")
    if a.dtype not in (np.float64, np.float32) or not a.flags.c_contiguous:
        raise ValueError(f"{path}: expected a C-order float64/float32 array, got {a.dtype}")
    return a.shape, a.dtype


def _npy_sources(paths, block_rows):
    """(_Npy per block, (n, d)) for one path or a list of paths."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    srcs, n, d = [], 0, None
    for p in paths:
        p = os.fspath(p)
        (rows, cols), _ = _npy_shape(p)
        if d is not None and cols != d:
            raise ValueError(f"{p}: {cols} columns, the previous files have {d}")
        d = cols
        for s in range(0, rows, block_rows):
            srcs.append(_Npy(p, s, min(s + block_rows, rows)))
        n += rows
    return srcs, (n, d)


def from_npy(paths, block_rows=DEFAULT_BLOCK_ROWS):
    """A lazy float64 dask array over one ``.npy`` file (or a list, stacked by rows),
    each block read by the task that needs it (``np.load(mmap_mode="r")``), never
    through the client. ``fit`` keeps it lazy (it is not persisted)."""
    import dask
    import dask.array as da

    srcs, (_n, d) = _npy_sources(paths, _block_rows(block_rows))
    parts = [
        da.from_delayed(
            dask.delayed(_Npy.load, pure=True)(s), (s.stop - s.start, d), np.float64
        )
        for s in srcs
    ]
    x = da.concatenate(parts, axis=0)
    x._kmeans_roofline_sources = srcs  # fit reads the files per task, no persist
    return x


def _block_rows(block_rows):
    b = int(block_rows)
    if b < 1:
        raise ValueError(f"block_rows must be >= 1, got {block_rows}")
    return b


# -- the tasks (run on the workers) ------------------------------------------------


def _stats_task(src, w):
    """Validation and the first tolerance pass of one block."""
    w = None if w is None else _aligned(w)
    x = _load(src)
    finite = np.isfinite(x)
    bad = None
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        bad = (int(r), int(c), float(x[r, c]))
    maxabs = float(np.abs(x).max()) if x.size and bad is None else 0.0
    wstats = None
    if w is not None:
        if w.shape != (x.shape[0],):
            raise ValueError("sample_weight blocks do not match the rows of X")
        wbad = ~np.isfinite(w) | (w < 0)
        wstats = (
            int(np.argmax(wbad)) if wbad.any() else -1,
            int(np.count_nonzero(w > 0)),
        )
    sums = _core.block_colsums(x) if bad is None else None
    return x.shape, bad, maxabs, wstats, sums


def _sqdev_task(src, mean):
    return _core.block_colsums(_load(src), _aligned(mean))


def _assign_task(src, w, centers, prev, per_chunk):
    w = None if w is None else _aligned(w)
    x = _load(src)
    t = time.perf_counter()
    labels, parts, changed, xmax = _core.block_assign(
        x,
        _aligned(centers),
        _labels(prev),
        w,
        per_chunk,
        None if prev is None else prev[4],  # the block's largest row norm, once
    )
    return labels, parts, changed, time.perf_counter() - t, xmax


def _labels(state):
    return None if state is None else np.require(state[0], np.uint32, ["C", "A"])


def _summary(state):
    return state[1], state[2], state[3]


def _farthest_task(src, w, centers, state, m):
    w = None if w is None else _aligned(w)
    x = _load(src)
    labels = _labels(state)
    dists, idx = _core.block_farthest(x, _aligned(centers), labels, m)
    idx = idx.astype(np.int64)
    ws = np.ones(len(idx)) if w is None else w[idx]
    return dists, idx, x[idx].copy(), labels[idx].astype(np.int64), ws


def _final_task(src, w, centers, state, relabel):
    w = None if w is None else _aligned(w)
    labels, inertia = _core.block_inertia(
        _load(src), _aligned(centers), _labels(state), w, relabel
    )
    return labels.astype(np.int32), inertia


def _first(state):
    return state[0]


def _second(state):
    return state[1]


def _closest_task(src, w, cands, prev):
    w = None if w is None else _aligned(w)
    closest, sums = _core.block_closest(
        _load(src), _aligned(cands), None if prev is None else _aligned(prev[0]), w
    )
    return closest, sums


def _sample_task(src, w, state, factor, phi, seed, rnd, b):
    """k-means|| sampling of one block: row i kept with probability
    ``min(1, factor · w_i · D²_i / φ)``, from a stream fixed by (seed, round, block)."""
    w = None if w is None else _aligned(w)
    x = _load(src)
    closest = state[0]
    mass = closest if w is None else w * closest
    u = np.random.default_rng([seed, rnd, b]).random(len(mass))
    keep = u * phi < factor * mass
    return x[keep].copy()


def _locate_task(src, w, state, target):
    """The row of one block where the running sum of ``w·D²`` passes ``target``."""
    w = None if w is None else _aligned(w)
    x = _load(src)
    closest = state[0]
    mass = closest if w is None else w * closest
    cs = np.cumsum(mass)
    i = int(np.searchsorted(cs, target, side="right"))
    pos = np.flatnonzero(mass > 0)
    if i >= len(mass) or mass[i] <= 0:
        i = int(pos[pos <= min(i, len(mass) - 1)][-1]) if len(pos) else 0
    return x[i].copy()


def _row_task(src, w, target):
    """The row where the running sum of the weights (or the row count) passes
    ``target``."""
    w = None if w is None else _aligned(w)
    x = _load(src)
    if w is None:
        return x[min(int(target), len(x) - 1)].copy()
    cs = np.cumsum(w)
    i = min(int(np.searchsorted(cs, target, side="right")), len(w) - 1)
    while i > 0 and w[i] <= 0:
        i -= 1
    return x[i].copy()


def _predict_block(x, centers):
    return _core.predict(_aligned(centers), _aligned(x), "f64", 1)


def _transform_block(x, centers):
    return _core.transform(_aligned(centers), _aligned(x), 1)


def _const(a):
    return a


# -- the client side ---------------------------------------------------------------


def _client():
    try:
        from distributed import get_client

        return get_client()
    except ValueError:
        raise ValueError(
            "kmeans_roofline.dask.KMeans needs a running distributed.Client: "
            "Client(LocalCluster(...)) or Client('tcp://scheduler:8786')"
        ) from None


def _put(client, a):
    """``a`` on the cluster once (each worker fetches it once per iteration), as a
    task rather than scattered data, so the scheduler can recompute it when the
    worker holding it dies."""
    return client.submit(_const, a, pure=False)


def _fold_rows(arrays, width):
    """Left fold of the rows of ``arrays`` (in order) from zero: the in-process
    merge order (``np.add.accumulate`` adds one row at a time)."""
    rows = [np.zeros((1, width))] + [a.reshape(-1, width) for a in arrays if a.size]
    return np.add.accumulate(np.concatenate(rows), axis=0)[-1]


def _fold_scalars(values):
    s = 0.0
    for v in values:
        s += float(v)
    return s


class _Blocks:
    """The data of one fit as per-block sources (futures of persisted blocks or
    ``_Npy`` slices), with their weights (futures or None)."""

    def __init__(self, client, X, sample_weight, block_rows):
        import dask.array as da

        self.client = client
        if isinstance(X, (str, os.PathLike)) or (
            isinstance(X, (list, tuple))
            and X
            and all(isinstance(p, (str, os.PathLike)) for p in X)
        ):
            self.srcs, (n, d) = _npy_sources(X, block_rows)
            self.lengths = [s.stop - s.start for s in self.srcs]
        else:
            if hasattr(X, "to_dask_array"):  # a dask DataFrame of numeric columns
                X = X.to_dask_array(lengths=True)
            if isinstance(X, np.ndarray):
                X = da.from_array(X, chunks=(block_rows, X.shape[1]))
            if not isinstance(X, da.Array):
                raise TypeError(
                    "X must be a dask array, a dask DataFrame, a NumPy array or "
                    f".npy path(s), got {type(X).__name__}"
                )
            if X.ndim != 2:
                raise ValueError(f"Expected a 2-D array, got {X.ndim}-D")
            if any(math.isnan(c) for c in X.chunks[0]):
                raise ValueError("X has unknown chunk sizes: call X.compute_chunk_sizes()")
            if X.numblocks[1] != 1:
                raise ValueError(
                    f"X is chunked along its columns ({X.numblocks[1]} column blocks): "
                    "rechunk it by rows only, X.rechunk({1: -1})"
                )
            if X.dtype.kind not in "fiub":
                raise ValueError(f"X must be numeric, got dtype {X.dtype}")
            n, d = X.shape
            self.lengths = list(X.chunks[0])
            srcs = getattr(X, "_kmeans_roofline_sources", None)
            if srcs is not None:
                self.srcs = list(srcs)
            else:
                # Persisted once, aligned float64 (each block copied at most once).
                X = X.map_blocks(_aligned, dtype=np.float64)
                self.srcs = client.compute(list(X.to_delayed().ravel()))
        self.n, self.d = int(n), int(d)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        self.w = [None] * len(self.srcs)
        self.weighted = sample_weight is not None
        if sample_weight is not None:
            if isinstance(sample_weight, da.Array):
                if sample_weight.shape != (self.n,):
                    raise ValueError(
                        f"sample_weight.shape == {sample_weight.shape}, expected ({self.n},)!"
                    )
                w = sample_weight.rechunk((tuple(self.lengths),)).map_blocks(
                    _aligned, dtype=np.float64
                )
                self.w = client.compute(list(w.to_delayed().ravel()))
            else:
                w = np.asarray(sample_weight, dtype=np.float64)
                if w.shape != (self.n,):
                    raise ValueError(
                        f"sample_weight.shape == {w.shape}, expected ({self.n},)!"
                    )
                self.w = [_put(client, np.ascontiguousarray(w[a:b])) for a, b in self._ranges()]

    def _ranges(self):
        return list(zip(self.starts[:-1].tolist(), self.starts[1:].tolist()))

    def map(self, fn, *args, per_block=None):
        """One task per block: ``fn(src, w, *args, *per_block[b])``; futures."""
        futs = []
        for b, (src, w) in enumerate(zip(self.srcs, self.w)):
            extra = per_block[b] if per_block is not None else ()
            futs.append(self.client.submit(fn, src, w, *args, *extra, pure=False))
        return futs


class KMeans:
    """K-Means on a Dask cluster with the Rust kernel in every block.

    The parameters and attributes of :class:`kmeans_roofline.KMeans` (scikit-learn's
    names and defaults), plus the initialisation by k-means|| and the block options.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means||", "k-means++"} or array (n_clusters, n_features), \
            default="k-means||"
        "k-means||" is Bahmani et al.'s scalable k-means++ (``init_max_iter``
        rounds, each sampling about ``oversampling_factor · n_clusters`` rows by
        D²), whose candidates, weighted by the weight of the points nearest to each,
        are reduced to ``n_clusters`` by the library's weighted greedy k-means++ in
        the client. "k-means++" is scikit-learn's greedy k-means++ run exactly and
        sequentially over the blocks (three round trips per center: for small k).
        An array gives the initial centers.
    n_init : "auto" or int, default="auto"
        Accepted for compatibility; one start is run.
    max_iter : int, default=300
    tol : float, default=1e-4
        Relative to the mean per-feature variance of X, as scikit-learn.
    verbose : int, default=0
    random_state : int, RandomState or None, default=None
    copy_x : bool, default=True
        Accepted; X is never modified.
    algorithm : str, default="lloyd"
        Accepted ("lloyd", "elkan", "hamerly", "auto"); every block runs Lloyd's
        assignment (all give the same labels in process).
    n_threads : int or None, default=None
        Accepted: each task runs the kernel on one thread (Dask's worker threads
        are the parallelism).
    precision : {"auto", "f64"}, default="auto"
        The fit is in float64 (float32 blocks are widened per task).
    oversampling_factor : float, default=2
        k-means||: rows sampled per round, as a multiple of ``n_clusters``
        (the paper's ℓ = 2k).
    init_max_iter : int, default=5
        k-means||: sampling rounds (the paper's 5).
    block_rows : int, default=131072
        Rows per block when X is a ``.npy`` path or a NumPy array (a multiple of
        1024 keeps the in-process fit's chunks).
    reduce : {"chunk", "block"}, default="chunk"
        "chunk": every block returns one partial per 1024-row chunk, folded in
        chunk order by the client: the in-process fit's bits for any chunking of
        multiples of 1024 rows. "block": one partial per block (the chunks folded
        on the worker), ``k·d + k`` floats per block instead of per chunk:
        identical for any number of workers and scheduling, but the bits depend on
        the chunking.

    Attributes
    ----------
    cluster_centers_, labels_ (a lazy int32 dask array over the workers' blocks),
    inertia_, n_iter_, n_features_in_, and ``timings_`` (seconds: ``prepare``,
    ``init``, ``iterations`` (one entry per iteration), ``final``; and
    ``kernel``, the summed in-task kernel seconds per iteration).
    """

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means||",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        n_threads=None,
        precision="auto",
        oversampling_factor=2,
        init_max_iter=5,
        block_rows=DEFAULT_BLOCK_ROWS,
        reduce="chunk",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_threads = n_threads
        self.precision = precision
        self.oversampling_factor = oversampling_factor
        self.init_max_iter = init_max_iter
        self.block_rows = block_rows
        self.reduce = reduce

    # scikit-learn's parameter protocol without importing it for the class
    _PARAMS = (
        "n_clusters init n_init max_iter tol verbose random_state copy_x algorithm "
        "n_threads precision oversampling_factor init_max_iter block_rows reduce"
    ).split()

    def get_params(self, deep=True):
        return {p: getattr(self, p) for p in self._PARAMS}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError(f"Invalid parameter {k!r} for {type(self).__name__}")
            setattr(self, k, v)
        return self

    def __repr__(self):
        return f"{type(self).__name__}(n_clusters={self.n_clusters!r}, init={self.init!r})"

    # -- checks -------------------------------------------------------------------

    def _check_params(self):
        def integer(name, lo):
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")

        integer("n_clusters", 1)
        integer("max_iter", 1)
        integer("init_max_iter", 1)
        integer("block_rows", 1)
        if not (isinstance(self.tol, numbers.Real) and self.tol >= 0 and math.isfinite(self.tol)):
            raise ValueError(f"tol must be a finite number >= 0, got {self.tol!r}")
        if not (
            isinstance(self.oversampling_factor, numbers.Real) and self.oversampling_factor > 0
        ):
            raise ValueError("oversampling_factor must be > 0")
        if self.reduce not in ("chunk", "block"):
            raise ValueError(f"reduce must be 'chunk' or 'block', got {self.reduce!r}")
        if self.precision not in ("auto", "f64"):
            raise ValueError(
                f"precision {self.precision!r}: the Dask fit runs in float64 only "
                "('auto' or 'f64')"
            )
        if self.algorithm not in ("lloyd", "elkan", "hamerly", "auto"):
            raise ValueError(f"unknown algorithm {self.algorithm!r}")
        if isinstance(self.init, str) and self.init not in ("k-means||", "k-means++"):
            raise ValueError(
                f"init must be 'k-means||', 'k-means++' or an array, got {self.init!r}"
            )

    def _seed(self):
        from ._estimator import _seed

        return _seed(self.random_state)

    # -- fitting ------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering of X (a dask array chunked by rows, a dask
        DataFrame of numeric columns, a NumPy array, or ``.npy`` path(s))."""
        self._check_params()
        client = _client()
        t0 = time.perf_counter()
        blocks = _Blocks(client, X, sample_weight, _block_rows(self.block_rows))
        k, d = int(self.n_clusters), blocks.d
        if blocks.n < k:
            raise ValueError(f"n_samples={blocks.n} should be >= n_clusters={k}.")
        tol_abs = self._prepare(blocks)
        t1 = time.perf_counter()
        centers = self._initial_centers(blocks)
        t2 = time.perf_counter()
        timings = {"prepare": t1 - t0, "init": t2 - t1, "iterations": [], "kernel": []}
        self._lloyd(blocks, centers, tol_abs, timings)
        self.timings_ = timings
        self.n_features_in_ = d
        self.n_blocks_ = len(blocks.srcs)
        return self

    def _prepare(self, blocks):
        """Checks every block (finite values, magnitudes, weights) and returns the
        absolute tolerance, computed as the in-process fit does."""
        client, n, d = blocks.client, blocks.n, blocks.d
        stats = client.gather(blocks.map(_stats_task))
        for b, (shape, bad, _m, wstats, _s) in enumerate(stats):
            if bad is not None:
                r, c, v = bad
                raise ValueError(
                    f"Input X contains {'NaN' if v != v else 'infinity'}: row "
                    f"{int(blocks.starts[b]) + r}, column {c} (block {b})"
                )
            if wstats is not None and wstats[0] >= 0:
                raise ValueError(
                    "sample_weight must be finite and non-negative: row "
                    f"{int(blocks.starts[b]) + wstats[0]}"
                )
        limit = _core.magnitude_limit(n, d)
        top = max(s[2] for s in stats)
        if top > limit:
            raise ValueError(
                f"X has a value of magnitude {top:.3e}, above the limit {limit:.3e} "
                f"for {n} x {d} (squared distances could overflow): rescale X"
            )
        if blocks.weighted:
            positive = sum(s[3][1] for s in stats)
            if positive < self.n_clusters:
                raise ValueError(
                    f"only {positive} rows have a positive weight, fewer than "
                    f"k = {self.n_clusters}"
                )
        if self.tol == 0:
            return 0.0
        mean = _fold_rows([s[4] for s in stats], d) / n
        fut_mean = _put(client, mean)
        dev = client.gather(
            [client.submit(_sqdev_task, s, fut_mean, pure=False) for s in blocks.srcs]
        )
        var = _fold_rows(dev, d)
        mean_var = -0.0
        for v in var:
            mean_var += v / n
        return (mean_var / d) * float(self.tol)

    def _initial_centers(self, blocks):
        k, d = int(self.n_clusters), blocks.d
        init = self.init
        if not isinstance(init, str):
            c = np.ascontiguousarray(np.asarray(init, dtype=np.float64))
            if c.shape != (k, d):
                raise ValueError(
                    f"The shape of the initial centers {c.shape} does not match "
                    f"the number of clusters {k} and features {d}."
                )
            if not np.isfinite(c).all():
                raise ValueError("initial centers contain NaN or infinity")
            return c
        seed = self._seed()
        if init == "k-means||":
            return self._kmeans_parallel(blocks, k, seed)
        return self._kmeans_pp(blocks, k, seed)

    def _first_center(self, blocks, rng):
        """One row drawn with probability proportional to its weight."""
        client = blocks.client
        if blocks.weighted:
            totals = client.gather(
                [client.submit(_wsum, w, pure=False) for w in blocks.w]
            )
            cum = np.cumsum(totals)
            target = rng.random() * cum[-1]
            b = min(int(np.searchsorted(cum, target, side="right")), len(cum) - 1)
            while totals[b] <= 0:
                b -= 1
            local = target - (cum[b] - totals[b])
        else:
            i = int(rng.integers(blocks.n))
            b = int(np.searchsorted(blocks.starts, i, side="right") - 1)
            local = i - int(blocks.starts[b])
        fut = client.submit(_row_task, blocks.srcs[b], blocks.w[b], local, pure=False)
        return fut.result()[None, :]

    def _closest(self, blocks, cands, prev):
        """Updates every block's D² with ``cands``: (state futures, φ)."""
        client = blocks.client
        cf = _put(client, np.ascontiguousarray(cands))
        per = [(p,) for p in prev]
        states = blocks.map(_closest_task, cf, per_block=per)
        sums = client.gather([client.submit(_second, s, pure=False) for s in states])
        return states, sums

    def _kmeans_parallel(self, blocks, k, seed):
        """k-means|| (Bahmani et al. 2012) with the weighted greedy reduction."""
        client = blocks.client
        rng = np.random.default_rng(seed)
        factor = float(self.oversampling_factor) * k
        c0 = self._first_center(blocks, rng)
        cands = [c0]
        states, sums = self._closest(blocks, c0, [None] * len(blocks.srcs))
        phi = _fold_scalars(np.concatenate(sums))
        rounds, r = int(self.init_max_iter), 0
        while r < rounds or (sum(len(c) for c in cands) < k and r < rounds + 20):
            if phi <= 0:
                break
            per = [(s, factor, phi, seed & (2**63 - 1), r, b) for b, s in enumerate(states)]
            new = client.gather(blocks.map(_sample_task, per_block=per))
            new = [c for c in new if len(c)]
            r += 1
            if not new:
                continue
            new = np.concatenate(new)
            cands.append(new)
            states, sums = self._closest(blocks, new, states)
            phi = _fold_scalars(np.concatenate(sums))
        cands = np.ascontiguousarray(np.concatenate(cands))
        self.n_candidates_ = len(cands)
        weights = self._candidate_weights(blocks, cands)
        positive = int(np.count_nonzero(weights > 0))
        if positive < k:
            raise ValueError(
                f"k-means|| found {positive} distinct candidates, fewer than "
                f"n_clusters={k}: X has fewer than {k} distinct rows, or raise "
                "init_max_iter/oversampling_factor"
            )
        return _core.weighted_greedy_pp(cands, weights, k, seed)

    def _candidate_weights(self, blocks, cands):
        """The weight of the points nearest each candidate (summed in chunk order)."""
        client = blocks.client
        cf = _put(client, cands)
        states = blocks.map(_assign_task, cf, None, False)
        parts = client.gather([client.submit(_summary, s, pure=False) for s in states])
        m, d = cands.shape
        total = _fold_rows([p[0] for p in parts], m * d + m)
        return np.ascontiguousarray(total[m * d :])

    def _kmeans_pp(self, blocks, k, seed):
        """scikit-learn's greedy k-means++, exact and sequential over the blocks."""
        client = blocks.client
        rng = np.random.default_rng(seed)
        trials = 2 + int(math.log(k))
        centers = self._first_center(blocks, rng)
        states, sums = self._closest(blocks, centers, [None] * len(blocks.srcs))
        for _ in range(1, k):
            per_block = np.array([_fold_scalars(s) for s in sums])
            cum = np.cumsum(per_block)
            if cum[-1] <= 0:  # every row is a center already: repeat the first
                centers = np.vstack([centers, centers[:1]])
                continue
            targets = rng.random(trials) * cum[-1]
            futs = []
            for t in targets:
                b = min(int(np.searchsorted(cum, t, side="right")), len(cum) - 1)
                while per_block[b] <= 0:
                    b -= 1
                local = t - (cum[b] - per_block[b])
                futs.append(
                    client.submit(
                        _locate_task, blocks.srcs[b], blocks.w[b], states[b], local, pure=False
                    )
                )
            trial_rows = np.ascontiguousarray(np.vstack(client.gather(futs)))
            pots = np.zeros(trials)
            for j in range(trials):
                _s, psums = self._closest(blocks, trial_rows[j : j + 1], states)
                pots[j] = _fold_scalars(np.concatenate(psums))
            best = int(np.argmin(pots))
            states, sums = self._closest(blocks, trial_rows[best : best + 1], states)
            centers = np.vstack([centers, trial_rows[best : best + 1]])
        return np.ascontiguousarray(centers)

    def _lloyd(self, blocks, centers, tol_abs, timings):
        client = blocks.client
        k, d = centers.shape
        width = k * d + k
        per_chunk = self.reduce == "chunk"
        states = [None] * len(blocks.srcs)
        strict = False
        iterations = 0
        hook = getattr(self, "_iteration_hook", None)  # tests: kill a worker here
        for it in range(int(self.max_iter)):
            t = time.perf_counter()
            iterations = it + 1
            if hook is not None:
                hook(it)
            cf = _put(client, centers)
            new_states = blocks.map(
                _assign_task, cf, per_block=[(s, per_chunk) for s in states]
            )
            summaries = client.gather(
                [client.submit(_summary, s, pure=False) for s in new_states]
            )
            states = new_states
            total = _fold_rows([s[0] for s in summaries], width)
            changed = sum(int(s[1]) for s in summaries)
            sums = total[: k * d].reshape(k, d).copy()
            counts = total[k * d :].copy()
            if (counts == 0).any():
                self._relocate(blocks, centers, states, sums, counts)
            alpha = np.ones(k)
            np.divide(1.0, counts, out=alpha, where=counts > 0)
            new = sums * alpha[:, None]
            shift = _fold_scalars(_core.row_dist2(new, centers))
            centers = np.ascontiguousarray(new)
            timings["iterations"].append(time.perf_counter() - t)
            timings["kernel"].append(float(sum(s[2] for s in summaries)))
            if changed == 0:
                strict = True
                break
            if shift <= tol_abs:
                break
        t = time.perf_counter()
        cf = _put(client, centers)
        finals = blocks.map(_final_task, cf, per_block=[(s, not strict) for s in states])
        inertias = client.gather([client.submit(_second, f, pure=False) for f in finals])
        self.inertia_ = _fold_scalars(np.concatenate(inertias))
        self.cluster_centers_ = centers
        self.n_iter_ = iterations
        self.labels_ = self._labels_array(blocks, finals)
        self._label_futures = finals  # keep the labels on the workers
        timings["final"] = time.perf_counter() - t

    def _relocate(self, blocks, centers, states, sums, counts):
        """Empty clusters take the points farthest from their centers, found across
        blocks (largest first, lowest row on ties), as the in-process fit."""
        client = blocks.client
        empty = np.flatnonzero(counts == 0)
        m = min(len(empty), blocks.n)
        cf = _put(client, centers)
        got = client.gather(
            blocks.map(_farthest_task, cf, per_block=[(s, m) for s in states])
        )
        cand = []
        for b, (dists, idx, rows, labels, ws) in enumerate(got):
            for j in range(len(idx)):
                cand.append((-dists[j], int(blocks.starts[b]) + int(idx[j]), rows[j], labels[j], ws[j]))
        cand.sort(key=lambda c: (c[0], c[1]))
        for j, (_d, _i, row, old, w) in zip(empty, cand[:m]):
            vw = row * w
            sums[old] -= vw
            sums[j] = vw
            counts[j] = w
            counts[old] -= w

    def _labels_array(self, blocks, finals):
        import dask
        import dask.array as da

        parts = [
            da.from_delayed(dask.delayed(_first)(f), (n,), np.int32)
            for f, n in zip(finals, blocks.lengths)
        ]
        return da.concatenate(parts) if parts else da.zeros((0,), dtype=np.int32)

    def fit_predict(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).labels_

    # -- using a fitted model -------------------------------------------------------

    def _check_fitted(self):
        if not hasattr(self, "cluster_centers_"):
            raise ValueError(f"This {type(self).__name__} instance is not fitted yet.")

    def _as_dask(self, X):
        import dask.array as da

        if isinstance(X, (str, os.PathLike)):
            X = from_npy(X, self.block_rows)
        if hasattr(X, "to_dask_array"):
            X = X.to_dask_array(lengths=True)
        if isinstance(X, np.ndarray):
            X = da.from_array(X, chunks=(self.block_rows, X.shape[1]))
        if X.ndim != 2 or X.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(
                f"X has {X.shape[-1]} features, but {type(self).__name__} is "
                f"expecting {self.cluster_centers_.shape[1]} features as input."
            )
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        return X

    def predict(self, X):
        """The nearest center of every row: a lazy int32 dask array (map_blocks)."""
        self._check_fitted()
        X = self._as_dask(X)
        return X.map_blocks(
            _predict_block, self.cluster_centers_, drop_axis=1, dtype=np.int32
        )

    def transform(self, X):
        """Distances to every center: a lazy float64 dask array ``(n, k)``."""
        self._check_fitted()
        X = self._as_dask(X)
        k = self.cluster_centers_.shape[0]
        return X.map_blocks(
            _transform_block,
            self.cluster_centers_,
            chunks=(X.chunks[0], (k,)),
            dtype=np.float64,
        )

    def fit_transform(self, X, y=None, sample_weight=None):
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None):
        """Minus the k-means objective of X (computed on the cluster)."""
        d = self.transform(X).min(axis=1)
        return -float((d**2).sum().compute())


def _wsum(w):
    return float(np.sum(w))

