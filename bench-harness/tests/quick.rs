//! The parts of `run` that make the one README command give the whole result: a
//! contestant capped to the smaller cells (`--cap`, the quick preset's numpy cap) is
//! named in the summary, and the run ends by writing REPORT.md, dashboard.html and the
//! comparison with the other machines' folders. And `compare` says which commit each
//! folder's Rust contestants ran, flags a comparison across different code, and refuses
//! it with `--same-code`.

mod common;
use common::*;
use std::fmt::Write as _;
use std::path::Path;

#[test]
fn quick_preset_caps_numpy_to_the_small_and_medium_sizes() {
    let quick = bench_harness::grid::preset("quick").unwrap();
    let numpy = quick.caps.iter().find(|c| c.contestant == "numpy").unwrap();
    assert!(quick.sizes.iter().any(|&n| n <= numpy.max_n));
    assert!(quick.sizes.iter().any(|&n| n > numpy.max_n));
    assert!(bench_harness::grid::preset("seed").unwrap().caps.is_empty());
    let c = bench_harness::grid::Cap::parse("numpy=16k").unwrap();
    assert_eq!((c.contestant.as_str(), c.max_n), ("numpy", 16_000));
    assert!(bench_harness::grid::Cap::parse("numpy").is_err());
    assert!(bench_harness::grid::Cap::parse("numpy=lots").is_err());
}

#[test]
fn a_capped_run_says_what_was_capped_and_ends_with_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let data = tmp.path().join("data");
    let exe = env!("CARGO_BIN_EXE_bench-harness");
    let fast = format!("fast={exe} oracle");
    let slow = format!("slow={exe} oracle --sleep-ms 1");
    let o = run_ok(&[
        "run",
        "--no-build",
        "--quick-probe",
        "--sizes",
        "400,600",
        "--dims",
        "2",
        "--kmax",
        "3",
        "--repeats",
        "1",
        "--contestants",
        "fast,slow",
        "--contestant-cmd",
        &fast,
        "--contestant-cmd",
        &slow,
        "--cap",
        "slow=500",
        "--machine-id",
        "test-machine",
        "--data-dir",
        s(&data),
        "--out",
        s(&out),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("capped: slow ≤ 500 rows (1 of 2 cells not run)"),
        "{stdout}"
    );
    let rows = rows(&out, "runs.csv");
    let ns = |who: &str| {
        let mut v: Vec<usize> = rows
            .iter()
            .filter(|r| r.contestant == who)
            .map(|r| r.n)
            .collect();
        v.sort();
        v
    };
    assert_eq!(ns("fast"), [400, 600]);
    assert_eq!(ns("slow"), [400]);

    // The report and dashboard of the folder, and where they are.
    for f in ["REPORT.md", "dashboard.html"] {
        assert!(out.join(f).is_file(), "{f}");
        let line = format!("{}", out.join(f).display());
        assert!(stdout.contains(&line), "{line} in {stdout}");
    }
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(
        report.contains("**Not every contestant ran every cell**: `slow` 1 of 2 cells, n ≤ 400 "),
        "{report}"
    );
    // The comparison with the project's machine folders (perf-reports/*/ with runs.csv).
    let others = std::fs::read_dir(root().join("perf-reports"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("runs.csv").is_file())
        .count();
    if others > 0 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with("compare:"))
            .unwrap_or_else(|| panic!("no compare line in {stdout}"));
        let path = line.trim_start_matches("compare:").trim();
        assert!(Path::new(path).is_file(), "{path}");
        assert!(Path::new(path).starts_with(&out), "{path}");
    }

    // --no-report: nothing written at the end.
    let out2 = tmp.path().join("out2");
    let o = run_ok(&[
        "run",
        "--no-build",
        "--quick-probe",
        "--sizes",
        "400",
        "--dims",
        "2",
        "--kmax",
        "3",
        "--contestants",
        "fast",
        "--contestant-cmd",
        &fast,
        "--data-dir",
        s(&data),
        "--out",
        s(&out2),
        "--no-report",
    ]);
    assert!(!out2.join("REPORT.md").exists());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("capped"));
}

/// A results folder with numpy and rust-flat on two cells; the Rust rows ran `rust_code`.
fn folder(dir: &Path, machine: &str, rust_code: &str, scale: f64) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("contestant,shape,n,d,k_max,repeat,wall_s,status,harness_version\n");
    for n in [1000, 8000] {
        for (c, t, v) in [
            ("numpy", 1.0, "0.1.0+aaaaaaaaaaaa"),
            ("rust-flat", 0.05, rust_code),
        ] {
            writeln!(
                csv,
                "{c},blobs,{n},2,8,1,{},ok,{v}",
                t * scale * n as f64 / 1000.0
            )
            .unwrap();
        }
    }
    std::fs::write(dir.join("runs.csv"), csv).unwrap();
    std::fs::write(
        dir.join("machine.json"),
        format!("{{\"machine_id\": \"{machine}\", \"cpu\": {{\"model\": \"X\", \"cores\": 2}}}}"),
    )
    .unwrap();
}

#[test]
fn compare_names_each_sides_rust_commit_and_flags_different_code() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    folder(&a, "machine-a", "0.1.0+1111111aaaaa", 1.0);
    folder(&b, "machine-b", "0.1.0+2222222bbbbb", 2.0);
    folder(&c, "machine-c", "0.1.0+1111111aaaaa", 2.0);

    // Different code: said on stdout and at the top of COMPARE.md, commits in the table.
    let cmp = tmp.path().join("cmp-ab");
    let o = run_ok(&["compare", s(&a), s(&b), "--out", s(&cmp)]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("warning: not the same code:"))
        .unwrap_or_else(|| panic!("no warning in {stdout}"));
    assert!(
        warning.contains("`2222222bbbbb` on `machine-b`")
            && warning.contains("`1111111aaaaa` on `machine-a`"),
        "{warning}"
    );
    let md = std::fs::read_to_string(cmp.join("COMPARE.md")).unwrap();
    let first_section = md.find("\n## ").unwrap();
    let flag = md.find("**Warning: not the same code.**").expect(&md);
    assert!(
        flag < first_section,
        "the flag comes before the tables:\n{md}"
    );
    assert!(md.contains("| Rust code |"), "{md}");
    assert!(
        md.contains("`1111111aaaaa`") && md.contains("`2222222bbbbb`"),
        "{md}"
    );

    // --same-code refuses, and writes nothing.
    let refused = tmp.path().join("cmp-refused");
    let o = harness()
        .args(["compare", s(&a), s(&b), "--same-code", "--out", s(&refused)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--same-code") && stderr.contains("2222222bbbbb"),
        "{stderr}"
    );
    assert!(!refused.exists());

    // The same commit: no flag, and --same-code accepts it.
    let same = tmp.path().join("cmp-ac");
    let o = run_ok(&["compare", s(&a), s(&c), "--same-code", "--out", s(&same)]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("warning"));
    let md = std::fs::read_to_string(same.join("COMPARE.md")).unwrap();
    assert!(!md.contains("not the same code"), "{md}");
    assert!(md.contains("`1111111aaaaa`"), "{md}");

    // A folder without the column cannot show the same code: flagged, refused.
    let d = tmp.path().join("d");
    std::fs::create_dir_all(&d).unwrap();
    let runs = std::fs::read_to_string(a.join("runs.csv")).unwrap();
    let stripped: String = runs
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    std::fs::write(d.join("runs.csv"), stripped).unwrap();
    let o = harness()
        .args([
            "compare",
            s(&a),
            s(&d),
            "--same-code",
            "--out",
            s(&tmp.path().join("x")),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`unknown`"));
}
