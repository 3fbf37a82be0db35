#!/usr/bin/env python3
"""`--precision f32` against f64 over the seed's grid (issue 9).

For every cell (n = 1k..256k, d in {2, 8, 32}, k_max in {8, 32}; one data set per
cell, the grid's first repeat), runs `kmeans` with f64 and with f32 on the same data
and seed, and records:

* the adjusted Rand index between the f32 and the f64 labels, for every k of the sweep
  (minimum and mean over k), and of each against the generating labels at k = k_max;
* the relative difference of the inertia at k = k_max;
* wall seconds of each (the summary's total, median of REPEATS runs) and their ratio.

Writes a CSV (default perf-reports/<machine>/f32.csv) and prints a Markdown table.
Run it through the project's venv (it needs numpy and scikit-learn), on a quiet machine:

    .venv/bin/python scripts/f32_vs_f64.py [--out FILE] [--sizes 1000,8000] [--repeats 3]
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KMEANS = os.path.join(ROOT, "target", "release", "kmeans")
HARNESS = os.path.join(ROOT, "target", "release", "bench-harness")
GRID_SEED = 20260609


def run(data, out, summary, k_max, precision, threads):
    subprocess.run(
        [KMEANS, "--input", data, "--output", out, "--output-format", "npy",
         "--k-max", str(k_max), "--precision", precision, "--threads", threads,
         "--summary", summary],
        check=True,
    )
    with open(summary) as f:
        s = json.load(f)
    return np.load(out), s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "perf-reports", "amd-epyc-2c", "f32.csv"))
    ap.add_argument("--sizes", default=",".join(str(1000 << i) for i in range(9)))
    ap.add_argument("--dims", default="2,8,32")
    ap.add_argument("--kmax", default="8,32")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="0")
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kernels", "-p", "bench-harness"],
                   cwd=ROOT, check=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in map(int, a.sizes.split(",")):
            for d in map(int, a.dims.split(",")):
                for k_max in map(int, a.kmax.split(",")):
                    subprocess.run([HARNESS, "gen", "--n", str(n), "--d", str(d), "--k", str(k_max),
                                    "--seed", str(GRID_SEED), "--out", tmp],
                                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    stem = os.path.join(tmp, f"blobs_n{n}_d{d}_k{k_max}_s{GRID_SEED}")
                    truth = np.load(stem + "_labels.npy")
                    res = {}
                    for p in ("f64", "f32"):
                        times = []
                        for _ in range(a.repeats):
                            labels, s = run(stem + ".csv", os.path.join(tmp, p + ".npy"),
                                            os.path.join(tmp, p + ".json"), k_max, p, a.threads)
                            times.append(s["timings"]["total_s"])
                        res[p] = (labels, s, statistics.median(times))
                    (l64, s64, t64), (l32, s32, t32) = res["f64"], res["f32"]
                    aris = [adjusted_rand_score(l64[:, j], l32[:, j]) for j in range(k_max)]
                    i64 = s64["results"][-1]["inertia"]
                    i32 = s32["results"][-1]["inertia"]
                    row = {
                        "n": n, "d": d, "k_max": k_max,
                        "ari_f32_f64_min": min(aris), "ari_f32_f64_mean": sum(aris) / len(aris),
                        "k_of_min": 1 + int(np.argmin(aris)),
                        "ari_truth_f64": adjusted_rand_score(truth, l64[:, -1]),
                        "ari_truth_f32": adjusted_rand_score(truth, l32[:, -1]),
                        "inertia_rel_diff": abs(i32 - i64) / i64 if i64 else 0.0,
                        "wall_f64_s": t64, "wall_f32_s": t32, "f64_over_f32": t64 / t32,
                    }
                    rows.append(row)
                    print(f"n={n} d={d} k_max={k_max}: ARI min {row['ari_f32_f64_min']:.4f} "
                          f"(k={row['k_of_min']}), f64 {t64:.3f}s f32 {t32:.3f}s", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print("| n | d | k_max | ARI f32 vs f64 (min over k, at k) | mean | ARI vs truth f64 / f32 | inertia rel. diff | f64 (s) | f32 (s) | f64 / f32 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']} | {r['d']} | {r['k_max']} | {r['ari_f32_f64_min']:.4f} (k={r['k_of_min']}) "
              f"| {r['ari_f32_f64_mean']:.4f} | {r['ari_truth_f64']:.3f} / {r['ari_truth_f32']:.3f} "
              f"| {r['inertia_rel_diff']:.1e} | {r['wall_f64_s']:.3f} | {r['wall_f32_s']:.3f} "
              f"| {r['f64_over_f32']:.2f}x |")
    mins = [r["ari_f32_f64_min"] for r in rows]
    print(f"\n{len(rows)} cells: ARI f32 vs f64 min {min(mins):.4f}, median of the per-cell minima "
          f"{statistics.median(mins):.4f}; cells with every k identical (ARI 1): "
          f"{sum(m == 1.0 for m in mins)}; median f64/f32 wall ratio "
          f"{statistics.median(r['f64_over_f32'] for r in rows):.2f}x")


if __name__ == "__main__":
    main()
