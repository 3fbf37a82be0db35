"""kmeans_roofline.KMeans as a scikit-learn estimator: the API checks, equality with
scikit-learn's lloyd from the same centers, determinism, errors, pickling, paths."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.cluster import KMeans as SKKMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from kmeans_roofline import KMeans, elbow

# The checks scikit-learn itself expects its KMeans to fail
# (sklearn/utils/_test_common/instance_generator.py, PER_ESTIMATOR_XFAIL_CHECKS):
# weights are not equivalent to repeated rows because k-means++ draws its seeds
# from a different random stream when the rows differ. Ours fail them for the same
# reason. Sparse input is refused (TypeError, like any dense-only estimator), so the
# sparse variant is not run at all.
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "sample_weight is not equivalent to removing/repeating samples "
        "(the seeding draws from a different random stream), as for scikit-learn"
    ),
}


@parametrize_with_checks(
    # scikit-learn's own test parameters for KMeans.
    [KMeans(n_init=2, n_clusters=2, max_iter=5)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_checks(estimator, check):
    check(estimator)


def _tied_data(seed, n=400, d=3):
    """Gaussian points each repeated 1-4 times (duplicate rows: tied distances to
    every center), plus a few points repeated many times. Exact ties between two
    centers are decided by rounding in scikit-learn (its distances come from
    ``|x|^2 - 2 x.c + |c|^2``) and by the lowest index here, so the data avoid
    them by being continuous."""
    rng = np.random.default_rng(seed)
    base = rng.normal(scale=3.0, size=(n // 4, d))
    reps = rng.integers(1, 5, size=len(base))
    X = np.repeat(base, reps, axis=0)
    X = np.vstack([X, np.repeat(base[:3], 20, axis=0)])
    return X[rng.permutation(len(X))]


def _centers_with_an_empty_cluster(X, k, seed):
    rng = np.random.default_rng(seed)
    c = X[rng.choice(len(X), k - 1, replace=False)].copy()
    far = np.full((1, X.shape[1]), 1000.0)  # attracts no point: empty, relocated
    return np.vstack([c, far])


def _compare(ours, theirs, rtol=1e-10):
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    scale = np.abs(theirs.cluster_centers_).max()
    np.testing.assert_allclose(
        ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol, atol=rtol * scale
    )
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=rtol)
    assert ours.n_iter_ == theirs.n_iter_


def _weights(X, seed, zeros):
    """Integer weights, the same for every copy of a row: scikit-learn picks which
    copy of a tied farthest point fills an empty cluster by ``argpartition``, and
    copies of different weights would then give different sums."""
    rng = np.random.default_rng(100 + seed)
    _, group = np.unique(X, axis=0, return_inverse=True)
    w = rng.integers(1, 4, size=group.max() + 1).astype(np.float64)
    if zeros:
        w[rng.random(len(w)) < 0.1] = 0.0  # a tenth of the rows weigh nothing
    return w[group.ravel()]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("weighted", [None, "positive", "with zeros"])
def test_equals_sklearn_lloyd_from_the_same_centers(seed, weighted):
    X = _tied_data(seed)
    k = 7
    w = None if weighted is None else _weights(X, seed, weighted == "with zeros")
    if weighted == "with zeros":
        # Initial centers on weighted rows and no empty cluster: a cluster that
        # holds only zero-weight rows is degenerate in both (see python/README.md).
        distinct = np.unique(X[w > 0], axis=0)
        init = distinct[np.random.default_rng(seed).choice(len(distinct), k, replace=False)]
    else:
        init = _centers_with_an_empty_cluster(X, k, seed)
    ours = KMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=w)
    theirs = SKKMeans(k, init=init, n_init=1, algorithm="lloyd").fit(
        X, sample_weight=w
    )
    _compare(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-10)
    assert ours.score(X, sample_weight=w) == pytest.approx(
        theirs.score(X, sample_weight=w), rel=1e-10
    )


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly", "auto"])
def test_every_algorithm_gives_the_same_bits(algorithm):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 3))
    ref = KMeans(9, random_state=5, algorithm="lloyd").fit(X)
    other = KMeans(9, random_state=5, algorithm=algorithm).fit(X)
    np.testing.assert_array_equal(ref.labels_, other.labels_)
    np.testing.assert_array_equal(ref.cluster_centers_, other.cluster_centers_)


def _blobs(n, d, k, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(k, d))
    X = centers[rng.integers(0, k, size=n)] + rng.normal(scale=0.5, size=(n, d))
    return X.astype(dtype)


def test_float32_stays_float32_and_matches_sklearn_float32():
    X = _blobs(2000, 4, 5, 1, np.float32)
    init = X[:5].copy()
    ours = KMeans(5, init=init, n_init=1).fit(X)
    theirs = SKKMeans(5, init=init, n_init=1, algorithm="lloyd").fit(X)
    assert ours.cluster_centers_.dtype == np.float32
    assert ours.transform(X).dtype == np.float32
    assert ours.fit_transform(X).dtype == np.float32
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-5)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-5)
    # precision="f64" on float32 data: f64 arithmetic, results still float32.
    f64 = KMeans(5, init=init, n_init=1, precision="f64").fit(X)
    assert f64.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(f64.labels_, theirs.labels_)


@pytest.mark.parametrize("init", ["k-means++", "k-means++-plain", "random", "k-means||"])
def test_deterministic_for_every_n_threads(init):
    X = _blobs(20000, 5, 6, 2)
    fits = [
        KMeans(6, init=init, n_init=3, random_state=11, n_threads=t).fit(X)
        for t in (1, 2, 3, 0, None)
    ]
    for f in fits[1:]:
        np.testing.assert_array_equal(f.labels_, fits[0].labels_)
        np.testing.assert_array_equal(f.cluster_centers_, fits[0].cluster_centers_)
        assert f.inertia_ == fits[0].inertia_
    again = KMeans(6, init=init, n_init=3, random_state=11).fit(X)
    np.testing.assert_array_equal(again.labels_, fits[0].labels_)


def test_init_k_means_parallel():
    # k-means||: deterministic, one start by default, and as good as greedy
    # k-means++ on blobs (inertia after Lloyd, median over seeds).
    X = _blobs(6000, 8, 12, 5)
    assert KMeans(12, init="k-means||")._resolved(len(X), X.dtype)[0] == 1
    ratios = []
    for seed in range(5):
        par = KMeans(12, init="k-means||", random_state=seed).fit(X)
        greedy = KMeans(12, random_state=seed).fit(X)
        ratios.append(par.inertia_ / greedy.inertia_)
        again = KMeans(12, init="k-means||", random_state=seed, n_threads=1).fit(X)
        np.testing.assert_array_equal(again.cluster_centers_, par.cluster_centers_)
    assert np.median(ratios) <= 1.01
    with pytest.raises(ValueError):
        KMeans(3, init="k-means|").fit(X)


def test_n_init_auto_follows_sklearn():
    X = _blobs(500, 2, 3, 4)
    assert KMeans(3, random_state=0)._resolved(len(X), X.dtype)[0] == 1
    assert KMeans(3, init="random")._resolved(len(X), X.dtype)[0] == 10
    with pytest.warns(RuntimeWarning, match="Explicit initial center"):
        KMeans(3, init=X[:3], n_init=4).fit(X)


def test_pickle_and_clone():
    X = _blobs(1000, 3, 4, 5)
    km = KMeans(4, random_state=3, n_threads=2, precision="f64").fit(X)
    back = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(back.predict(X), km.labels_)
    np.testing.assert_array_equal(back.cluster_centers_, km.cluster_centers_)
    c = clone(km)
    assert c.get_params() == km.get_params()
    assert not hasattr(c, "cluster_centers_")
    np.testing.assert_array_equal(c.fit(X).labels_, km.labels_)


def test_non_contiguous_lists_ints_and_pandas_are_validated():
    X = _blobs(600, 3, 3, 6)
    ref = KMeans(3, random_state=1).fit(X)
    for other in (np.asfortranarray(X), X.tolist()):
        np.testing.assert_array_equal(KMeans(3, random_state=1).fit(other).labels_, ref.labels_)
    ints = np.round(X * 10).astype(np.int64)
    assert KMeans(3, random_state=1).fit(ints).cluster_centers_.dtype == np.float64
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    km = KMeans(3, random_state=1).fit(df)
    assert list(km.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    assert list(km.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]


def _error_type(make, X, **fit):
    try:
        make().fit(X, **fit)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e), str(e)
    return None, ""


@pytest.mark.parametrize(
    "name, X, k",
    [
        ("nan", np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]), 2),
        ("inf", np.array([[0.0, 1.0], [np.inf, 2.0], [3.0, 4.0]]), 2),
        ("empty", np.zeros((0, 2)), 2),
        ("no features", np.zeros((3, 0)), 2),
        ("1-D", np.arange(5.0), 2),
        ("3-D", np.zeros((2, 2, 2)), 2),
        ("k > n", np.zeros((3, 2)), 4),
        ("complex", np.array([[1 + 1j, 2.0], [3.0, 4.0], [5.0, 6.0]]), 2),
        ("strings", np.array([["a", "b"], ["c", "d"]]), 1),
        ("sparse", sp.csr_matrix(np.eye(4)), 2),
    ],
)
def test_bad_input_raises_sklearns_exception_type(name, X, k):
    ours, msg = _error_type(lambda: KMeans(k), X)
    theirs, _ = _error_type(lambda: SKKMeans(k), X)
    if name == "sparse":
        assert ours is TypeError and "dense" in msg  # scikit-learn accepts CSR
        return
    assert ours is not None, name
    assert ours is theirs, (name, ours, theirs, msg)
    assert msg


def test_bad_weights_and_parameters():
    X = _blobs(50, 2, 2, 7)
    with pytest.raises(ValueError, match="Negative"):
        KMeans(2).fit(X, sample_weight=-np.ones(50))
    with pytest.raises(ValueError):
        KMeans(2).fit(X, sample_weight=np.ones(49))
    with pytest.raises(ValueError, match="positive weight"):
        KMeans(3).fit(X, sample_weight=np.r_[np.ones(2), np.zeros(48)])
    for bad in (dict(n_clusters=0), dict(tol=-1.0), dict(algorithm="x"),
                dict(precision="f16"), dict(n_threads=-1), dict(init="kmeans")):
        with pytest.raises(ValueError):
            KMeans(**{"n_clusters": 2, **bad}).fit(X)
    with pytest.raises(ValueError, match="shape of the initial centers"):
        KMeans(2, init=X[:3]).fit(X)
    with pytest.raises(ValueError, match="features"):
        KMeans(2, random_state=0).fit(X).predict(np.zeros((2, 3)))


def test_duplicate_points_warn_like_sklearn():
    X = np.zeros((10, 2))
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        KMeans(3, random_state=0).fit(X)


def test_elbow_equals_separate_fits():
    X = _blobs(3000, 3, 5, 8)
    models = elbow(X, 6, k_min=2, random_state=4, n_init=2)
    assert [m.n_clusters for m in models] == [2, 3, 4, 5, 6]
    for m in models:
        one = KMeans(m.n_clusters, random_state=4, n_init=2).fit(X)
        np.testing.assert_array_equal(m.labels_, one.labels_)
        np.testing.assert_array_equal(m.cluster_centers_, one.cluster_centers_)
        assert m.inertia_ == one.inertia_
        np.testing.assert_array_equal(m.predict(X), one.labels_)


def test_fit_on_a_path(tmp_path):
    X = _blobs(800, 3, 4, 9)
    ref = KMeans(4, random_state=2).fit(X)
    npy = tmp_path / "x.npy"
    np.save(npy, X)
    csv = tmp_path / "x.csv"
    with open(csv, "w") as f:
        f.write("ID,feature_1,feature_2,feature_3\n")
        for i, row in enumerate(X):
            f.write(f"p{i}," + ",".join(repr(float(v)) for v in row) + "\n")
    for path in (npy, str(csv)):
        km = KMeans(4, random_state=2).fit(path)
        assert km.n_features_in_ == 3
        np.testing.assert_array_equal(km.labels_, ref.labels_)
        np.testing.assert_array_equal(km.cluster_centers_, ref.cluster_centers_)
    sweep = elbow(npy, 4, random_state=2)
    np.testing.assert_array_equal(sweep[-1].labels_, ref.labels_)
    with pytest.raises(OSError):
        KMeans(2).fit(tmp_path / "missing.npy")


def test_kernels_give_the_same_bits():
    # The loop orders and the screened kernel (f32 screen, f64 re-check) must give
    # the f64 kernel's result bit for bit, at a shape where auto takes the blocked
    # order (k > 32, k*d*8 >= 512 KiB) and the screen settles most rows.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3000, 160)) + rng.integers(0, 40, size=(3000, 1))
    init = X[rng.choice(len(X), 420, replace=False)]
    fits = {
        kernel: KMeans(420, init=init, n_init=1, max_iter=4, kernel=kernel).fit(X)
        for kernel in ("auto", "tiled", "blocked", "screened", "scalar")
    }
    want = fits["auto"]
    for kernel, km in fits.items():
        np.testing.assert_array_equal(km.labels_, want.labels_, err_msg=kernel)
        np.testing.assert_array_equal(km.cluster_centers_, want.cluster_centers_, err_msg=kernel)
        assert km.inertia_ == want.inertia_, kernel
        assert km.n_iter_ == want.n_iter_, kernel
    with pytest.raises(ValueError):
        KMeans(3, kernel="gpu").fit(X[:10])
