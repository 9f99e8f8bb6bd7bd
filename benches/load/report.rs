//! What a run reports: the server's memory over time, its own view of latency (/metrics),
//! the JSON result and the tables printed at the end.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use crate::client::Stats;
use crate::server::ServerProcess;
use crate::workload::{Kind, Mix};

/// The server's memory and CPU every `every` seconds from `started` until `deadline`
/// (the first sample at once).
pub async fn sample_memory(
    server: &ServerProcess,
    started: Instant,
    deadline: Instant,
    every: u64,
) -> Vec<Value> {
    let mut samples = Vec::new();
    let every = Duration::from_secs(every.max(1));
    let mut next = started;
    loop {
        let mut sample = server.snapshot();
        sample["t_s"] = json!(started.elapsed().as_secs_f64());
        samples.push(sample);
        next += every;
        if next > deadline {
            break;
        }
        tokio::time::sleep_until(next.into()).await;
    }
    samples
}

/// Mean time until the response starts per route, as the server measured it
/// (`http_request_duration_seconds` sum / count of `GET /metrics`), in ms, with the count.
pub async fn server_metrics(addr: SocketAddr) -> Value {
    match fetch_metrics(addr).await {
        Ok(text) => parse_metrics(&text),
        Err(error) => json!({"error": error.to_string()}),
    }
}

async fn fetch_metrics(addr: SocketAddr) -> anyhow::Result<String> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get("/metrics")
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::new())?;
    let response = sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// `name{labels} value` lines of `metric`: the value of each label, and the value.
fn samples<'a>(
    text: &'a str,
    metric: &'a str,
) -> impl Iterator<Item = (impl Fn(&str) -> String + 'a, f64)> + 'a {
    text.lines().filter_map(move |line| {
        let rest = line.strip_prefix(metric)?.strip_prefix('{')?;
        let (labels, value) = rest.split_once("} ")?;
        let label = move |name: &str| {
            labels
                .split(',')
                .find_map(|l| l.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
                .unwrap_or_default()
        };
        Some((label, value.trim().parse().unwrap_or(f64::NAN)))
    })
}

fn parse_metrics(text: &str) -> Value {
    let mut routes = serde_json::Map::new();
    for (metric, key) in [
        ("http_request_duration_seconds_sum", "sum_s"),
        ("http_request_duration_seconds_count", "count"),
    ] {
        for (label, value) in samples(text, metric) {
            let name = format!("{} {}", label("method"), label("route"));
            routes.entry(name).or_insert_with(|| json!({}))[key] = json!(value);
        }
    }
    let mut cache = serde_json::Map::new();
    for (label, value) in samples(text, "techmatch_cache_lookups_total") {
        cache
            .entry(label("cache"))
            .or_insert_with(|| json!({"hit": 0.0, "miss": 0.0}))[label("result")] = json!(value);
    }
    for counts in cache.values_mut() {
        let (hit, miss) = (
            counts["hit"].as_f64().unwrap_or(0.0),
            counts["miss"].as_f64().unwrap_or(0.0),
        );
        if hit + miss > 0.0 {
            counts["hit_ratio"] = json!(hit / (hit + miss));
        }
    }
    routes.insert("cache".to_string(), Value::Object(cache));
    for route in routes.values_mut() {
        let (sum, count) = (route["sum_s"].as_f64(), route["count"].as_f64());
        if let (Some(sum), Some(count)) = (sum, count) {
            route["mean_ms"] = json!(if count > 0.0 {
                sum / count * 1000.0
            } else {
                0.0
            });
        }
    }
    Value::Object(routes)
}

/// What [`run_value`] puts together.
pub struct RunInput<'a> {
    pub label: &'a str,
    pub connections: usize,
    pub mix: Mix,
    pub seconds: f64,
    pub warmup_requests: u64,
    pub warmup_errors: u64,
    pub stats: &'a Stats,
    pub samples: &'a [Value],
    pub after_warmup: Value,
    pub at_end: Value,
    pub client_cpu_s: f64,
    pub written: u64,
    pub metrics: Value,
}

/// Least-squares slope of `y` over `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let var: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if var == 0.0 {
        0.0
    } else {
        cov / var
    }
}

/// First, last, max and slope (MiB per minute) of one memory field over the samples.
fn memory_trend(samples: &[Value], field: &str) -> Value {
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter_map(|s| Some((s["t_s"].as_f64()? / 60.0, s[field].as_f64()?)))
        .collect();
    let values: Vec<f64> = points.iter().map(|p| p.1).collect();
    json!({
        "first_mib": values.first(),
        "last_mib": values.last(),
        "max_mib": values.iter().copied().fold(f64::NAN, f64::max),
        "slope_mib_per_min": slope(&points),
    })
}

/// The JSON result of a run.
pub fn run_value(input: RunInput<'_>) -> Value {
    let stats = input.stats;
    let seconds = input.seconds;
    let requests = stats.requests();
    let server_cpu = input.at_end["cpu_s"].as_f64().unwrap_or(f64::NAN)
        - input.after_warmup["cpu_s"].as_f64().unwrap_or(f64::NAN);
    let mut kinds = serde_json::Map::new();
    for kind in Kind::ALL {
        if input.mix.has(kind) || stats.kind(kind).ok() > 0 {
            kinds.insert(kind.name().into(), stats.kind(kind).summary(seconds));
        }
    }
    json!({
        "label": input.label,
        "connections": input.connections,
        "mix": input.mix.describe(),
        "seconds": seconds,
        "requests": requests,
        "requests_per_s": requests as f64 / seconds,
        "search_per_s": stats.kind(Kind::Search).ok() as f64 / seconds,
        "errors": stats.errors(),
        "connections_opened": stats.connections_opened,
        "warmup_requests": input.warmup_requests,
        "warmup_errors": input.warmup_errors,
        "supplies_written": input.written,
        "kinds": kinds,
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_request": server_cpu * 1000.0 / requests.max(1) as f64,
        "server_cores_used": server_cpu / seconds,
        "client_cpu_s": input.client_cpu_s,
        "client_cores_used": input.client_cpu_s / seconds,
        "server_after_warmup": input.after_warmup,
        "server_at_end": input.at_end,
        "rss": memory_trend(input.samples, "rss_mib"),
        "rss_anon": memory_trend(input.samples, "anon_mib"),
        "samples": input.samples,
        "server_metrics": input.metrics,
    })
}

