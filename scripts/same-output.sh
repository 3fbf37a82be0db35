#!/usr/bin/env bash
# Checks that two `kmeans` binaries behave the same, byte for byte: the same exit
# status, stderr line and no output for every case of a bad-input corpus, and the
# same output files (labels CSV/.npy, and the --summary JSON without its timings) on
# seed-shape data for every layout, precision, algorithm, init and output format.
# Used to show that a refactor changed nothing a user can see.
#
#   scripts/same-output.sh OLD_KMEANS NEW_KMEANS     # two built binaries
#   scripts/same-output.sh --ref REF                 # REF (a commit) against the work tree
#
# With --ref, REF is checked out in a temporary worktree and built there (release,
# about two minutes), and the work tree's binary is built with `cargo build --release`.
# Exits 1 on the first difference, printing it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${1:-}" = "--ref" ]; then
  ref=${2:?usage: $0 --ref REF}
  wt=$(mktemp -d)
  trap 'git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
  git worktree add -q --detach "$wt" "$ref"
  (cd "$wt" && CARGO_TARGET_DIR="$root/target/same-output-ref" cargo build -q --release -p kernels --bin kmeans)
  cargo build -q --release -p kernels --bin kmeans
  old="$root/target/same-output-ref/release/kmeans"
  new="$root/target/release/kmeans"
else
  old=${1:?usage: $0 OLD_KMEANS NEW_KMEANS | --ref REF}
  new=${2:?usage: $0 OLD_KMEANS NEW_KMEANS | --ref REF}
fi
harness="$root/target/release/bench-harness"
[ -x "$harness" ] || cargo build -q --release -p bench-harness

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${wt:-}" ] && git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
cases=0

