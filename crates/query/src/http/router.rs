//! The routes and the middleware stack around them.
//!
//! From the outside in: request id (taken from `x-request-id` or generated), request log,
//! request id echoed on the response, metrics, panic guard (a panicking handler answers 500
//! and is counted), CORS, compression, the time limit, the concurrency limit, the body
//! limit, then the handler. Security headers are
//! set on every response, errors included (a handler may set a stricter or looser
//! Content-Security-Policy of its own, as the search page does).

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, Response};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use super::config::ServeConfig;
use super::errors::ApiError;
use super::handlers::{demands, matching, ops, page, search, supplies};
use super::limits::{limit_body, limit_concurrency, limit_time};
use super::metrics::track;
use super::state::SharedState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The service's router: its routes inside the middleware stack.
pub fn router(state: SharedState, config: &ServeConfig) -> Router {
    with_middleware(routes(), state, config)
}

/// The routes and their handlers.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(page::index))
        .route("/assets/{file}", get(page::asset))
        .route("/api/search", get(search::search))
        .route("/api/suggest", get(search::suggest))
        .route("/api/match", post(matching::match_one))
        .route("/api/match/bulk", post(matching::match_bulk))
        .route("/api/supplies", post(supplies::create_supplies))
        .route(
            "/api/supplies/{id}",
            get(supplies::get_supply)
                .put(supplies::put_supply)
                .delete(supplies::delete_supply),
        )
        .route("/api/demands", post(demands::create_demands))
        .route(
            "/api/demands/{id}",
            get(demands::get_demand)
                .put(demands::put_demand)
                .delete(demands::delete_demand),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
}

/// Wraps routes in the middleware stack (the tests wrap routes of their own).
pub fn with_middleware(
    routes: Router<SharedState>,
    state: SharedState,
    config: &ServeConfig,
) -> Router {
    let mut router = routes
        .layer(from_fn_with_state(state.clone(), limit_body))
        .layer(from_fn_with_state(state.clone(), limit_concurrency))
        .layer(from_fn_with_state(state.clone(), limit_time));
    if config.compression {
        // gzip's fastest level: a search answer of 10-20 KiB at the default level cost
        // ~5% of the server's CPU under load (perf, 64 uncached connections), and an
        // answer served from the cache is compressed again on every request.
        router = router.layer(CompressionLayer::new().quality(CompressionLevel::Fastest));
    }
    if !config.cors_origins.is_empty() {
        router = router.layer(cors(&config.cors_origins));
    }
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    let metrics = state.clone();
    router
        .layer(CatchPanicLayer::custom(move |_panic| {
            metrics.metrics.panicked();
            tracing::error!("a request handler panicked");
            ApiError::internal("a request handler panicked").into_response()
        }))
        .layer(from_fn_with_state(state.clone(), track))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Headers on every response unless the handler set its own: JSON must not be sniffed as
/// HTML, framed, or allowed to load anything, and no URL (with its query) leaks to other
/// sites through the Referer.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

/// The browser origins of the portal that may call the API.
fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).expect("checked by the config"))
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            REQUEST_ID,
        ])
        .expose_headers([REQUEST_ID])
        .max_age(std::time::Duration::from_secs(3600))
}

/// The span of one request: its id, method and route template. Headers are left out on
/// purpose (the Authorization header must never reach a log).
fn request_span(request: &Request<Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", id = %id, method = %request.method(), route = %route)
}

fn log_response<B>(response: &Response<B>, latency: std::time::Duration, _span: &tracing::Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = (latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0,
        "request served"
    );
}
