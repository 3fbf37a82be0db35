#!/usr/bin/env bash
# Short fuzz pass over the input readers (libFuzzer via cargo-fuzz, nightly toolchain):
#   csv      the CSV loader, checked against itself with chunk boundaries everywhere
#   npy      the .npy header parser and reader
#   centers  the --init-centers reader
#   weights  the --sample-weight reader
#
#   scripts/fuzz.sh              # 60 s per target
#   SECONDS_PER_TARGET=3600 scripts/fuzz.sh csv    # a long run of one target
#
# A crash leaves its input in kernels/fuzz/artifacts/<target>/; reproduce it with
# `cargo +nightly fuzz run <target> <file>` (from kernels/) and add it as a regression
# test in kernels/tests/.
set -euo pipefail
cd "$(dirname "$0")/../kernels"
secs=${SECONDS_PER_TARGET:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv npy centers weights)
toolchain=+nightly
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "no nightly toolchain: using RUSTC_BOOTSTRAP=1 with the stable one"
  export RUSTC_BOOTSTRAP=1
  toolchain=
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${secs}s"
  mkdir -p "fuzz/corpus/$t"
  cargo $toolchain fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -max_len=4096
done
echo "fuzzing found nothing"
