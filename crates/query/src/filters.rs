//! Filters of the search box (sector, country, province, language, transfer mode, TRL
//! range, updated since), validated, and turned into tantivy queries.

use std::ops::Bound;

use serde::{Deserialize, Serialize};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;
use techmatch_indexer::document::date_to_datetime;
use techmatch_indexer::province::Provinces;
use techmatch_indexer::record::{SECTORS, TRANSFER_MODES};
use techmatch_indexer::SupplySchema;

use crate::error::{QueryError, Result};

/// The facet dimensions.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FacetDim {
    /// Sector code.
    Sector,
    /// Owner country.
    Country,
    /// Canonical province.
    Province,
    /// Transfer mode.
    Transfer,
    /// Technology readiness level.
    Trl,
    /// Record language.
    Lang,
    /// Provenance: the exchange or connection point that sent the record.
    Source,
}

impl FacetDim {
    /// All dimensions.
    pub const ALL: [FacetDim; 7] = [
        FacetDim::Sector,
        FacetDim::Country,
        FacetDim::Province,
        FacetDim::Transfer,
        FacetDim::Trl,
        FacetDim::Lang,
        FacetDim::Source,
    ];

    /// The fast field holding the dimension.
    pub fn field_name(self) -> &'static str {
        match self {
            FacetDim::Sector => "sector",
            FacetDim::Country => "country",
            FacetDim::Province => "province",
            FacetDim::Transfer => "transfer",
            FacetDim::Trl => "trl",
            FacetDim::Lang => "lang",
            FacetDim::Source => "provenance",
        }
    }
}

/// Filters of a search; values within one filter are alternatives (OR), filters combine
/// with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// Sector codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sector: Vec<String>,
    /// Country codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub country: Vec<String>,
    /// Province names (any spelling; resolved to the current unit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub province: Vec<String>,
    /// Languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lang: Vec<String>,
    /// Transfer modes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfer: Vec<String>,
    /// Lowest TRL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl_min: Option<u8>,
    /// Highest TRL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl_max: Option<u8>,
    /// Only records updated on or after this date (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<String>,
    /// Sources (exchanges, connection points).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
    /// Also show closed, withdrawn and expired records (hidden by default).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_inactive: bool,
    /// The day whose lifecycle applies (`YYYY-MM-DD`; today in Vietnam when absent): a
    /// record expiring before it is hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// Today's date in Vietnam (UTC+7), `YYYY-MM-DD`: the day offers expire on.
pub fn today_in_vietnam() -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).expect("a valid offset");
    let today = time::OffsetDateTime::now_utc().to_offset(offset).date();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    today.format(&format).expect("a date formats")
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|v| {
            let query: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, query)
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

