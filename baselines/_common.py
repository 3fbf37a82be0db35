"""Shared command line, I/O and error handling for the Python k-means contestants.

Every contestant script does the same thing around its own fit:

    read CSV/.npy -> validate -> fit k = k_min..k_max (or the k of --init-centers)
    -> write the output CSV atomically -> optionally write the --summary JSON.

The contract is the `kmeans` binary's (shared/DESIGN.md); see baselines/README.md.

Exit status: 0 success, 1 unexpected internal error (one line, no traceback),
2 bad usage or bad input (one line on stderr naming the problem, no output file),
3 optional contestant not installed (see `require_optional`), 130 interrupted.
"""

import argparse
import csv
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_MISSING_OPTIONAL = 3
EXIT_INTERRUPTED = 130

# Strings that pandas' default NA detection turns into NaN in the feature columns
# (they are then reported as errors, with their line and column).
_NA_STRINGS = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "-nan", "-NaN", "#N/A"]


class InputError(Exception):
    """Bad usage or bad input: reported as one line on stderr, exit status 2."""


def require_optional(module_name, package_name):
    """Import an optional package or exit 3 with a one-line note (harness skips)."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError:
        print(f"{package_name} is not installed", file=sys.stderr)
        sys.exit(EXIT_MISSING_OPTIONAL)


# --------------------------------------------------------------------------- CLI


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (status 2) instead of usage + error."""

    def error(self, message):
        raise InputError(message)


def _int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return v


def _float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    return v


def build_parser(contestant, inits, description):
    p = _Parser(prog=f"kmeans_{contestant}.py", description=description)
    p.add_argument("--input", required=True, metavar="FILE",
                   help="CSV with header ID,feature_1..feature_d, or a 2-D f64/f32 .npy (IDs = row numbers 0..n-1)")
    p.add_argument("--output", required=True, metavar="FILE",
                   help="output CSV: ID,feature_1..feature_d,cluster_<k>... (labels 0-based)")
    p.add_argument("--k-max", "--k_clusters_max", dest="k_max", type=_int, metavar="K",
                   help="largest k of the sweep (required unless --init-centers)")
    p.add_argument("--k-min", dest="k_min", type=_int, default=1, metavar="K",
                   help="smallest k of the sweep (default 1)")
    p.add_argument("--seed", "--random-state", dest="seed", type=_int, default=42,
                   help="random seed, 0 <= seed < 2**32 (default 42)")
    p.add_argument("--init", default="k-means++", metavar="METHOD",
                   help=f"initialisation: {', '.join(inits)} (default k-means++)")
    p.add_argument("--init-centers", dest="init_centers", metavar="FILE",
                   help="CSV of initial centers (one per row, d columns, header optional); fits exactly that k")
    p.add_argument("--max-iter", dest="max_iter", type=_int, default=300)
    p.add_argument("--tol", type=_float, default=1e-4,
                   help="tolerance relative to the mean per-feature variance (default 1e-4)")
    p.add_argument("--summary", metavar="FILE.json", help="write a JSON summary of the run")
    p.add_argument("--threads", type=_int, default=0,
                   help="0 = library default (all cores), N > 0 = limit (see README per contestant)")
    return p


def parse_args(parser, inits, argv=None):
    args = parser.parse_args(argv)
    if args.init not in inits:
        raise InputError(f"--init {args.init!r} is not supported by this contestant (choose from: {', '.join(inits)})")
    if args.init_centers is None:
        if args.k_max is None:
            raise InputError("--k-max is required (or give --init-centers)")
        if args.k_max < 1:
            raise InputError(f"--k-max must be >= 1, got {args.k_max}")
        if args.k_min < 1:
            raise InputError(f"--k-min must be >= 1, got {args.k_min}")
        if args.k_min > args.k_max:
            raise InputError(f"--k-min ({args.k_min}) is larger than --k-max ({args.k_max})")
    if not (0 <= args.seed < 2**32):
        raise InputError(f"--seed must be in [0, 2**32), got {args.seed}")
    if args.max_iter < 1:
        raise InputError(f"--max-iter must be >= 1, got {args.max_iter}")
    if not (math.isfinite(args.tol) and args.tol >= 0):
        raise InputError(f"--tol must be a finite number >= 0, got {args.tol}")
    if args.threads < 0:
        raise InputError(f"--threads must be >= 0, got {args.threads}")
    for name in ("output", "summary"):
        path = getattr(args, name)
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise InputError(f"--{name} {path}: folder {folder} does not exist")
        if os.path.isdir(path):
            raise InputError(f"--{name} {path}: is a folder")
    return args


# ------------------------------------------------------------------------- input


class Dataset:
    """The input: `frame` (ID + feature columns, echoed verbatim by pandas) and X (n x d f64)."""

    def __init__(self, frame, X):
        self.frame = frame
        self.X = X

    @property
    def n(self):
        return self.X.shape[0]

    @property
    def d(self):
        return self.X.shape[1]


