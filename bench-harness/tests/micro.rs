//! `bench-harness micro` without running any bench: fixture folders shaped like
//! Criterion's (`<group>/<function>/<value>/new/{benchmark,estimates}.json`) and
//! gungraun's (`<function>.<id>/callgrind.<function>.<id>.out`) outputs are read back
//! into rows whose fields and derived numbers are asserted exactly; broken results are
//! skipped with a warning; re-measured benchmarks replace their old rows and the others
//! are kept; the report has a "Micro-benchmarks" section and the assignment kernel's
//! roofline (figure and table, numbers computed by hand) exactly when micro.csv exists.

use bench_harness::micro::{self, RowInfo, Sources};
use bench_harness::microdata::{self, Row};
use bench_harness::report::{self, ReportArgs};
use bench_harness::roofline::Probe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2026-09-21T14:13:20Z: the modification time given to every fixture result.
const T0: u64 = 1_790_000_000;
const T0_TEXT: &str = "2026-09-21T14:13:20.000Z";

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0)
}

fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Writes one Criterion result (`new/` folder) with the median and its interval in ns.
fn criterion_result(
    root: &Path,
    dir: &str,
    benchmark: serde_json::Value,
    median_ns: f64,
    lo_ns: f64,
    hi_ns: f64,
) -> PathBuf {
    let new = root.join(dir).join("new");
    std::fs::create_dir_all(&new).unwrap();
    let est = |p: f64, lo: f64, hi: f64| {
        serde_json::json!({
            "confidence_interval": {"confidence_level": 0.95, "lower_bound": lo, "upper_bound": hi},
            "point_estimate": p,
            "standard_error": 1.0
        })
    };
    let estimates = serde_json::json!({
        // The mean deliberately differs: the median is the one used.
        "mean": est(median_ns * 1.5, lo_ns, hi_ns * 2.0),
        "median": est(median_ns, lo_ns, hi_ns),
        "median_abs_dev": est(10.0, 1.0, 20.0),
        "slope": est(median_ns * 1.1, lo_ns, hi_ns),
        "std_dev": est(100.0, 10.0, 200.0)
    });
    std::fs::write(new.join("benchmark.json"), benchmark.to_string()).unwrap();
    std::fs::write(new.join("estimates.json"), estimates.to_string()).unwrap();
    // Criterion also keeps the previous run in base/: never read.
    let base = root.join(dir).join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("benchmark.json"), benchmark.to_string()).unwrap();
    std::fs::write(base.join("estimates.json"), "{}").unwrap();
    for f in ["benchmark.json", "estimates.json"] {
        set_mtime(&new.join(f), t0());
    }
    new
}

fn bench_json(
    group: &str,
    function: &str,
    value: Option<&str>,
    tp: serde_json::Value,
) -> serde_json::Value {
    let full = match value {
        Some(v) => format!("{group}/{function}/{v}"),
        None => format!("{group}/{function}"),
    };
    serde_json::json!({
        "group_id": group,
        "function_id": function,
        "value_str": value,
        "throughput": tp,
        "full_id": full,
        "directory_name": full.replace('/', "_"),
        "title": full
    })
}

const CALLGRIND: &str = "# callgrind format
version: 1
creator: callgrind-3.19.0
cmd:  /x/instructions --gungraun-run 0
positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 2361723 708009 69334 109 17720 28 108 6


ob=/usr/lib/x86_64-linux-gnu/libc.so.6
fn=free
3350 16
totals: 2361723 708009 69334 109 17720 28 108 6
";

fn gungraun_result(root: &Path, dir: &str, text: &str) -> PathBuf {
    let d = root
        .join("kernels")
        .join("instructions")
        .join("kernels_group")
        .join(dir);
    std::fs::create_dir_all(&d).unwrap();
    let out = d.join(format!("callgrind.{dir}.out"));
    std::fs::write(&out, text).unwrap();
    set_mtime(&out, t0());
    // The previous run and the log: never read.
    std::fs::write(d.join(format!("callgrind.{dir}.out.old")), "garbage").unwrap();
    std::fs::write(d.join(format!("callgrind.{dir}.log")), "log").unwrap();
    out
}

const PROBE: &str = r#"{"isa": "avx512", "fma_gflops_t1": 128.0, "triad_gbs_t1": 32.0, "fma_gflops_t2": 256.0, "triad_gbs_t2": 40.0}"#;

