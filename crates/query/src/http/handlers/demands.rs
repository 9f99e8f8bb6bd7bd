//! The demand records, the other side of the exchange: `GET /api/demands/{id}`, and the
//! write API (`POST /api/demands`, `PUT /api/demands/{id}`, `DELETE /api/demands/{id}`)
//! behind the same bearer key as the supplies'.
//!
//! Demands are validated by the demand contract (`trl_min`, `transfer` wanted, `status`,
//! `source_event`, …), kept in their own index beside the supplies' and written exactly as
//! supplies are: one commit per request, all of its records or none, then the reader is
//! reloaded. A demand whose `status` becomes `closed` or `withdrawn` stops being searched
//! and matched at that commit.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use techmatch_indexer::{Demand, RecordKind};

use super::supplies::{check_id, create_records, delete_one, put_record, put_status};
use crate::http::errors::{ApiError, ApiResult, ErrorBody};
use crate::http::state::{compute, SharedState};

pub use super::supplies::WriteReport;

/// One demand record.
#[utoipa::path(
    get,
    path = "/api/demands/{id}",
    tag = "demands",
    params(("id" = String, Path, description = "Demand id")),
    responses(
        (status = 200, description = "The demand", body = Demand),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 404, description = "No demand with this id", body = ErrorBody),
    )
)]
pub async fn get_demand(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Demand>> {
    check_id(&id)?;
    let found = compute(&state, move |state| {
        Ok(state.demands.searcher.get(&id)?.ok_or(id))
    })
    .await?;
    match found {
        Ok(record) => Ok(Json(Demand::from_record(record))),
        Err(id) => Err(ApiError::not_found(format!("no demand with id '{id}'"))),
    }
}

/// Adds or replaces demands: one JSON object, or a batch as JSON Lines (or a JSON array).
/// All or nothing: one invalid demand and nothing is written.
#[utoipa::path(
    post,
    path = "/api/demands",
    tag = "demands",
    request_body(content = Demand, description = "One demand (JSON), or many as JSON Lines (application/x-ndjson)", content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Committed; visible to search and matching at once", body = WriteReport),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No API key", body = ErrorBody),
        (status = 403, description = "Wrong API key, or writes disabled", body = ErrorBody),
        (status = 413, description = "Body over the bulk limit", body = ErrorBody),
        (status = 422, description = "Invalid demands; every bad field is listed", body = ErrorBody),
    )
)]
pub async fn create_demands(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    create_records(state, headers, body, RecordKind::Demands).await
}

/// Adds or replaces the demand with this id (closing it: `"status": "closed"`).
#[utoipa::path(
    put,
    path = "/api/demands/{id}",
    tag = "demands",
    params(("id" = String, Path, description = "Demand id")),
    request_body(content = Demand, description = "The demand (its id may be left out)", content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Demand),
        (status = 201, description = "Created", body = Demand),
        (status = 400, description = "Malformed JSON, or the body's id differs from the path's", body = ErrorBody),
        (status = 401, description = "No API key", body = ErrorBody),
        (status = 403, description = "Wrong API key, or writes disabled", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 422, description = "Invalid demand; the field is named", body = ErrorBody),
    )
)]
pub async fn put_demand(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (created, record) = put_record(state, id, headers, body, RecordKind::Demands).await?;
    Ok((put_status(created), Json(Demand::from_record(record))).into_response())
}

/// Removes the demand with this id (to keep it on record but stop matching it, PUT it
/// with `"status": "closed"` instead).
#[utoipa::path(
    delete,
    path = "/api/demands/{id}",
    tag = "demands",
    params(("id" = String, Path, description = "Demand id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No API key", body = ErrorBody),
        (status = 403, description = "Wrong API key, or writes disabled", body = ErrorBody),
        (status = 404, description = "No demand with this id", body = ErrorBody),
    )
)]
pub async fn delete_demand(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    delete_one(state, id, headers, RecordKind::Demands).await
}
