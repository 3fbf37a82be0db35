"""kmeans_roofline.dask on a LocalCluster of two worker processes: equality with the
in-process fit, independence from workers and chunking, k-means||, a killed
worker, bad input."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from kmeans_roofline import KMeans as InProcess  # noqa: E402
from kmeans_roofline import _core  # noqa: E402
from kmeans_roofline.dask import KMeans, from_npy  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=50,
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def awkward(seed=0, n=7000, d=3):
    """Integer-valued points (many exact ties and duplicate rows) plus initial
    centers one of which is far away (an empty cluster in the first iteration)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=(n, d)).astype(np.float64)
    x[:500] = x[0]  # duplicates
    centers = np.array(
        [[0.0] * d, [2.0] * d, [4.0] * d, [1.0, 3.0, 5.0][:d], [100.0] * d, [3.0] * d]
    )
    return x, centers


def fit_both(x, centers, chunks, w=None, **kw):
    ref = InProcess(n_clusters=len(centers), init=centers, n_init=1, **kw).fit(
        x, sample_weight=w
    )
    X = da.from_array(x, chunks=(chunks, x.shape[1]))
    W = None if w is None else da.from_array(w, chunks=(chunks,))
    km = KMeans(n_clusters=len(centers), init=centers, **kw).fit(X, sample_weight=W)
    return ref, km


def assert_same(ref, km):
    assert km.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(km.labels_.compute(), ref.labels_)
    assert km.inertia_ == ref.inertia_
    np.testing.assert_array_equal(km.cluster_centers_, ref.cluster_centers_)


@pytest.mark.parametrize("chunks", [1024, 3072])
def test_equals_in_process_with_empty_clusters_and_ties(client, chunks):
    x, centers = awkward()
    ref, km = fit_both(x, centers, chunks)
    assert_same(ref, km)
    assert len(np.unique(ref.labels_)) == len(centers)  # the far center was relocated


def test_equals_in_process_weighted_and_tol0(client):
    x, centers = awkward(1)
    w = np.random.default_rng(1).integers(0, 4, size=len(x)).astype(np.float64)
    ref, km = fit_both(x, centers, 2048, w=w)
    assert_same(ref, km)
    ref, km = fit_both(x, centers, 2048, tol=0.0, max_iter=7)
    assert_same(ref, km)


def blobs(n=40_000, d=8, k=10, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(scale=6.0, size=(k, d))
    return c[rng.integers(0, k, n)] + rng.normal(size=(n, d))


def test_identical_for_workers_and_chunkings(client):
    x = blobs(n=30_000, d=5, k=8, seed=3)
    init = x[:8].copy()
    ref = InProcess(n_clusters=8, init=init).fit(x)
    chunkings = [1024, 4096, (1024, 8192, 2048, 3072, 30_000 - 14_336)]
    results = []
    for ch in chunkings:
        X = da.from_array(x, chunks=(ch, 5))
        results.append(KMeans(n_clusters=8, init=init).fit(X))
    with distributed.Client(
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ),
        set_as_default=False,
    ) as one:
        with one.as_current():
            X = da.from_array(x, chunks=(4096, 5))
            assert_same(ref, KMeans(n_clusters=8, init=init).fit(X))
            block1 = KMeans(n_clusters=8, init=init, reduce="block").fit(X)
            block1_labels = block1.labels_.compute()
        one.cluster.close()
    for km in results:
        assert_same(ref, km)
    block2 = KMeans(n_clusters=8, init=init, reduce="block").fit(
        da.from_array(x, chunks=(4096, 5))
    )
    assert block1.inertia_ == block2.inertia_
    np.testing.assert_array_equal(block1.cluster_centers_, block2.cluster_centers_)
    np.testing.assert_array_equal(block1_labels, block2.labels_.compute())
    # One partial per block rounds differently from one per chunk, not more.
    np.testing.assert_allclose(block2.cluster_centers_, ref.cluster_centers_, rtol=1e-12)


def test_npy_path_dataframe_predict_transform(client, tmp_path):
    x = blobs(n=10_000, d=4, k=5, seed=5)
    init = x[:5].copy()
    ref = InProcess(n_clusters=5, init=init).fit(x)
    path = tmp_path / "x.npy"
    np.save(path, x)
    for X in (str(path), from_npy(path, block_rows=2048)):
        km = KMeans(n_clusters=5, init=init, block_rows=3072).fit(X)
        assert_same(ref, km)
    import dask.dataframe as dd
    import pandas as pd

    df = dd.from_pandas(pd.DataFrame(x, columns=list("abcd")), chunksize=2048)
    km = KMeans(n_clusters=5, init=init).fit(df)
    assert_same(ref, km)
    X = da.from_array(x, chunks=(3000, 4))
    pred = km.predict(X)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), ref.predict(x))
    np.testing.assert_allclose(km.transform(X).compute(), ref.transform(x), rtol=1e-12)