/// A target folder with `criterion/` (and its probe.json) and `gungraun/`.
fn fixture(target: &Path) {
    let c = target.join("criterion");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("probe.json"), PROBE).unwrap();
    let elements = |x: u64| serde_json::json!({ "Elements": x });
    // 2·n·k·d = 2·4096·8·8
    criterion_result(
        &c,
        "assign_n4096_d8_k8/flat-simd-avx2/t1",
        bench_json(
            "assign/n4096/d8/k8",
            "flat-simd-avx2",
            Some("t1"),
            elements(524_288),
        ),
        1_000_000.0,
        990_000.0,
        1_010_000.0,
    );
    criterion_result(
        &c,
        "assign_n4096_d8_k8/aos/t2",
        bench_json("assign/n4096/d8/k8", "aos", Some("t2"), elements(524_288)),
        625_000.0,
        600_000.0,
        650_000.0,
    );
    criterion_result(
        &c,
        "assign_n4096_d8_k8/flat-scalar/t1",
        bench_json(
            "assign/n4096/d8/k8",
            "flat-scalar",
            Some("t1"),
            elements(524_288),
        ),
        2_000_000.0,
        1_900_000.0,
        2_100_000.0,
    );
    // 2·2·n·k·d = 4·4096·32·8
    criterion_result(
        &c,
        "lloyd1_n4096_d8_k32/flat",
        bench_json("lloyd1/n4096/d8/k32", "flat", None, elements(4_194_304)),
        2_000_000.0,
        1_000_000.0,
        3_000_000.0,
    );
    criterion_result(
        &c,
        "seed-greedy-kmeans++_n4096_d8_k32/aos",
        bench_json(
            "seed-greedy-kmeans++/n4096/d8/k32",
            "aos",
            None,
            serde_json::Value::Null,
        ),
        8_000_000.0,
        7_000_000.0,
        9_000_000.0,
    );
    criterion_result(
        &c,
        "parse-csv_n4096_d8/t2",
        bench_json(
            "parse-csv/n4096/d8",
            "t2",
            None,
            serde_json::json!({ "Bytes": 1_000_000 }),
        ),
        500_000.0,
        400_000.0,
        600_000.0,
    );
    // Unusable: no shape in the group id; estimates that are not JSON.
    criterion_result(
        &c,
        "weird/x",
        bench_json("weird", "x", None, serde_json::Value::Null),
        1.0,
        1.0,
        1.0,
    );
    let broken = criterion_result(
        &c,
        "assign_n4096_d2_k8/aos/t1",
        bench_json("assign/n4096/d2/k8", "aos", Some("t1"), elements(131_072)),
        1.0,
        1.0,
        1.0,
    );
    std::fs::write(broken.join("estimates.json"), "{not json").unwrap();
    set_mtime(&broken.join("estimates.json"), t0());

    let g = target.join("gungraun");
    gungraun_result(&g, "assign_flat_simd_avx2.n2048_d32_k32", CALLGRIND);
    gungraun_result(
        &g,
        "seed_greedy_kmeanspp_flat_simd_avx2.n2048_d2_k8",
        "events: Ir\nsummary: 2886201\n",
    );
    // The old unnamed ids: no shape, skipped with a warning.
    gungraun_result(&g, "assign_flat_scalar.shapes_0", CALLGRIND);
    gungraun_result(&g, "assign_flat_scalar.n2048_d2_k8", "events: Ir Dr\n");
}

fn info(target: &Path) -> RowInfo {
    let text = std::fs::read_to_string(target.join("criterion").join("probe.json")).unwrap();
    RowInfo {
        machine_id: "test-2c".to_string(),
        probe: Some(Probe::from_probe_json(&text, "probe.json").unwrap()),
    }
}

fn sources(target: &Path, since: Option<SystemTime>) -> Sources {
    Sources {
        criterion: target.join("criterion"),
        gungraun: target.join("gungraun"),
        since,
    }
}

fn find<'a>(rows: &'a [Row], bench_id: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.bench_id == bench_id)
        .unwrap_or_else(|| panic!("no row {bench_id} in {rows:#?}"))
}

