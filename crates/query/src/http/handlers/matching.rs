//! `POST /api/match` (one demand) and `POST /api/match/bulk` (JSON Lines in, JSON Lines or
//! CSV out, both streamed).

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::TryStreamExt;
use techmatch_indexer::read::{read_jsonl, RawRecord, ReadOptions};
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{Demand, RecordError, Supply};
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::json_object;
use crate::demand::{DemandResult, MatchOptions};
use crate::error::QueryError;
use crate::http::errors::{error_json, ApiError, ApiResult, ErrorBody, FieldError};
use crate::http::limits::read_body;
use crate::http::state::{compute, SharedState};
use crate::params::{BulkFormat, MatchAgainst, MatchParams};
use crate::reverse::SupplyResult;
use crate::table::{
    error_row, result_rows, reverse_error_row, reverse_result_rows, REVERSE_HEADER, TABLE_HEADER,
};

/// Demands matched together (in parallel) before their lines are sent.
const BULK_CHUNK: usize = 8;
/// Largest demand line of a bulk body.
const MAX_DEMAND_LINE_BYTES: usize = 1 << 20;

/// The best supplies for one demand, scored 0-100 and explained; with `against=demands`,
/// the best open demands for one supply (a `SupplyResult`).
#[utoipa::path(
    post,
    path = "/api/match",
    tag = "match",
    params(MatchParams),
    request_body(content = Demand, description = "One demand (the Demand contract); with against=demands, one supply (the Supply contract)", content_type = "application/json"),
    responses(
        (status = 200, description = "Matches with scores and explanations (a SupplyResult with against=demands)", body = DemandResult),
        (status = 400, description = "Malformed JSON or a bad parameter", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 422, description = "The demand breaks the contract; the field is named", body = ErrorBody),
    )
)]
pub async fn match_one(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let params = MatchParams::parse(query.as_deref(), false)?;
    let options = params.options()?;
    let bytes = read_body(body, state.limits.max_body_bytes).await?;
    let against = params.against.unwrap_or_default();
    let what = match against {
        MatchAgainst::Supplies => "one demand",
        MatchAgainst::Demands => "one supply",
    };
    let fields = json_object(&bytes, what)?;
    let raw = RawRecord {
        line: 1,
        fields,
        from_cells: false,
    };
    if against == MatchAgainst::Demands {
        let supply = Validator::new("request")
            .supply(&raw)
            .map_err(|errors| ApiError::invalid_records(&errors, false))?;
        let result = compute(&state, move |state| {
            Ok(state.demands.matcher.match_supply(&supply, &options)?)
        })
        .await?;
        return Ok(Json(result).into_response());
    }
    let demand = Validator::new("request")
        .demand(&raw)
        .map_err(|errors| ApiError::invalid_records(&errors, false))?;
    let result = compute(&state, move |state| {
        Ok(state.matcher.match_demand_full(&demand, &options)?)
    })
    .await?;
    Ok(Json::<DemandResult>(result).into_response())
}

/// Many demands, one JSON object per line; results stream back in input order.
#[utoipa::path(
    post,
    path = "/api/match/bulk",
    tag = "match",
    params(MatchParams),
    request_body(content = String, description = "Demands as JSON Lines (one Demand object per line; with against=demands, one Supply per line); streamed", content_type = "application/x-ndjson"),
    responses(
        (status = 200, description = "One JSON line per demand (a DemandResult, or {line, id, error} for an invalid one); with `Accept: text/csv` or `format=csv`, the rows of `techmatch match --format csv`",
            content(
                (String = "application/x-ndjson"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 413, description = "Body over the bulk limit", body = ErrorBody),
    )
)]
pub async fn match_bulk(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let params = MatchParams::parse(query.as_deref(), true)?;
    let options = params.options()?;
    let against = params.against.unwrap_or_default();
    let format = params.format.unwrap_or_else(|| {
        let wants_csv = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"));
        if wants_csv {
            BulkFormat::Csv
        } else {
            BulkFormat::Jsonl
        }
    });
    let limit = state.limits.max_bulk_body_bytes;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let input = SyncIoBridge::new(StreamReader::new(stream));
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut job = BulkJob {
            state,
            against,
            options,
            format,
            limit,
            sender,
        };
        if let Err(Disconnected) = job.run(input) {
            tracing::info!("bulk match: client went away, stopping");
        }
    });
    let output = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let content_type = match format {
        BulkFormat::Jsonl => "application/x-ndjson",
        BulkFormat::Csv => "text/csv; charset=utf-8",
    };
    let mut response = Body::from_stream(output).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if format == BulkFormat::Csv {
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"matches.csv\""),
        );
    }
    Ok(response)
}

