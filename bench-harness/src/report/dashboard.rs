//! `dashboard.html`: one self-contained page (data as inline JSON, vanilla JS drawing
//! inline SVG, no network) with filters by contestant, d and k_max and hover tooltips.

use super::analysis::{Analysis, BASELINE};
use super::data::Folder;
use super::fmt;
use super::palette::CONTESTANTS;
use super::tables::machine_lines;
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

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>k-means contest dashboard</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px 24px; color: #222; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 22px 0 8px; }
.sub { color: #666; margin-bottom: 10px; }
.controls { display: flex; flex-wrap: wrap; gap: 18px; align-items: center; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; position: sticky; top: 0; z-index: 2; }
.controls label { cursor: pointer; white-space: nowrap; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin: 0 4px -1px 2px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
.panel { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .title { font-size: 13px; font-weight: 600; }
svg .axis { stroke: #999; }
svg .gridline { stroke: #eee; }
svg .pt:hover, svg .cellbox:hover { stroke: #000; stroke-width: 2; }
table { border-collapse: collapse; background: #fff; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child, td.text { text-align: left; }
#tip { position: fixed; pointer-events: none; background: rgba(20,20,20,.92); color: #fff; padding: 6px 9px; border-radius: 4px; font-size: 12px; white-space: pre; display: none; z-index: 10; }
.empty { color: #888; padding: 20px; }
</style>
</head>
<body>
<h1 id="heading">k-means contest</h1>
<div class="sub" id="machine"></div>
<div class="controls" id="controls">
  <div id="who"></div>
  <label>d <select id="fd"></select></label>
  <label>k_max <select id="fk"></select></label>
  <label>metric <select id="metric">
    <option value="wall">wall time (s)</option>
    <option value="speedup">paired speedup vs numpy</option>
    <option value="rss">peak RSS, sampled (MB)</option>
    <option value="ari">ARI</option>
  </select></label>
</div>
<h2>At a glance</h2>
<div id="glance"></div>
<h2>Fastest of the selected contestants per cell</h2>
<div class="panel" id="winners"></div>
<h2 id="metric-title">Metric vs n</h2>
<div class="grid" id="facets"></div>
<div id="threads-block"><h2>Thread scaling (speedup over 1 thread)</h2><div class="grid" id="threads"></div></div>
<h2>Failed and wrong runs</h2>
<div id="problems"></div>
<div id="tip"></div>
<script id="data" type="application/json">/*DATA*/</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
const state = { who: new Set(D.contestants), d: "all", k: "all", metric: "wall" };

function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function h(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function fmtN(n) { return n >= 1e6 && n % 1e5 === 0 ? (n / 1e6) + "M" : n >= 1000 && n % 1000 === 0 ? (n / 1000) + "k" : String(n); }
function fmtS(x) { if (x == null || !isFinite(x)) return "–"; const a = Math.abs(x); return (a < 0.1 ? x.toFixed(4) : a < 10 ? x.toFixed(3) : a < 100 ? x.toFixed(2) : x.toFixed(1)) + " s"; }
function fmtX(x) { if (x == null || !isFinite(x)) return "–"; return (Math.abs(x) < 1 ? x.toFixed(3) : x.toFixed(2)) + "x"; }
function fmtV(m, x) { if (x == null || !isFinite(x)) return "–"; if (m === "wall") return fmtS(x); if (m === "speedup") return fmtX(x); if (m === "rss") return x.toFixed(1) + " MB"; return x.toFixed(4); }
function num(x, d) { return x == null || !isFinite(x) ? "–" : x.toFixed(d); }

function ticksLog(lo, hi) {
  const out = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const m of [1, 2, 5]) { const v = m * Math.pow(10, p); if (v >= lo && v <= hi) out.push(v); }
  }
  return out.length >= 2 ? out : [lo, hi];
}
function ticksLin(lo, hi) {
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) || 1)));
  const s = (hi - lo) / step > 5 ? step * 2 : (hi - lo) / step < 2 ? step / 5 : step;
  const out = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-12; v += s) out.push(+v.toFixed(10));
  return out;
}
function shortNum(v) { const a = Math.abs(v); return a >= 1000 ? fmtN(Math.round(v)) : a >= 1 ? String(+v.toPrecision(3)) : String(+v.toPrecision(2)); }

// A chart frame: returns {svg, x, y} with scales; log or linear per axis.
function frame(parent, w, hgt, title, xs, ys, xlog, ylog, xlabel, ylabel, xfmt, xint) {
  const m = { l: 56, r: 12, t: 24, b: 38 };
  const svg = el("svg", { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: "img" }, parent);
  el("text", { x: m.l, y: 15, class: "title" }, svg, title);
  const pad = (lo, hi, log) => {
    if (!(lo < hi)) { if (log) { lo = lo / 1.5; hi = hi * 1.5; } else { lo = lo - 0.5; hi = hi + 0.5; } }
    return log ? [lo / 1.2, hi * 1.2] : [lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05];
  };
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs), xlog);
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys), ylog);
  const sc = (lo, hi, a, b, log) => log
    ? v => a + (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (b - a)
    : v => a + (v - lo) / (hi - lo) * (b - a);
  const x = sc(x0, x1, m.l, w - m.r, xlog), y = sc(y0, y1, hgt - m.b, m.t, ylog);
  let xt = xlog ? ticksLog(x0, x1) : ticksLin(x0, x1);
  if (xint && xt.filter(Number.isInteger).length >= 2) xt = xt.filter(Number.isInteger);
  for (const t of xt) {
    el("line", { x1: x(t), x2: x(t), y1: m.t, y2: hgt - m.b, class: "gridline" }, svg);
    el("text", { x: x(t), y: hgt - m.b + 14, "text-anchor": "middle" }, svg, (xfmt || shortNum)(t));
  }
  for (const t of (ylog ? ticksLog(y0, y1) : ticksLin(y0, y1))) {
    el("line", { x1: m.l, x2: w - m.r, y1: y(t), y2: y(t), class: "gridline" }, svg);
    el("text", { x: m.l - 5, y: y(t) + 4, "text-anchor": "end" }, svg, shortNum(t));
  }
  el("line", { x1: m.l, x2: w - m.r, y1: hgt - m.b, y2: hgt - m.b, class: "axis" }, svg);
  el("line", { x1: m.l, x2: m.l, y1: m.t, y2: hgt - m.b, class: "axis" }, svg);
  el("text", { x: (m.l + w - m.r) / 2, y: hgt - 6, "text-anchor": "middle" }, svg, xlabel);
  el("text", { x: 12, y: (m.t + hgt - m.b) / 2, transform: `rotate(-90 12 ${(m.t + hgt - m.b) / 2})`, "text-anchor": "middle" }, svg, ylabel);
  return { svg, x, y, x0, x1, y0, y1 };
}

