"""Tests of the Python k-means contestants (unittest only; run with the project venv):

    .venv/bin/python baselines/tests/test_baselines.py        # prints "N passed, N failed"
    .venv/bin/python -m unittest discover -s baselines/tests   # same tests

Every contestant runs as a subprocess, exactly as the harness runs it.
"""
import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINES = os.path.dirname(HERE)
PY = sys.executable


def script(name):
    return os.path.join(BASELINES, f"kmeans_{name}.py")


def run(name, *args, timeout=120):
    return subprocess.run([PY, script(name), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def make_blobs(n, d, k, seed, std=0.5, min_sep=6.0):
    """Gaussian blobs with centers at least min_sep apart, equal sizes, shuffled rows."""
    rng = np.random.default_rng(seed)
    centers = []
    while len(centers) < k:
        c = rng.uniform(-15, 15, size=d)
        if all(np.linalg.norm(c - o) >= min_sep for o in centers):
            centers.append(c)
    centers = np.array(centers)
    y = np.repeat(np.arange(k), n // k)
    y = np.concatenate([y, np.arange(n - len(y))])
    X = centers[y] + rng.normal(scale=std, size=(n, d))
    perm = rng.permutation(n)
    return X[perm], y[perm]


class Baselines(unittest.TestCase):
    K = 4

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="baselines-test-")
        cls.X, cls.y = make_blobs(n=600, d=3, k=cls.K, seed=7)
        cls.ids = [f"pt{i:04d}" for i in range(len(cls.X))]
        cls.ids[3] = "with,comma"  # quoted in the CSV
        frame = pd.DataFrame(cls.X, columns=[f"feature_{j + 1}" for j in range(cls.X.shape[1])])
        frame.insert(0, "ID", cls.ids)
        cls.csv = cls.path("blobs.csv")
        frame.to_csv(cls.csv, index=False)
        # Initial centers: K data rows picked at random (not one per blob on purpose, so
        # Lloyd has several iterations and an empty-cluster-free path to the answer).
        rng = np.random.default_rng(3)
        cls.init = cls.X[rng.choice(len(cls.X), cls.K, replace=False)]
        cls.centers_csv = cls.path("centers.csv")
        pd.DataFrame(cls.init, columns=[f"c{j}" for j in range(cls.X.shape[1])]).to_csv(cls.centers_csv, index=False)
        cls.optional = {name: importlib.util.find_spec(name) is not None for name in ("faiss", "sklearnex")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.tmp, name)

    def fit(self, name, *args, output=None, summary=True):
        output = output or self.path(f"out_{name}_{abs(hash(args))}.csv")
        extra = ["--summary", output + ".json"] if summary else []
        r = run(name, "--input", self.csv, "--output", output, *args, *extra)
        self.assertEqual(r.returncode, 0, f"{name} failed: {r.stderr}")
        out = pd.read_csv(output, dtype={"ID": str}, keep_default_na=False)
        s = None
        if summary:
            with open(output + ".json") as f:
                s = json.load(f)
        return out, s

    # ---------------------------------------------------------------- agreement

    def test_same_init_centers_numpy_equals_sklearn(self):
        out_np, s_np = self.fit("numpy", "--init-centers", self.centers_csv)
        out_sk, s_sk = self.fit("sklearn", "--init-centers", self.centers_csv)
        col = f"cluster_{self.K}"
        self.assertEqual(list(out_np.columns)[-1], col)
        np.testing.assert_array_equal(out_np[col].to_numpy(), out_sk[col].to_numpy())
        r_np, r_sk = s_np["results"][0], s_sk["results"][0]
        self.assertEqual(r_np["k"], self.K)
        self.assertLessEqual(abs(r_np["inertia"] - r_sk["inertia"]), 1e-9 * r_sk["inertia"])
        np.testing.assert_allclose(r_np["centers"], r_sk["centers"], rtol=1e-9, atol=1e-9)
        self.assertEqual(r_np["iterations"], r_sk["iterations"])
        self.assertTrue(r_np["converged"] and r_sk["converged"])
        self.assertGreater(r_np["iterations"], 1)

    def test_rust_py_equals_sklearn_and_the_sweep_equals_rust_flat(self):
        # The kmeans_roofline package (installed into the venv by scripts/venv.sh).
        if importlib.util.find_spec("kmeans_roofline") is None:
            self.skipTest("kmeans_roofline is not installed (scripts/venv.sh)")
        out_py, s_py = self.fit("rust_py", "--init-centers", self.centers_csv)
        out_sk, s_sk = self.fit("sklearn", "--init-centers", self.centers_csv)
        col = f"cluster_{self.K}"
        np.testing.assert_array_equal(out_py[col].to_numpy(), out_sk[col].to_numpy())
        r_py, r_sk = s_py["results"][0], s_sk["results"][0]
        self.assertLessEqual(abs(r_py["inertia"] - r_sk["inertia"]), 1e-10 * r_sk["inertia"])
        self.assertEqual(r_py["iterations"], r_sk["iterations"])
        self.assertEqual(s_py["contestant"], "rust-py")
        # The full sweep: the same labels as the kmeans binary's flat layout.
        kmeans = os.path.join(BASELINES, "..", "target", "release", "kmeans")
        if not os.path.exists(kmeans):
            return
        out_py, _ = self.fit("rust_py", "--k-max", 5, "--seed", 9, summary=False)
        flat = self.path("flat.csv")
        r = subprocess.run([kmeans, "--input", self.csv, "--output", flat, "--k-max", "5",
                            "--seed", "9", "--layout", "flat"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        out_rs = pd.read_csv(flat, dtype={"ID": str}, keep_default_na=False)
        for k in range(1, 6):
            np.testing.assert_array_equal(out_py[f"cluster_{k}"], out_rs[f"cluster_{k}"])

    def test_empty_cluster_relocation_numpy_equals_sklearn(self):
        # One initial center far from every point: its cluster is empty at the first
        # assignment and must be relocated to the farthest point, as scikit-learn does.
        init = np.vstack([self.init[:3], [[1000.0, 1000.0, 1000.0]]])
        path = self.path("centers_far.csv")
        pd.DataFrame(init).to_csv(path, index=False, header=False)  # no header this time
        out_np, s_np = self.fit("numpy", "--init-centers", path)
        out_sk, s_sk = self.fit("sklearn", "--init-centers", path)
        col = f"cluster_{self.K}"
        np.testing.assert_array_equal(out_np[col].to_numpy(), out_sk[col].to_numpy())
        self.assertEqual(len(set(out_np[col])), self.K)
        a, b = s_np["results"][0]["inertia"], s_sk["results"][0]["inertia"]
        self.assertLessEqual(abs(a - b), 1e-9 * b)

    def test_same_init_centers_optional_contestants(self):
        out_np, s_np = self.fit("numpy", "--init-centers", self.centers_csv)
        col = f"cluster_{self.K}"
        ran = 0
        # faiss has no tolerance (it stops when the objective stops changing) and computes
        # in float32: compare it with numpy at --tol 0 (stop only when labels are stable).
        out_np0, s_np0 = self.fit("numpy", "--init-centers", self.centers_csv, "--tol", 0)
        for name, tol, rel in (("sklearnex", [], 1e-9), ("faiss", ["--tol", 0], 1e-6)):
            if not self.optional[name]:
                continue
            ran += 1
            ref_out, ref_s = (out_np0, s_np0) if tol else (out_np, s_np)
            out, s = self.fit(name, "--init-centers", self.centers_csv, *tol)
            np.testing.assert_array_equal(out[col].to_numpy(), ref_out[col].to_numpy(), err_msg=name)
            a, b = s["results"][0]["inertia"], ref_s["results"][0]["inertia"]
            self.assertLessEqual(abs(a - b), rel * b, name)
        if ran == 0:
            self.skipTest("neither faiss-cpu nor scikit-learn-intelex is installed")

    def test_ari_at_true_k(self):
        from sklearn.metrics import adjusted_rand_score

        for name in ("numpy", "sklearn"):
            out, s = self.fit(name, "--k-max", self.K, "--seed", 42)
            ari = adjusted_rand_score(self.y, out[f"cluster_{self.K}"].to_numpy())
            self.assertGreaterEqual(ari, 0.99, name)
            self.assertEqual([r["k"] for r in s["results"]], list(range(1, self.K + 1)))
            inertias = [r["inertia"] for r in s["results"]]
            self.assertLess(inertias[-1], inertias[0] / 10, name)  # the elbow is there

    def test_deterministic(self):
        a = self.path("det_a.csv")
        b = self.path("det_b.csv")
        self.fit("numpy", "--k-max", 3, output=a, summary=False)
        self.fit("numpy", "--k-max", 3, output=b, summary=False)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())
        # per-k seeding: k = 3 does not depend on which other k ran
        c = self.path("det_c.csv")
        self.fit("numpy", "--k-min", 3, "--k-max", 3, output=c, summary=False)
        self.assertTrue((pd.read_csv(a)["cluster_3"] == pd.read_csv(c)["cluster_3"]).all())

    # ---------------------------------------------------------------- format

    def test_output_columns_and_row_order(self):
        inp = pd.read_csv(self.csv, dtype={"ID": str}, keep_default_na=False)
        for name in ("numpy", "sklearn"):
            out, s = self.fit(name, "--k-max", 3, "--k-min", 2)
            self.assertEqual(list(out.columns), list(inp.columns) + ["cluster_2", "cluster_3"], name)
            self.assertEqual(list(out["ID"]), self.ids, name)
            np.testing.assert_array_equal(out.iloc[:, 1:4].to_numpy(), self.X)  # exact echo
            for k in (2, 3):
                labels = out[f"cluster_{k}"].to_numpy()
                self.assertEqual(labels.dtype.kind, "i")
                self.assertEqual(set(labels), set(range(k)))
            self.assertEqual((s["n"], s["d"], s["contestant"]), (600, 3, name))
            for key in ("import_s", "read_s", "fit_s", "write_s", "total_s"):
                self.assertGreaterEqual(s["timings"][key], 0.0)
            self.assertIsInstance(s["blas"], list)
            r = s["results"][0]
            self.assertEqual(set(r), {"k", "inertia", "iterations", "converged", "seconds", "centers"})
            self.assertEqual(np.array(r["centers"]).shape, (2, 3))

    def test_npy_input_and_aliases(self):
        npy = self.path("blobs32.npy")
        np.save(npy, self.X.astype(np.float32))
        out = self.path("npy_out.csv")
        r = run("numpy", "--input", npy, "--output", out, "--k_clusters_max", 2, "--random-state", 1)
        self.assertEqual(r.returncode, 0, r.stderr)
        df = pd.read_csv(out)
        self.assertEqual(list(df.columns), ["ID", "feature_1", "feature_2", "feature_3", "cluster_1", "cluster_2"])
        self.assertEqual(list(df["ID"]), list(range(len(self.X))))
        np.testing.assert_array_equal(df[["feature_1", "feature_2", "feature_3"]].to_numpy(dtype=np.float32),
                                      self.X.astype(np.float32))

    def test_csv_dialect_bom_crlf_quotes_no_final_newline(self):
        path = self.path("dialect.csv")
        with open(path, "wb") as f:
            f.write(b'\xef\xbb\xbfID,feature_1,feature_2\r\n"a,1",0.0,0.0\r\nb,0.1,0.0\r\n007,10.0,10.0\r\nd,10.1,10.0')
        out = self.path("dialect_out.csv")
        r = run("numpy", "--input", path, "--output", out, "--k-max", 2)
        self.assertEqual(r.returncode, 0, r.stderr)
        df = pd.read_csv(out, dtype={"ID": str})
        self.assertEqual(list(df["ID"]), ["a,1", "b", "007", "d"])
        self.assertEqual(list(df.columns)[0], "ID")
        lab = df["cluster_2"].to_numpy()
        self.assertEqual(lab[0], lab[1])
        self.assertEqual(lab[2], lab[3])
        self.assertNotEqual(lab[0], lab[2])

    def test_sklearn_threads_and_init_choices(self):
        out, s = self.fit("sklearn", "--k-max", 2, "--threads", 1, "--init", "greedy-k-means++")
        self.assertEqual(s["threads"], 1)
        out, s = self.fit("sklearn", "--k-max", 2, "--init", "random")
        self.assertEqual(s["init"], "random")

    # ---------------------------------------------------------------- errors

    def assert_usage_error(self, name, args, needle):
        out = self.path(f"err_{name}.csv")
        summary = self.path(f"err_{name}.json")
        r = run(name, *args, "--output", out, "--summary", summary)
        msg = f"{name} {args}: rc={r.returncode} stderr={r.stderr!r}"
        self.assertEqual(r.returncode, 2, msg)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, msg)
        self.assertIn(needle, lines[0], msg)
        self.assertNotIn("Traceback", r.stderr)
        self.assertEqual(r.stdout, "", msg)
        self.assertFalse(os.path.exists(out), msg)
        self.assertFalse(os.path.exists(summary), msg)
        leftovers = [f for f in os.listdir(self.tmp) if f.endswith(".tmp")]
        self.assertEqual(leftovers, [], msg)

    def assert_usage_error_in_process(self, args, needle):
        sys.path.insert(0, BASELINES)
        try:
            import _common
            import kmeans_numpy
        finally:
            sys.path.remove(BASELINES)
        out = self.path("err_inproc.csv")
        summary = self.path("err_inproc.json")
        argv = [str(a) for a in args] + ["--output", out, "--summary", summary]
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()) as stdout:
            rc = _common.run("numpy", 0.0, kmeans_numpy.fit_one, inits=("k-means++",), description="",
                             versions=kmeans_numpy.versions, argv=argv)
        msg = f"{argv}: rc={rc} stderr={err.getvalue()!r}"
        self.assertEqual(rc, 2, msg)
        lines = err.getvalue().strip().splitlines()
        self.assertEqual(len(lines), 1, msg)
        self.assertIn(needle, lines[0], msg)
        self.assertEqual(stdout.getvalue(), "", msg)
        self.assertFalse(os.path.exists(out), msg)
        self.assertFalse(os.path.exists(summary), msg)
        self.assertEqual([f for f in os.listdir(self.tmp) if f.endswith(".tmp")], [], msg)

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def test_bad_inputs_exit_2(self):
        w = self.write
        np.save(self.path("ints.npy"), np.arange(6).reshape(3, 2))
        np.save(self.path("nan.npy"), np.array([[1.0, np.nan], [0.0, 1.0]]))
        np.save(self.path("flat.npy"), np.zeros(4))
        cases = [
            (["--input", self.path("missing.csv"), "--k-max", 2], "not found"),
            (["--input", w("ragged_short.csv", "ID,f1,f2\na,1,2\nb,3\n"), "--k-max", 1], "line 3"),
            (["--input", w("ragged_long.csv", "ID,f1,f2\na,1,2\nb,3,4,5\n"), "--k-max", 1], "ragged"),
            (["--input", w("text.csv", "ID,f1,f2\na,1,2\nb,x,4\n"), "--k-max", 1], "non-numeric"),
            (["--input", w("nan.csv", "ID,f1,f2\na,1,2\nb,nan,4\n"), "--k-max", 1], "non-finite"),
            (["--input", w("inf.csv", "ID,f1,f2\na,1,2\nb,-inf,4\n"), "--k-max", 1], "non-finite"),
            (["--input", w("empty.csv", ""), "--k-max", 1], "empty"),
            (["--input", w("header.csv", "ID,f1\n"), "--k-max", 1], "no data rows"),
            (["--input", w("nofeat.csv", "ID\na\nb\n"), "--k-max", 1], "d = 0"),
            (["--input", self.path("ints.npy"), "--k-max", 1], "dtype"),
            (["--input", self.path("nan.npy"), "--k-max", 1], "non-finite"),
            (["--input", self.path("flat.npy"), "--k-max", 1], "2-D"),
            (["--input", self.csv, "--k-max", 601], "larger than the number of points"),
            (["--input", self.csv, "--k-max", 0], "--k-max"),
            (["--input", self.csv, "--k-max", 3, "--k-min", 4], "--k-min"),
            (["--input", self.csv, "--k-max", 3, "--k-min", 0], "--k-min"),
            (["--input", self.csv], "--k-max is required"),
            (["--input", self.csv, "--k-max", "two"], "--k-max"),
            (["--input", self.csv, "--k-max", 2, "--init", "bogus"], "--init"),
            (["--input", self.csv, "--k-max", 2, "--frobnicate"], "unrecognized"),
            (["--input", self.csv, "--init-centers", w("c2.csv", "1,2\n3,4\n")], "d = 3"),
            (["--input", self.csv, "--init-centers", w("cx.csv", "1,2,3\n4,x,6\n")], "non-numeric"),
            (["--input", self.csv, "--init-centers", self.path("nope.csv")], "not found"),
            (["--input", self.csv, "--k-max", 2, "--seed", -1], "--seed"),
        ]
        # Every case in-process through the shared runner (fast), exactly as main() runs it...
        for args, needle in cases:
            with self.subTest(args=args, how="in-process"):
                self.assert_usage_error_in_process(args, needle)
        # ...and representative cases as real subprocesses of every contestant.
        self.assert_usage_error("numpy", ["--input", self.csv, "--k-max", 2, "--init", "random"], "random")
        for name in ["numpy", "sklearn"] + [n for n, ok in self.optional.items() if ok]:
            for args, needle in (cases[1], cases[20]) if name != "numpy" else (cases[1], cases[4], cases[12], cases[20]):
                with self.subTest(name=name, args=args):
                    self.assert_usage_error(name, args, needle)

    def test_missing_optional_package_exits_3(self):
        for name, module, package in (("faiss", "faiss", "faiss-cpu"),
                                      ("sklearnex", "sklearnex", "scikit-learn-intelex")):
            code = (f"import sys, runpy; sys.modules[{module!r}] = None; sys.path.insert(0, {BASELINES!r}); "
                    f"sys.argv = [{script(name)!r}, '--input', 'x.csv', '--output', 'y.csv', '--k-max', '2']; "
                    f"runpy.run_path({script(name)!r}, run_name='__main__')")
            r = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertEqual(r.stderr.strip(), f"{package} is not installed")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    line = f"{passed} passed, {failed} failed"
    if result.skipped:
        line += f", {len(result.skipped)} skipped"
    print(line)
    sys.exit(1 if failed or result.testsRun == 0 else 0)
