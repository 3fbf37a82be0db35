//! `kmeans_roofline._core`: the Rust half of the `kmeans_roofline` Python package.
//!
//! Thin functions over [`kernels::KMeans`] and [`kernels::Fit`]; the scikit-learn
//! estimator, its parameter checks and the input validation are Python
//! (`kmeans_roofline/_estimator.py`). What this layer guarantees:
//!
//! * **No copy of the data**: a C-contiguous float64 or float32 array (writeable or
//!   not, a read-only `np.memmap` included) is borrowed as a slice for the whole fit.
//! * **The GIL is released** while the kernels run: the fit runs on a worker thread
//!   while the calling thread, without the GIL, waits for it in slices of
//!   [`POLL`], taking the GIL between slices only to run Python's signal handlers.
//! * **Ctrl-C**: when a handler raises (`KeyboardInterrupt`), the fit's cancel flag
//!   is set, the worker stops within one chunk of work and is joined, and the
//!   exception propagates; nothing of the fit remains running.

mod blocks;

use kernels::{Algorithm, Data, Error, Fit, Init, KMeans, KernelChoice, Precision};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How long the waiting thread sleeps (without the GIL) between two looks at
/// Python's pending signals.
const POLL: Duration = Duration::from_millis(20);

/// A library error as the Python exception scikit-learn would raise for it.
fn to_py(e: Error) -> PyErr {
    match e {
        Error::Io { .. } => PyOSError::new_err(e.to_string()),
        Error::Cancelled => PyKeyboardInterrupt::new_err("k-means fit interrupted"),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The borrowed values of a 2-D float64 or float32 NumPy array.
enum Rows<'py> {
    F64(PyReadonlyArray2<'py, f64>),
    F32(PyReadonlyArray2<'py, f32>),
}

impl<'py> Rows<'py> {
    /// Borrows `x` (a 2-D C-contiguous float64 or float32 array) without a copy.
    fn borrow(x: &Bound<'py, PyAny>) -> PyResult<Self> {
        let rows = if let Ok(a) = x.cast::<PyArray2<f64>>() {
            Rows::F64(a.try_readonly()?)
        } else if let Ok(a) = x.cast::<PyArray2<f32>>() {
            Rows::F32(a.try_readonly()?)
        } else {
            return Err(PyTypeError::new_err(
                "expected a 2-D float64 or float32 NumPy array",
            ));
        };
        let contiguous = match &rows {
            Rows::F64(a) => a.is_c_contiguous(),
            Rows::F32(a) => a.is_c_contiguous(),
        };
        if !contiguous {
            return Err(PyValueError::new_err("the array must be C-contiguous"));
        }
        Ok(rows)
    }

    /// `(n, d)`.
    fn shape(&self) -> (usize, usize) {
        let s = match self {
            Rows::F64(a) => a.shape(),
            Rows::F32(a) => a.shape(),
        };
        (s[0], s[1])
    }

    /// The rows as a [`Data`] borrowing the array's buffer.
    fn data(&self) -> PyResult<Data<'_>> {
        let (n, d) = self.shape();
        let data = match self {
            Rows::F64(a) => Data::f64(a.as_slice()?, n, d),
            Rows::F32(a) => Data::f32(a.as_slice()?, n, d),
        };
        data.map_err(to_py)
    }
}

/// Runs `work` on a worker thread while the calling thread waits without the GIL,
/// looking at Python's signals every [`POLL`]. When a signal handler raises, `cancel`
/// is set, the worker is joined (the kernels stop within one chunk) and the handler's
/// exception is returned.
fn run_interruptible<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    work: impl FnOnce() -> kernels::Result<T> + Send,
) -> PyResult<T> {
    std::thread::scope(|s| {
        let (tx, mut rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("kmeans-fit".into())
            .spawn_scoped(s, move || {
                let _ = tx.send(work());
            })
            .map_err(|e| PyOSError::new_err(format!("cannot start the fit thread: {e}")))?;
        loop {
            // The receiver is not `Sync`: it goes to the GIL-free closure and back.
            let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
            rx = back;
            match got {
                Ok(r) => {
                    let _ = worker.join();
                    return r.map_err(to_py);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // The worker died without a result: a panic in the kernels.
                    return match worker.join() {
                        Err(p) => std::panic::resume_unwind(p),
                        Ok(()) => Err(PyValueError::new_err("the fit ended without a result")),
                    };
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Err(e) = py.check_signals() {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                // Wait (without the GIL) for the worker to notice; its result is moot.
                py.detach(move || {
                    let _ = rx.recv();
                });
                let _ = worker.join();
                return Err(e);
            }
        }
    })
}

/// The configuration of a fit, from the estimator's (already checked) parameters.
#[allow(clippy::too_many_arguments)]
fn model(
    k: usize,
    init: &str,
    init_centers: Option<Vec<f64>>,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    algorithm: &str,
    precision: &str,
    seed: u64,
    threads: usize,
    kernel: &str,
) -> PyResult<KMeans> {
    let init = match (init, init_centers) {
        (_, Some(c)) => Init::Explicit(c),
        ("k-means++", None) => Init::GreedyKMeansPlusPlus,
        ("k-means++-plain", None) => Init::KMeansPlusPlus,
        ("random", None) => Init::Random,
        ("k-means||", None) => Init::k_means_parallel(),
        (other, None) => {
            return Err(PyValueError::new_err(format!("unknown init {other:?}")));
        }
    };
    let mut m = KMeans::new(k)
        .init(init)
        .n_init(n_init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(seed)
        .threads(threads)
        .kernel(
            kernel
                .parse::<KernelChoice>()
                .map_err(PyValueError::new_err)?,
        )
        .precision(match precision {
            "f64" => Precision::F64,
            "f32" => Precision::F32,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown precision {other:?}"
                )))
            }
        });
    m = match algorithm {
        "auto" => m,
        "lloyd" => m.algorithm(Algorithm::Lloyd),
        "hamerly" => m.algorithm(Algorithm::Hamerly),
        "elkan" => m.algorithm(Algorithm::Elkan),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown algorithm {other:?}"
            )))
        }
    };
    Ok(m)
}

