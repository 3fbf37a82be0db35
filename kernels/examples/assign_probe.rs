//! `cargo run --release -p kernels --example assign_probe -- N D K REPS THREADS [ACC [SORTED]]`
//! (env `KMEANS_PROBE_KERNEL=tiled|blocked|…` picks the kernel, `KMEANS_PROBE_F32=1`
//! the f32 layout):
//! times the flat SIMD assignment pass (labels and sums, as Lloyd runs it) on the
//! bench's blob data, `REPS` back-to-back passes, and prints the minimum, the
//! median and the mean in ms. For A/B experiments on this shared, noisy machine,
//! where the minimum of many short passes is steadier than Criterion's 10-sample
//! estimate; not a replacement for `cargo bench -p kernels`, whose numbers
//! BENCHMARKS.md reports. (Criterion's estimate is a mean: on this host the noise is
//! one-sided, so it reads a few per cent above the median.)
use kernels::accum::{Centers, Partial};
use kernels::data::Matrix;
use kernels::exec::Exec;
use kernels::fit::CHUNK_ROWS;
use kernels::init::{initial_centers, Init};
use kernels::kernel::KernelChoice;
use kernels::layout::{Flat, Layout};
use kernels::rng::Rng;
use std::time::Instant;

#[path = "../benches/common/blobs.rs"]
mod blobs;
use blobs::data;

fn main() {
    let a: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let (n, d, k, reps, threads) = (a[0], a[1], a[2], a[3], a[4]);
    // Optional sixth argument 0: labels only, no sums (what the accumulation costs).
    let accumulate = a.get(5).is_none_or(|&v| v != 0);
    // Optional seventh argument 1: the rows sorted by blob (runs of equal labels),
    // instead of the blobs taking turns.
    let mut values = data(n, d, k);
    if a.get(6) == Some(&1) {
        let rows: Vec<&[f64]> = values.chunks_exact(d).collect();
        let mut sorted = Vec::with_capacity(n * d);
        for c in 0..k {
            for r in rows.iter().skip(c).step_by(k) {
                sorted.extend_from_slice(r);
            }
        }
        values = sorted;
    }
    let m = Matrix::from_vec(n, d, values);
    // KMEANS_PROBE_KERNEL=tiled|blocked|scalar|simd|auto: the kernel (default simd,
    // whose loop order is chosen by shape).
    let choice: KernelChoice = std::env::var("KMEANS_PROBE_KERNEL")
        .map(|s| s.parse().unwrap())
        .unwrap_or(KernelChoice::Simd);
    let flat = Flat::new(&m, choice);
    // KMEANS_PROBE_F32=1: the f32 layout (`--precision f32`) instead.
    let flat32 = std::env::var_os("KMEANS_PROBE_F32")
        .map(|_| kernels::layout::Flat32::from_matrix(&m, KernelChoice::Simd));
    let x: &dyn Layout = match &flat32 {
        Some(f32_layout) => f32_layout,
        None => &flat,
    };
    let exec = Exec::new(threads).unwrap();
    let c0 = initial_centers(
        &flat,
        &Exec::serial(),
        k,
        &Init::Random,
        &mut Rng::for_k(3, k),
    );
    let mut centers = Centers::new(k, d);
    if let Some(shift) = x.screen_shift() {
        centers.set_screened(shift);
    }
    centers.set(&c0);
    let mut labels = vec![0u32; n];
    let mut parts = vec![Partial::new(k, d); n.div_ceil(CHUNK_ROWS)];
    let mut ts = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        exec.for_each_chunk(&mut labels, CHUNK_ROWS, &mut parts, |c, lab, part| {
            part.clear();
            let s = c * CHUNK_ROWS;
            x.assign(s..s + lab.len(), &centers, lab, part, accumulate);
        });
        ts.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mean = ts.iter().sum::<f64>() / ts.len() as f64;
    ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "n{n} d{d} k{k} t{threads}: min {:.4} med {:.4} mean {:.4} ms",
        ts[0],
        ts[ts.len() / 2],
        mean
    );
    let (screened, rechecked) = kernels::layout::flat::screen_counts();
    if screened > 0 {
        println!(
            "screened: {:.3} % of rows re-checked in f64",
            100.0 * rechecked as f64 / screened as f64
        );
    }
}
