//! Serving one scale: open the index, run the query mix (search box, suggestions, demands)
//! and measure latency, bulk matching throughput and resident memory.

use std::path::Path;
use std::time::Instant;

use serde_json::{json, Value};
use techmatch_corpus::Generator;
use techmatch_indexer::SupplyIndex;
use techmatch_query::{DemandMatcher, Filters, MatchOptions, SearchRequest, Searcher};

use crate::common::measure::{self, latency_summary};
use crate::raw::{RawIndex, RawSearcher};

/// Sizes of the query mix.
#[derive(Clone, Copy)]
pub struct Mix {
    pub queries: u64,
    pub suggestions: u64,
    pub demands: u64,
    pub bulk_demands: u64,
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Wall and CPU milliseconds of each call.
#[derive(Default)]
struct Timings {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Timings {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let cpu = measure::thread_cpu_ns();
        let t = Instant::now();
        let out = f();
        self.wall.push(ms(t));
        self.cpu
            .push((measure::thread_cpu_ns().saturating_sub(cpu)) as f64 / 1e6);
        out
    }

    fn summary(self) -> Value {
        let mut value = latency_summary(self.wall);
        value["cpu"] = latency_summary(self.cpu);
        value
    }
}

/// The search-box requests: the generated query text, and filters for some of them (a
/// quarter filter on the source record's sector, a tenth on its province), facets counted.
pub fn search_requests(generator: &Generator, n: u64, mix: Mix) -> Vec<SearchRequest> {
    (0..mix.queries)
        .map(|i| {
            let (q, supply) = generator.search_query(i, n);
            let mut filters = Filters::default();
            if i % 4 == 0 {
                filters.sector.extend(supply.sector.clone());
            }
            if i % 10 == 1 {
                filters.province.extend(supply.province.clone());
            }
            SearchRequest {
                q,
                filters,
                ..SearchRequest::default()
            }
        })
        .collect()
}

/// Runs the techmatch mix.
pub fn serve_techmatch(dir: &Path, n: u64, mix: Mix, seed: u64) -> anyhow::Result<Value> {
    let before_open = measure::memory();
    let started = Instant::now();
    let index = SupplyIndex::open(dir)?;
    let searcher = Searcher::new(index)?;
    let matcher = DemandMatcher::new(searcher.clone());
    let open_ms = ms(started);
    let after_open = measure::memory();
    let docs = searcher.num_docs();
    let segments = searcher.reader().searcher().segment_readers().len();

    let generator = Generator::new(seed);
    let requests = search_requests(&generator, n, mix);
    let prefixes: Vec<String> = (0..mix.suggestions)
        .map(|i| generator.suggest_prefix(i, n))
        .collect();
    let demands = generator.validated_demands(0..mix.demands.max(mix.bulk_demands));
    let options = MatchOptions::default();

    // Warm up the page cache and the lazily loaded structures on a slice of each mix.
    for request in requests.iter().take(200) {
        searcher.search(request)?;
    }
    for prefix in prefixes.iter().take(100) {
        searcher.suggest(prefix, 8)?;
    }
    for demand in demands.iter().take(10) {
        matcher.match_demand_full(demand, &options)?;
    }

    let mut search_ms = Timings::default();
    let mut totals = 0usize;
    let mut relaxed = 0usize;
    let mut slowest: Vec<(f64, String)> = Vec::new();
    // Where the time goes by how many results a search has: (count, ms) per bucket.
    let mut by_results = [(0usize, 0.0f64); 3];
    for request in &requests {
        let response = search_ms.time(|| searcher.search(request))?;
        totals += response.total;
        relaxed += usize::from(response.relaxed);
        let bucket = match response.total {
            0..1_000 => 0,
            1_000..10_000 => 1,
            _ => 2,
        };
        by_results[bucket].0 += 1;
        by_results[bucket].1 += search_ms.wall.last().copied().unwrap_or(0.0);
        slowest.push((
            response.took_ms,
            format!(
                "{:?} total {} relaxed {:?} filtered {}",
                request.q,
                response.total,
                response.optional_words,
                request.filters != Default::default()
            ),
        ));
    }
    // The slowest searches, for whoever reads the log to know where the tail comes from.
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    // TECHMATCH_BENCH_SLOW_LOG sets how many (12 by default; a large number logs all).
    let logged = std::env::var("TECHMATCH_BENCH_SLOW_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    for (ms, what) in slowest.iter().take(logged) {
        eprintln!("slow search {ms:.1} ms: {what}");
    }
    let mut no_facets_ms = Timings::default();
    for request in &requests {
        let request = SearchRequest {
            facets: false,
            ..request.clone()
        };
        no_facets_ms.time(|| searcher.search(&request))?;
    }
    let mut suggest_ms = Timings::default();
    let mut slowest_suggestions: Vec<(f64, &str)> = Vec::new();
    for prefix in &prefixes {
        suggest_ms.time(|| searcher.suggest(prefix, 8))?;
        slowest_suggestions.push((suggest_ms.wall.last().copied().unwrap_or(0.0), prefix));
    }
    slowest_suggestions.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ms, prefix) in slowest_suggestions.iter().take(logged) {
        eprintln!("slow suggestion {ms:.1} ms: {prefix:?}");
    }
    let mut demand_ms = Timings::default();
    let mut unmet = 0usize;
    for demand in demands.iter().take(mix.demands as usize) {
        let result = demand_ms.time(|| matcher.match_demand_full(demand, &options))?;
        unmet += usize::from(result.unmet);
    }
    let after_mix = measure::memory();

