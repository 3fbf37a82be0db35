//! The parallel execution context: a Rayon pool of a fixed size, or plain serial loops.
//!
//! Determinism rule of the whole crate: work is cut into chunks whose size depends
//! only on the problem (never on the thread count), each chunk writes its own slot,
//! and slots are combined afterwards in chunk order. Threads only change *who*
//! computes a chunk, so results are bit-identical for every thread count.

use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A fixed-size worker pool, or serial execution when one thread is asked for.
pub struct Exec {
    pool: Option<rayon::ThreadPool>,
    threads: usize,
    /// Set from outside to abandon the work (see [`Exec::with_cancel`]).
    cancel: Option<Arc<AtomicBool>>,
}

/// The panic payload with which a cancelled [`Exec`] unwinds out of its work (raised
/// with [`std::panic::resume_unwind`], so no panic message is printed). Whoever set
/// the flag catches it (as [`crate::KMeans::fit`] does, turning it into
/// [`Error::Cancelled`]).
#[derive(Debug)]
pub struct Cancelled;

impl Exec {
    /// `threads = 0` means one per available core; 1 runs everything on the calling
    /// thread without a pool.
    pub fn new(threads: usize) -> Result<Self> {
        let threads = if threads == 0 {
            available_cores()
        } else {
            threads
        };
        if threads == 1 {
            return Ok(Exec {
                pool: None,
                threads: 1,
                cancel: None,
            });
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("kmeans-worker-{i}"))
            .build()
            .map_err(|e| Error::Invalid(format!("cannot start {threads} threads: {e}")))?;
        Ok(Exec {
            pool: Some(pool),
            threads,
            cancel: None,
        })
    }

    /// A serial context.
    pub fn serial() -> Self {
        Exec {
            pool: None,
            threads: 1,
            cancel: None,
        }
    }

    /// A serial context with this one's cancel flag (for work run side by side on
    /// threads of its own, such as the starts of `n_init`).
    pub fn serial_sibling(&self) -> Self {
        Exec {
            pool: None,
            threads: 1,
            cancel: self.cancel.clone(),
        }
    }

    /// Makes the work cancellable: once `flag` is set, the next item or chunk that
    /// starts (in [`Exec::for_each`] or [`Exec::for_each_chunk`]) unwinds with the
    /// [`Cancelled`] payload instead of running, so a fit stops within one chunk's
    /// time. Results computed before the flag was set are unaffected.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Unwinds with [`Cancelled`] when the flag of [`Exec::with_cancel`] is set.
    #[inline]
    fn check_cancel(&self) {
        if let Some(c) = &self.cancel {
            if c.load(Ordering::Relaxed) {
                std::panic::resume_unwind(Box::new(Cancelled));
            }
        }
    }

    /// Number of threads that run work.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Calls `f(i, &mut items[i])` for every item, in parallel when this context has
    /// a pool. Each call must touch only its own item (and shared read-only state).
    pub fn for_each<T: Send>(&self, items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
        let f = |i: usize, t: &mut T| {
            self.check_cancel();
            f(i, t)
        };
        match &self.pool {
            Some(pool) if items.len() > 1 => pool.install(|| {
                items
                    .par_iter_mut()
                    .with_max_len(1)
                    .enumerate()
                    .for_each(|(i, t)| f(i, t))
            }),
            _ => items.iter_mut().enumerate().for_each(|(i, t)| f(i, t)),
        }
    }

    /// Cuts `data` into consecutive pieces of `chunk` items (the last may be
    /// shorter) and calls `f(i, piece_i, &mut parts[i])` for each, in parallel when
    /// this context has a pool. `parts` must have one slot per piece.
    pub fn for_each_chunk<T: Send, P: Send>(
        &self,
        data: &mut [T],
        chunk: usize,
        parts: &mut [P],
        f: impl Fn(usize, &mut [T], &mut P) + Sync,
    ) {
        assert_eq!(data.len().div_ceil(chunk), parts.len());
        let f = |i: usize, x: &mut [T], p: &mut P| {
            self.check_cancel();
            f(i, x, p)
        };
        match &self.pool {
            Some(pool) if parts.len() > 1 => pool.install(|| {
                data.par_chunks_mut(chunk)
                    .zip(parts.par_iter_mut())
                    .with_max_len(1)
                    .enumerate()
                    .for_each(|(i, (x, p))| f(i, x, p))
            }),
            _ => data
                .chunks_mut(chunk)
                .zip(parts.iter_mut())
                .enumerate()
                .for_each(|(i, (x, p))| f(i, x, p)),
        }
    }
    /// Like [`Exec::for_each`], over pairs of items from two slices of equal length.
    pub fn for_each_zip<A: Send, B: Send>(
        &self,
        a: &mut [A],
        b: &mut [B],
        f: impl Fn(usize, &mut A, &mut B) + Sync,
    ) {
        assert_eq!(a.len(), b.len());
        match &self.pool {
            Some(pool) if a.len() > 1 => pool.install(|| {
                a.par_iter_mut()
                    .zip(b.par_iter_mut())
                    .with_max_len(1)
                    .enumerate()
                    .for_each(|(i, (x, y))| f(i, x, y))
            }),
            _ => a
                .iter_mut()
                .zip(b.iter_mut())
                .enumerate()
                .for_each(|(i, (x, y))| f(i, x, y)),
        }
    }
}

/// Cores this process may run on (asked once: `available_parallelism` reads the
/// cgroup files on Linux, a measurable cost for a 20 ms run).
pub fn available_cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// Distance evaluations (n × k × d) below which a second thread costs more than it
/// saves: a pool start plus per-iteration wake-ups are tens of microseconds.
pub const WORK_PER_THREAD: usize = 1 << 20;

/// The thread count for `requested` (0 = auto) on a problem of `n × d` with up to
/// `k` clusters: auto uses one thread per [`WORK_PER_THREAD`] units of work per
/// iteration, at most one per core, so small problems never pay for threads.
pub fn auto_threads(requested: usize, n: usize, d: usize, k: usize) -> usize {
    if requested != 0 {
        return requested;
    }
    let work = n.saturating_mul(d).saturating_mul(k.max(1));
    match work / WORK_PER_THREAD {
        // Small problems do not even ask how many cores there are (it reads files).
        0 | 1 => 1,
        want => want.min(available_cores()),
    }
}