#[test]
fn criterion_and_gungraun_results_become_rows_with_exact_derived_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let c = micro::collect(&sources(tmp.path(), None), &info(tmp.path()));
    assert_eq!(c.rows.len(), 8, "{:#?}", c.rows);
    assert_eq!(c.warnings.len(), 4, "{:#?}", c.warnings);
    for needle in [
        "weird/x/new: skipped: group id `weird`: no n<N> and d<D>",
        "assign_n4096_d2_k8/aos/t1/new: skipped: ",
        "assign_flat_scalar.shapes_0.out: skipped: bench id `shapes_0`",
        "assign_flat_scalar.n2048_d2_k8.out: skipped: no `summary:` or `totals:` line",
    ] {
        assert!(
            c.warnings.iter().any(|w| w.contains(needle)),
            "no warning containing {needle:?} in {:#?}",
            c.warnings
        );
    }

    // Criterion: median 1 ms; 524,288 flops; 8·n·d = 262,144 bytes; probe 128 GFLOP/s, 32 GB/s.
    let r = find(&c.rows, "assign/n4096/d8/k8/flat-simd-avx2/t1");
    let expected = Row {
        machine_id: "test-2c".into(),
        timestamp: T0_TEXT.into(),
        source: "criterion".into(),
        bench_id: "assign/n4096/d8/k8/flat-simd-avx2/t1".into(),
        kernel: "assign".into(),
        layout: "flat".into(),
        variant: "flat-simd-avx2".into(),
        isa: "avx2".into(),
        threads: Some(1),
        n: Some(4096),
        d: Some(8),
        k: Some(8),
        time_s: Some(0.001),
        time_lo_s: Some(0.00099),
        time_hi_s: Some(0.00101),
        flops: Some(524_288),
        bytes: Some(262_144),
        gflops: Some(0.524288),
        gbs: Some(0.262144),
        probe_fma_gflops: Some(128.0),
        probe_triad_gbs: Some(32.0),
        frac_fma_peak: Some(0.004096),
        frac_bandwidth: Some(0.008192),
        instructions: None,
        d1_misses: None,
        ll_misses: None,
    };
    assert_eq!(r, &expected);

    // Two threads: the t2 probe numbers; aos has no ISA.
    let r = find(&c.rows, "assign/n4096/d8/k8/aos/t2");
    assert_eq!(
        (r.layout.as_str(), r.variant.as_str(), r.isa.as_str()),
        ("aos", "aos", "")
    );
    assert_eq!(r.threads, Some(2));
    assert_eq!(r.time_s, Some(0.000625));
    assert_eq!(r.gflops, Some(0.8388608));
    assert_eq!(r.gbs, Some(0.4194304));
    assert_eq!(r.probe_fma_gflops, Some(256.0));
    assert_eq!(r.frac_fma_peak, Some(0.8388608 / 256.0));
    assert_eq!(r.probe_triad_gbs, Some(40.0));
    assert_eq!(r.frac_bandwidth, Some(0.4194304 / 40.0));

    let r = find(&c.rows, "assign/n4096/d8/k8/flat-scalar/t1");
    assert_eq!(
        (r.variant.as_str(), r.isa.as_str()),
        ("flat-scalar", "scalar")
    );
    assert_eq!(r.gflops, Some(0.262144));

    // lloyd1: serial; flat = automatic dispatch (the probe's ISA); 3 passes of 8·n·d bytes.
    let r = find(&c.rows, "lloyd1/n4096/d8/k32/flat");
    assert_eq!(r.threads, Some(1));
    assert_eq!((r.layout.as_str(), r.isa.as_str()), ("flat", "avx512"));
    assert_eq!(r.flops, Some(4_194_304));
    assert_eq!(r.bytes, Some(786_432));
    assert_eq!(r.gflops, Some(2.097152));
    assert_eq!(r.gbs, Some(0.393216));
    assert_eq!(r.frac_fma_peak, Some(2.097152 / 128.0));
    assert_eq!((r.time_lo_s, r.time_hi_s), (Some(0.001), Some(0.003)));

    // Seeding has no throughput: no rates, no fractions.
    let r = find(&c.rows, "seed-greedy-kmeans++/n4096/d8/k32/aos");
    assert_eq!(r.kernel, "seed-greedy-kmeans++");
    assert_eq!(r.time_s, Some(0.008));
    assert_eq!(
        (r.flops, r.bytes, r.gflops, r.gbs),
        (None, None, None, None)
    );
    assert_eq!((r.frac_fma_peak, r.frac_bandwidth), (None, None));

    // Parsing: the CSV bytes; t2 is the thread count; no k, no ISA.
    let r = find(&c.rows, "parse-csv/n4096/d8/t2");
    assert_eq!(
        (
            r.kernel.as_str(),
            r.layout.as_str(),
            r.variant.as_str(),
            r.isa.as_str()
        ),
        ("parse-csv", "flat", "flat", "")
    );
    assert_eq!(
        (r.threads, r.n, r.d, r.k),
        (Some(2), Some(4096), Some(8), None)
    );
    assert_eq!(r.bytes, Some(1_000_000));
    assert_eq!(r.gbs, Some(2.0));
    assert_eq!(r.frac_bandwidth, Some(0.05));
    assert_eq!(r.gflops, None);

    // gungraun: Ir; D1mr + D1mw; ILmr + DLmr + DLmw (DLmw missing from the line = 0).
    let r = find(
        &c.rows,
        "kernels/instructions/kernels_group/assign_flat_simd_avx2.n2048_d32_k32",
    );
    let expected = Row {
        machine_id: "test-2c".into(),
        timestamp: T0_TEXT.into(),
        source: "gungraun".into(),
        bench_id: "kernels/instructions/kernels_group/assign_flat_simd_avx2.n2048_d32_k32".into(),
        kernel: "assign".into(),
        layout: "flat".into(),
        variant: "flat-simd-avx2".into(),
        isa: "avx2".into(),
        threads: Some(1),
        n: Some(2048),
        d: Some(32),
        k: Some(32),
        instructions: Some(2_361_723),
        d1_misses: Some(17_748),
        ll_misses: Some(114),
        ..Row::default()
    };
    assert_eq!(r, &expected);
    // Only Ir recorded: no cache numbers.
    let r = find(
        &c.rows,
        "kernels/instructions/kernels_group/seed_greedy_kmeanspp_flat_simd_avx2.n2048_d2_k8",
    );
    assert_eq!(r.kernel, "seed-greedy-kmeans++");
    assert_eq!((r.n, r.d, r.k), (Some(2048), Some(2), Some(8)));
    assert_eq!(
        (r.instructions, r.d1_misses, r.ll_misses),
        (Some(2_886_201), None, None)
    );

    // Order: Criterion first, by kernel, shape, code, threads; then gungraun.
    let ids: Vec<&str> = c.rows.iter().map(|r| r.bench_id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "assign/n4096/d8/k8/aos/t2",
            "assign/n4096/d8/k8/flat-scalar/t1",
            "assign/n4096/d8/k8/flat-simd-avx2/t1",
            "lloyd1/n4096/d8/k32/flat",
            "seed-greedy-kmeans++/n4096/d8/k32/aos",
            "parse-csv/n4096/d8/t2",
            "kernels/instructions/kernels_group/assign_flat_simd_avx2.n2048_d32_k32",
            "kernels/instructions/kernels_group/seed_greedy_kmeanspp_flat_simd_avx2.n2048_d2_k8",
        ]
    );

    // The CSV round-trips exactly, and prints the derived numbers as computed.
    let path = tmp.path().join("micro.csv");
    microdata::write_csv(&path, &c.rows).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(&(microdata::COLUMNS.join(",") + "\n")));
    assert!(text.contains(
        "test-2c,2026-09-21T14:13:20.000Z,criterion,assign/n4096/d8/k8/flat-simd-avx2/t1,assign,flat,flat-simd-avx2,avx2,1,4096,8,8,0.001,0.00099,0.00101,524288,262144,0.524288,0.262144,128,32,0.004096,0.008192,,,\n"
    ), "{text}");
    let back = microdata::read_csv(&path).unwrap();
    assert!(back.skipped.is_empty());
    assert_eq!(back.rows, c.rows);
}

