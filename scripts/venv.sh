#!/usr/bin/env bash
# Creates or refreshes the project's Python venv (.venv, or $KMEANS_VENV):
#  1. the pinned baselines/requirements.txt, python/requirements.txt (maturin,
#     pytest) and python/requirements-dask.txt (dask, distributed, dask-ml: the
#     kmeans_roofline.dask fit, its tests and benchmark), reinstalled when one changes;
#  2. the kmeans_roofline package (python/), release-built by maturin into an abi3
#     wheel and installed, rebuilt when its sources or the kernels' change (a stamp
#     holds the hash of every file that goes into the wheel).
# Does nothing when both are up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${KMEANS_VENV:-.venv}
py="$venv/bin/python"

stamp="$venv/.requirements.sha256"
want=$(cat baselines/requirements.txt python/requirements.txt python/requirements-dask.txt | sha256sum | cut -d' ' -f1)
if [ -x "$py" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "venv $venv: requirements up to date"
else
  python3 -m venv "$venv"
  "$py" -m pip install --quiet --disable-pip-version-check \
    -r baselines/requirements.txt -r python/requirements.txt -r python/requirements-dask.txt
  echo "$want" > "$stamp"
  echo "venv $venv: requirements installed"
fi

# Everything the wheel is built from: the package's crate and Python layer, the
# kernels library, the workspace manifest, lock file and toolchain pin.
pkg_stamp="$venv/.kmeans_roofline.sha256"
pkg_want=$( (find python/Cargo.toml python/pyproject.toml python/src python/kmeans_roofline \
               kernels/Cargo.toml kernels/src Cargo.toml Cargo.lock \
               -type f ! -name '*.pyc' 2>/dev/null; ls rust-toolchain* 2>/dev/null || true) \
            | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ -f "$pkg_stamp" ] && [ "$(cat "$pkg_stamp")" = "$pkg_want" ] \
   && "$py" -c 'import kmeans_roofline' 2>/dev/null; then
  echo "venv $venv: kmeans_roofline up to date"
  exit 0
fi
wheels=target/wheels-kmeans-roofline
rm -rf "$wheels"
echo "building kmeans_roofline (maturin, release; a few minutes on a cold cache)"
nice "$venv/bin/maturin" build --release --quiet -m python/Cargo.toml \
  --interpreter "$py" --out "$wheels"
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
  "$wheels"/kmeans_roofline-*.whl
echo "$pkg_want" > "$pkg_stamp"
echo "venv $venv: kmeans_roofline installed"
