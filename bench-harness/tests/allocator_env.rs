//! Allocator settings of the harness's environment (`MALLOC_*`, `GLIBC_TUNABLES`) never
//! reach a contestant, except the ones `numpy-tuned` sets itself (perf-reports/BIAS.md).
//! Its own test binary: it changes the process environment.

use bench_harness::contestants::{Contestant, Job, Tools};
use std::ffi::OsStr;
use std::path::Path;

fn env_of(cmd: &std::process::Command, key: &str) -> Option<Option<String>> {
    cmd.get_envs()
        .find(|(k, _)| *k == OsStr::new(key))
        .map(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
}

#[test]
fn allocator_variables_are_removed_and_numpy_tuned_sets_its_own() {
    // SAFETY (edition 2021: safe fn): this test binary has this single test, so no
    // other thread reads the environment concurrently.
    std::env::set_var("MALLOC_MMAP_THRESHOLD_", "131072");
    std::env::set_var("MALLOC_MMAP_MAX_", "7");
    std::env::set_var("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1");
    let tools = Tools::default();
    let job = Job {
        input: Path::new("x.csv"),
        output: Path::new("y.csv"),
        k_max: 2,
        seed: 1,
        init_centers: None,
        threads: None,
    };
    for name in ["numpy", "sklearn", "rust-flat", "rust-aos-serial"] {
        let cmd = Contestant::builtin(name).unwrap().command(&tools, &job);
        for key in [
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_MMAP_MAX_",
            "GLIBC_TUNABLES",
        ] {
            assert_eq!(
                env_of(&cmd, key),
                Some(None),
                "{name}: {key} must be removed"
            );
        }
    }
    let tuned = Contestant::builtin("numpy-tuned")
        .unwrap()
        .command(&tools, &job);
    assert_eq!(env_of(&tuned, "MALLOC_MMAP_MAX_"), Some(Some("0".into())));
    assert_eq!(
        env_of(&tuned, "MALLOC_TRIM_THRESHOLD_"),
        Some(Some("68719476736".into()))
    );
    assert_eq!(env_of(&tuned, "MALLOC_MMAP_THRESHOLD_"), Some(None));
    assert_eq!(env_of(&tuned, "GLIBC_TUNABLES"), Some(None));
    let line = bench_harness::contestants::describe(&tuned);
    assert!(
        line.starts_with("MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 "),
        "{line}"
    );
}