#[test]
fn only_results_written_since_the_start_are_collected() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let old = tmp
        .path()
        .join("criterion/assign_n4096_d8_k8/aos/t2/new/benchmark.json");
    set_mtime(&old, t0() - Duration::from_secs(86_400));
    let old_g = tmp.path().join(
        "gungraun/kernels/instructions/kernels_group/assign_flat_simd_avx2.n2048_d32_k32/callgrind.assign_flat_simd_avx2.n2048_d32_k32.out",
    );
    set_mtime(&old_g, t0() - Duration::from_secs(86_400));
    let c = micro::collect(
        &sources(tmp.path(), Some(t0() - Duration::from_secs(3600))),
        &info(tmp.path()),
    );
    assert_eq!(c.rows.len(), 6);
    assert!(c.rows.iter().all(
        |r| r.bench_id != "assign/n4096/d8/k8/aos/t2" && !r.bench_id.contains("n2048_d32_k32")
    ));
    // Nothing written since: nothing collected.
    let c = micro::collect(
        &sources(tmp.path(), Some(t0() + Duration::from_secs(3600))),
        &info(tmp.path()),
    );
    assert!(c.rows.is_empty() && c.warnings.is_empty());
}

fn old_row(bench_id: &str, source: &str, time_s: f64) -> Row {
    Row {
        machine_id: "test-2c".into(),
        timestamp: "2026-01-01T00:00:00.000Z".into(),
        source: source.into(),
        bench_id: bench_id.into(),
        kernel: "assign".into(),
        time_s: Some(time_s),
        ..Row::default()
    }
}

