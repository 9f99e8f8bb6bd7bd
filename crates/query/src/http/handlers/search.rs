//! `GET /api/search` and `GET /api/suggest`.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::errors::{ApiResult, ErrorBody};
use crate::http::params::{SearchParams, SuggestParams};
use crate::http::state::{blocking, SharedState};
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
) -> ApiResult<Json<SearchResponse>> {
    let request = SearchParams::parse(query.as_deref())?.into_request(&state.limits)?;
    let response = blocking(move || Ok(state.searcher.search(&request)?)).await?;
    Ok(Json(response))
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
) -> ApiResult<Json<SuggestResponse>> {
    let params = SuggestParams::parse(query.as_deref(), &state.limits)?;
    let q = params.q.unwrap_or_default();
    let limit = params.limit.unwrap_or(DEFAULT_SUGGESTIONS);
    let response = blocking(move || {
        let suggestions = state.searcher.suggest(&q, limit)?;
        Ok(SuggestResponse {
            query: q,
            suggestions,
        })
    })
    .await?;
    Ok(Json(response))
}
