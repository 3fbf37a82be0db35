//! Prints this machine's measured FMA peak and triad bandwidth (1 and all threads).
//! `cargo run --release -p kernels --example probe`
fn main() {
    let all = kernels::exec::available_cores();
    println!(
        "isa: {} ({} f64 lanes)",
        kernels::kernel::isa::active().name(),
        kernels::probe::f64_lanes()
    );
    for t in [1, all] {
        println!(
            "threads {t}: FMA peak {:.1} GFLOP/s, triad {:.1} GB/s",
            kernels::probe::fma_peak_gflops(t),
            kernels::probe::triad_gbs(t)
        );
    }
}
