//! The library's front door: [`KMeans`], a configuration in the shape of
//! scikit-learn's `sklearn.cluster.KMeans` (and linfa's builder), whose
//! [`fit`](KMeans::fit) returns a [`Fit`] that can [`predict`](Fit::predict) and
//! [`transform`](Fit::transform) new data.
//!
//! Data is borrowed, never copied when it need not be: [`Data`] wraps a row-major
//! `&[f64]` or `&[f32]` with its shape, so a NumPy array or a memory-mapped `.npy`
//! can be passed straight in. f64 data fitted in f64 is read in place; f32 data is
//! widened to f64 for an f64 fit (one copy), and [`Precision::F32`] stores a blocked
//! f32 copy (`4·n·d` bytes) whatever the input type.
//!
//! ```
//! use kernels::{Data, KMeans};
//!
//! let x = [0.0, 0.0, 0.1, 0.1, 10.0, 10.0, 10.1, 10.1];
//! let data = Data::f64(&x, 4, 2)?;
//! let fit = KMeans::new(2).seed(7).fit(&data)?;
//! assert_eq!(fit.labels[0], fit.labels[1]);
//! assert_ne!(fit.labels[0], fit.labels[2]);
//! assert_eq!(fit.predict(&Data::f64(&[9.0, 9.5], 1, 2)?)?, vec![fit.labels[2]]);
//! # Ok::<(), kernels::Error>(())
//! ```
//!
//! The elbow sweep (every k of a range, each k-means++ seeding continuing the
//! previous one) is one call, [`KMeans::elbow`]; results are those of separate
//! [`KMeans::fit`] calls bit for bit.

use crate::accum::{Centers, Partial};
use crate::data::{too_large, too_large_f32, Matrix};
use crate::distance::{dist2, max_magnitude, max_magnitude_f32};
use crate::error::{Error, Result};
use crate::exec::{auto_threads, available_cores, Exec};
use crate::fit::{absolute_tol, auto_algorithm, fit_with_tol, FitOptions, Params, Tol, CHUNK_ROWS};
use crate::init::{Init, WarmSeeds};
use crate::kernel::KernelChoice;
use crate::layout::{Flat, Flat32, Layout};
use crate::scan::{scan, ScanWants, Scanned};
use std::borrow::Cow;
use std::ops::RangeInclusive;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

pub use crate::fit::Algorithm;

/// The arithmetic of the distances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// f64 throughout; labels are the canonical argmin of
    /// [`dist2`], identical on every machine.
    #[default]
    F64,
    /// Distances in f32 with twice the SIMD lanes and half the bytes per pass; sums,
    /// centers, the shift, the tolerance and the inertia stay f64. Lloyd only.
    F32,
}

impl Precision {
    /// `"f64"` or `"f32"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// `|v| ≤ limit`: false for NaN and ±inf as well as for large values.
#[inline]
fn within(v: f64, limit: f64) -> bool {
    v.abs() <= limit
}

/// The values of a [`Data`]: a borrowed row-major slice of either float type.
#[derive(Clone, Copy, Debug)]
enum Values<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
}

/// Borrowed `n × d` row-major data with optional sample weights.
///
/// Construction checks the shape only; [`Data::check`] (or the first fit) checks the
/// values: every value finite, and small enough that squared distances and the
/// inertia cannot overflow ([`max_magnitude`], and
/// [`max_magnitude_f32`] for [`Precision::F32`]).
#[derive(Clone, Debug)]
pub struct Data<'a> {
    values: Values<'a>,
    n: usize,
    d: usize,
    weights: Option<&'a [f64]>,
    name: Cow<'a, str>,
    /// Which precisions' value checks have passed.
    checked: [bool; 2],
}

impl<'a> Data<'a> {
    fn new(values: Values<'a>, len: usize, n: usize, d: usize) -> Result<Self> {
        if d == 0 {
            return Err(Error::Invalid("data has no features (d = 0)".into()));
        }
        if n.checked_mul(d) != Some(len) {
            return Err(Error::Invalid(format!(
                "data has {len} values, not n × d = {n} × {d}"
            )));
        }
        Ok(Data {
            values,
            n,
            d,
            weights: None,
            name: Cow::Borrowed("data"),
            checked: [false; 2],
        })
    }

