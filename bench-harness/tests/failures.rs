//! The harness survives contestants that crash, hang, write garbage or nothing, and
//! records each as failed with its reason; wrong answers are flagged; a trivial child
//! reports a few MB and a few ms.

mod common;
use common::*;

const FIND_OUTPUT: &str = r#"while [ $# -gt 0 ]; do [ "$1" = --output ] && out="$2"; shift; done"#;

#[test]
fn bad_contestants_are_recorded_and_the_grid_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let crash = script(t, "crash.sh", "kill -SEGV $$");
    let hang = script(t, "hang.sh", "exec sleep 30");
    let garbage = script(
        t,
        "garbage.sh",
        &format!("{FIND_OUTPUT}\nprintf 'this is not,a csv\\n\\x01\\x02' > \"$out\""),
    );
    let headeronly = script(
        t,
        "headeronly.sh",
        &format!("{FIND_OUTPUT}\necho 'ID,feature_1,feature_2,cluster_3' > \"$out\""),
    );
    let nothing = script(t, "nothing.sh", "exit 0");
    let exit7 = script(
        t,
        "exit7.sh",
        "echo 'boom: the contestant gave up' >&2; exit 7",
    );
    // Writes every row in cluster 0: readable but wrong.
    let zeros = script(
        t,
        "zeros.sh",
        &format!(
            "{FIND_OUTPUT}\n\
             awk -F, 'NR==1 {{print $0\",cluster_3\"; next}} {{print $0\",0\"}}' \"$INPUT\" > \"$out\""
        ),
    );
    let exe = env!("CARGO_BIN_EXE_bench-harness");
    let data = t.join("data");
    let out = t.join("out");
    // The zeros script needs the input path: pass it through the environment.
    let input = data.join("blobs_n600_d2_k3_s20260609.csv");
    let specs = [
        format!("crash={}", crash.display()),
        format!("hang={}", hang.display()),
        format!("garbage={}", garbage.display()),
        format!("headeronly={}", headeronly.display()),
        format!("nothing={}", nothing.display()),
        format!("exit7={}", exit7.display()),
        format!("zeros={}", zeros.display()),
        format!("oracle={exe} oracle"),
        "true=/bin/true".to_string(),
        "missing=/nonexistent/contestant".to_string(),
    ];
    let mut args: Vec<String> = [
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
        "--timeout",
        "1",
        "--contestants",
        "crash,hang,garbage,headeronly,nothing,exit7,zeros,oracle,true,missing",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend([
        "--out".into(),
        out.display().to_string(),
        "--data-dir".into(),
        data.display().to_string(),
    ]);
    for spec in &specs {
        args.push("--contestant-cmd".into());
        args.push(spec.clone());
    }
    let o = harness().args(&args).env("INPUT", &input).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let rows = rows(&out, "runs.csv");
    assert_eq!(rows.len(), 10, "one row per contestant");
    let get = |name: &str| rows.iter().find(|r| r.contestant == name).unwrap();
    let expect = |name: &str, status: &str, reason: &str| {
        let r = get(name);
        assert_eq!(r.status, status, "{name}: {r:?}");
        assert!(
            r.reason.contains(reason),
            "{name}: reason `{}` lacks `{reason}`",
            r.reason
        );
    };
    expect("crash", "failed", "SIGSEGV");
    expect("hang", "failed", "timeout after 1 s");
    expect("garbage", "failed", "unreadable output");
    expect("headeronly", "failed", "unreadable output: no data rows");
    expect("nothing", "failed", "no output file");
    expect("exit7", "failed", "exit 7: boom: the contestant gave up");
    expect("zeros", "wrong", "ARI");
    expect("oracle", "ok", "");
    expect("missing", "failed", "could not start");
    assert_eq!(get("exit7").exit_code, Some(7));
    assert_eq!(get("crash").exit_code, None);
    let hang = get("hang");
    assert!(
        hang.wall_s.unwrap() >= 1.0 && hang.wall_s.unwrap() < 3.0,
        "{hang:?}"
    );
    let oracle = get("oracle");
    assert_eq!(oracle.ari, Some(1.0));
    assert_eq!(oracle.nmi, Some(1.0));
    assert!(oracle.inertia.unwrap() > 0.0);

    // A trivial child: a few MB of max RSS (not the harness's size) and a few ms of wall.
    let t = get("true");
    assert_eq!(t.reason, "no output file");
    let rss = t.max_rss_mb.unwrap();
    assert!(rss > 0.1 && rss < 8.0, "/bin/true max_rss_mb = {rss}");
    assert!(
        t.wall_s.unwrap() < 0.05,
        "/bin/true took {} s",
        t.wall_s.unwrap()
    );
    assert!(
        t.harness_rss_mb.unwrap() < 32.0,
        "the harness itself is {} MB",
        t.harness_rss_mb.unwrap()
    );
}

#[test]
fn trivial_child_after_a_large_check_still_reports_a_few_mb() {
    // The oracle's answer (100k × 8) is read and checked by the harness before
    // /bin/true runs (contestants of a cell run in the listed order for the first cell):
    // the memory of that check must not show up in the next child's ru_maxrss.
    let tmp = tempfile::tempdir().unwrap();
    let (out, data) = (tmp.path().join("out"), tmp.path().join("data"));
    let oracle = format!("oracle={} oracle", env!("CARGO_BIN_EXE_bench-harness"));
    run_ok(&[
        "run",
        "--no-build",
        "--quick-probe",
        "--sizes",
        "100000",
        "--dims",
        "8",
        "--kmax",
        "4",
        "--contestants",
        "oracle,true",
        "--contestant-cmd",
        &oracle,
        "--contestant-cmd",
        "true=/bin/true",
        "--out",
        s(&out),
        "--data-dir",
        s(&data),
    ]);
    let rows = rows(&out, "runs.csv");
    assert_eq!(rows[0].contestant, "oracle");
    assert_eq!(rows[0].status, "ok");
    let t = &rows[1];
    assert_eq!(t.contestant, "true");
    let (rss, floor) = (t.max_rss_mb.unwrap(), t.harness_rss_mb.unwrap());
    assert!(
        rss < 8.0 && floor < 8.0,
        "/bin/true max_rss_mb {rss}, harness {floor}"
    );
}
