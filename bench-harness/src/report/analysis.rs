//! Everything the report shows, computed once from the runs: per-cell spreads, the
//! at-a-glance line of each contestant, paired ratios, crossovers, slopes, thread sweep.
//!
//! Definitions (repeated in REPORT.md):
//! - a *cell* is one data-set configuration (shape, n, d, k_max); its repeats (different
//!   seeds) are the samples. A contestant's *cell time* is the median wall time of its
//!   `ok` repeats in that cell.
//! - *paired speedup vs numpy* of a contestant: for every cell where both have a cell
//!   time, `numpy cell time / contestant cell time`; the median over those cells.
//! - *geometric-mean speedup*: the geometric mean of the same per-cell ratios.

use super::data::{Cell, Run, FAILED, OK, WRONG};
use crate::stats::{self, Fit, Spread};
use std::collections::{BTreeMap, BTreeSet};

/// The baseline of every speedup.
pub const BASELINE: &str = "numpy";

/// The same NumPy program with glibc's malloc told to keep its memory
/// (perf-reports/BIAS.md): the second baseline, so no speedup rests on an allocator accident.
pub const TUNED_BASELINE: &str = "numpy-tuned";

/// One contestant in one cell.
#[derive(Clone, Debug)]
pub struct CellStats {
    /// Runs of the cell.
    pub runs: usize,
    /// `ok` runs of the cell.
    pub ok: usize,
    /// Wall time of the ok repeats.
    pub wall: Option<Spread>,
    /// Sampled peak RSS (MB) of the ok repeats.
    pub rss_mb: Option<Spread>,
    /// Kernel peak RSS (`ru_maxrss`, MB) of the ok repeats.
    pub max_rss_mb: Option<Spread>,
    /// ARI of every repeat that answered (ok and wrong).
    pub ari: Option<Spread>,
    /// Mean busy cores ((user + sys) / wall) of the ok repeats.
    pub cpu_util: Option<f64>,
}

/// The at-a-glance line of a contestant.
#[derive(Clone, Debug)]
pub struct Glance {
    /// The contestant.
    pub contestant: String,
    /// All its runs.
    pub runs: usize,
    /// Runs that ended `ok`.
    pub ok: usize,
    /// Runs that ended `wrong`.
    pub wrong: usize,
    /// Runs that ended `failed`.
    pub failed: usize,
    /// Runs with any other status.
    pub other: usize,
    /// Median wall time of the `ok` runs.
    pub median_wall_s: Option<f64>,
    /// Median over cells of numpy cell time / contestant cell time.
    pub paired_speedup: Option<f64>,
    /// Geometric mean of the per-cell ratios vs numpy.
    pub paired_geomean: Option<f64>,
    /// Cells paired with numpy.
    pub paired_cells: usize,
    /// Median over cells of numpy-tuned cell time / contestant cell time.
    pub paired_vs_tuned: Option<f64>,
    /// The seed's pairing: median over data sets (cell and repeat, i.e. the same seed)
    /// of numpy wall / contestant wall.
    pub paired_by_dataset: Option<f64>,
    /// Data sets paired with numpy.
    pub datasets_paired: usize,
    /// numpy's median wall over all its ok runs / this contestant's.
    pub ratio_of_medians: Option<f64>,
    /// Median sampled peak RSS per 1k rows, MB.
    pub rss_per_1k: Option<f64>,
    /// Median `ru_maxrss` per 1k rows, MB.
    pub max_rss_per_1k: Option<f64>,
    /// Median ARI of the runs that answered.
    pub median_ari: Option<f64>,
    /// Mean ARI of the runs that answered.
    pub mean_ari: Option<f64>,
    /// Lowest ARI of any answered run, with its run.
    pub worst_ari: Option<(f64, Run)>,
}

/// Wins and losses of `a` against `b` over the cells where both have a cell time.
#[derive(Clone, Debug)]
pub struct Pair {
    /// First contestant.
    pub a: String,
    /// Second contestant.
    pub b: String,
    /// Cells where `a` is faster.
    pub a_wins: Vec<Cell>,
    /// Cells where `b` is faster.
    pub b_wins: Vec<Cell>,
    /// Cells with equal times.
    pub ties: Vec<Cell>,
}

impl Pair {
    /// Cells where both have a time.
    pub fn cells(&self) -> usize {
        self.a_wins.len() + self.b_wins.len() + self.ties.len()
    }
}

/// Thread sweep of one contestant in one cell: wall spread per thread count.
pub type Sweep = BTreeMap<usize, Spread>;

