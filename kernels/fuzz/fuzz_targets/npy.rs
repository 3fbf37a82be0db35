//! The `.npy` reader on arbitrary bytes: never panics; on success the matrix has the
//! header's shape and only finite values.
#![no_main]
use kernels::data;
use kernels::exec::Exec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data::npy::parse_header(data);
    let dir = std::env::temp_dir().join(format!("kmeans-fuzz-npy-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("in.npy");
    // always take the .npy path
    let mut bytes = data::npy::MAGIC.to_vec();
    bytes.extend_from_slice(data);
    std::fs::write(&path, &bytes).unwrap();
    if let Ok(ds) = data::load(&path, &Exec::serial()) {
        assert_eq!(ds.matrix.as_slice().len(), ds.n() * ds.d());
        assert!(ds.matrix.as_slice().iter().all(|v| v.is_finite()));
    }
});
