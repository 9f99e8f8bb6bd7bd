//! Prometheus metrics: requests and latency per route, the document count and the time of
//! the last commit, served by `GET /metrics` in the OpenMetrics text format.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::state::SharedState;

/// Labels of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// Labels of the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics of the service.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    documents: Gauge,
    last_commit: Gauge,
    cache: Family<CacheLabels, Counter>,
}

/// Labels of a cache lookup.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let documents = Gauge::default();
        let last_commit = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time until the response starts, by method and route",
            latency.clone(),
        );
        registry.register(
            "techmatch_documents",
            "Records in the index",
            documents.clone(),
        );
        registry.register(
            "techmatch_last_commit_timestamp_seconds",
            "Time of the index's last commit, seconds since the Unix epoch",
            last_commit.clone(),
        );
        let cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "techmatch_cache_lookups",
            "Search and suggestion cache lookups, by cache and result (hit or miss)",
            cache.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            documents,
            last_commit,
            cache,
        }
    }

    /// Records one request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Counts a cache lookup.
    pub fn cache_lookup(&self, cache: &'static str, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.cache
            .get_or_create(&CacheLabels { cache, result })
            .inc();
    }

    /// Renders the registry after setting the index gauges.
    pub fn render(&self, documents: u64, last_commit: Option<i64>) -> String {
        self.documents
            .set(i64::try_from(documents).unwrap_or(i64::MAX));
        if let Some(at) = last_commit {
            self.last_commit.set(at);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Counts the request and its latency under its route template (`/api/supplies/{id}`, not
/// the concrete path, so ids do not multiply the series).
pub async fn track(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