/// One fitted k as a Python tuple `(labels int32 (n,), centers float64 (k, d),
/// inertia, n_iter, converged, algorithm, threads)`.
fn fit_tuple<'py>(py: Python<'py>, f: Fit) -> PyResult<Bound<'py, PyTuple>> {
    let labels: Vec<i32> = f.labels.iter().map(|&l| l as i32).collect();
    let centers = f.centers.into_pyarray(py).reshape([f.k, f.d])?;
    let algorithm = match f.algorithm {
        Algorithm::Lloyd => "lloyd",
        Algorithm::Hamerly => "hamerly",
        Algorithm::Elkan => "elkan",
    };
    (
        labels.into_pyarray(py),
        centers,
        f.inertia,
        f.n_iter,
        f.converged,
        algorithm,
        f.threads,
    )
        .into_pyobject(py)
}

/// The fits of a sweep (one [`fit_tuple`] per k) and the data's `(n, d)`.
type Sweep<'py> = (Vec<Bound<'py, PyTuple>>, (usize, usize));

/// Fits every k of `k_min..=k_max` (one k when `k_min` is None) to `x`, a 2-D
/// C-contiguous float64/float32 array borrowed without a copy, or to the file at
/// `path` (CSV or `.npy`, read by the Rust loader) when `x` is None. Returns a list
/// of [`fit_tuple`]s and the data's `(n, d)`.
#[pyfunction]
#[pyo3(signature = (x, path, k, k_min, init, init_centers, n_init, max_iter, tol,
    algorithm, precision, seed, threads, sample_weight, kernel="auto"))]
