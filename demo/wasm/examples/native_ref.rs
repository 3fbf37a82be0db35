//! The native reference for the Node test (`demo/tests/wasm.test.mjs`): runs the
//! same safe core as the .wasm module, compiled natively (AVX2/AVX-512/NEON kernels),
//! and prints the result as one JSON object.
//!
//! ```text
//! cargo run --example native_ref -- DATA.f64 N D K SEED MAX_ITER TOL [CENTERS.f64]
//! ```
//!
//! `DATA.f64` holds `N × D` little-endian f64 values (row-major), as JavaScript's
//! `Float64Array` writes them. Without `CENTERS.f64` (`K × D` values) the initial
//! centers are greedy k-means++ from `(SEED, K)`. Floats are printed in Rust's
//! shortest round-trip form, so JavaScript reads back the exact values.

use kmeans_wasm::{kernel_isa, Dataset};
use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

/// Reads a file of little-endian f64 values.
fn read_f64s(path: &Path) -> Result<Vec<f64>, Box<dyn Error>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() % 8 != 0 {
        return Err(format!("{}: length is not a multiple of 8", path.display()).into());
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes")))
        .collect())
}

/// `[v0,v1,…]` with each value formatted by `f`.
fn json_array<T>(values: &[T], f: impl Fn(&T) -> String) -> String {
    let items: Vec<String> = values.iter().map(f).collect();
    format!("[{}]", items.join(","))
}

fn parse<T: std::str::FromStr>(args: &[String], i: usize, name: &str) -> Result<T, String> {
    let s = args
        .get(i)
        .ok_or_else(|| format!("missing argument {name}"))?;
    s.parse()
        .map_err(|_| format!("argument {name}: cannot parse '{s}'"))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 7 {
        return Err("usage: native_ref DATA.f64 N D K SEED MAX_ITER TOL [CENTERS.f64]".into());
    }
    let n: usize = parse(&args, 1, "N")?;
    let d: usize = parse(&args, 2, "D")?;
    let k: usize = parse(&args, 3, "K")?;
    let seed: u64 = parse(&args, 4, "SEED")?;
    let max_iter: usize = parse(&args, 5, "MAX_ITER")?;
    let tol: f64 = parse(&args, 6, "TOL")?;

    let ds = Dataset::new(&read_f64s(Path::new(&args[0]))?, n, d)?;
    let init = match args.get(7) {
        Some(p) => read_f64s(Path::new(p))?,
        None => ds.initial_centers(k, seed)?,
    };
    let out = ds.run(&init, max_iter, tol)?;

    let float = |v: &f64| format!("{v:?}");
    let mut json = String::new();
    write!(
        json,
        "{{\"isa\":\"{}\",\"init_centers\":{},\"labels\":{},\"centers\":{},\
         \"inertia\":{:?},\"iterations\":{},\"converged\":{}}}",
        kernel_isa(),
        json_array(&init, float),
        json_array(&out.labels, |l| l.to_string()),
        json_array(&out.centers, float),
        out.inertia,
        out.iterations,
        out.converged
    )?;
    println!("{json}");
    Ok(())
}
