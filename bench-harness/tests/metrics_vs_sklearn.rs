//! The Rust ARI and NMI agree with scikit-learn's `adjusted_rand_score` and
//! `normalized_mutual_info_score` on random labelings, computed through the venv.

mod common;
use bench_harness::metrics::{adjusted_rand_index, normalized_mutual_info};
use common::*;

/// A tiny deterministic generator for the test's labelings.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, m: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % m) as i64
    }
}

#[test]
fn ari_and_nmi_match_sklearn() {
    let python = venv_python();
    if !python.is_file() {
        // Let the harness create the venv (as `run` does on first use).
        run_ok(&[
            "run",
            "--preset",
            "smoke",
            "--contestants",
            "sklearn",
            "--sizes",
            "200",
            "--dims",
            "2",
            "--quick-probe",
            "--out",
            s(&tempfile::tempdir().unwrap().keep()),
        ]);
    }
    let mut rng = Lcg(42);
    let mut cases: Vec<(Vec<i64>, Vec<i64>)> = Vec::new();
    for &(n, ka, kb) in &[
        (2, 2, 2),
        (10, 3, 4),
        (100, 5, 5),
        (1000, 8, 8),
        (1000, 32, 30),
        (5000, 2, 50),
        (300, 1, 4),
        (50, 50, 50),
    ] {
        let a: Vec<i64> = (0..n).map(|_| rng.next(ka)).collect();
        // Half the cases correlated with `a` (mostly the same, some noise), half random.
        let b: Vec<i64> = if n % 2 == 0 {
            a.iter()
                .map(|&x| {
                    if rng.next(10) < 8 {
                        (x * 7 + 3) % kb as i64
                    } else {
                        rng.next(kb)
                    }
                })
                .collect()
        } else {
            (0..n).map(|_| rng.next(kb)).collect()
        };
        cases.push((a, b));
    }
    // Negative and sparse label values, and one-cluster cases.
    cases.push((vec![-1, -1, 5, 5, 100, 100], vec![0, 0, 0, 1, 1, 1]));
    cases.push((vec![0; 20], vec![0; 20]));
    cases.push((vec![0; 20], (0..20).collect()));

    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("cases.json");
    let json: Vec<serde_json::Value> = cases
        .iter()
        .map(|(a, b)| serde_json::json!([a, b]))
        .collect();
    std::fs::write(&input, serde_json::to_string(&json).unwrap()).unwrap();
    let script = r#"
import json, sys
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
cases = json.load(open(sys.argv[1]))
print(json.dumps([[adjusted_rand_score(a, b), normalized_mutual_info_score(a, b)] for a, b in cases]))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<(f64, f64)> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(expected.len(), cases.len());
    for ((a, b), (ari, nmi)) in cases.iter().zip(&expected) {
        let (my_ari, my_nmi) = (adjusted_rand_index(a, b), normalized_mutual_info(a, b));
        assert!(
            (my_ari - ari).abs() <= 1e-12,
            "ARI {my_ari} vs sklearn {ari} (n={})",
            a.len()
        );
        assert!(
            (my_nmi - nmi).abs() <= 1e-12,
            "NMI {my_nmi} vs sklearn {nmi} (n={})",
            a.len()
        );
    }
}
