"""The `kmeans` binary against scikit-learn, through the project venv: --sample-weight
and --n-init (issue 9). Run by scripts/test.sh after the release build:

    .venv/bin/python kernels/tests/test_vs_sklearn.py [path/to/kmeans]

Every case runs the binary as a subprocess, as a user would.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import warnings

import numpy as np
from sklearn.cluster import KMeans

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KMEANS = os.path.join(ROOT, "target", "release", "kmeans")


def blobs(n, d, k, seed, std=1.0):
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, size=(k, d))
    labels = rng.integers(k, size=n)
    return centers[labels] + rng.normal(scale=std, size=(n, d))


def write_csv(path, X):
    with open(path, "w") as f:
        f.write("ID," + ",".join(f"f{j}" for j in range(X.shape[1])) + "\n")
        for i, row in enumerate(X):
            f.write(f"r{i}," + ",".join(repr(float(v)) for v in row) + "\n")


def write_weights(path, w):
    with open(path, "w") as f:
        f.write("weight\n")
        for v in w:
            f.write(repr(float(v)) + "\n")


def write_centers(path, C):
    with open(path, "w") as f:
        for row in C:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def kmeans(self, *args, ok=True):
        p = subprocess.run([KMEANS, *map(str, args)], capture_output=True, text=True, timeout=300)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def fit(self, X, *args):
        """Runs kmeans on X; returns (labels n × K, summary)."""
        data, out, summ = self.path("x.csv"), self.path("out.npy"), self.path("s.json")
        if not os.path.exists(data):
            write_csv(data, X)
        self.kmeans("--input", data, "--output", out, "--output-format", "npy", "--summary", summ, *args)
        with open(summ) as f:
            return np.load(out), json.load(f)

    def test_sample_weight_equals_sklearn_from_the_same_centers(self):
        for (n, d, k, seed) in [(500, 3, 4, 1), (1000, 8, 6, 2), (997, 33, 5, 3), (400, 2, 7, 4)]:
            with self.subTest(n=n, d=d, k=k):
                for f in os.listdir(self.dir):
                    os.remove(self.path(f))
                X = blobs(n, d, k, seed)
                rng = np.random.default_rng(seed + 100)
                w = rng.uniform(0, 3, size=n)
                w[rng.integers(n, size=n // 10)] = 0.0  # some rows weigh nothing
                C0 = X[rng.choice(n, size=k, replace=False)]
                write_weights(self.path("w.csv"), w)
                write_centers(self.path("c.csv"), C0)
                labels, s = self.fit(X, "--init-centers", self.path("c.csv"), "--sample-weight", self.path("w.csv"))
                km = KMeans(n_clusters=k, init=C0, n_init=1, algorithm="lloyd", max_iter=300, tol=1e-4)
                km.fit(X, sample_weight=w)
                r = s["results"][0]
                np.testing.assert_array_equal(labels[:, 0], km.labels_)
                np.testing.assert_allclose(np.array(r["centers"]), km.cluster_centers_, rtol=1e-10, atol=1e-12)
                self.assertAlmostEqual(r["inertia"] / km.inertia_, 1.0, delta=1e-10)
                self.assertEqual(r["iterations"], km.n_iter_)
                # The same weights as a 1-D .npy give the same answer.
                np.save(self.path("w.npy"), w)
                labels2, s2 = self.fit(X, "--init-centers", self.path("c.csv"), "--sample-weight", self.path("w.npy"))
                np.testing.assert_array_equal(labels2, labels)
                self.assertEqual(s2["results"][0]["inertia"], r["inertia"])

    def test_weighted_empty_cluster_relocation_equals_sklearn(self):
        X = blobs(300, 4, 3, 7)
        w = np.random.default_rng(8).uniform(0.5, 2.0, size=300)
        C0 = np.vstack([X[0], X[150], np.full(4, 1e3)])  # the third center starts empty
        write_weights(self.path("w.csv"), w)
        write_centers(self.path("c.csv"), C0)
        labels, s = self.fit(X, "--init-centers", self.path("c.csv"), "--sample-weight", self.path("w.csv"))
        km = KMeans(n_clusters=3, init=C0, n_init=1, algorithm="lloyd").fit(X, sample_weight=w)
        np.testing.assert_array_equal(labels[:, 0], km.labels_)
        np.testing.assert_allclose(np.array(s["results"][0]["centers"]), km.cluster_centers_, rtol=1e-10)

    def test_unit_weights_give_exactly_the_unweighted_result(self):
        X = blobs(2000, 5, 6, 11)
        write_weights(self.path("w1.csv"), np.ones(len(X)))
        for init in ["greedy-k-means++", "k-means++", "random"]:
            with self.subTest(init=init):
                a, sa = self.fit(X, "--k-max", 6, "--init", init, "--seed", 3)
                b, sb = self.fit(X, "--k-max", 6, "--init", init, "--seed", 3, "--sample-weight", self.path("w1.csv"))
                np.testing.assert_array_equal(a, b)
                for ra, rb in zip(sa["results"], sb["results"]):
                    self.assertEqual(ra["centers"], rb["centers"])
                    self.assertEqual(ra["inertia"], rb["inertia"])

    def test_integer_weights_equal_repeated_rows(self):
        X = blobs(600, 3, 4, 21)
        w = np.random.default_rng(22).integers(0, 4, size=600).astype(float)
        C0 = X[[0, 100, 200, 300]]
        write_weights(self.path("w.csv"), w)
        write_centers(self.path("c.csv"), C0)
        labels, s = self.fit(X, "--init-centers", self.path("c.csv"), "--sample-weight", self.path("w.csv"))
        rep = np.repeat(X, w.astype(int), axis=0)
        os.remove(self.path("x.csv"))
        labels_rep, s_rep = self.fit(rep, "--init-centers", self.path("c.csv"))
        np.testing.assert_array_equal(np.repeat(labels[:, 0], w.astype(int)), labels_rep[:, 0])
        np.testing.assert_allclose(s["results"][0]["centers"], s_rep["results"][0]["centers"], rtol=1e-12)
        self.assertAlmostEqual(s["results"][0]["inertia"] / s_rep["results"][0]["inertia"], 1.0, delta=1e-12)

    def test_n_init_keeps_the_best_start_and_matches_sklearn_quality(self):
        # Overlapping blobs: single starts land in different local minima.
        X = blobs(3000, 4, 10, 31, std=2.5)
        one, s1 = self.fit(X, "--k-max", 10, "--seed", 5)
        best, s10 = self.fit(X, "--k-max", 10, "--seed", 5, "--n-init", 10)
        for r1, r10 in zip(s1["results"], s10["results"]):
            self.assertLessEqual(r10["inertia"], r1["inertia"], f"k={r1['k']}")
        self.assertEqual(s10["n_init"], 10)
        # Results never depend on threads (starts run side by side on small data).
        for t in ["1", "2", "3"]:
            again, _ = self.fit(X, "--k-max", 10, "--seed", 5, "--n-init", 10, "--threads", t)
            np.testing.assert_array_equal(again, best)
        # Best of 10 starts is as good as scikit-learn's best of 10 (same init family).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = [KMeans(n_clusters=k, n_init=10, random_state=5).fit(X).inertia_ for k in range(1, 11)]
        ours = [r["inertia"] for r in s10["results"]]
        for k, (a, b) in enumerate(zip(ours, sk), start=1):
            self.assertLessEqual(a, b * 1.01, f"k={k}: ours {a}, sklearn {b}")

    def test_bad_weight_files_exit_2_with_one_line(self):
        X = blobs(50, 2, 2, 41)
        write_csv(self.path("x.csv"), X)
        cases = {
            "neg.csv": ("w\n" + "1\n" * 49 + "-1\n", "is negative"),
            "short.csv": ("w\n" + "1\n" * 49, "has 49 weights, the data has 50 rows"),
            "nan.csv": ("w\n" + "1\n" * 49 + "nan\n", "NaN or infinite"),
            "zero.csv": ("w\n" + "0\n" * 50, "every weight is 0"),
            "two.csv": ("a,b\n" + "1,2\n" * 50, "one column"),
            "text.csv": ("w\n" + "1\n" * 49 + "heavy\n", "not a number"),
            "few.csv": ("w\n" + "0\n" * 49 + "1\n", "only 1 rows have a positive weight"),
        }
        for name, (text, needle) in cases.items():
            with self.subTest(name=name):
                with open(self.path(name), "w") as f:
                    f.write(text)
                out = self.path("o.csv")
                p = self.kmeans("--input", self.path("x.csv"), "--output", out, "--k-max", 2,
                                "--sample-weight", self.path(name), ok=False)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(needle, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                self.assertFalse(os.path.exists(out))
        np.save(self.path("w2d.npy"), np.ones((50, 2)))
        p = self.kmeans("--input", self.path("x.csv"), "--output", self.path("o.csv"), "--k-max", 2,
                        "--sample-weight", self.path("w2d.npy"), ok=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("expected a 1-D array", p.stderr)
        p = self.kmeans("--input", self.path("x.csv"), "--output", self.path("o.csv"), "--k-max", 2,
                        "--n-init", 0, ok=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--n-init must be at least 1", p.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KMEANS = os.path.abspath(sys.argv.pop(1))
    if not os.access(KMEANS, os.X_OK):
        sys.exit(f"{KMEANS} not found: run `cargo build --release -p kernels` first")
    result = unittest.main(exit=False, verbosity=1).result
    sys.exit(0 if result.wasSuccessful() else 1)
