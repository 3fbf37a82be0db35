//! The roofline model: a roof is min(FMA peak, arithmetic intensity × bandwidth), from
//! the machine's measured limits ([`Probe`]: the kernels crate's FMA and triad probes,
//! per thread count). Used by `micro` (the fractions of each row) and by the report's
//! two roofline figures.

use serde_json::Value;
use std::collections::BTreeMap;

/// One roof: a compute ceiling and a bandwidth slope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roof {
    /// FMA peak, GFLOP/s.
    pub peak_gflops: f64,
    /// Triad bandwidth, GB/s.
    pub bw_gbs: f64,
}

impl Roof {
    /// Attainable GFLOP/s at arithmetic intensity `ai` (flop/byte).
    pub fn attainable(&self, ai: f64) -> f64 {
        self.peak_gflops.min(self.bw_gbs * ai)
    }

    /// The intensity where the roof turns flat.
    pub fn ridge(&self) -> f64 {
        self.peak_gflops / self.bw_gbs
    }
}

/// The machine's limits the fractions are taken of, per thread count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probe {
    /// The best ISA the bench detected (what `flat` with automatic dispatch runs).
    pub isa: Option<String>,
    /// FMA peak, GFLOP/s, by threads.
    pub fma_gflops: BTreeMap<usize, f64>,
    /// Triad bandwidth, GB/s, by threads.
    pub triad_gbs: BTreeMap<usize, f64>,
    /// Where the numbers came from (a file path, for messages).
    pub source: String,
}

impl Probe {
    /// Reads the Criterion bench's `probe.json`: `{"isa", "fma_gflops_t<T>",
    /// "triad_gbs_t<T>", …}`.
    pub fn from_probe_json(text: &str, source: &str) -> Result<Probe, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let obj = v.as_object().ok_or("not a JSON object")?;
        let mut p = Probe {
            isa: obj
                .get("isa")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            source: source.to_string(),
            ..Probe::default()
        };
        for (key, val) in obj {
            let Some(x) = val.as_f64().filter(|x| x.is_finite() && *x > 0.0) else {
                continue;
            };
            let threads_of = |prefix: &str| {
                key.strip_prefix(prefix)
                    .and_then(|t| t.parse::<usize>().ok())
            };
            if let Some(t) = threads_of("fma_gflops_t") {
                p.fma_gflops.insert(t, x);
            } else if let Some(t) = threads_of("triad_gbs_t") {
                p.triad_gbs.insert(t, x);
            }
        }
        if p.fma_gflops.is_empty() && p.triad_gbs.is_empty() {
            return Err("no fma_gflops_t<N> or triad_gbs_t<N> numbers".to_string());
        }
        Ok(p)
    }

    /// The `kernels_probe` of a harness `machine.json` (1 thread and `threads_all`).
    pub fn from_machine_json(v: &Value, source: &str) -> Option<Probe> {
        let kp = v.get("kernels_probe")?;
        let num = |k: &str| {
            kp.get(k)
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite() && *x > 0.0)
        };
        let all = kp
            .get("threads_all")
            .and_then(Value::as_u64)
            .map(|t| t as usize);
        let mut p = Probe {
            source: source.to_string(),
            ..Probe::default()
        };
        for (t, f, b) in [
            (Some(1), "fma_peak_gflops_1t", "triad_gbs_1t"),
            (all, "fma_peak_gflops_all", "triad_gbs_all"),
        ] {
            let Some(t) = t else { continue };
            if let Some(x) = num(f) {
                p.fma_gflops.insert(t, x);
            }
            if let Some(x) = num(b) {
                p.triad_gbs.insert(t, x);
            }
        }
        (!p.fma_gflops.is_empty() || !p.triad_gbs.is_empty()).then_some(p)
    }
}
