//! Runtime choice of the SIMD instruction set, detected once, with a cap so tests
//! and benchmarks can run every level on one machine.
//!
//! Levels: `scalar` (pulp's one-lane backend: the same generic kernel code),
//! `simd128` (NEON on aarch64, simd128 on wasm32), `avx2` (x86-64-v3: AVX2 + FMA),
//! `avx512` (x86-64-v4). The cap comes from [`set_max_isa`] or, at first use, from the
//! environment variable `KMEANS_MAX_ISA` (one of those names).

use pulp::WithSimd;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// A SIMD level, ordered from narrowest to widest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// pulp's one-lane scalar backend.
    Scalar = 0,
    /// 128-bit vectors: NEON on aarch64, simd128 on wasm32.
    Simd128 = 1,
    /// x86-64-v3: AVX2 and FMA.
    Avx2 = 2,
    /// x86-64-v4: AVX-512.
    Avx512 = 3,
}

impl Isa {
    /// Every level, narrowest first.
    pub const ALL: [Isa; 4] = [Isa::Scalar, Isa::Simd128, Isa::Avx2, Isa::Avx512];

    /// The level's name in reports (`neon` for 128-bit vectors on aarch64).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Simd128 => {
                if cfg!(target_arch = "aarch64") {
                    "neon"
                } else {
                    "simd128"
                }
            }
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// f64 lanes of a vector at this level.
    pub fn lanes(self) -> usize {
        match self {
            Isa::Scalar => 1,
            Isa::Simd128 => 2,
            Isa::Avx2 => 4,
            Isa::Avx512 => 8,
        }
    }

    fn from_u8(v: u8) -> Isa {
        match v {
            0 => Isa::Scalar,
            1 => Isa::Simd128,
            2 => Isa::Avx2,
            _ => Isa::Avx512,
        }
    }
}

impl std::str::FromStr for Isa {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "scalar" => Ok(Isa::Scalar),
            "simd128" | "neon" | "sse" => Ok(Isa::Simd128),
            "avx2" | "v3" | "x86-v3" => Ok(Isa::Avx2),
            "avx512" | "v4" | "x86-v4" => Ok(Isa::Avx512),
            _ => Err(format!(
                "unknown ISA '{s}' (expected scalar, simd128/neon, avx2 or avx512)"
            )),
        }
    }
}

/// The best level this machine supports (detected once).
pub fn detected() -> Isa {
    static DETECTED: OnceLock<Isa> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if pulp::x86::V4::try_new().is_some() {
                return Isa::Avx512;
            }
            if pulp::x86::V3::try_new().is_some() {
                return Isa::Avx2;
            }
            Isa::Scalar
        }
        #[cfg(target_arch = "aarch64")]
        {
            if pulp::aarch64::Neon::try_new().is_some() {
                return Isa::Simd128;
            }
            Isa::Scalar
        }
        #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
        {
            Isa::Scalar
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            match pulp::Arch::new() {
                pulp::Arch::Scalar => Isa::Scalar,
                _ => Isa::Simd128,
            }
        }
        #[cfg(not(any(
            target_arch = "x86_64",
            target_arch = "aarch64",
            target_arch = "wasm32"
        )))]
        {
            Isa::Scalar
        }
    })
}

/// Every level that can run on this machine, narrowest first (what tests and
/// benches iterate over).
pub fn available() -> Vec<Isa> {
    let top = detected();
    Isa::ALL
        .into_iter()
        .filter(|&l| l <= top)
        .filter(|&l| match l {
            Isa::Simd128 => !cfg!(target_arch = "x86_64"),
            Isa::Avx2 | Isa::Avx512 => cfg!(target_arch = "x86_64"),
            Isa::Scalar => true,
        })
        .collect()
}

const UNSET: u8 = u8::MAX;
static CAP: AtomicU8 = AtomicU8::new(UNSET);

/// Caps the level kernels dispatch to (`None` removes the cap). Affects speed only:
/// every level gives the same results.
pub fn set_max_isa(cap: Option<Isa>) {
    CAP.store(
        cap.map_or(Isa::Avx512 as u8, |c| c as u8),
        Ordering::Relaxed,
    );
}

fn cap() -> Isa {
    let c = CAP.load(Ordering::Relaxed);
    if c != UNSET {
        return Isa::from_u8(c);
    }
    let from_env = std::env::var("KMEANS_MAX_ISA")
        .ok()
        .and_then(|v| v.parse::<Isa>().ok())
        .unwrap_or(Isa::Avx512);
    let _ = CAP.compare_exchange(UNSET, from_env as u8, Ordering::Relaxed, Ordering::Relaxed);
    Isa::from_u8(CAP.load(Ordering::Relaxed))
}

/// The level kernels run at now: the best supported one not above the cap.
pub fn active() -> Isa {
    let (d, c) = (detected(), cap());
    if d <= c {
        return d;
    }
    // Below the detected level, every x86-64 with AVX2 also has the lower ones; on
    // other targets only scalar lies below.
    match c {
        Isa::Avx2 if cfg!(target_arch = "x86_64") => Isa::Avx2,
        _ => Isa::Scalar,
    }
}

/// Runs `op` with the SIMD backend of [`active`].
#[inline]
pub fn dispatch<Op: WithSimd>(op: Op) -> Op::Output {
    match active() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => match pulp::x86::V4::try_new() {
            Some(s) => pulp::Simd::vectorize(s, op),
            None => pulp::Simd::vectorize(pulp::Scalar, op),
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => match pulp::x86::V3::try_new() {
            Some(s) => pulp::Simd::vectorize(s, op),
            None => pulp::Simd::vectorize(pulp::Scalar, op),
        },
        Isa::Scalar => pulp::Simd::vectorize(pulp::Scalar, op),
        // A wasm module is validated as a whole when it loads, so a module built
        // without simd128 must not contain SIMD code at all, not even behind a
        // run-time check: there, every level runs pulp's scalar backend.
        #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
        _ => pulp::Simd::vectorize(pulp::Scalar, op),
        // Plain simd128, not pulp's relaxed-SIMD level: its results may differ between
        // engines (and older validators reject it).
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        _ => match pulp::wasm::Simd128::try_new() {
            Some(s) => pulp::Simd::vectorize(s, op),
            None => pulp::Simd::vectorize(pulp::Scalar, op),
        },
        #[cfg(not(target_arch = "wasm32"))]
        _ => pulp::Arch::new().dispatch(op),
    }
}
