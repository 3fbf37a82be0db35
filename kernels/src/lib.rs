//! # kernels: k-means, from the seed's naive loops to the machine's limits
//!
//! The library behind the `kmeans` binary and the benchmarks. Modules, leaves first;
//! each depends only on modules listed before it (checked by
//! `scripts/module-deps.py`):
//!
//! ```text
//! error  rng  exec  probe          leaves: errors, the RNG streams, the deterministic
//!                                  parallel scheme, the machine's FMA peak and bandwidth
//! distance                         leaf: the canonical distances, the rounding bound
//! accum                            leaf: Centers (+ derived copies), Partial, Lines
//! data/      mod csv npy           loading only: Matrix, Dataset, CSV and .npy readers,
//!            centers weights       the --init-centers and --sample-weight readers
//! kernel/    mod isa scalar        assignment and seeding kernels: dispatch, the
//!            assign tile argmin    scalar reference, the SIMD tile loops, tiles,
//!            net sums prefetch     argmin, k ≤ 8 network, sums, prefetch,
//!            seed canonical f32    seeding, canonical SIMD distance, f32 kernels
//! layout/    mod flat flat32 aos   the Layout trait and its three implementations
//! init/      mod plusplus random   initial centers: k-means++, greedy, random,
//!            warm                  warm-started seedings
//! fit/       mod work lloyd        fitting: the work scheme, the Lloyd loop, the
//!            bounds hamerly elkan  bounded algorithms, empty clusters, inertia,
//!            relocate inertia      several starts
//!            n_init
//! output  signals  summary         the binary's output (`cli` feature), Ctrl-C
//!                                  cleanup, the JSON summary
//! ```
//!
//! * [`data`]: loading (memory-mapped parallel CSV, zero-copy `.npy`) into the flat
//!   [`data::Matrix`].
//! * [`layout`]: the [`Layout`] trait every algorithm runs on, and the layouts
//!   [`Flat`], [`Flat32`] (`--precision f32`) and [`Aos`] (the seed's).
//! * [`kernel`]: assignment kernels of the flat layouts (scalar reference, portable
//!   SIMD).
//! * [`init`]: k-means++, greedy k-means++, random and explicit initial centers.
//! * [`fit`](mod@fit): Lloyd's algorithm with scikit-learn's stopping rule; the assignment step
//!   by every distance, or by Hamerly's or Elkan's bounds (same results bit for bit).
//! * [`distance`]: the canonical distance [`distance::dist2`].
//! * [`exec`]: the deterministic parallel execution scheme.
//! * [`probe`]: the machine's FMA peak and memory bandwidth.

//! ## Guarantees
//!
//! * **Exact labels.** Every label is the argmin of [`distance::dist2`] (an f64 sum of
//!   squared differences in a fixed order: eight partial sums by feature index mod 8,
//!   then a fixed tree), lowest index on ties, whatever the layout, kernel or
//!   algorithm. Both layouts therefore give the same clustering. The f32 layout
//!   ([`Flat32`]) uses its own canonical f32 distance instead
//!   ([`distance::dist2_f32`]), the same on every SIMD level.
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
//! use kernels::{absolute_tol, fit, Exec, Flat, Init, KernelChoice, Matrix, Params};
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

pub mod accum;
pub mod data;
pub mod distance;
pub mod error;
pub mod exec;
pub mod fit;
pub mod init;
pub mod kernel;
pub mod layout;
#[cfg(feature = "cli")]
pub mod output;
pub mod probe;
pub mod rng;
#[cfg(feature = "cli")]
pub mod signals;
pub mod summary;

pub use accum::{Centers, Partial};
pub use data::Matrix;
pub use error::{Error, Result};
pub use exec::Exec;
pub use fit::{absolute_tol, auto_algorithm, fit, fit_with, Algorithm, Fit, FitOptions, Params};
pub use init::{Init, WarmSeeds};
pub use kernel::KernelChoice;
pub use layout::{Aos, DataPoint, Flat, Flat32, Layout};
