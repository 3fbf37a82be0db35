#!/usr/bin/env bash
# Memory traffic of one Lloyd iteration per layout, from valgrind's cache simulator
# (hardware counters are not available on this machine: `perf stat` says
# "not supported"). Used by perf-reports/<machine>/ANALYSIS.md.
#
#   scripts/cachegrind.sh [N] [D] [K]      # default 65536 32 32
#
# For each layout it runs `kmeans` twice from the same K initial centers, with
# --max-iter i and i + 1 (i = 2, 3), and prints the differences: exactly one iteration
# (assignment + update; both runs also load the data and do the final label pass).
# Caches simulated: D1 48 KiB 12-way (Zen 5), LL 32 MiB 16-way (this EPYC's L3 slice);
# valgrind has no L2 and no prefetcher, so "D1 misses × 64 B" is the traffic into L1
# and "LL misses × 64 B" the traffic from DRAM. valgrind 3.19 cannot decode AVX-512:
# the flat layout runs its AVX2 path (KMEANS_MAX_ISA=avx2).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-65536}
d=${2:-32}
k=${3:-32}
command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 1; }
cargo build --release -q -p kernels -p bench-harness
data=$(target/release/bench-harness gen --n "$n" --d "$d" --k "$k" 2>/dev/null | grep -m1 '\.csv$' || true)
[ -n "$data" ] || data="data/blobs_n${n}_d${d}_k${k}_s20260609.csv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# K initial centers: rows spread over the file (every n/K-th data row), features only.
awk -F, -v n="$n" -v k="$k" 'NR > 1 && (NR - 2) % int(n / k) == 0 && c < k {
  out = $2; for (i = 3; i <= NF; i++) out = out "," $i; print out; c++ }' "$data" > "$tmp/init.csv"

measure() { # layout iters -> "Dr D1mr DLmr Ir"
  KMEANS_MAX_ISA=avx2 valgrind --tool=cachegrind --cache-sim=yes \
    --D1=49152,12,64 --LL=33554432,16,64 --cachegrind-out-file="$tmp/cg.out" \
    target/release/kmeans --input "$data" --output "$tmp/out.csv" --labels-only \
    --init-centers "$tmp/init.csv" --layout "$1" --threads 1 --max-iter "$2" \
    --summary "$tmp/s.json" >/dev/null 2>&1
  python3 - "$tmp/s.json" "$2" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
it = s["results"][0]["iterations"]
assert it == int(sys.argv[2]), f"expected {sys.argv[2]} iterations, got {it}"
EOF
  awk '/^events:/ { for (i = 2; i <= NF; i++) name[i] = $i }
       /^summary:/ { for (i = 2; i <= NF; i++) v[name[i]] = $i
                     printf "%.0f %.0f %.0f %.0f\n", v["Dr"] + v["Dw"], v["D1mr"] + v["D1mw"], v["DLmr"] + v["DLmw"], v["Ir"] }' "$tmp/cg.out"
}

printf "n=%d d=%d k=%d, one Lloyd iteration (max-iter i+1 minus max-iter i)\n" "$n" "$d" "$k"
printf "%-6s %5s %14s %14s %12s %14s %12s %12s %10s\n" layout i instructions "data refs" "D1 misses" "into L1 (MB)" "LL misses" "DRAM (MB)" "data (MB)"
for layout in aos flat; do
  read -r r1 m1 l1 i1 < <(measure "$layout" 2)
  for it in 3 4; do
    read -r r2 m2 l2 i2 < <(measure "$layout" $it)
    awk -v L="$layout" -v it=$((it - 1)) -v r=$((r2 - r1)) -v m=$((m2 - m1)) -v l=$((l2 - l1)) -v i=$((i2 - i1)) \
        -v bytes=$((n * d * 8)) 'BEGIN {
      printf "%-6s %5d %14.0f %14.0f %12.0f %14.1f %12.0f %12.1f %10.1f\n", L, it, i, r, m, m * 64 / 1e6, l, l * 64 / 1e6, bytes / 1e6 }'
    r1=$r2; m1=$m2; l1=$l2; i1=$i2
  done
done
