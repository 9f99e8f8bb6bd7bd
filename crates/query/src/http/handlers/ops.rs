//! Operational endpoints: liveness, readiness, metrics, the OpenAPI document, and the JSON
//! answers for unknown paths and methods.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::errors::{ApiError, ApiResult};
use crate::http::state::{blocking, SharedState};

/// Liveness and readiness answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `shutting_down`.
    pub status: &'static str,
    /// Records in the index (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<u64>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        documents: None,
    })
}

/// The index is open and searchable; 503 once shutdown has begun.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Shutting down", body = Health),
    ))]
pub async fn readyz(State(state): State<SharedState>) -> Response {
    if state.is_shutting_down() {
        let body = Health {
            status: "shutting_down",
            documents: None,
        };
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    // Counting documents only sums segment metadata already in memory.
    let documents = state.searcher.num_docs();
    Json(Health {
        status: "ready",
        documents: Some(documents),
    })
    .into_response()
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Requests and latency per route, document count, last commit time",
        content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<SharedState>) -> ApiResult<Response> {
    let text = blocking(move || {
        let documents = state.searcher.num_docs();
        let last_commit = state
            .searcher
            .index()
            .commit_meta()
            .map_err(ApiError::internal)?
            .map(|meta| meta.committed_at);
        Ok(state.metrics.render(documents, last_commit))
    })
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// This API's OpenAPI 3.1 description, generated from the code.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
pub async fn openapi(State(state): State<SharedState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi_json.clone(),
    )
        .into_response()
}

/// 404 for every path the API does not have.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (see /openapi.json)")
}

/// 405 for a known path with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