    /// Wraps `n × d` f64 values, row after row. Fails when `values.len() != n·d` or
    /// `d = 0`.
    pub fn f64(values: &'a [f64], n: usize, d: usize) -> Result<Self> {
        Data::new(Values::F64(values), values.len(), n, d)
    }

    /// Wraps `n × d` f32 values, row after row. Fails when `values.len() != n·d` or
    /// `d = 0`.
    pub fn f32(values: &'a [f32], n: usize, d: usize) -> Result<Self> {
        Data::new(Values::F32(values), values.len(), n, d)
    }

    /// Borrows a loaded [`Matrix`] (whose values the loaders have already found
    /// finite).
    pub fn from_matrix(m: &'a Matrix) -> Self {
        Data {
            values: Values::F64(m.as_slice()),
            n: m.n(),
            d: m.d(),
            weights: None,
            name: Cow::Borrowed("data"),
            checked: [false; 2],
        }
    }

    /// Adds one non-negative finite weight per row (scikit-learn's `sample_weight`).
    pub fn with_weights(mut self, weights: &'a [f64]) -> Result<Self> {
        if weights.len() != self.n {
            return Err(Error::Invalid(format!(
                "{} weights for {} rows",
                weights.len(),
                self.n
            )));
        }
        if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::Invalid(format!(
                "weight {} (row {}) is not a finite non-negative number",
                weights[i],
                i + 1
            )));
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// Names the data in error messages (a file name, say; `"data"` by default).
    pub fn named(mut self, name: impl Into<Cow<'a, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Rows.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Features per row.
    pub fn d(&self) -> usize {
        self.d
    }

    /// The sample weights, if any.
    pub fn weights(&self) -> Option<&'a [f64]> {
        self.weights
    }

    /// Checks the values for a fit in `precision` (one pass; remembered, so a later
    /// fit does not check again): every value finite and within [`max_magnitude`]
    /// (and [`max_magnitude_f32`] for f32). The error names the first offending row
    /// and column, counted from 1.
    pub fn check(mut self, precision: Precision) -> Result<Self> {
        self.check_values(precision)?;
        Ok(self)
    }

    fn check_values(&mut self, precision: Precision) -> Result<()> {
        if self.checked[precision as usize] {
            return Ok(());
        }
        self.scan(precision, &Exec::serial(), false, false, None)
            .map(|_| ())
    }

    /// The one pass over the values before a fit ([`crate::scan`]): the checks of
    /// [`Data::check`], and, when asked, the largest squared row norm of the f64
    /// layout (`xmax`) and the column means of the tolerance (`means`, of the values
    /// the layout of `precision` holds), on `exec`'s threads.
    fn scan(
        &mut self,
        precision: Precision,
        exec: &Exec,
        xmax: bool,
        means: bool,
        blocked: Option<&mut [f32]>,
    ) -> Result<Scanned> {
        let (n, d) = (self.n, self.d);
        let wants = ScanWants {
            limit: max_magnitude(n, d),
            limit_f32: (precision == Precision::F32).then(|| max_magnitude_f32(d)),
            xmax,
            means: means.then_some(precision == Precision::F32),
        };
        let found = match self.values {
            Values::F64(v) => scan(v, d, CHUNK_ROWS, exec, wants, blocked),
            Values::F32(v) => scan(v, d, CHUNK_ROWS, exec, wants, blocked),
        };
        let value = |i: usize| match self.values {
            Values::F64(v) => v[i],
            Values::F32(v) => v[i] as f64,
        };
        let at = |i: usize| (i / d + 1, i % d + 1);
        let what = &self.name;
        if let Some(i) = found.first_bad {
            let (v, (row, col)) = (value(i), at(i));
            return Err(if v.is_finite() {
                too_large(what, (row, col), v, n, d)
            } else {
                Error::Invalid(format!(
                    "{what}: row {row}, column {col}: {v} is not a finite number"
                ))
            });
        }
        if let Some(i) = found.first_bad_f32 {
            return Err(too_large_f32(what, at(i), value(i), d));
        }
        self.checked[precision as usize] = true;
        Ok(found)
    }

