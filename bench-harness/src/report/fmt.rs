//! Number formatting and Markdown tables shared by the report, README section and compare.

use std::fmt::Write;

/// Seconds with about three significant digits: `0.0291 s`, `0.201 s`, `4.13 s`, `15.4 s`.
pub fn secs(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a < 0.1 {
        format!("{x:.4} s")
    } else if a < 10.0 {
        format!("{x:.3} s")
    } else if a < 100.0 {
        format!("{x:.2} s")
    } else {
        format!("{x:.1} s")
    }
}

/// Plain seconds without the unit (for compact cells).
pub fn secs_bare(x: f64) -> String {
    let s = secs(x);
    s.trim_end_matches(" s").to_string()
}

/// A ratio as `4.52x` (three significant digits below 1: `0.443x`).
pub fn ratio(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x.abs() < 1.0 {
        format!("{x:.3}x")
    } else if x.abs() < 100.0 {
        format!("{x:.2}x")
    } else {
        format!("{x:.0}x")
    }
}

/// `x` with `d` decimals, or a dash.
pub fn num(x: Option<f64>, d: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.d$}"),
        _ => "–".into(),
    }
}

/// Row counts as the seed writes them: `1k`, `256k`, `1.5M`, `600`.
pub fn n(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(100_000) {
        let m = n as f64 / 1e6;
        if n.is_multiple_of(1_000_000) {
            format!("{m:.0}M")
        } else {
            format!("{m:.1}M")
        }
    } else if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Text safe inside a Markdown table cell: no pipes, no newlines, at most `max` chars.
pub fn cell_text(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut out: String = flat.chars().take(max).collect();
    if flat.chars().count() > max {
        out.push('…');
    }
    out.replace('|', "\\|")
}

/// A Markdown table: header, alignment (`true` = right-aligned) and rows.
pub fn table(header: &[String], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    out.push('|');
    for h in header {
        let _ = write!(out, " {h} |");
    }
    out.push_str("\n|");
    for i in 0..header.len() {
        out.push_str(if right.get(i).copied().unwrap_or(false) {
            "---:|"
        } else {
            "---|"
        });
    }
    out.push('\n');
    for r in rows {
        out.push('|');
        for c in r {
            let _ = write!(out, " {c} |");
        }
        out.push('\n');
    }
    out
}

/// Header helper: `&[&str]` to owned strings.
pub fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// A duration with three significant digits in ns, µs, ms or s.
pub fn duration(s: f64) -> String {
    let (v, unit) = unit_of(s);
    format!("{} {unit}", sig3(s / v))
}

pub(crate) fn unit_of(s: f64) -> (f64, &'static str) {
    let a = s.abs();
    if a < 1e-6 {
        (1e-9, "ns")
    } else if a < 1e-3 {
        (1e-6, "µs")
    } else if a < 1.0 {
        (1e-3, "ms")
    } else {
        (1.0, "s")
    }
}

/// Three significant digits (no exponent): `0.123`, `4.56`, `78.9`, `123`, `4560`.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// An integer with thousands separators: `2,361,723`.
pub fn thousands(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(secs(0.0291), "0.0291 s");
        assert_eq!(secs(0.201), "0.201 s");
        assert_eq!(secs(15.36), "15.36 s");
        assert_eq!(ratio(0.4433), "0.443x");
        assert_eq!(ratio(4.5), "4.50x");
        assert_eq!(n(256_000), "256k");
        assert_eq!(n(600), "600");
        assert_eq!(n(1_500_000), "1.5M");
        assert_eq!(cell_text("a|b\nc", 10), "a\\|b c");
    }

    #[test]
    fn durations_and_counts() {
        assert_eq!(duration(0.00123), "1.23 ms");
        assert_eq!(duration(4.5e-7), "450 ns");
        assert_eq!(duration(2.5e-5), "25.0 µs");
        assert_eq!(duration(3.0), "3.00 s");
        assert_eq!(thousands(2_361_723), "2,361,723");
        assert_eq!(thousands(723), "723");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(sig3(0.5243), "0.524");
    }
}
