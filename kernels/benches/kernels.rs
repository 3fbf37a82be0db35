//! `cargo bench -p kernels --bench kernels`: wall-time benches (Criterion) of the
//! assignment step, one Lloyd iteration, k-means++ seeding, CSV parsing and output
//! writing, for the
//! `aos` and `flat` layouts (and the assignment step of `--precision f32`'s
//! `flat32`), every SIMD level this machine has, and 1 and 2 threads,
//! over the seed's shapes (n = 256k; d ∈ {2, 8, 32}; k ∈ {8, 32}) and a
//! cache-resident n = 4096; and `assign-large` (`bench_large`): the modern shapes
//! (d = 128 or 768, k = 256 to 1024) with the tiled, blocked and screened f64
//! kernels and the f32 layout, each also printed as GFLOP/s and % of the probe's
//! FMA peak.
//!
//! Throughput: assignment and Lloyd report elements = flops (2·n·k·d per pass, read
//! "elem/s" as FLOP/s); parsing reports bytes of CSV. Before the benches run, the
//! machine probe (FMA peak, triad bandwidth) is printed and written to
//! the workspace's `target/criterion/probe.json`, so results can be read as a fraction of the limits
//! (see BENCHMARKS.md).
//!
//! Environment: `KMEANS_BENCH_QUICK=1` runs only n = 4096 and 65,536 with fewer samples.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kernels::accum::{Centers, Partial};
use kernels::data::Matrix;
use kernels::exec::Exec;
use kernels::fit::{lloyd, Params, CHUNK_ROWS};
use kernels::init::{initial_centers, Init};
use kernels::kernel::isa::{self, Isa};
use kernels::kernel::KernelChoice;
use kernels::layout::Flat32;
use kernels::layout::{Aos, DataPoint};
use kernels::layout::{Flat, Layout};
use kernels::output::{write_output, LabelMatrix, OutputFormat, OutputSpec};
use kernels::rng::Rng;
use std::time::Duration;

#[path = "common/blobs.rs"]
mod blobs;
use blobs::data;

fn quick() -> bool {
    std::env::var_os("KMEANS_BENCH_QUICK").is_some()
}

fn sizes() -> Vec<usize> {
    if quick() {
        vec![4096, 65_536]
    } else {
        vec![4096, 262_144]
    }
}

fn aos_of(m: &Matrix) -> Aos {
    Aos::from_points(
        (0..m.n())
            .map(|i| DataPoint {
                id: format!("p{i}"),
                features: m.row(i).to_vec(),
            })
            .collect(),
    )
}

/// The variants of the assignment step: (name, layout, ISA cap).
fn isa_levels() -> Vec<Isa> {
    isa::available()
}

/// One full assignment pass (labels + per-chunk sums, merged), as Lloyd runs it.
fn assign_pass(
    x: &dyn Layout,
    exec: &Exec,
    centers: &Centers,
    labels: &mut [u32],
    parts: &mut [Partial],
) {
    exec.for_each_chunk(labels, CHUNK_ROWS, parts, |c, lab, part| {
        part.clear();
        let s = c * CHUNK_ROWS;
        x.assign(s..s + lab.len(), centers, lab, part, true);
    });
}

fn bench_assign(c: &mut Criterion) {
    for n in sizes() {
        for d in [2usize, 8, 32] {
            for k in [8usize, 32] {
                let mut g = c.benchmark_group(format!("assign/n{n}/d{d}/k{k}"));
                g.throughput(Throughput::Elements((2 * n * k * d) as u64));
                g.sample_size(10)
                    .measurement_time(Duration::from_secs(if quick() { 1 } else { 2 }));
                g.warm_up_time(Duration::from_millis(300));
                let m = Matrix::from_vec(n, d, data(n, d, k));
                let aos = aos_of(&m);
                let exec0 = Exec::serial();
                let flat_s = Flat::new(&m, KernelChoice::Scalar);
                let c0 = initial_centers(&flat_s, &exec0, k, &Init::Random, &mut Rng::for_k(3, k));
                let mut centers = Centers::new(k, d);
                centers.set(&c0);
                let mut labels = vec![0u32; n];
                let mut parts = vec![Partial::new(k, d); n.div_ceil(CHUNK_ROWS)];
                let flat = Flat::new(&m, KernelChoice::Simd);
                let flat32 = Flat32::from_matrix(&m, KernelChoice::Simd);
                for threads in [1usize, 2] {
                    let exec = Exec::new(threads).unwrap();
                    g.bench_function(BenchmarkId::new("aos", format!("t{threads}")), |b| {
                        b.iter(|| assign_pass(&aos, &exec, &centers, &mut labels, &mut parts))
                    });
                    g.bench_function(
                        BenchmarkId::new("flat-scalar", format!("t{threads}")),
                        |b| {
                            b.iter(|| {
                                assign_pass(&flat_s, &exec, &centers, &mut labels, &mut parts)
                            })
                        },
                    );
                    // `--precision f32` (`flat32`): same flop count, half the bytes; pulp's
                    // scalar backend is left out for it (its per-lane fused multiply-add is
                    // a libm call on x86-64).
                    let variants: [(&str, &dyn Layout, bool); 2] =
                        [("flat-simd", &flat, true), ("flat32-simd", &flat32, false)];
                    for (name, x, with_scalar) in variants {
                        for level in isa_levels()
                            .into_iter()
                            .filter(|&l| with_scalar || l != Isa::Scalar)
                        {
                            isa::set_max_isa(Some(level));
                            g.bench_function(
                                BenchmarkId::new(
                                    format!("{name}-{}", level.name()),
                                    format!("t{threads}"),
                                ),
                                |b| {
                                    b.iter(|| {
                                        assign_pass(x, &exec, &centers, &mut labels, &mut parts)
                                    })
                                },
                            );
                        }
                    }
                    isa::set_max_isa(None);
                }
                g.finish();
            }
        }
    }
}