    let mut bulk = Vec::new();
    let batch = &demands[..mix.bulk_demands as usize];
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let cpu = measure::process_cpu_seconds();
        let t = Instant::now();
        let results = pool.install(|| matcher.match_all(batch, &options, &|| {}));
        let seconds = t.elapsed().as_secs_f64();
        let cpu = measure::process_cpu_seconds() - cpu;
        let failed = results.iter().filter(|r| r.is_err()).count();
        bulk.push(json!({
            "threads": threads,
            "demands": batch.len(),
            "seconds": seconds,
            "demands_per_s": batch.len() as f64 / seconds,
            "cpu_s": cpu,
            "failed": failed,
        }));
    }
    let after_bulk = measure::memory();

    Ok(json!({
        "engine": "techmatch",
        "docs": docs,
        "segments": segments,
        "open_ms": open_ms,
        // What the remembered sets hold after the mix (their cap is 256 MiB).
        "record_set_mib": searcher.record_sets().bytes() as f64 / (1 << 20) as f64,
        "suggestion_set_mib": searcher.record_sets().suggestion_bytes() as f64 / (1 << 20) as f64,
        "expansion_mib": searcher.expansions().bytes() as f64 / (1 << 20) as f64,
        "term_maxima_mib": searcher.term_maxima().bytes() as f64 / (1 << 20) as f64,
        "search": search_ms.summary(),
        "search_no_facets": no_facets_ms.summary(),
        "mean_total_hits": totals as f64 / requests.len().max(1) as f64,
        "relaxed_share": relaxed as f64 / requests.len().max(1) as f64,
        "search_by_results": by_results_summary(&by_results),
        "suggest": suggest_ms.summary(),
        "demand": demand_ms.summary(),
        "unmet_share": unmet as f64 / mix.demands.max(1) as f64,
        "bulk": bulk,
        "memory_before_open": before_open,
        "memory_after_open": after_open,
        "memory_after_mix": after_mix,
        "memory_after_bulk": after_bulk,
        "load_after": measure::load_average(),
    }))
}

/// The searches of each result-count bucket (fewer than 1,000 results; 1,000 to 9,999;
/// 10,000 or more, where totals are capped): how many, their mean wall time, and their
/// share of the whole mix's search time.
fn by_results_summary(buckets: &[(usize, f64); 3]) -> Value {
    let all: f64 = buckets.iter().map(|b| b.1).sum::<f64>().max(f64::EPSILON);
    let names = ["under_1000", "1000_to_9999", "10000_or_more"];
    let mut out = serde_json::Map::new();
    for (name, (count, ms)) in names.iter().zip(buckets) {
        out.insert(
            name.to_string(),
            json!({
                "searches": count,
                "mean_ms": ms / (*count).max(1) as f64,
                "share_of_time": ms / all,
            }),
        );
    }
    Value::Object(out)
}

/// Runs the same search-box texts on the raw index (no filters: it has no facet fields).
pub fn serve_raw(dir: &Path, n: u64, mix: Mix, seed: u64) -> anyhow::Result<Value> {
    let started = Instant::now();
    let mut searcher = RawSearcher::new(RawIndex::open(dir)?)?;
    let open_ms = ms(started);
    let after_open = measure::memory();
    let generator = Generator::new(seed);
    let requests = search_requests(&generator, n, mix);
    for request in requests.iter().take(200) {
        searcher.search(&request.q)?;
    }
    let mut search_ms = Timings::default();
    let mut totals = 0usize;
    for request in &requests {
        totals += search_ms.time(|| searcher.search(&request.q))?;
    }
    Ok(json!({
        "engine": "raw",
        "docs": searcher.num_docs(),
        "segments": searcher.segments(),
        "open_ms": open_ms,
        "search": search_ms.summary(),
        "mean_total_hits": totals as f64 / requests.len().max(1) as f64,
        "memory_after_open": after_open,
        "memory_after_mix": measure::memory(),
        "load_after": measure::load_average(),
    }))
}
