"""The scikit-learn estimator over the Rust kernels (``kmeans_roofline._core``)."""

import os
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    _is_arraylike_not_scalar,
    check_array,
    check_is_fitted,
    validate_data,
)

from . import _core

_ALGORITHMS = {"lloyd", "elkan", "hamerly", "auto"}
_INITS = {"k-means++", "k-means++-plain", "random", "k-means||"}


def _seed(random_state):
    """A 64-bit seed for the Rust RNG: the int itself, or one draw from the
    RandomState (the global one for None), as scikit-learn draws its seeds."""
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state) & (2**64 - 1)
    rs = check_random_state(random_state)
    return int(rs.randint(np.iinfo(np.int32).max, dtype=np.int64))


def _is_path(X):
    return isinstance(X, (str, os.PathLike))


def _threads(n_threads):
    return 0 if n_threads is None else int(n_threads)


class KMeans(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """K-Means clustering on the project's SIMD, deterministic-parallel Rust kernels.

    A drop-in for :class:`sklearn.cluster.KMeans`: the same parameters, defaults,
    attributes and semantics (Lloyd with a relative tolerance, empty clusters moved
    to the farthest points, a final label pass, greedy k-means++ seeding), plus
    ``n_threads`` and ``precision``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters.
    init : {"k-means++", "k-means++-plain", "random", "k-means||"}, callable or \
            array of shape (n_clusters, n_features), default="k-means++"
        "k-means++" is scikit-learn's greedy k-means++ (2 + floor(ln k) candidates
        per step); "k-means++-plain" is plain D² sampling; "random" picks
        n_clusters distinct rows (weighted by sample_weight); "k-means||" is
        Bahmani et al.'s k-means|| (5 rounds sampling about 2 * n_clusters rows
        each, the candidates weighted by their nearest rows and reduced by
        weighted greedy k-means++). A callable is called
        as ``init(X, n_clusters, random_state=RandomState)``. An array gives the
        initial centers (one start).
    n_init : "auto" or int, default="auto"
        Starts; the lowest inertia wins. "auto" is 1 for "k-means++",
        "k-means++-plain", "k-means||" and arrays, 10 for "random" and callables.
    max_iter : int, default=300
        Maximum Lloyd iterations per start.
    tol : float, default=1e-4
        Stop when the squared center shift is at most ``tol`` times the mean
        per-feature variance of X (scikit-learn's rule).
    verbose : int, default=0
        Accepted for compatibility; nothing is printed.
    random_state : int, RandomState instance or None, default=None
        Seeds the Rust RNG (an int is used as is; a RandomState or None gives one
        draw). The same int gives the same result on every machine and thread
        count, but not scikit-learn's clustering: the random streams differ.
    copy_x : bool, default=True
        Accepted for compatibility: X is never modified (nor copied when it is a
        C-contiguous float64/float32 array).
    algorithm : {"lloyd", "elkan", "hamerly", "auto"}, default="lloyd"
        How the assignment step finds the nearest centers. All give the same
        labels, centers and inertia bit for bit; "auto" picks the fastest by shape
        (Hamerly for small d). precision "f32" always runs Lloyd.
    n_threads : int or None, default=None
        Worker threads: None or 0 = chosen from the problem size (all cores for
        large problems, one for tiny ones), 1 = serial. Results do not depend on
        it. These threads are the Rust library's own, invisible to threadpoolctl.
    precision : {"auto", "f64", "f32"}, default="auto"
        Arithmetic of the distances: "auto" follows X's dtype (float32 data is
        fitted in f32, as scikit-learn does). In "f32" the sums, centers and inertia
        are still accumulated in float64.
    kernel : {"auto", "tiled", "blocked", "screened", "scalar"}, default="auto"
        The f64 assignment kernel. All give the same labels, centers and inertia bit
        for bit. "auto" picks the register-tiled or the cache-blocked loop order by
        shape; "screened" screens every row in f32 under a rigorous rounding bound
        and re-checks in f64 only the rows it cannot settle: f64-exact results at
        nearly f32 speed at large n_features × n_clusters, for an f32 copy of X
        (half of X's float64 bytes). Lloyd only; with precision "f32" it is ignored.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features), X's dtype
    labels_ : ndarray of shape (n_samples,), int32
    inertia_ : float
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when X has feature names that are all strings.
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions(_INITS), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "copy_x": ["boolean"],
        "algorithm": [StrOptions(_ALGORITHMS)],
        "n_threads": [Interval(Integral, 0, None, closed="left"), None],
        "precision": [StrOptions({"auto", "f64", "f32"})],
        "kernel": [StrOptions({"auto", "tiled", "blocked", "screened", "scalar"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        n_threads=None,
        precision="auto",
        kernel="auto",
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
        self.kernel = kernel

    # -- fitting -------------------------------------------------------------

    def _validate_fit_input(self, X, sample_weight):
        """X as a 2-D C-contiguous float64/float32 array (no copy when it already is
        one, read-only memmaps included) and the weights as float64, or None."""
        # NaN and infinities are found by the Rust fit in its one pass over X (with
        # the overflow limits, the row norms and the column means), which raises
        # ValueError naming the row and column; scikit-learn's own check would be
        # one more pass over X per fit.
        X = validate_data(
            self,
            X,
            accept_sparse=False,
            dtype=[np.float64, np.float32],
            order="C",
            copy=False,
            ensure_all_finite=False,
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
            if np.any(sample_weight < 0):
                raise ValueError("Negative values in data passed to `sample_weight`")
        return X, sample_weight

    def _resolved(self, n_samples, dtype):
        """(n_init, algorithm, precision) after scikit-learn's rules."""
        if n_samples is not None and n_samples < self.n_clusters:
            raise ValueError(
                f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}."
            )
        init_is_array = _is_arraylike_not_scalar(self.init)
        if self.n_init == "auto":
            n_init = (
                10
                if callable(self.init)
                or (isinstance(self.init, str) and self.init == "random")
                else 1
            )
        else:
            n_init = self.n_init
        if init_is_array and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only"
                f" one init in {self.__class__.__name__} instead of "
                f"n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        algorithm = self.algorithm
        if algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn(
                "algorithm='elkan' doesn't make sense for a single "
                "cluster. Using 'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            algorithm = "lloyd"
        precision = self.precision
        if precision == "auto":
            precision = "f32" if dtype == np.float32 else "f64"
        if precision == "f32":
            algorithm = "lloyd"  # the bounds are exact for f64 only; same results
        return n_init, algorithm, precision

    def _init_centers(self, X, dtype, random_state):
        """The explicit initial centers as float64 (k, d), or None."""
        init = self.init
        if _is_arraylike_not_scalar(init):
            centers = check_array(init, dtype=dtype, copy=False, order="C")
        elif callable(init):
            centers = init(X, self.n_clusters, random_state=random_state)
            centers = check_array(centers, dtype=dtype, copy=False, order="C")
        else:
            return None
        if centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of clusters {self.n_clusters}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} does not "
                f"match the number of features of the data {X.shape[1]}."
            )
        return np.ascontiguousarray(centers, dtype=np.float64)

    def _run(self, X, path, sample_weight, k_min=None):
        """Calls the Rust fit on X (or the file at path); returns the per-k tuples,
        the dtype of the results and (n, d)."""
        dtype = np.float64 if X is None else X.dtype
        n_init, algorithm, precision = self._resolved(
            None if X is None else X.shape[0], dtype
        )
        random_state = check_random_state(self.random_state)
        centers = None
        init = "k-means++"
        if isinstance(self.init, str):
            init = self.init
        elif X is not None:
            centers = self._init_centers(X, dtype, random_state)
        else:
            raise ValueError("a callable or array init needs X, not a path")
        seed = (
            _seed(self.random_state)
            if centers is None or n_init > 1
            else 0
        )
        fits, shape = _core.fit(
            X,
            None if path is None else os.fspath(path),
            self.n_clusters,
            k_min,
            init,
            centers,
            n_init,
            self.max_iter,
            float(self.tol),
            algorithm,
            precision,
            seed,
            _threads(self.n_threads),
            sample_weight,
            kernel=self.kernel,
        )
        return fits, dtype, shape, precision

    def _set_fitted(self, result, dtype, precision):
        labels, centers, inertia, n_iter, _converged, _algorithm, threads = result
        self.cluster_centers_ = centers.astype(dtype, copy=False)
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self._n_threads = int(threads)
        self._precision = precision
        self._n_features_out = self.cluster_centers_.shape[0]
        distinct = np.count_nonzero(np.bincount(labels, minlength=self.n_clusters))
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than "
                f"n_clusters ({self.n_clusters}). Possibly due to duplicate points "
                "in X.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or a path
            Training data. A C-contiguous float64 or float32 ndarray (a read-only
            ``np.memmap`` too) is used in place, without a copy; anything else is
            converted by scikit-learn's ``check_array``. A ``str`` or
            ``os.PathLike`` is a CSV (``ID,feature_1,…``) or ``.npy`` file read by
            the Rust loader (``.npy`` memory-mapped).
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every row.

        Returns
        -------
        self : KMeans
        """
        if _is_path(X):
            if sample_weight is not None:
                sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
            fits, dtype, (_n, d), precision = self._run(None, X, sample_weight)
            self.n_features_in_ = d
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return self._set_fitted(fits[0], dtype, precision)
        X, sample_weight = self._validate_fit_input(X, sample_weight)
        fits, dtype, _shape, precision = self._run(X, None, sample_weight)
        return self._set_fitted(fits[0], dtype, precision)

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_``."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit and return the distances of X to the centers, ``(n, n_clusters)``."""
        self.fit(X, sample_weight=sample_weight)
        if _is_path(X):
            raise ValueError("fit_transform needs an array, not a path")
        return self.transform(X)

    # -- using a fitted model ----------------------------------------------------

    def _check_test_data(self, X):
        return validate_data(
            self,
            X,
            accept_sparse=False,
            reset=False,
            dtype=[np.float64, np.float32],
            order="C",
        )

    def _centers64(self):
        return np.ascontiguousarray(self.cluster_centers_, dtype=np.float64)

    def predict(self, X):
        """The index of the closest center of every row of X (int32)."""
        check_is_fitted(self)
        X = self._check_test_data(X)
        return _core.predict(
            self._centers64(),
            X,
            getattr(self, "_precision", "f64"),
            _threads(self.n_threads),
        )

    def transform(self, X):
        """The Euclidean distance of every row of X to every center, in X's dtype."""
        check_is_fitted(self)
        X = self._check_test_data(X)
        out = _core.transform(self._centers64(), X, _threads(self.n_threads))
        return out.astype(X.dtype, copy=False)

    def score(self, X, y=None, sample_weight=None):
        """Minus the k-means objective of X: ``-Σ w·‖x − nearest center‖²``."""
        check_is_fitted(self)
        X = self._check_test_data(X)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        labels = self.predict(X)
        diff = X.astype(np.float64, copy=False) - self._centers64()[labels]
        return -float(np.dot(np.einsum("ij,ij->i", diff, diff), sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def elbow(
    X,
    k_max,
    *,
    k_min=1,
    sample_weight=None,
    **params,
):
    """Fit every k of ``k_min..k_max`` in one call (the elbow sweep).

    Each k-means++ seeding continues the previous k's (warm seeding), so the sweep
    costs much less than separate fits, with the same results bit for bit as
    ``KMeans(n_clusters=k, **params).fit(X)`` for every k.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), or a path (CSV or .npy)
    k_max : int
    k_min : int, default=1
    sample_weight : array-like of shape (n_samples,), default=None
    **params
        Any other :class:`KMeans` parameter (``init`` must be a string).

    Returns
    -------
    list of KMeans
        One fitted model per k, in order of k.
    """
    if not (isinstance(k_min, Integral) and isinstance(k_max, Integral)):
        raise TypeError("k_min and k_max must be integers")
    if not 1 <= k_min <= k_max:
        raise ValueError(f"need 1 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    template = KMeans(n_clusters=int(k_max), **params)
    template._validate_params()
    if not isinstance(template.init, str):
        raise ValueError("elbow needs a string init ('k-means++', 'random', ...)")
    if _is_path(X):
        if sample_weight is not None:
            sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
        fits, dtype, (_n, d), precision = template._run(
            None, X, sample_weight, k_min=int(k_min)
        )
        names = None
    else:
        X, sample_weight = template._validate_fit_input(X, sample_weight)
        fits, dtype, _shape, precision = template._run(
            X, None, sample_weight, k_min=int(k_min)
        )
        d = X.shape[1]
        names = getattr(template, "feature_names_in_", None)
    models = []
    for k, result in zip(range(int(k_min), int(k_max) + 1), fits):
        m = KMeans(n_clusters=k, **params)
        m.n_features_in_ = d
        if names is not None:
            m.feature_names_in_ = names
        m._set_fitted(result, dtype, precision)
        models.append(m)
    return models
