//! Requests as they arrive from outside (the server's query strings, the fuzz targets):
//! parsed by hand so that list filters may be repeated or comma-separated
//! (`sector=energy&sector=ict`, `sector=energy,ict`), checked against [`RequestLimits`],
//! and every error names its parameter. The structs double as the OpenAPI description of
//! the parameters. Nothing here knows HTTP beyond the `name=value&…` syntax.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::demand::MatchOptions;
pub use crate::demand::MAX_CANDIDATES;
use crate::error::{QueryError, Result};
use crate::filters::{today_in_vietnam, Filters};
use crate::search::{SearchRequest, Sort};
use crate::suggest::MAX_SUGGESTIONS;

/// The size limits of one search or suggestion request; a deployment may lower them (never
/// above the defaults, which are the engine's ceilings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Longest query text in characters.
    pub max_query_chars: usize,
    /// Largest page size.
    pub max_page_size: usize,
    /// Deepest result reachable by paging (page × size).
    pub max_result_depth: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_query_chars: crate::search::MAX_QUERY_CHARS,
            max_page_size: crate::search::MAX_PAGE_SIZE,
            max_result_depth: crate::search::MAX_RESULT_DEPTH,
        }
    }
}

fn invalid(message: impl Into<String>) -> QueryError {
    QueryError::Invalid(message.into())
}

/// The decoded `name=value` pairs of a query string (`+` is a space). A name or value
/// whose percent-encoded bytes are not UTF-8 is a 400 naming the parameter, rather than
/// text silently changed by replacement characters.
fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>> {
    let decode = |part: &str| -> Option<String> {
        let part = part.replace('+', " ");
        percent_encoding::percent_decode_str(&part)
            .decode_utf8()
            .ok()
            .map(|text| text.into_owned())
    };
    raw.unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name).ok_or_else(|| {
                invalid("a parameter name is not valid UTF-8 once percent-decoded")
            })?;
            let value = decode(value).ok_or_else(|| {
                invalid(format!(
                    "{name}: the value is not valid UTF-8 once percent-decoded \
                     (encode text as UTF-8 before percent-encoding it)"
                ))
            })?;
            Ok((name, value))
        })
        .collect()
}

fn number<T: std::str::FromStr>(name: &str, value: &str, what: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(format!("{name}: must be {what}, found '{value}'")))
}

fn boolean(name: &str, value: &str) -> Result<bool> {
    match value.trim() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(invalid(format!(
            "{name}: must be true or false, found '{other}'"
        ))),
    }
}

fn unknown(name: &str, known: &[&str]) -> QueryError {
    invalid(format!(
        "unknown parameter '{name}'; known parameters: {}",
        known.join(", ")
    ))
}

fn push_list(list: &mut Vec<String>, value: &str) {
    list.extend(
        value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    );
}

/// Parameters of `GET /api/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The text as typed (diacritics optional, the last word may be cut short); empty
    /// browses everything, newest first.
    pub q: Option<String>,
    /// Sector codes (repeat or comma-separate for alternatives).
    #[param(style = Form, explode)]
    pub sector: Vec<String>,
    /// Owner country codes (ISO 3166-1 alpha-2).
    #[param(style = Form, explode)]
    pub country: Vec<String>,
    /// Provinces, any spelling (former names resolve to the current unit).
    #[param(style = Form, explode)]
    pub province: Vec<String>,
    /// Record languages: vi, en, zh.
    #[param(style = Form, explode)]
    pub lang: Vec<String>,
    /// Transfer modes: license, sale, joint_venture, consulting, training, equipment.
    #[param(style = Form, explode)]
    pub transfer: Vec<String>,
    /// Lowest technology readiness level (1-9).
    #[param(minimum = 1, maximum = 9)]
    pub trl_min: Option<u8>,
    /// Highest technology readiness level (1-9).
    #[param(minimum = 1, maximum = 9)]
    pub trl_max: Option<u8>,
    /// Only records updated on or after this date (YYYY-MM-DD).
    pub updated_since: Option<String>,
    /// Page number from 1.
    #[param(minimum = 1)]
    pub page: Option<usize>,
    /// Hits per page (1-100).
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<usize>,
    /// `relevance` (default) or `updated` (newest first).
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Count facets (default true).
    pub facets: Option<bool>,
    /// Sources: the exchanges or connection points that sent the records.
    #[param(style = Form, explode)]
    pub source: Vec<String>,
    /// Also show closed, withdrawn and expired records (default false).
    pub include_inactive: Option<bool>,
    /// The day whose lifecycle applies, YYYY-MM-DD (default: today in Vietnam).
    pub as_of: Option<String>,
    /// Show every near-duplicate as its own hit (default false: one hit per technology,
    /// the others in `also_listed`).
    pub show_duplicates: Option<bool>,
    /// `supplies` (default), `demands`, or `both` (merged, with a `kind` facet).
    #[param(inline)]
    pub kind: Option<SearchKind>,
}