impl Filters {
    /// Checks every value and brings it to its indexed form; errors name the parameter.
    pub fn normalized(&self, provinces: &Provinces) -> Result<Filters> {
        let bad = |message: String| Err(QueryError::Invalid(message));
        let mut out = Filters::default();
        for sector in &self.sector {
            let sector = sector.trim().to_lowercase();
            if !SECTORS.iter().any(|(code, _)| *code == sector) {
                let codes: Vec<&str> = SECTORS.iter().map(|(c, _)| *c).collect();
                return bad(format!(
                    "sector: unknown code '{sector}'; valid codes: {}",
                    codes.join(", ")
                ));
            }
            out.sector.push(sector);
        }
        for country in &self.country {
            let country = country.trim().to_ascii_uppercase();
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
                return bad(format!("country: '{country}' is not a two-letter code"));
            }
            out.country.push(country);
        }
        for province in &self.province {
            let resolved = provinces
                .resolve(province)
                .map_or_else(|| province.trim().to_string(), |p| p.name.clone());
            out.province.push(resolved);
        }
        for lang in &self.lang {
            let lang = lang.trim().to_lowercase();
            if !matches!(lang.as_str(), "vi" | "en" | "zh") {
                return bad(format!("lang: '{lang}' is not one of vi, en, zh"));
            }
            out.lang.push(lang);
        }
        for mode in &self.transfer {
            let mode = mode.trim().to_lowercase();
            if !TRANSFER_MODES.contains(&mode.as_str()) {
                return bad(format!(
                    "transfer: unknown mode '{mode}'; valid modes: {}",
                    TRANSFER_MODES.join(", ")
                ));
            }
            out.transfer.push(mode);
        }
        for (name, value) in [("trl_min", self.trl_min), ("trl_max", self.trl_max)] {
            if let Some(v) = value {
                if !(1..=9).contains(&v) {
                    return bad(format!("{name}: must be between 1 and 9, found {v}"));
                }
            }
        }
        if let (Some(min), Some(max)) = (self.trl_min, self.trl_max) {
            if min > max {
                return bad(format!("trl_min ({min}) is greater than trl_max ({max})"));
            }
        }
        out.trl_min = self.trl_min;
        out.trl_max = self.trl_max;
        if let Some(since) = &self.updated_since {
            if date_to_datetime(since.trim()).is_none() {
                return bad(format!("updated_since: '{since}' is not a date YYYY-MM-DD"));
            }
            out.updated_since = Some(since.trim().to_string());
        }
        for source in &self.source {
            let source = source.trim();
            if source.is_empty() || source.chars().count() > 100 {
                return bad(format!(
                    "source: '{source}' must be a source code of 1 to 100 characters"
                ));
            }
            out.source.push(source.to_string());
        }
        out.include_inactive = self.include_inactive;
        if let Some(day) = &self.as_of {
            if date_to_datetime(day.trim()).is_none() {
                return bad(format!("as_of: '{day}' is not a date YYYY-MM-DD"));
            }
            out.as_of = Some(day.trim().to_string());
        }
        Ok(out)
    }

    /// Whether the filter of a dimension is active.
    pub fn constrains(&self, dim: FacetDim) -> bool {
        match dim {
            FacetDim::Sector => !self.sector.is_empty(),
            FacetDim::Country => !self.country.is_empty(),
            FacetDim::Province => !self.province.is_empty(),
            FacetDim::Transfer => !self.transfer.is_empty(),
            FacetDim::Trl => self.trl_min.is_some() || self.trl_max.is_some(),
            FacetDim::Lang => !self.lang.is_empty(),
            FacetDim::Source => !self.source.is_empty(),
        }
    }

    /// Queries for the records the lifecycle hides (to exclude with `MustNot`): closed and
    /// withdrawn records, and those whose `expires` is before `as_of` (today in Vietnam by
    /// default). Empty when `include_inactive` is set or when no record of this searcher
    /// is inactive, so that the common case costs nothing.
    pub fn hidden(
        &self,
        searcher: &tantivy::Searcher,
        schema: &SupplySchema,
    ) -> Result<Vec<Box<dyn Query>>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if self.include_inactive {
            return Ok(out);
        }
        for status in ["closed", "withdrawn"] {
            let term = Term::from_field_text(schema.status, status);
            if searcher.doc_freq(&term)? > 0 {
                out.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
            }
        }
        let today = match &self.as_of {
            Some(day) => day.clone(),
            None => today_in_vietnam(),
        };
        let Some(today) = date_to_datetime(&today) else {
            return Ok(out);
        };
        let mut any_expired = false;
        for segment in searcher.segment_readers() {
            let column = segment
                .fast_fields()
                .column_opt::<tantivy::DateTime>("expires")?;
            if let Some(column) = column {
                if column.values.num_vals() > 0 && column.min_value() < today {
                    any_expired = true;
                    break;
                }
            }
        }
        if any_expired {
            out.push(Box::new(RangeQuery::new(
                Bound::Unbounded,
                Bound::Excluded(Term::from_field_date(schema.expires, today)),
            )));
        }
        Ok(out)
    }

    /// The filter queries (of already normalised filters), leaving out one dimension.
    pub fn queries(&self, schema: &SupplySchema, except: Option<FacetDim>) -> Vec<Box<dyn Query>> {
        let mut out = Vec::new();
        let keep = |dim: FacetDim| except != Some(dim) && self.constrains(dim);
        if keep(FacetDim::Sector) {
            out.push(any_of(schema.sector, &self.sector));
        }
        if keep(FacetDim::Country) {
            out.push(any_of(schema.country, &self.country));
        }
        if keep(FacetDim::Province) {
            out.push(any_of(schema.province, &self.province));
        }
        if keep(FacetDim::Lang) {
            out.push(any_of(schema.lang, &self.lang));
        }
        if keep(FacetDim::Transfer) {
            out.push(any_of(schema.transfer, &self.transfer));
        }
        if keep(FacetDim::Source) {
            out.push(any_of(schema.provenance, &self.source));
        }
        if keep(FacetDim::Trl) {
            let lower = Term::from_field_u64(schema.trl, u64::from(self.trl_min.unwrap_or(1)));
            let upper = Term::from_field_u64(schema.trl, u64::from(self.trl_max.unwrap_or(9)));
            out.push(Box::new(RangeQuery::new(
                Bound::Included(lower),
                Bound::Included(upper),
            )));
        }
        if let Some(date) = self.updated_since.as_deref().and_then(date_to_datetime) {
            let lower = Term::from_field_date(schema.updated, date);
            out.push(Box::new(RangeQuery::new(
                Bound::Included(lower),
                Bound::Unbounded,
            )));
        }
        out
    }
}
