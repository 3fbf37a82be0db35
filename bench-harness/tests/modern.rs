//! `bench-harness modern` end to end on a tiny cell: the data and initial centers are
//! written as `.npy`, our binary (f64 and f32) and scikit-learn run the fixed
//! iterations from the same centers, a kernel the binary lacks is skipped with a
//! note, every answer's inertia is checked against ours, the seeding is timed, and
//! the folder gets modern.csv, seeding.csv, modern.json and README.md.

mod common;
use common::*;
use serde_json::Value;

#[test]
fn modern_runs_a_tiny_cell_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, data) = (tmp.path().join("out"), tmp.path().join("data"));
    let o = run_ok(&[
        "modern",
        "--no-build",
        "--quick-probe",
        "--shapes",
        "3000x12x6",
        "--iterations",
        "4",
        "--repeats",
        "2",
        "--contestants",
        "kmeans,kmeans-f32,sklearn",
        "--kernels",
        "auto,no-such-kernel",
        "--seed-shapes",
        "3000x12x6",
        "--out",
        s(&out),
        "--data-dir",
        s(&data),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.trim().ends_with("README.md"), "{stdout}");
    assert!(data.join("uniform_n3000_d12_k6_s20260609.npy").is_file());
    assert!(data
        .join("uniform_n3000_d12_k6_s20260609_init.npy")
        .is_file());

    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("modern.json")).unwrap()).unwrap();
    assert_eq!(v["meta"]["state"], "complete");
    let fits = v["fit"].as_array().unwrap();
    let get = |name: &str| {
        fits.iter()
            .find(|r| r["contestant"] == name)
            .unwrap_or_else(|| panic!("no row for {name}: {fits:?}"))
    };
    for name in ["kmeans", "kmeans-f32", "sklearn"] {
        let r = get(name);
        assert_eq!(r["status"], "ok", "{name}: {r}");
        assert_eq!(r["n_iter"], 4, "{name}: {r}");
        assert_eq!(r["reference"], "kmeans");
        assert!(r["s_per_iter"].as_f64().unwrap() > 0.0);
        assert!(r["inertia"].as_f64().unwrap() > 0.0);
    }
    // scikit-learn from the same centers: the same answer to float64 rounding.
    assert!(get("sklearn")["inertia_rel_diff"].as_f64().unwrap() < 1e-9);
    assert_eq!(get("kmeans")["inertia_rel_diff"].as_f64().unwrap(), 0.0);
    assert!(get("sklearn")["detail"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("blas"));
    let skipped = get("kmeans-no-such-kernel");
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["reason"]
        .as_str()
        .unwrap()
        .contains("no --kernel no-such-kernel"));

    let seeds = v["seeding"].as_array().unwrap();
    for name in ["kmeans", "sklearn"] {
        let r = seeds.iter().find(|r| r["contestant"] == name).unwrap();
        assert_eq!(r["status"], "ok", "{name}: {r}");
        assert!(r["seed_s"].as_f64().unwrap() > 0.0);
        assert!(r["potential"].as_f64().unwrap() > 0.0);
    }

    let csv = std::fs::read_to_string(out.join("modern.csv")).unwrap();
    assert!(csv.starts_with("cell,n,d,k,contestant,precision,"));
    assert!(out.join("seeding.csv").is_file());
    assert!(out.join("machine.json").is_file());
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("## 3000 × 12, k = 6 (4 iterations)"),
        "{readme}"
    );
    assert!(
        readme.contains("Not run: `kmeans-no-such-kernel`"),
        "{readme}"
    );
    assert!(readme.contains("| sklearn | f64 |"), "{readme}");
    assert!(readme.contains("Greedy k-means++ seeding"));
    assert!(!out.join("cache").exists(), "scratch files are removed");

    // The tables again from modern.json, with another peak: nothing is measured.
    run_ok(&[
        "modern",
        "--report-only",
        "--peak-gflops",
        "1000",
        "--out",
        s(&out),
    ]);
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("modern.json")).unwrap()).unwrap();
    let r = again["fit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["contestant"] == "kmeans-f32")
        .unwrap();
    assert_eq!(r["status"], "ok");
    let want = r["gflops"].as_f64().unwrap() / 2000.0;
    assert!((r["frac_fma_peak"].as_f64().unwrap() - want).abs() < 1e-12);
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("1000 GFLOP/s, from --peak-gflops"),
        "{readme}"
    );
}
