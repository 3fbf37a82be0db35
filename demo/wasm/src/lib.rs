//! # kmeans-wasm: the `kernels` crate's k-means behind a minimal WebAssembly ABI
//!
//! The browser demo (`demo/site/`) runs this module against a pure-JavaScript k-means
//! on the same data and the same initial centers. The crate has two layers:
//!
//! * a **safe core** ([`Dataset`], [`Dataset::initial_centers`], [`Dataset::run`]),
//!   plain Rust over slices, used by the native reference (`examples/native_ref.rs`)
//!   and the unit tests;
//! * the **ABI** (module `abi`, wasm32 only): `extern "C"` functions over raw
//!   pointers into the module's linear memory, called from JavaScript without
//!   `wasm-bindgen`.
//!
//! ## Which kernel runs
//!
//! The module is built twice (see `demo/build.sh`):
//!
//! * with `-C target-feature=+simd128`: the flat layout (`kernels::layout::Flat`)
//!   with `KernelChoice::Auto`, i.e. the portable pulp kernels of
//!   `kernels::kernel::assign` at the `simd128` level (2 f64 lanes);
//! * without it: [`ScalarRows`], the same contiguous rows with the canonical scalar
//!   loop (`kernels::kernel::scalar::assign`) and the trait's scalar seeding. Going
//!   through `Flat` with `KernelChoice::Scalar` would not do: `Flat` picks its kernel
//!   at run time, so pulp's simd128 code would still be compiled in, and a module
//!   with a single SIMD instruction does not validate on an engine without
//!   WebAssembly SIMD. Without any reference to the dispatcher, the module is
//!   SIMD-free (`build.sh` checks it with `wasm-validate --disable-simd` when wabt is
//!   installed).
//!
//! Natively (the reference), the flat layout dispatches to AVX2/AVX-512/NEON. Every
//! kernel returns the canonical labels (argmin of `kernels::distance::dist2`, lowest
//! index on ties) and sums points in row order, so all builds agree bit for bit.

use kernels::accum::{Centers, Partial};
use kernels::data::Matrix;
use kernels::exec::Exec;
use kernels::fit::{absolute_tol, lloyd, Params};
use kernels::init::{initial_centers, Init};
use kernels::layout::Layout;
use kernels::rng::Rng;
use std::fmt;
use std::ops::Range;

#[cfg(target_arch = "wasm32")]
pub mod abi;

/// True for the wasm build without simd128: runs [`ScalarRows`] (see the crate docs).
pub const SCALAR_BUILD: bool = cfg!(all(target_arch = "wasm32", not(target_feature = "simd128")));

/// Name of the instruction set the assignment kernel runs at: `scalar`, `simd128`
/// (wasm), or the native level (`avx2`, `avx512`, `neon`).
pub fn kernel_isa() -> &'static str {
    if SCALAR_BUILD {
        "scalar"
    } else {
        kernels::kernel::isa_name()
    }
}

/// The layout this build runs on (see the crate docs).
#[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
fn layout(m: &Matrix) -> impl Layout + '_ {
    ScalarRows::new(m)
}

/// The layout this build runs on (see the crate docs).
#[cfg(not(all(target_arch = "wasm32", not(target_feature = "simd128"))))]
fn layout(m: &Matrix) -> impl Layout + '_ {
    kernels::layout::Flat::new(m, kernels::kernel::KernelChoice::Auto)
}

/// Contiguous rows with the canonical scalar assignment loop and nothing else: no
/// reference to the SIMD dispatcher, so none of its code is compiled in.
pub struct ScalarRows<'a> {
    m: &'a Matrix,
}

impl<'a> ScalarRows<'a> {
    pub fn new(m: &'a Matrix) -> Self {
        ScalarRows { m }
    }
}

