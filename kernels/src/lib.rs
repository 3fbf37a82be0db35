//! # kernels: k-means, from the seed's naive loops to the machine's limits
//!
//! The library behind the `kmeans` binary and the benchmarks.
//!
//! * [`data`]: loading (memory-mapped parallel CSV, zero-copy `.npy`), the flat
//!   [`data::Matrix`] and the seed's array-of-structs [`data::aos::Aos`].
//! * [`layout`]: the [`layout::Layout`] trait every algorithm runs on, the canonical
//!   distance [`layout::dist2`], and the flat layout.
//! * [`kernel`]: assignment kernels of the flat layout (scalar reference, portable SIMD).
//! * [`init`]: k-means++, greedy k-means++, random and explicit initial centers.
//! * [`lloyd`]: Lloyd's algorithm with scikit-learn's stopping rule; the assignment step
//!   by every distance, or by Hamerly's or Elkan's bounds (same results bit for bit).
//! * [`single`]: the f32 layout of `--precision f32` (f32 distances, f64 sums).
//! * [`output`]: atomic CSV / `.npy` output.
//! * [`exec`]: the deterministic parallel execution scheme.
//! * [`probe`]: the machine's FMA peak and memory bandwidth.
//!
//! ## Guarantees
//!
//! * **Exact labels.** Every label is the argmin of [`layout::dist2`] (an f64 sum of
//!   squared differences in a fixed order: eight partial sums by feature index mod 8,
//!   then a fixed tree), lowest index on ties, whatever the layout, kernel or
//!   algorithm. Both layouts therefore give the same clustering. The f32 layout
//!   ([`single::Flat32`]) uses its own canonical f32 distance instead
//!   ([`single::dist2_f32`]), the same on every SIMD level.
//! * **Determinism.** Work is cut into fixed-size chunks whose partial results are
//!   combined in chunk order, so output is bit-identical for every thread count.
//! * **Memory-mapped input** is assumed not to change while it is read (as for every
//!   mmap-based reader); the binary never writes its input.
//! * **Build with optimisation.** The SIMD kernels are written to be inlined into one
//!   function per instruction-set level; unoptimised (`opt-level = 0`) that function's
//!   stack frame overflows a 2 MiB thread stack. Dependents' dev profiles should set
//!   `[profile.dev.package.kernels] opt-level = 1` (as `demo/wasm` does; this
//!   workspace's test profile already optimises).
//!
//! ## Example
//!
//! ```
//! use kernels::{data::Matrix, exec::Exec, init::Init, kernel::KernelChoice};
//! use kernels::layout::Flat;
//! use kernels::lloyd::{absolute_tol, fit, Params};
//!
//! let m = Matrix::from_vec(4, 1, vec![0.0, 0.1, 10.0, 10.1]);
//! let x = Flat::new(&m, KernelChoice::Auto);
//! let exec = Exec::serial();
//! let params = Params::default();
//! let tol = absolute_tol(&x, &exec, params.tol);
//! let f = fit(&x, &exec, 2, &Init::GreedyKMeansPlusPlus, 42, &params, tol);
//! assert_eq!(f.labels[0], f.labels[1]);
//! assert_ne!(f.labels[0], f.labels[2]);
//! ```

pub mod data;
pub mod error;
pub mod estimator;
pub mod exec;
pub mod init;
pub mod kernel;
pub mod layout;
pub mod lloyd;
#[cfg(feature = "cli")]
pub mod output;
pub mod probe;
pub mod rng;
#[cfg(feature = "cli")]
pub mod signals;
pub mod single;
pub mod summary;

pub use error::{Error, Result};
pub use estimator::{Algorithm, Data, Fit, KMeans, Precision, Timings};
pub use init::Init;
pub use kernel::KernelChoice;
