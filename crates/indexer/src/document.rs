//! A validated [`Supply`] becomes a tantivy document: one analysis per text, four token
//! streams (the text is handed to each field; the tokenizers analyse it once), facet values,
//! and the record stored as JSON.

use tantivy::schema::Value as _;
use tantivy::{DateTime, TantivyDocument};

use crate::province::Provinces;
use crate::record::Supply;
use crate::schema::{SupplySchema, TextField};

/// The text of one field of a supply; keywords are joined by newlines.
pub fn field_text(supply: &Supply, field: TextField) -> Option<String> {
    match field {
        TextField::Title => Some(supply.title.clone()),
        TextField::Keywords => (!supply.keywords.is_empty()).then(|| supply.keywords.join("\n")),
        TextField::Summary => supply.summary.clone(),
        TextField::Description => supply.description.clone(),
        TextField::Owner => supply.owner.clone(),
    }
}

/// The facet value of a province: the canonical unit when known, else the text as written.
pub fn province_facet(provinces: &Provinces, province: &str) -> String {
    provinces
        .resolve(province)
        .map_or_else(|| province.trim().to_string(), |p| p.name.clone())
}

/// A `YYYY-MM-DD` date as a tantivy date (midnight UTC); `None` if invalid or out of range.
pub fn date_to_datetime(date: &str) -> Option<DateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date, &format).ok()?;
    let seconds = date.midnight().assume_utc().unix_timestamp();
    // tantivy stores nanoseconds in an i64: years outside 1677..2262 would overflow.
    seconds
        .checked_mul(1_000_000_000)
        .map(DateTime::from_timestamp_nanos)
}

/// Builds the document of a supply; `cluster` is the key of the near-duplicate cluster the
/// record joined (none when it is its own).
pub fn to_document(
    schema: &SupplySchema,
    provinces: &Provinces,
    supply: &Supply,
    cluster: Option<&str>,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(schema.id, &supply.id);
    let source = serde_json::to_string(supply).expect("a supply serialises to JSON");
    doc.add_text(schema.source, &source);
    for field in TextField::ALL {
        let Some(text) = field_text(supply, field) else {
            continue;
        };
        // Plain text: the registered tokenizers analyse it once for all its streams (on
        // the indexing threads), which is cheaper than shipping pre-tokenised values.
        for &kind in field.streams() {
            doc.add_text(schema.text_field(field, kind), &text);
        }
        // The concepts the text holds (and, in the title, the glossary's stamp).
        doc.add_text(schema.concepts_field(field), &text);
    }
    if let Some(sector) = &supply.sector {
        doc.add_text(schema.sector, sector);
    }
    if let Some(country) = &supply.country {
        doc.add_text(schema.country, country);
    }
    if let Some(province) = &supply.province {
        doc.add_text(schema.province, province_facet(provinces, province));
    }
    if let Some(lang) = supply.lang {
        doc.add_text(schema.lang, lang.code());
    }
    for mode in &supply.transfer {
        doc.add_text(schema.transfer, mode);
    }
    if let Some(trl) = supply.trl {
        doc.add_u64(schema.trl, u64::from(trl));
    }
    if let Some(date) = supply.updated.as_deref().and_then(date_to_datetime) {
        doc.add_date(schema.updated, date);
    }
    if let Some(source) = &supply.source {
        doc.add_text(schema.provenance, source);
    }
    if let Some(status) = &supply.status {
        doc.add_text(schema.status, status);
    }
    if let Some(date) = supply.expires.as_deref().and_then(date_to_datetime) {
        doc.add_date(schema.expires, date);
    }
    if let Some(cluster) = cluster.filter(|c| *c != supply.id) {
        doc.add_text(schema.cluster, cluster);
    }
    doc
}

/// Reads the stored record back from a document.
pub fn from_document(schema: &SupplySchema, doc: &TantivyDocument) -> Option<Supply> {
    let source = doc.get_first(schema.source)?.as_str()?;
    serde_json::from_str(source).ok()
}
