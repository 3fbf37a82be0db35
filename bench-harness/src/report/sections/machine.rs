//! "Machine": what machine.json says about the machine (also shown by the dashboard).

use crate::report::data::{json_f64, json_path, json_text, Folder};
use crate::report::fmt::{self, strings, table};
use serde_json::Value;
use std::fmt::Write;

/// The machine summary as `(field, value)` pairs (fields that are absent are left out).
pub fn machine_lines(m: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push((k.to_string(), v));
        }
    };
    push("machine id", json_text(m, "machine_id"));
    push("CPU", json_text(m, "cpu.model"));
    push(
        "cores",
        json_text(m, "cpu.cores").map(|c| match json_text(m, "cpu.arch") {
            Some(a) => format!("{c} ({a})"),
            None => c,
        }),
    );
    if let Some(Value::Array(caches)) = json_path(m, "cpu.caches") {
        let parts: Vec<String> = caches
            .iter()
            .filter_map(|c| {
                let level = json_text(c, "level")?;
                let kind = json_text(c, "type").unwrap_or_default();
                let size = json_text(c, "size")?;
                let tag = match kind.as_str() {
                    "Data" => "d",
                    "Instruction" => "i",
                    _ => "",
                };
                Some(format!("L{level}{tag} {size}"))
            })
            .collect();
        if !parts.is_empty() {
            push("caches (per core / shared)", Some(parts.join(", ")));
        }
    }
    if let Some(Value::Array(flags)) = json_path(m, "cpu.isa_flags") {
        let f: Vec<String> = flags
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if !f.is_empty() {
            push("ISA flags", Some(f.join(" ")));
        }
    }
    push(
        "memory",
        json_f64(m, "memory_gib").map(|g| format!("{g} GiB")),
    );
    push("OS", json_text(m, "os"));
    push("kernel", json_text(m, "kernel"));
    push("rustc", json_text(m, "toolchain.rustc"));
    push("Python", json_text(m, "python.python"));
    for (label, key) in [
        ("NumPy", "numpy"),
        ("scikit-learn", "scikit-learn"),
        ("threadpoolctl", "threadpoolctl"),
    ] {
        push(label, json_text(m, &format!("python.packages.{key}")));
    }
    if let Some(Value::Array(pools)) = json_path(m, "python.threadpool_info") {
        let parts: Vec<String> = pools
            .iter()
            .map(|p| {
                let api = json_text(p, "internal_api").unwrap_or_else(|| "?".into());
                let ver = json_text(p, "version").unwrap_or_default();
                let arch = json_text(p, "architecture").unwrap_or_default();
                let th = json_text(p, "num_threads").unwrap_or_default();
                format!("{api} {ver} {arch} ({th} threads)")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if !parts.is_empty() {
            push("BLAS (threadpoolctl)", Some(parts.join("; ")));
        }
    }
    let probe = |k: &str| json_f64(m, &format!("kernels_probe.{k}"));
    if let (Some(p1), Some(pa)) = (probe("fma_peak_gflops_1t"), probe("fma_peak_gflops_all")) {
        push(
            "FMA peak (measured)",
            Some(format!(
                "{p1:.1} GFLOP/s 1 thread, {pa:.1} GFLOP/s all cores"
            )),
        );
    }
    if let (Some(b1), Some(ba)) = (probe("triad_gbs_1t"), probe("triad_gbs_all")) {
        push(
            "triad bandwidth (measured)",
            Some(format!("{b1:.1} GB/s 1 thread, {ba:.1} GB/s all cores")),
        );
    }
    push("probed at", json_text(m, "probed_at"));
    push("harness", json_text(m, "harness_version"));
    if let Some(src) = json_path(m, "source") {
        let text = match src {
            Value::String(s) => s.clone(),
            other => {
                let note = json_text(other, "note");
                let repo = json_text(other, "repository");
                let commit = json_text(other, "commit");
                let file = json_text(other, "file");
                [
                    note,
                    repo.map(|r| format!("repository {r}")),
                    commit.map(|c| format!("commit {c}")),
                    file.map(|f| format!("file {f}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")
            }
        };
        push("source", Some(text));
    }
    out
}

/// The "Machine" section.
pub(crate) fn section(folder: &Folder) -> String {
    let mut s = String::from("## Machine\n\n");
    match (&folder.machine, &folder.machine_error) {
        (Some(m), _) => {
            let rows: Vec<Vec<String>> = machine_lines(m)
                .into_iter()
                .map(|(k, v)| vec![k, fmt::cell_text(&v, 400)])
                .collect();
            s.push_str(&table(&strings(&["", "from machine.json"]), &[], &rows));
        }
        (None, Some(e)) => {
            let _ = writeln!(s, "machine.json unusable: {e}");
        }
        (None, None) => s.push_str("No machine.json in this folder (run `bench-harness probe`).\n"),
    }
    s
}