    /// The values in the blocked f32 layout, rounded from f64 or copied from f32.
    fn flat32(&self, kernel: KernelChoice) -> Flat32 {
        match self.values {
            Values::F64(v) => Flat32::from_slice(v, self.n, self.d, kernel),
            Values::F32(v) => Flat32::from_f32_slice(v, self.n, self.d, kernel),
        }
    }

    /// The values as f64: borrowed when they are f64, widened (copied) when f32.
    fn as_f64(&self) -> Cow<'a, [f64]> {
        match self.values {
            Values::F64(v) => Cow::Borrowed(v),
            Values::F32(v) => Cow::Owned(v.iter().map(|&x| x as f64).collect()),
        }
    }
}

/// Wall seconds of the phases of one fit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    /// The scan of the input (value checks, row norms, column means, the f32
    /// layout's copy) and building the layout; in a sweep, paid once and reported
    /// with every k. (The tolerance's variances are summed in the first fit's first
    /// pass, so they count in its `iter_s`.)
    pub prepare_s: f64,
    /// Seeding (summed over the `n_init` starts).
    pub init_s: f64,
    /// Lloyd's iterations and the final label pass (summed over the starts).
    pub iter_s: f64,
}

/// A fitted k-means model and how it was reached.
#[derive(Clone, Debug)]
pub struct Fit {
    /// Number of clusters.
    pub k: usize,
    /// Features per row.
    pub d: usize,
    /// The cluster of every training row, `0..k`.
    pub labels: Vec<u32>,
    /// The centers, `k × d` row-major.
    pub centers: Vec<f64>,
    /// `Σ w_i · ‖x_i − c_{label_i}‖²` (`w_i = 1` without weights).
    pub inertia: f64,
    /// Lloyd iterations run (of the best start).
    pub n_iter: usize,
    /// Stopped by the tolerance or unchanged labels, not by `max_iter`.
    pub converged: bool,
    /// Where the time went.
    pub timings: Timings,
    /// The assignment algorithm that ran (the choice of `auto`).
    pub algorithm: Algorithm,
    /// The absolute tolerance used (`tol ×` the mean per-feature variance).
    pub tol_abs: f64,
    /// Worker threads used.
    pub threads: usize,
    precision: Precision,
    kernel: KernelChoice,
}

impl Fit {
    /// Center `j` (`d` values).
    pub fn center(&self, j: usize) -> &[f64] {
        &self.centers[j * self.d..(j + 1) * self.d]
    }

    /// The precision the model was fitted in (and predicts in).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// A model made of known centers (`k × d` row-major), for [`Fit::predict`] and
    /// [`Fit::transform`] only: a fit restored from its centers (a Python pickle,
    /// say). Its labels are empty, its inertia and `n_iter` 0, and it predicts in
    /// `precision` with `threads` (0 = chosen from the work size). Fails when the
    /// centers are not `k × d` with `k, d ≥ 1`, or not finite.
    pub fn from_centers(
        centers: Vec<f64>,
        k: usize,
        d: usize,
        precision: Precision,
        threads: usize,
    ) -> Result<Fit> {
        if k == 0 || d == 0 || k.checked_mul(d) != Some(centers.len()) {
            return Err(Error::Invalid(format!(
                "{} center values are not k × d = {k} × {d}",
                centers.len()
            )));
        }
        if centers.iter().any(|v| !v.is_finite()) {
            return Err(Error::Invalid("centers must be finite".into()));
        }
        Ok(Fit {
            k,
            d,
            labels: Vec::new(),
            centers,
            inertia: 0.0,
            n_iter: 0,
            converged: true,
            timings: Timings::default(),
            algorithm: Algorithm::Lloyd,
            tol_abs: 0.0,
            threads,
            precision,
            kernel: KernelChoice::Auto,
        })
    }

