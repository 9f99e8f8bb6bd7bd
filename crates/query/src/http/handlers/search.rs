//! `GET /api/search` and `GET /api/suggest`.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::cache::AnswerKey;
use crate::http::errors::{ApiError, ApiResult, ErrorBody};
use crate::http::state::{compute, SharedState};
use crate::params::{SearchKind, SearchParams, SuggestParams};
use crate::search::{SearchRequest, SearchResponse, Sort};
use crate::suggest::Suggestion;

/// Default number of suggestions.
const DEFAULT_SUGGESTIONS: usize = 8;

/// Most hits `kind=both` merges (page × size): each side is searched for its first
/// `page × size` hits and the lists are merged.
pub const MAX_BOTH_DEPTH: usize = 1_000;

/// Search-box query: hits with highlighted snippets, facet counts, a total. With
/// `kind=demands` the hits are demands (their records in the demand contract, each hit
/// marked `"kind": "demand"`); with `kind=both`, supplies and demands merged, with a
/// `kind` facet.
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
    let params = SearchParams::parse(query.as_deref())?;
    let kind = params.kind.unwrap_or_default();
    let request = params.into_request(&state.limits.request)?;
    if kind == SearchKind::Both && request.page.saturating_mul(request.size) > MAX_BOTH_DEPTH {
        return Err(ApiError::bad_request(format!(
            "page: kind=both pages through the first {MAX_BOTH_DEPTH} hits (page × size), \
             found {} × {}",
            request.page, request.size
        )));
    }
    let mut key = serde_json::to_string(&request).expect("a request serialises");
    match kind {
        SearchKind::Supplies => {}
        SearchKind::Demands => key.insert_str(0, "demands:"),
        SearchKind::Both => key.insert_str(0, "both:"),
    }
    let key = AnswerKey::Search(key);
    // A hit is answered on the spot, without queueing behind searches for a core; a miss
    // computes once however many requests ask for it meanwhile.
    let (body, hit) = state
        .answers
        .get_or_compute(state.generation(), key, || {
            compute(&state, move |state| match kind {
                SearchKind::Supplies => json_bytes(&state.searcher.search(&request)?),
                SearchKind::Demands => {
                    json_bytes(&demand_view(state.demands.searcher.search(&request)?)?)
                }
                SearchKind::Both => json_bytes(&both(state, &request)?),
            })
        })
        .await?;
    state.metrics.cache_lookup("search", hit);
    Ok((cache_header(hit), json_body(body)))
}

/// A demand search's answer as the API shows it (see
/// [`crate::reverse::demand_search_view`]).
fn demand_view(response: SearchResponse) -> Result<serde_json::Value, ApiError> {
    crate::reverse::demand_search_view(&response)
        .map_err(|e| ApiError::internal(format!("serialising the answer failed: {e}")))
}

fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value)
        .map_err(|e| ApiError::internal(format!("serialising the answer failed: {e}")))
}

/// `kind=both`: the first `page × size` hits of each side merged by score (or date), the
/// totals added, facet counts added value by value, and a `kind` facet.
fn both(
    state: &crate::http::state::AppState,
    request: &SearchRequest,
) -> Result<serde_json::Value, ApiError> {
    let mut wide = request.clone();
    wide.page = 1;
    wide.size = request.page * request.size;
    let supplies = state.searcher.search(&wide)?;
    let demands = state.demands.searcher.search(&wide)?;
    let mut value = to_value(&supplies)?;
    let mut demand_value = demand_view(demands)?;
    let mut hits: Vec<serde_json::Value> = value["hits"]
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    for hit in &mut hits {
        hit["kind"] = "supply".into();
    }
    hits.extend(
        demand_value["hits"]
            .as_array_mut()
            .map(std::mem::take)
            .unwrap_or_default(),
    );
    let score = |hit: &serde_json::Value| hit["score"].as_f64().unwrap_or(0.0);
    let updated =
        |hit: &serde_json::Value| hit["record"]["updated"].as_str().unwrap_or("").to_string();
    match request.sort {
        Sort::Relevance => hits.sort_by(|a, b| score(b).total_cmp(&score(a))),
        Sort::Updated => hits.sort_by_key(|hit| std::cmp::Reverse(updated(hit))),
    }
    let page: Vec<serde_json::Value> = hits
        .into_iter()
        .skip((request.page - 1) * request.size)
        .take(request.size)
        .enumerate()
        .map(|(i, mut hit)| {
            hit["rank"] = ((request.page - 1) * request.size + i + 1).into();
            hit
        })
        .collect();
    value["hits"] = page.into();
    value["page"] = request.page.into();
    value["size"] = request.size.into();
    value["total"] = (supplies.total + demand_value["total"].as_u64().unwrap_or(0) as usize).into();
    value["total_is_lower_bound"] = (supplies.total_is_lower_bound
        || demand_value["total_is_lower_bound"]
            .as_bool()
            .unwrap_or(false))
    .into();
    value["relaxed"] =
        (supplies.relaxed || demand_value["relaxed"].as_bool().unwrap_or(false)).into();
    value["took_ms"] = (supplies.took_ms + demand_value["took_ms"].as_f64().unwrap_or(0.0)).into();
    if let (true, Some(facets), Some(more)) = (
        request.facets,
        value["facets"].as_object_mut(),
        demand_value["facets"].as_object_mut(),
    ) {
        for (dim, values) in std::mem::take(more) {
            let into = facets
                .entry(dim)
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            add_counts(into, values);
        }
        facets.insert(
            "kind".into(),
            serde_json::json!([
                {"value": "supplies", "label": "Công nghệ chào bán", "count": supplies.total},
                {"value": "demands", "label": "Nhu cầu công nghệ", "count": demand_value["total"]},
            ]),
        );
    }
    value["kind"] = "both".into();
    Ok(value)
}

/// Adds the counts of `more` into the facet values `into`, value by value, most first.
fn add_counts(into: &mut serde_json::Value, more: serde_json::Value) {
    let Some(list) = into.as_array_mut() else {
        return;
    };
    for entry in more.as_array().into_iter().flatten() {
        let count = entry["count"].as_u64().unwrap_or(0);
        match list.iter_mut().find(|e| e["value"] == entry["value"]) {
            Some(existing) => {
                existing["count"] = (existing["count"].as_u64().unwrap_or(0) + count).into();
            }
            None => list.push(entry.clone()),
        }
    }
    list.sort_by_key(|e| std::cmp::Reverse(e["count"].as_u64().unwrap_or(0)));
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
    /// Keywords and titles in turn (a keyword first), each kind best first: every word
    /// typed with diacritics found with them, the words side by side, at the start of the
    /// text, shorter texts first.
    pub suggestions: Vec<Suggestion>,
}

/// Completions for the search box: titles and keywords holding every word typed (any
/// form, the last word as a prefix; typos only for words the titles and keywords lack),
/// ranked by how the words stand in them. Closed, withdrawn and expired offers are left
/// out.
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
