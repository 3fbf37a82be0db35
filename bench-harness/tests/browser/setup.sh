#!/usr/bin/env bash
# Installs what the dashboard test needs: Debian's chromium, Node.js with npm, and
# playwright-core (pinned by package-lock.json) into this folder's node_modules.
# Idempotent; run as root (CI is). Without them the Rust test skips with a message.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/playwright-core/package.json ]; then
  echo "installing playwright-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "browser test ready: $(/usr/bin/chromium --version 2>/dev/null | tail -1), node $(node --version)"
