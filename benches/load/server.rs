//! The server under load: the release `techmatch serve` binary as a child process on a free
//! loopback port, killed on drop, and what /proc tells about it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::common::measure;

/// Settings of the environment that must not reach the server from the caller's shell.
const CLEARED_ENV: [&str; 10] = [
    "TECHMATCH_CONFIG",
    "TECHMATCH_INDEX",
    "TECHMATCH_ADDR",
    "TECHMATCH_SEED",
    "TECHMATCH_CORS_ORIGINS",
    "TECHMATCH_MAX_BODY_BYTES",
    "TECHMATCH_LOG_FORMAT",
    "TECHMATCH_CONCURRENCY_LIMIT",
    "TECHMATCH_REQUEST_TIMEOUT_SECS",
    "TECHMATCH_COMPRESSION",
];

/// How to start the server.
pub struct ServerOptions {
    /// The `techmatch` binary.
    pub binary: PathBuf,
    /// The index it serves (and writes to).
    pub index: PathBuf,
    /// The write key (given by environment variable, as in production).
    pub api_key: String,
    /// `--concurrency-limit`: above the client's connections, so no request gets 503.
    pub concurrency_limit: usize,
    /// `TECHMATCH_LOG` (request logs are `info`).
    pub log_filter: String,
    /// Where its stderr (logs) goes.
    pub log_file: PathBuf,
}

/// A running `techmatch serve`; killed on drop.
pub struct ServerProcess {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts the server and waits until it prints the address it listens on.
    pub fn start(options: &ServerOptions) -> Result<ServerProcess> {
        let log = std::fs::File::create(&options.log_file)
            .with_context(|| format!("cannot create {}", options.log_file.display()))?;
        let mut command = Command::new(&options.binary);
        command
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .arg("--index")
            .arg(&options.index)
            .args([
                "--concurrency-limit",
                &options.concurrency_limit.to_string(),
            ])
            .env("TECHMATCH_API_KEY", &options.api_key)
            .env("TECHMATCH_LOG", &options.log_filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        for name in CLEARED_ENV {
            command.env_remove(name);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", options.binary.display()))?;
        let stdout = child.stdout.take().context("stdout is piped")?;
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps reading until the server exits, so it never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("techmatch listening on http://") {
                    let _ = sender.send(addr.to_string());
                }
            }
        });
        let mut server = ServerProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        match receiver.recv_timeout(Duration::from_secs(300)) {
            Ok(addr) => server.addr = addr.parse().context("the printed address")?,
            Err(_) => bail!(
                "the server did not start; its log is in {}",
                options.log_file.display()
            ),
        }
        Ok(server)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its memory (VmRSS, VmHWM, anonymous and file-backed parts), in MiB.
    pub fn memory(&self) -> Value {
        measure::memory_of(&self.pid().to_string())
    }

    /// User + system CPU seconds it has used.
    pub fn cpu_seconds(&self) -> f64 {
        process_cpu_seconds(self.pid())
    }

    /// Its thread count.
    pub fn threads(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// A snapshot for reports: memory, CPU seconds, threads.
    pub fn snapshot(&self) -> Value {
        let mut value = self.memory();
        value["cpu_s"] = json!(self.cpu_seconds());
        value["threads"] = json!(self.threads());
        value
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU seconds of a process, from `/proc/PID/stat` (NaN when it is gone).
pub fn process_cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // The command name (field 2) may hold spaces; the fields after its ')' are plain.
    let Some((_, after)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / per_second,
        _ => f64::NAN,
    }
}

/// The `techmatch` binary: cargo builds it for the bench and names it at compile time.
pub fn default_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_techmatch"))
}

/// Whether `path` is an executable file.
pub fn check_binary(path: &Path) -> Result<()> {
    if !path.is_file() {
        bail!(
            "no techmatch binary at {} (build it with 'cargo build --release --bin techmatch', or give --server-bin)",
            path.display()
        );
    }
    Ok(())
}
