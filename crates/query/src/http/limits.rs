//! Limits as middleware: the request body size (a larger one for the bulk endpoints), the
//! number of requests served at once, the time until a response starts, and how long a
//! request body may stall.

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
/// bodies at the same limit, so a chunked upload cannot get around it. A body that stalls
/// (no bytes for `header_timeout`) fails with [`BodyStalled`], which [`read_body`] turns
/// into 408, so a client cannot hold a request open by sending nothing.
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
        // Answer at once, but go on reading (and dropping) what the client is still
        // sending, within bounds: a server that closes with unread bytes in its socket
        // resets the connection, and a client still writing sees "broken pipe" instead of
        // the 413 that tells it why.
        tokio::spawn(discard(
            request.into_body(),
            DISCARD_BYTES,
            state.limits.header_timeout.min(DISCARD_TIME),
        ));
        return ApiError::payload_too_large(limit).into_response();
    }
    let idle = state.limits.header_timeout;
    let request = request.map(|body| Body::new(Limited::new(stall_limited(body, idle), limit)));
    next.run(request).await
}

/// At most this much of a refused body is read and dropped after the 413 ...
const DISCARD_BYTES: u64 = 8 << 20;
/// ... within this long; then the connection closes.
const DISCARD_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads `body` to its end and drops it, giving up after `max_bytes` or `max_time`
/// (dropping the body then makes hyper close the connection). A body read to its end
/// leaves the connection usable for the client's next request.
async fn discard(body: Body, max_bytes: u64, max_time: std::time::Duration) {
    let mut body = body;
    let mut read = 0u64;
    let drain = async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                read += data.len() as u64;
                if read > max_bytes {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(max_time, drain).await;
}

/// A request body that went quiet for longer than the limit.
#[derive(Debug)]
pub struct BodyStalled(std::time::Duration);

impl std::fmt::Display for BodyStalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the client sent no data for {} s; the rest of the body was not read",
            self.0.as_secs()
        )
    }
}

impl std::error::Error for BodyStalled {}

/// `body`, failing with [`BodyStalled`] when no frame arrives within `idle`.
fn stall_limited(body: Body, idle: std::time::Duration) -> Body {
    type Frame = hyper::body::Frame<Bytes>;
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    let frames = futures_util::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match tokio::time::timeout(idle, body.frame()).await {
            Ok(Some(Ok(frame))) => Some((Ok::<Frame, BoxError>(frame), Some(body))),
            Ok(Some(Err(error))) => Some((Err(error.into()), None)),
            Ok(None) => None,
            Err(_) => Some((Err(Box::new(BodyStalled(idle)) as BoxError), None)),
        }
    });
    Body::new(http_body_util::StreamBody::new(frames))
}

/// Reads a whole (already limited) body; over the limit is 413.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(error) if is_length_limit(&error) => Err(ApiError::payload_too_large(limit)),
        Err(error) if find::<BodyStalled>(&error).is_some() => Err(ApiError::request_timeout(
            find::<BodyStalled>(&error).expect("just found").to_string(),
        )),
        Err(error) => Err(ApiError::bad_request(format!(
            "could not read the request body: {error}"
        ))),
    }
}

/// Whether an error (or one of its causes) is a body length limit.
pub fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    find::<http_body_util::LengthLimitError>(error).is_some()
}

/// The first error of type `E` in the chain of `error`.
pub fn find<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        current = error.source();
    }
    None
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
