//! `report`, `compare` and `import-seed` on a fixture results folder made here: the
//! tables hold the medians and ratios computed independently below, every figure is
//! valid SVG, the README section is replaced between its markers, a folder compared with
//! itself gives ratios of exactly 1, the seed import has 648 rows, and the dashboard
//! renders in headless Chromium without console errors (skipped with a message when
//! Chromium, Node or playwright-core is missing: `bench-harness/tests/browser/setup.sh`).

use bench_harness::report::{self, CompareArgs, ImportArgs, ReportArgs};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const NS: [usize; 3] = [1000, 4000, 16000];
const DS: [usize; 2] = [2, 8];
const K: usize = 4;
/// Repeat multipliers: the median of the three is the middle one (1.0).
const MULT: [f64; 3] = [1.0, 1.1, 0.95];

/// (contestant, base seconds at n = 1000, exponent in n, RSS MB per 1k rows)
const CONTESTANTS: [(&str, f64, f64, f64); 4] = [
    ("numpy", 0.4, 0.7, 7.0),
    ("sklearn", 1.5, 0.1, 12.0),
    ("rust-aos-serial", 0.03, 0.9, 0.6),
    ("rust-flat", 0.01, 0.8, 0.3),
];

#[derive(Clone, Debug)]
struct FixRun {
    contestant: &'static str,
    n: usize,
    d: usize,
    repeat: usize,
    wall: f64,
    rss: f64,
    ari: f64,
    status: &'static str,
    exit: i32,
    reason: &'static str,
}

/// The fixture: 3 sizes × 2 d × 1 k_max × 3 repeats; `rust-flat` only at n = 1000 (a
/// contestant missing from most cells); one failed and one wrong run.
fn fixture_runs() -> Vec<FixRun> {
    let mut out = Vec::new();
    for &(c, base, e, rss) in &CONTESTANTS {
        for &n in &NS {
            if c == "rust-flat" && n != 1000 {
                continue;
            }
            for &d in &DS {
                for (r, m) in MULT.iter().enumerate() {
                    let repeat = r + 1;
                    let mut run = FixRun {
                        contestant: c,
                        n,
                        d,
                        repeat,
                        wall: base * (n as f64 / 1000.0).powf(e) * (1.0 + 0.05 * d as f64) * m,
                        rss: 30.0 + rss * n as f64 / 1000.0 + repeat as f64,
                        ari: if repeat == 2 { 0.95 } else { 1.0 },
                        status: "ok",
                        exit: 0,
                        reason: "",
                    };
                    if c == "rust-aos-serial" && n == 4000 && d == 8 && repeat == 2 {
                        run.status = "failed";
                        run.exit = 101;
                        run.wall = 0.5;
                        run.reason = "exit 101: thread 'main' panicked at 'boom'";
                    }
                    if c == "sklearn" && n == 1000 && d == 2 && repeat == 3 {
                        run.status = "wrong";
                        run.ari = 0.25;
                        run.reason = "ARI 0.25 below the check";
                    }
                    out.push(run);
                }
            }
        }
    }
    out
}

/// Writes runs.csv (with an extra column the report must ignore and without some
/// optional ones), threads.csv and machine.json into `dir`.
fn write_fixture(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from(
        "timestamp,contestant,shape,n,d,k_max,repeat,seed,threads,wall_s,user_s,sys_s,peak_rss_mb_sampled,ari,inertia,status,exit_code,reason,a_future_column\n",
    );
    for r in fixture_runs() {
        let reason = r.reason.replace('"', "\"\"");
        writeln!(
            csv,
            "2026-01-01T00:00:00Z,{},blobs,{},{},{K},{},{},1,{},{},0.01,{},{},123.5,{},{},\"{reason}\",x",
            r.contestant,
            r.n,
            r.d,
            r.repeat,
            20 + r.repeat,
            r.wall,
            r.wall * 0.9,
            r.rss,
            r.ari,
            r.status,
            r.exit
        )
        .unwrap();
    }
    std::fs::write(dir.join("runs.csv"), csv).unwrap();
    let mut threads = String::from("contestant,n,d,k_max,repeat,threads,wall_s,status,exit_code\n");
    for (t, w) in [(1, 0.8), (2, 0.5)] {
        writeln!(threads, "rust-flat,4000,2,{K},1,{t},{w},ok,0").unwrap();
    }
    std::fs::write(dir.join("threads.csv"), threads).unwrap();
    std::fs::write(
        dir.join("machine.json"),
        r#"{"machine_id": "fixture-2c", "cpu": {"model": "Fixture CPU", "cores": 2, "arch": "x86_64"},
            "kernels_probe": {"fma_peak_gflops_1t": 20.0, "fma_peak_gflops_all": 40.0,
                              "triad_gbs_1t": 10.0, "triad_gbs_all": 15.0, "threads_all": 2}}"#,
    )
    .unwrap();
}

