//! The `--sample-weight` reader on arbitrary bytes (n from the first byte): never
//! panics; on success there are exactly n finite, non-negative weights, not all zero.
#![no_main]
use kernels::data::weights::read_weights;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let n = (first % 16) as usize + 1;
    let dir = std::env::temp_dir().join(format!("kmeans-fuzz-weights-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("weights");
    std::fs::write(&path, rest).unwrap();
    if let Ok(w) = read_weights(&path, n) {
        assert_eq!(w.len(), n);
        assert!(w.iter().all(|v| v.is_finite() && *v >= 0.0));
        assert!(w.iter().any(|&v| v > 0.0));
    }
});