#[test]
fn a_rerun_replaces_remeasured_rows_and_keeps_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let previous = vec![
        // Re-measured below: replaced.
        old_row("assign/n4096/d8/k8/flat-simd-avx2/t1", "criterion", 9.0),
        // Not re-measured (a filtered run): kept as it was.
        old_row(
            "assign/n262144/d32/k32/flat-simd-avx512/t1",
            "criterion",
            0.0086,
        ),
        // Same id under another source: a different benchmark, kept.
        old_row("parse-csv/n4096/d8/t2", "gungraun", 1.0),
    ];
    microdata::write_csv(&out.join("micro.csv"), &previous).unwrap();
    // Plus a line that cannot be kept (no bench_id): dropped with a warning.
    let mut text = std::fs::read_to_string(out.join("micro.csv")).unwrap();
    text.push_str("test-2c,2026-01-01T00:00:00.000Z,criterion,,assign\n");
    std::fs::write(out.join("micro.csv"), text).unwrap();

    let o = micro::update(&out, &sources(tmp.path(), None), &info(tmp.path())).unwrap();
    assert_eq!((o.measured, o.kept), (8, 2));
    assert!(
        o.warnings
            .iter()
            .any(|w| w.contains("micro.csv:5: dropped")),
        "{:#?}",
        o.warnings
    );
    let rows = microdata::read_csv(&out.join("micro.csv")).unwrap().rows;
    assert_eq!(rows.len(), 10);
    let r = find(&rows, "assign/n4096/d8/k8/flat-simd-avx2/t1");
    assert_eq!((r.time_s, r.timestamp.as_str()), (Some(0.001), T0_TEXT));
    assert_eq!(
        rows.iter()
            .filter(|r| r.bench_id == "assign/n4096/d8/k8/flat-simd-avx2/t1")
            .count(),
        1
    );
    let kept = find(&rows, "assign/n262144/d32/k32/flat-simd-avx512/t1");
    assert_eq!(kept, &previous[1]);
    assert_eq!(
        rows.iter()
            .filter(|r| r.bench_id == "parse-csv/n4096/d8/t2")
            .map(|r| r.source.as_str())
            .collect::<Vec<_>>(),
        vec!["criterion", "gungraun"]
    );
    // No temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["micro.csv".to_string()]);
    // Running again with nothing new keeps everything.
    let o = micro::update(
        &out,
        &sources(tmp.path(), Some(t0() + Duration::from_secs(60))),
        &info(tmp.path()),
    )
    .unwrap();
    assert_eq!((o.measured, o.kept), (0, 10));
    assert_eq!(
        microdata::read_csv(&out.join("micro.csv")).unwrap().rows,
        rows
    );
}

#[test]
fn probe_falls_back_to_machine_json() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tmp.path().join("machine.json");
    std::fs::write(
        &m,
        r#"{"kernels_probe": {"fma_peak_gflops_1t": 131.3, "fma_peak_gflops_all": 264.3, "triad_gbs_1t": 35.1, "triad_gbs_all": 41.1, "threads_all": 2}}"#,
    )
    .unwrap();
    let (p, notes) = micro::load_probe(&tmp.path().join("missing.json"), &m);
    let p = p.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(p.fma_gflops.get(&1), Some(&131.3));
    assert_eq!(p.fma_gflops.get(&2), Some(&264.3));
    assert_eq!(p.triad_gbs.get(&2), Some(&41.1));
    assert_eq!(p.isa, None);
    let (p, _) = micro::load_probe(&tmp.path().join("missing.json"), &tmp.path().join("nope"));
    assert!(p.is_none());
}

#[test]
fn the_command_collects_with_no_run_into_out() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    fixture(&target);
    let out = tmp.path().join("results");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_bench-harness"))
            .args(["micro", "--no-run", "--machine-id", "test-2c", "--out"])
            .arg(&out)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("CRITERION_HOME")
            .output()
            .unwrap()
    };
    let o = run();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("8 benchmarks measured"), "{stderr}");
    assert!(stderr.contains("warning: "), "{stderr}");
    let rows = microdata::read_csv(&out.join("micro.csv")).unwrap().rows;
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.machine_id == "test-2c"));
    assert_eq!(
        find(&rows, "parse-csv/n4096/d8/t2").frac_bandwidth,
        Some(0.05)
    );
    let o = run();
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("8 benchmarks measured (collected, --no-run), 0 rows kept"));
}

fn runs_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("runs.csv"),
        "contestant,n,d,k_max,repeat,wall_s,status\n\
         numpy,1000,2,4,1,0.5,ok\n\
         rust-flat,1000,2,4,1,0.01,ok\n",
    )
    .unwrap();
}