// ---- independent statistics and formatting (the report's documented rules) ----

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn secs(x: f64) -> String {
    if x < 0.1 {
        format!("{x:.4} s")
    } else if x < 10.0 {
        format!("{x:.3} s")
    } else {
        format!("{x:.2} s")
    }
}

fn ratio(x: f64) -> String {
    if x < 1.0 {
        format!("{x:.3}x")
    } else {
        format!("{x:.2}x")
    }
}

/// Cell times: median wall of the ok repeats per (contestant, n, d).
fn cell_times(runs: &[FixRun]) -> BTreeMap<(&'static str, usize, usize), f64> {
    let mut g: BTreeMap<(&'static str, usize, usize), Vec<f64>> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.status == "ok") {
        g.entry((r.contestant, r.n, r.d)).or_default().push(r.wall);
    }
    g.into_iter().map(|(k, v)| (k, median(&v))).collect()
}

/// The cells of the Markdown table row that starts with `first`.
fn row<'a>(text: &'a str, first: &str) -> Vec<&'a str> {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("| {first} |")))
        .unwrap_or_else(|| panic!("no table row starting with {first}"));
    line.trim_matches('|').split(" | ").map(str::trim).collect()
}

/// The text of the section that starts with `heading`.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let i = text
        .find(heading)
        .unwrap_or_else(|| panic!("no section {heading}"));
    let rest = &text[i + heading.len()..];
    // A `## ` section runs to the next `## `; a deeper one to the next heading.
    let stop = if heading.starts_with("## ") {
        "\n## "
    } else {
        "\n#"
    };
    let end = rest.find(stop).unwrap_or(rest.len());
    &rest[..end]
}

fn generate(dir: &Path, readme: Option<PathBuf>) -> report::Written {
    report::generate(&ReportArgs {
        dir: Some(dir.to_path_buf()),
        readme,
        assumed_iterations: 10.0,
    })
    .expect("report generates")
}

