//! `GET /api/search` and `GET /api/suggest`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::errors::{ApiResult, ErrorBody};
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
) -> ApiResult<(CacheHeader, Json<Arc<SearchResponse>>)> {
    let request = SearchParams::parse(query.as_deref())?.into_request(&state.limits.request)?;
    let started = Instant::now();
    let key = serde_json::to_string(&request).expect("a request serialises");
    let generation = state.generation();
    // A hit is answered on the spot, without queueing behind searches for a core.
    if let Some(cached) = state.search_cache.get(generation, key.clone()) {
        state.metrics.cache_lookup("search", true);
        let mut response = SearchResponse::clone(&cached);
        response.took_ms = started.elapsed().as_secs_f64() * 1000.0;
        return Ok((cache_header(true), Json(Arc::new(response))));
    }
    state.metrics.cache_lookup("search", false);
    // The cache and this response share one copy.
    let response =
        Arc::new(compute(&state, move |state| Ok(state.searcher.search(&request)?)).await?);
    state.search_cache.put(generation, key, response.clone());
    Ok((cache_header(false), Json(response)))
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
) -> ApiResult<(CacheHeader, Json<SuggestResponse>)> {
    let params = SuggestParams::parse(query.as_deref(), &state.limits.request)?;
    let q = params.q.unwrap_or_default();
    let limit = params.limit.unwrap_or(DEFAULT_SUGGESTIONS);
    let generation = state.generation();
    // The day is part of the key: an offer stops being suggested the day after it expires.
    let key = (q.clone(), limit, crate::filters::today_in_vietnam());
    let (suggestions, hit) = match state.suggest_cache.get(generation, key.clone()) {
        Some(cached) => (cached.to_vec(), true),
        None => {
            let text = q.clone();
            let found = compute(&state, move |state| {
                Ok(state.searcher.suggest(&text, limit)?)
            })
            .await?;
            state
                .suggest_cache
                .put(generation, key, Arc::new(found.clone()));
            (found, false)
        }
    };
    state.metrics.cache_lookup("suggest", hit);
    let response = SuggestResponse {
        query: q,
        suggestions,
    };
    Ok((cache_header(hit), Json(response)))
}
