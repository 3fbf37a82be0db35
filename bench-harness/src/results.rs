//! The results file: one CSV row per run, appended whole and fsynced, so an interrupted
//! harness leaves only complete rows; the keys of finished runs, for resuming.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Outcome of a run, as recorded in the `status` column.
pub mod status {
    /// Exited 0 with an answer that passed every check.
    pub const OK: &str = "ok";
    /// Exited 0 with a readable answer that failed a check (see `reason`).
    pub const WRONG: &str = "wrong";
    /// Timed out, crashed, exited non-zero, or wrote no/unreadable output.
    pub const FAILED: &str = "failed";
}

/// One row of `runs.csv` / `threads.csv`. Empty cells are `None`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Row {
    /// UTC start time of the run, RFC 3339.
    pub timestamp: String,
    /// Who ran.
    pub contestant: String,
    /// Data shape.
    pub shape: String,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Largest k of the sweep.
    pub k_max: usize,
    /// 1-based repeat index; repeat r uses `seed = base_seed + r - 1` (data and contestant).
    pub repeat: u32,
    /// Data and contestant seed.
    pub seed: u64,
    /// Threads the contestant was allowed (1 for serial, the core count for "all").
    pub threads: usize,
    /// Wall time, seconds.
    pub wall_s: Option<f64>,
    /// User CPU time, seconds.
    pub user_s: Option<f64>,
    /// System CPU time, seconds.
    pub sys_s: Option<f64>,
    /// (user + sys) / wall: the average number of busy cores.
    pub cpu_util: Option<f64>,
    /// Largest VmRSS sampled every 10 ms, MB.
    pub peak_rss_mb_sampled: Option<f64>,
    /// How many samples were taken.
    pub rss_samples: Option<u32>,
    /// `ru_maxrss` from wait4, MB.
    pub max_rss_mb: Option<f64>,
    /// The harness's own RSS at spawn, MB (the floor of `max_rss_mb`).
    pub harness_rss_mb: Option<f64>,
    /// 1-minute load average right before the run (other work on the machine).
    pub load_1m: Option<f64>,
    /// Adjusted Rand index.
    pub ari: Option<f64>,
    /// Normalised mutual information.
    pub nmi: Option<f64>,
    /// Within-cluster sum of squares of the labelling.
    pub inertia: Option<f64>,
    /// Fraction of rows whose nearest cluster mean is not their own cluster's mean.
    pub off_nearest_frac: Option<f64>,
    /// `ok`, `wrong` or `failed`.
    pub status: String,
    /// Exit status (empty when killed by a signal or not started).
    pub exit_code: Option<i32>,
    /// Why a run is `wrong` or `failed`.
    pub reason: String,
    /// The machine.
    pub machine_id: String,
    /// `bench-harness` version and project commit.
    pub harness_version: String,
    /// The command line (paths shortened to file names).
    pub command: String,
}

/// The identity of a run: a rerun skips keys already present with a terminal status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Who ran.
    pub contestant: String,
    /// Data shape.
    pub shape: String,
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Largest k of the sweep.
    pub k_max: usize,
    /// Repeat, 1-based.
    pub repeat: u32,
    /// Seed.
    pub seed: u64,
    /// Threads allowed.
    pub threads: usize,
}

impl Row {
    /// The identity of the run (what a resumed grid skips).
    pub fn key(&self) -> Key {
        Key {
            contestant: self.contestant.clone(),
            shape: self.shape.clone(),
            n: self.n,
            d: self.d,
            k_max: self.k_max,
            repeat: self.repeat,
            seed: self.seed,
            threads: self.threads,
        }
    }

    /// Whether this row ends its run for good (every status written today does).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.status.as_str(),
            status::OK | status::WRONG | status::FAILED
        )
    }
}

/// Header line of the results files, derived from [`Row`].
pub fn header() -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let names = [
        "timestamp",
        "contestant",
        "shape",
        "n",
        "d",
        "k_max",
        "repeat",
        "seed",
        "threads",
        "wall_s",
        "user_s",
        "sys_s",
        "cpu_util",
        "peak_rss_mb_sampled",
        "rss_samples",
        "max_rss_mb",
        "harness_rss_mb",
        "load_1m",
        "ari",
        "nmi",
        "inertia",
        "off_nearest_frac",
        "status",
        "exit_code",
        "reason",
        "machine_id",
        "harness_version",
        "command",
    ];
    let _ = w.write_record(names);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// An append-only results file.
pub struct ResultsFile {
    path: PathBuf,
    file: std::fs::File,
    /// The held `<results>.lock`.
    _lock: std::fs::File,
}