/// The whole analysis of a results folder.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Contestants in table order.
    pub contestants: Vec<String>,
    /// Every cell of the grid, sorted.
    pub cells: Vec<Cell>,
    /// Row counts of the grid.
    pub ns: Vec<usize>,
    /// Feature counts of the grid.
    pub ds: Vec<usize>,
    /// k_max values of the grid.
    pub ks: Vec<usize>,
    /// Data shapes of the grid.
    pub shapes: Vec<String>,
    /// Spreads per contestant and cell.
    pub stats: BTreeMap<(String, Cell), CellStats>,
    /// The at-a-glance line of each contestant.
    pub glance: Vec<Glance>,
    /// Every pair of contestants, head to head.
    pub pairs: Vec<Pair>,
    /// Pooled log-log fit of wall time vs n (over the medians at each n).
    pub fits: Vec<(String, Option<Fit>)>,
    /// Log-log fit per (d, k_max) facet.
    pub facet_fits: BTreeMap<(String, usize, usize), Fit>,
    /// Runs that did not end `ok` (wrong, failed or another status).
    pub problems: Vec<Run>,
    /// Whether numpy has an `ok` run.
    pub has_baseline: bool,
    /// The thread sweep per contestant and cell.
    pub sweep: BTreeMap<(String, Cell), Sweep>,
    /// Thread counts of the sweep.
    pub sweep_threads: Vec<usize>,
    /// Runs of the sweep that did not end `ok`.
    pub sweep_problems: Vec<Run>,
}

impl Analysis {
    /// Computes everything from the runs (and the thread-sweep runs, if any).
    pub fn new(runs: &[Run], sweep_runs: Option<&[Run]>) -> Self {
        let contestants = super::data::contestant_order(runs.iter().map(|r| r.contestant.as_str()));
        let cells: BTreeSet<Cell> = runs.iter().map(Run::cell).collect();
        let cells: Vec<Cell> = cells.into_iter().collect();
        let uniq = |f: fn(&Cell) -> usize| -> Vec<usize> {
            let s: BTreeSet<usize> = cells.iter().map(f).collect();
            s.into_iter().collect()
        };
        let ns = uniq(|c| c.n);
        let ds = uniq(|c| c.d);
        let ks = uniq(|c| c.k_max);
        let shapes: BTreeSet<String> = cells.iter().map(|c| c.shape.clone()).collect();

        let mut grouped: BTreeMap<(String, Cell), Vec<&Run>> = BTreeMap::new();
        for r in runs {
            grouped
                .entry((r.contestant.clone(), r.cell()))
                .or_default()
                .push(r);
        }
        let stats: BTreeMap<(String, Cell), CellStats> = grouped
            .iter()
            .map(|(key, rs)| (key.clone(), cell_stats(rs)))
            .collect();

        let mut a = Self {
            contestants,
            cells,
            ns,
            ds,
            ks,
            shapes: shapes.into_iter().collect(),
            stats,
            glance: Vec::new(),
            pairs: Vec::new(),
            fits: Vec::new(),
            facet_fits: BTreeMap::new(),
            problems: runs.iter().filter(|r| r.status != OK).cloned().collect(),
            has_baseline: false,
            sweep: BTreeMap::new(),
            sweep_threads: Vec::new(),
            sweep_problems: Vec::new(),
        };
        a.has_baseline = a.contestants.iter().any(|c| c == BASELINE)
            && a.cells.iter().any(|c| a.cell_time(BASELINE, c).is_some());
        a.glance = a
            .contestants
            .iter()
            .map(|name| a.glance_of(name, runs))
            .collect();
        for (i, x) in a.contestants.iter().enumerate() {
            for y in &a.contestants[i + 1..] {
                a.pairs.push(a.pair(x, y));
            }
        }
        a.fits = a
            .contestants
            .iter()
            .map(|name| (name.clone(), a.pooled_fit(name, runs)))
            .collect();
        for name in &a.contestants {
            for &d in &a.ds {
                for &k in &a.ks {
                    let pts: Vec<(f64, f64)> = a
                        .cells
                        .iter()
                        .filter(|c| c.d == d && c.k_max == k)
                        .filter_map(|c| a.cell_time(name, c).map(|t| (c.n as f64, t)))
                        .collect();
                    if let Some(f) = stats::fit_loglog(&pts) {
                        a.facet_fits.insert((name.clone(), d, k), f);
                    }
                }
            }
        }
        if let Some(sr) = sweep_runs {
            let mut groups: BTreeMap<(String, Cell), BTreeMap<usize, Vec<f64>>> = BTreeMap::new();
            let mut threads = BTreeSet::new();
            for r in sr {
                let Some(t) = r.threads else { continue };
                threads.insert(t);
                if let (true, Some(w)) = (r.is_ok(), r.wall_s) {
                    groups
                        .entry((r.contestant.clone(), r.cell()))
                        .or_default()
                        .entry(t)
                        .or_default()
                        .push(w);
                }
            }
            a.sweep = groups
                .into_iter()
                .map(|(k, by_t)| {
                    let s = by_t
                        .into_iter()
                        .filter_map(|(t, v)| Spread::of(&v).map(|s| (t, s)))
                        .collect();
                    (k, s)
                })
                .collect();
            a.sweep_threads = threads.into_iter().collect();
            a.sweep_problems = sr.iter().filter(|r| r.status != OK).cloned().collect();
        }
        a
    }

