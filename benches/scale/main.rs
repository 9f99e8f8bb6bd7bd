//! The national-scale benchmark: indexing, search-box, suggestion and demand-matching
//! latency, bulk matching throughput and memory at 100k, 300k and 1M supplies, each next to
//! raw tantivy on the same records. See `benches/README.md` for the results and how to run.
//!
//! ```sh
//! nice cargo bench --bench scale                          # all scales
//! nice cargo bench --bench scale -- --scales 100000       # one scale
//! ```
//!
//! The corpus (`gen-corpus`, seed 42) and every index are built once under
//! `target/bench-data/` (or `$TECHMATCH_BENCH_DATA`) and reused by later runs; delete a
//! directory there to rebuild it. Each build and each serving run is a child process of its
//! own, so its peak RSS is its own.

mod build;
#[path = "../common/mod.rs"]
mod common;
mod raw;
mod serve;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::build::Engine;
use crate::common::data::{corpus_dir, data_dir, ensure_corpus, SEED};
use crate::common::measure;
use crate::serve::Mix;

struct Args {
    scales: Vec<u64>,
    child: Option<(String, Engine, u64)>,
    mix: Mix,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        scales: vec![100_000, 300_000, 1_000_000],
        child: None,
        mix: Mix {
            queries: 1_000,
            suggestions: 500,
            demands: 100,
            bulk_demands: 100,
        },
    };
    let mut it = std::env::args().skip(1);
    let mut child_kind = None;
    let mut engine = Engine::Techmatch;
    let mut n = 0;
    while let Some(arg) = it.next() {
        let mut value = || it.next().context("missing value");
        match arg.as_str() {
            "--bench" => {}
            "--scales" => {
                args.scales = value()?
                    .split(',')
                    .map(|s| s.trim().parse::<u64>())
                    .collect::<Result<_, _>>()?
            }
            "--queries" => args.mix.queries = value()?.parse()?,
            "--suggestions" => args.mix.suggestions = value()?.parse()?,
            "--demands" => args.mix.demands = value()?.parse()?,
            "--bulk-demands" => args.mix.bulk_demands = value()?.parse()?,
            "--child" => child_kind = Some(value()?),
            "--engine" => engine = Engine::parse(&value()?).context("engine: techmatch or raw")?,
            "--n" => n = value()?.parse()?,
            other if other.starts_with("--") => bail!("unknown option {other}"),
            _ => {}
        }
    }
    args.child = child_kind.map(|kind| (kind, engine, n));
    Ok(args)
}

fn index_dir(engine: Engine, n: u64) -> PathBuf {
    data_dir().join(format!("index-{}-{n}", engine.name()))
}

