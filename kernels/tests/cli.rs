//! The `kmeans` binary as a user runs it: a subprocess on generated files.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kmeans() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kmeans"))
}

fn run(args: &[&str]) -> Output {
    kmeans().args(args).output().expect("kmeans runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn blob_file(dir: &Path, n: usize, d: usize, k: usize) -> (PathBuf, Vec<usize>) {
    let (rows, truth) = blobs(n, d, k, 17);
    let p = dir.join(format!("blobs_{n}_{d}_{k}.csv"));
    write_csv(&p, &rows);
    (p, truth)
}

fn column(csv: &str, name: &str) -> Vec<usize> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let c = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    lines
        .map(|l| l.split(',').nth(c).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn sweep_recovers_blobs_and_keeps_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (input, truth) = blob_file(dir.path(), 3000, 5, 6);
    let out = dir.path().join("out.csv");
    let summary = dir.path().join("s.json");
    let o = run(&[
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--k-max",
        "6",
        "--summary",
        s(&summary),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let input_text = std::fs::read_to_string(&input).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "ID,feature_1,feature_2,feature_3,feature_4,feature_5,cluster_1,cluster_2,cluster_3,cluster_4,cluster_5,cluster_6"
    );
    // rows in input order, ID and features echoed exactly
    for (a, b) in text.lines().zip(input_text.lines()).skip(1) {
        assert!(a.starts_with(&format!("{b},")), "{a} vs {b}");
    }
    let labels = column(&text, "cluster_6");
    assert!(ari(&labels, &truth) >= 0.99, "ARI {}", ari(&labels, &truth));
    assert!(column(&text, "cluster_1").iter().all(|&l| l == 0));
    let js: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let results = js["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    assert_eq!(results[5]["centers"].as_array().unwrap().len(), 6);
    assert!(results[5]["inertia"].as_f64().unwrap() < results[0]["inertia"].as_f64().unwrap());
    for key in ["read_s", "fit_s", "write_s", "total_s"] {
        assert!(js["timings"][key].as_f64().unwrap() >= 0.0);
    }
}

fn strip_times(v: &mut serde_json::Value) {
    if let Some(o) = v.as_object_mut() {
        for key in [
            "timings",
            "seconds",
            "init_seconds",
            "iter_seconds",
            "threads",
            // What names the kernel (differs between layouts, not between runs).
            "order",
            "rechecked_fraction",
        ] {
            o.remove(key);
        }
        for (_, x) in o.iter_mut() {
            strip_times(x);
        }
    } else if let Some(a) = v.as_array_mut() {
        a.iter_mut().for_each(strip_times);
    }
}

#[test]
fn identical_bytes_for_every_thread_count_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 5000, 3, 4);
    let mut outs = Vec::new();
    for (layout, kernel, t, init, algorithm) in ["flat", "aos"].iter().flat_map(|l| {
        ["scalar", "auto"].iter().flat_map(move |kn| {
            ["1", "2", "3", "0"].iter().flat_map(move |t| {
                ["greedy-k-means++", "k-means++"].iter().flat_map(move |i| {
                    ["lloyd", "hamerly", "elkan"].map(move |a| (*l, *kn, *t, *i, a))
                })
            })
        })
    }) {
        let out = dir
            .path()
            .join(format!("o_{layout}_{kernel}_{t}_{init}_{algorithm}.csv"));
        let sum = dir
            .path()
            .join(format!("s_{layout}_{kernel}_{t}_{init}_{algorithm}.json"));
        let o = run(&[
            "--input",
            s(&input),
            "--output",
            s(&out),
            "--k-max",
            "5",
            "--threads",
            t,
            "--layout",
            layout,
            "--kernel",
            kernel,
            "--init",
            init,
            "--algorithm",
            algorithm,
            // Half of the runs continue each seeding from the previous k.
            "--warm-start",
            if t == "1" || t == "3" { "off" } else { "on" },
            "--summary",
            s(&sum),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut js: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sum).unwrap()).unwrap();
        strip_times(&mut js);
        js.as_object_mut().unwrap().remove("warm_start");
        js.as_object_mut().unwrap().remove("layout");
        js.as_object_mut().unwrap().remove("kernel");
        js.as_object_mut().unwrap().remove("algorithm");
        outs.push((init, std::fs::read(&out).unwrap(), js.to_string()));
    }
    for init in ["greedy-k-means++", "k-means++"] {
        let same: Vec<_> = outs.iter().filter(|o| o.0 == init).collect();
        for o in &same[1..] {
            assert!(o.1 == same[0].1, "output differs ({init})");
            assert_eq!(o.2, same[0].2, "summary differs ({init})");
        }
    }
}

#[test]
fn init_centers_fit_exactly_that_k() {
    let dir = tempfile::tempdir().unwrap();
    let (input, truth) = blob_file(dir.path(), 1000, 2, 3);
    let text = std::fs::read_to_string(&input).unwrap();
    // three data rows, one from each true cluster, as the start
    let mut picks = Vec::new();
    for c in 0..3 {
        let i = truth.iter().position(|&t| t == c).unwrap();
        let line = text.lines().nth(i + 1).unwrap();
        picks.push(line.split(',').skip(1).collect::<Vec<_>>().join(","));
    }
    let centers = dir.path().join("c.csv");
    std::fs::write(&centers, format!("x,y\n{}\n", picks.join("\n"))).unwrap();
    let out = dir.path().join("o.csv");
    let o = run(&[
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--init-centers",
        s(&centers),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let res = std::fs::read_to_string(&out).unwrap();
    assert!(res.lines().next().unwrap().ends_with(",cluster_3"));
    assert_eq!(ari(&column(&res, "cluster_3"), &truth), 1.0);
}

#[test]
fn npy_input_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, truth) = blobs(500, 2, 3, 5);
    let mut bytes = kernels::data::npy::header_bytes("<f8", &[500, 2]);
    for v in flatten(&rows) {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let input = dir.path().join("x.npy");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("o.csv");
    let o = run(&["--input", s(&input), "--output", s(&out), "--k-max", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let res = std::fs::read_to_string(&out).unwrap();
    assert!(res.starts_with("ID,feature_1,feature_2,cluster_1,cluster_2,cluster_3\n0,"));
    assert!(ari(&column(&res, "cluster_3"), &truth) > 0.99);
    // labels-only and npy outputs carry the same labels
    let lo = dir.path().join("lo.csv");
    assert!(run(&[
        "--input",
        s(&input),
        "--output",
        s(&lo),
        "--k-max",
        "3",
        "--labels-only"
    ])
    .status
    .success());
    let lo_text = std::fs::read_to_string(&lo).unwrap();
    assert!(lo_text.starts_with("ID,cluster_1,cluster_2,cluster_3\n0,0,"));
    assert_eq!(column(&lo_text, "cluster_3"), column(&res, "cluster_3"));
    let np = dir.path().join("o.npy");
    assert!(run(&[
        "--input",
        s(&input),
        "--output",
        s(&np),
        "--k-max",
        "3",
        "--output-format",
        "npy"
    ])
    .status
    .success());
    let b = std::fs::read(&np).unwrap();
    let h = kernels::data::npy::parse_header(&b).unwrap();
    assert_eq!(h.descr, "<i4");
    assert_eq!(h.shape, vec![500, 3]);
    let got: Vec<usize> = b[h.data_offset..]
        .chunks(4)
        .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as usize)
        .collect();
    let k3: Vec<usize> = got.chunks(3).map(|r| r[2]).collect();
    assert_eq!(k3, column(&res, "cluster_3"));
}

#[test]
fn seed_compatible_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 300, 2, 3);
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    assert!(run(&[
        "--input",
        s(&input),
        "--output",
        s(&a),
        "--k-max",
        "3",
        "--seed",
        "9",
        "--threads",
        "0"
    ])
    .status
    .success());
    let o = run(&[
        "--input",
        s(&input),
        "--output",
        s(&b),
        "--k_clusters_max",
        "3",
        "--random-state",
        "9",
        "--parallel",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

/// Asserts exit status 2, one line on stderr containing `needle`, no panic text, and
/// no output (or temp) file left in the output folder.
fn assert_bad(dir: &Path, args: &[&str], needle: &str) {
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}: status {:?}, stderr {err}",
        o.status
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(
        err.contains(needle),
        "{args:?}: expected '{needle}' in: {err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    let after: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "{args:?}: files left behind");
}

#[test]
fn bad_input_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let good = w("good.csv", b"ID,f1,f2\na,1,2\nb,3,4\nc,5,6\n");
    let out = d.join("out.csv");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--input".into(),
                d.join("missing.csv").to_str().unwrap().into(),
            ],
            "No such file",
        ),
        (
            vec!["--input".into(), d.to_str().unwrap().into()],
            "is a directory",
        ),
        (vec!["--input".into(), w("empty.csv", b"")], "file is empty"),
        (
            vec!["--input".into(), w("header.csv", b"ID,f1,f2\n")],
            "no data rows",
        ),
        (
            vec!["--input".into(), w("bom.csv", b"\xEF\xBB\xBF")],
            "header line is empty",
        ),
        (
            vec!["--input".into(), w("nofeat.csv", b"ID\na\nb\n")],
            "no feature columns",
        ),
        (
            vec!["--input".into(), w("ragged.csv", b"ID,f1,f2\na,1,2\nb,3\n")],
            ":3:",
        ),
        (
            vec!["--input".into(), w("text.csv", b"ID,f1,f2\na,1,two\n")],
            "not a number",
        ),
        (
            vec!["--input".into(), w("nan.csv", b"ID,f1,f2\na,NaN,2\n")],
            "NaN or infinite",
        ),
        (
            vec![
                "--input".into(),
                w("huge.csv", b"ID,f1,f2\na,1,2\nb,3,-1e300\nc,5,6\n"),
            ],
            "row 2, column 2: |-1e300| is too large",
        ),
        (
            vec!["--input".into(), w("inf.csv", b"ID,f1,f2\na,1,inf\n")],
            "NaN or infinite",
        ),
        (
            vec!["--input".into(), w("big.csv", b"ID,f1,f2\na,1,1e999\n")],
            "out of the f64 range",
        ),
        (
            vec![
                "--input".into(),
                w("binary.csv", b"\x00\x01\x02\xff\xfe\n\x00,\x01\n"),
            ],
            "no feature columns",
        ),
        (
            vec![
                "--input".into(),
                w("binary2.csv", b"ID,f1\n\x00\xff,\x01\x02\n"),
            ],
            "not a number",
        ),
        (
            vec!["--input".into(), w("quote.csv", b"ID,f1\n\"abc,1\n")],
            "unterminated quoted field",
        ),
        (
            vec![
                "--input".into(),
                w(
                    "trunc.npy",
                    &kernels::data::npy::header_bytes("<f8", &[10, 2])[..],
                ),
            ],
            "truncated .npy",
        ),
        (
            vec![
                "--input".into(),
                w("int.npy", &kernels::data::npy::header_bytes("<i8", &[1, 1])),
            ],
            "unsupported dtype",
        ),
        (
            vec![
                "--input".into(),
                w(
                    "one_d.npy",
                    &[kernels::data::npy::header_bytes("<f8", &[2]), vec![0u8; 16]].concat(),
                ),
            ],
            "expected a 2-D array",
        ),
        (
            vec![
                "--input".into(),
                w("badhdr.npy", b"\x93NUMPY\x01\x00\xff\xff{"),
            ],
            "truncated .npy header",
        ),
    ];
    for (mut args, needle) in cases {
        args.extend(["--output".into(), out.into(), "--k-max".into(), "2".into()]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_bad(d, &a, needle);
    }
    let c_wide = w("c_wide.csv", b"1,2,3\n4,5,6\n");
    let c_text = w("c_text.csv", b"x,y\n1,oops\n");
    let c_empty = w("c_empty.csv", b"x,y\n");
    let c_many = w("c_many.csv", b"1,2\n3,4\n5,6\n7,8\n");
    let c_huge = w("c_huge.csv", b"1e200,2\n3,4\n");
    let usage: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--k-max", "0"], "--k-max must be at least 1"),
        (
            vec!["--k-max", "2", "--k-min", "3"],
            "--k-min (3) is larger than --k-max (2)",
        ),
        (vec!["--k-max", "4"], "larger than the number of rows (3)"),
        (vec!["--k-max", "-1"], "invalid value"),
        (vec!["--k-max", "two"], "invalid value"),
        (
            vec!["--k-max", "2", "--init-centers", &c_wide],
            "3 columns, the data has 2",
        ),
        (
            vec!["--k-max", "2", "--init-centers", &c_text],
            "not a number: 'oops'",
        ),
        (
            vec!["--k-max", "2", "--init-centers", &c_empty],
            "no centers",
        ),
        (
            vec!["--init-centers", &c_huge],
            "row 1, column 1: |1e200| is too large",
        ),
        (
            vec!["--init-centers", &c_many],
            "4 centers but the data has only 3 rows",
        ),
        (vec!["--k-max", "2", "--init", "kmeans"], "invalid value"),
        (vec!["--k-max", "2", "--layout", "soa"], "invalid value"),
        (
            vec!["--k-max", "2", "--kernel", "gpu"],
            "[possible values: scalar, simd, tiled, blocked, screened, auto]",
        ),
        (vec!["--k-max", "2", "--tol", "-1"], "--tol must be"),
        (
            vec!["--k-max", "2", "--max-iter", "0"],
            "--max-iter must be at least 1",
        ),
        (vec!["--k-max", "2", "--bogus"], "unexpected argument"),
        (vec![], "--k-max is required"),
    ];
    for (extra, needle) in usage {
        let mut a = vec!["--input", good.as_str(), "--output", out];
        a.extend(extra);
        assert_bad(d, &a, needle);
    }
    // output problems
    let nodir = d.join("nope").join("o.csv");
    assert_bad(
        d,
        &[
            "--input",
            &good,
            "--output",
            nodir.to_str().unwrap(),
            "--k-max",
            "2",
        ],
        "output folder does not exist",
    );
    assert_bad(
        d,
        &[
            "--input",
            &good,
            "--output",
            d.to_str().unwrap(),
            "--k-max",
            "2",
        ],
        "is a directory",
    );
    assert_bad(
        d,
        &["--input", &good, "--output", &good, "--k-max", "2"],
        "same file as --input",
    );
    // not writable even for root: /proc refuses new files
    assert_bad(
        d,
        &[
            "--input",
            &good,
            "--output",
            "/proc/kmeans-out.csv",
            "--k-max",
            "2",
        ],
        "cannot write to the output folder",
    );
    // missing --input / --output are usage errors
    assert_bad(d, &["--output", out, "--k-max", "2"], "--input");
    // the good file works
    let o = run(&["--input", &good, "--output", out, "--k-max", "3"]);
    assert!(o.status.success());
}