/// Takes the exclusive advisory lock `<results>.lock` (`flock`), held until the
/// `ResultsFile` is dropped; the kernel releases it when the process dies, even by
/// SIGKILL, so a killed harness never leaves a stale lock. A second harness on the same
/// results file is refused with the holder's pid.
fn lock_results(path: &Path) -> Result<std::fs::File> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = lock.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            bail!(
                "another bench-harness{who} is writing {}; wait for it to finish or use another --out",
                path.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", lock_path.display()))
        }
    }
    lock.set_len(0)?;
    lock.write_all(std::process::id().to_string().as_bytes())?;
    Ok(lock)
}

impl ResultsFile {
    /// Opens (creating with a header if needed) `path` for appending. A trailing partial
    /// line left by a crash is cut off; a file with other columns is refused. With
    /// `fresh`, an existing file is first moved aside to `<name>.old`.
    pub fn open(path: &Path, fresh: bool) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let lock = lock_results(path)?;
        if fresh && path.exists() {
            let old = path.with_extension("csv.old");
            std::fs::rename(path, &old)
                .with_context(|| format!("moving {} aside", path.display()))?;
            eprintln!("--fresh: previous results moved to {}", old.display());
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .with_context(|| format!("reading {}", path.display()))?;
        let expected = header();
        if text.is_empty() {
            file.write_all(expected.as_bytes())?;
            file.sync_data()?;
        } else {
            if !text.starts_with(&expected) {
                bail!(
                    "{} has different columns than this harness writes; pass --fresh (it is moved to .old) or use another --out",
                    path.display()
                );
            }
            if !text.ends_with('\n') {
                let keep = text.rfind('\n').map_or(0, |i| i + 1) as u64;
                file.set_len(keep)?;
                file.seek(SeekFrom::End(0))?;
                eprintln!("note: cut a partial last line from {}", path.display());
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            _lock: lock,
        })
    }

    /// Appends one complete row with a single write, then fsyncs.
    pub fn append(&mut self, row: &Row) -> Result<()> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.serialize(row)?;
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        self.file
            .write_all(&bytes)
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))
    }
}

/// Reads every row of a results file (an absent file has none).
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut rdr =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, rec) in rdr.deserialize::<Row>().enumerate() {
        match rec {
            Ok(r) => rows.push(r),
            // A torn last line (from a crash outside the harness's control) is skipped.
            Err(e) if e.is_io_error() => {
                return Err(e).context(format!("reading {}", path.display()))
            }
            Err(e) => eprintln!("note: {} row {} skipped: {e}", path.display(), i + 2),
        }
    }
    Ok(rows)
}

/// Keys of the finished runs in a results file.
pub fn finished_keys(path: &Path) -> Result<HashSet<Key>> {
    Ok(read_rows(path)?
        .into_iter()
        .filter(Row::is_terminal)
        .map(|r| r.key())
        .collect())
}

/// Current UTC time as RFC 3339 with milliseconds (no time-zone database needed).
pub fn now_rfc3339() -> String {
    rfc3339(std::time::SystemTime::now())
}

/// A point in time as UTC RFC 3339 with milliseconds (times before 1970 print as 1970).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let now = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(contestant: &str, repeat: u32) -> Row {
        Row {
            timestamp: now_rfc3339(),
            contestant: contestant.into(),
            shape: "blobs".into(),
            n: 1000,
            d: 2,
            k_max: 8,
            repeat,
            seed: 7,
            threads: 1,
            wall_s: Some(0.5),
            user_s: None,
            sys_s: None,
            cpu_util: None,
            peak_rss_mb_sampled: None,
            rss_samples: Some(3),
            max_rss_mb: Some(2.5),
            harness_rss_mb: None,
            load_1m: Some(0.5),
            ari: Some(1.0),
            nmi: Some(1.0),
            inertia: Some(12.5),
            off_nearest_frac: Some(0.0),
            status: status::FAILED.into(),
            exit_code: Some(1),
            reason: "exit 1: \"quoted\", with a comma\nand a newline".into(),
            machine_id: "m".into(),
            harness_version: "v".into(),
            command: "x".into(),
        }
    }

    #[test]
    fn header_matches_row_fields() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(row("a", 1)).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert!(text.starts_with(&header()));
    }

    #[test]
    fn append_read_resume_and_repair() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let mut f = ResultsFile::open(&path, false).unwrap();
        f.append(&row("a", 1)).unwrap();
        f.append(&row("b", 1)).unwrap();
        drop(f);
        // Simulate a torn write.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"2026-01-01,c,blo")
            .unwrap();
        let mut f = ResultsFile::open(&path, false).unwrap();
        f.append(&row("c", 2)).unwrap();
        let rows = read_rows(&path).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].reason, row("a", 1).reason);
        let keys = finished_keys(&path).unwrap();
        assert!(keys.contains(&row("b", 1).key()));
        assert!(!keys.contains(&row("b", 2).key()));
        drop(f);
        ResultsFile::open(&path, true).unwrap();
        assert!(read_rows(&path).unwrap().is_empty());
        assert!(path.with_extension("csv.old").exists());
    }

    #[test]
    fn timestamp_shape() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