/// Runs a child of this binary and returns the JSON it prints last.
fn run_child(kind: &str, engine: Engine, n: u64, mix: Mix) -> Result<Value> {
    let load_before = measure::load_average();
    let output = Command::new(std::env::current_exe()?)
        .args([
            "--child",
            kind,
            "--engine",
            engine.name(),
            "--n",
            &n.to_string(),
        ])
        .args(["--queries", &mix.queries.to_string()])
        .args(["--suggestions", &mix.suggestions.to_string()])
        .args(["--demands", &mix.demands.to_string()])
        .args(["--bulk-demands", &mix.bulk_demands.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("child {kind} {} {n} failed", engine.name());
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("child printed no result")?;
    let mut value: Value = serde_json::from_str(line)?;
    value["load_before"] = json!(load_before);
    Ok(value)
}

fn ensure_index(engine: Engine, n: u64, mix: Mix) -> Result<Value> {
    let dir = index_dir(engine, n);
    let stamp = dir.with_extension("build.json");
    // A techmatch index this build cannot open (written before a schema or analyzer
    // change) is rebuilt, not reused.
    let opens = matches!(engine, Engine::Raw) || techmatch_indexer::SupplyIndex::open(&dir).is_ok();
    if let Ok(text) = std::fs::read_to_string(&stamp) {
        if dir.join("meta.json").exists() && opens {
            let mut value: Value = serde_json::from_str(&text)?;
            value["reused"] = json!(true);
            return Ok(value);
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    eprintln!("building {} index of {n} supplies", engine.name());
    let value = run_child("build", engine, n, mix)?;
    std::fs::write(&stamp, serde_json::to_string_pretty(&value)?)?;
    Ok(value)
}

fn child(kind: &str, engine: Engine, n: u64, mix: Mix) -> Result<Value> {
    match (kind, engine) {
        ("build", _) => build::build(
            engine,
            &corpus_dir().join("supplies.jsonl"),
            n as usize,
            &index_dir(engine, n),
        ),
        ("serve", Engine::Techmatch) => serve::serve_techmatch(&index_dir(engine, n), n, mix, SEED),
        ("serve", Engine::Raw) => serve::serve_raw(&index_dir(engine, n), n, mix, SEED),
        _ => bail!("unknown child {kind}"),
    }
}

fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some((kind, engine, n)) = &args.child {
        let value = child(kind, *engine, *n, args.mix)?;
        println!("{}", serde_json::to_string(&value)?);
        return Ok(());
    }
    let results_dir = data_dir().join("results");
    std::fs::create_dir_all(&results_dir)?;
    let largest = args.scales.iter().copied().max().unwrap_or(0);
    let corpus = ensure_corpus(largest)?;
    eprintln!("corpus: {corpus}");
    let mut report = json!({"corpus": corpus, "scales": {}});
    for &n in &args.scales {
        let mut scale = json!({});
        for engine in [Engine::Raw, Engine::Techmatch] {
            let built = ensure_index(engine, n, args.mix)?;
            eprintln!("build {} {n}: {built}", engine.name());
            scale[format!("build_{}", engine.name())] = built;
        }
        for engine in [Engine::Raw, Engine::Techmatch] {
            eprintln!("serving {} {n}", engine.name());
            let served = run_child("serve", engine, n, args.mix)?;
            eprintln!("serve {} {n}: {served}", engine.name());
            scale[format!("serve_{}", engine.name())] = served;
        }
        std::fs::write(
            results_dir.join(format!("scale-{n}.json")),
            serde_json::to_string_pretty(&scale)?,
        )?;
        report["scales"][n.to_string()] = scale;
    }
    let path = results_dir.join("last-run.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("{}", summary(&report));
    eprintln!("results in {}", path.display());
    Ok(())
}

/// A markdown summary of a run; latencies are wall time with the thread's CPU time in
/// parentheses, throughputs are wall-clock.
fn summary(report: &Value) -> String {
    let mut out = String::from(
        "| supplies | engine | index docs/s | MB/s | docs/CPU-s | build peak RSS MiB | index MiB | search p50 ms | search p99 ms | suggest p50 / p99 ms | demand p50 / p99 ms | bulk 1t / 2t demands/s | serving RSS MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let f = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.1}"));
    let lat = |v: &Value, p: &str| {
        if v[p].is_null() {
            "-".to_string()
        } else {
            format!("{} ({})", f(&v[p]), f(&v["cpu"][p]))
        }
    };
    if let Some(scales) = report["scales"].as_object() {
        for (n, scale) in scales {
            for engine in ["raw", "techmatch"] {
                let b = &scale[format!("build_{engine}")];
                let s = &scale[format!("serve_{engine}")];
                let bulk = s["bulk"].as_array().map_or("-".to_string(), |b| {
                    b.iter()
                        .map(|x| f(&x["demands_per_s"]))
                        .collect::<Vec<_>>()
                        .join(" / ")
                });
                out.push_str(&format!(
                    "| {n} | {engine} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |\n",
                    f(&b["docs_per_s_indexing"]),
                    f(&b["mb_per_s_indexing"]),
                    f(&b["docs_per_cpu_s"]),
                    f(&b["memory"]["peak_rss_mib"]),
                    f(&b["index_mib"]),
                    lat(&s["search"], "p50_ms"),
                    lat(&s["search"], "p99_ms"),
                    lat(&s["suggest"], "p50_ms"),
                    lat(&s["suggest"], "p99_ms"),
                    lat(&s["demand"], "p50_ms"),
                    lat(&s["demand"], "p99_ms"),
                    bulk,
                    f(&s["memory_after_mix"]["rss_mib"]),
                ));
            }
        }
    }
    out
}