impl SearchParams {
    const KNOWN: &'static [&'static str] = &[
        "q",
        "sector",
        "country",
        "province",
        "lang",
        "transfer",
        "trl_min",
        "trl_max",
        "updated_since",
        "page",
        "size",
        "sort",
        "facets",
        "source",
        "include_inactive",
        "as_of",
        "show_duplicates",
        "kind",
    ];

    /// Parses a query string.
    pub fn parse(raw: Option<&str>) -> Result<SearchParams> {
        let mut params = SearchParams::default();
        for (name, value) in pairs(raw)? {
            match name.as_str() {
                "q" => params.q = Some(value),
                "sector" => push_list(&mut params.sector, &value),
                "country" => push_list(&mut params.country, &value),
                "province" => push_list(&mut params.province, &value),
                "lang" => push_list(&mut params.lang, &value),
                "transfer" => push_list(&mut params.transfer, &value),
                "trl_min" => {
                    params.trl_min = Some(number(&name, &value, "an integer from 1 to 9")?)
                }
                "trl_max" => {
                    params.trl_max = Some(number(&name, &value, "an integer from 1 to 9")?)
                }
                "updated_since" => {
                    params.updated_since = Some(value.trim().to_string()).filter(|v| !v.is_empty())
                }
                "page" => params.page = Some(number(&name, &value, "a page number from 1")?),
                "size" => params.size = Some(number(&name, &value, "a positive integer")?),
                "sort" => {
                    params.sort = Some(match value.trim() {
                        "relevance" => Sort::Relevance,
                        "updated" => Sort::Updated,
                        other => {
                            return Err(invalid(format!(
                                "sort: must be relevance or updated, found '{other}'"
                            )))
                        }
                    })
                }
                "facets" => params.facets = Some(boolean(&name, &value)?),
                "source" => push_list(&mut params.source, &value),
                "include_inactive" => params.include_inactive = Some(boolean(&name, &value)?),
                "as_of" => params.as_of = Some(value.trim().to_string()).filter(|v| !v.is_empty()),
                "show_duplicates" => params.show_duplicates = Some(boolean(&name, &value)?),
                "kind" => {
                    params.kind = Some(match value.trim() {
                        "supplies" | "supply" => SearchKind::Supplies,
                        "demands" | "demand" => SearchKind::Demands,
                        "both" | "all" => SearchKind::Both,
                        other => {
                            return Err(invalid(format!(
                                "kind: must be supplies, demands or both, found '{other}'"
                            )))
                        }
                    })
                }
                _ => return Err(unknown(&name, Self::KNOWN)),
            }
        }
        Ok(params)
    }

    /// The search request, checked against the configured limits.
    pub fn into_request(self, limits: &RequestLimits) -> Result<SearchRequest> {
        let defaults = SearchRequest::default();
        let request = SearchRequest {
            q: self.q.unwrap_or_default(),
            filters: Filters {
                sector: self.sector,
                country: self.country,
                province: self.province,
                lang: self.lang,
                transfer: self.transfer,
                trl_min: self.trl_min,
                trl_max: self.trl_max,
                updated_since: self.updated_since,
                source: self.source,
                include_inactive: self.include_inactive.unwrap_or(false),
                // The day is part of the request (and of its cache key), so an offer
                // disappears from cached answers on the day after it expires.
                as_of: Some(self.as_of.unwrap_or_else(today_in_vietnam)),
            },
            page: self.page.unwrap_or(1),
            size: self.size.unwrap_or(defaults.size),
            sort: self.sort.unwrap_or_default(),
            prefix_last: true,
            facets: self.facets.unwrap_or(true),
            show_duplicates: self.show_duplicates.unwrap_or(false),
        };
        request.check(limits)?;
        Ok(request)
    }
}