function facetsShown() {
  const out = [];
  for (const k of D.ks) for (const d of D.ds) {
    if ((state.d === "all" || +state.d === d) && (state.k === "all" || +state.k === k)) out.push([d, k]);
  }
  return out;
}
function metricOf(cell) {
  if (state.metric === "wall") return cell.wall;
  if (state.metric === "rss") return cell.rss;
  if (state.metric === "ari") return cell.ari;
  return cell.speedup == null ? null : [cell.speedup, cell.speedup, cell.speedup];
}
function tipOf(c) {
  const w = c.wall ? `${fmtS(c.wall[0])} (${fmtS(c.wall[1])} – ${fmtS(c.wall[2])})` : "no ok run";
  return `${c.c}\nn=${fmtN(c.n)}  d=${c.d}  k_max=${c.k}\nwall: ${w}\nok repeats: ${c.ok} / ${c.runs}` +
    `\nspeedup vs numpy: ${fmtX(c.speedup)}\npeak RSS: ${c.rss ? c.rss[0].toFixed(1) + " MB" : "–"}\nARI: ${c.ari ? c.ari[0].toFixed(4) : "–"}`;
}

function drawFacets() {
  const box = document.getElementById("facets");
  box.replaceChildren();
  const labels = { wall: "wall time (s)", speedup: "speedup vs numpy (x)", rss: "peak RSS (MB)", ari: "ARI" };
  document.getElementById("metric-title").textContent = labels[state.metric] + " vs n, per (d, k_max)";
  const who = D.contestants.filter(c => state.who.has(c) && !(state.metric === "speedup" && c === D.baseline));
  const cells = D.cells.filter(c => who.includes(c.c) && metricOf(c));
  if (!cells.length) { h("div", { class: "empty" }, box, "Nothing to draw for this selection."); return; }
  const ylog = state.metric !== "ari";
  const ys = cells.flatMap(c => metricOf(c)).filter(v => isFinite(v) && (!ylog || v > 0));
  if (state.metric === "speedup") ys.push(1);
  for (const [d, k] of facetsShown()) {
    const panel = h("div", { class: "panel" }, box);
    const mine = cells.filter(c => c.d === d && c.k === k);
    const f = frame(panel, 420, 290, `d = ${d}, k_max = ${k}`, D.ns, ys, true, ylog, "n (rows)", labels[state.metric], fmtN);
    if (state.metric === "speedup") el("line", { x1: f.x(f.x0), x2: f.x(f.x1), y1: f.y(1), y2: f.y(1), stroke: "#888", "stroke-dasharray": "4 3" }, f.svg);
    for (const name of who) {
      const pts = mine.filter(c => c.c === name).sort((a, b) => a.n - b.n);
      if (!pts.length) continue;
      const col = D.colors[name];
      el("polyline", { points: pts.map(c => `${f.x(c.n)},${f.y(metricOf(c)[0])}`).join(" "), fill: "none", stroke: col, "stroke-width": 2 }, f.svg);
      for (const c of pts) {
        const v = metricOf(c);
        if (v[2] > v[1]) el("line", { x1: f.x(c.n), x2: f.x(c.n), y1: f.y(v[1]), y2: f.y(v[2]), stroke: col, "stroke-width": 1 }, f.svg);
        el("circle", { cx: f.x(c.n), cy: f.y(v[0]), r: 4, fill: col, class: "pt", "data-tip": tipOf(c) }, f.svg);
      }
    }
  }
}

