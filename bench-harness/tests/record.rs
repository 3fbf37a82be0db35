//! `--record WHAT`: the results go to `<machine folder>/runs/<date>-<commit>-<WHAT>/`
//! with a README.md naming the command line, commit, date, machine and files; a second
//! invocation on the same day and commit resumes in the same folder.

mod common;
use common::*;

#[test]
fn record_puts_a_run_in_a_dated_folder_with_a_readme() {
    let tmp = tempfile::tempdir().unwrap();
    let machine_dir = tmp.path().join("m");
    let data = tmp.path().join("data");
    let exe = env!("CARGO_BIN_EXE_bench-harness");
    let oracle = format!("oracle={exe} oracle");
    let args = [
        "run",
        "--no-build",
        "--quick-probe",
        "--sizes",
        "600",
        "--dims",
        "2",
        "--kmax",
        "3",
        "--repeats",
        "1",
        "--contestants",
        "oracle",
        "--contestant-cmd",
        &oracle,
        "--machine-id",
        "test-machine",
        "--data-dir",
        s(&data),
        "--out",
        s(&machine_dir),
        "--record",
        "record-test",
    ];
    run_ok(&args);

    let runs = machine_dir.join("runs");
    let folders: Vec<_> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let name = &folders[0];
    let date = bench_harness::record::today_utc();
    let commit = bench_harness::record::commit(&root());
    assert_eq!(name, &format!("{date}-{commit}-record-test"));
    let dir = runs.join(name);
    assert_eq!(rows(&dir, "runs.csv").len(), 1);
    assert!(dir.join("machine.json").is_file());
    assert!(
        !machine_dir.join("runs.csv").exists(),
        "nothing outside the run folder"
    );

    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.starts_with(&format!("# {name}\n")), "{readme}");
    assert!(
        readme.contains("| command | `bench-harness run --no-build --quick-probe --sizes 600 "),
        "{readme}"
    );
    assert!(readme.contains("--record record-test` |"), "{readme}");
    assert!(
        readme.contains(&format!("| commit | `{commit}`")),
        "{readme}"
    );
    assert!(
        readme.contains(&format!("| date (UTC) | {date} |")),
        "{readme}"
    );
    assert!(readme.contains("| machine | `test-machine` |"), "{readme}");
    assert!(readme.contains("- `machine.json`: ") && readme.contains("- `runs.csv`: "));

    // Again: the same folder, resumed (the cell is done, no new row).
    run_ok(&args);
    assert_eq!(std::fs::read_dir(&runs).unwrap().count(), 1);
    assert_eq!(rows(&dir, "runs.csv").len(), 1);

    // A bad name is refused before anything runs.
    let mut bad = args;
    *bad.last_mut().unwrap() = "Not OK";
    let o = harness().args(bad).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--record"));
}
