//! The load generator: N client tasks, each with its own HTTP/1.1 keep-alive connection,
//! sending the next request as soon as the previous response has been read in full (a
//! closed loop), until the phase's deadline or the request budget.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use crate::workload::{Kind, SplitMix, Workload};

/// Latencies are recorded in microseconds, up to a minute, to 3 significant digits.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

/// What happened to the requests of one kind.
pub struct KindStats {
    /// Latency of the successful (2xx) requests, in µs, until the whole body was read.
    pub latency: Histogram<u64>,
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Failures without a response: connect, I/O, timeout.
    pub failures: BTreeMap<&'static str, u64>,
    /// Response body bytes of the successful requests (compressed as sent).
    pub body_bytes: u64,
}

impl KindStats {
    fn new() -> KindStats {
        KindStats {
            latency: new_histogram(),
            statuses: BTreeMap::new(),
            failures: BTreeMap::new(),
            body_bytes: 0,
        }
    }

    /// 2xx responses.
    pub fn ok(&self) -> u64 {
        self.latency.len()
    }

    /// Non-2xx responses plus failures.
    pub fn errors(&self) -> u64 {
        let bad_status: u64 = self
            .statuses
            .iter()
            .filter(|(status, _)| !(200..300).contains(*status))
            .map(|(_, n)| n)
            .sum();
        bad_status + self.failures.values().sum::<u64>()
    }

    fn merge(&mut self, other: &KindStats) {
        self.latency.add(&other.latency).expect("same bounds");
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        for (failure, n) in &other.failures {
            *self.failures.entry(failure).or_default() += n;
        }
        self.body_bytes += other.body_bytes;
    }

    /// Counts and latency percentiles in milliseconds.
    pub fn summary(&self, seconds: f64) -> Value {
        let ms = |us: u64| us as f64 / 1000.0;
        let h = &self.latency;
        let (p50, p90, p99, p999, max, mean) = if h.is_empty() {
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        } else {
            (
                ms(h.value_at_quantile(0.50)),
                ms(h.value_at_quantile(0.90)),
                ms(h.value_at_quantile(0.99)),
                ms(h.value_at_quantile(0.999)),
                ms(h.max()),
                h.mean() / 1000.0,
            )
        };
        json!({
            "ok": self.ok(),
            "errors": self.errors(),
            "per_s": self.ok() as f64 / seconds,
            "p50_ms": p50,
            "p90_ms": p90,
            "p99_ms": p99,
            "p999_ms": p999,
            "max_ms": max,
            "mean_ms": mean,
            "statuses": self.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "failures": self.failures.iter().map(|(f, n)| (f.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "mean_body_bytes": if self.ok() > 0 { self.body_bytes as f64 / self.ok() as f64 } else { 0.0 },
        })
    }
}

/// The statistics of a phase, per kind.
pub struct Stats {
    /// Indexed by [`Kind::index`].
    pub kinds: Vec<KindStats>,
    /// Connections opened (one per client, more after failures).
    pub connections_opened: u64,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            kinds: Kind::ALL.iter().map(|_| KindStats::new()).collect(),
            connections_opened: 0,
        }
    }

    /// The stats of one kind.
    pub fn kind(&self, kind: Kind) -> &KindStats {
        &self.kinds[kind.index()]
    }

    /// Requests answered or failed.
    pub fn requests(&self) -> u64 {
        self.kinds
            .iter()
            .map(|k| k.statuses.values().sum::<u64>() + k.failures.values().sum::<u64>())
            .sum()
    }

    /// Errors of every kind.
    pub fn errors(&self) -> u64 {
        self.kinds.iter().map(KindStats::errors).sum()
    }

    fn merge(&mut self, other: &Stats) {
        for (mine, theirs) in self.kinds.iter_mut().zip(&other.kinds) {
            mine.merge(theirs);
        }
        self.connections_opened += other.connections_opened;
    }
}

