#!/usr/bin/env bash
# Serves the demo page on localhost and prints its address.
#
#   demo/serve.sh          # http://127.0.0.1:8000/
#   demo/serve.sh 9000     # another port
#
# The same as the one-liner `python3 -m http.server -d demo/site 8000` (bound to
# localhost). The page is static; it also opens straight from file://.
set -euo pipefail
demo=$(cd "$(dirname "$0")" && pwd)
port=${1:-${PORT:-8000}}
if [ ! -f "$demo/site/wasm-embed.js" ]; then
  "$demo/build.sh"
fi
command -v python3 >/dev/null 2>&1 || { echo "serve.sh needs python3 (or open demo/site/index.html directly)" >&2; exit 1; }
echo "k-means demo: http://127.0.0.1:$port/   (Ctrl-C to stop)"
exec python3 -m http.server --bind 127.0.0.1 --directory "$demo/site" "$port"