#[allow(clippy::too_many_arguments)]
fn fit<'py>(
    py: Python<'py>,
    x: Option<&Bound<'py, PyAny>>,
    path: Option<PathBuf>,
    k: usize,
    k_min: Option<usize>,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'py, f64>>,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    algorithm: &str,
    precision: &str,
    seed: u64,
    threads: usize,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    kernel: &str,
) -> PyResult<Sweep<'py>> {
    let centers = match &init_centers {
        Some(c) => Some(c.as_slice()?.to_vec()),
        None => None,
    };
    let cancel = Arc::new(AtomicBool::new(false));
    let m = model(
        k, init, centers, n_init, max_iter, tol, algorithm, precision, seed, threads, kernel,
    )?
    .cancel_flag(cancel.clone());
    let weights = match &sample_weight {
        Some(w) => Some(w.as_slice()?),
        None => None,
    };
    let ks = k_min.unwrap_or(k)..=k;
    let (fits, shape) = match (x, path) {
        (Some(x), None) => {
            let rows = Rows::borrow(x)?;
            let mut data = rows.data()?;
            if let Some(w) = weights {
                data = data.with_weights(w).map_err(to_py)?;
            }
            let shape = rows.shape();
            let fits = run_interruptible(py, &cancel, || m.elbow(&data, ks))?;
            (fits, shape)
        }
        (None, Some(path)) => run_interruptible(py, &cancel, || {
            let exec = kernels::Exec::new(threads)?;
            let set = kernels::data::load(&path, &exec)?;
            let name = path.display().to_string();
            let mut data = Data::from_matrix(&set.matrix).named(name);
            if let Some(w) = weights {
                data = data.with_weights(w)?;
            }
            Ok((m.elbow(&data, ks)?, (set.n(), set.d())))
        })?,
        _ => return Err(PyValueError::new_err("give either an array or a path")),
    };
    let fits = fits
        .into_iter()
        .map(|f| fit_tuple(py, f))
        .collect::<PyResult<Vec<_>>>()?;
    Ok((fits, shape))
}

/// A model of known `centers` (`k × d`, float64) for predict and transform.
fn restored(centers: &PyReadonlyArray2<'_, f64>, precision: &str, threads: usize) -> PyResult<Fit> {
    let s = centers.shape();
    let precision = if precision == "f32" {
        Precision::F32
    } else {
        Precision::F64
    };
    Fit::from_centers(centers.as_slice()?.to_vec(), s[0], s[1], precision, threads).map_err(to_py)
}

/// The nearest of `centers` for every row of `x` (int32), computed as the fit's final
/// label pass is.
#[pyfunction]
fn predict<'py>(
    py: Python<'py>,
    centers: PyReadonlyArray2<'py, f64>,
    x: &Bound<'py, PyAny>,
    precision: &str,
    threads: usize,
) -> PyResult<Bound<'py, PyArray1<i32>>> {
    let fit = restored(&centers, precision, threads)?;
    let rows = Rows::borrow(x)?;
    let data = rows.data()?;
    let labels = py.detach(|| fit.predict(&data)).map_err(to_py)?;
    let labels: Vec<i32> = labels.into_iter().map(|l| l as i32).collect();
    Ok(labels.into_pyarray(py))
}

/// The Euclidean distance of every row of `x` to every center, `n × k` float64.
#[pyfunction]
fn transform<'py>(
    py: Python<'py>,
    centers: PyReadonlyArray2<'py, f64>,
    x: &Bound<'py, PyAny>,
    threads: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let fit = restored(&centers, "f64", threads)?;
    let rows = Rows::borrow(x)?;
    let (n, _) = rows.shape();
    let data = rows.data()?;
    let k = fit.k;
    let out = py.detach(|| fit.transform(&data)).map_err(to_py)?;
    out.into_pyarray(py).reshape([n, k])
}

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(transform, m)?)?;
    blocks::register(m)?;
    Ok(())
}
