//! The supply records: `GET /api/supplies/{id}`, and the write API (`POST /api/supplies`,
//! `PUT /api/supplies/{id}`, `DELETE /api/supplies/{id}`) behind the bearer key.
//!
//! A write is one commit: all of its records or none. After the commit the reader is
//! reloaded, so the next search sees the change. The process has one writer, behind a
//! mutex, used only from `spawn_blocking`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use techmatch_indexer::read::RawRecord;
use techmatch_indexer::validate::{valid_id, Validator};
use techmatch_indexer::{RecordKind, Supply};
use utoipa::ToSchema;

use super::json_object;
use crate::http::auth::authorize;
use crate::http::errors::{ApiError, ApiResult, ErrorBody};
use crate::http::limits::read_body;
use crate::http::state::{blocking, compute, AppState, SharedState, Writes};

pub(super) fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "id: '{id}' must be 1 to 64 characters from A-Z a-z 0-9 . _ -"
        )))
    }
}

/// One supply record.
#[utoipa::path(
    get,
    path = "/api/supplies/{id}",
    tag = "supplies",
    params(("id" = String, Path, description = "Record id")),
    responses(
        (status = 200, description = "The record", body = Supply),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 404, description = "No record with this id", body = ErrorBody),
    )
)]
pub async fn get_supply(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Supply>> {
    check_id(&id)?;
    let found = compute(&state, move |state| Ok(state.searcher.get(&id)?.ok_or(id))).await?;
    match found {
        Ok(supply) => Ok(Json(supply)),
        Err(id) => Err(ApiError::not_found(format!("no supply with id '{id}'"))),
    }
}

/// What a batch write did.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteReport {
    /// Records written (upserted) in the commit.
    pub indexed: usize,
    /// Their ids, in input order.
    pub ids: Vec<String>,
    /// Records in the index after the commit.
    pub documents: u64,
}

/// Records of a request body with their line (or array item) numbers.
type NumberedRecords = Vec<(usize, Map<String, Value>)>;

/// Splits a body into records: one JSON object, a JSON array of objects, or JSON Lines.
/// Malformed JSON is a 400 naming the line; records are validated later (422).
pub(super) fn records_of(bytes: &[u8]) -> Result<(NumberedRecords, bool), ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::malformed_json(format!("the body is not UTF-8: {e}")))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(ApiError::malformed_json(
            "the request body is empty; expected a record (JSON) or records (JSON Lines)",
        ));
    }
    let whole = serde_json::from_str::<Value>(text);
    let several_lines = text.trim().lines().filter(|l| !l.trim().is_empty()).count() > 1;
    match whole {
        Ok(Value::Object(fields)) => return Ok((vec![(1, fields)], false)),
        Ok(Value::Array(items)) => {
            let mut records = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(fields) => records.push((i + 1, fields)),
                    _ => {
                        return Err(ApiError::malformed_json(format!(
                            "item {}: expected a JSON object",
                            i + 1
                        )))
                    }
                }
            }
            return Ok((records, true));
        }
        Ok(_) => return Err(ApiError::malformed_json("expected a JSON object")),
        Err(error) if !several_lines => {
            return Err(ApiError::malformed_json(format!(
                "the body is not valid JSON: {error}"
            )))
        }
        Err(_) => {}
    }
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(fields)) => records.push((i + 1, fields)),
            Ok(_) => {
                return Err(ApiError::malformed_json(format!(
                    "line {}: expected a JSON object",
                    i + 1
                )))
            }
            Err(error) => {
                return Err(ApiError::malformed_json(format!(
                    "line {}: not valid JSON: {error}",
                    i + 1
                )))
            }
        }
    }
    Ok((records, true))
}

