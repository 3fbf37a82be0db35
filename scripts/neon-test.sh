#!/usr/bin/env bash
# Cross-builds the kernels' tests for aarch64 and runs them under qemu-aarch64, so the
# NEON path is tested, not assumed (tests/simd.rs asserts NEON is what ran, 2 lanes;
# tests/single.rs runs the f32 kernels, 4 lanes, against the plain loop).
# Installs what it needs: Debian's qemu-user, gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross, and the rustup target; where rustup cannot download the
# target, falls back to Debian's rustc-web + rust-web-src with -Zbuild-std.
# Runs twice: with qemu's default CPU and with QEMU_CPU=cortex-a53.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-gnu
tests=(--test simd --test csv_parse --test single)

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null \
   || [ ! -e /usr/aarch64-linux-gnu/lib/libc.so.6 ]; then
  echo "installing qemu-user, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross"
  apt_install qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"

extra=()
if rustup target add "$target" >/dev/null 2>&1; then
  echo "using rustup's $target standard library"
  cargo_cmd=(cargo)
else
  echo "rustup cannot download $target: falling back to Debian rustc-web + rust-web-src"
  apt_install rustc-web rust-web-src lld
  rustc_web=$(command -v rustc-web || ls /usr/lib/rust-web/bin/rustc 2>/dev/null || true)
  [ -n "$rustc_web" ] || { echo "rustc-web not found after install" >&2; exit 1; }
  export RUSTC="$rustc_web" RUSTC_BOOTSTRAP=1
  extra=(-Zbuild-std=std,panic_abort)
  cargo_cmd=(cargo)
fi

run() {
  "${cargo_cmd[@]}" test -p kernels --target "$target" "${extra[@]}" "${tests[@]}" -- --test-threads 2
}
echo "== aarch64 tests under qemu (default CPU)"
run
echo "== aarch64 tests under qemu (QEMU_CPU=cortex-a53)"
QEMU_CPU=cortex-a53 run
echo "NEON tests passed"