function drawWinners() {
  const box = document.getElementById("winners");
  box.replaceChildren();
  const who = D.contestants.filter(c => state.who.has(c));
  const rows = facetsShown();
  if (!who.length || !rows.length) { h("div", { class: "empty" }, box, "Select at least one contestant."); return; }
  const cw = 78, ch = 30, left = 120, top = 46;
  const svg = el("svg", { width: left + cw * D.ns.length + 10, height: top + ch * rows.length + 10 }, box);
  let lx = 0;
  for (const name of who) {
    el("rect", { x: lx, y: 2, width: 12, height: 12, fill: D.colors[name] }, svg);
    el("text", { x: lx + 16, y: 12 }, svg, name);
    lx += 30 + 7 * name.length;
  }
  D.ns.forEach((n, j) => el("text", { x: left + j * cw + cw / 2, y: top - 8, "text-anchor": "middle" }, svg, "n=" + fmtN(n)));
  rows.forEach(([d, k], i) => {
    const y = top + i * ch;
    el("text", { x: 4, y: y + ch / 2 + 4 }, svg, `d=${d}, k_max=${k}`);
    D.ns.forEach((n, j) => {
      const here = D.cells.filter(c => c.n === n && c.d === d && c.k === k && who.includes(c.c) && c.wall).sort((a, b) => a.wall[0] - b.wall[0]);
      const x = left + j * cw;
      if (!here.length) {
        el("rect", { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, fill: "#e6e6e6", class: "cellbox", "data-tip": `n=${fmtN(n)} d=${d} k_max=${k}\nno ok run among the selected` }, svg);
        return;
      }
      const lead = here.length > 1 ? here[1].wall[0] / here[0].wall[0] : null;
      const tip = `n=${fmtN(n)}  d=${d}  k_max=${k}\n` + here.map(c => `${c.c}: ${fmtS(c.wall[0])}`).join("\n");
      el("rect", { x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, fill: D.colors[here[0].c], class: "cellbox", "data-tip": tip }, svg);
      const t = el("text", { x: x + cw / 2, y: y + ch / 2 + 4, "text-anchor": "middle", "pointer-events": "none" }, svg, lead ? fmtX(lead) : "only");
      t.style.fill = "#fff";
    });
  });
}

function drawThreads() {
  const block = document.getElementById("threads-block");
  const box = document.getElementById("threads");
  box.replaceChildren();
  if (!D.sweep.length) { block.style.display = "none"; return; }
  block.style.display = "";
  const names = [...new Set(D.sweep.map(s => s.c))].filter(c => state.who.has(c) || !D.contestants.includes(c));
  for (const name of names) {
    const rows = D.sweep.filter(s => s.c === name && (state.d === "all" || s.d === +state.d) && (state.k === "all" || s.k === +state.k));
    const keys = [...new Set(rows.map(s => `${s.n}|${s.d}|${s.k}`))];
    const series = keys.map(key => {
      const pts = rows.filter(s => `${s.n}|${s.d}|${s.k}` === key).sort((a, b) => a.t - b.t);
      const one = pts.find(p => p.t === 1);
      return one ? pts.map(p => ({ ...p, sp: one.wall / p.wall })) : [];
    }).filter(s => s.length);
    if (!series.length) continue;
    const panel = h("div", { class: "panel" }, box);
    const ts = series.flat().map(p => p.t), sps = series.flat().map(p => p.sp).concat([0, 1]);
    const f = frame(panel, 440, 290, name, ts.concat([1]), sps, false, false, "threads", "speedup over 1 thread", undefined, true);
    el("line", { x1: f.x(1), y1: f.y(1), x2: f.x(Math.min(f.x1, f.y1)), y2: f.y(Math.min(f.x1, f.y1)), stroke: "#bbb" }, f.svg);
    series.forEach((pts, i) => {
      const op = 1 - 0.6 * i / series.length;
      el("polyline", { points: pts.map(p => `${f.x(p.t)},${f.y(p.sp)}`).join(" "), fill: "none", stroke: D.colors[name], "stroke-opacity": op, "stroke-width": 2 }, f.svg);
      for (const p of pts) el("circle", { cx: f.x(p.t), cy: f.y(p.sp), r: 4, fill: D.colors[name], "fill-opacity": op, class: "pt", "data-tip": `${name}\nn=${fmtN(p.n)} d=${p.d} k_max=${p.k}\n${p.t} threads: ${fmtS(p.wall)}\nspeedup over 1 thread: ${fmtX(p.sp)}` }, f.svg);
    });
  }
}

