//! "Accuracy and worst case", and "Failed and wrong runs" with the unusable lines.

use crate::report::analysis::Analysis;
use crate::report::data::{Folder, Run};
use crate::report::fmt::{self, strings, table};
use std::fmt::Write;

/// Worst-case ARI per contestant, and the cells with the lowest median ARI.
pub fn accuracy(a: &Analysis) -> String {
    let mut s = String::new();
    let rows: Vec<Vec<String>> = a
        .glance
        .iter()
        .map(|g| {
            let worst = match &g.worst_ari {
                Some((v, r)) => format!(
                    "{v:.3} (n={} d={} k={} repeat {})",
                    fmt::n(r.n),
                    r.d,
                    r.k_max,
                    r.repeat
                ),
                None => "–".into(),
            };
            vec![
                format!("`{}`", g.contestant),
                fmt::num(g.median_ari, 4),
                fmt::num(g.mean_ari, 4),
                worst,
            ]
        })
        .collect();
    s.push_str(&table(
        &strings(&["contestant", "median ARI", "mean ARI", "worst ARI (run)"]),
        &[false, true, true, false],
        &rows,
    ));
    s.push_str("\nARI over every run that answered (`ok` and `wrong`), against the generated ground truth at k = k_max.\n");
    s
}

/// The "Accuracy and worst case" section.
pub(crate) fn section(a: &Analysis) -> String {
    let mut s = String::from("## Accuracy and worst case\n\n");
    s.push_str(&accuracy(a));
    s.push('\n');
    s
}

fn problem_table(runs: &[Run], file: &str) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                format!("`{}`", r.contestant),
                fmt::n(r.n),
                r.d.to_string(),
                r.k_max.to_string(),
                r.repeat.to_string(),
                r.threads.map_or("–".into(), |t| t.to_string()),
                format!("**{}**", r.status),
                r.exit_code.map_or("–".into(), |c| c.to_string()),
                r.wall_s.map_or("–".into(), fmt::secs),
                fmt::cell_text(&r.reason, 160),
                format!("{file}:{}", r.line),
            ]
        })
        .collect();
    table(
        &strings(&[
            "contestant",
            "n",
            "d",
            "k_max",
            "repeat",
            "threads",
            "status",
            "exit",
            "wall",
            "reason",
            "line",
        ]),
        &[
            false, true, true, true, true, true, false, true, true, false, false,
        ],
        &rows,
    )
}

/// The "Failed and wrong runs" section, with the unusable lines of the files.
pub(crate) fn problems_section(folder: &Folder, a: &Analysis) -> String {
    let mut s = String::from("## Failed and wrong runs\n\n");
    if a.problems.is_empty() && a.sweep_problems.is_empty() {
        s.push_str("None: every run ended `ok`.\n");
    } else {
        if !a.problems.is_empty() {
            let _ = writeln!(
                s,
                "{} runs in `runs.csv` did not end `ok`:\n",
                a.problems.len()
            );
            s.push_str(&problem_table(&a.problems, "runs.csv"));
            s.push('\n');
        }
        if !a.sweep_problems.is_empty() {
            let _ = writeln!(
                s,
                "{} runs in `threads.csv` did not end `ok`:\n",
                a.sweep_problems.len()
            );
            s.push_str(&problem_table(&a.sweep_problems, "threads.csv"));
            s.push('\n');
        }
    }
    let skipped: Vec<(String, &(usize, String))> = folder
        .runs
        .skipped
        .iter()
        .map(|x| ("runs.csv".to_string(), x))
        .chain(
            folder
                .threads
                .iter()
                .flat_map(|t| t.skipped.iter().map(|x| ("threads.csv".to_string(), x))),
        )
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(s, "\nUnusable lines (not counted anywhere):\n");
        for (file, (line, why)) in skipped {
            let _ = writeln!(s, "- {file}:{line}: {}", fmt::cell_text(why, 200));
        }
    }
    s
}