impl Layout for ScalarRows<'_> {
    fn n(&self) -> usize {
        self.m.n()
    }
    fn d(&self) -> usize {
        self.m.d()
    }
    #[inline]
    fn row<'a>(&'a self, i: usize, _buf: &'a mut Vec<f64>) -> &'a [f64] {
        self.m.row(i)
    }
    fn assign(
        &self,
        rows: Range<usize>,
        centers: &Centers,
        labels: &mut [u32],
        part: &mut Partial,
        accumulate: bool,
    ) {
        let d = self.m.d();
        let x = &self.m.as_slice()[rows.start * d..rows.end * d];
        kernels::kernel::scalar::assign(x, d, centers, labels, part, accumulate);
    }
    fn name(&self) -> &'static str {
        "scalar-rows"
    }
}

/// Why a request was refused. Each has a stable negative code for the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoError {
    /// A pointer argument was null.
    NullPointer,
    /// `n`, `d` or a buffer length does not fit the shape (zero rows or columns,
    /// `n × d` overflowing, a centers buffer that is not `k × d`).
    BadShape,
    /// `k` is 0 or larger than `n`.
    BadK,
    /// A data or center value is NaN or infinite.
    NonFinite,
    /// `tol` is negative or NaN.
    BadTol,
}

impl DemoError {
    /// The ABI's return code (always negative).
    pub fn code(self) -> i32 {
        match self {
            DemoError::NullPointer => -1,
            DemoError::BadShape => -2,
            DemoError::BadK => -3,
            DemoError::NonFinite => -4,
            DemoError::BadTol => -5,
        }
    }
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DemoError::NullPointer => "null pointer",
            DemoError::BadShape => "shape does not match the buffers",
            DemoError::BadK => "k must be between 1 and n",
            DemoError::NonFinite => "values must be finite",
            DemoError::BadTol => "tol must be >= 0",
        })
    }
}

impl std::error::Error for DemoError {}

/// The outcome of one Lloyd run.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// One label per point, `0..k`.
    pub labels: Vec<u32>,
    /// Final centers, `k × d` row-major.
    pub centers: Vec<f64>,
    /// `Σ dist2(x_i, c_{label_i})`.
    pub inertia: f64,
    /// Lloyd iterations run.
    pub iterations: usize,
    /// Stopped by unchanged labels or the tolerance (not by `max_iter`).
    pub converged: bool,
}

/// An `n × d` data set, copied once so every run reads it in place.
pub struct Dataset {
    m: Matrix,
}

impl Dataset {
    /// Copies `values` (`n × d`, row-major, finite).
    pub fn new(values: &[f64], n: usize, d: usize) -> Result<Self, DemoError> {
        if n == 0 || d == 0 || n.checked_mul(d) != Some(values.len()) {
            return Err(DemoError::BadShape);
        }
        if !values.iter().all(|v| v.is_finite()) {
            return Err(DemoError::NonFinite);
        }
        Ok(Dataset {
            m: Matrix::from_vec(n, d, values.to_vec()),
        })
    }

    /// Number of points.
    pub fn n(&self) -> usize {
        self.m.n()
    }

    /// Dimension.
    pub fn d(&self) -> usize {
        self.m.d()
    }

    /// scikit-learn's greedy k-means++ from the binary's random stream for greedy
    /// k-means++ and `k` under `seed` (`kernels::init::stream`): the same centers as
    /// the `kmeans` binary's `--seed seed` for this `k`.
    pub fn initial_centers(&self, k: usize, seed: u64) -> Result<Vec<f64>, DemoError> {
        if k == 0 || k > self.n() {
            return Err(DemoError::BadK);
        }
        let x = layout(&self.m);
        let stream = kernels::init::stream(&Init::GreedyKMeansPlusPlus, k);
        let mut rng = Rng::for_start(seed, stream, 0);
        Ok(initial_centers(
            &x,
            &Exec::serial(),
            k,
            &Init::GreedyKMeansPlusPlus,
            &mut rng,
        ))
    }