#[test]
fn report_tables_hold_the_independent_medians_and_ratios() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture-2c");
    write_fixture(&dir);
    let readme = tmp.path().join("README.md");
    let before = "# Project\n\nintro\n\n## Results\n\n<!-- results:start -->\nold text\n<!-- results:end -->\n\n## After\n\nkept\n";
    std::fs::write(&readme, before).unwrap();
    let w = generate(&dir, Some(readme.clone()));
    let md = std::fs::read_to_string(&w.report).unwrap();
    let runs = fixture_runs();
    let times = cell_times(&runs);

    // At a glance: median wall, paired speedup (median of per-cell ratios), geo-mean,
    // RSS per 1k rows, ARI, run counts.
    let glance = section(&md, "## Four ways at a glance");
    for &(c, ..) in &CONTESTANTS {
        let mine: Vec<&FixRun> = runs.iter().filter(|r| r.contestant == c).collect();
        let ok: Vec<&&FixRun> = mine.iter().filter(|r| r.status == "ok").collect();
        let walls: Vec<f64> = ok.iter().map(|r| r.wall).collect();
        let cells = row(glance, &format!("`{c}`"));
        assert_eq!(
            cells[1],
            format!("{} / {}", ok.len(), mine.len()),
            "{c} counts"
        );
        assert_eq!(cells[2], secs(median(&walls)), "{c} median wall");
        let ratios: Vec<f64> = times
            .iter()
            .filter(|((who, ..), _)| *who == c)
            .filter_map(|((_, n, d), t)| times.get(&("numpy", *n, *d)).map(|np| np / t))
            .collect();
        if c == "numpy" {
            assert_eq!(cells[3], "1.00x (baseline)");
        } else {
            assert_eq!(
                cells[3],
                format!("{} ({} cells)", ratio(median(&ratios)), ratios.len()),
                "{c} paired speedup"
            );
        }
        let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        assert_eq!(cells[4], ratio(geo), "{c} geo-mean");
        let rss: Vec<f64> = ok.iter().map(|r| r.rss / (r.n as f64 / 1000.0)).collect();
        assert_eq!(cells[7], format!("{:.2} MB", median(&rss)), "{c} RSS");
        let aris: Vec<f64> = mine
            .iter()
            .filter(|r| r.status != "failed")
            .map(|r| r.ari)
            .collect();
        assert_eq!(cells[8], format!("{:.3}", median(&aris)), "{c} ARI");
    }
    assert_eq!(row(glance, "`rust-flat`")[3], {
        // rust-flat only ran at n = 1000: two cells paired.
        let r: Vec<f64> = DS
            .iter()
            .map(|&d| times[&("numpy", 1000, d)] / times[&("rust-flat", 1000, d)])
            .collect();
        format!("{} (2 cells)", ratio(median(&r)))
    });

    // Per-cell table: the failed repeat is out of the median and the range.
    let cell_section = section(&md, "#### d = 8, k_max = 4");
    let r4k = row(cell_section, "4k");
    let serial: Vec<f64> = runs
        .iter()
        .filter(|r| {
            r.contestant == "rust-aos-serial" && r.n == 4000 && r.d == 8 && r.status == "ok"
        })
        .map(|r| r.wall)
        .collect();
    assert_eq!(serial.len(), 2);
    let (lo, hi) = (serial[0].min(serial[1]), serial[0].max(serial[1]));
    assert_eq!(
        r4k[3],
        format!(
            "{} ({}–{}) ×2 (1 not ok)",
            secs(median(&serial)),
            secs(lo).trim_end_matches(" s"),
            secs(hi).trim_end_matches(" s")
        )
    );
    assert_eq!(
        r4k[4], "not run",
        "the missing contestant is shown, not hidden"
    );

    // Paired speedup per cell.
    let sp = row(section(&md, "## Per-cell paired speedup vs numpy"), "16k");
    assert_eq!(
        sp[1],
        ratio(times[&("numpy", 16000, 2)] / times[&("sklearn", 16000, 2)])
    );

    // Crossovers: sklearn wins exactly the two n = 16k cells against numpy.
    let wins = section(&md, "## Where each contestant wins");
    assert_eq!(row(wins, "`sklearn`")[1], "2 / 6");
    assert_eq!(row(wins, "`numpy`")[2], "4 / 6");
    assert!(
        wins.contains("`numpy` beats `sklearn` in 4 of 6 cells; `sklearn` wins 2: n=16k d=2 k=4"),
        "{wins}"
    );

    // Slope over the size-medians, by least squares on the logs.
    let pts: Vec<(f64, f64)> = NS
        .iter()
        .map(|&n| {
            let w: Vec<f64> = runs
                .iter()
                .filter(|r| r.contestant == "numpy" && r.n == n && r.status == "ok")
                .map(|r| r.wall)
                .collect();
            ((n as f64).log10(), median(&w).log10())
        })
        .collect();
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / 3.0;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / 3.0;
    let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    assert_eq!(
        row(section(&md, "## Scaling with n"), "`numpy`")[1],
        format!("{slope:.3}")
    );

    // Worst-case ARI is the wrong run's.
    assert!(row(section(&md, "## Accuracy"), "`sklearn`")[3]
        .starts_with("0.250 (n=1k d=2 k=4 repeat 3)"));

    // Thread sweep: 0.8 s at 1 thread, 0.5 s at 2.
    let th = row(section(&md, "## Thread sweep"), "`rust-flat`");
    assert_eq!(th[5], format!("{} ({})", secs(0.5), ratio(0.8 / 0.5)));

    // Roofline uses machine.json's probe.
    let roof = section(&md, "## Roofline");
    assert!(
        roof.contains("FMA peak 40.0 GFLOP/s and triad bandwidth 15.0 GB/s"),
        "{roof}"
    );
    assert!(roof.contains("**estimated**"));

    // Failed and wrong runs are listed with their reasons.
    let bad = section(&md, "## Failed and wrong runs");
    assert!(
        bad.contains("**failed**") && bad.contains("panicked at 'boom'") && bad.contains("101"),
        "{bad}"
    );
    assert!(
        bad.contains("**wrong**") && bad.contains("ARI 0.25 below the check"),
        "{bad}"
    );

    // Machine summary.
    assert!(md.contains("| CPU | Fixture CPU |"));

    // Every figure exists and is well-formed SVG.
    let names: Vec<String> = w
        .figures
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for f in [
        "winners.svg",
        "wall_vs_n.svg",
        "speedup_vs_n.svg",
        "rss_vs_n.svg",
        "threads.svg",
        "roofline.svg",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} missing from {names:?}");
    }
    for p in &w.figures {
        assert_valid_svg(p);
    }

    // README: only the text between the markers changes, and a rerun changes nothing.
    let after = std::fs::read_to_string(&readme).unwrap();
    assert!(after.starts_with("# Project\n\nintro\n\n## Results\n\n<!-- results:start -->\n"));
    assert!(after.ends_with("<!-- results:end -->\n\n## After\n\nkept\n"));
    assert!(!after.contains("old text"));
    assert!(
        after.contains("](fixture-2c/REPORT.md)")
            && after.contains("fixture-2c/figures/winners.svg")
    );
    assert_eq!(row(&after, "`numpy`")[2], row(glance, "`numpy`")[2]);
    generate(&dir, Some(readme.clone()));
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), after);

    // The dashboard is self-contained: inline data and script, nothing fetched.
    let html = std::fs::read_to_string(&w.dashboard).unwrap();
    assert!(!html.contains("<script src") && !html.contains("<link") && !html.contains("@import"));
    let start = html
        .find(r#"<script id="data" type="application/json">"#)
        .unwrap();
    let json = &html[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(data["contestants"].as_array().unwrap().len(), 4);
    assert_eq!(data["cells"].as_array().unwrap().len(), 3 * 6 + 2);
}

fn assert_valid_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
    assert_eq!(
        doc.root_element().tag_name().name(),
        "svg",
        "{}",
        path.display()
    );
    assert!(
        doc.descendants().count() > 20,
        "{} is nearly empty",
        path.display()
    );
}