fn report_text(dir: &Path) -> String {
    report::generate(&ReportArgs {
        dir: Some(dir.to_path_buf()),
        readme: None,
        assumed_iterations: 10.0,
    })
    .unwrap();
    std::fs::read_to_string(dir.join("REPORT.md")).unwrap()
}

#[test]
fn the_report_has_a_micro_section_only_with_micro_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    runs_folder(&dir);
    let text = report_text(&dir);
    assert!(!text.contains("Micro-benchmarks"), "{text}");
    assert!(!dir.join("figures/kernel-roofline.svg").exists());

    fixture(tmp.path());
    micro::update(&dir, &sources(tmp.path(), None), &info(tmp.path())).unwrap();
    let text = report_text(&dir);
    // The fixture's assign rows (n = 4096, d = 8, k = 8) make the kernel roofline.
    let (texts, _, _) = svg_texts(&dir.join("figures/kernel-roofline.svg"));
    assert!(
        texts.iter().any(|t| t == "1 thread: 128 GFLOP/s, 32 GB/s"),
        "{texts:#?}"
    );
    let start = text.find("## Micro-benchmarks").expect("section");
    let end = text[start..].find("## Failed and wrong runs").unwrap() + start;
    let s = &text[start..end];
    assert!(
        s.contains("6 benchmarks timed by Criterion and 2 instruction counts"),
        "{s}"
    );
    assert!(s.contains("measured 2026-09-21T14:13:20.000Z"), "{s}");
    assert!(s.contains(
        "): 1 thread: FMA peak 128.0 GFLOP/s, triad 32.0 GB/s; 2 threads: FMA peak 256.0 GFLOP/s, triad 40.0 GB/s"
    ), "{s}");
    for heading in [
        "### assign",
        "### lloyd1",
        "### seed-greedy-kmeans++",
        "### parse-csv",
        "### Instruction counts",
    ] {
        assert!(
            s.contains(&format!("{heading}\n")),
            "{heading} missing in {s}"
        );
    }
    assert!(s.contains("| n | d | k | code | threads | median time (95 % CI) | GFLOP/s (% of FMA peak) | GB/s (% of triad) |"), "{s}");
    assert!(s.contains("| 4096 | 8 | 8 | `flat-simd-avx2` | 1 | 1.00 ms (0.990–1.01) | 0.524 (0.4 %) | 0.262 (0.8 %) |"), "{s}");
    assert!(
        s.contains(
            "| 4096 | 8 | 8 | `aos` | 2 | 625 µs (600–650) | 0.839 (0.3 %) | 0.419 (1.0 %) |"
        ),
        "{s}"
    );
    assert!(s.contains("| 4096 | 8 | 32 | `flat` (avx512) | 1 | 2.00 ms (1.00–3.00) | 2.10 (1.6 %) | 0.393 (1.2 %) |"), "{s}");
    // Seeding: no rate columns; parsing: no k and no GFLOP/s column.
    assert!(
        s.contains("| n | d | k | code | threads | median time (95 % CI) |\n"),
        "{s}"
    );
    assert!(
        s.contains("| 4096 | 8 | 32 | `aos` | 1 | 8.00 ms (7.00–9.00) |\n"),
        "{s}"
    );
    assert!(
        s.contains("| n | d | code | threads | median time (95 % CI) | GB/s (% of triad) |\n"),
        "{s}"
    );
    assert!(
        s.contains("| 4096 | 8 | `flat` | 2 | 500 µs (400–600) | 2.00 (5.0 %) |"),
        "{s}"
    );
    assert!(
        s.contains("| assign | `flat-simd-avx2` | 2048 | 32 | 32 | 2,361,723 | 17,748 | 114 |"),
        "{s}"
    );
    assert!(
        s.contains(
            "| seed-greedy-kmeans++ | `flat-simd-avx2` | 2048 | 2 | 8 | 2,886,201 | – | – |"
        ),
        "{s}"
    );
}

/// Probe numbers of the roof fixture: 1 thread 128 GFLOP/s and 32 GB/s (ridge at 4
/// flop/byte), 2 threads 256 GFLOP/s and 40 GB/s (ridge at 6.4).
fn probe_at(threads: usize) -> (f64, f64) {
    if threads == 1 {
        (128.0, 32.0)
    } else {
        (256.0, 40.0)
    }
}

