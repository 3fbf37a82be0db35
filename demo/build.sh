#!/usr/bin/env bash
# Builds the demo's two WebAssembly modules into demo/site/ (idempotent: a second run
# rebuilds nothing and rewrites nothing).
#
#   demo/build.sh                    # rustup toolchain (pinned), falls back to Debian's
#   DEMO_TOOLCHAIN=debian demo/build.sh   # force Debian's rustc-web + -Zbuild-std
#
# Outputs (committed, so the page works from a fresh clone):
#   site/wasm/kmeans-simd128.wasm   kernels' portable SIMD at the simd128 level
#   site/wasm/kmeans-scalar.wasm    the canonical scalar loop, no SIMD instruction
#   site/wasm/SHA256SUMS            their hashes, with the toolchain that built them
#   site/wasm-embed.js              both modules in base64 (file:// cannot fetch .wasm)
#
# Reproducible: the toolchain is pinned by wasm/rust-toolchain.toml, dependencies by
# wasm/Cargo.lock (--locked), and the sources are compiled through one fixed path
# (see below) that is then remapped, so the same toolchain gives the same bytes on any
# machine and in any checkout. Debian's toolchain (the fallback
# when rustup cannot download the wasm target) is another compiler version: it builds
# working modules, but not the committed bytes.
set -euo pipefail

demo=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$demo/.." && pwd)
crate="$demo/wasm"
out="$demo/site/wasm"
target=wasm32-unknown-unknown
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$crate/rust-toolchain.toml")
cargo_home=${CARGO_HOME:-$HOME/.cargo}

log() { printf '[demo/build] %s\n' "$*" >&2; }

# --- toolchain -------------------------------------------------------------------

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# rustup: the pinned toolchain with the wasm target (downloads them if needed).
use_rustup() {
  command -v rustup >/dev/null 2>&1 || return 1
  if ! rustup "+$toolchain" target list --installed 2>/dev/null | grep -qx "$target"; then
    log "rustup: installing toolchain $toolchain with target $target"
    rustup toolchain install "$toolchain" --profile minimal --target "$target" \
      --component rustfmt --component clippy >&2 || return 1
  fi
  cargo=(rustup run "$toolchain" cargo)
  unset RUSTC_BOOTSTRAP
  zflags=()
  link_flags=()
  toolchain_name="rustup $toolchain ($(rustup run "$toolchain" rustc --version))"
}

# Debian: rustc-web has no wasm32 standard library, so build it from rust-web-src
# (-Zbuild-std, allowed on a stable compiler by RUSTC_BOOTSTRAP=1) and link with lld.
use_debian() {
  apt_install rustc-web cargo-web rust-web-src lld
  local ld
  ld=$(command -v wasm-ld || command -v wasm-ld-14 || ls /usr/lib/llvm-*/bin/wasm-ld 2>/dev/null | tail -1 || true)
  [ -n "$ld" ] || { log "lld is installed but wasm-ld was not found"; return 1; }
  cargo=(env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 /usr/bin/cargo)
  zflags=(-Zbuild-std=std,panic_abort)
  link_flags=(-C "linker=$ld")
  toolchain_name="Debian $(/usr/bin/rustc --version) + build-std"
}

case "${DEMO_TOOLCHAIN:-auto}" in
  debian) use_debian ;;
  rustup) use_rustup ;;
  *) use_rustup || { log "rustup cannot provide $target; falling back to Debian's rustc-web"; use_debian; } ;;
esac
log "toolchain: $toolchain_name"

# --- build -------------------------------------------------------------------------

mkdir -p "$out"

# Cargo hashes the absolute path of a path dependency (kernels) into its symbol
# hashes, and those decide the order of a few functions in the module. So the build
# goes through a fixed path, a symlink to this checkout (under a lock, so two
# checkouts never build through it at once): every checkout gives the same bytes.
src=/tmp/kmeans-roofline-wasm-src
if command -v flock >/dev/null 2>&1 && { [ -L "$src" ] || [ ! -e "$src" ]; } &&
  exec 9>"$src.lock" && flock 9 && ln -sfn "$repo" "$src" 2>/dev/null; then
  :
else
  log "warning: cannot use $src; building from $repo (the bytes will differ from the committed ones)"
  src=$repo
fi

# Copies $1 to $2 only if the bytes differ (keeps the second run a no-op).
install_if_changed() {
  if ! cmp -s "$1" "$2"; then
    cp "$1" "$2.tmp" && chmod 644 "$2.tmp" && mv "$2.tmp" "$2"
    log "updated ${2#"$repo"/}"
  fi
}

# build NAME [RUSTFLAGS...]: one module into site/wasm/kmeans-NAME.wasm.
build() {
  local name=$1
  shift
  local flags=(
    "--remap-path-prefix=$src=/kmeans-roofline"
    "--remap-path-prefix=$cargo_home=/cargo"
    "${link_flags[@]}"
    "$@"
  )
  local dir="$crate/target/wasm-$name"
  [ ${#zflags[@]} -gt 0 ] && dir="$dir-build-std"
  log "building $name"
  # `cargo rustc --crate-type cdylib`: the manifest also declares an rlib (for the
  # native reference), and with both types the linker keeps pulp's SIMD code in the
  # scalar module. CARGO_ENCODED_RUSTFLAGS keeps paths with spaces intact.
  CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f'; printf '%s' "${flags[*]}") \
    "${cargo[@]}" rustc --manifest-path "$src/demo/wasm/Cargo.toml" --lib --crate-type cdylib \
    --release --locked --target "$target" --target-dir "$dir" "${zflags[@]}" >&2
  install_if_changed "$dir/$target/release/kmeans_wasm.wasm" "$out/kmeans-$name.wasm"
}

build simd128 -C target-feature=+simd128
build scalar

# The scalar module must validate without SIMD (checked when wabt is installed;
# demo/test.sh installs it).
if command -v wasm-validate >/dev/null 2>&1; then
  wasm-validate --disable-simd "$out/kmeans-scalar.wasm"
  wasm-validate "$out/kmeans-simd128.wasm"
  log "wasm-validate: scalar module has no SIMD instruction; simd128 module valid"
fi

# --- generated files ---------------------------------------------------------------

write_if_changed() { # write_if_changed FILE (content on stdin)
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1" && chmod 644 "$1" && log "updated ${1#"$repo"/}"; fi
}

{
  echo "# built by demo/build.sh with $toolchain_name"
  (cd "$out" && sha256sum kmeans-simd128.wasm kmeans-scalar.wasm)
} | write_if_changed "$out/SHA256SUMS"

{
  echo "// Generated by demo/build.sh from site/wasm/*.wasm; do not edit."
  echo "// Both WebAssembly builds in base64, so the page also works from file://"
  echo "// (where fetch() of a .wasm file is refused). See site/wasm/SHA256SUMS."
  echo "globalThis.KMEANS_WASM = {"
  printf '  simd128: "%s",\n' "$(base64 -w0 "$out/kmeans-simd128.wasm")"
  printf '  scalar: "%s",\n' "$(base64 -w0 "$out/kmeans-scalar.wasm")"
  echo "};"
} | write_if_changed "$demo/site/wasm-embed.js"

ls -l "$out"/*.wasm >&2
log "done"
