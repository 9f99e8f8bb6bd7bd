//! `GET /api/search` and `GET /api/suggest`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::cache::AnswerKey;
use crate::http::errors::{ApiError, ApiResult, ErrorBody};
use crate::http::state::{compute, SharedState};
use crate::params::{SearchParams, SuggestParams};
use crate::search::SearchResponse;
use crate::suggest::Suggestion;

/// Default number of suggestions.
const DEFAULT_SUGGESTIONS: usize = 8;

/// Search-box query: hits with highlighted snippets, facet counts, a total.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits of the page, facets and the total", body = SearchResponse),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
) -> ApiResult<(CacheHeader, JsonBody)> {
    let request = SearchParams::parse(query.as_deref())?.into_request(&state.limits.request)?;
    let key = AnswerKey::Search(serde_json::to_string(&request).expect("a request serialises"));
    // A hit is answered on the spot, without queueing behind searches for a core; a miss
    // computes once however many requests ask for it meanwhile.
    let (body, hit) = state
        .answers
        .get_or_compute(state.generation(), key, || {
            compute(&state, move |state| {
                json_bytes(&state.searcher.search(&request)?)
            })
        })
        .await?;
    state.metrics.cache_lookup("search", hit);
    Ok((cache_header(hit), json_body(body)))
}

/// A JSON body already serialised (the bytes the answer cache keeps).
type JsonBody = ([(HeaderName, HeaderValue); 1], Bytes);

fn json_body(body: Bytes) -> JsonBody {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Bytes, ApiError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(format!("serialising the answer failed: {e}")))
}

/// `x-cache: hit` or `miss`: whether the answer came from the cache.
type CacheHeader = [(HeaderName, HeaderValue); 1];

fn cache_header(hit: bool) -> CacheHeader {
    let value = if hit { "hit" } else { "miss" };
    [(
        HeaderName::from_static("x-cache"),
        HeaderValue::from_static(value),
    )]
}

/// The completions of what has been typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestResponse {
    /// The text as typed.
    pub query: String,
    /// Keywords and titles, best first.
    pub suggestions: Vec<Suggestion>,
}

/// Completions for the search box: titles and keywords matching what has been typed.
#[utoipa::path(
    get,
    path = "/api/suggest",
    tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, description = "Completions", body = SuggestResponse),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    )
)]
pub async fn suggest(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
) -> ApiResult<(CacheHeader, JsonBody)> {
    let params = SuggestParams::parse(query.as_deref(), &state.limits.request)?;
    let q = params.q.unwrap_or_default();
    let limit = params.limit.unwrap_or(DEFAULT_SUGGESTIONS);
    // The day is part of the key: an offer stops being suggested the day after it expires.
    let key = AnswerKey::Suggest(q.clone(), limit, crate::filters::today_in_vietnam());
    let (body, hit) = state
        .answers
        .get_or_compute(state.generation(), key, || {
            compute(&state, move |state| {
                let suggestions = state.searcher.suggest(&q, limit)?;
                json_bytes(&SuggestResponse {
                    query: q,
                    suggestions,
                })
            })
        })
        .await?;
    state.metrics.cache_lookup("suggest", hit);
    Ok((cache_header(hit), json_body(body)))
}
