//! The `--init-centers` reader on arbitrary bytes (d from the first byte): never
//! panics; on success there are k ≥ 1 centers of exactly d finite values.
#![no_main]
use kernels::data::centers::read_centers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let d = (first % 8) as usize + 1;
    let dir = std::env::temp_dir().join(format!("kmeans-fuzz-centers-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("centers.csv");
    std::fs::write(&path, rest).unwrap();
    if let Ok((k, values)) = read_centers(&path, d) {
        assert!(k >= 1);
        assert_eq!(values.len(), k * d);
        assert!(values.iter().all(|v| v.is_finite()));
    }
});
