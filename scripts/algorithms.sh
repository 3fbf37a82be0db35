#!/usr/bin/env bash
# Lloyd against Hamerly and Elkan (`kmeans --algorithm`), the measurements behind
# `fit::auto_algorithm`: per shape, d and k, the same fit (same seed, one k, one
# thread) with each algorithm; the outputs must be identical (checked), the table
# gives iterations, the iteration time of each (the summary's iter_seconds, median of
# REPEATS runs) and the ratios to Lloyd. Run it on a quiet machine.
#
#   scripts/algorithms.sh                         # n = 100000, 3 repeats, d 2 8 32, k 16 64 128
#   N=20000 REPEATS=5 DS="8 32" KS="64 128" scripts/algorithms.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-100000}
repeats=${REPEATS:-3}
ds=${DS:-2 8 32}
ks=${KS:-16 64 128}
shapes=${SHAPES:-blobs uniform anisotropic}
algs="lloyd hamerly elkan"
cargo build --release -q -p kernels -p bench-harness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "%-12s %4s %4s %6s %10s %12s %10s %9s %9s\n" shape d k iters "lloyd (s)" "hamerly (s)" "elkan (s)" "ham/lloyd" "elk/lloyd"
for shape in $shapes; do
  for d in $ds; do
    rm -f "$tmp"/*.csv
    target/release/bench-harness gen --n "$n" --d "$d" --k 16 --shape "$shape" --out "$tmp" >/dev/null 2>&1
    data=$(ls "$tmp"/${shape}_n${n}_d${d}_k16_*.csv)
    for k in $ks; do
      for alg in $algs; do
        : > "$tmp/$alg.times"
        for r in $(seq "$repeats"); do
          target/release/kmeans --input "$data" --output "$tmp/$alg.npy" --output-format npy \
            --k-min "$k" --k-max "$k" --threads 1 --algorithm "$alg" --summary "$tmp/$alg.json"
          python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(r['iter_seconds'], r['iterations'])" \
            "$tmp/$alg.json" >> "$tmp/$alg.times"
        done
      done
      for alg in hamerly elkan; do
        cmp -s "$tmp/lloyd.npy" "$tmp/$alg.npy" || { echo "labels differ: $alg $shape d=$d k=$k" >&2; exit 1; }
      done
      python3 - "$tmp" "$shape" "$d" "$k" <<'PY'
import statistics, sys
tmp, shape, d, k = sys.argv[1:]
def med(name):
    rows = [l.split() for l in open(f"{tmp}/{name}.times")]
    return statistics.median(float(r[0]) for r in rows), rows[0][1]
(l, it), (h, _), (e, _) = med("lloyd"), med("hamerly"), med("elkan")
print(f"{shape:<12} {d:>4} {k:>4} {it:>6} {l:>10.4f} {h:>12.4f} {e:>10.4f} {h / l:>9.2f} {e / l:>9.2f}", flush=True)
PY
    done
  done
done
