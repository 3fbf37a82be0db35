//! Checking a contestant's answer: read its output CSV (`ID,feature_1..d,cluster_1..K`),
//! take the `cluster_<k>` column, and score it against the ground truth.
//!
//! A run is `wrong` (not merely a poor local optimum) when its rows are not the input's
//! rows in order, a label is outside `0..k`, the ARI is below [`WRONG_ARI_BELOW`], or the
//! labelling is not a Lloyd fixed point: more than [`MAX_OFF_NEAREST`] of the rows are
//! closer to another cluster's mean than to their own. Plain k-means++ legitimately
//! lands in local optima (the seed's published runs go down to ARI 0.834 with k = 8; one
//! merged and one split blob at k = 4 gives 0.63), so an ARI threshold of 0.9 would flag
//! correct implementations; the fixed-point test catches broken ones instead.

use crate::gen;
use crate::metrics;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// ARI under which an answer is flagged wrong.
pub const WRONG_ARI_BELOW: f64 = 0.5;
/// Largest fraction of rows allowed off their nearest cluster mean (Lloyd fixed point,
/// with slack for tolerance-based stopping).
pub const MAX_OFF_NEAREST: f64 = 0.01;

/// Scores of one answer, and the problems that make it wrong (empty when it is right).
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Adjusted Rand index against the true labels.
    pub ari: f64,
    /// Normalised mutual information against the true labels.
    pub nmi: f64,
    /// Within-cluster sum of squares of the labelling (centers = cluster means).
    pub inertia: f64,
    /// Fraction of rows nearer (beyond rounding) to another cluster's mean than to their own.
    pub off_nearest_frac: f64,
    /// Why the answer is wrong (empty when it passed every check).
    pub problems: Vec<String>,
}

/// Everything read from an output file.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The first row whose ID is not the input's ID of that row: (row, ID found).
    pub first_bad_id: Option<(usize, String)>,
    /// The `cluster_<k_max>` column, one label per row.
    pub labels: Vec<i64>,
    /// Row-major n × d features as echoed by the contestant.
    pub features: Vec<f64>,
    /// Feature count of the answer.
    pub d: usize,
}

/// Reads `cluster_<k>` and the feature columns from an output CSV, checking the IDs
/// against those [`gen`] writes for an `n`-row data set as it goes (no ID is kept, so
/// the harness stays small). Errors mean the output is unreadable (garbage), not that
/// the answer is wrong.
pub fn read_answer(path: &Path, n: usize, d: usize, k: usize) -> Result<Answer> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let header = rdr.byte_headers().context("reading the header")?.clone();
    let name = |i: usize| {
        String::from_utf8_lossy(header.get(i).unwrap_or_default())
            .trim()
            .to_string()
    };
    let want = format!("cluster_{k}");
    let col = (0..header.len())
        .find(|&i| name(i) == want)
        .with_context(|| format!("no `{want}` column in the header"))?;
    for j in 1..=d {
        if name(j) != format!("feature_{j}") {
            bail!("column {} is `{}`, expected `feature_{j}`", j + 1, name(j));
        }
    }
    let mut first_bad_id = None;
    let mut labels = Vec::with_capacity(n);
    let mut features = Vec::with_capacity(n * d);
    let mut expected_id = String::new();
    let mut rec = csv::ByteRecord::new();
    let mut line = 1u64;
    while rdr
        .read_byte_record(&mut rec)
        .with_context(|| format!("after line {line}"))?
    {
        line += 1;
        if rec.len() != header.len() {
            bail!(
                "line {line}: {} fields, header has {}",
                rec.len(),
                header.len()
            );
        }
        if first_bad_id.is_none() {
            let row = labels.len();
            expected_id.clear();
            expected_id.push_str(&gen::row_id(row, n));
            if rec[0] != *expected_id.as_bytes() {
                first_bad_id = Some((row, String::from_utf8_lossy(&rec[0]).into_owned()));
            }
        }
        for j in 1..=d {
            let v = parse_f64(&rec[j]).with_context(|| format!("line {line}, column {}", j + 1))?;
            features.push(v);
        }
        let raw = &rec[col];
        let label = parse_label(raw).with_context(|| {
            format!(
                "line {line}: label `{}` is not an integer",
                String::from_utf8_lossy(raw)
            )
        })?;
        labels.push(label);
    }
    if labels.is_empty() {
        bail!("no data rows");
    }
    Ok(Answer {
        first_bad_id,
        labels,
        features,
        d,
    })
}

fn parse_f64(b: &[u8]) -> Result<f64> {
    let s = std::str::from_utf8(b)?.trim();
    Ok(s.parse::<f64>()?)
}

fn parse_label(b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?.trim();
    s.parse::<i64>().ok().or_else(|| {
        let v: f64 = s.parse().ok()?;
        (v.fract() == 0.0 && v.abs() < 9e15).then_some(v as i64)
    })
}

