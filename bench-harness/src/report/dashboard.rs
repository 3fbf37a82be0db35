//! `dashboard.html`: one self-contained page (data as inline JSON, vanilla JS drawing
//! inline SVG, no network) with filters by contestant, d and k_max and hover tooltips.

use super::analysis::{Analysis, BASELINE};
use super::data::Folder;
use super::fmt;
use super::palette::CONTESTANTS;
use super::sections::machine::machine_lines;
use serde_json::{json, Value};

/// Builds the data object the page's script reads.
pub fn data(folder: &Folder, a: &Analysis) -> Value {
    // Colours for the grid's contestants and any that only appear in threads.csv.
    let everyone = super::data::contestant_order(
        a.contestants
            .iter()
            .chain(a.sweep.keys().map(|(c, _)| c))
            .map(String::as_str),
    );
    let colors: serde_json::Map<String, Value> = everyone
        .iter()
        .map(|c| (c.clone(), json!(CONTESTANTS.hex(c, &everyone))))
        .collect();
    let span = |s: Option<crate::stats::Spread>| s.map(|w| json!([w.median, w.min, w.max]));
    let cells: Vec<Value> = a
        .stats
        .iter()
        .map(|((name, cell), st)| {
            json!({
                "c": name, "s": cell.shape, "n": cell.n, "d": cell.d, "k": cell.k_max,
                "ok": st.ok, "runs": st.runs,
                "wall": span(st.wall), "rss": span(st.rss_mb), "ari": span(st.ari),
                "speedup": a.speedup(name, cell),
            })
        })
        .collect();
    let sweep: Vec<Value> = a
        .sweep
        .iter()
        .flat_map(|((name, cell), by_t)| {
            by_t.iter().map(move |(t, s)| {
                json!({"c": name, "n": cell.n, "d": cell.d, "k": cell.k_max, "t": t, "wall": s.median})
            })
        })
        .collect();
    let problems: Vec<Value> = a
        .problems
        .iter()
        .chain(&a.sweep_problems)
        .map(|r| {
            json!({
                "c": r.contestant, "n": r.n, "d": r.d, "k": r.k_max, "r": r.repeat,
                "t": r.threads, "st": r.status, "exit": r.exit_code, "wall": r.wall_s,
                "reason": fmt::cell_text(&r.reason, 300),
            })
        })
        .collect();
    let glance: Vec<Value> = a
        .glance
        .iter()
        .map(|g| {
            json!({
                "c": g.contestant, "ok": g.ok, "runs": g.runs, "wall": g.median_wall_s,
                "speedup": if g.contestant == BASELINE && a.has_baseline { Some(1.0) } else { g.paired_speedup },
                "geomean": g.paired_geomean, "cells": g.paired_cells,
                "rss1k": g.rss_per_1k, "ari": g.median_ari,
                "worst_ari": g.worst_ari.as_ref().map(|w| w.0),
            })
        })
        .collect();
    json!({
        "machine": folder.name(),
        "machine_lines": folder.machine.as_ref().map(machine_lines).unwrap_or_default(),
        "contestants": a.contestants,
        "colors": colors,
        "baseline": if a.has_baseline { Some(BASELINE) } else { None },
        "ns": a.ns, "ds": a.ds, "ks": a.ks,
        "cells": cells,
        "sweep": sweep,
        "problems": problems,
        "glance": glance,
    })
}

/// The page, with `data` embedded (every `<` escaped so no `</script>` can occur).
pub fn html(data: &Value) -> String {
    let json = data.to_string().replace('<', "\\u003c");
    TEMPLATE.replace("/*DATA*/", &json)
}

/// The page: HTML, CSS and script, with `/*DATA*/` where the data object goes.
const TEMPLATE: &str = include_str!("dashboard.html");
