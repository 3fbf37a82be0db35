#!/usr/bin/env bash
# Installs what the demo's tests need and runs them; exits non-zero on any failure.
#
#   demo/test.sh                  # everything (a few minutes on a fresh machine)
#   QUICK=1 demo/test.sh          # skip fmt / clippy / cargo test of the wasm crate
#
# Installs, when missing: Debian's chromium and wabt (apt, as root or with sudo), the
# pinned Rust toolchain with the wasm32 target (via demo/build.sh, which falls back to
# Debian's rustc-web), and playwright-core (npm ci in demo/tests). Needs Node >= 20.
#
# Steps: build both .wasm (a no-op when up to date) -> Rust checks -> Node test (the
# .wasm against the native build and the JavaScript k-means) -> browser test
# (headless Chromium, every distribution, both builds, file://).
set -euo pipefail
demo=$(cd "$(dirname "$0")" && pwd)
crate="$demo/wasm"

step() { printf '\n== demo: %s\n' "$*"; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "system packages (chromium, wabt)"
missing=()
for p in chromium wabt; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
chromium --version

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "demo tests need Node >= 20 (playwright-core); found: $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

step "build the WebAssembly modules (demo/build.sh)"
"$demo/build.sh"
if git -C "$demo" rev-parse --git-dir >/dev/null 2>&1 &&
  ! git -C "$demo" diff --quiet -- site/wasm site/wasm-embed.js; then
  echo "note: the rebuilt .wasm files differ from the committed ones (Rust sources changed," >&2
  echo "      or another toolchain): commit demo/site/wasm and demo/site/wasm-embed.js." >&2
fi

if [ -z "${QUICK:-}" ]; then
  # rustup toolchains pinned by wasm/rust-toolchain.toml; Debian's cargo otherwise.
  if command -v rustup >/dev/null 2>&1; then
    cargo=(rustup run "$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$crate/rust-toolchain.toml")" cargo)
    "${cargo[@]}" clippy --version >/dev/null 2>&1 || rustup component add --toolchain "${cargo[2]}" clippy rustfmt
  else
    cargo=(cargo)
  fi
  step "cargo fmt --check (wasm crate)"
  "${cargo[@]}" fmt --manifest-path "$crate/Cargo.toml" -- --check
  step "cargo clippy (native, all targets; wasm32 ABI), warnings are errors"
  "${cargo[@]}" clippy --manifest-path "$crate/Cargo.toml" --locked --all-targets -- -D warnings
  "${cargo[@]}" clippy --manifest-path "$crate/Cargo.toml" --locked --lib \
    --target wasm32-unknown-unknown --target-dir "$crate/target/clippy-wasm32" -- -D warnings
  step "cargo test (wasm crate, native)"
  "${cargo[@]}" test --manifest-path "$crate/Cargo.toml" --locked
fi

step "npm ci (playwright-core)"
(cd "$demo/tests" && npm ci --no-audit --no-fund --loglevel=error)

step "Node test: .wasm (simd128, scalar) = native = JavaScript"
node "$demo/tests/wasm.test.mjs"

step "browser test: headless Chromium"
node "$demo/tests/browser.test.mjs"

echo
echo "demo: all tests passed"