/// Where and how to send.
#[derive(Clone)]
pub struct Target {
    /// The server.
    pub addr: SocketAddr,
    /// `Bearer KEY` for writes.
    pub authorization: HeaderValue,
    /// Ask for gzip, as browsers do.
    pub gzip: bool,
    /// Longest wait for one response.
    pub timeout: Duration,
}

/// One phase: `connections` clients until `deadline` or until `budget` requests have been
/// started (0: no budget).
pub struct Phase {
    /// Concurrent clients, one connection each.
    pub connections: usize,
    /// When the clients stop starting requests.
    pub deadline: Instant,
    /// Most requests to start, over all clients (0: unbounded).
    pub budget: u64,
    /// Seeds the clients' random streams (differs between warm-up and measurement).
    pub seed: u64,
}

/// Runs a phase and returns the merged statistics.
pub async fn run_phase(target: &Target, workload: &Arc<Workload>, phase: Phase) -> Stats {
    let started = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(phase.connections);
    for client in 0..phase.connections {
        let target = target.clone();
        let workload = workload.clone();
        let started = started.clone();
        let seed = phase
            .seed
            .wrapping_mul(1_000_003)
            .wrapping_add(client as u64);
        let (deadline, budget) = (phase.deadline, phase.budget);
        tasks.push(tokio::spawn(async move {
            client_loop(&target, &workload, seed, deadline, budget, &started).await
        }));
    }
    let mut stats = Stats::new();
    for task in tasks {
        match task.await {
            Ok(client) => stats.merge(&client),
            Err(error) => eprintln!("a client task failed: {error}"),
        }
    }
    stats
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // Ends when the sender is dropped or the server closes; errors surface on send.
        let _ = connection.await;
    });
    Ok(sender)
}

async fn client_loop(
    target: &Target,
    workload: &Workload,
    seed: u64,
    deadline: Instant,
    budget: u64,
    started: &AtomicU64,
) -> Stats {
    let mut rng = SplitMix::new(seed);
    let mut stats = Stats::new();
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let mut opened = 0;
    let host = HeaderValue::from_str(&target.addr.to_string()).expect("an address is a header");
    while Instant::now() < deadline {
        if budget > 0 && started.fetch_add(1, Ordering::Relaxed) >= budget {
            break;
        }
        let request = workload.next(&mut rng);
        let kind = &mut stats.kinds[request.kind.index()];
        if sender.is_none() {
            match tokio::time::timeout(target.timeout, connect(target.addr)).await {
                Ok(Ok(connected)) => {
                    sender = Some(connected);
                    opened += 1;
                }
                _ => {
                    *kind.failures.entry("connect").or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let mut builder = hyper::Request::builder()
            .method(request.method)
            .uri(&request.path)
            .header(HOST, host.clone());
        if target.gzip {
            builder = builder.header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if request.body.is_some() {
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if request.authorized {
            builder = builder.header(AUTHORIZATION, target.authorization.clone());
        }
        let http_request = builder
            .body(Full::new(request.body.unwrap_or_default()))
            .expect("a valid request");
        let connection = sender.as_mut().expect("connected above");
        let sent = Instant::now();
        let exchange = async {
            connection.ready().await?;
            let response = connection.send_request(http_request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body.len()))
        };
        match tokio::time::timeout(target.timeout, exchange).await {
            Ok(Ok((status, bytes))) => {
                let micros = sent.elapsed().as_micros() as u64;
                *kind.statuses.entry(status).or_default() += 1;
                if (200..300).contains(&status) {
                    kind.latency.saturating_record(micros.max(1));
                    kind.body_bytes += bytes as u64;
                }
            }
            Ok(Err(_)) => {
                *kind.failures.entry("io").or_default() += 1;
                sender = None;
            }
            Err(_) => {
                *kind.failures.entry("timeout").or_default() += 1;
                sender = None;
            }
        }
    }
    stats.connections_opened = opened;
    stats
}