    /// Median wall of the contestant's ok repeats in the cell.
    pub fn cell_time(&self, contestant: &str, cell: &Cell) -> Option<f64> {
        self.stats
            .get(&(contestant.to_string(), cell.clone()))
            .and_then(|s| s.wall.map(|w| w.median))
    }

    /// The statistics of a contestant in a cell, if it ran there.
    pub fn get(&self, contestant: &str, cell: &Cell) -> Option<&CellStats> {
        self.stats.get(&(contestant.to_string(), cell.clone()))
    }

    /// numpy cell time / contestant cell time.
    pub fn speedup(&self, contestant: &str, cell: &Cell) -> Option<f64> {
        let base = self.cell_time(BASELINE, cell)?;
        let mine = self.cell_time(contestant, cell)?;
        (mine > 0.0).then(|| base / mine)
    }

    /// The fastest contestant of a cell, with the runner-up's time over the winner's.
    pub fn winner(&self, cell: &Cell) -> Option<(String, Option<(String, f64)>)> {
        let mut times: Vec<(String, f64)> = self
            .contestants
            .iter()
            .filter_map(|c| self.cell_time(c, cell).map(|t| (c.clone(), t)))
            .collect();
        times.sort_by(|a, b| a.1.total_cmp(&b.1));
        let first = times.first()?.clone();
        let second = times
            .get(1)
            .map(|(name, t)| (name.clone(), t / first.1.max(f64::MIN_POSITIVE)));
        Some((first.0, second))
    }

    fn glance_of(&self, name: &str, runs: &[Run]) -> Glance {
        let mine: Vec<&Run> = runs.iter().filter(|r| r.contestant == name).collect();
        let ok: Vec<&Run> = mine.iter().copied().filter(|r| r.is_ok()).collect();
        let walls: Vec<f64> = ok.iter().filter_map(|r| r.wall_s).collect();
        let rss: Vec<f64> = ok.iter().filter_map(|r| r.rss_per_1k()).collect();
        let max_rss: Vec<f64> = ok.iter().filter_map(|r| r.max_rss_per_1k()).collect();
        let answered: Vec<&Run> = mine
            .iter()
            .copied()
            .filter(|r| (r.status == OK || r.status == WRONG) && r.ari.is_some_and(f64::is_finite))
            .collect();
        let aris: Vec<f64> = answered.iter().filter_map(|r| r.ari).collect();
        let worst_ari = answered
            .iter()
            .filter_map(|r| r.ari.map(|a| (a, (*r).clone())))
            .min_by(|x, y| x.0.total_cmp(&y.0));
        let ratios: Vec<f64> = self
            .cells
            .iter()
            .filter_map(|c| self.speedup(name, c))
            .collect();
        let tuned_ratios: Vec<f64> = self
            .cells
            .iter()
            .filter_map(|c| {
                let base = self.cell_time(TUNED_BASELINE, c)?;
                let mine = self.cell_time(name, c)?;
                (mine > 0.0).then(|| base / mine)
            })
            .collect();
        let base_walls: Vec<f64> = runs
            .iter()
            .filter(|r| r.contestant == BASELINE && r.is_ok())
            .filter_map(|r| r.wall_s)
            .collect();
        let by_dataset = |who: &str| -> BTreeMap<(Cell, u32), f64> {
            let mut m: BTreeMap<(Cell, u32), Vec<f64>> = BTreeMap::new();
            for r in runs.iter().filter(|r| r.contestant == who && r.is_ok()) {
                if let Some(w) = r.wall_s {
                    m.entry((r.cell(), r.repeat)).or_default().push(w);
                }
            }
            m.into_iter()
                .filter_map(|(k, v)| stats::median(&v).map(|x| (k, x)))
                .collect()
        };
        let base_ds = by_dataset(BASELINE);
        let ds_ratios: Vec<f64> = by_dataset(name)
            .iter()
            .filter_map(|(k, t)| base_ds.get(k).filter(|_| *t > 0.0).map(|b| b / t))
            .collect();
        let median_wall_s = stats::median(&walls);
        let ratio_of_medians = match (stats::median(&base_walls), median_wall_s) {
            (Some(b), Some(m)) if m > 0.0 => Some(b / m),
            _ => None,
        };
        Glance {
            contestant: name.to_string(),
            runs: mine.len(),
            ok: ok.len(),
            wrong: mine.iter().filter(|r| r.status == WRONG).count(),
            failed: mine.iter().filter(|r| r.status == FAILED).count(),
            other: mine
                .iter()
                .filter(|r| ![OK, WRONG, FAILED].contains(&r.status.as_str()))
                .count(),
            median_wall_s,
            paired_speedup: stats::median(&ratios),
            paired_geomean: stats::geomean(&ratios),
            paired_cells: ratios.len(),
            paired_vs_tuned: stats::median(&tuned_ratios),
            paired_by_dataset: stats::median(&ds_ratios),
            datasets_paired: ds_ratios.len(),
            ratio_of_medians,
            rss_per_1k: stats::median(&rss),
            max_rss_per_1k: stats::median(&max_rss),
            median_ari: stats::median(&aris),
            mean_ari: stats::mean(&aris),
            worst_ari,
        }
    }

