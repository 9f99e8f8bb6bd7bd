//! Limits as middleware: the request body size (a larger one for the bulk endpoints), the
//! number of requests served at once, and the time until a response starts.

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};

use super::errors::ApiError;
use super::state::SharedState;

/// Routes that take a stream or a batch and get the bulk body limit.
fn is_bulk(request: &Request) -> bool {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    match route {
        Some("/api/match/bulk") => true,
        Some("/api/supplies") => request.method() == Method::POST,
        _ => false,
    }
}

/// Rejects a declared `Content-Length` over the limit at once (413) and caps streamed
/// bodies at the same limit, so a chunked upload cannot get around it.
pub async fn limit_body(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = if is_bulk(&request) {
        state.limits.max_bulk_body_bytes
    } else {
        state.limits.max_body_bytes
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return ApiError::payload_too_large(limit).into_response();
    }
    let request = request.map(|body| Body::new(Limited::new(body, limit)));
    next.run(request).await
}

/// Reads a whole (already limited) body; over the limit is 413.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(error) if is_length_limit(&error) => Err(ApiError::payload_too_large(limit)),
        Err(error) => Err(ApiError::bad_request(format!(
            "could not read the request body: {error}"
        ))),
    }
}

/// Whether an error (or one of its causes) is a body length limit.
pub fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = error.source();
    }
    false
}

/// Serves at most `concurrency_limit` requests at once; the rest get 503 at once rather
/// than queueing behind slow bulk jobs. The permit lives as long as the response body, so a
/// streamed bulk response counts until its last line.
pub async fn limit_concurrency(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(permit) = state.permits.clone().try_acquire_owned() else {
        return ApiError::overloaded().into_response();
    };
    let response = next.run(request).await;
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &permit;
            frame
        }))
    })
}

/// A response must start within `request_timeout`. The bulk endpoints are exempt: bulk
/// matching answers at once and streams, and a timeout answer to a large batch write would
/// be a lie, since its commit goes on in the background and lands.
pub async fn limit_time(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    if is_bulk(&request) {
        return next.run(request).await;
    }
    let limit = state.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timeout(limit).into_response(),
    }
}