/// The modern shapes (d in the hundreds, k in the hundreds): the f64 kernel in both
/// loop orders, the screened kernel (f64-exact labels) and `--precision f32`, at 1
/// and 2 threads. Besides Criterion's throughput (elem/s = FLOP/s at 2·n·k·d per
/// pass), prints each variant's best-of-5 pass as GFLOP/s and % of the probe's FMA
/// peak at that thread count.
fn bench_large(c: &mut Criterion) {
    let shapes: &[(usize, usize, usize)] = if quick() {
        &[(16_384, 128, 256)]
    } else {
        &[(65_536, 128, 256), (16_384, 768, 512), (16_384, 128, 1024)]
    };
    let all = kernels::exec::available_cores();
    for &(n, d, k) in shapes {
        let mut g = c.benchmark_group(format!("assign-large/n{n}/d{d}/k{k}"));
        let flops = (2 * n * k * d) as f64;
        g.throughput(Throughput::Elements(flops as u64));
        g.sample_size(10)
            .measurement_time(Duration::from_secs(if quick() { 2 } else { 4 }));
        g.warm_up_time(Duration::from_millis(500));
        let m = Matrix::from_vec(n, d, data(n, d, k));
        let flat_s = Flat::new(&m, KernelChoice::Scalar);
        let c0 = initial_centers(
            &flat_s,
            &Exec::serial(),
            k,
            &Init::Random,
            &mut Rng::for_k(3, k),
        );
        let tiled = Flat::new(&m, KernelChoice::Tiled);
        let blocked = Flat::new(&m, KernelChoice::Blocked);
        let screened = Flat::new(&m, KernelChoice::Screened);
        let flat32 = Flat32::from_matrix(&m, KernelChoice::Simd);
        let variants: [(&str, &dyn Layout); 4] = [
            ("tiled", &tiled),
            ("blocked", &blocked),
            ("screened", &screened),
            ("flat32", &flat32),
        ];
        let mut labels = vec![0u32; n];
        let mut parts = vec![Partial::new(k, d); n.div_ceil(CHUNK_ROWS)];
        for threads in [1usize, all] {
            let exec = Exec::new(threads).unwrap();
            let peak = kernels::probe::fma_peak_gflops(threads);
            for (name, x) in variants {
                let mut centers = Centers::new(k, d);
                if let Some(shift) = x.screen_shift() {
                    centers.set_screened(shift);
                }
                centers.set(&c0);
                let best = (0..5)
                    .map(|_| {
                        let t = std::time::Instant::now();
                        assign_pass(x, &exec, &centers, &mut labels, &mut parts);
                        t.elapsed().as_secs_f64()
                    })
                    .fold(f64::INFINITY, f64::min);
                let gflops = flops / best / 1e9;
                eprintln!(
                    "assign-large n{n} d{d} k{k} {name} t{threads}: {:.1} ms, {gflops:.1} GFLOP/s, {:.0} % of the {peak:.1} GFLOP/s FMA peak",
                    best * 1e3,
                    100.0 * gflops / peak
                );
                g.bench_function(BenchmarkId::new(name, format!("t{threads}")), |b| {
                    b.iter(|| assign_pass(x, &exec, &centers, &mut labels, &mut parts))
                });
            }
        }
        g.finish();
    }
}