def test_kmeans_parallel_quality(client):
    ratios = []
    for seed in range(5):
        x = blobs(n=20_000, d=6, k=12, seed=seed)
        X = da.from_array(x, chunks=(4096, 6))
        ours = KMeans(n_clusters=12, random_state=seed).fit(X)
        greedy = InProcess(n_clusters=12, random_state=seed).fit(x)
        ratios.append(ours.inertia_ / greedy.inertia_)
        assert ours.n_candidates_ > 12
    assert np.median(ratios) <= 1.01, ratios


def test_kmeans_pp_exact_sequential(client):
    x = blobs(n=8_000, d=4, k=6, seed=9)
    X = da.from_array(x, chunks=(2048, 4))
    a = KMeans(n_clusters=6, init="k-means++", random_state=1).fit(X)
    b = KMeans(n_clusters=6, init="k-means++", random_state=1).fit(
        da.from_array(x, chunks=(4096, 4))
    )
    greedy = InProcess(n_clusters=6, random_state=1).fit(x)
    assert a.inertia_ <= greedy.inertia_ * 1.05
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_candidate_weights_are_nearest_counts(client):
    from kmeans_roofline.dask import _Blocks

    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, 3))
    w = rng.integers(0, 3, size=5000).astype(np.float64)
    cands = np.ascontiguousarray(x[rng.choice(5000, 40, replace=False)])
    blocks = _Blocks(client, da.from_array(x, chunks=(1024, 3)), da.from_array(w, chunks=1024), 1024)
    got = KMeans(n_clusters=3)._candidate_weights(blocks, cands)
    d2 = ((x[:, None, :] - cands[None, :, :]) ** 2).sum(-1)
    want = np.bincount(d2.argmin(1), weights=w, minlength=40)
    np.testing.assert_allclose(got, want)
    # The reduction follows the weights: two heavy candidates (the blobs' centers)
    # against twenty light outliers; k = 2 picks the heavy ones.
    heavy = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    light = rng.uniform(-30, 30, size=(20, 3))
    cands = np.ascontiguousarray(np.vstack([light[:10], heavy, light[10:]]))
    wts = np.r_[np.ones(10), [1e6, 1e6], np.ones(10)]
    for seed in range(5):
        got = _core.weighted_greedy_pp(cands, wts, 2, seed)
        assert sorted(map(tuple, got)) == sorted(map(tuple, heavy))


def test_worker_killed_mid_fit(client):
    x = blobs(n=60_000, d=4, k=16, seed=7)
    init = x[:16].copy()
    X = da.from_array(x, chunks=(8192, 4))
    ref = KMeans(n_clusters=16, init=init, tol=0.0, max_iter=12).fit(X)
    killed = []

    def kill_one(it):
        if it == 4 and not killed:
            pids = client.run(os.getpid)
            pid = sorted(pids.values())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    km = KMeans(n_clusters=16, init=init, tol=0.0, max_iter=12)
    km._iteration_hook = kill_one
    km.fit(X)
    assert killed
    assert km.n_iter_ == ref.n_iter_ == 12
    assert km.inertia_ == ref.inertia_
    np.testing.assert_array_equal(km.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(km.labels_.compute(), ref.labels_.compute())
    client.wait_for_workers(2, timeout=60)


def still_usable(client):
    x = blobs(n=3000, d=2, k=3, seed=1)
    km = KMeans(n_clusters=3, init=x[:3].copy()).fit(da.from_array(x, chunks=(1024, 2)))
    assert km.inertia_ > 0


def test_bad_input(client):
    x = blobs(n=5000, d=3, k=3)
    bad = x.copy()
    bad[3000, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN: row 3000, column 1 \(block 2\)"):
        KMeans(n_clusters=3).fit(da.from_array(bad, chunks=(1024, 3)))
    still_usable(client)
    with pytest.raises(ValueError, match="chunked along its columns"):
        KMeans(n_clusters=3).fit(da.from_array(x, chunks=(1024, 2)))
    still_usable(client)
    with pytest.raises(ValueError, match="should be >= n_clusters"):
        KMeans(n_clusters=6000).fit(da.from_array(x, chunks=(1024, 3)))
    still_usable(client)
    with pytest.raises(ValueError, match="does not match"):
        KMeans(n_clusters=3, init=np.zeros((2, 3))).fit(da.from_array(x, chunks=(1024, 3)))
    with pytest.raises(ValueError, match="precision"):
        KMeans(n_clusters=3, precision="f32").fit(da.from_array(x, chunks=(1024, 3)))
    w = np.ones(len(x))
    w[10] = -1
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative"):
        KMeans(n_clusters=3).fit(da.from_array(x, chunks=(1024, 3)), sample_weight=w)
    still_usable(client)


def test_no_client_is_a_clear_error():
    code = (
        "import numpy as np\n"
        "from kmeans_roofline.dask import KMeans\n"
        "try:\n"
        "    KMeans(2).fit(np.zeros((10, 2)))\n"
        "except ValueError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "needs a running distributed.Client" in out.stdout, out.stderr