function drawTables() {
  const g = document.getElementById("glance");
  g.replaceChildren();
  const t = h("table", {}, g);
  const hr = h("tr", {}, t);
  for (const c of ["contestant", "ok / runs", "median wall", "paired speedup vs numpy", "geo-mean", "RSS / 1k rows", "median ARI", "worst ARI"]) h("th", {}, hr, c);
  for (const r of D.glance.filter(r => state.who.has(r.c))) {
    const tr = h("tr", {}, t);
    const td = h("td", {}, tr);
    h("span", { class: "swatch", style: `background:${D.colors[r.c]}` }, td);
    td.appendChild(document.createTextNode(r.c));
    for (const v of [`${r.ok} / ${r.runs}`, fmtS(r.wall), r.c === D.baseline ? "1.00x (baseline)" : fmtX(r.speedup) + (r.cells ? ` (${r.cells} cells)` : ""), fmtX(r.geomean), r.rss1k == null ? "–" : r.rss1k.toFixed(2) + " MB", num(r.ari, 3), num(r.worst_ari, 3)]) h("td", {}, tr, v);
  }
  const p = document.getElementById("problems");
  p.replaceChildren();
  const probs = D.problems.filter(r => state.who.has(r.c));
  if (!probs.length) { h("div", { class: "empty" }, p, "None among the selected contestants."); return; }
  const pt = h("table", {}, p);
  const ph = h("tr", {}, pt);
  for (const c of ["contestant", "n", "d", "k_max", "repeat", "threads", "status", "exit", "wall", "reason"]) h("th", {}, ph, c);
  for (const r of probs) {
    const tr = h("tr", {}, pt);
    for (const v of [r.c, fmtN(r.n), r.d, r.k, r.r, r.t == null ? "–" : r.t, r.st, r.exit == null ? "–" : r.exit, fmtS(r.wall)]) h("td", {}, tr, String(v));
    h("td", { class: "text" }, tr, r.reason);
  }
}

function redraw() { drawTables(); drawWinners(); drawFacets(); drawThreads(); }

function setup() {
  document.getElementById("heading").textContent = "k-means contest: " + D.machine;
  document.title = "k-means contest: " + D.machine;
  document.getElementById("machine").textContent = D.machine_lines.filter(l => ["CPU", "cores", "memory", "OS", "source"].includes(l[0])).map(l => `${l[0]}: ${l[1]}`).join(" · ");
  const who = document.getElementById("who");
  for (const c of D.contestants) {
    const lab = h("label", {}, who);
    const cb = h("input", { type: "checkbox", value: c }, lab);
    cb.checked = true;
    cb.addEventListener("change", () => { cb.checked ? state.who.add(c) : state.who.delete(c); redraw(); });
    h("span", { class: "swatch", style: `background:${D.colors[c]}` }, lab);
    lab.appendChild(document.createTextNode(c + "  "));
  }
  for (const [id, vals, key] of [["fd", D.ds, "d"], ["fk", D.ks, "k"]]) {
    const s = document.getElementById(id);
    h("option", { value: "all" }, s, "all");
    for (const v of vals) h("option", { value: String(v) }, s, String(v));
    s.addEventListener("change", () => { state[key] = s.value; redraw(); });
  }
  const m = document.getElementById("metric");
  if (!D.baseline) m.querySelector('option[value="speedup"]').disabled = true;
  m.addEventListener("change", () => { state.metric = m.value; redraw(); });
  const tip = document.getElementById("tip");
  document.addEventListener("mousemove", e => {
    const t = e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!t) { tip.style.display = "none"; return; }
    tip.textContent = t.getAttribute("data-tip");
    tip.style.display = "block";
    const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(e.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  });
  redraw();
}
setup();
</script>
</body>
</html>
"##;
