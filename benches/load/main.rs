//! The load test of issue 10: the release `techmatch serve` on a 100k-supply index, loaded
//! over loopback by N keep-alive HTTP/1.1 connections with a mixed workload (search box,
//! suggestions, demand matching, writes), bounded in time and optionally in requests.
//! Reports throughput, latency percentiles per kind, errors, and the server's RSS and CPU.
//! See `benches/README.md` for the results and how to run.
//!
//! ```sh
//! nice cargo bench --bench load                              # 16 and 64 connections, 60 s each
//! nice cargo bench --bench load -- --search-only             # the search-box ceiling
//! nice cargo bench --bench load -- --soak 600                # 10 minutes at 64, RSS every 10 s
//! ```
//!
//! The corpus and the index are built once under `target/bench-data/` (or
//! `$TECHMATCH_BENCH_DATA`) and reused; every run serves a fresh copy of the index (runs
//! write to it) from a fresh server process.

mod client;
#[path = "../common/mod.rs"]
mod common;
mod index;
mod report;
mod server;
mod workload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::header::HeaderValue;
use serde_json::{json, Value};
use techmatch_corpus::Generator;

use crate::client::{run_phase, Phase, Target};
use crate::common::data::{data_dir, results_dir, SEED};
use crate::common::measure;
use crate::server::{ServerOptions, ServerProcess};
use crate::workload::{Mix, Pools, Workload};

/// The write key the bench gives the server (by environment variable) and the clients.
const API_KEY: &str = "load-bench-key-0123456789";

/// Options of a bench invocation.
struct Args {
    supplies: u64,
    connections: Vec<usize>,
    duration: u64,
    warmup: u64,
    max_requests: u64,
    mix: Mix,
    label: String,
    soak: Option<u64>,
    sample_every: u64,
    timeout: u64,
    search_extra: Option<String>,
    server_log: String,
    server_bin: PathBuf,
    gzip: bool,
    client_threads: usize,
    zipf: f64,
}

const USAGE: &str = "options: --supplies N (100000) --connections 16,64 --duration SECS (60) \
--warmup SECS (10) --max-requests N (0: none) --mix search=80,suggest=12,match=6,write=2 \
--search-only --soak SECS (one run at the largest --connections, default 64) \
--sample-every SECS (10) --timeout SECS (30) --search-extra QUERY (e.g. facets=false) \
--server-log FILTER (warn) --server-bin PATH --no-gzip --client-threads N (1) --label NAME \
--zipf S (0: every search and prefix of the pools equally likely; 1.0: the k-th most popular \
drawn with weight 1/k, as in search logs)";

fn parse_args() -> Result<Args> {
    let mut args = Args {
        supplies: 100_000,
        connections: vec![16, 64],
        duration: 60,
        warmup: 10,
        max_requests: 0,
        mix: Mix::DEFAULT,
        label: "mixed".to_string(),
        soak: None,
        sample_every: 10,
        timeout: 30,
        search_extra: None,
        server_log: "warn".to_string(),
        server_bin: server::default_binary(),
        gzip: true,
        client_threads: 1,
        zipf: 0.0,
    };
    let mut label = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg}: missing value"));
        match arg.as_str() {
            "--bench" => {}
            "--supplies" => args.supplies = value()?.parse()?,
            "--connections" => {
                args.connections = value()?
                    .split(',')
                    .map(|s| s.trim().parse::<usize>())
                    .collect::<Result<_, _>>()?
            }
            "--duration" => args.duration = value()?.parse()?,
            "--warmup" => args.warmup = value()?.parse()?,
            "--max-requests" => args.max_requests = value()?.parse()?,
            "--mix" => args.mix = Mix::parse(&value()?)?,
            "--search-only" => {
                args.mix = Mix::SEARCH_ONLY;
                args.label = "search".to_string();
            }
            "--soak" => args.soak = Some(value()?.parse()?),
            "--sample-every" => args.sample_every = value()?.parse()?,
            "--timeout" => args.timeout = value()?.parse()?,
            "--search-extra" => args.search_extra = Some(value()?),
            "--server-log" => args.server_log = value()?,
            "--server-bin" => args.server_bin = PathBuf::from(value()?),
            "--no-gzip" => args.gzip = false,
            "--client-threads" => args.client_threads = value()?.parse()?,
            "--zipf" => args.zipf = value()?.parse()?,
            "--label" => label = Some(value()?),
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other if other.starts_with("--") => bail!("unknown option {other}\n{USAGE}"),
            _ => {}
        }
    }
    if args.connections.is_empty() || args.connections.contains(&0) {
        bail!("--connections: positive numbers");
    }
    if let Some(seconds) = args.soak {
        let connections = if args.connections == [16, 64] {
            64
        } else {
            *args.connections.iter().max().expect("not empty")
        };
        args.connections = vec![connections];
        args.duration = seconds;
        args.label = "soak".to_string();
    }
    if let Some(label) = label {
        args.label = label;
    }
    Ok(args)
}

