"""k-means on SIMD, deterministic-parallel Rust kernels, as a scikit-learn estimator.

>>> import numpy as np
>>> from kmeans_roofline import KMeans
>>> X = np.array([[0.0, 0.0], [0.1, 0.1], [10.0, 10.0], [10.1, 10.1]])
>>> km = KMeans(n_clusters=2, random_state=0).fit(X)
>>> bool(km.labels_[0] == km.labels_[1] != km.labels_[2])
True

``kmeans_roofline.elbow(X, k_max)`` fits every k of 1..k_max in one call.

``KMeans`` and ``elbow`` are loaded on first use (PEP 562): importing the package
itself costs about a millisecond; scikit-learn (the estimator's base classes,
hundreds of milliseconds to import) is imported when ``KMeans`` is first named.
"""

__all__ = ["KMeans", "elbow"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        from . import _estimator

        value = getattr(_estimator, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
