//! Prometheus metrics: requests and latency per route, panics, the document count and the
//! time of the last commit, cache lookups, and the process's CPU time, memory and open
//! files, served by `GET /metrics` in the OpenMetrics text format.
//!
//! Every label takes a bounded set of values, whatever clients send: the method is one of
//! the standard ones or `other`, the route is a route template or `unmatched`, the status a
//! status code. So no request can add series (and memory, and scrape size) at will.

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
    method: &'static str,
    route: String,
    status: u16,
}

/// Labels of the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// The method as a label: a standard method, or `other` for anything a client invents.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
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
    panics: Counter,
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
        let panics = Counter::default();
        registry.register(
            "http_panics",
            "Requests whose handler panicked (answered 500 and counted in http_requests too)",
            panics.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        Metrics {
            registry,
            requests,
            latency,
            documents,
            last_commit,
            cache,
            panics,
        }
    }

    /// Records one request.
    pub fn observe(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// Counts a request whose handler panicked.
    pub fn panicked(&self) {
        self.panics.inc();
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
/// the concrete path, so ids do not multiply the series) and its method label.
pub async fn track(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.observe(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The process's own figures, read from `/proc` at each scrape, under the names every
/// Prometheus client library uses (`process_cpu_seconds_total`, …).
#[derive(Debug)]
struct ProcessCollector;

impl prometheus_client::collector::Collector for ProcessCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;

        let Some(figures) = process_figures() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(figures.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "User and system CPU time spent, in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        for (name, help, value) in [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                figures.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                figures.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Open file descriptors (sockets and index files included)",
                figures.open_fds,
            ),
            (
                "process_max_fds",
                "Limit on open file descriptors",
                figures.max_fds,
            ),
            ("process_threads", "Threads of the process", figures.threads),
        ] {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// What `/proc/self` says of the process.
struct ProcessFigures {
    cpu_seconds: f64,
    resident_bytes: i64,
    virtual_bytes: i64,
    open_fds: i64,
    max_fds: i64,
    threads: i64,
}

#[cfg(target_os = "linux")]
fn process_figures() -> Option<ProcessFigures> {
    use procfs::process::{LimitValue, Process};
    use procfs::WithCurrentSystemInfo;

    let process = Process::myself().ok()?;
    let stat = process.stat().ok()?;
    let ticks = procfs::ticks_per_second() as f64;
    let max_fds = match process.limits().ok()?.max_open_files.soft_limit {
        LimitValue::Value(n) => i64::try_from(n).unwrap_or(i64::MAX),
        LimitValue::Unlimited => -1,
    };
    Some(ProcessFigures {
        cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
        resident_bytes: i64::try_from(stat.rss_bytes().get()).unwrap_or(i64::MAX),
        virtual_bytes: i64::try_from(stat.vsize).unwrap_or(i64::MAX),
        open_fds: i64::try_from(process.fd_count().ok()?).unwrap_or(i64::MAX),
        max_fds,
        threads: stat.num_threads,
    })
}

#[cfg(not(target_os = "linux"))]
fn process_figures() -> Option<ProcessFigures> {
    None
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt as _;

    use crate::http::router::{routes, with_middleware};
    use crate::http::{ServeConfig, Server};

    fn server() -> (Server, ServeConfig) {
        let index = techmatch_indexer::SupplyIndex::create_in_ram();
        let config = ServeConfig::default();
        let searcher = crate::Searcher::new(index).unwrap();
        (Server::new(config.clone(), searcher).unwrap(), config)
    }

    async fn send(router: &axum::Router, method: &str, path: &str) -> StatusCode {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path)
            .body(Body::empty())
            .unwrap();
        router.clone().oneshot(request).await.unwrap().status()
    }

    fn series(server: &Server) -> usize {
        server
            .state
            .metrics
            .render(0, None)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .count()
    }

    #[tokio::test]
    async fn invented_methods_and_paths_add_a_bounded_number_of_series() {
        let (server, _) = server();
        let router = server.router();
        send(&router, "GET", "/healthz").await;
        for i in 0..10 {
            send(&router, &format!("M{i}X"), &format!("/nowhere/{i}")).await;
            send(&router, &format!("M{i}X"), "/api/search").await;
        }
        let after_ten = series(&server);
        for i in 10..1_000 {
            let status = send(&router, &format!("INVENTED{i}"), &format!("/p{i}/q?x={i}")).await;
            assert!(status.is_client_error(), "{status}");
            send(&router, &format!("GETX{i}"), "/api/search").await;
        }
        let after_thousand = series(&server);
        assert_eq!(after_thousand, after_ten, "invented requests added series");
        let text = server.state.metrics.render(0, None);
        assert!(text.contains("method=\"other\""), "{text}");
        assert!(!text.contains("INVENTED"), "a method became a label value");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_is_counted() {
        let (server, config) = server();
        let routes = routes().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("boom");
                }
                "unreachable"
            }),
        );
        let router = with_middleware(routes, server.state.clone(), &config);
        assert_eq!(
            send(&router, "GET", "/boom").await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(send(&router, "GET", "/healthz").await, StatusCode::OK);
        let text = server.state.metrics.render(0, None);
        assert!(text.contains("http_panics_total 1"), "{text}");
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/boom\",status=\"500\"} 1"),
            "{text}"
        );
        assert!(text.contains("process_resident_memory_bytes"), "{text}");
        assert!(text.contains("process_open_fds"), "{text}");
    }
}
