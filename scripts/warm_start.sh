#!/usr/bin/env bash
# What `--warm-start` saves: per shape (d, k_max) and init, the same sweep k = 1..k_max
# with the k-means++ seeding continued from k to k + 1 (on) and from scratch (off);
# the outputs must be identical (checked); the table gives the seeding seconds summed
# over k (the summary's init_seconds), the whole run (total_s), each the median of
# REPEATS runs, and the ratios. Run it on a quiet machine.
#
#   scripts/warm_start.sh               # n = 256000, 3 repeats, default threads
#   N=64000 REPEATS=5 THREADS=1 scripts/warm_start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-256000}
repeats=${REPEATS:-3}
threads=${THREADS:-0}
cargo build --release -q -p kernels -p bench-harness
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "| %-16s | %3s | %5s | %12s | %12s | %7s | %11s | %11s | %7s |\n" init d k_max "seeding on" "seeding off" "saved" "total on" "total off" "ratio"
printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
for d in 2 8 32; do
  for k in 8 32; do
    target/release/bench-harness gen --n "$n" --d "$d" --k "$k" --out "$tmp" >/dev/null 2>&1
    data=$(ls "$tmp"/blobs_n${n}_d${d}_k${k}_*.csv)
    for init in greedy-k-means++ k-means++; do
      for w in on off; do
        : > "$tmp/$w.times"
        for r in $(seq "$repeats"); do
          target/release/kmeans --input "$data" --output "$tmp/$w.npy" --output-format npy \
            --k-max "$k" --threads "$threads" --init "$init" --warm-start "$w" --summary "$tmp/$w.json"
          python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sum(r['init_seconds'] for r in s['results']), s['timings']['total_s'])" \
            "$tmp/$w.json" >> "$tmp/$w.times"
        done
      done
      cmp -s "$tmp/on.npy" "$tmp/off.npy" || { echo "labels differ: d=$d k=$k $init" >&2; exit 1; }
      python3 - "$tmp" "$init" "$d" "$k" <<'PY'
import statistics, sys
tmp, init, d, k = sys.argv[1:]
def med(name, col):
    return statistics.median(float(l.split()[col]) for l in open(f"{tmp}/{name}.times"))
son, soff, ton, toff = med("on", 0), med("off", 0), med("on", 1), med("off", 1)
print(f"| {init:<16} | {d:>3} | {k:>5} | {son:>10.3f} s | {soff:>10.3f} s | {1 - son / soff:>6.0%} | {ton:>9.3f} s | {toff:>9.3f} s | {toff / ton:>6.2f}x |")
PY
    done
  done
done
