#!/usr/bin/env bash
# Extra test suites called by scripts/test.sh: the live demo (WASM vs JS) in Node and
# headless Chromium.
set -euo pipefail
exec "$(dirname "$0")/../demo/test.sh"