/// Validates every record as a `kind` (ids unique within the request) and returns them in
/// the index's record form; any invalid record fails the whole request with every problem
/// listed.
pub(super) fn validate(
    records: Vec<(usize, Map<String, Value>)>,
    several: bool,
    kind: RecordKind,
) -> Result<Vec<Supply>, ApiError> {
    let mut validator = Validator::new("request");
    let mut supplies = Vec::with_capacity(records.len());
    let mut errors = Vec::new();
    for (line, fields) in records {
        let raw = RawRecord {
            line,
            fields,
            from_cells: false,
        };
        let record = match kind {
            RecordKind::Supplies => validator.supply(&raw),
            RecordKind::Demands => validator.demand(&raw).map(|d| d.to_record()),
        };
        match record {
            Ok(supply) => supplies.push(supply),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(supplies)
    } else {
        Err(ApiError::invalid_records(&errors, several))
    }
}

/// Upserts the records in one commit into the index of `kind` and reloads its reader;
/// rolls back on failure.
pub(super) fn write_all(
    state: &AppState,
    kind: RecordKind,
    supplies: &[Supply],
) -> Result<u64, ApiError> {
    let (searcher, writes) = state.side(kind);
    let writes: &Writes = writes.ok_or_else(ApiError::writes_disabled)?;
    let mut guard = writes.lock()?;
    let writer = guard.writer();
    let written: Result<(), techmatch_indexer::IndexerError> = supplies
        .iter()
        .try_for_each(|supply| writer.upsert(supply))
        .and_then(|()| writer.commit().map(|_| ()));
    if let Err(error) = written {
        return Err(guard.fail(searcher.index(), "write", error));
    }
    drop(guard);
    state.reload_side(kind)?;
    Ok(searcher.num_docs())
}

/// Deletes the record `id` of `kind` in one commit; 404 when there is none.
pub(super) fn delete_record(state: &AppState, kind: RecordKind, id: &str) -> Result<(), ApiError> {
    let (searcher, writes) = state.side(kind);
    let writes: &Writes = writes.ok_or_else(ApiError::writes_disabled)?;
    let mut guard = writes.lock()?;
    if searcher.get(id)?.is_none() {
        return Err(ApiError::not_found(format!(
            "no {} with id '{id}'",
            kind.singular()
        )));
    }
    let writer = guard.writer();
    writer.delete(id);
    if let Err(error) = writer.commit() {
        return Err(guard.fail(searcher.index(), "delete", error));
    }
    drop(guard);
    state.reload_side(kind)?;
    tracing::info!(id = %id, kind = kind.singular(), "record deleted");
    Ok(())
}

/// The body of a PUT with the path's id filled in; 400 when the body names another id.
pub(super) fn with_path_id(
    mut fields: Map<String, Value>,
    id: &str,
) -> Result<Map<String, Value>, ApiError> {
    match fields.get("id") {
        None | Some(Value::Null) => {
            fields.insert("id".into(), Value::String(id.to_string()));
        }
        Some(Value::String(body_id)) if body_id.trim() == id => {}
        Some(Value::String(body_id)) => {
            return Err(ApiError::bad_request(format!(
                "id: the body's id '{body_id}' differs from the path's '{id}'"
            )))
        }
        Some(_) => {}
    }
    Ok(fields)
}

/// Adds or replaces records: one JSON object, or a batch as JSON Lines (or a JSON array).
/// All or nothing: one invalid record and nothing is written.
#[utoipa::path(
    post,
    path = "/api/supplies",
    tag = "supplies",
    request_body(content = Supply, description = "One supply (JSON), or many as JSON Lines (application/x-ndjson)", content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Committed; visible to search at once", body = WriteReport),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No API key", body = ErrorBody),
        (status = 403, description = "Wrong API key, or writes disabled", body = ErrorBody),
        (status = 413, description = "Body over the bulk limit", body = ErrorBody),
        (status = 422, description = "Invalid records; every bad field is listed", body = ErrorBody),
    )
)]
pub async fn create_supplies(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    create_records(state, headers, body, RecordKind::Supplies).await
}

/// `POST /api/{kind}`: the body's records of `kind` in one commit; 201 with the report.
pub(super) async fn create_records(
    state: SharedState,
    headers: HeaderMap,
    body: Body,
    kind: RecordKind,
) -> ApiResult<Response> {
    authorize(&state, &headers)?;
    let bytes = read_body(body, state.limits.max_bulk_body_bytes).await?;
    let (records, several) = records_of(&bytes)?;
    let records = validate(records, several, kind)?;
    tracing::info!(
        records = records.len(),
        kind = kind.name(),
        "writing records"
    );
    let report = blocking(move || {
        let documents = write_all(&state, kind, &records)?;
        tracing::info!(
            records = records.len(),
            documents,
            kind = kind.name(),
            "records written"
        );
        Ok(WriteReport {
            indexed: records.len(),
            ids: records.into_iter().map(|s| s.id).collect(),
            documents,
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

/// `PUT /api/{kind}/{id}`: the record with this id added or replaced in one commit;
/// whether it was new, and the record as written.
pub(super) async fn put_record(
    state: SharedState,
    id: String,
    headers: HeaderMap,
    body: Body,
    kind: RecordKind,
) -> ApiResult<(bool, Supply)> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    let bytes = read_body(body, state.limits.max_body_bytes).await?;
    let what = format!("one {}", kind.singular());
    let fields = with_path_id(json_object(&bytes, &what)?, &id)?;
    let mut records = validate(vec![(1, fields)], false, kind)?;
    let record = records.pop().expect("one record");
    blocking(move || {
        let existed = state.side(kind).0.get(&record.id)?.is_some();
        write_all(&state, kind, std::slice::from_ref(&record))?;
        tracing::info!(id = %record.id, created = !existed, kind = kind.singular(), "record written");
        Ok((!existed, record))
    })
    .await
}

/// `DELETE /api/{kind}/{id}`.
pub(super) async fn delete_one(
    state: SharedState,
    id: String,
    headers: HeaderMap,
    kind: RecordKind,
) -> ApiResult<StatusCode> {
    authorize(&state, &headers)?;
    check_id(&id)?;
    blocking(move || delete_record(&state, kind, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201 for a new record, 200 for a replaced one.
pub(super) fn put_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Adds or replaces the record with this id; the body's id, if given, must be the same.
#[utoipa::path(
    put,
    path = "/api/supplies/{id}",
    tag = "supplies",
    params(("id" = String, Path, description = "Record id")),
    request_body(content = Supply, description = "The record (its id may be left out)", content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Supply),
        (status = 201, description = "Created", body = Supply),
        (status = 400, description = "Malformed JSON, or the body's id differs from the path's", body = ErrorBody),
        (status = 401, description = "No API key", body = ErrorBody),
        (status = 403, description = "Wrong API key, or writes disabled", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 422, description = "Invalid record; the field is named", body = ErrorBody),
    )
)]
pub async fn put_supply(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let (created, supply) = put_record(state, id, headers, body, RecordKind::Supplies).await?;
    Ok((put_status(created), Json(supply)).into_response())
}

/// Removes the record with this id.
#[utoipa::path(
    delete,
    path = "/api/supplies/{id}",
    tag = "supplies",
    params(("id" = String, Path, description = "Record id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No API key", body = ErrorBody),
        (status = 403, description = "Wrong API key, or writes disabled", body = ErrorBody),
        (status = 404, description = "No record with this id", body = ErrorBody),
    )
)]
pub async fn delete_supply(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    delete_one(state, id, headers, RecordKind::Supplies).await
}
