//! A software prefetch hint for the streaming kernels.
//!
//! The assignment kernel reads its rows in register tiles (a few rows, feature by
//! feature), an order the hardware prefetchers follow poorly: without help a pass over
//! data beyond the caches is latency-bound, far below the memory bandwidth. Asking
//! for the rows a few tiles ahead hides the latency. A prefetch is only a hint: it
//! never faults and has no visible effect, so the kernels' results do not depend on it.

/// How far ahead (bytes) the assignment kernels prefetch their rows.
pub const PREFETCH_BYTES: usize = 8192;

/// Asks the CPU to bring the cache lines of `ahead` into L1, a line (64 bytes) at a
/// time. A no-op where no prefetch instruction is wired up (wasm, other targets).
#[inline(always)]
pub fn prefetch_lines(ahead: &[f64]) {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        const LINE_F64S: usize = 8;
        let mut i = 0;
        while i < ahead.len() {
            let p = ahead[i..].as_ptr();
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has; a prefetch
            // does not access memory architecturally (no fault, no data race), and `p`
            // points into a live slice anyway.
            unsafe {
                use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>());
            }
            #[cfg(target_arch = "aarch64")]
            // SAFETY: `prfm` is a hint: it never faults and writes no register or
            // memory; `p` points into a live slice.
            unsafe {
                core::arch::asm!(
                    "prfm pldl1keep, [{0}]",
                    in(reg) p,
                    options(nostack, readonly, preserves_flags)
                );
            }
            i += LINE_F64S;
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = ahead;
}