def load_input(path):
    if not os.path.exists(path):
        raise InputError(f"input file {path}: not found")
    if os.path.isdir(path):
        raise InputError(f"input file {path}: is a folder")
    if not os.access(path, os.R_OK):
        raise InputError(f"input file {path}: not readable")
    if path.lower().endswith(".npy"):
        return _load_npy(path)
    return _load_csv(path)


def _load_npy(path):
    try:
        arr = np.load(path, allow_pickle=False, mmap_mode=None)
    except Exception as e:  # ValueError for pickled/invalid headers, OSError, ...
        raise InputError(f"input file {path}: not a readable .npy file ({_one_line(e)})")
    if arr.ndim != 2:
        raise InputError(f"input file {path}: expected a 2-D array, got shape {arr.shape}")
    if arr.dtype not in (np.float64, np.float32):
        raise InputError(f"input file {path}: expected dtype float64 or float32, got {arr.dtype}")
    n, d = arr.shape
    if n == 0:
        raise InputError(f"input file {path}: no rows")
    if d == 0:
        raise InputError(f"input file {path}: no feature columns (d = 0)")
    finite = np.isfinite(arr)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise InputError(f"input file {path}: non-finite value {arr[r, c]} at row {r}, column {c}")
    X = np.ascontiguousarray(arr, dtype=np.float64)
    cols = {"ID": np.arange(n)}
    for j in range(d):
        cols[f"feature_{j + 1}"] = arr[:, j]
    return Dataset(pd.DataFrame(cols), X)


def _load_csv(path):
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns.tolist()
    except pd.errors.EmptyDataError:
        raise InputError(f"input file {path}: empty (no header)")
    except UnicodeDecodeError as e:
        raise InputError(f"input file {path}: not UTF-8 text ({_one_line(e)})")
    except Exception as e:
        raise InputError(f"input file {path}: cannot parse the header ({_one_line(e)})")
    if len(header) < 2:
        raise InputError(f"input file {path}: no feature columns (d = 0): header has {len(header)} column(s)")
    id_col, feat_cols = header[0], header[1:]
    try:
        # The seed's I/O: pandas read_csv. IDs are kept as text; the default NA strings
        # are only recognised in the feature columns (and then rejected below).
        frame = pd.read_csv(
            path,
            encoding="utf-8-sig",
            dtype={id_col: str},
            keep_default_na=False,
            na_values={c: _NA_STRINGS for c in feat_cols},
        )
    except pd.errors.ParserError as e:
        _diagnose_csv(path, len(header))
        raise InputError(f"input file {path}: {_one_line(e)}")
    except UnicodeDecodeError as e:
        raise InputError(f"input file {path}: not UTF-8 text ({_one_line(e)})")
    if len(frame) == 0:
        raise InputError(f"input file {path}: no data rows (header only)")
    feats = frame.iloc[:, 1:]
    numeric = all(pd.api.types.is_float_dtype(t) or pd.api.types.is_integer_dtype(t) for t in feats.dtypes)
    X = None
    if numeric:
        X = np.ascontiguousarray(feats.to_numpy(dtype=np.float64))
        if not np.isfinite(X).all():
            X = None
    if X is None:
        # Slow path, only on bad input: find the first bad line/column for the message.
        _diagnose_csv(path, len(header))
        raise InputError(f"input file {path}: non-numeric or non-finite feature values")
    return Dataset(frame, X)


def _diagnose_csv(path, ncols):
    """Re-read a CSV that pandas found bad and raise InputError naming line and column."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        for row in reader:
            line = reader.line_num
            if not row:
                continue  # blank line; pandas skips those too
            if len(row) != ncols:
                raise InputError(f"input file {path}: ragged row at line {line}: {len(row)} fields, expected {ncols}")
            for c in range(1, ncols):
                text = row[c]
                try:
                    v = float(text)
                except ValueError:
                    raise InputError(
                        f"input file {path}: non-numeric value {text!r} at line {line}, column {c + 1} ({header[c]})")
                if not math.isfinite(v):
                    raise InputError(
                        f"input file {path}: non-finite value {text!r} at line {line}, column {c + 1} ({header[c]})")


def load_centers(path, d, n):
    """--init-centers: CSV, one center per row, d columns; a header is detected by its
    first row failing to parse as floats."""
    if not os.path.exists(path):
        raise InputError(f"--init-centers file {path}: not found")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f)]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"--init-centers file {path}: cannot read ({_one_line(e)})")
    numbered = [(i + 1, r) for i, r in enumerate(rows) if r and any(s.strip() for s in r)]
    if numbered:
        try:
            [float(s) for s in numbered[0][1]]
        except ValueError:
            numbered = numbered[1:]  # header row
    if not numbered:
        raise InputError(f"--init-centers file {path}: no centers")
    centers = np.empty((len(numbered), d), dtype=np.float64)
    for i, (line, row) in enumerate(numbered):
        if len(row) != d:
            raise InputError(
                f"--init-centers file {path}: line {line} has {len(row)} columns, the input has d = {d} features")
        for c, s in enumerate(row):
            try:
                v = float(s)
            except ValueError:
                raise InputError(f"--init-centers file {path}: non-numeric value {s!r} at line {line}, column {c + 1}")
            if not math.isfinite(v):
                raise InputError(f"--init-centers file {path}: non-finite value {s!r} at line {line}, column {c + 1}")
            centers[i, c] = v
    if len(centers) > n:
        raise InputError(f"--init-centers file {path}: k = {len(centers)} centers but only n = {n} points")
    return centers


# ------------------------------------------------------------------------ output


def _atomic_write(path, write_fn):
    """Write via a temporary file in the same folder; returns the temp path (not yet renamed)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            write_fn(f)
    except BaseException:
        _remove_quietly(tmp)
        raise
    return tmp


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _one_line(e):
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__).strip()


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


