//! The machine probe (`machine.json`) and the machine id that names the results folder.

use crate::contestants::PYTHON_ENV_REMOVED;
use crate::venv;
use serde_json::{json, Value};
use std::path::Path;

/// ISA flags worth recording (x86 names from /proc/cpuinfo, then Arm's).
const ISA_FLAGS: [&str; 20] = [
    "sse2",
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "bmi2",
    "avx512f",
    "avx512dq",
    "avx512cd",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "asimd",
    "sve",
    "sve2",
];

/// CPU model name, from `/proc/cpuinfo`.
pub fn cpu_model() -> String {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    for key in ["model name", "Model", "Hardware", "cpu model"] {
        if let Some(v) = text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        }) {
            if !v.is_empty() {
                return v;
            }
        }
    }
    std::env::consts::ARCH.to_string()
}

/// Cores this process may use (affinity and cgroup limits included).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A readable id from the CPU model and core count, e.g. `amd-epyc-9b14-2c`: lower
/// case, vendor noise words ("(R)", "CPU", "Processor", "n-Core", clock speed) dropped.
/// Virtual machines often report a bare family name ("AMD EPYC"), which would give
/// two different processors the same id and mix their records: when the name has no
/// model number, the microarchitecture read from the CPUID family and model is added
/// (`amd-epyc-zen4-2c`; see [`microarchitecture`]).
pub fn machine_id() -> String {
    let model = cpu_model();
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().parse::<u32>().ok())?
        })
    };
    let uarch = match (field("cpu family"), field("model")) {
        (Some(f), Some(m)) => microarchitecture(&model, f, m),
        _ => None,
    };
    id_with_uarch(&model, uarch.as_deref(), cores())
}

/// The x86 microarchitecture of a CPUID (family, model), where it is one this
/// project has met or is likely to; `f<family>m<model>` (hex) for other AMD/Intel
/// parts, `None` for other vendors.
pub fn microarchitecture(model_name: &str, family: u32, model: u32) -> Option<String> {
    let name = model_name.to_ascii_lowercase();
    let known = if name.contains("amd") {
        match (family, model) {
            (0x17, 0x00..=0x2f) => Some("zen1"),
            (0x17, 0x30..=0x7f) => Some("zen2"),
            (0x19, 0x00..=0x0f) | (0x19, 0x20..=0x5f) => Some("zen3"),
            (0x19, 0x10..=0x1f) | (0x19, 0x60..=0xaf) => Some("zen4"),
            (0x1a, _) => Some("zen5"),
            _ => None,
        }
    } else if name.contains("intel") {
        match (family, model) {
            (6, 0x55) => Some("skylake-sp"),
            (6, 0x6a) | (6, 0x6c) => Some("icelake-sp"),
            (6, 0x8f) => Some("sapphire-rapids"),
            (6, 0xcf) => Some("emerald-rapids"),
            (6, 0xad) | (6, 0xae) => Some("granite-rapids"),
            _ => None,
        }
    } else {
        return None;
    };
    Some(known.map_or_else(|| format!("f{family:x}m{model:x}"), str::to_string))
}

/// [`id_from`], with the microarchitecture added when the model name carries no
/// model number (no word with a digit after the vendor).
pub fn id_with_uarch(model: &str, uarch: Option<&str>, cores: usize) -> String {
    let id = id_from(model, cores);
    let has_number = id
        .rsplit_once('-')
        .map_or(id.as_str(), |(words, _)| words)
        .split('-')
        .any(|w| w.chars().any(|c| c.is_ascii_digit()));
    match uarch {
        Some(u) if !has_number => {
            let (words, c) = id.rsplit_once('-').unwrap_or((id.as_str(), ""));
            format!("{words}-{u}-{c}")
        }
        _ => id,
    }
}

/// [`machine_id`] for a given model string and core count.
pub fn id_from(model: &str, cores: usize) -> String {
    let cleaned = model
        .replace("(R)", " ")
        .replace("(TM)", " ")
        .replace("(tm)", " ");
    let mut words: Vec<String> = Vec::new();
    for w in cleaned.split(|c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-') {
        let lw = w.to_ascii_lowercase();
        let noise = lw.is_empty()
            || matches!(
                lw.as_str(),
                "cpu" | "processor" | "with" | "radeon" | "graphics" | "@"
            )
            || lw.ends_with("-core")
            || lw.ends_with("ghz");
        if !noise {
            words.push(lw.trim_matches(['-', '.']).replace('.', "-"));
        }
    }
    words.retain(|w| !w.is_empty());
    words.push(format!("{cores}c"));
    words.join("-")
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn caches() -> Value {
    let mut out = Vec::new();
    for i in 0..16 {
        let base = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let Some(level) = read(format!("{base}/level")) else {
            break;
        };
        out.push(json!({
            "level": level.parse::<u32>().ok(),
            "type": read(format!("{base}/type")),
            "size": read(format!("{base}/size")),
            "line_bytes": read(format!("{base}/coherency_line_size")).and_then(|s| s.parse::<u32>().ok()),
            "ways": read(format!("{base}/ways_of_associativity")).and_then(|s| s.parse::<u32>().ok()),
            "shared_cpu_list": read(format!("{base}/shared_cpu_list")),
        }));
    }
    Value::Array(out)
}

fn isa_flags() -> Value {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags: Vec<&str> = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(k.trim(), "flags" | "Features").then_some(v)
        })
        .map(|v| v.split_whitespace().collect())
        .unwrap_or_default();
    let present: Vec<&str> = ISA_FLAGS
        .iter()
        .copied()
        .filter(|f| flags.contains(f))
        .collect();
    json!(present)
}

