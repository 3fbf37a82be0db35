//! The WebAssembly ABI: `extern "C"` functions over raw pointers into the module's
//! linear memory, for JavaScript (`demo/site/wasm-kmeans.js`) to call without
//! `wasm-bindgen`.
//!
//! Buffers are allocated by JavaScript with [`alloc_bytes`] (8-byte aligned), filled
//! through a typed-array view of `memory.buffer`, passed by address, and released
//! with [`free_bytes`]. The data set is copied once into a [`Dataset`] handle, so a
//! timed run reads it in place, as the JavaScript implementation reads its own
//! `Float64Array`.
//!
//! Every function returning `i32` returns a negative [`DemoError::code`] on bad
//! input. Inputs are read first and results are computed into Rust-owned vectors
//! before any output buffer is written, so an output buffer may even overlap an
//! input one.
//!
//! | export | does |
//! |---|---|
//! | `alloc_bytes(len) -> ptr` / `free_bytes(ptr, len)` | scratch buffers |
//! | `dataset_new(x, n, d) -> handle` / `dataset_free(handle)` | the data, copied once |
//! | `init_centers(handle, k, seed, centers_out) -> 0` | greedy k-means++ |
//! | `run_kmeans(handle, centers, k, max_iter, tol, labels_out, centers_out, info_out) -> iterations` | Lloyd |
//! | `simd_level() -> 0 \| 1` | the kernel's ISA: scalar or simd128 |

use crate::{Dataset, DemoError, SCALAR_BUILD};
use std::alloc::Layout;

/// Alignment of every buffer from [`alloc_bytes`] (enough for f64 and u32).
const ALIGN: usize = 8;

/// Checks that `ptr` can be the start of a `[T]` (non-null, aligned).
fn check_ptr<T>(ptr: *const T) -> Result<(), DemoError> {
    if ptr.is_null() || !ptr.is_aligned() {
        return Err(DemoError::NullPointer);
    }
    Ok(())
}

/// `n × m` without overflow.
fn mul(n: usize, m: usize) -> Result<usize, DemoError> {
    n.checked_mul(m).ok_or(DemoError::BadShape)
}

/// Allocates `len` bytes aligned to 8; returns null when `len` is 0 or memory is
/// exhausted. Release with [`free_bytes`] and the same `len`.
#[no_mangle]
pub extern "C" fn alloc_bytes(len: usize) -> *mut u8 {
    match Layout::from_size_align(len, ALIGN) {
        // SAFETY: the layout has a non-zero size (checked), as `alloc` requires.
        Ok(layout) if len > 0 => unsafe { std::alloc::alloc(layout) },
        _ => std::ptr::null_mut(),
    }
}

/// Releases a buffer from [`alloc_bytes`].
///
/// # Safety
///
/// `ptr` must come from `alloc_bytes(len)` with this same `len`, and not have been
/// released already. Null is ignored.
#[no_mangle]
pub unsafe extern "C" fn free_bytes(ptr: *mut u8, len: usize) {
    if ptr.is_null() || len == 0 {
        return;
    }
    if let Ok(layout) = Layout::from_size_align(len, ALIGN) {
        // SAFETY: per this function's contract, `ptr` was returned by `alloc` for
        // exactly this layout (`alloc_bytes(len)`) and is still allocated.
        unsafe { std::alloc::dealloc(ptr, layout) }
    }
}

/// Copies `n × d` values from `x` into a new data set; returns its handle, or null
/// on bad input (null/misaligned pointer, zero size, non-finite value).
///
/// # Safety
///
/// `x` must point to `n × d` readable f64 values (e.g. from `alloc_bytes`).
#[no_mangle]
pub unsafe extern "C" fn dataset_new(x: *const f64, n: usize, d: usize) -> *mut Dataset {
    let build = || -> Result<Dataset, DemoError> {
        check_ptr(x)?;
        let len = mul(n, d)?;
        // SAFETY: `x` is non-null and aligned (checked), and per this function's
        // contract points to `n × d` initialized f64 values that nothing writes
        // during this call (wasm code here is single-threaded).
        let values = unsafe { std::slice::from_raw_parts(x, len) };
        Dataset::new(values, n, d)
    };
    match build() {
        Ok(ds) => Box::into_raw(Box::new(ds)),
        Err(_) => std::ptr::null_mut(),
    }
}

