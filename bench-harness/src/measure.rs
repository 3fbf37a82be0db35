//! Measuring one subprocess: wall time on the monotonic clock around spawn and exit,
//! user/system CPU and `ru_maxrss` from `wait4`, and the peak of `VmRSS` sampled from
//! `/proc/PID/status` every 10 ms by a sampler thread (the seed's method).
//!
//! How the numbers stay honest:
//! - The exit is never sleep-polled: the main thread blocks in `waitid(WNOWAIT)`, so
//!   the clock stops within microseconds of the child's exit. The child is only reaped
//!   (by `wait4`, which yields its rusage) after it is no longer registered as live, so
//!   a timeout or Ctrl-C kill can never hit a recycled PID.
//! - `ru_maxrss` of a child starts from the high-water mark of the address space it
//!   was spawned from (Linux carries the pre-exec `mm`'s peak into the child's maxrss).
//!   The harness is kept small (data is streamed, the machine probe runs in its own
//!   process), and right before each spawn it resets its own high-water mark to its
//!   current RSS (`echo 5 > /proc/self/clear_refs`), so a trivial child reports a few
//!   MB. The harness's own RSS at spawn is recorded as `harness_rss_mb`: the floor of
//!   `max_rss_mb`.
//! - The child runs in its own process group: a terminal Ctrl-C reaches only the
//!   harness, which then kills the whole group and writes no row for that run.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sampling period of the RSS sampler.
pub const SAMPLE_PERIOD: Duration = Duration::from_millis(10);

/// Process groups of the children currently running and not yet reaped.
static LIVE_CHILDREN: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How the child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exited normally with this status code.
    Code(i32),
    /// Killed by this signal (not by the harness).
    Signal(i32),
    /// Killed by the harness after the timeout.
    TimedOut,
    /// Killed by the harness because the user pressed Ctrl-C.
    Interrupted,
}

/// Everything measured about one run.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// How the child ended.
    pub exit: Exit,
    /// Wall time, seconds.
    pub wall_s: f64,
    /// User CPU time, seconds.
    pub user_s: f64,
    /// System CPU time, seconds.
    pub sys_s: f64,
    /// `ru_maxrss` from `wait4`, in MiB.
    pub max_rss_mb: f64,
    /// Peak of the sampled `VmRSS`, in MiB (None when no sample saw the process).
    pub peak_rss_mb_sampled: Option<f64>,
    /// Number of `VmRSS` samples taken.
    pub rss_samples: u32,
    /// The harness's own RSS right before the spawn, in MiB.
    pub harness_rss_mb: f64,
}

/// Installs the handler of Ctrl-C (SIGINT), SIGTERM and SIGHUP: the first signal kills
/// the running child's process group (so no contestant is left running on its own) and
/// asks the harness to stop after it; a second one exits at once.
pub fn install_interrupt_handler() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        kill_live_children(None);
    })
    .map_err(|e| anyhow::anyhow!("installing the Ctrl-C handler: {e}"))
}

/// Whether the user asked the harness to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Kills the process group of every live child, or only of `only` if it is live.
fn kill_live_children(only: Option<i32>) {
    let live = LIVE_CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    for &pgid in live.iter().filter(|&&p| only.is_none_or(|o| o == p)) {
        // SAFETY: kill(2) has no memory-safety preconditions. A group leader is not
        // reaped while it is registered in LIVE_CHILDREN (the waiter removes it under
        // this lock before reaping), so the id cannot have been recycled.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

fn set_live(pid: i32, live: bool) {
    let mut guard = LIVE_CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    if live {
        guard.push(pid);
    } else {
        guard.retain(|&p| p != pid);
    }
}

/// Resident set size of this process in KiB, from `/proc/self/status`.
pub fn self_rss_kb() -> Option<u64> {
    read_status_kb("/proc/self/status", "VmRSS:")
}

fn read_status_kb(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Keeps the harness's heap from holding on to freed memory: large allocations (the
/// answers it checks) always get their own mapping, returned to the OS when freed.
/// Call once at start-up. glibc only; elsewhere a no-op.
pub fn keep_heap_small() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a malloc tuning parameter; called before threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Returns freed heap memory to the OS and resets this process's RSS high-water mark to
/// its current RSS, so the child spawned next does not inherit an old peak in its
/// `ru_maxrss`. Best effort.
fn shrink_and_reset_own_peak_rss() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory at the top of the heap to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs `cmd` to completion (or until `timeout`) and measures it. The caller sets up
/// arguments, environment and redirections; this puts the child in its own process
/// group. Errors only when the process cannot be started.
pub fn run(cmd: &mut Command, timeout: Duration) -> std::io::Result<Measurement> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);

    // The sampler thread exists before the clock starts; it learns the PID by channel.
    let (pid_tx, pid_rx) = mpsc::channel::<i32>();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let sampler = std::thread::spawn(move || sample(pid_rx, stop_rx, timeout));

    shrink_and_reset_own_peak_rss();
    let harness_rss_mb = self_rss_kb().unwrap_or(0) as f64 / 1024.0;

    let start = Instant::now();
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            drop(pid_tx);
            let _ = sampler.join();
            return Err(e);
        }
    };
    let pid = child.id() as i32;
    // From here on the child is reaped by wait4 below, never through `child`.
    drop(child);
    set_live(pid, true);
    let _ = pid_tx.send(pid);
    if interrupted() {
        kill_live_children(Some(pid));
    }

    // Block until the child has exited, leaving it unreaped (WNOWAIT).
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t; `pid` is our own child.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    let wall = start.elapsed();

    // Unregister before reaping, so no kill can reach a recycled PID.
    set_live(pid, false);
    let _ = stop_tx.send(());
    let sampled = sampler.join().unwrap_or_default();

    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid, writable; `pid` is our unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return Err(std::io::Error::last_os_error());
        }
    }

    let exit = if sampled.timed_out {
        Exit::TimedOut
    } else if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else if interrupted() {
        Exit::Interrupted
    } else if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Signal(0)
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok(Measurement {
        exit,
        wall_s: wall.as_secs_f64(),
        user_s: tv(usage.ru_utime),
        sys_s: tv(usage.ru_stime),
        max_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        peak_rss_mb_sampled: sampled.peak_kb.map(|kb| kb as f64 / 1024.0),
        rss_samples: sampled.samples,
        harness_rss_mb,
    })
}

#[derive(Default)]
struct Sampled {
    peak_kb: Option<u64>,
    samples: u32,
    timed_out: bool,
}

/// The sampler: reads `VmRSS` every [`SAMPLE_PERIOD`] until told to stop, and kills the
/// child's process group when the timeout passes.
fn sample(pid_rx: mpsc::Receiver<i32>, stop_rx: mpsc::Receiver<()>, timeout: Duration) -> Sampled {
    let mut out = Sampled::default();
    let Ok(pid) = pid_rx.recv() else {
        return out;
    };
    let start = Instant::now();
    let path = format!("/proc/{pid}/status");
    loop {
        if let Some(kb) = read_status_kb(&path, "VmRSS:") {
            out.samples += 1;
            out.peak_kb = Some(out.peak_kb.map_or(kb, |p| p.max(kb)));
        }
        if !out.timed_out && start.elapsed() >= timeout {
            out.timed_out = true;
            kill_live_children(Some(pid));
        }
        match stop_rx.recv_timeout(SAMPLE_PERIOD) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            _ => return out,
        }
    }
}

/// Name of a signal number, for failure reasons.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGINT => "SIGINT",
        libc::SIGPIPE => "SIGPIPE",
        _ => return format!("signal {sig}"),
    };
    format!("{name} ({sig})")
}
