//! "Memory": `rss_vs_n.svg` and the peak-RSS-per-1k-rows table.

use super::scaling::faceted;
use crate::report::analysis::Analysis;
use crate::report::fmt::{self, strings, table};
use anyhow::Result;

/// Sampled peak RSS vs n, faceted like the wall-time figure.
pub fn rss_vs_n(a: &Analysis) -> Result<String> {
    faceted(
        a,
        "Peak RSS vs n (sampled every 10 ms)",
        "median of ok repeats per cell; whiskers: min–max of repeats; log-log",
        "peak RSS (MB)",
        &|name, cell| {
            a.get(name, cell)
                .and_then(|s| s.rss_mb)
                .map(|w| (w.median, w.min, w.max))
        },
    )
}

/// The "Memory" section.
pub(crate) fn section(a: &Analysis, has: &dyn Fn(&str) -> bool) -> String {
    let mut s = String::from("## Memory\n\n");
    if has("rss_vs_n.svg") {
        s.push_str("![Peak RSS vs n](figures/rss_vs_n.svg)\n\n");
    }
    let rows: Vec<Vec<String>> = a
        .glance
        .iter()
        .map(|g| {
            vec![
                format!("`{}`", g.contestant),
                fmt::num(g.rss_per_1k, 3),
                fmt::num(g.max_rss_per_1k, 3),
            ]
        })
        .collect();
    s.push_str(&table(
        &strings(&[
            "contestant",
            "sampled peak RSS / 1k rows (MB)",
            "ru_maxrss / 1k rows (MB)",
        ]),
        &[false, true, true],
        &rows,
    ));
    s.push_str("\nMedians over `ok` runs. *Sampled*: max VmRSS polled every 10 ms (the seed's method); *ru_maxrss*: the kernel's high-water mark from wait4, when recorded.\n\n");
    s
}