#[test]
fn a_report_without_numpy_or_threads_still_renders_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("runs.csv"),
        "contestant,n,d,k_max,repeat,wall_s,exit_code\n\
         rust-flat,1000,2,4,1,0.02,0\n\
         rust-flat,2000,2,4,1,0.03,0\n\
         rust-flat,4000,2,4,1,,139\n",
    )
    .unwrap();
    let w = generate(&dir, None);
    let md = std::fs::read_to_string(&w.report).unwrap();
    assert!(md.contains("No `ok` numpy run in this folder"));
    assert!(md.contains("No `threads.csv`"));
    assert!(md.contains("No machine.json"));
    assert!(
        md.contains("**failed**"),
        "exit 139 without a status column is a failure"
    );
    for p in &w.figures {
        assert_valid_svg(p);
    }
    assert!(!dir.join("figures/speedup_vs_n.svg").exists());
    // Missing folder / file: an error naming it.
    let e = report::generate(&ReportArgs {
        dir: Some(tmp.path().join("nope")),
        readme: None,
        assumed_iterations: 10.0,
    })
    .unwrap_err();
    assert!(format!("{e:#}").contains("nope"));
}

#[test]
fn compare_of_a_folder_with_itself_gives_ratios_of_exactly_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture-2c");
    write_fixture(&dir);
    let out = report::compare_to(&CompareArgs {
        dirs: vec![dir.clone(), dir.clone()],
        out: Some(tmp.path().join("cmp")),
        same_code: false,
    })
    .unwrap();
    let mut rdr = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let ratio_col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "ratio")
        .unwrap();
    let mut n = 0;
    for rec in rdr.records() {
        let r: f64 = rec.unwrap()[ratio_col].parse().unwrap();
        assert_eq!(r, 1.0);
        n += 1;
    }
    // Every (contestant, cell) with an ok time: 3 contestants × 6 cells + rust-flat's 2.
    assert_eq!(n, 20);
    let md = std::fs::read_to_string(out.join("COMPARE.md")).unwrap();
    for c in ["numpy", "sklearn", "rust-aos-serial"] {
        let cells = row(&md, &format!("`{c}`"));
        assert_eq!(
            &cells[1..5],
            ["6", "1.00x", "1.00x", "1.00x – 1.00x"],
            "{c}"
        );
    }
    assert_valid_svg(&out.join("compare.svg"));
}