fn meminfo_gib() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((kb / 1024.0 / 1024.0 * 100.0).round() / 100.0)
}

fn os_name() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
}

fn tool_version(program: &str, arg: &str) -> Option<String> {
    let out = std::process::Command::new(program).arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Options of a probe.
pub struct ProbeOptions<'a> {
    /// Machine id to record.
    pub machine_id: &'a str,
    /// Python of the venv, for package versions.
    pub python: Option<&'a Path>,
    /// Run the kernels crate's FMA and triad probes (a few seconds, ~800 MB for triad).
    pub kernel_probes: bool,
    /// Harness version to record.
    pub harness_version: &'a str,
}

/// Collects the machine facts.
pub fn probe(opts: &ProbeOptions) -> Value {
    let n = cores();
    let kernels_probe = if opts.kernel_probes {
        eprintln!("probing FMA peak and triad bandwidth (1 and {n} threads)...");
        json!({
            "f64_lanes": kernels::probe::f64_lanes(),
            "fma_peak_gflops_1t": kernels::probe::fma_peak_gflops(1),
            "fma_peak_gflops_all": kernels::probe::fma_peak_gflops(n),
            "triad_gbs_1t": kernels::probe::triad_gbs(1),
            "triad_gbs_all": kernels::probe::triad_gbs(n),
            "threads_all": n,
        })
    } else {
        json!({ "skipped": "run `bench-harness probe` for the FMA and bandwidth probes" })
    };
    let python = match opts.python {
        Some(p) => venv::info(p).unwrap_or_else(|e| json!({ "error": format!("{e:#}") })),
        None => json!(null),
    };
    let removed: serde_json::Map<String, Value> = PYTHON_ENV_REMOVED
        .iter()
        .map(|v| (v.to_string(), json!(std::env::var(v).ok())))
        .collect();
    let threading_env: serde_json::Map<String, Value> = [
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "RAYON_NUM_THREADS",
    ]
    .iter()
    .map(|v| (v.to_string(), json!(std::env::var(v).ok())))
    .collect();
    json!({
        "machine_id": opts.machine_id,
        "probed_at": crate::results::now_rfc3339(),
        "cpu": {
            "model": cpu_model(),
            "cores": n,
            "arch": std::env::consts::ARCH,
            "caches": caches(),
            "isa_flags": isa_flags(),
        },
        "memory_gib": meminfo_gib(),
        "os": os_name(),
        "kernel": read("/proc/sys/kernel/osrelease"),
        "toolchain": {
            "rustc": tool_version("rustc", "-V"),
            "cargo": tool_version("cargo", "-V"),
        },
        "python": python,
        "kernels_probe": kernels_probe,
        "environment": {
            "removed_for_python_contestants": removed,
            "allocator_removed_for_all_contestants": crate::contestants::allocator_env()
                .into_iter()
                .map(|(k, v)| (k, json!(v)))
                .collect::<serde_json::Map<String, Value>>(),
            "threading": threading_env,
        },
        "measurement": {
            "wall": "monotonic clock from spawn to exit (waitid), subprocess end to end",
            "cpu": "ru_utime + ru_stime from wait4",
            "max_rss_mb": "ru_maxrss from wait4 (kernel high-water mark); the summary tables use this one",
            "peak_rss_mb_sampled": "max VmRSS of /proc/PID/status sampled every 10 ms (the seed's method; undercounts short runs)",
        },
        "harness_version": opts.harness_version,
    })
}

#[cfg(test)]
mod tests {
    use super::id_from;

    #[test]
    fn readable_ids() {
        assert_eq!(id_from("AMD EPYC", 2), "amd-epyc-2c");
        assert_eq!(
            id_from("AMD EPYC 9B14 96-Core Processor", 2),
            "amd-epyc-9b14-2c"
        );
        assert_eq!(
            id_from("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 8),
            "intel-xeon-platinum-8375c-8c"
        );
        assert_eq!(id_from("Apple M4 Max", 14), "apple-m4-max-14c");
    }

    #[test]
    fn bare_family_names_get_the_microarchitecture() {
        use super::{id_with_uarch, microarchitecture};
        let zen4 = microarchitecture("AMD EPYC", 0x19, 0x11);
        let zen5 = microarchitecture("AMD EPYC", 0x1a, 0x02);
        assert_eq!(
            id_with_uarch("AMD EPYC", zen4.as_deref(), 2),
            "amd-epyc-zen4-2c"
        );
        assert_eq!(
            id_with_uarch("AMD EPYC", zen5.as_deref(), 2),
            "amd-epyc-zen5-2c"
        );
        let spr = microarchitecture("Intel Xeon Processor", 6, 0x8f);
        assert_eq!(
            id_with_uarch("Intel Xeon Processor", spr.as_deref(), 2),
            "intel-xeon-sapphire-rapids-2c"
        );
        // A model number already tells the parts apart: unchanged.
        let named = "AMD EPYC 9B14 96-Core Processor";
        assert_eq!(id_with_uarch(named, zen4.as_deref(), 2), "amd-epyc-9b14-2c");
        assert_eq!(
            microarchitecture("AMD EPYC", 0x19, 0xb0).as_deref(),
            Some("f19mb0")
        );
        assert_eq!(microarchitecture("Apple M4 Max", 0, 0), None);
    }
}
