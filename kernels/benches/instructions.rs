//! Instruction-count benches (gungraun, the maintained successor of iai-callgrind:
//! same model, renamed in 0.17; chosen because iai-callgrind no longer gets releases).
//! Counts are repeatable whatever else the machine does, so they catch regressions
//! that wall-time benches on a shared machine cannot.
//!
//! * Install the runner, pinned to the library's version:
//!   `cargo install gungraun-runner --version 0.20.0 --locked` (and valgrind, Debian's
//!   `valgrind`). Without them this bench prints a note and exits successfully.
//! * valgrind 3.19 cannot decode AVX-512, so these benches cap the SIMD level at AVX2
//!   (`isa::set_max_isa`): the counts are those of the dispatched AVX2 path (the crate
//!   is never built with `target-cpu=native`; dispatch is at run time).
//! * Run: `cargo bench -p kernels --bench instructions`.
//! * Naming: every case is a `#[bench::n<N>_d<D>_k<K>]` (the shape in its id) of a
//!   function named `<kernel>_<layout>[_scalar|_simd_<isa>]`, so the results land in
//!   `target/gungraun/kernels/instructions/kernels_group/<function>.n<N>_d<D>_k<K>/`
//!   where `bench-harness micro` reads them back (kernel, layout, ISA and shape).

#[cfg(gungraun_runner)]
mod benches {
    use gungraun::{library_benchmark, library_benchmark_group};
    use kernels::accum::{Centers, Partial};
    use kernels::data::Matrix;
    use kernels::exec::Exec;
    use kernels::init::{initial_centers, Init};
    use kernels::kernel::isa::{self, Isa};
    use kernels::kernel::KernelChoice;
    use kernels::layout::{Flat, Layout};
    use kernels::rng::Rng;
    use std::hint::black_box;

    pub struct Fixture {
        m: Matrix,
        centers: Centers,
        labels: Vec<u32>,
        part: Partial,
    }

    fn data(n: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut r = Rng::for_k(seed, 0);
        (0..n * d).map(|_| r.uniform() * 20.0 - 10.0).collect()
    }

    pub fn setup(n: usize, d: usize, k: usize) -> Fixture {
        isa::set_max_isa(Some(Isa::Avx2));
        let m = Matrix::from_vec(n, d, data(n, d, 1));
        let mut centers = Centers::new(k, d);
        centers.set(&data(k, d, 2));
        Fixture {
            m,
            centers,
            labels: vec![0; n],
            part: Partial::new(k, d),
        }
    }

    fn assign(f: &mut Fixture, kernel: KernelChoice) -> usize {
        let x = Flat::new(&f.m, kernel);
        let n = f.m.n();
        x.assign(0..n, &f.centers, &mut f.labels, &mut f.part, true);
        f.part.changed
    }

    #[library_benchmark(setup = setup)]
    #[bench::n2048_d2_k8(args = (2048, 2, 8))]
    #[bench::n2048_d8_k8(args = (2048, 8, 8))]
    #[bench::n2048_d32_k8(args = (2048, 32, 8))]
    #[bench::n2048_d32_k32(args = (2048, 32, 32))]
    pub fn assign_flat_simd_avx2(mut f: Fixture) -> usize {
        black_box(assign(&mut f, KernelChoice::Simd))
    }

    #[library_benchmark(setup = setup)]
    #[bench::n2048_d2_k8(args = (2048, 2, 8))]
    #[bench::n2048_d8_k8(args = (2048, 8, 8))]
    #[bench::n2048_d32_k8(args = (2048, 32, 8))]
    #[bench::n2048_d32_k32(args = (2048, 32, 32))]
    pub fn assign_flat_scalar(mut f: Fixture) -> usize {
        black_box(assign(&mut f, KernelChoice::Scalar))
    }

    // Greedy k-means++ choosing k centers (the setup's k; its centers are unused).
    #[library_benchmark(setup = setup)]
    #[bench::n2048_d2_k8(args = (2048, 2, 8))]
    #[bench::n2048_d32_k8(args = (2048, 32, 8))]
    pub fn seed_greedy_kmeanspp_flat_simd_avx2(f: Fixture) -> usize {
        let x = Flat::new(&f.m, KernelChoice::Simd);
        let k = f.centers.k();
        let c = initial_centers(
            &x,
            &Exec::serial(),
            k,
            &Init::GreedyKMeansPlusPlus,
            &mut Rng::for_k(3, k),
        );
        black_box(c.len())
    }

    library_benchmark_group!(
        name = kernels_group,
        benchmarks = [
            assign_flat_simd_avx2,
            assign_flat_scalar,
            seed_greedy_kmeanspp_flat_simd_avx2
        ]
    );
}

#[cfg(gungraun_runner)]
use benches::kernels_group;
#[cfg(gungraun_runner)]
gungraun::main!(library_benchmark_groups = kernels_group);

#[cfg(not(gungraun_runner))]
fn main() {
    eprintln!(
        "instruction-count benches skipped: gungraun-runner or valgrind not found at build time \
         (install: `cargo install gungraun-runner --version 0.20.0 --locked` and Debian's valgrind, \
         then rebuild)"
    );
}