# ------------------------------------------------------------------------ runner


def run(contestant, t_start, fit_one, inits, description, versions, limit_threads=None, argv=None):
    """Parse, load, fit every k with `fit_one(X, k, args, init_centers_or_None)`, write.

    fit_one returns a dict with labels (n ints), inertia, iterations, converged, centers.
    `limit_threads(n)` (optional) returns a context manager applied around the fits when
    --threads N > 0.
    """
    tmp_files = []
    try:
        import_s = time.perf_counter() - t_start
        parser = build_parser(contestant, inits, description)
        args = parse_args(parser, inits, argv)

        t0 = time.perf_counter()
        data = load_input(args.input)
        init_centers = None
        if args.init_centers is not None:
            init_centers = load_centers(args.init_centers, data.d, data.n)
            ks = [init_centers.shape[0]]
        else:
            if args.k_max > data.n:
                raise InputError(f"--k-max {args.k_max} is larger than the number of points n = {data.n} in {args.input}")
            ks = list(range(args.k_min, args.k_max + 1))
        read_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        results = []
        labels_by_k = {}
        ctx = limit_threads(args.threads) if (limit_threads is not None and args.threads > 0) else None
        if ctx is not None:
            ctx.__enter__()
        try:
            for k in ks:
                tk = time.perf_counter()
                r = fit_one(data.X, k, args, init_centers)
                seconds = time.perf_counter() - tk
                labels_by_k[k] = np.asarray(r["labels"], dtype=np.int64)
                results.append({
                    "k": k,
                    "inertia": float(r["inertia"]),
                    "iterations": int(r["iterations"]),
                    "converged": bool(r["converged"]),
                    "seconds": seconds,
                    "centers": np.asarray(r["centers"], dtype=np.float64).tolist(),
                })
        finally:
            if ctx is not None:
                ctx.__exit__(None, None, None)
        fit_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        out = data.frame.copy(deep=False)
        for k in ks:
            out[f"cluster_{k}"] = labels_by_k[k]
        tmp_files.append((_atomic_write(args.output, lambda f: out.to_csv(f, index=False)), args.output))
        write_s = time.perf_counter() - t0

        if args.summary is not None:
            from threadpoolctl import threadpool_info

            summary = {
                "contestant": contestant,
                "n": data.n,
                "d": data.d,
                "input": args.input,
                "seed": args.seed,
                "init": "explicit" if init_centers is not None else args.init,
                "max_iter": args.max_iter,
                "tol": args.tol,
                "threads": args.threads,
                "results": results,
                "timings": {
                    "import_s": import_s,
                    "read_s": read_s,
                    "fit_s": fit_s,
                    "write_s": write_s,
                    "total_s": time.perf_counter() - t_start,
                },
                "versions": versions(),
                "blas": threadpool_info(),
                "env": {k: os.environ[k] for k in sorted(os.environ) if k.startswith(("OPENBLAS", "OMP_", "MKL_"))},
            }
            text = json.dumps(_jsonable(summary), indent=1, allow_nan=False)
            tmp_files.append((_atomic_write(args.summary, lambda f: f.write(text + "\n")), args.summary))
        for tmp, final in tmp_files:
            os.replace(tmp, final)
        tmp_files = []
        return EXIT_OK
    except InputError as e:
        print(f"kmeans_{contestant}.py: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"kmeans_{contestant}.py: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(f"kmeans_{contestant}.py: error: out of memory", file=sys.stderr)
        return EXIT_INTERNAL
    except OSError as e:
        print(f"kmeans_{contestant}.py: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # never a traceback
        print(f"kmeans_{contestant}.py: internal error: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        for tmp, _ in tmp_files:
            _remove_quietly(tmp)
