//! External clustering scores, computed exactly as scikit-learn 1.x does:
//! `adjusted_rand_score` (pair-counting form) and `normalized_mutual_info_score` with its
//! default arithmetic normalisation, natural logarithms and the same special cases.

use std::collections::HashMap;

/// Contingency table of two labelings of the same rows: `table[i][j]` counts rows with
/// the i-th distinct value of `a` and the j-th distinct value of `b`.
pub struct Contingency {
    /// Counts per (true class, predicted cluster).
    pub table: Vec<Vec<u64>>,
    /// Row sums (true class sizes).
    pub rows: Vec<u64>,
    /// Column sums (cluster sizes).
    pub cols: Vec<u64>,
    /// Total count.
    pub n: u64,
}

impl Contingency {
    /// Builds the table; panics if the lengths differ (callers check first).
    pub fn new(a: &[i64], b: &[i64]) -> Self {
        assert_eq!(a.len(), b.len(), "labelings of different lengths");
        let ia = index(a);
        let ib = index(b);
        let (ra, rb) = (ia.1, ib.1);
        let mut table = vec![vec![0u64; rb]; ra];
        for (&x, &y) in ia.0.iter().zip(&ib.0) {
            table[x][y] += 1;
        }
        let rows = table.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..rb).map(|j| table.iter().map(|r| r[j]).sum()).collect();
        Self {
            table,
            rows,
            cols,
            n: a.len() as u64,
        }
    }
}

/// Dense indices of the distinct values (in order of the sorted values, as `np.unique`).
fn index(xs: &[i64]) -> (Vec<usize>, usize) {
    let mut distinct: Vec<i64> = xs.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let map: HashMap<i64, usize> = distinct.iter().enumerate().map(|(i, &v)| (v, i)).collect();
    (xs.iter().map(|v| map[v]).collect(), distinct.len())
}

/// Adjusted Rand index (Hubert & Arabie), as `sklearn.metrics.adjusted_rand_score`.
/// Exact integer pair counts (i128), one final division.
pub fn adjusted_rand_index(truth: &[i64], pred: &[i64]) -> f64 {
    let c = Contingency::new(truth, pred);
    let n = c.n as i128;
    let sum_squares: i128 = c
        .table
        .iter()
        .flatten()
        .map(|&x| (x as i128) * (x as i128))
        .sum();
    let rows_sq: i128 = c.rows.iter().map(|&x| (x as i128) * (x as i128)).sum();
    let cols_sq: i128 = c.cols.iter().map(|&x| (x as i128) * (x as i128)).sum();
    // Pair confusion matrix (ordered pairs), as sklearn.metrics.pair_confusion_matrix.
    let tp = sum_squares - n;
    let fp = cols_sq - sum_squares; // same cluster in pred, different in truth
    let fn_ = rows_sq - sum_squares; // same class in truth, different in pred
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return 1.0;
    }
    let num = 2 * (tp * tn - fn_ * fp);
    let den = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    num as f64 / den as f64
}

fn entropy(counts: &[u64], n: u64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let n = n as f64;
    // scipy.stats.entropy-free form used by sklearn: -sum p log p with p = c / n.
    let logn = n.ln();
    -counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let c = c as f64;
            (c / n) * (c.ln() - logn)
        })
        .sum::<f64>()
}

/// Mutual information in nats, as `sklearn.metrics.mutual_info_score` (per-cell terms
/// below machine epsilon zeroed, the sum clipped at 0).
pub fn mutual_info(c: &Contingency) -> f64 {
    if c.rows.len() <= 1 || c.cols.len() <= 1 {
        return 0.0;
    }
    let total = c.n as f64;
    let log_total = total.ln();
    let mut mi = 0.0;
    for (i, row) in c.table.iter().enumerate() {
        for (j, &nij) in row.iter().enumerate() {
            if nij == 0 {
                continue;
            }
            let p = nij as f64 / total;
            let outer = (c.rows[i] as f64) * (c.cols[j] as f64);
            let log_outer = -outer.ln() + log_total + log_total;
            let term = p * ((nij as f64).ln() - log_total) + p * log_outer;
            if term.abs() >= f64::EPSILON {
                mi += term;
            }
        }
    }
    mi.max(0.0)
}

/// Normalised mutual information with the arithmetic mean of the entropies, as
/// `sklearn.metrics.normalized_mutual_info_score(average_method="arithmetic")`.
pub fn normalized_mutual_info(truth: &[i64], pred: &[i64]) -> f64 {
    let c = Contingency::new(truth, pred);
    if c.rows.len() == c.cols.len() && (c.rows.len() <= 1) {
        return 1.0;
    }
    let mi = mutual_info(&c);
    if mi.abs() < f64::EPSILON {
        return 0.0;
    }
    let h_true = entropy(&c.rows, c.n);
    let h_pred = entropy(&c.cols, c.n);
    mi / ((h_true + h_pred) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_and_permuted_labelings_score_one() {
        let a = [0, 0, 1, 1, 2, 2, 2];
        let b = [5, 5, 3, 3, 9, 9, 9];
        assert_eq!(adjusted_rand_index(&a, &b), 1.0);
        assert!((normalized_mutual_info(&a, &b) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn known_values_from_sklearn() {
        // sklearn 1.9: adjusted_rand_score([0,0,1,1],[0,0,1,2]) == 0.5714285714285715
        let ari = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((ari - 0.5714285714285715).abs() < 1e-15, "{ari}");
        // adjusted_rand_score([0,0,1,1],[0,1,0,1]) == -0.5
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) + 0.5).abs() < 1e-15);
        // normalized_mutual_info_score([0,0,1,1],[0,0,1,2]) == 0.8
        let nmi = normalized_mutual_info(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((nmi - 0.8).abs() < 1e-12, "{nmi}");
        // Independent labelings give NMI 0.
        assert_eq!(normalized_mutual_info(&[0, 0, 1, 1], &[0, 1, 0, 1]), 0.0);
    }

    #[test]
    fn special_cases() {
        // One cluster each: a perfect match by convention.
        assert_eq!(normalized_mutual_info(&[1, 1, 1], &[4, 4, 4]), 1.0);
        assert_eq!(adjusted_rand_index(&[1, 1, 1], &[4, 4, 4]), 1.0);
        // One cluster against many: no information.
        assert_eq!(normalized_mutual_info(&[0, 0, 0, 0], &[0, 1, 2, 3]), 0.0);
        assert_eq!(adjusted_rand_index(&[0, 0, 0, 0], &[0, 1, 2, 3]), 0.0);
        assert_eq!(adjusted_rand_index(&[], &[]), 1.0);
    }

    #[test]
    fn large_counts_do_not_overflow() {
        let n = 3_000_000usize;
        let a: Vec<i64> = (0..n).map(|i| (i % 7) as i64).collect();
        let b: Vec<i64> = (0..n).map(|i| ((i / 3) % 5) as i64).collect();
        let ari = adjusted_rand_index(&a, &b);
        assert!(ari.is_finite() && ari.abs() < 0.01, "{ari}");
        assert_eq!(adjusted_rand_index(&a, &a), 1.0);
    }
}