#[test]
fn echo_round_trip_keeps_input_bytes() {
    // CRLF, a BOM, quoted IDs with commas and quotes, spaces: echoed verbatim
    // (line endings normalised to \n), labels appended.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let body = "\u{feff}\"ID\",x,y\r\n\"a, \"\"1\"\"\",1.5, 2\r\n b ,-3e2,\"4\"\r\nc,0.1,0.2";
    std::fs::write(&input, body).unwrap();
    let out = dir.path().join("o.csv");
    let o = run(&["--input", s(&input), "--output", s(&out), "--k-max", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let want = "\"ID\",x,y,cluster_1,cluster_2\n\"a, \"\"1\"\"\",1.5, 2,0,";
    assert!(text.starts_with(want), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[2].starts_with(" b ,-3e2,\"4\",0,"));
    assert!(lines[3].starts_with("c,0.1,0.2,0,"));
    // labels only keeps the raw ID field
    let lo = dir.path().join("lo.csv");
    assert!(run(&[
        "--input",
        s(&input),
        "--output",
        s(&lo),
        "--k-max",
        "2",
        "--labels-only"
    ])
    .status
    .success());
    let t = std::fs::read_to_string(&lo).unwrap();
    assert!(
        t.starts_with("\"ID\",cluster_1,cluster_2\n\"a, \"\"1\"\"\",0,"),
        "{t}"
    );
}

#[test]
fn file_size_limit_leaves_no_file_behind() {
    // `ulimit -f` (RLIMIT_FSIZE) stands in for a full disk: the write fails with
    // EFBIG, the run exits 2 with one line, and neither output nor temp file remain.
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 20_000, 8, 4);
    let outdir = dir.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let out = outdir.join("o.csv");
    let script = format!(
        "ulimit -f 64; exec '{}' --input '{}' --output '{}' --k-max 3",
        env!("CARGO_BIN_EXE_kmeans"),
        s(&input),
        s(&out)
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("o.csv"), "{err}");
    assert_eq!(
        std::fs::read_dir(&outdir).unwrap().count(),
        0,
        "files left behind"
    );
}

#[test]
fn npy_output_read_by_numpy_equals_csv_labels() {
    let py = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if !py.exists() {
        eprintln!(
            "skipped: no venv at {} (scripts/venv.sh creates it)",
            py.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 3000, 3, 5);
    let csv = dir.path().join("o.csv");
    let npy = dir.path().join("o.npy");
    for t in ["1", "2"] {
        assert!(run(&[
            "--input",
            s(&input),
            "--output",
            s(&csv),
            "--k-max",
            "5",
            "--threads",
            t
        ])
        .status
        .success());
        assert!(run(&[
            "--input",
            s(&input),
            "--output",
            s(&npy),
            "--k-max",
            "5",
            "--output-format",
            "npy",
            "--threads",
            t
        ])
        .status
        .success());
        let code = format!(
            "import numpy as np, pandas as pd\n\
             a = np.load('{}')\n\
             b = pd.read_csv('{}')[[f'cluster_{{k}}' for k in range(1, 6)]].to_numpy()\n\
             assert a.dtype == np.int32 and a.shape == (3000, 5), (a.dtype, a.shape)\n\
             assert (a == b).all()\n\
             print('ok')",
            s(&npy),
            s(&csv)
        );
        let o = Command::new(&py).arg("-c").arg(code).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn outputs_get_ordinary_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 100, 2, 2);
    let out = dir.path().join("o.csv");
    let sum = dir.path().join("s.json");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "umask 022; exec '{}' --input '{}' --output '{}' --k-max 2 --summary '{}'",
            env!("CARGO_BIN_EXE_kmeans"),
            s(&input),
            s(&out),
            s(&sum)
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for p in [&out, &sum] {
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", p.display());
    }
}

#[test]
fn input_larger_than_memory_fails_early() {
    // KMEANS_MEMORY_LIMIT stands in for a small machine: the estimate from the first
    // rows and the file size exceeds it, so the run stops before allocating.
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 20_000, 8, 3);
    let out = dir.path().join("o.csv");
    let o = kmeans()
        .env("KMEANS_MEMORY_LIMIT", "100000")
        .args(["--input", s(&input), "--output", s(&out), "--k-max", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("too large for this machine's memory"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);
    assert!(!out.exists());
    // f32 .npy (widened to f64) is checked from its header
    let mut bytes = kernels::data::npy::header_bytes("<f4", &[50_000, 4]);
    bytes.extend(std::iter::repeat_n(0u8, 50_000 * 4 * 4));
    let npy = dir.path().join("x.npy");
    std::fs::write(&npy, bytes).unwrap();
    let o = kmeans()
        .env("KMEANS_MEMORY_LIMIT", "100000")
        .args(["--input", s(&npy), "--output", s(&out), "--k-max", "2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("too large"));
    // and with the limit lifted the same file works
    let o = kmeans()
        .args(["--input", s(&input), "--output", s(&out), "--k-max", "2"])
        .output()
        .unwrap();
    assert!(o.status.success());
}

/// Fits k = 1..3 on `input` with a summary; the summary's per-k results.
fn fits_k3(input: &Path, out: &Path, summary: &Path) -> Vec<serde_json::Value> {
    let o = run(&[
        "--input",
        s(input),
        "--output",
        s(out),
        "--k-max",
        "3",
        "--summary",
        s(summary),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let js: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    js["results"].as_array().unwrap().clone()
}

/// Numerics through the CLI: subnormal values parse and fit (their squared distances
/// underflow to 0: every distance ties and the lowest center index wins); magnitudes up
/// to the documented bound (`kernels::distance::max_magnitude`) fit, beyond it exit 2.
#[test]
fn extreme_values_fit_or_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("den.csv");
    std::fs::write(
        &p,
        "ID,a,b\np,4.9e-324,1e-310\nq,1e-323,2e-310\nr,0,3e-310\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let summary = dir.path().join("s.json");
    for fit in fits_k3(&p, &out, &summary) {
        let inertia = fit["inertia"].as_f64().unwrap();
        assert!(inertia.is_finite() && inertia >= 0.0, "{fit}");
    }

    let limit = kernels::distance::max_magnitude(3, 2);
    let big = limit / 4.0;
    let p = dir.path().join("big.csv");
    std::fs::write(
        &p,
        format!("ID,a,b\np,{big:e},1\nq,{:e},2\nr,0,-{big:e}\n", -big),
    )
    .unwrap();
    for fit in fits_k3(&p, &out, &summary) {
        assert!(fit["inertia"].as_f64().unwrap().is_finite(), "{fit}");
    }
    assert_eq!(
        column(&std::fs::read_to_string(&out).unwrap(), "cluster_3").len(),
        3
    );

    let p = dir.path().join("over.csv");
    std::fs::write(
        &p,
        format!("ID,a,b\np,{:e},1\nq,1,2\nr,0,0\n", limit * 1.01),
    )
    .unwrap();
    assert_bad(
        dir.path(),
        &["--input", s(&p), "--output", s(&out), "--k-max", "2"],
        "is too large",
    );
}

/// Resource shapes (issue 10): very wide rows, a huge ID on a very long line, and
/// millions of tiny rows all load and fit; the output echoes them exactly.
#[test]
fn wide_rows_huge_ids_and_millions_of_tiny_rows() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");

    // d = 10,000
    let d = 10_000;
    let mut text = String::from("ID");
    for t in 0..d {
        write!(text, ",f{t}").unwrap();
    }
    text.push('\n');
    for i in 0..24 {
        write!(text, "r{i}").unwrap();
        for t in 0..d {
            write!(
                text,
                ",{}",
                ((i % 3) * 10) as f64 + ((i * 7 + t) % 5) as f64 * 0.1
            )
            .unwrap();
        }
        text.push('\n');
    }
    let p = dir.path().join("wide.csv");
    std::fs::write(&p, &text).unwrap();
    let o = run(&["--input", s(&p), "--output", s(&out), "--k-max", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = std::fs::read_to_string(&out).unwrap();
    let labels = column(&got, "cluster_3");
    assert_eq!(labels.len(), 24);
    for i in 0..24 {
        assert_eq!(
            labels[i],
            labels[i % 3],
            "rows of one group split: {labels:?}"
        );
    }

    // A 1 MiB ID on one line.
    let id = "x".repeat(1 << 20);
    let p = dir.path().join("long.csv");
    std::fs::write(&p, format!("ID,a\n{id},1\nb,2\nc,30\n")).unwrap();
    let o = run(&["--input", s(&p), "--output", s(&out), "--k-max", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = std::fs::read_to_string(&out).unwrap();
    assert!(got.lines().nth(1).unwrap().starts_with(&format!("{id},1,")));

    // Two million rows of one feature.
    let n = 2_000_000;
    let mut text = String::with_capacity(n * 12);
    text.push_str("ID,v\n");
    for i in 0..n {
        writeln!(text, "{i},{}", (i % 2) * 100 + i % 7).unwrap();
    }
    let p = dir.path().join("tiny.csv");
    std::fs::write(&p, &text).unwrap();
    let o = run(&[
        "--input",
        s(&p),
        "--output",
        s(&out),
        "--k-max",
        "2",
        "--labels-only",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = std::fs::read_to_string(&out).unwrap();
    let labels = column(&got, "cluster_2");
    assert_eq!(labels.len(), n);
    assert!(labels.iter().enumerate().all(|(i, &l)| l == labels[i % 2]));
    assert_ne!(labels[0], labels[1]);
}

/// Ctrl-C (SIGINT) at random moments of a run (loading, fitting, writing): the process
/// exits 130 (or 0 if it had finished), and no temporary file is ever left behind;
/// an output file, when present, is complete. (40 rounds: a temporary file that was
/// registered for cleanup only after it was created was left behind about once in
/// 200 interrupts; CI caught it once in this test's 10 rounds.)
#[test]
fn ctrl_c_at_random_moments_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 60_000, 8, 8);
    let outdir = dir.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("ctrl-c seed {seed}");
    // How long a whole run takes here, to spread the interrupts over it.
    let t0 = std::time::Instant::now();
    let full = outdir.join("full.csv");
    let args = |out: &Path, summary: &Path| {
        vec![
            "--input".to_string(),
            s(&input).to_string(),
            "--output".into(),
            s(out).to_string(),
            "--k-max".into(),
            "12".into(),
            "--threads".into(),
            "1".into(),
            "--summary".into(),
            s(summary).to_string(),
        ]
    };
    let o = kmeans()
        .args(args(&full, &outdir.join("full.json")))
        .output()
        .unwrap();
    assert!(o.status.success());
    let whole = t0.elapsed().as_millis() as u64;
    let expected = std::fs::read(&full).unwrap();
    let mut interrupted = 0;
    for round in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let out = outdir.join(format!("o{round}.csv"));
        let mut child = kmeans()
            .args(args(&out, &outdir.join(format!("s{round}.json"))))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(seed % (whole + 1)));
        // SAFETY: sending SIGINT to our own child process.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        match status.code() {
            Some(130) => interrupted += 1,
            Some(0) => {}
            // Interrupted during process start-up, before `main` installed the
            // handler: the default action, and nothing can have been written yet.
            None if status.signal() == Some(libc::SIGINT) => {
                interrupted += 1;
                assert!(!out.exists(), "round {round}: output after an early SIGINT");
            }
            other => panic!("round {round}: exit {other:?}"),
        }
        let leftovers: Vec<String> = std::fs::read_dir(&outdir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".kmeans-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "round {round}: {leftovers:?} left behind"
        );
        if out.exists() {
            assert_eq!(
                std::fs::read(&out).unwrap(),
                expected,
                "round {round}: partial output"
            );
        }
    }
    assert!(interrupted > 0, "no round was interrupted");
}

/// `--precision f32`: the same bytes for every thread count and kernel, the f64 labels
/// on separated blobs, the summary records it, the .npy input's features are echoed
/// exactly (not re-rounded through f32), and what f32 cannot do is refused cleanly.
#[test]
fn precision_f32_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (input, truth) = blob_file(dir.path(), 4000, 5, 4);
    let mut outs = Vec::new();
    for (t, kernel) in [("1", "auto"), ("2", "auto"), ("0", "scalar"), ("3", "simd")] {
        let out = dir.path().join(format!("f32_{t}_{kernel}.csv"));
        let sum = dir.path().join(format!("f32_{t}_{kernel}.json"));
        let o = run(&[
            "--input",
            s(&input),
            "--output",
            s(&out),
            "--k-max",
            "5",
            "--precision",
            "f32",
            "--threads",
            t,
            "--kernel",
            kernel,
            "--summary",
            s(&sum),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let js: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sum).unwrap()).unwrap();
        assert_eq!(js["precision"], "f32");
        assert_eq!(js["algorithm"], "lloyd");
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(outs.iter().all(|o| o == &outs[0]), "f32 output differs");
    let f64_out = dir.path().join("f64.csv");
    assert!(run(&[
        "--input",
        s(&input),
        "--output",
        s(&f64_out),
        "--k-max",
        "5"
    ])
    .status
    .success());
    let a = String::from_utf8(outs[0].clone()).unwrap();
    let b = std::fs::read_to_string(&f64_out).unwrap();
    assert_eq!(ari(&column(&a, "cluster_4"), &truth), 1.0);
    assert_eq!(column(&a, "cluster_4"), column(&b, "cluster_4"));

    // .npy input: the echoed features are the f64 input, not its f32 rounding.
    let vals = [0.1f64, 1.0 / 3.0, 2.0, 1e-3, -7.25, 123456.789];
    let mut bytes = kernels::data::npy::header_bytes("<f8", &[3, 2]);
    for v in vals {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let npy = dir.path().join("x.npy");
    std::fs::write(&npy, bytes).unwrap();
    let out = dir.path().join("npy_f32.csv");
    let o = run(&[
        "--input",
        s(&npy),
        "--output",
        s(&out),
        "--k-max",
        "2",
        "--precision",
        "f32",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let second: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(second[1..3], ["0.1", "0.3333333333333333"], "{text}");

    let o = dir.path().join("bad.csv");
    for (args, needle) in [
        (vec!["--layout", "aos"], "needs --layout flat"),
        (
            vec!["--algorithm", "hamerly"],
            "runs --algorithm lloyd only",
        ),
    ] {
        let mut a = vec!["--input", s(&input), "--output", s(&o), "--k-max", "2"];
        a.extend(["--precision", "f32"]);
        a.extend(args);
        assert_bad(dir.path(), &a, needle);
    }
    let big = dir.path().join("big.csv");
    std::fs::write(&big, "ID,feature_1\n0,1\n1,3e19\n2,2\n").unwrap();
    assert_bad(
        dir.path(),
        &[
            "--input",
            s(&big),
            "--output",
            s(&o),
            "--k-max",
            "2",
            "--precision",
            "f32",
        ],
        "row 2, column 1: |3e19| is too large for --precision f32",
    );
    // Elkan's n × k bounds are refused when they cannot fit.
    let mut cmd = kmeans();
    cmd.args([
        "--input",
        s(&input),
        "--output",
        s(&o),
        "--k-max",
        "50",
        "--algorithm",
        "elkan",
    ])
    .env("KMEANS_MEMORY_LIMIT", "1000000");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--algorithm elkan needs") && err.contains("hamerly"),
        "{err}"
    );
    assert!(!o.exists());
    // f64 takes the same file.
    assert!(
        run(&["--input", s(&big), "--output", s(&o), "--k-max", "2"])
            .status
            .success()
    );
}

/// `--warm-start` and `--precision f32` combined with the other options: with
/// `--n-init` and `--sample-weight`, warm and cold sweeps write the same bytes (f64 and
/// f32); f32 takes `--init-centers` (and refuses a center too large for f32) and a
/// float32 `.npy`.
#[test]
fn warm_start_and_f32_with_n_init_weights_centers_and_npy() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 3000, 4, 5);
    let w = dir.path().join("w.csv");
    let mut text = String::from("weight\n");
    for i in 0..3000 {
        text.push_str(&format!("{}\n", (i % 4) as f64 * 0.5));
    }
    std::fs::write(&w, text).unwrap();
    for precision in ["f64", "f32"] {
        let mut outs = Vec::new();
        for warm in ["on", "off"] {
            let out = dir.path().join(format!("o_{precision}_{warm}.csv"));
            let o = run(&[
                "--input",
                s(&input),
                "--output",
                s(&out),
                "--k-max",
                "9",
                "--n-init",
                "3",
                "--sample-weight",
                s(&w),
                "--precision",
                precision,
                "--warm-start",
                warm,
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            outs.push(std::fs::read(&out).unwrap());
        }
        assert!(
            outs[0] == outs[1],
            "warm start changed the output ({precision})"
        );
    }
    // f32 from explicit centers.
    let centers = dir.path().join("c.csv");
    std::fs::write(&centers, "0,0,0,0\n5,5,5,5\n-5,1,2,3\n").unwrap();
    let out = dir.path().join("c.csv.out");
    let sum = dir.path().join("c.json");
    let o = run(&[
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--init-centers",
        s(&centers),
        "--precision",
        "f32",
        "--summary",
        s(&sum),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let js: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sum).unwrap()).unwrap();
    assert_eq!(js["results"][0]["k"], 3);
    assert_eq!(
        js["warm_start"], false,
        "nothing to reuse from explicit centers"
    );
    let big = dir.path().join("big_c.csv");
    std::fs::write(&big, "0,0,0,0\n5e19,5,5,5\n").unwrap();
    assert_bad(
        dir.path(),
        &[
            "--input",
            s(&input),
            "--output",
            s(&out),
            "--init-centers",
            s(&big),
            "--precision",
            "f32",
        ],
        "row 2, column 1: |5e19| is too large for --precision f32",
    );
    // A float32 .npy in f32 mode: the same labels as the same values as f64 input.
    let (rows, _) = blobs(600, 3, 3, 9);
    let mut b32 = kernels::data::npy::header_bytes("<f4", &[600, 3]);
    let mut b64 = kernels::data::npy::header_bytes("<f8", &[600, 3]);
    for v in flatten(&rows) {
        b32.extend_from_slice(&(v as f32).to_le_bytes());
        b64.extend_from_slice(&((v as f32) as f64).to_le_bytes());
    }
    let (p32, p64) = (dir.path().join("x32.npy"), dir.path().join("x64.npy"));
    std::fs::write(&p32, b32).unwrap();
    std::fs::write(&p64, b64).unwrap();
    let mut outs = Vec::new();
    for (p, name) in [(&p32, "a.npy"), (&p64, "b.npy")] {
        let out = dir.path().join(name);
        let o = run(&[
            "--input",
            s(p),
            "--output",
            s(&out),
            "--output-format",
            "npy",
            "--k-max",
            "4",
            "--precision",
            "f32",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(
        outs[0] == outs[1],
        "f4 and f8 .npy of the same values differ"
    );
}

/// Runs kmeans with `args`, its stdin a pipe fed by `cat path` (a real pipe, not
/// a file handed over as stdin).
fn run_piped(path: &Path, args: &[&str]) -> Output {
    let mut cat = Command::new("cat")
        .arg(path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("cat runs");
    let o = kmeans()
        .args(args)
        .stdin(cat.stdout.take().unwrap())
        .output()
        .expect("kmeans runs");
    cat.wait().unwrap();
    o
}

/// `cat file | kmeans --input -` and `--input /dev/stdin` read the pipe as a stream
/// and write the same bytes as `--input file`, with one thread or two.
#[test]
fn piped_input_gives_the_same_output_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 20_000, 6, 5);
    for threads in ["1", "2"] {
        let want_out = dir.path().join(format!("want{threads}.csv"));
        let o = run(&[
            "--input",
            s(&input),
            "--output",
            s(&want_out),
            "--k-max",
            "5",
            "--threads",
            threads,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let want = std::fs::read(&want_out).unwrap();
        for name in ["-", "/dev/stdin"] {
            let out = dir.path().join(format!("piped{threads}.csv"));
            let o = run_piped(
                &input,
                &[
                    "--input",
                    name,
                    "--output",
                    s(&out),
                    "--k-max",
                    "5",
                    "--threads",
                    threads,
                ],
            );
            assert!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(
                std::fs::read(&out).unwrap() == want,
                "{name}, {threads} threads"
            );
        }
    }
}

/// A bad value deep inside piped input is reported with its line and column, as
/// for a file.
#[test]
fn piped_input_errors_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = blob_file(dir.path(), 30_000, 3, 2);
    let text = std::fs::read_to_string(&input).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[25_000] = "bad,1,2,x7";
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = dir.path().join("o.csv");
    for name in ["-", "/dev/stdin"] {
        let o = run_piped(
            &bad,
            &[
                "--input",
                name,
                "--output",
                s(&out),
                "--k-max",
                "2",
                "--threads",
                "2",
            ],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(":25001:4:") && err.contains("not a number: 'x7'"),
            "{name}: {err}"
        );
    }
    let o = run(&["--input", s(&bad), "--output", s(&out), "--k-max", "2"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(":25001:4:"), "{err}");
}
