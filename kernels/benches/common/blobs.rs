//! The benches' blob data, shared with `examples/assign_probe.rs`.

use kernels::rng::Rng;

/// Blobs with std 0.5 around k random centers in [-20, 20)^d.
pub(crate) fn data(n: usize, d: usize, k: usize) -> Vec<f64> {
    let mut rng = Rng::for_k(1, k);
    let centers: Vec<f64> = (0..k * d).map(|_| rng.uniform() * 40.0 - 20.0).collect();
    let mut out = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = i % k;
        for t in 0..d {
            let u1 = rng.uniform().max(1e-300);
            let u2 = rng.uniform();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            out.push(centers[c * d + t] + 0.5 * z);
        }
    }
    out
}