    fn check_new(&self, data: &mut Data<'_>) -> Result<()> {
        if data.d != self.d {
            return Err(Error::Invalid(format!(
                "{}: {} features, but the model was fitted on {}",
                data.name, data.d, self.d
            )));
        }
        data.check_values(self.precision)
    }

    /// The nearest center of every row of `data`, computed as the fit's final label
    /// pass is (same kernel, same precision), so `predict` on the training data gives
    /// [`Fit::labels`].
    pub fn predict(&self, data: &Data<'_>) -> Result<Vec<u32>> {
        let mut data = data.clone();
        self.check_new(&mut data)?;
        let exec = Exec::new(auto_threads(self.threads, data.n, data.d, self.k))?;
        let mut centers = Centers::new(self.k, self.d);
        centers.set(&self.centers);
        let mut labels = vec![0u32; data.n];
        let label = |x: &dyn Layout, labels: &mut [u32]| {
            let mut slots = vec![(); labels.len().div_ceil(CHUNK_ROWS)];
            exec.for_each_chunk(labels, CHUNK_ROWS, &mut slots, |c, lab, _| {
                let rows = c * CHUNK_ROWS..c * CHUNK_ROWS + lab.len();
                x.assign(rows, &centers, lab, &mut Partial::new(0, 0), false);
            });
        };
        match self.precision {
            Precision::F64 => label(
                &Flat::from_slice(&data.as_f64(), data.n, data.d, self.kernel),
                &mut labels,
            ),
            Precision::F32 => label(&data.flat32(self.kernel), &mut labels),
        }
        Ok(labels)
    }

    /// The Euclidean distance from every row of `data` to every center, `n × k`
    /// row-major (scikit-learn's `transform`), from the canonical f64 squared
    /// distance.
    pub fn transform(&self, data: &Data<'_>) -> Result<Vec<f64>> {
        let mut data = data.clone();
        self.check_new(&mut data)?;
        let values = data.as_f64();
        let (k, d) = (self.k, self.d);
        let mut out = vec![0.0f64; data.n * k];
        let exec = Exec::new(auto_threads(self.threads, data.n, d, k))?;
        let mut slots = vec![(); out.len().div_ceil(CHUNK_ROWS * k)];
        exec.for_each_chunk(&mut out, CHUNK_ROWS * k, &mut slots, |c, o, _| {
            for (r, dist) in o.chunks_mut(k).enumerate() {
                let i = c * CHUNK_ROWS + r;
                let row = &values[i * d..(i + 1) * d];
                for (j, v) in dist.iter_mut().enumerate() {
                    *v = dist2(row, self.center(j)).sqrt();
                }
            }
        });
        Ok(out)
    }
}

/// A k-means configuration: scikit-learn's parameters (`n_clusters`, `init`,
/// `n_init`, `max_iter`, `tol`, `random_state`, `algorithm`) plus the precision, the
/// number of threads and the kernel. Build it with [`KMeans::new`] and the setters,
/// then [`fit`](KMeans::fit) data.
///
/// Results are deterministic: the same data and configuration give the same labels,
/// centers and inertia bit for bit whatever `threads`, `kernel` and `algorithm` are
/// (the f32 labels are the same on every SIMD level).
#[derive(Clone, Debug)]
pub struct KMeans {
    k: usize,
    init: Init,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    algorithm: Option<Algorithm>,
    precision: Precision,
    seed: u64,
    threads: usize,
    kernel: KernelChoice,
    warm_start: bool,
    cancel: Option<Arc<AtomicBool>>,
}