fn bench_lloyd_and_seeding(c: &mut Criterion) {
    let n = *sizes().last().unwrap_or(&4096);
    for d in [2usize, 8, 32] {
        let k = 32;
        let m = Matrix::from_vec(n, d, data(n, d, k));
        let aos = aos_of(&m);
        let flat = Flat::new(&m, KernelChoice::Auto);
        let exec = Exec::serial();
        let c0 = initial_centers(&flat, &exec, k, &Init::Random, &mut Rng::for_k(3, k));
        // One Lloyd iteration: assignment with sums, center update, then (as the loop
        // ended by max-iter) the final label pass and the inertia.
        let p = Params {
            max_iter: 1,
            tol: 0.0,
            ..Params::default()
        };
        let mut g = c.benchmark_group(format!("lloyd1/n{n}/d{d}/k{k}"));
        g.throughput(Throughput::Elements((2 * 2 * n * k * d) as u64));
        g.sample_size(10).measurement_time(Duration::from_secs(2));
        g.bench_function("aos", |b| b.iter(|| lloyd(&aos, &exec, &c0, &p, 0.0)));
        g.bench_function("flat", |b| b.iter(|| lloyd(&flat, &exec, &c0, &p, 0.0)));
        g.finish();

        let mut g = c.benchmark_group(format!("seed-greedy-kmeans++/n{n}/d{d}/k{k}"));
        g.sample_size(10).measurement_time(Duration::from_secs(3));
        g.bench_function("aos", |b| {
            b.iter(|| {
                initial_centers(
                    &aos,
                    &exec,
                    k,
                    &Init::GreedyKMeansPlusPlus,
                    &mut Rng::for_k(5, k),
                )
            })
        });
        g.bench_function("flat", |b| {
            b.iter(|| {
                initial_centers(
                    &flat,
                    &exec,
                    k,
                    &Init::GreedyKMeansPlusPlus,
                    &mut Rng::for_k(5, k),
                )
            })
        });
        g.finish();
    }
}

fn bench_parse(c: &mut Criterion) {
    let n = *sizes().last().unwrap_or(&4096);
    let dir = tempfile::tempdir().unwrap();
    for d in [2usize, 8, 32] {
        let vals = data(n, d, 8);
        let mut text = String::from("ID");
        for j in 1..=d {
            text += &format!(",feature_{j}");
        }
        text.push('\n');
        let mut b = ryu::Buffer::new();
        for i in 0..n {
            text += &format!("p{i}");
            for v in &vals[i * d..(i + 1) * d] {
                text.push(',');
                text += b.format(*v);
            }
            text.push('\n');
        }
        let path = dir.path().join(format!("d{d}.csv"));
        std::fs::write(&path, &text).unwrap();
        let mut g = c.benchmark_group(format!("parse-csv/n{n}/d{d}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.sample_size(10).measurement_time(Duration::from_secs(2));
        for threads in [1usize, 2] {
            let exec = Exec::new(threads).unwrap();
            g.bench_function(format!("t{threads}"), |bch| {
                bch.iter(|| kernels::data::load(&path, &exec).unwrap())
            });
        }
        g.finish();

        // Writing the seed's output: echoed ID and features plus 32 label columns.
        let ds = kernels::data::load(&path, &Exec::serial()).unwrap();
        let ks: Vec<usize> = (1..=32).collect();
        let mut labels = LabelMatrix::new(n, ks.len(), 32);
        for (col, k) in ks.iter().enumerate() {
            let l: Vec<u32> = (0..n as u32).map(|i| i % *k as u32).collect();
            labels.set_column(col, &l);
        }
        let flat = Flat::new(&ds.matrix, KernelChoice::Auto);
        let out = dir.path().join(format!("out{d}.csv"));
        let spec = OutputSpec {
            format: OutputFormat::Csv,
            labels_only: false,
            ks: &ks,
        };
        write_output(&out, &ds, &flat, &labels, &spec, &Exec::serial()).unwrap();
        let out_bytes = std::fs::metadata(&out).unwrap().len();
        let mut g = c.benchmark_group(format!("write-csv-k32/n{n}/d{d}"));
        g.throughput(Throughput::Bytes(out_bytes));
        g.sample_size(10).measurement_time(Duration::from_secs(2));
        for threads in [1usize, 2] {
            let exec = Exec::new(threads).unwrap();
            g.bench_function(format!("t{threads}"), |bch| {
                bch.iter(|| write_output(&out, &ds, &flat, &labels, &spec, &exec).unwrap())
            });
        }
        g.finish();
    }
}

fn probe(_: &mut Criterion) {
    let all = kernels::exec::available_cores();
    let mut fields = Vec::new();
    for t in [1, all] {
        let f = kernels::probe::fma_peak_gflops(t);
        let bw = kernels::probe::triad_gbs(t);
        eprintln!("probe: threads {t}: FMA peak {f:.1} GFLOP/s, triad {bw:.1} GB/s");
        fields.push(format!(
            "\"fma_gflops_t{t}\": {f:.3}, \"triad_gbs_t{t}\": {bw:.3}"
        ));
    }
    // The workspace's target folder (benches run from the package folder).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("probe.json"),
        format!(
            "{{\"isa\": \"{}\", {}}}\n",
            isa::detected().name(),
            fields.join(", ")
        ),
    );
}

criterion_group!(
    benches,
    probe,
    bench_large,
    bench_assign,
    bench_lloyd_and_seeding,
    bench_parse
);
criterion_main!(benches);
