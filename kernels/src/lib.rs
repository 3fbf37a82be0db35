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
//! scan                             the one pass over a fit's input: value checks,
//!                                  row-norm bound, column means, the tolerance
//! data/      dataset               loading only: Matrix, Dataset and the loaders'
//!            csv/ mod number       memory bookkeeping; the CSV reader (windows, exact
//!              fields stream       fast numbers, rows and fields, streams from pipes);
//!            npy centers weights   .npy, the --init-centers and --sample-weight readers
//! kernel/    mod isa scalar        assignment and seeding kernels: dispatch, the
//!            assign tile argmin    scalar reference, the SIMD tile loops, tiles,
//!            net sums prefetch     argmin, k ≤ 8 network, sums, prefetch,
//!            seed canonical f32    seeding, canonical SIMD distance, f32 kernels,
//!            screen                the f32 screen of the screened kernel
//! layout/    mod flat flat32 aos   the Layout trait and its three implementations
//! init/      mod plusplus random   initial centers: k-means++, greedy, random,
//!            warm prune parallel   warm-started seedings, the seeding's pruning,
//!                                  k-means||
//! fit/       mod work lloyd        fitting: the work scheme, the Lloyd loop, the
//!            bounds hamerly elkan  bounded algorithms, empty clusters, inertia,
//!            relocate inertia      several starts
//!            n_init
//! estimator                        the public API: KMeans → Fit (predict, transform),
//!                                  Data (borrowed f64/f32 rows), the elbow sweep
//! output  signals  summary         the binary's output (`cli` feature), Ctrl-C
//!                                  cleanup, the JSON summary
//! ```
//!
//! * [`estimator`]: **the API**: [`KMeans`] (scikit-learn's parameters as a builder)
//!   fits [`Data`] (a borrowed row-major `&[f64]` or `&[f32]`) into a [`Fit`] that
//!   predicts and transforms new data; [`KMeans::elbow`] is the sweep in one call.
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
//!
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
//! use kernels::{Data, Init, KMeans, Precision};
//!
//! // Two groups on a line; n = 4 rows, d = 1 feature, borrowed without a copy.
//! let x = [0.0, 0.1, 10.0, 10.1];
//! let data = Data::f64(&x, 4, 1)?;
//! let fit = KMeans::new(2)
//!     .init(Init::GreedyKMeansPlusPlus)
//!     .precision(Precision::F64)
//!     .seed(42)
//!     .fit(&data)?;
//! assert_eq!(fit.labels[0], fit.labels[1]);
//! assert_ne!(fit.labels[0], fit.labels[2]);
//! assert!(fit.converged && fit.inertia < 0.011);
//!
//! // New data: the nearest center, and the distance to every center.
//! let new = [9.0];
//! assert_eq!(fit.predict(&Data::f64(&new, 1, 1)?)?, vec![fit.labels[2]]);
//! assert_eq!(fit.transform(&Data::f64(&new, 1, 1)?)?.len(), 2);
//!
//! // The elbow sweep k = 1..=3 in one call (each k-means++ seeding continues the
//! // previous k's; results equal separate fits).
//! let sweep = KMeans::new(1).elbow(&data, 1..=3)?;
//! assert!(sweep[0].inertia > sweep[1].inertia);
//! # Ok::<(), kernels::Error>(())
//! ```
//!
//! The lower levels stay public for the benchmarks and the binary: a [`Layout`] built
//! by hand ([`Flat`], [`Flat32`], [`Aos`]) runs with [`KMeans::sweep`], and
//! [`fit::fit_with`] is the fit of one k on a layout.

pub mod accum;
pub mod data;
pub mod distance;
pub mod error;
pub mod estimator;
pub mod exec;
pub mod fit;
pub mod init;
pub mod kernel;
pub mod layout;
#[cfg(feature = "cli")]
pub mod output;
pub mod probe;
pub mod rng;
mod scan;
#[cfg(feature = "cli")]
pub mod signals;
pub mod summary;

pub use accum::{Centers, Partial};
pub use data::Matrix;
pub use error::{Error, Result};
pub use estimator::{Algorithm, Data, Fit, KMeans, Precision, Timings};
pub use exec::Exec;
pub use init::Init;
pub use kernel::KernelChoice;
pub use layout::{Aos, DataPoint, Flat, Flat32, Layout};