    fn pair(&self, a: &str, b: &str) -> Pair {
        let mut p = Pair {
            a: a.to_string(),
            b: b.to_string(),
            a_wins: Vec::new(),
            b_wins: Vec::new(),
            ties: Vec::new(),
        };
        for c in &self.cells {
            if let (Some(ta), Some(tb)) = (self.cell_time(a, c), self.cell_time(b, c)) {
                if ta < tb {
                    p.a_wins.push(c.clone());
                } else if tb < ta {
                    p.b_wins.push(c.clone());
                } else {
                    p.ties.push(c.clone());
                }
            }
        }
        p
    }

    /// The seed's slope: for each n, the median wall of all the contestant's ok runs at
    /// that n (pooled over d and k_max); least squares of log10(median) on log10(n).
    fn pooled_fit(&self, name: &str, runs: &[Run]) -> Option<Fit> {
        let pts: Vec<(f64, f64)> = self
            .ns
            .iter()
            .filter_map(|&n| {
                let w: Vec<f64> = runs
                    .iter()
                    .filter(|r| r.contestant == name && r.n == n && r.is_ok())
                    .filter_map(|r| r.wall_s)
                    .collect();
                stats::median(&w).map(|m| (n as f64, m))
            })
            .collect();
        stats::fit_loglog(&pts)
    }

    /// Median over the cells at size `n` of the pooled per-cell values `f`.
    pub fn median_at_n(&self, n: usize, f: impl Fn(&Cell) -> Option<f64>) -> Option<f64> {
        let v: Vec<f64> = self
            .cells
            .iter()
            .filter(|c| c.n == n)
            .filter_map(f)
            .collect();
        stats::median(&v)
    }
}

fn cell_stats(rs: &[&Run]) -> CellStats {
    let ok: Vec<&&Run> = rs.iter().filter(|r| r.is_ok()).collect();
    let wall: Vec<f64> = ok.iter().filter_map(|r| r.wall_s).collect();
    let rss: Vec<f64> = ok.iter().filter_map(|r| r.peak_rss_mb_sampled).collect();
    let max_rss: Vec<f64> = ok.iter().filter_map(|r| r.max_rss_mb).collect();
    let ari: Vec<f64> = rs
        .iter()
        .filter(|r| r.status == OK || r.status == WRONG)
        .filter_map(|r| r.ari)
        .collect();
    let util: Vec<f64> = ok
        .iter()
        .filter_map(|r| match (r.user_s, r.sys_s, r.wall_s) {
            (Some(u), Some(s), Some(w)) if w > 0.0 => Some((u + s) / w),
            _ => None,
        })
        .collect();
    CellStats {
        runs: rs.len(),
        ok: ok.len(),
        wall: Spread::of(&wall),
        rss_mb: Spread::of(&rss),
        max_rss_mb: Spread::of(&max_rss),
        ari: Spread::of(&ari),
        cpu_util: stats::median(&util),
    }
}