fn f(value: &Value, digits: usize) -> String {
    value
        .as_f64()
        .map_or("-".to_string(), |x| format!("{x:.digits$}"))
}

/// A readable table of one run.
pub fn run_table(run: &Value) -> String {
    let mut out = format!(
        "\n{} — {} connections, {} s, mix {}: {} requests ({} /s, search {} /s), {} errors\n\
         server CPU {} cores ({} ms per request), client CPU {} cores; load average {} -> {}\n\
         server RSS start {} MiB, after warm-up {} MiB, end {} MiB (anon {} MiB, peak VmHWM {} MiB)\n\
         popularity zipf {}; cache hit ratio (warm-up included) search {}, suggest {}\n\n\
         | kind | ok | errors | /s | p50 ms | p90 ms | p99 ms | max ms | server mean ms |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        run["label"].as_str().unwrap_or(""),
        run["connections"],
        f(&run["seconds"], 1),
        run["mix"].as_str().unwrap_or(""),
        run["requests"],
        f(&run["requests_per_s"], 1),
        f(&run["search_per_s"], 1),
        run["errors"],
        f(&run["server_cores_used"], 2),
        f(&run["server_cpu_ms_per_request"], 2),
        f(&run["client_cores_used"], 2),
        run["load_before"].as_str().unwrap_or(""),
        run["load_after"].as_str().unwrap_or(""),
        f(&run["server_at_start"]["rss_mib"], 0),
        f(&run["server_after_warmup"]["rss_mib"], 0),
        f(&run["server_at_end"]["rss_mib"], 0),
        f(&run["server_at_end"]["anon_mib"], 0),
        f(&run["server_at_end"]["peak_rss_mib"], 0),
        f(&run["zipf"], 2),
        f(&run["server_metrics"]["cache"]["search"]["hit_ratio"], 3),
        f(&run["server_metrics"]["cache"]["suggest"]["hit_ratio"], 3),
    );
    let routes = [
        ("search", "GET /api/search"),
        ("suggest", "GET /api/suggest"),
        ("match", "POST /api/match"),
        ("write", "PUT /api/supplies/{id}"),
    ];
    if let Some(kinds) = run["kinds"].as_object() {
        for (name, k) in kinds {
            let route = routes
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, r)| r);
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                k["ok"],
                k["errors"],
                f(&k["per_s"], 1),
                f(&k["p50_ms"], 1),
                f(&k["p90_ms"], 1),
                f(&k["p99_ms"], 1),
                f(&k["max_ms"], 1),
                f(&run["server_metrics"][route]["mean_ms"], 1),
            ));
        }
    }
    let rss = &run["rss"];
    out.push_str(&format!(
        "\nRSS samples: {} (first {} MiB, last {} MiB, max {} MiB, slope {} MiB/min; anon first {} last {} slope {} MiB/min)\n",
        run["samples"].as_array().map_or(0, Vec::len),
        f(&rss["first_mib"], 0),
        f(&rss["last_mib"], 0),
        f(&rss["max_mib"], 0),
        f(&rss["slope_mib_per_min"], 2),
        f(&run["rss_anon"]["first_mib"], 0),
        f(&run["rss_anon"]["last_mib"], 0),
        f(&run["rss_anon"]["slope_mib_per_min"], 2),
    ));
    out
}

/// One markdown line per run, for benches/README.md.
pub fn summary_table(runs: &[Value]) -> String {
    let mut out = String::from(
        "| run | conns | s | req/s | search/s | search p50 / p99 ms | suggest p50 / p99 ms | match p50 / p99 ms | write p50 / p99 ms | errors | server CPU ms/req | RSS start → end MiB (anon) | load avg before → after |\n\
         |---|---:|---:|---:|---:|---|---|---|---|---:|---:|---|---|\n",
    );
    for run in runs {
        let lat = |kind: &str| {
            let k = &run["kinds"][kind];
            if k.is_null() {
                "-".to_string()
            } else {
                format!("{} / {}", f(&k["p50_ms"], 1), f(&k["p99_ms"], 1))
            }
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} → {} ({} → {}) | {} → {} |\n",
            run["label"].as_str().unwrap_or(""),
            run["connections"],
            f(&run["seconds"], 0),
            f(&run["requests_per_s"], 1),
            f(&run["search_per_s"], 1),
            lat("search"),
            lat("suggest"),
            lat("match"),
            lat("write"),
            run["errors"],
            f(&run["server_cpu_ms_per_request"], 2),
            f(&run["server_at_start"]["rss_mib"], 0),
            f(&run["server_at_end"]["rss_mib"], 0),
            f(&run["server_at_start"]["anon_mib"], 0),
            f(&run["server_at_end"]["anon_mib"], 0),
            run["load_before"].as_str().unwrap_or(""),
            run["load_after"].as_str().unwrap_or(""),
        ));
    }
    out
}

/// The time now, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}