/// Scores `answer` against `truth` for a data set of `n` rows generated by [`gen`].
pub fn judge(answer: &Answer, truth: &[i64], k: usize, check_ari: bool) -> Result<Verdict> {
    let n = truth.len();
    if answer.labels.len() != n {
        bail!("{} data rows, expected {n}", answer.labels.len());
    }
    let mut problems = Vec::new();
    if let Some((row, id)) = &answer.first_bad_id {
        problems.push(format!(
            "rows out of order: row {} has ID `{id}`, expected `{}`",
            row + 1,
            gen::row_id(*row, n)
        ));
    }
    if let Some(bad) = answer.labels.iter().find(|&&l| l < 0 || l as usize >= k) {
        problems.push(format!("label {bad} outside 0..{k}"));
    }
    let ari = metrics::adjusted_rand_index(truth, &answer.labels);
    let nmi = metrics::normalized_mutual_info(truth, &answer.labels);
    let (inertia, off) = inertia_and_off_nearest(answer);
    let off_nearest_frac = off as f64 / n as f64;
    if check_ari && ari < WRONG_ARI_BELOW {
        problems.push(format!("ARI {ari:.4} < {WRONG_ARI_BELOW}"));
    }
    if off_nearest_frac > MAX_OFF_NEAREST {
        problems.push(format!(
            "not a k-means fixed point: {off} rows ({:.2} %) are nearer another cluster's mean",
            100.0 * off_nearest_frac
        ));
    }
    Ok(Verdict {
        ari,
        nmi,
        inertia,
        off_nearest_frac,
        problems,
    })
}

/// Inertia of the labelling (sum of squared distances to each cluster's mean) and the
/// number of rows strictly nearer (beyond rounding) to another non-empty cluster's mean.
pub fn inertia_and_off_nearest(a: &Answer) -> (f64, usize) {
    let d = a.d;
    let mut index: Vec<i64> = a.labels.clone();
    index.sort_unstable();
    index.dedup();
    let slot = |l: i64| index.binary_search(&l).unwrap_or(0);
    let m = index.len();
    let mut sums = vec![0.0; m * d];
    let mut counts = vec![0usize; m];
    for (x, &l) in a.features.chunks_exact(d.max(1)).zip(&a.labels) {
        let s = slot(l);
        counts[s] += 1;
        for (acc, v) in sums[s * d..(s + 1) * d].iter_mut().zip(x) {
            *acc += v;
        }
    }
    let means: Vec<f64> = sums
        .chunks_exact(d.max(1))
        .zip(&counts)
        .flat_map(|(s, &c)| s.iter().map(move |v| v / c as f64))
        .collect();
    let dist2 = |x: &[f64], c: usize| -> f64 {
        x.iter()
            .zip(&means[c * d..(c + 1) * d])
            .map(|(a, b)| (a - b) * (a - b))
            .sum()
    };
    let mut inertia = 0.0;
    let mut off = 0;
    for (x, &l) in a.features.chunks_exact(d.max(1)).zip(&a.labels) {
        let own = dist2(x, slot(l));
        inertia += own;
        let best = (0..m).map(|c| dist2(x, c)).fold(f64::INFINITY, f64::min);
        if own > best * (1.0 + 1e-9) + 1e-12 {
            off += 1;
        }
    }
    (inertia, off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(labels: Vec<i64>, features: Vec<f64>) -> Answer {
        Answer {
            first_bad_id: None,
            labels,
            d: 1,
            features,
        }
    }

    #[test]
    fn inertia_of_a_labelling() {
        let a = answer(vec![0, 0, 1, 1], vec![0.0, 2.0, 10.0, 14.0]);
        let (inertia, off) = inertia_and_off_nearest(&a);
        assert_eq!(inertia, 1.0 + 1.0 + 4.0 + 4.0);
        assert_eq!(off, 0);
        let v = judge(&a, &[0, 0, 1, 1], 2, true).unwrap();
        assert!(v.problems.is_empty() && v.ari == 1.0);
    }

    #[test]
    fn flags_broken_answers() {
        // Point 2.0 is labelled with the far cluster: not a fixed point.
        let a = answer(vec![0, 1, 1, 1], vec![0.0, 1.0, 10.0, 14.0]);
        let v = judge(&a, &[0, 0, 1, 1], 2, true).unwrap();
        assert!(
            v.problems.iter().any(|p| p.contains("fixed point")),
            "{:?}",
            v.problems
        );
        let mut b = answer(vec![0, 0, 1, 1], vec![0.0, 2.0, 10.0, 14.0]);
        b.first_bad_id = Some((0, "p000001".into()));
        let v = judge(&b, &[0, 0, 1, 1], 2, true).unwrap();
        assert!(v.problems.iter().any(|p| p.contains("out of order")));
        let c = answer(vec![0, 0, 5, 5], vec![0.0, 2.0, 10.0, 14.0]);
        assert!(!judge(&c, &[0, 0, 1, 1], 2, true)
            .unwrap()
            .problems
            .is_empty());
        assert!(judge(&c, &[0, 0, 1], 2, true).is_err());
    }

    #[test]
    fn labels_as_floats_are_accepted() {
        assert_eq!(parse_label(b"3"), Some(3));
        assert_eq!(parse_label(b"3.0"), Some(3));
        assert_eq!(parse_label(b"3.5"), None);
        assert_eq!(parse_label(b"x"), None);
    }
}