impl KMeans {
    /// `k` clusters with the defaults: greedy k-means++, `n_init = 1`,
    /// `max_iter = 300`, `tol = 1e-4`, the algorithm chosen by shape, f64, seed 42,
    /// threads chosen from the work size.
    pub fn new(k: usize) -> Self {
        KMeans {
            k,
            init: Init::GreedyKMeansPlusPlus,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            algorithm: None,
            precision: Precision::F64,
            seed: 42,
            threads: 0,
            kernel: KernelChoice::Auto,
            warm_start: true,
            cancel: None,
        }
    }

    /// Number of clusters (for [`KMeans::fit`]; a sweep gives its own).
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// How to choose the initial centers; [`Init::Explicit`] centers (`k × d`) fix k
    /// and make one start.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Starts per k; the lowest inertia wins (the earliest start on ties). Start 0 is
    /// the single-start result.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Maximum Lloyd iterations.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Relative tolerance: stop when the squared center shift is at most
    /// `tol ×` the mean per-feature variance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// The assignment algorithm (the results do not depend on it); unset, it is chosen
    /// by shape ([`auto_algorithm`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// The distance arithmetic.
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// The random seed (scikit-learn's `random_state`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Worker threads: 0 = chosen from the work size and the cores, 1 = serial.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// The assignment kernel (scalar reference or SIMD; same results).
    pub fn kernel(mut self, kernel: KernelChoice) -> Self {
        self.kernel = kernel;
        self
    }

    /// Whether a sweep continues each k-means++ seeding from the previous k (default
    /// on; results do not depend on it, only the seeding time does).
    pub fn warm_start(mut self, on: bool) -> Self {
        self.warm_start = on;
        self
    }