/// A Criterion `assign` row as `micro` writes it: 2·n·k·d flops, 8·n·d bytes.
fn assign_row(n: usize, d: usize, k: usize, variant: &str, threads: usize, time_s: f64) -> Row {
    let flops = (2 * n * k * d) as u64;
    let bytes = (8 * n * d) as u64;
    let (fma, triad) = probe_at(threads);
    let gflops = flops as f64 / time_s / 1e9;
    let gbs = bytes as f64 / time_s / 1e9;
    Row {
        machine_id: "test-2c".into(),
        timestamp: T0_TEXT.into(),
        source: "criterion".into(),
        bench_id: format!("assign/n{n}/d{d}/k{k}/{variant}/t{threads}"),
        kernel: "assign".into(),
        layout: if variant == "aos" { "aos" } else { "flat" }.into(),
        variant: variant.into(),
        isa: variant
            .strip_prefix("flat-simd-")
            .or(variant
                .strip_prefix("flat-")
                .filter(|_| variant == "flat-scalar"))
            .unwrap_or("")
            .into(),
        threads: Some(threads),
        n: Some(n),
        d: Some(d),
        k: Some(k),
        time_s: Some(time_s),
        time_lo_s: Some(time_s * 0.99),
        time_hi_s: Some(time_s * 1.01),
        flops: Some(flops),
        bytes: Some(bytes),
        gflops: Some(gflops),
        gbs: Some(gbs),
        probe_fma_gflops: Some(fma),
        probe_triad_gbs: Some(triad),
        frac_fma_peak: Some(gflops / fma),
        frac_bandwidth: Some(gbs / triad),
        ..Row::default()
    }
}

/// micro.csv of the roof fixture: two shapes at n = 262,144 (d = 8, k = 8: intensity
/// 2, bandwidth-bound at 1 thread; d = 32, k = 32: intensity 8, FMA-bound), the first
/// also at n = 4096 (left out: a larger n exists), plus rows that are no points.
fn roof_rows() -> Vec<Row> {
    const N: usize = 262_144;
    let mut rows = vec![
        assign_row(N, 8, 8, "aos", 2, 0.004),
        assign_row(N, 8, 8, "flat-scalar", 1, 0.01),
        assign_row(N, 8, 8, "flat-simd-avx2", 1, 0.003),
        assign_row(N, 8, 8, "flat-simd-avx2", 2, 0.0017),
        assign_row(N, 32, 32, "aos", 1, 0.07),
        assign_row(N, 32, 32, "aos", 2, 0.036),
        assign_row(N, 32, 32, "flat-simd-avx512", 1, 0.01),
        assign_row(N, 32, 32, "flat-simd-avx512", 2, 0.0055),
        // Smaller n of a shape measured at N: left out.
        assign_row(4096, 8, 8, "flat-simd-avx2", 1, 0.00001),
        assign_row(4096, 8, 8, "aos", 1, 0.00002),
    ];
    // Another kernel, seeding (no flops), an instruction count: no points.
    let mut lloyd = assign_row(N, 32, 32, "flat", 1, 0.02);
    lloyd.kernel = "lloyd1".into();
    lloyd.bench_id = "lloyd1/n262144/d32/k32/flat".into();
    lloyd.flops = Some(4 * 262_144 * 32 * 32);
    lloyd.bytes = Some(24 * 262_144 * 32);
    rows.push(lloyd);
    rows.push(Row {
        bench_id: "seed-greedy-kmeans++/n262144/d32/k32/flat".into(),
        kernel: "seed-greedy-kmeans++".into(),
        flops: None,
        bytes: None,
        gflops: None,
        gbs: None,
        ..assign_row(N, 32, 32, "flat", 1, 0.3)
    });
    rows.push(Row {
        source: "gungraun".into(),
        bench_id: "kernels/instructions/kernels_group/assign_flat_simd_avx2.n2048_d32_k32".into(),
        time_s: None,
        instructions: Some(2_361_723),
        ..assign_row(2048, 32, 32, "flat-simd-avx2", 1, 1.0)
    });
    rows
}

fn svg_texts(path: &Path) -> (Vec<String>, usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
    (texts, count("circle"), count("polygon"))
}

