#!/usr/bin/env bash
# Creates or refreshes the project's Python venv (.venv, or $KMEANS_VENV) from the
# pinned baselines/requirements.txt. Does nothing when the pins are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${KMEANS_VENV:-.venv}
stamp="$venv/.requirements.sha256"
want=$(sha256sum baselines/requirements.txt | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "venv $venv is up to date"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r baselines/requirements.txt
echo "$want" > "$stamp"
echo "venv $venv ready"