fn seed_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SEED_RUNS_CSV") {
        return Some(PathBuf::from(p));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .to_path_buf();
    let p = root.parent()?.join("shared/reference/seed_m4max_runs.csv");
    p.is_file().then_some(p)
}

#[test]
fn seed_import_writes_648_rows_in_the_harness_schema() {
    let Some(input) = seed_file() else {
        eprintln!("SKIPPED: ../shared/reference/seed_m4max_runs.csv not found (set SEED_RUNS_CSV)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("apple-m4-max-14c");
    let args = ImportArgs {
        input: Some(input.clone()),
        out: Some(out.clone()),
        force: false,
    };
    report::import_seed_cmd(args.clone()).unwrap();
    let text = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(
        text.starts_with(&bench_harness::results::header()),
        "same header as the harness writes"
    );
    let rows = bench_harness::results::read_rows(&out.join("runs.csv")).unwrap();
    assert_eq!(rows.len(), 648);
    for c in ["numpy", "rust-aos-serial", "rust-aos-rayon", "sklearn"] {
        assert_eq!(
            rows.iter().filter(|r| r.contestant == c).count(),
            162,
            "{c}"
        );
    }
    let machine: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("machine.json")).unwrap()).unwrap();
    assert_eq!(
        machine["source"]["repository"],
        "nilesh-patil/pythonvsrust-kmeans"
    );
    assert_eq!(machine["source"]["commit"], "361c14520a1c");
    assert_eq!(machine["cpu"]["cores"], 14);
    // Importing again replaces its own output; a folder of real runs is refused.
    report::import_seed_cmd(args).unwrap();
    let other = tmp.path().join("real");
    write_fixture(&other);
    std::fs::remove_file(other.join("machine.json")).unwrap();
    let e = report::import_seed_cmd(ImportArgs {
        input: Some(input),
        out: Some(other),
        force: false,
    })
    .unwrap_err();
    assert!(format!("{e:#}").contains("--force"));
    // The imported folder reports like any other.
    let w = generate(&out, None);
    assert!(std::fs::read_to_string(w.report)
        .unwrap()
        .contains("nilesh-patil/pythonvsrust-kmeans"));
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

#[test]
fn dashboard_renders_in_headless_chromium() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let missing: Vec<&str> = [
        (which("node").is_none(), "node"),
        (!chromium.is_file(), "chromium"),
        (
            !browser_dir
                .join("node_modules/playwright-core/package.json")
                .is_file(),
            "playwright-core",
        ),
    ]
    .into_iter()
    .filter_map(|(m, name)| m.then_some(name))
    .collect();
    if !missing.is_empty() {
        eprintln!(
            "SKIPPED dashboard_renders_in_headless_chromium: {} missing; run bench-harness/tests/browser/setup.sh",
            missing.join(", ")
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture-2c");
    write_fixture(&dir);
    let w = generate(&dir, None);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    let out = std::process::Command::new("node")
        .arg(browser_dir.join("check-dashboard.js"))
        .arg(&w.dashboard)
        .arg(&shots)
        .arg(dir.join("figures/wall_vs_n.svg"))
        .arg(dir.join("figures/winners.svg"))
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "dashboard check failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(
        result["errors"].as_array().map(Vec::len),
        Some(0),
        "{stdout}"
    );
    assert!(
        result["checks"]["points"].as_u64().unwrap_or(0) > 0,
        "{stdout}"
    );
    assert!(
        result["checks"]["threadPoints"].as_u64().unwrap_or(0) > 0,
        "{stdout}"
    );
    assert!(shots.join("dashboard.png").is_file());
    eprintln!("screenshots in {}", shots.display());
}