/// One run: a fresh copy of the index, a fresh server, a warm-up, the measured phase.
fn run(args: &Args, connections: usize, workload: Arc<Workload>) -> Result<Value> {
    let source = index::index_dir(args.supplies);
    let copy = data_dir().join(format!("index-load-{}-run", args.supplies));
    index::fresh_copy(&source, &copy)?;
    let results = results_dir();
    let started_utc = report::utc_now();
    let load_before = measure::load_average();
    let server = ServerProcess::start(&ServerOptions {
        binary: args.server_bin.clone(),
        index: copy.clone(),
        api_key: API_KEY.to_string(),
        concurrency_limit: (connections * 2).max(256),
        log_filter: args.server_log.clone(),
        log_file: results.join("load-server.log"),
    })?;
    let at_start = server.snapshot();
    eprintln!(
        "run {} at {connections} connections: server pid {} on {}, rss {:.0} MiB",
        args.label,
        server.pid(),
        server.addr,
        at_start["rss_mib"].as_f64().unwrap_or(f64::NAN)
    );
    let target = Target {
        addr: server.addr,
        authorization: HeaderValue::from_str(&format!("Bearer {API_KEY}"))?,
        gzip: args.gzip,
        timeout: Duration::from_secs(args.timeout),
    };
    let runtime = if args.client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads)
            .enable_all()
            .build()?
    };
    let measured = runtime.block_on(async {
        let warmup = run_phase(
            &target,
            &workload,
            Phase {
                connections,
                deadline: Instant::now() + Duration::from_secs(args.warmup),
                budget: 0,
                seed: 1,
            },
        )
        .await;
        let after_warmup = server.snapshot();
        let client_cpu = measure::process_cpu_seconds();
        let written_before = workload.written();
        let started = Instant::now();
        let deadline = started + Duration::from_secs(args.duration);
        let sampler = report::sample_memory(&server, started, deadline, args.sample_every);
        let phase = run_phase(
            &target,
            &workload,
            Phase {
                connections,
                deadline,
                budget: args.max_requests,
                seed: 2,
            },
        );
        let (stats, samples) = tokio::join!(phase, sampler);
        let seconds = started.elapsed().as_secs_f64();
        let client_cpu = measure::process_cpu_seconds() - client_cpu;
        let at_end = server.snapshot();
        let metrics = report::server_metrics(server.addr).await;
        report::run_value(report::RunInput {
            label: &args.label,
            connections,
            mix: workload.mix(),
            seconds,
            warmup_requests: warmup.requests(),
            warmup_errors: warmup.errors(),
            stats: &stats,
            samples: &samples,
            after_warmup,
            at_end,
            client_cpu_s: client_cpu,
            written: workload.written() - written_before,
            metrics,
        })
    });
    let mut value = measured;
    value["server_at_start"] = at_start;
    value["load_before"] = json!(load_before);
    value["load_after"] = json!(measure::load_average());
    value["supplies"] = json!(args.supplies);
    value["server_log"] = json!(args.server_log);
    value["search_extra"] = json!(args.search_extra);
    value["gzip"] = json!(args.gzip);
    value["client_threads"] = json!(args.client_threads);
    value["zipf"] = json!(args.zipf);
    value["warmup_s"] = json!(args.warmup);
    value["max_requests"] = json!(args.max_requests);
    value["started_utc"] = json!(started_utc);
    drop(server);
    std::fs::remove_dir_all(&copy).ok();
    Ok(value)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    server::check_binary(&args.server_bin)?;
    std::fs::create_dir_all(results_dir())?;
    let built = index::ensure_index(args.supplies)?;
    eprintln!("index: {built}");
    let generator = Generator::new(SEED);
    let pools = Pools {
        searches: 5_000,
        suggestions: 2_000,
        demands: 500,
        writes: 1_000,
    };
    let prefix = format!("LOAD-{}-", std::process::id());
    let workload = Arc::new(Workload::build(
        &generator,
        args.supplies,
        args.mix,
        &pools,
        args.search_extra.as_deref(),
        &prefix,
        args.zipf,
    )?);
    let mut runs = Vec::new();
    for &connections in &args.connections {
        let value = run(&args, connections, workload.clone())?;
        println!("{}", report::run_table(&value));
        let path = results_dir().join(format!(
            "load-{}-c{connections}-{}.json",
            args.label,
            report::utc_now().replace([':', '-'], "")
        ));
        std::fs::write(&path, serde_json::to_string_pretty(&value)?)?;
        eprintln!("results in {}", path.display());
        runs.push(value);
    }
    println!("{}", report::summary_table(&runs));
    Ok(())
}
