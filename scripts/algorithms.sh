#!/usr/bin/env bash
# Lloyd against Hamerly (`kmeans --algorithm`), the measurements behind
# `lloyd::auto_algorithm`: per shape, d and k, the same fit (same seed, one k, one
# thread) with both algorithms; the outputs must be identical (checked), the table
# gives iterations, the iteration time of each (the summary's iter_seconds, median of
# REPEATS runs) and their ratio. Run it on a quiet machine.
#
#   scripts/algorithms.sh            # n = 100000, 3 repeats
#   N=20000 REPEATS=5 scripts/algorithms.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-100000}
repeats=${REPEATS:-3}
cargo build --release -q -p kernels -p bench-harness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "%-12s %4s %4s %6s %12s %12s %9s\n" shape d k iters "lloyd (s)" "hamerly (s)" "ham/lloyd"
for shape in blobs uniform anisotropic; do
  for d in 2 8 32; do
    for k in 16 64; do
      target/release/bench-harness gen --n "$n" --d "$d" --k 16 --shape "$shape" --out "$tmp" >/dev/null 2>&1
      data=$(ls "$tmp"/${shape}_n${n}_d${d}_k16_*.csv)
      for alg in lloyd hamerly; do
        : > "$tmp/$alg.times"
        for r in $(seq "$repeats"); do
          target/release/kmeans --input "$data" --output "$tmp/$alg.npy" --output-format npy \
            --k-min "$k" --k-max "$k" --threads 1 --algorithm "$alg" --summary "$tmp/$alg.json"
          python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(r['iter_seconds'], r['iterations'])" \
            "$tmp/$alg.json" >> "$tmp/$alg.times"
        done
      done
      cmp -s "$tmp/lloyd.npy" "$tmp/hamerly.npy" || { echo "labels differ: $shape d=$d k=$k" >&2; exit 1; }
      python3 - "$tmp" "$shape" "$d" "$k" <<'EOF'
import statistics, sys
tmp, shape, d, k = sys.argv[1:]
def med(name):
    rows = [l.split() for l in open(f"{tmp}/{name}.times")]
    return statistics.median(float(r[0]) for r in rows), rows[0][1]
(l, it), (h, _) = med("lloyd"), med("hamerly")
print(f"{shape:<12} {d:>4} {k:>4} {it:>6} {l:>12.4f} {h:>12.4f} {h / l:>9.2f}")
EOF
    done
  done
done