    /// Makes [`KMeans::fit`] and the sweeps cancellable: once `flag` is set (from
    /// another thread, a signal handler's poller, …) the running fit stops within one
    /// chunk of work (a few thousand rows) and returns [`Error::Cancelled`]; nothing
    /// of it is kept. The flag is not reset: clear it before the next fit.
    pub fn cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    fn check(
        &self,
        n: usize,
        d: usize,
        weights: Option<&[f64]>,
        ks: &RangeInclusive<usize>,
    ) -> Result<()> {
        let (k_min, k_max) = (*ks.start(), *ks.end());
        if k_min == 0 || k_min > k_max {
            return Err(Error::Invalid(format!(
                "k must be at least 1 (got {k_min}..={k_max})"
            )));
        }
        if self.n_init == 0 {
            return Err(Error::Invalid("n_init must be at least 1".into()));
        }
        if self.max_iter == 0 {
            return Err(Error::Invalid("max_iter must be at least 1".into()));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::Invalid("tol must be a finite number >= 0".into()));
        }
        if let Init::KMeansParallel {
            oversampling,
            rounds,
        } = self.init
        {
            if !(oversampling.is_finite() && oversampling > 0.0) || rounds == 0 {
                return Err(Error::Invalid(format!(
                    "k-means||: oversampling must be a finite number > 0 and rounds at least 1 (got {oversampling}, {rounds})"
                )));
            }
        }
        if let Init::Explicit(c) = &self.init {
            if c.len() != k_max * d || k_min != k_max {
                return Err(Error::Invalid(format!(
                    "explicit initial centers: {} values, not k × d = {k_max} × {d}",
                    c.len()
                )));
            }
            let limit = max_magnitude(n, d);
            if let Some(i) = c.iter().position(|v| !within(*v, limit)) {
                return Err(Error::Invalid(format!(
                    "initial centers: row {}, column {}: {} is not finite or too large (limit {limit:.3e})",
                    i / d + 1,
                    i % d + 1,
                    c[i]
                )));
            }
        }
        if k_max > n {
            return Err(Error::Invalid(format!(
                "k ({k_max}) is larger than the number of rows ({n})"
            )));
        }
        if let Some(w) = weights {
            let positive = w.iter().filter(|&&v| v > 0.0).count();
            if k_max > positive {
                return Err(Error::Invalid(format!(
                    "only {positive} rows have a positive weight, fewer than k = {k_max}"
                )));
            }
        }
        if self.precision == Precision::F32
            && !matches!(self.algorithm, None | Some(Algorithm::Lloyd))
        {
            return Err(Error::Invalid(format!(
                "precision f32 runs the lloyd algorithm only (the bounds of {:?} are exact for f64 distances)",
                self.algorithm.unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Fits `k` clusters ([`KMeans::new`]'s or [`KMeans::k`]'s) to `data`.
    pub fn fit(&self, data: &Data<'_>) -> Result<Fit> {
        let k = match &self.init {
            Init::Explicit(c) => c.len() / data.d.max(1),
            _ => self.k,
        };
        let mut out = None;
        self.elbow_each(data, k..=k, |f| out = Some(f))?;
        out.ok_or_else(|| Error::Invalid("no fit".into()))
    }

    /// Fits every k of `ks` (the elbow sweep), as [`KMeans::fit`] would one by one,
    /// continuing each k-means++ seeding from the previous k (see
    /// [`KMeans::warm_start`]).
    pub fn elbow(&self, data: &Data<'_>, ks: RangeInclusive<usize>) -> Result<Vec<Fit>> {
        let mut out = Vec::new();
        self.elbow_each(data, ks, |f| out.push(f))?;
        Ok(out)
    }

    /// [`KMeans::elbow`], handing each k's fit to `each` as soon as it is done (so a
    /// caller can keep only what it needs of every k).
    pub fn elbow_each(
        &self,
        data: &Data<'_>,
        ks: RangeInclusive<usize>,
        each: impl FnMut(Fit),
    ) -> Result<()> {
        let mut data = data.clone();
        self.check(data.n, data.d, data.weights, &ks)?;
        let t = Instant::now();
        let mut exec = Exec::new(auto_threads(self.threads, data.n, data.d, *ks.end()))?;
        if let Some(flag) = &self.cancel {
            exec = exec.with_cancel(flag.clone());
        }
        let run = || {
            // One pass for the value checks, the f64 kernel's row-norm bound, the
            // tolerance's column means and the f32 layout's copy.
            let f64_fit = self.precision == Precision::F64;
            let mut blocked = (!f64_fit).then(|| vec![0.0f32; data.n.div_ceil(16) * 16 * data.d]);
            let found = data.scan(
                self.precision,
                &exec,
                f64_fit,
                self.tol != 0.0,
                blocked.as_deref_mut(),
            )?;
            let means = (self.tol != 0.0).then_some(&found.means[..]);
            match blocked {
                None => {
                    let values = data.as_f64();
                    let x = Flat::with_xmax(&values, data.n, data.d, self.kernel, found.xmax);
                    self.sweep_with(&x, &exec, data.weights, ks, t, means, each)
                }
                Some(blocked) => {
                    let x = Flat32::from_blocked(blocked, data.n, data.d, self.kernel);
                    self.sweep_with(&x, &exec, data.weights, ks, t, means, each)
                }
            }
        };
        if self.cancel.is_none() {
            return run();
        }
        // A cancelled Exec unwinds with its `Cancelled` payload; the partial state
        // (seeds, centers, labels) is local to the sweep and dropped here.
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(r) => r,
            Err(p) if p.is::<crate::exec::Cancelled>() => Err(Error::Cancelled),
            Err(p) => resume_unwind(p),
        }
    }

    /// The sweep on a prepared [`Layout`] (the flat, f32 or the seed's
    /// array-of-structs layout) with the threads of `exec`: what
    /// [`KMeans::elbow_each`] runs once it has built the layout and the pool
    /// (`Exec::new(auto_threads(threads, n, d, k_max))`). The values must be finite
    /// and within [`max_magnitude`]; `ks` and the configuration are checked.
    /// `prepare_started` is when the caller began building the layout (reported as
    /// [`Timings::prepare_s`], with the tolerance's pass).
    pub fn sweep<L: Layout + ?Sized>(
        &self,
        x: &L,
        exec: &Exec,
        weights: Option<&[f64]>,
        ks: RangeInclusive<usize>,
        prepare_started: Instant,
        each: impl FnMut(Fit),
    ) -> Result<()> {
        self.sweep_with(x, exec, weights, ks, prepare_started, None, each)
    }

    /// [`KMeans::sweep`], with the column means of `x`'s values when the caller's scan
    /// of the input found them: the first fit then finds the tolerance in its first
    /// pass (bit for bit [`absolute_tol`] of `x`) instead of two passes of its own.
    #[allow(clippy::too_many_arguments)]
    fn sweep_with<L: Layout + ?Sized>(
        &self,
        x: &L,
        exec: &Exec,
        weights: Option<&[f64]>,
        ks: RangeInclusive<usize>,
        prepare_started: Instant,
        means: Option<&[f64]>,
        mut each: impl FnMut(Fit),
    ) -> Result<()> {
        let (n, d) = (x.n(), x.d());
        self.check(n, d, weights, &ks)?;
        let k_max = *ks.end();
        let precision = if x.canonical_f64() {
            Precision::F64
        } else {
            Precision::F32
        };
        // Starts run side by side when the data is too small to split and threads
        // were not limited to 1; each start is serial, so results do not change.
        let parallel_starts = if self.n_init > 1 && exec.threads() == 1 && self.threads != 1 {
            let cores = available_cores();
            if self.threads == 0 {
                cores
            } else {
                self.threads.min(cores.max(1))
            }
        } else {
            1
        };
        let algorithm = match (self.algorithm, precision) {
            (Some(a), _) => a,
            (None, Precision::F32) => Algorithm::Lloyd,
            (None, Precision::F64) => auto_algorithm(n, d, k_max),
        };
        if algorithm == Algorithm::Elkan {
            // One f64 lower bound per row and center for every start running at once.
            let need = 8u128 * n as u128 * k_max as u128 * parallel_starts.min(self.n_init) as u128;
            if let Some(avail) = crate::data::available_memory() {
                if need > avail as u128 {
                    return Err(Error::Invalid(format!(
                        "--algorithm elkan needs {:.1} GB for its bounds (8 bytes × {n} rows × k = {k_max}), more than the {:.1} GB available; use --algorithm hamerly (16 bytes per row) or lloyd",
                        need as f64 / 1e9,
                        avail as f64 / 1e9
                    )));
                }
            }
        }
        let params = Params {
            max_iter: self.max_iter,
            tol: self.tol,
            algorithm,
        };
        let warm = (self.warm_start && self.init.continues()).then(|| WarmSeeds::new(self.n_init));
        let opts = FitOptions {
            n_init: self.n_init,
            weights,
            parallel_starts,
            warm: warm.as_ref(),
        };
        // Known after the first fit (which finds it in its first pass when the means
        // are given).
        let mut tol_abs = match means {
            Some(_) => None,
            None => Some(absolute_tol(&x, exec, params.tol)),
        };
        let prepare_s = prepare_started.elapsed().as_secs_f64();
        for k in ks {
            let tol = match (tol_abs, means) {
                (None, Some(means)) => Tol::Means {
                    tol: params.tol,
                    means,
                },
                (t, _) => Tol::Abs(t.unwrap_or(0.0)),
            };
            let f = fit_with_tol(&x, exec, k, &self.init, self.seed, &params, tol, &opts);
            tol_abs = Some(f.tol_abs);
            each(Fit {
                k,
                d,
                labels: f.labels,
                centers: f.centers,
                inertia: f.inertia,
                n_iter: f.iterations,
                converged: f.converged,
                timings: Timings {
                    prepare_s,
                    init_s: f.init_seconds,
                    iter_s: f.iter_seconds,
                },
                algorithm,
                tol_abs: f.tol_abs,
                threads: exec.threads(),
                precision,
                kernel: self.kernel,
            });
        }
        Ok(())
    }

    /// Whether a sweep with this configuration continues k-means++ seedings (false
    /// for `random`, k-means|| and explicit centers, which have nothing to reuse).
    pub fn warm_starts(&self) -> bool {
        self.warm_start && self.init.continues()
    }
}