#[test]
fn the_report_draws_the_assign_kernel_on_the_roofline_with_exact_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    runs_folder(&dir);
    microdata::write_csv(&dir.join("micro.csv"), &roof_rows()).unwrap();
    let text = report_text(&dir);
    let svg = dir.join("figures/kernel-roofline.svg");
    assert!(svg.is_file());

    // The figure: valid SVG with both roofs labelled, every variant in the legend, and
    // one marker per (variant, threads, shape) at n = 262,144 plus one per thread count
    // in the legend: 4 points at 1 thread (circles), 4 at 2 threads (triangles).
    let (texts, circles, triangles) = svg_texts(&svg);
    for label in [
        "1 thread: 128 GFLOP/s, 32 GB/s",
        "2 threads: 256 GFLOP/s, 40 GB/s",
        "aos",
        "flat-scalar",
        "flat-simd-avx2",
        "flat-simd-avx512",
        "1 thread",
        "2 threads",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no text {label:?} in {texts:#?}"
        );
    }
    assert!(!texts.iter().any(|t| t == "flat"), "lloyd1's variant drawn");
    assert_eq!((circles, triangles), (4 + 1, 4 + 1));

    // The section: the figure, what it shows, and the table.
    let start = text.find("## Micro-benchmarks").expect("section");
    let end = text[start..].find("## Failed and wrong runs").unwrap() + start;
    let s = &text[start..end];
    let sub = &s[s
        .find("### Assignment step vs the roof\n")
        .expect("subsection")..];
    assert!(
        sub.contains("![Roofline of the assignment kernel](figures/kernel-roofline.svg)"),
        "{sub}"
    );
    assert!(
        sub.contains(
            "at n = 262,144, the largest n measured for each shape (2 rows at smaller n left out)"
        ),
        "{sub}"
    );
    assert!(
        sub.contains("(1 thread: 128 GFLOP/s, 32 GB/s; 2 threads: 256 GFLOP/s, 40 GB/s)"),
        "{sub}"
    );
    // Hand-computed:
    // d = 8, k = 8: flops 2·262144·8·8 = 33,554,432, bytes 8·262144·8 = 16,777,216,
    //   intensity 2; 1-thread roof min(128, 32·2) = 64.
    //   flat-scalar: 33,554,432 / 0.01 s = 3.355 GFLOP/s = 5.24 % of 64.
    //   flat-simd-avx2: / 0.003 s = 11.18 GFLOP/s = 17.48 %; 0.003 / 0.0017 = 1.765x.
    //   aos: 2 threads only.
    // d = 32, k = 32: flops 536,870,912, bytes 67,108,864, intensity 8; roof min(128, 256) = 128.
    //   aos: / 0.07 s = 7.670 GFLOP/s = 5.99 %; 0.07 / 0.036 = 1.944x.
    //   flat-simd-avx512: / 0.01 s = 53.69 GFLOP/s = 41.94 %; 0.01 / 0.0055 = 1.818x.
    let table = "| d | k | n | code | flop/byte | GFLOP/s (1 thread) | 1-thread roof (GFLOP/s) | of the roof | 2 threads / 1 thread |\n\
                 |---:|---:|---:|---|---:|---:|---:|---:|---:|\n\
                 | 8 | 8 | 262144 | `aos` | 2 | – | 64.0 | – | – |\n\
                 | 8 | 8 | 262144 | `flat-scalar` | 2 | 3.36 | 64.0 | 5.2 % | – |\n\
                 | 8 | 8 | 262144 | `flat-simd-avx2` | 2 | 11.2 | 64.0 | 17.5 % | 1.76x |\n\
                 | 32 | 32 | 262144 | `aos` | 8 | 7.67 | 128 | 6.0 % | 1.94x |\n\
                 | 32 | 32 | 262144 | `flat-simd-avx512` | 8 | 53.7 | 128 | 41.9 % | 1.82x |\n";
    assert!(sub.contains(table), "{sub}");
    assert!(text.contains("- `kernel-roofline.svg`: "), "{text}");

    // The same numbers from the library, unrounded.
    let rl = report::sections::kernel_roofline::assign_roofline(&roof_rows()).unwrap();
    assert_eq!(rl.points.len(), 8);
    assert_eq!((rl.ns.as_slice(), rl.smaller_n), (&[262_144][..], 2));
    let p = rl
        .points
        .iter()
        .find(|p| p.variant == "flat-simd-avx512" && p.threads == 1)
        .unwrap();
    assert_eq!((p.ai, p.gflops), (8.0, 536_870_912.0 / 0.01 / 1e9));
    let r1 = rl.roof(1).unwrap();
    assert_eq!(
        (r1.attainable(2.0), r1.attainable(8.0), r1.ridge()),
        (64.0, 128.0, 4.0)
    );
    assert_eq!(rl.roof(2).unwrap().attainable(2.0), 80.0);

    // micro.csv gone: no figure (the stale one removed) and no section.
    std::fs::remove_file(dir.join("micro.csv")).unwrap();
    let text = report_text(&dir);
    assert!(!svg.exists());
    assert!(!text.contains("Micro-benchmarks") && !text.contains("kernel-roofline"));
}