/// Parameters of `GET /api/suggest`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What has been typed so far; the last word counts as a prefix.
    pub q: Option<String>,
    /// Most suggestions (1-10, default 8).
    #[param(minimum = 1, maximum = 10)]
    pub limit: Option<usize>,
}

impl SuggestParams {
    /// Parses a query string.
    pub fn parse(raw: Option<&str>, limits: &RequestLimits) -> Result<SuggestParams> {
        let mut params = SuggestParams::default();
        for (name, value) in pairs(raw)? {
            match name.as_str() {
                "q" => params.q = Some(value),
                "limit" => {
                    let limit: usize = number(&name, &value, "a positive integer")?;
                    if limit == 0 || limit > MAX_SUGGESTIONS {
                        return Err(invalid(format!(
                            "limit: must be between 1 and {MAX_SUGGESTIONS}, found {limit}"
                        )));
                    }
                    params.limit = Some(limit);
                }
                _ => return Err(unknown(&name, &["q", "limit"])),
            }
        }
        crate::search::check_query_length(params.q.as_deref().unwrap_or_default(), limits)?;
        Ok(params)
    }
}

/// Which side of the exchange a search looks at (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchKind {
    /// Technology offers (the default).
    #[default]
    Supplies,
    /// Enterprise demands.
    Demands,
    /// Both, merged by score (or date), with a `kind` facet counting each.
    Both,
}

/// What `POST /api/match` matches the body against (`against`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchAgainst {
    /// The body is a demand; rank the supplies (the default).
    #[default]
    Supplies,
    /// The body is a supply; rank the open demands.
    Demands,
}

/// Output format of `POST /api/match/bulk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BulkFormat {
    /// One JSON object per demand (`application/x-ndjson`).
    Jsonl,
    /// The spreadsheet rows of `techmatch match --format csv` (`text/csv`).
    Csv,
}

/// Parameters of `POST /api/match` and `POST /api/match/bulk`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Matches per demand (1-1000, default 10).
    #[param(minimum = 1, maximum = 1000)]
    pub top: Option<usize>,
    /// Leave out matches scoring below this (0-100).
    #[param(minimum = 0, maximum = 100)]
    pub min_score: Option<f32>,
    /// Candidates reranked per demand (default 300).
    #[param(minimum = 1, maximum = 2000)]
    pub candidates: Option<usize>,
    /// Bulk only: `jsonl` (default) or `csv` (same as `Accept: text/csv`).
    #[param(inline)]
    pub format: Option<BulkFormat>,
    /// List every near-duplicate supply on its own (default false: one match per
    /// technology, the other records in `also_listed`).
    pub show_duplicates: Option<bool>,
    /// Also match closed, withdrawn and expired supplies (default false).
    pub include_inactive: Option<bool>,
    /// `supplies` (default; the body holds demands) or `demands` (the body holds supplies,
    /// each matched against the open demands).
    #[param(inline)]
    pub against: Option<MatchAgainst>,
}

