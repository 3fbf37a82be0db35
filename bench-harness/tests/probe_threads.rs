//! `probe` writes machine.json; `threads` sweeps thread counts of the Rust contestants
//! into threads.csv with the same measurement and checks.

mod common;
use common::*;

#[test]
fn probe_writes_machine_json() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(&[
        "probe",
        "--quick",
        "--out",
        s(tmp.path()),
        "--machine-id",
        "test-box-2c",
    ]);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("machine.json")).unwrap())
            .unwrap();
    assert_eq!(m["machine_id"], "test-box-2c");
    assert!(m["cpu"]["model"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(m["cpu"]["cores"].as_u64().unwrap() >= 1);
    assert!(m["cpu"]["caches"].is_array() && m["cpu"]["isa_flags"].is_array());
    assert!(m["toolchain"]["rustc"]
        .as_str()
        .is_some_and(|s| s.starts_with("rustc")));
    assert!(m["environment"]["removed_for_python_contestants"].is_object());
    assert!(m["kernels_probe"]["skipped"].is_string());
    if venv_python().is_file() {
        assert!(m["python"]["packages"]["scikit-learn"].is_string(), "{m}");
        assert!(m["python"]["threadpool_info"].is_array(), "{m}");
    }
}

#[test]
fn thread_sweep_records_every_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, data) = (tmp.path().join("out"), tmp.path().join("data"));
    let o = run_ok(&[
        "threads",
        "--sizes",
        "2000",
        "--d",
        "4",
        "--kmax",
        "4",
        "--threads",
        "1,3",
        "--quick-probe",
        "--out",
        s(&out),
        "--data-dir",
        s(&data),
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("thr"));
    let rows = rows(&out, "threads.csv");
    assert_eq!(rows.len(), 4, "{rows:#?}");
    for name in ["rust-aos-rayon", "rust-flat"] {
        for t in [1, 3] {
            let r = rows
                .iter()
                .find(|r| r.contestant == name && r.threads == t)
                .unwrap();
            assert_eq!(r.status, "ok", "{name} t={t}: {}", r.reason);
            assert!(
                r.command.contains(&format!("--threads {t}")),
                "{}",
                r.command
            );
        }
    }
    assert!(!out.join("runs.csv").exists());
}
