//! With identical `--init-centers`, every contestant reaches the same labels (ARI = 1
//! between any two, identical up to nothing) and the same inertia within 1e-9 relative.

mod common;
use bench_harness::check;
use bench_harness::npy;
use common::*;

#[test]
fn identical_init_centers_give_identical_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let (n, d, k) = (3000usize, 5usize, 6usize);
    let o = run_ok(&[
        "gen",
        "--n",
        &n.to_string(),
        "--d",
        &d.to_string(),
        "--k",
        &k.to_string(),
        "--out",
        s(&data),
    ]);
    let stdout = String::from_utf8(o.stdout).unwrap();
    let mut paths = stdout.lines();
    let csv = paths.next().unwrap().to_string();
    let labels = npy::read_i64(std::path::Path::new(paths.next().unwrap())).unwrap();

    // One starting point inside each true blob (the first row of each label), listed in
    // an order unrelated to the labels, so every contestant starts from the same centers.
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let mut centers = String::from(
        &(1..=d)
            .map(|j| format!("c{j}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    centers.push('\n');
    for label in [3, 0, 5, 1, 4, 2] {
        let i = labels.iter().position(|&l| l == label).unwrap();
        let feats: Vec<&str> = lines[i].split(',').skip(1).collect();
        centers.push_str(&feats.join(","));
        centers.push('\n');
    }
    let centers_path = tmp.path().join("centers.csv");
    std::fs::write(&centers_path, centers).unwrap();

    let o = run_ok(&[
        "run",
        "--quick-probe",
        "--keep-outputs",
        "--contestants",
        "all",
        "--sizes",
        &n.to_string(),
        "--repeats",
        "1",
        "--init-centers",
        s(&centers_path),
        "--out",
        s(&out),
        "--data-dir",
        s(&data),
    ]);
    let skipped = String::from_utf8_lossy(&o.stdout).to_string();

    let rows = rows(&out, "runs.csv");
    assert!(rows.len() >= 5, "{rows:?}");
    let mut answers = Vec::new();
    for r in &rows {
        assert_eq!(r.status, "ok", "{}: {}", r.contestant, r.reason);
        assert_eq!(r.k_max, k);
        assert_eq!(r.ari, Some(1.0), "{}", r.contestant);
        let file = out.join("cache").join(format!(
            "{}-t{}-blobs_n{n}_d{d}_k{k}_s20260609.out.csv",
            r.contestant, r.threads
        ));
        let a = check::read_answer(&file, n, d, k).unwrap();
        answers.push((r.contestant.clone(), a.labels, r.inertia.unwrap()));
    }
    for name in [
        "numpy",
        "sklearn",
        "rust-aos-serial",
        "rust-aos-rayon",
        "rust-flat",
    ] {
        assert!(
            answers.iter().any(|a| a.0 == name),
            "{name} missing; {skipped}"
        );
    }
    let (first, labels0, inertia0) = &answers[0];
    for (name, labels, inertia) in &answers[1..] {
        // Same centers, same Lloyd: the very same labels, not just the same partition.
        assert_eq!(labels, labels0, "{name} vs {first}");
        assert_eq!(
            bench_harness::metrics::adjusted_rand_index(labels, labels0),
            1.0
        );
        assert!(
            ((inertia - inertia0) / inertia0).abs() <= 1e-9,
            "{name}: {inertia} vs {inertia0}"
        );
    }
}
