//! The CSV loader on arbitrary bytes: never panics; when it succeeds every value is
//! finite and every row's text is in bounds; and a tiny chunk size (every row its own
//! chunk, boundaries everywhere) gives the same matrix or the same error.
#![no_main]
use kernels::data::{csv::load_csv_chunked, map_file, Source};
use kernels::exec::Exec;
use libfuzzer_sys::fuzz_target;

fn load(path: &std::path::Path, chunk: usize) -> Result<(usize, usize, Vec<u64>), String> {
    let map = map_file(path).map_err(|e| e.to_string())?;
    let ds = load_csv_chunked(path, map, &Exec::serial(), chunk).map_err(|e| e.to_string())?;
    assert!(ds.n() >= 1 && ds.d() >= 1);
    let vals = ds.matrix.as_slice();
    assert_eq!(vals.len(), ds.n() * ds.d());
    assert!(vals.iter().all(|v| v.is_finite()));
    if let Source::Csv(rows) = &ds.source {
        for i in 0..ds.n() {
            let _ = rows.row_bytes(i);
            let _ = rows.id_bytes(i);
        }
        let _ = rows.header();
    }
    Ok((ds.n(), ds.d(), vals.iter().map(|v| v.to_bits()).collect()))
}

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("kmeans-fuzz-csv-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("in.csv");
    std::fs::write(&path, data).unwrap();
    let a = load(&path, 1 << 20);
    let b = load(&path, 1);
    assert_eq!(a, b, "chunk size changed the result");
});
