//! `cargo run --release -p kernels --example seed_probe -- N D K SEED THREADS [INIT [FIT]]`:
//! times one seeding of `K` centers on the bench's blob data (`K` blobs, std 0.5, in
//! [-20, 20)^D), `INIT` = `greedy` (default), `kmpp` (plain k-means++) or `par`
//! (k-means||), and prints the seconds and a checksum of the centers (so two builds can
//! be compared bit for bit). With `FIT` = 1 it also runs Lloyd to convergence from those
//! centers and prints the final inertia (the quality comparison of BENCHMARKS.md).
use kernels::exec::Exec;
use kernels::init::{initial_centers, stream, Init};
use kernels::kernel::KernelChoice;
use kernels::layout::Flat;
use kernels::rng::Rng;
use kernels::{Data, KMeans};
use std::time::Instant;

#[path = "../benches/common/blobs.rs"]
mod blobs;
use blobs::data;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| a[i].parse::<usize>().unwrap();
    let (n, d, k, seed, threads) = (num(0), num(1), num(2), num(3) as u64, num(4));
    let init = match a.get(5).map(String::as_str).unwrap_or("greedy") {
        "greedy" => Init::GreedyKMeansPlusPlus,
        "kmpp" => Init::KMeansPlusPlus,
        "par" => Init::k_means_parallel(),
        other => panic!("unknown init {other}"),
    };
    let fit = a.get(6).is_some_and(|v| v == "1");
    let values = data(n, d, k);
    let flat = Flat::from_slice(&values, n, d, KernelChoice::Auto);
    let exec = Exec::new(threads).unwrap();
    let mut rng = Rng::for_start(seed, stream(&init, k), 0);
    let t = Instant::now();
    let centers = initial_centers(&flat, &exec, k, &init, &mut rng);
    let secs = t.elapsed().as_secs_f64();
    let sum = centers
        .iter()
        .fold(0u64, |h, v| h.rotate_left(5) ^ v.to_bits());
    print!("init {} n {n} d {d} k {k} seed {seed} threads {threads} seconds {secs:.3} checksum {sum:016x}", init.name());
    if fit {
        let data = Data::f64(&values, n, d).unwrap();
        let f = KMeans::new(k)
            .init(Init::Explicit(centers))
            .threads(threads)
            .fit(&data)
            .unwrap();
        print!(" inertia {:.6e} n_iter {}", f.inertia, f.n_iter);
    }
    println!();
}
