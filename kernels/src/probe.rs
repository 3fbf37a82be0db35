//! Machine probes: a register-only FMA loop for the peak floating-point rate and a
//! STREAM-style triad for memory bandwidth, so benchmark results can be read as a
//! fraction of this machine's limits.

use pulp::{Arch, Simd, WithSimd};
use std::time::Instant;

/// Independent FMA chains per thread: enough to cover FMA latency × throughput
/// (4 cycles × 2 pipes on Zen 4/5 and recent Intel cores).
const FMA_CHAINS: usize = 12;

struct FmaLoop {
    iters: u64,
}

impl WithSimd for FmaLoop {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        let a = simd.splat_f64s(0.999_999_9);
        let b = simd.splat_f64s(1e-9);
        let mut acc = [simd.splat_f64s(1.0); FMA_CHAINS];
        for _ in 0..self.iters {
            for v in acc.iter_mut() {
                *v = simd.mul_add_f64s(*v, a, b);
            }
        }
        let mut total = simd.splat_f64s(0.0);
        for v in acc {
            total = simd.add_f64s(total, v);
        }
        let lanes: &[f64] = bytemuck::cast_slice(std::slice::from_ref(&total));
        lanes.iter().sum()
    }
}

/// Number of f64 lanes of the widest SIMD level pulp dispatches to on this machine.
pub fn f64_lanes() -> usize {
    struct Lanes;
    impl WithSimd for Lanes {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _simd: S) -> usize {
            S::F64_LANES
        }
    }
    Arch::new().dispatch(Lanes)
}

/// Measured peak of fused multiply-adds, in GFLOP/s (2 flops per FMA lane), over
/// `threads` threads each running an independent register-only loop.
pub fn fma_peak_gflops(threads: usize) -> f64 {
    let threads = threads.max(1);
    let iters: u64 = 20_000_000;
    let run = || {
        let start = Instant::now();
        let sink = Arch::new().dispatch(FmaLoop { iters });
        std::hint::black_box(sink);
        start.elapsed().as_secs_f64()
    };
    run(); // warm up clocks
    let secs: Vec<f64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or(f64::NAN))
            .collect()
    });
    let slowest = secs.iter().cloned().fold(0.0, f64::max);
    let flops = 2.0 * (FMA_CHAINS * f64_lanes()) as f64 * iters as f64 * threads as f64;
    flops / slowest / 1e9
}

/// STREAM-style triad `a[i] = b[i] + s * c[i]` over arrays far larger than the caches,
/// split over `threads` threads; returns GB/s counting 24 bytes per element (the
/// convention of STREAM, which ignores write-allocate traffic). Best of 5 passes.
pub fn triad_gbs(threads: usize) -> f64 {
    let threads = threads.max(1);
    let n = 1 << 25; // 3 arrays × 256 MiB
    let mut a = vec![0.0f64; n];
    let b = vec![1.0f64; n];
    let c = vec![2.0f64; n];
    let per = n.div_ceil(threads);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        std::thread::scope(|s| {
            for ((ac, bc), cc) in a.chunks_mut(per).zip(b.chunks(per)).zip(c.chunks(per)) {
                s.spawn(move || {
                    for ((x, y), z) in ac.iter_mut().zip(bc).zip(cc) {
                        *x = y + 3.0 * z;
                    }
                });
            }
        });
        best = best.min(start.elapsed().as_secs_f64());
        std::hint::black_box(&a);
    }
    (24 * n) as f64 / best / 1e9
}