# Runs both binaries on the same arguments (OUT stands for the output path, SUM for
# the summary path) and compares status, stderr and the files they wrote.
same() {
  local side
  for side in old new; do
    local bin=$old
    [ "$side" = new ] && bin=$new
    mkdir -p "$tmp/$side"
    rm -f "$tmp/$side"/*
    local args=()
    for a in "$@"; do
      a=${a//OUT/$tmp/$side/out}
      a=${a//SUM/$tmp/$side/summary.json}
      args+=("$a")
    done
    set +e
    "$bin" "${args[@]}" >"$tmp/$side.stdout" 2>"$tmp/$side.stderr"
    echo $? >"$tmp/$side.status"
    set -e
    # Paths differ between the sides only by the side's folder name.
    sed -i "s#$tmp/$side#DIR#g" "$tmp/$side.stderr"
    if [ -f "$tmp/$side/summary.json" ]; then
      # Timings, the thread count and the names of the kernel's loop order (a field
      # newer binaries add) are the only fields allowed to differ.
      python3 - "$tmp/$side/summary.json" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s.pop("timings", None)
s.pop("rechecked_fraction", None)
for r in s.get("results", []):
    for key in ("seconds", "init_seconds", "iter_seconds", "order"):
        r.pop(key, None)
json.dump(s, open(p, "w"), indent=1, sort_keys=True)
EOF
    fi
  done
  cases=$((cases + 1))
  if [ -n "${CHOICES:-}" ]; then
    # An enumerated flag given a wrong value: clap's own message, which lists the
    # choices, replaced a hand-written one for --kernel and --output-format.
    grep -q "possible values: $CHOICES" "$tmp/new.stderr" || {
      echo "new binary does not list the choices for: $*"
      cat "$tmp/new.stderr"
      exit 1
    }
    cp "$tmp/old.stderr" "$tmp/new.stderr"
  fi
  for f in status stderr stdout; do
    if ! cmp -s "$tmp/old.$f" "$tmp/new.$f"; then
      echo "DIFFERENT $f for: $*"
      diff "$tmp/old.$f" "$tmp/new.$f" | head -5
      exit 1
    fi
  done
  if ! diff -r "$tmp/old" "$tmp/new" >/dev/null; then
    echo "DIFFERENT files for: $*"
    diff -r "$tmp/old" "$tmp/new" | head -5
    exit 1
  fi
}

# --- bad input and bad usage ----------------------------------------------------
d=$tmp/in
mkdir -p "$d"
printf 'ID,f1,f2\na,1,2\nb,3,4\nc,5,6\n' >"$d/good.csv"
printf '' >"$d/empty.csv"
printf 'ID,f1,f2\n' >"$d/header.csv"
printf '\xEF\xBB\xBF' >"$d/bom.csv"
printf 'ID\na\nb\n' >"$d/nofeat.csv"
printf 'ID,f1,f2\na,1,2\nb,3\n' >"$d/ragged.csv"
printf 'ID,f1,f2\na,1,two\n' >"$d/text.csv"
printf 'ID,f1,f2\na,NaN,2\n' >"$d/nan.csv"
printf 'ID,f1,f2\na,1,2\nb,3,-1e300\nc,5,6\n' >"$d/huge.csv"
printf 'ID,f1,f2\na,1,inf\n' >"$d/inf.csv"
printf 'ID,f1,f2\na,1,1e999\n' >"$d/big.csv"
printf '\x00\x01\x02\xff\xfe\n\x00,\x01\n' >"$d/binary.csv"
printf 'ID,f1\n"abc,1\n' >"$d/quote.csv"
printf 'ID,f1,f2\na,1,2\nb,3,4e20\nc,5,6\n' >"$d/f32big.csv"
printf '\x93NUMPY\x01\x00\xff\xff{' >"$d/badhdr.npy"
printf '1,2,3\n4,5,6\n' >"$d/c_wide.csv"
printf 'x,y\n1,oops\n' >"$d/c_text.csv"
printf 'x,y\n' >"$d/c_empty.csv"
printf '1,2\n3,4\n5,6\n7,8\n' >"$d/c_many.csv"
printf '1e200,2\n3,4\n' >"$d/c_huge.csv"
printf 'w\n1\n-1\n1\n' >"$d/w_neg.csv"
printf 'w\n1\n1\n' >"$d/w_short.csv"
printf 'w\n1\n0\n0\n' >"$d/w_zero.csv"
for f in missing.csv . empty.csv header.csv bom.csv nofeat.csv ragged.csv text.csv nan.csv \
  huge.csv inf.csv big.csv binary.csv quote.csv badhdr.npy; do
  same --input "$d/$f" --output OUT --k-max 2
done
g=$d/good.csv
for args in \
  "" "--k-max 0" "--k-max 2 --k-min 3" "--k-max 4" "--k-max -1" "--k-max two" \
  "--k-max 2 --k-min 0" "--k-max 2 --n-init 0" "--k-max 2 --max-iter 0" \
  "--k-max 2 --tol -1" "--k-max 2 --tol nan" \
  "--k-max 2 --layout soa" "--k-max 2 --precision f16" \
  "--k-max 2 --algorithm fast" "--k-max 2 --warm-start maybe" \
  "--k-max 2 --output-format npy --labels-only" \
  "--k-max 2 --precision f32 --layout aos" "--k-max 2 --precision f32 --algorithm elkan" \
  "--k-max 2 --init-centers $d/c_wide.csv" "--k-max 2 --init-centers $d/c_text.csv" \
  "--k-max 2 --init-centers $d/c_empty.csv" "--init-centers $d/c_many.csv" \
  "--init-centers $d/c_huge.csv" "--k-max 2 --sample-weight $d/w_neg.csv" \
  "--k-max 2 --sample-weight $d/w_short.csv" "--k-max 2 --sample-weight $d/w_zero.csv" \
  "--k-max 2 --threads 0 --bogus"; do
  # shellcheck disable=SC2086
  same --input "$g" --output OUT $args
done
CHOICES="scalar, simd, auto" same --input "$g" --output OUT --k-max 2 --kernel avx
CHOICES="csv, npy" same --input "$g" --output OUT --k-max 2 --output-format parquet
CHOICES="k-means++, greedy-k-means++, random" same --input "$g" --output OUT --k-max 2 --init kmeans
same --input "$d/f32big.csv" --output OUT --k-max 2 --precision f32
same --input "$g" --output "$tmp/nowhere/out.csv" --k-max 2
same --input "$g" --output "$g" --k-max 2
bad=$cases

# --- seed-shape data --------------------------------------------------------------
"$harness" gen --n 2000 --d 2 --k 4 --out "$d" >/dev/null
"$harness" gen --n 5000 --d 32 --k 8 --out "$d" >/dev/null
"$harness" gen --n 3001 --d 9 --k 5 --shape unequal --out "$d" >/dev/null
python3 - "$d" <<'EOF'
import os, struct, sys
d = sys.argv[1]
# weights for the 2000-row set, and a 2-D f64 .npy of 300 x 3
with open(os.path.join(d, "w.csv"), "w") as f:
    f.write("w\n" + "".join(f"{(i % 7) * 0.5}\n" for i in range(2000)))
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (300, 3), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(os.path.join(d, "m.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    for i in range(300):
        f.write(struct.pack("<3d", (i * 7919) % 101 / 10, (i * 104729) % 53 / 7, i % 3))
with open(os.path.join(d, "c3.csv"), "w") as f:
    f.write("0,0\n5,5\n-5,5\n")
EOF
for data in $(ls "$d" | grep -E '^blobs.*\.csv$|^unequal.*\.csv$') m.npy; do
  for args in \
    "--k-max 6" "--k-max 6 --layout aos" "--k-max 6 --layout aos --threads 1" \
    "--k-max 6 --threads 1" "--k-max 6 --threads 2" "--k-max 6 --kernel scalar" \
    "--k-max 5 --k-min 3 --init k-means++" "--k-max 5 --init random --seed 7" \
    "--k-max 6 --algorithm hamerly" "--k-max 6 --algorithm elkan" "--k-max 6 --algorithm lloyd" \
    "--k-max 6 --precision f32" "--k-max 4 --n-init 3" "--k-max 4 --n-init 3 --threads 1" \
    "--k-max 6 --warm-start off" "--k-max 6 --warm-start on --layout aos" \
    "--k-max 6 --output-format npy" "--k-max 6 --labels-only" "--k-max 3 --max-iter 2 --tol 0"; do
    # shellcheck disable=SC2086
    same --input "$d/$data" --output OUT --summary SUM $args
    [ "$(cat "$tmp/new.status")" = 0 ] || { echo "failed: $data $args"; cat "$tmp/new.stderr"; exit 1; }
  done
done
blobs2=$(ls "$d" | grep -E '^blobs.*_n2000_.*\.csv$' | head -1)
same --input "$d/$blobs2" --output OUT --summary SUM --k-max 5 --sample-weight "$d/w.csv"
same --input "$d/$blobs2" --output OUT --summary SUM --init-centers "$d/c3.csv"
same --input "$d/$blobs2" --output OUT --summary SUM --init-centers "$d/c3.csv" --precision f32
echo "same output: $bad bad-input cases and $((cases - bad)) fits, identical (old: $old, new: $new)"
