//! Measurements: memory from /proc/PID/status, CPU clocks, latency percentiles, directory
//! sizes, the load average.

use serde_json::{json, Value};

/// Memory of this process, in MiB: resident now, peak resident, anonymous and file-backed
/// (mmap'ed index files) parts of the resident set.
pub fn memory() -> Value {
    memory_of("self")
}

/// Memory of process `pid` (a number, or `self`), in MiB, as [`memory`] gives it; fields
/// are NaN when the process is gone.
pub fn memory_of(pid: &str) -> Value {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    json!({
        "rss_mib": field("VmRSS:"),
        "peak_rss_mib": field("VmHWM:"),
        "anon_mib": field("RssAnon:"),
        "file_mib": field("RssFile:"),
    })
}

/// p50, p90, p99, max and mean of latencies in milliseconds.
pub fn latency_summary(mut ms: Vec<f64>) -> Value {
    if ms.is_empty() {
        return json!({"n": 0});
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    json!({
        "n": ms.len(),
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": ms[ms.len() - 1],
        "mean_ms": ms.iter().sum::<f64>() / ms.len() as f64,
    })
}

/// Bytes under a directory.
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The load average line of `/proc/loadavg` (other work on the machine skews timings).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec owned by this frame; the clock ids are the POSIX ones.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// CPU time of the whole process (all threads, user + system), in seconds: the machine is
/// shared, so wall time alone overstates what the code costs when other work competes for
/// the cores.
pub fn process_cpu_seconds() -> f64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID) as f64 / 1e9
}

/// CPU time of the calling thread, in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}
