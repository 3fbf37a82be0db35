//! Resume: a run interrupted with Ctrl-C (SIGINT) leaves only complete rows, and the
//! same command restarted ends with the same set of rows as an uninterrupted run,
//! without duplicates.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn args(out: &std::path::Path, data: &std::path::Path) -> Vec<String> {
    let exe = env!("CARGO_BIN_EXE_bench-harness");
    [
        "run",
        "--no-build",
        "--quick-probe",
        "--sizes",
        "300,400",
        "--dims",
        "2,3",
        "--kmax",
        "2",
        "--repeats",
        "1",
        "--contestants",
        "slow-a,slow-b",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--contestant-cmd".to_string(),
        format!("slow-a={exe} oracle --sleep-ms 150"),
        "--contestant-cmd".to_string(),
        format!("slow-b={exe} oracle --sleep-ms 150"),
        "--out".to_string(),
        out.display().to_string(),
        "--data-dir".to_string(),
        data.display().to_string(),
    ])
    .collect()
}

fn keys(dir: &std::path::Path) -> (usize, BTreeSet<String>) {
    let rows = rows(dir, "runs.csv");
    let keys: BTreeSet<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}/{}/{}/{}/{}/{}",
                r.contestant, r.n, r.d, r.k_max, r.repeat, r.seed
            )
        })
        .collect();
    (rows.len(), keys)
}

#[test]
fn interrupted_run_resumes_to_the_same_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));

    run_ok(
        &args(&full, &data)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let (n_full, keys_full) = keys(&full);
    assert_eq!(n_full, 8);
    assert_eq!(keys_full.len(), 8);

    // Start, wait for a few rows, then Ctrl-C.
    let mut child = harness()
        .args(args(&part, &data))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let runs = part.join("runs.csv");
    let start = Instant::now();
    while bench_harness::results::read_rows(&runs)
        .map(|r| r.len())
        .unwrap_or(0)
        < 3
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no rows appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted harness exits 130");
    let text = std::fs::read_to_string(&runs).unwrap();
    assert!(text.ends_with('\n'), "only complete lines");
    let (n_part, keys_part) = keys(&part);
    assert!(
        (3..8).contains(&n_part),
        "{n_part} rows after the interrupt"
    );
    assert_eq!(n_part, keys_part.len());
    assert!(keys_part.is_subset(&keys_full));

    // Restart: only the missing runs are done.
    let o = run_ok(
        &args(&part, &data)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("resuming"));
    let (n_after, keys_after) = keys(&part);
    assert_eq!(n_after, 8, "no duplicates");
    assert_eq!(keys_after, keys_full);
    assert!(rows(&part, "runs.csv").iter().all(|r| r.status == "ok"));

    // A third run has nothing left to do; --fresh starts over.
    run_ok(
        &args(&part, &data)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(keys(&part).0, 8);
    let mut fresh = args(&part, &data);
    fresh.push("--fresh".into());
    run_ok(&fresh.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(keys(&part).0, 8);
    assert!(part.join("runs.csv.old").is_file());
}
