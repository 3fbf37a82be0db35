//! Dated run folders: `--record WHAT` puts a command's results in
//! `perf-reports/<machine-id>/runs/<date>-<commit>-<WHAT>/` (date UTC `YYYY-MM-DD`,
//! commit `git rev-parse --short HEAD`, with `-dirty` when tracked files have
//! uncommitted changes) and writes a `README.md` there naming the exact command line,
//! the commit, the date, the machine and the files the folder holds.
//!
//! The same command on the same day and commit finds the same folder again, so an
//! interrupted run resumes there; the README is rewritten after every invocation.

use anyhow::{bail, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The subfolder of a machine folder that holds the dated run folders.
pub const RUNS: &str = "runs";

/// A recorded run: where it goes and what its README says.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The dated folder.
    pub dir: PathBuf,
    /// The `WHAT` of `--record WHAT`.
    pub what: String,
    /// Short commit, `-dirty` appended when the work tree had uncommitted changes.
    pub commit: String,
    /// UTC date, `YYYY-MM-DD`.
    pub date: String,
    /// The machine id.
    pub machine_id: String,
    /// The command line, program name first.
    pub command: Vec<String>,
}

/// Checks a `WHAT`: lower-case letters, digits and `-`, not empty, at most 60 characters.
pub fn check_what(what: &str) -> Result<()> {
    let ok = !what.is_empty()
        && what.len() <= 60
        && what
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !what.starts_with('-');
    if !ok {
        bail!("--record {what:?}: use lower-case letters, digits and '-' (e.g. seed-grid)");
    }
    Ok(())
}

/// `git rev-parse --short HEAD` of `root`, with `-dirty` when tracked files differ
/// from HEAD; `nogit` without git or a repository.
pub fn commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(short) = git(&["rev-parse", "--short", "HEAD"]).filter(|s| !s.is_empty()) else {
        return "nogit".to_string();
    };
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{short}-dirty")
    } else {
        short
    }
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    crate::results::rfc3339(std::time::SystemTime::now())[..10].to_string()
}

/// The folder name: `<date>-<commit>-<what>`.
pub fn folder_name(date: &str, commit: &str, what: &str) -> String {
    format!("{date}-{commit}-{what}")
}

impl Record {
    /// The record of a command run now from `root`, in `machine_dir/runs/`.
    pub fn new(root: &Path, machine_dir: &Path, machine_id: &str, what: &str) -> Result<Self> {
        check_what(what)?;
        let commit = commit(root);
        let date = today_utc();
        let dir = machine_dir
            .join(RUNS)
            .join(folder_name(&date, &commit, what));
        let mut command: Vec<String> = std::env::args().collect();
        if let Some(first) = command.first_mut() {
            if let Some(name) = Path::new(first.as_str()).file_name() {
                *first = name.to_string_lossy().into_owned();
            }
        }
        Ok(Record {
            dir,
            what: what.to_string(),
            commit,
            date,
            machine_id: machine_id.to_string(),
            command,
        })
    }

    /// The README text for the files now in the folder.
    pub fn readme(&self) -> String {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut s = format!("# {name}\n\n");
        s.push_str("Written by `bench-harness` for `--record`; rewritten each time the command runs in this folder.\n\n");
        s.push_str("| | |\n|---|---|\n");
        let _ = writeln!(s, "| command | `{}` |", shell_line(&self.command));
        let _ = writeln!(
            s,
            "| commit | `{}`{} |",
            self.commit,
            if self.commit.ends_with("-dirty") {
                " (tracked files had uncommitted changes)"
            } else {
                ""
            }
        );
        let _ = writeln!(s, "| date (UTC) | {} |", self.date);
        let _ = writeln!(s, "| machine | `{}` |", self.machine_id);
        s.push_str("\n## Files\n\n");
        let files = list_files(&self.dir);
        if files.is_empty() {
            s.push_str("None yet.\n");
        }
        for f in files {
            match describe(&f) {
                Some(what) => {
                    let _ = writeln!(s, "- `{f}`: {what}");
                }
                None => {
                    let _ = writeln!(s, "- `{f}`");
                }
            }
        }
        s
    }

    /// Writes `README.md` into the folder (created when missing).
    pub fn write_readme(&self) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join("README.md");
        crate::io::write_atomic(&path, self.readme())?;
        Ok(path)
    }
}

/// The command line as one shell line (arguments with spaces or quotes single-quoted).
fn shell_line(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=/.,:+@%".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Files of the folder (relative, `/`-separated, sorted), without the README itself
/// and the contestants' scratch folder `cache/`; `figures/` is one entry.
fn list_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if name == "README.md" || name == "cache" || name.starts_with('.') {
                return None;
            }
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    out.sort();
    out
}

/// What a file of a results folder is, for the files the harness writes.
fn describe(file: &str) -> Option<&'static str> {
    Some(match file {
        "runs.csv" => "one row per run of the grid (`bench-harness run`)",
        "runs.csv.old" => "the previous `runs.csv`, moved aside by `--fresh`",
        "threads.csv" => "one row per run of the thread sweep (`bench-harness threads`)",
        "threads.csv.old" => "the previous `threads.csv`, moved aside by `--fresh`",
        "micro.csv" => "one row per micro-benchmark (`bench-harness micro`)",
        "machine.json" => {
            "the machine: CPU, caches, memory, OS, toolchain, Python packages, probes"
        }
        "REPORT.md" => "the report (`bench-harness report`)",
        "dashboard.html" => "the interactive report",
        "figures/" => "the report's SVG figures",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_readme() {
        assert!(check_what("seed-grid").is_ok());
        for bad in ["", "Seed", "a b", "../x", "-x", "a_b"] {
            assert!(check_what(bad).is_err(), "{bad}");
        }
        assert_eq!(
            folder_name("2026-12-06", "abc1234-dirty", "heaviest"),
            "2026-12-06-abc1234-dirty-heaviest"
        );
        assert_eq!(today_utc().len(), 10);
        let tmp = tempfile::tempdir().unwrap();
        let r = Record {
            dir: tmp.path().join("2026-12-06-abc1234-smoke"),
            what: "smoke".into(),
            commit: "abc1234".into(),
            date: "2026-12-06".into(),
            machine_id: "amd-epyc-2c".into(),
            command: [
                "bench-harness",
                "run",
                "--record",
                "smoke",
                "--sizes",
                "a b",
            ]
            .map(String::from)
            .to_vec(),
        };
        std::fs::create_dir_all(r.dir.join("cache")).unwrap();
        std::fs::write(r.dir.join("runs.csv"), "x").unwrap();
        std::fs::write(r.dir.join("notes.txt"), "x").unwrap();
        r.write_readme().unwrap();
        let text = std::fs::read_to_string(r.dir.join("README.md")).unwrap();
        assert!(text.starts_with("# 2026-12-06-abc1234-smoke\n"), "{text}");
        assert!(text.contains("| command | `bench-harness run --record smoke --sizes 'a b'` |"));
        assert!(text.contains("| commit | `abc1234` |"));
        assert!(text.contains("| date (UTC) | 2026-12-06 |"));
        assert!(text.contains("| machine | `amd-epyc-2c` |"));
        assert!(
            text.contains("- `notes.txt`\n- `runs.csv`: one row per run"),
            "{text}"
        );
        assert!(!text.contains("cache") && !text.contains("`README.md`"));
    }
}
