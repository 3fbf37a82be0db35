#!/usr/bin/env bash
# Runs every test of the project, installing what the tests need on first use
# (the Python venv of the baselines). Used by `.ci/run` and by developers alike.
#
#   ./scripts/test.sh            # everything
#   QUICK=1 ./scripts/test.sh    # skip fmt/clippy (while iterating)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n== %s\n' "$*"; }

# Disk: a cold run writes several GB of build output. Incremental caches and full
# debug info are most of the debug/test half of it and buy nothing on a one-shot run
# (a CI run once died of "No space left on device" in the incremental cache), so
# they are off here; backtraces keep file and line numbers. Developers' own
# `cargo test` is unaffected.
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
export CARGO_PROFILE_TEST_DEBUG=line-tables-only
disk() { df -h --output=avail,target . 2>/dev/null | tail -1 | awk '{print "disk: " $1 " free on " $2}'; }
disk

if [ -z "${QUICK:-}" ]; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy (all targets, warnings are errors)"
  cargo clippy --workspace --all-targets -- -D warnings
fi

step "module dependencies: no import cycles (scripts/module-deps.py)"
# Every file of both crates: a module never imports one that imports it back.
python3 scripts/module-deps.py kernels/src
python3 scripts/module-deps.py bench-harness/src

step "Python venv (.venv: pinned requirements, the kmeans_roofline package built by maturin)"
./scripts/venv.sh

step "kmeans_roofline Python package (pytest python/tests)"
"$root/.venv/bin/python" -m pytest python/tests -q -p no:cacheprovider

step "headless Chromium + playwright-core for the dashboard test"
bench-harness/tests/browser/setup.sh

step "release build of the contestants (the harness tests run them)"
cargo build --release -p kernels

step "cargo test (workspace)"
cargo test --workspace

step "baseline tests (Python)"
"$root/.venv/bin/python" baselines/tests/test_baselines.py

step "kmeans against scikit-learn: --sample-weight, --n-init (Python)"
"$root/.venv/bin/python" kernels/tests/test_vs_sklearn.py target/release/kmeans

step "NEON: kernels' tests cross-built for aarch64, run under qemu-aarch64"
./scripts/neon-test.sh

if [ -x scripts/extra-tests.sh ]; then
  step "extra tests"
  scripts/extra-tests.sh
fi
disk
echo
echo "all tests passed"