/// Releases a data set.
///
/// # Safety
///
/// `ds` must be a handle from [`dataset_new`] not released yet. Null is ignored.
#[no_mangle]
pub unsafe extern "C" fn dataset_free(ds: *mut Dataset) {
    if !ds.is_null() {
        // SAFETY: per the contract, `ds` came from `Box::into_raw` in `dataset_new`
        // and is released only once.
        drop(unsafe { Box::from_raw(ds) });
    }
}

/// Borrows the data set behind a handle.
///
/// # Safety
///
/// `ds` must be null or a live handle from [`dataset_new`].
unsafe fn dataset<'a>(ds: *const Dataset) -> Result<&'a Dataset, DemoError> {
    check_ptr(ds)?;
    // SAFETY: non-null and aligned (checked); per the caller's contract it points
    // to a live `Dataset` that is only freed by `dataset_free`, never during a call.
    Ok(unsafe { &*ds })
}

/// Writes greedy k-means++ initial centers (`k × d`, the `kmeans` binary's
/// `--seed seed` centers for this `k`) to `centers_out`. Returns 0, or a negative
/// error code.
///
/// # Safety
///
/// `ds` must be a live handle; `centers_out` must point to `k × d` writable f64.
#[no_mangle]
pub unsafe extern "C" fn init_centers(
    ds: *const Dataset,
    k: usize,
    seed: u32,
    centers_out: *mut f64,
) -> i32 {
    // SAFETY: forwarded from this function's contract.
    let result = unsafe { dataset(ds) }.and_then(|ds| {
        check_ptr(centers_out)?;
        let c = ds.initial_centers(k, u64::from(seed))?;
        // SAFETY: `centers_out` is non-null and aligned (checked) and per the
        // contract holds `k × d` = `c.len()` writable f64; `c` is a fresh Rust
        // allocation, so the two cannot overlap, and no reference into the output
        // buffer is alive.
        unsafe { std::ptr::copy_nonoverlapping(c.as_ptr(), centers_out, c.len()) };
        Ok(0)
    });
    result.unwrap_or_else(DemoError::code)
}

/// Runs Lloyd from `centers` (`k × d`) for at most `max_iter` iterations with
/// relative tolerance `tol` (scikit-learn's rule). Writes `n` labels to
/// `labels_out`, the final `k × d` centers to `centers_out`, and
/// `[inertia, converged (1.0 or 0.0)]` to `info_out`. Returns the number of
/// iterations, or a negative error code.
///
/// # Safety
///
/// `ds` must be a live handle; `centers` must point to `k × d` readable f64;
/// `labels_out` to `n` writable u32; `centers_out` to `k × d` and `info_out` to 2
/// writable f64.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn run_kmeans(
    ds: *const Dataset,
    centers: *const f64,
    k: usize,
    max_iter: u32,
    tol: f64,
    labels_out: *mut u32,
    centers_out: *mut f64,
    info_out: *mut f64,
) -> i32 {
    // SAFETY: forwarded from this function's contract.
    let result = unsafe { dataset(ds) }.and_then(|ds| {
        check_ptr(centers)?;
        check_ptr(labels_out)?;
        check_ptr(centers_out)?;
        check_ptr(info_out)?;
        let kd = mul(k, ds.d())?;
        let out = {
            // SAFETY: non-null and aligned (checked); per the contract `centers`
            // holds `k × d` initialized f64. The slice is dropped at the end of this
            // block, before any output is written.
            let init = unsafe { std::slice::from_raw_parts(centers, kd) };
            ds.run(init, max_iter as usize, tol)?
        };
        let info = [out.inertia, if out.converged { 1.0 } else { 0.0 }];
        // SAFETY: each destination is non-null and aligned (checked) and, per the
        // contract, writable for the number of elements copied (`n` labels, `k × d`
        // centers, 2 info values); each source is a Rust-owned buffer created by
        // this call, so source and destination never overlap, and no reference
        // into the destinations is alive.
        unsafe {
            std::ptr::copy_nonoverlapping(out.labels.as_ptr(), labels_out, out.labels.len());
            std::ptr::copy_nonoverlapping(out.centers.as_ptr(), centers_out, out.centers.len());
            std::ptr::copy_nonoverlapping(info.as_ptr(), info_out, info.len());
        }
        Ok(i32::try_from(out.iterations).unwrap_or(i32::MAX))
    });
    result.unwrap_or_else(DemoError::code)
}

/// The instruction set of the assignment kernel: 0 = scalar, 1 = simd128.
#[no_mangle]
pub extern "C" fn simd_level() -> u32 {
    if SCALAR_BUILD {
        0
    } else {
        kernels::kernel::isa::active() as u32
    }
}