    /// Lloyd from `init` (`k × d`), serial, with scikit-learn's stopping rule
    /// (`tol` relative to the mean feature variance).
    pub fn run(&self, init: &[f64], max_iter: usize, tol: f64) -> Result<Output, DemoError> {
        let d = self.d();
        let k = init.len() / d;
        if init.len() % d != 0 {
            return Err(DemoError::BadShape);
        }
        if k == 0 || k > self.n() {
            return Err(DemoError::BadK);
        }
        if !init.iter().all(|v| v.is_finite()) {
            return Err(DemoError::NonFinite);
        }
        if tol.is_nan() || tol < 0.0 {
            return Err(DemoError::BadTol);
        }
        let x = layout(&self.m);
        let exec = Exec::serial();
        let params = Params {
            max_iter,
            tol,
            ..Params::default()
        };
        let tol_abs = absolute_tol(&x, &exec, tol);
        let kernels::fit::Outcome {
            labels,
            centers,
            inertia,
            iterations,
            converged,
            ..
        } = lloyd(&x, &exec, init, &params, tol_abs);
        Ok(Output {
            labels,
            centers,
            inertia,
            iterations,
            converged,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_groups() -> Dataset {
        Dataset::new(&[0.0, 0.0, 0.1, 0.0, 10.0, 10.0, 10.1, 10.0], 4, 2).unwrap()
    }

    #[test]
    fn separates_two_groups() {
        let ds = two_groups();
        let c0 = ds.initial_centers(2, 7).unwrap();
        let out = ds.run(&c0, 300, 1e-4).unwrap();
        assert_eq!(out.labels[0], out.labels[1]);
        assert_eq!(out.labels[2], out.labels[3]);
        assert_ne!(out.labels[0], out.labels[2]);
        assert!((out.inertia - 0.01).abs() < 1e-12);
        assert!(out.converged);
    }

    #[test]
    fn scalar_rows_agree_with_the_dispatched_kernels() {
        // The wasm scalar build runs `ScalarRows`; it must match the flat layout's
        // SIMD kernels (seeding and Lloyd) bit for bit, here on a shape with exact
        // ties and an empty cluster (the last initial center is far away).
        let mut v = Vec::new();
        for i in 0..3000 {
            v.push((i % 17) as f64);
            v.push((i % 5) as f64 * 0.5);
            v.push(((i * 7) % 11) as f64 * 0.25);
        }
        let m = Matrix::from_vec(3000, 3, v);
        let exec = Exec::serial();
        let params = Params::default();
        let scalar = ScalarRows::new(&m);
        let flat = kernels::layout::Flat::new(&m, kernels::kernel::KernelChoice::Auto);
        for k in [1, 2, 5, 9] {
            let a = initial_centers(
                &scalar,
                &exec,
                k,
                &Init::GreedyKMeansPlusPlus,
                &mut Rng::for_k(3, k),
            );
            let b = initial_centers(
                &flat,
                &exec,
                k,
                &Init::GreedyKMeansPlusPlus,
                &mut Rng::for_k(3, k),
            );
            assert_eq!(a, b, "seeding, k = {k}");
        }
        let init: Vec<f64> = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 16.0, 2.0, 2.5, 1e3, 1e3, 1e3];
        let tol = absolute_tol(&scalar, &exec, params.tol);
        assert_eq!(
            tol.to_bits(),
            absolute_tol(&flat, &exec, params.tol).to_bits()
        );
        let a = lloyd(&scalar, &exec, &init, &params, tol);
        let b = lloyd(&flat, &exec, &init, &params, tol);
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.centers, b.centers);
        assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
        assert_eq!(a.iterations, b.iterations);
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(Dataset::new(&[1.0], 1, 2).err(), Some(DemoError::BadShape));
        assert_eq!(
            Dataset::new(&[f64::NAN, 1.0], 1, 2).err(),
            Some(DemoError::NonFinite)
        );
        let ds = two_groups();
        assert_eq!(ds.initial_centers(5, 1).err(), Some(DemoError::BadK));
        assert_eq!(ds.run(&[0.0; 3], 10, 1e-4).err(), Some(DemoError::BadShape));
        assert_eq!(ds.run(&[0.0; 2], 10, -1.0).err(), Some(DemoError::BadTol));
        assert_eq!(
            ds.run(&[f64::INFINITY, 0.0], 10, 1e-4).err(),
            Some(DemoError::NonFinite)
        );
    }
}