/// The client closed the connection: stop matching.
struct Disconnected;

/// One line of input, validated.
enum Slot {
    Record(usize),
    Invalid(Vec<RecordError>),
}

/// The validated records of a chunk: demands, or supplies with `against=demands`.
enum Pending {
    Demands(Vec<Demand>),
    Supplies(Vec<Supply>),
}

impl Pending {
    fn len(&self) -> usize {
        match self {
            Pending::Demands(d) => d.len(),
            Pending::Supplies(s) => s.len(),
        }
    }

    fn id(&self, i: usize) -> &str {
        match self {
            Pending::Demands(d) => &d[i].id,
            Pending::Supplies(s) => &s[i].id,
        }
    }

    fn clear(&mut self) {
        match self {
            Pending::Demands(d) => d.clear(),
            Pending::Supplies(s) => s.clear(),
        }
    }
}

/// The result of one record of a chunk.
enum Answer {
    Demand(DemandResult),
    Supply(SupplyResult),
}

struct BulkJob {
    state: SharedState,
    against: MatchAgainst,
    options: MatchOptions,
    format: BulkFormat,
    limit: usize,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl BulkJob {
    fn run(&mut self, input: impl Read + Send + 'static) -> Result<(), Disconnected> {
        if self.format == BulkFormat::Csv {
            let mut out = Vec::new();
            match self.against {
                MatchAgainst::Supplies => csv_rows(&mut out, &[TABLE_HEADER.map(str::to_string)]),
                MatchAgainst::Demands => csv_rows(&mut out, &[REVERSE_HEADER.map(str::to_string)]),
            }
            self.send(out)?;
        }
        let read = ReadOptions {
            max_record_bytes: MAX_DEMAND_LINE_BYTES,
            delimiter: None,
        };
        let mut validator = Validator::new("request");
        let mut slots = Vec::new();
        let mut pending = match self.against {
            MatchAgainst::Supplies => Pending::Demands(Vec::new()),
            MatchAgainst::Demands => Pending::Supplies(Vec::new()),
        };
        let (mut total, mut invalid) = (0usize, 0usize);
        for row in read_jsonl("request", input, read) {
            total += 1;
            let row = row.map_err(|e| vec![e]);
            let index = pending.len();
            let valid = match &mut pending {
                Pending::Demands(demands) => row
                    .and_then(|raw| validator.demand(&raw))
                    .map(|demand| demands.push(demand)),
                Pending::Supplies(supplies) => row
                    .and_then(|raw| validator.supply(&raw))
                    .map(|supply| supplies.push(supply)),
            };
            match valid {
                Ok(()) => slots.push(Slot::Record(index)),
                Err(errors) => {
                    invalid += 1;
                    slots.push(Slot::Invalid(errors));
                }
            }
            if pending.len() >= BULK_CHUNK || slots.len() >= 4 * BULK_CHUNK {
                self.flush(&mut slots, &mut pending)?;
            }
        }
        self.flush(&mut slots, &mut pending)?;
        tracing::info!(records = total, invalid, against = ?self.against, "bulk match done");
        Ok(())
    }

    /// Matches the pending demands in parallel and sends their lines in input order.
    fn flush(&mut self, slots: &mut Vec<Slot>, pending: &mut Pending) -> Result<(), Disconnected> {
        if slots.is_empty() {
            return Ok(());
        }
        let results: Vec<Result<Answer, QueryError>> = match &*pending {
            Pending::Demands(demands) => self
                .state
                .matcher
                .match_all(demands, &self.options, &|| {})
                .into_iter()
                .map(|r| r.map(Answer::Demand))
                .collect(),
            Pending::Supplies(supplies) => self
                .state
                .demands
                .matcher
                .match_all(supplies, &self.options, &|| {})
                .into_iter()
                .map(|r| r.map(Answer::Supply))
                .collect(),
        };
        let mut out = Vec::new();
        for slot in slots.drain(..) {
            match slot {
                Slot::Record(i) => match &results[i] {
                    Ok(result) => self.write_result(&mut out, result),
                    Err(error) => {
                        let id = pending.id(i).to_string();
                        let (code, message) = match error {
                            QueryError::Invalid(message) => ("bad_request", message.clone()),
                            other => {
                                tracing::error!(error = %other, record = %id, "bulk match failed");
                                (
                                    "internal",
                                    "internal error; the details are in the server log".to_string(),
                                )
                            }
                        };
                        self.write_error(&mut out, None, Some(&id), code, message, None);
                    }
                },
                Slot::Invalid(errors) => {
                    let first = FieldError::from(&errors[0]);
                    let mut message = first.describe(true);
                    if message.contains("length limit exceeded") {
                        message = format!(
                            "line {}: the request body is larger than the limit of {} bytes; the rest was not read",
                            first.line, self.limit
                        );
                    }
                    self.write_error(
                        &mut out,
                        Some(first.line),
                        first.id.as_deref(),
                        match self.against {
                            MatchAgainst::Supplies => "invalid_demand",
                            MatchAgainst::Demands => "invalid_supply",
                        },
                        message,
                        first.field.clone(),
                    );
                }
            }
        }
        pending.clear();
        self.send(out)
    }

    fn write_result(&self, out: &mut Vec<u8>, result: &Answer) {
        match (self.format, result) {
            (BulkFormat::Jsonl, Answer::Demand(result)) => {
                serde_json::to_writer(&mut *out, result).expect("results serialise");
                out.push(b'\n');
            }
            (BulkFormat::Jsonl, Answer::Supply(result)) => {
                serde_json::to_writer(&mut *out, result).expect("results serialise");
                out.push(b'\n');
            }
            (BulkFormat::Csv, Answer::Demand(result)) => csv_rows(out, &result_rows(result)),
            (BulkFormat::Csv, Answer::Supply(result)) => {
                csv_rows(out, &reverse_result_rows(result))
            }
        }
    }

    fn write_error(
        &self,
        out: &mut Vec<u8>,
        line: Option<usize>,
        id: Option<&str>,
        code: &'static str,
        message: String,
        field: Option<String>,
    ) {
        match self.format {
            BulkFormat::Jsonl => {
                let body = error_json(code, message, field);
                let value = serde_json::json!({"line": line, "id": id, "error": body.error});
                serde_json::to_writer(&mut *out, &value).expect("errors serialise");
                out.push(b'\n');
            }
            BulkFormat::Csv => match self.against {
                MatchAgainst::Supplies => csv_rows(out, &[error_row(id, &message)]),
                MatchAgainst::Demands => csv_rows(out, &[reverse_error_row(id, &message)]),
            },
        }
    }

    fn send(&self, bytes: Vec<u8>) -> Result<(), Disconnected> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.sender
            .blocking_send(Ok(Bytes::from(bytes)))
            .map_err(|_| Disconnected)
    }
}

fn csv_rows<const N: usize>(out: &mut Vec<u8>, rows: &[[String; N]]) {
    let mut writer = csv::Writer::from_writer(out);
    for row in rows {
        writer.write_record(row).expect("writing to memory");
    }
    writer.flush().expect("writing to memory");
}