impl MatchParams {
    /// Parses a query string; `format` is accepted only when `bulk`.
    pub fn parse(raw: Option<&str>, bulk: bool) -> Result<MatchParams> {
        let mut params = MatchParams::default();
        let known: &[&str] = if bulk {
            &[
                "top",
                "min_score",
                "candidates",
                "show_duplicates",
                "include_inactive",
                "format",
                "against",
            ]
        } else {
            &[
                "top",
                "min_score",
                "candidates",
                "show_duplicates",
                "include_inactive",
                "against",
            ]
        };
        for (name, value) in pairs(raw)? {
            match name.as_str() {
                "top" => params.top = Some(number(&name, &value, "an integer from 1 to 1000")?),
                "min_score" => {
                    let score: f32 = number(&name, &value, "a number from 0 to 100")?;
                    if !(0.0..=100.0).contains(&score) {
                        return Err(invalid(format!(
                            "min_score: must be between 0 and 100, found {score}"
                        )));
                    }
                    params.min_score = Some(score);
                }
                "candidates" => {
                    params.candidates = Some(number(&name, &value, "a positive integer")?)
                }
                "show_duplicates" => params.show_duplicates = Some(boolean(&name, &value)?),
                "include_inactive" => params.include_inactive = Some(boolean(&name, &value)?),
                "against" => {
                    params.against = Some(match value.trim() {
                        "supplies" => MatchAgainst::Supplies,
                        "demands" => MatchAgainst::Demands,
                        other => {
                            return Err(invalid(format!(
                                "against: must be supplies or demands, found '{other}'"
                            )))
                        }
                    })
                }
                "format" if bulk => {
                    params.format = Some(match value.trim() {
                        "jsonl" | "ndjson" => BulkFormat::Jsonl,
                        "csv" => BulkFormat::Csv,
                        other => {
                            return Err(invalid(format!(
                                "format: must be jsonl or csv, found '{other}'"
                            )))
                        }
                    })
                }
                _ => return Err(unknown(&name, known)),
            }
        }
        Ok(params)
    }

    /// The matching options, checked.
    pub fn options(&self) -> Result<MatchOptions> {
        let defaults = MatchOptions::default();
        let options = MatchOptions {
            top: self.top.unwrap_or(defaults.top),
            candidates: self.candidates.unwrap_or(defaults.candidates),
            min_score: self.min_score.unwrap_or(defaults.min_score),
            show_duplicates: self.show_duplicates.unwrap_or(false),
            include_inactive: self.include_inactive.unwrap_or(false),
        };
        options.check()?;
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_may_repeat_or_be_comma_separated() {
        let params =
            SearchParams::parse(Some("q=nuoc+thai&sector=energy,ict&sector=environment")).unwrap();
        assert_eq!(params.q.as_deref(), Some("nuoc thai"));
        assert_eq!(params.sector, ["energy", "ict", "environment"]);
    }

    #[test]
    fn percent_encoded_text_must_be_utf8() {
        let params = SearchParams::parse(Some("q=x%E1%BB%AD+l%C3%BD&sector=a%2Cb")).unwrap();
        assert_eq!(params.q.as_deref(), Some("xử lý"));
        assert_eq!(params.sector, ["a", "b"]);
        let error = SearchParams::parse(Some("q=%FF%FE")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("q: the value is not valid UTF-8"),
            "{error}"
        );
        assert!(SearchParams::parse(Some("%C3=1")).is_err());
        // A lone % is not an escape and stays as typed.
        let params = SearchParams::parse(Some("q=100%&&page=2")).unwrap();
        assert_eq!(params.q.as_deref(), Some("100%"));
        assert_eq!(params.page, Some(2));
    }

    #[test]
    fn errors_name_the_parameter() {
        let error = SearchParams::parse(Some("trl_min=high")).unwrap_err();
        assert!(error.to_string().starts_with("trl_min: "), "{error}");
        let error = SearchParams::parse(Some("sectr=energy")).unwrap_err();
        assert!(error.to_string().contains("'sectr'"), "{error}");
        let error = SearchParams::parse(Some("size=500"))
            .unwrap()
            .into_request(&RequestLimits::default())
            .unwrap_err();
        assert!(error.to_string().starts_with("size: "), "{error}");
        let error = MatchParams::parse(Some("candidates=0"), false)
            .unwrap()
            .options()
            .unwrap_err();
        assert!(error.to_string().starts_with("candidates: "), "{error}");
    }
}
