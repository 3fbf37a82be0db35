//! `bench-harness modern`: the modern shapes of issue #23 (d in the hundreds, k in
//! the hundreds to thousands), fit only, every contestant from the same initial
//! centers for a fixed number of Lloyd iterations, in one process per contestant,
//! every answer checked; plus greedy k-means++ seeding times.
//!
//! `spec` (cells, contestants) and `rows` (results) are leaves; `data` writes the
//! cell's `.npy` files, `ours` and `python` run the contestants, `eval` checks their
//! centers, `report` derives the check and ratios and writes the folder, `run` is the
//! command. Modules import only their siblings, never this file.

pub mod data;
pub mod eval;
pub mod ours;
pub mod python;
pub mod report;
pub mod rows;
pub mod run;
pub mod spec;
