//! Seeded randomness: ChaCha8 with numbered streams. A fit's seeding uses the stream
//! [`crate::init::stream`] gives for its init and k (one per k for `random`, one per
//! number of k-means++ candidates per step otherwise), so the result for one k never
//! depends on which other k were fitted.

use rand_chacha::rand_core::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random source of one fit.
#[derive(Clone)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// Stream number `stream` (< 2^40) under `seed`.
    pub fn for_k(seed: u64, stream: usize) -> Self {
        Self::for_start(seed, stream as u64, 0)
    }
    /// Start `s` (of `--n-init`) of stream `stream` (< 2^40) under `seed`; start 0 is
    /// [`Rng::for_k`].
    pub fn for_start(seed: u64, stream: u64, s: usize) -> Self {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream | ((s as u64) << 40));
        Rng(r)
    }
    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform integer in `[0, n)` (Lemire's method, unbiased). `n > 0`.
    pub fn index(&mut self, n: usize) -> usize {
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.0.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }
}
