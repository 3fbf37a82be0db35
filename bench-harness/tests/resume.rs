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

/// Waits (at most 30 s) until the results file `runs` holds at least `n` rows.
fn wait_for_rows(runs: &std::path::Path, n: usize) {
    let start = Instant::now();
    while bench_harness::results::read_rows(runs)
        .map(|r| r.len())
        .unwrap_or(0)
        < n
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no rows appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
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
    wait_for_rows(&runs, 3);
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

/// Rows of a results file as written: every line must be complete and parse.
fn assert_complete(runs: &std::path::Path) {
    let text = std::fs::read_to_string(runs).unwrap_or_default();
    assert!(text.is_empty() || text.ends_with('\n'), "a torn last line");
    bench_harness::results::read_rows(runs).expect("every row parses");
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
    run_ok(
        &args(&full, &data)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let (_, keys_full) = keys(&full);

    // A random kill moment per round (seed printed so a failure can be replayed).
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill-loop seed {seed}");
    let runs = part.join("runs.csv");
    let mut kills = 0;
    for _round in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(seed % 700);
        let mut child = harness()
            .args(args(&part, &data))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        assert_complete(&runs);
        let (n, k) = keys(&part);
        assert_eq!(n, k.len(), "no duplicate rows after a kill");
        assert!(k.is_subset(&keys_full));
        if k == keys_full {
            break;
        }
    }
    assert!(kills > 0, "the loop never killed the harness");
    // The lock died with the process: the same command finishes the grid.
    run_ok(
        &args(&part, &data)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_complete(&runs);
    let (n, k) = keys(&part);
    assert_eq!(n, 8, "no duplicates");
    assert_eq!(k, keys_full);
}

#[test]
fn a_second_harness_on_the_same_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    let mut first = harness()
        .args(args(&out, &data))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_rows(&out.join("runs.csv"), 1);
    let second = harness().args(args(&out, &data)).output().unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(second.status.code(), Some(1), "{second:?}");
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("another bench-harness") && err.contains(&format!("pid {}", first.id())),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_complete(&out.join("runs.csv"));
}
