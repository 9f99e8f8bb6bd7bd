//! Validation: a [`RawRecord`] becomes a [`Supply`] or [`Demand`], or a list of precise
//! errors (`FILE:LINE: field FIELD: reason`), one per bad field.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use techmatch_analysis::{detect_language, Language};
use unicode_normalization::UnicodeNormalization;

use crate::error::RecordError;
use crate::read::RawRecord;
use crate::record::{Demand, Supply, RECORD_STATUSES, SECTORS, TRANSFER_MODES};

const SUPPLY_FIELDS: &[&str] = &[
    "id",
    "title",
    "summary",
    "description",
    "keywords",
    "sector",
    "owner",
    "country",
    "province",
    "lang",
    "trl",
    "transfer",
    "updated",
    "source",
    "source_id",
    "status",
    "expires",
];

const DEMAND_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "sector",
    "province",
    "enterprise",
    "lang",
    "trl_min",
    "transfer",
    "country",
    "tags",
    "keywords",
    "status",
    "updated",
    "source_event",
];

/// Validates the records of one input, remembering ids to catch duplicates.
#[derive(Debug, Default)]
pub struct Validator {
    file: String,
    seen: HashMap<String, usize>,
    unknown_fields: HashSet<String>,
}

/// Field-by-field access to one raw record that collects errors.
struct Fields<'a> {
    file: &'a str,
    line: usize,
    fields: &'a Map<String, Value>,
    from_cells: bool,
    errors: Vec<RecordError>,
}

impl<'a> Fields<'a> {
    fn error(&mut self, field: &str, reason: impl Into<String>) {
        self.errors
            .push(RecordError::field(self.file, self.line, field, reason));
    }

    /// An optional text field: NFC, trimmed, `None` when empty.
    fn text(&mut self, name: &str) -> Option<String> {
        match self.fields.get(name)? {
            Value::Null => None,
            Value::String(s) => {
                let trimmed = s.trim();
                (!trimmed.is_empty()).then(|| nfc(trimmed))
            }
            Value::Number(n) if self.from_cells => Some(n.to_string()),
            other => {
                self.error(name, format!("must be a string, found {}", kind(other)));
                None
            }
        }
    }

    fn required_text(&mut self, name: &str) -> String {
        match self.fields.get(name) {
            None | Some(Value::Null) => {
                self.error(name, "is missing (required)");
                String::new()
            }
            Some(_) => match self.text(name) {
                Some(text) => text,
                None => {
                    if self.errors.iter().all(|e| e.field.as_deref() != Some(name)) {
                        self.error(name, "is empty (required)");
                    }
                    String::new()
                }
            },
        }
    }

    /// A list of strings: a JSON array, or `;`-separated text in CSV/XLSX cells.
    fn list(&mut self, name: &str) -> Vec<String> {
        let items: Vec<String> = match self.fields.get(name) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.error(
                                name,
                                format!("items must be strings, found {}", kind(other)),
                            );
                            return Vec::new();
                        }
                    }
                }
                out
            }
            Some(Value::String(s)) if self.from_cells => s.split(';').map(str::to_string).collect(),
            Some(other) => {
                let expected = if self.from_cells {
                    "a ';'-separated list"
                } else {
                    "an array of strings"
                };
                self.error(name, format!("must be {expected}, found {}", kind(other)));
                return Vec::new();
            }
        };
        items
            .iter()
            .map(|s| nfc(s.trim()))
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// An integer in a range; numeric text is accepted from cells.
    fn integer(&mut self, name: &str, range: std::ops::RangeInclusive<u8>) -> Option<u8> {
        let value = self.fields.get(name)?;
        let number = match value {
            Value::Null => return None,
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) if self.from_cells => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match number {
            Some(n) if n >= i64::from(*range.start()) && n <= i64::from(*range.end()) => {
                Some(n as u8)
            }
            Some(n) => {
                self.error(
                    name,
                    format!(
                        "must be between {} and {}, found {n}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
            None => {
                self.error(
                    name,
                    format!(
                        "must be an integer from {} to {}, found {}",
                        range.start(),
                        range.end(),
                        show(value)
                    ),
                );
                None
            }
        }
    }

    fn sector(&mut self) -> Option<String> {
        let sector = self.text("sector")?.to_lowercase();
        if SECTORS.iter().any(|(code, _)| *code == sector) {
            Some(sector)
        } else {
            let codes: Vec<&str> = SECTORS.iter().map(|(code, _)| *code).collect();
            self.error(
                "sector",
                format!(
                    "unknown sector '{sector}'; valid codes: {}",
                    codes.join(", ")
                ),
            );
            None
        }
    }

    fn lang(&mut self) -> Option<Language> {
        let lang = self.text("lang")?;
        match Language::from_code(&lang.to_lowercase()) {
            Some(lang) => Some(lang),
            None => {
                self.error(
                    "lang",
                    format!("unknown language '{lang}'; use vi, en or zh"),
                );
                None
            }
        }
    }

    fn country(&mut self) -> Option<String> {
        let country = self.text("country")?;
        if country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()) {
            Some(country.to_ascii_uppercase())
        } else {
            self.error(
                "country",
                format!(
                    "must be a two-letter ISO 3166-1 code such as VN, KR, JP, found '{country}'"
                ),
            );
            None
        }
    }

    fn transfer(&mut self) -> Vec<String> {
        let modes: Vec<String> = self
            .list("transfer")
            .into_iter()
            .map(|m| m.to_lowercase())
            .collect();
        for mode in &modes {
            if !TRANSFER_MODES.contains(&mode.as_str()) {
                self.error(
                    "transfer",
                    format!(
                        "unknown transfer mode '{mode}'; valid modes: {}",
                        TRANSFER_MODES.join(", ")
                    ),
                );
                return Vec::new();
            }
        }
        let mut unique = Vec::new();
        for mode in modes {
            if !unique.contains(&mode) {
                unique.push(mode);
            }
        }
        unique
    }

    /// A record status: `open`, `closed` or `withdrawn` (any case).
    fn status(&mut self) -> Option<String> {
        let status = self.text("status")?.to_lowercase();
        if RECORD_STATUSES.contains(&status.as_str()) {
            Some(status)
        } else {
            self.error(
                "status",
                format!(
                    "unknown status '{status}'; valid statuses: {}",
                    RECORD_STATUSES.join(", ")
                ),
            );
            None
        }
    }

    /// A short label (a source code, an id at a source): at most `max` characters.
    fn short_text(&mut self, name: &str, max: usize) -> Option<String> {
        let text = self.text(name)?;
        if text.chars().count() > max || text.contains(['\n', '\r']) {
            self.error(
                name,
                format!(
                    "must be one line of at most {max} characters, found '{}'",
                    show(&Value::String(text))
                ),
            );
            return None;
        }
        Some(text)
    }

    fn date(&mut self, name: &str) -> Option<String> {
        let text = self.text(name)?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(&text, &format) {
            Ok(date) if !(1900..=2100).contains(&date.year()) => {
                self.error(
                    name,
                    format!("must be a date between 1900-01-01 and 2100-12-31, found '{text}'"),
                );
                None
            }
            Ok(date) => Some(date.format(&format).unwrap_or(text)),
            Err(_) => {
                self.error(name, format!("must be a date YYYY-MM-DD, found '{text}'"));
                None
            }
        }
    }

    fn id(&mut self) -> String {
        let id = self.required_text("id");
        if !id.is_empty() && !valid_id(&id) {
            self.error(
                "id",
                format!("'{id}' must be 1 to 64 characters from A-Z a-z 0-9 . _ -"),
            );
        }
        id
    }
}

/// Whether an id matches `[A-Za-z0-9._-]{1,64}`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

impl Validator {
    /// A validator for one input file.
    pub fn new(file: &str) -> Self {
        Validator {
            file: file.to_string(),
            ..Default::default()
        }
    }

    /// Field names seen that the contract does not know (they are ignored).
    pub fn unknown_fields(&self) -> impl Iterator<Item = &str> {
        self.unknown_fields.iter().map(String::as_str)
    }

    fn note_unknown(&mut self, raw: &RawRecord, known: &[&str]) {
        for name in raw.fields.keys() {
            if !known.contains(&name.as_str()) && !self.unknown_fields.contains(name) {
                tracing::warn!(file = %self.file, line = raw.line, field = %name, "unknown field ignored");
                self.unknown_fields.insert(name.clone());
            }
        }
    }

    fn check_duplicate(&mut self, id: &str, line: usize, errors: &mut Vec<RecordError>) {
        if id.is_empty() {
            return;
        }
        if let Some(first) = self.seen.get(id) {
            errors.push(RecordError::field(
                &self.file,
                line,
                "id",
                format!("duplicate id '{id}' (first seen on line {first})"),
            ));
        } else {
            self.seen.insert(id.to_string(), line);
        }
    }

    /// Validates a supply record.
    pub fn supply(&mut self, raw: &RawRecord) -> Result<Supply, Vec<RecordError>> {
        self.note_unknown(raw, SUPPLY_FIELDS);
        let mut f = Fields {
            file: &self.file,
            line: raw.line,
            fields: &raw.fields,
            from_cells: raw.from_cells,
            errors: Vec::new(),
        };
        let id = f.id();
        let mut supply = Supply {
            title: f.required_text("title"),
            summary: f.text("summary"),
            description: f.text("description"),
            keywords: f.list("keywords"),
            sector: f.sector(),
            owner: f.text("owner"),
            country: f.country(),
            province: f.text("province"),
            lang: f.lang(),
            trl: f.integer("trl", 1..=9),
            transfer: f.transfer(),
            updated: f.date("updated"),
            source: f.short_text("source", 100),
            source_id: f.short_text("source_id", 100),
            status: f.status(),
            expires: f.date("expires"),
            id,
        };
        let mut errors = f.errors;
        self.check_duplicate(&supply.id, raw.line, &mut errors);
        if !errors.is_empty() {
            for error in &mut errors {
                error.id = (!supply.id.is_empty()).then(|| supply.id.clone());
            }
            return Err(errors);
        }
        if supply.lang.is_none() {
            supply.lang = Some(detect_language(&supply.full_text()));
        }
        Ok(supply)
    }

    /// Validates a demand record.
    pub fn demand(&mut self, raw: &RawRecord) -> Result<Demand, Vec<RecordError>> {
        self.note_unknown(raw, DEMAND_FIELDS);
        let mut f = Fields {
            file: &self.file,
            line: raw.line,
            fields: &raw.fields,
            from_cells: raw.from_cells,
            errors: Vec::new(),
        };
        let id = f.id();
        let mut demand = Demand {
            title: f.required_text("title"),
            description: f.text("description"),
            sector: f.sector(),
            province: f.text("province"),
            enterprise: f.text("enterprise"),
            lang: f.lang(),
            trl_min: f.integer("trl_min", 1..=9),
            transfer: f.transfer(),
            country: f.country(),
            tags: f.list("tags"),
            keywords: f.list("keywords"),
            status: f.status(),
            updated: f.date("updated"),
            source_event: f.text("source_event"),
            id,
        };
        let mut errors = f.errors;
        self.check_duplicate(&demand.id, raw.line, &mut errors);
        if !errors.is_empty() {
            for error in &mut errors {
                error.id = (!demand.id.is_empty()).then(|| demand.id.clone());
            }
            return Err(errors);
        }
        if demand.lang.is_none() {
            demand.lang = Some(detect_language(&demand.full_text()));
        }
        Ok(demand)
    }
}

/// `text` in NFC. Most records already are, and the quick check answers that without
/// decomposing and recomposing every character.
fn nfc(text: &str) -> String {
    match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text.to_string(),
        _ => text.nfc().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawRecord {
        RawRecord {
            line: 7,
            fields: serde_json::from_str(json).unwrap(),
            from_cells: false,
        }
    }

    fn first_error(json: &str) -> String {
        Validator::new("s.jsonl").supply(&raw(json)).unwrap_err()[0].to_string()
    }

    macro_rules! error_cases {
        ($($name:ident: $json:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                let got = first_error($json);
                assert!(got.starts_with($expected), "got {got:?}");
            }
        )*};
    }

    error_cases! {
        missing_id: r#"{"title":"x"}"# => "s.jsonl:7: field id: is missing",
        empty_title: r#"{"id":"a","title":"  "}"# => "s.jsonl:7: field title: is empty",
        bad_id: r#"{"id":"a b","title":"x"}"# => "s.jsonl:7: field id: 'a b' must be",
        long_id: r#"{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","title":"x"}"# => "s.jsonl:7: field id:",
        trl_range: r#"{"id":"a","title":"x","trl":12}"# => "s.jsonl:7: field trl: must be between 1 and 9, found 12",
        trl_type: r#"{"id":"a","title":"x","trl":"7"}"# => "s.jsonl:7: field trl: must be an integer",
        sector: r#"{"id":"a","title":"x","sector":"space"}"# => "s.jsonl:7: field sector: unknown sector 'space'; valid codes: agriculture",
        lang: r#"{"id":"a","title":"x","lang":"fr"}"# => "s.jsonl:7: field lang: unknown language 'fr'",
        date: r#"{"id":"a","title":"x","updated":"2024-02-30"}"# => "s.jsonl:7: field updated: must be a date",
        date_after_2262_overflows_datetime: r#"{"id":"a","title":"x","updated":"2263-01-01"}"# => "s.jsonl:7: field updated: must be a date between 1900-01-01 and 2100-12-31",
        date_before_1677_overflows_datetime: r#"{"id":"a","title":"x","updated":"1677-09-21"}"# => "s.jsonl:7: field updated: must be a date between",
        transfer: r#"{"id":"a","title":"x","transfer":["gift"]}"# => "s.jsonl:7: field transfer: unknown transfer mode 'gift'",
        keywords_type: r#"{"id":"a","title":"x","keywords":"a;b"}"# => "s.jsonl:7: field keywords: must be an array",
        country: r#"{"id":"a","title":"x","country":"Vietnam"}"# => "s.jsonl:7: field country: must be a two-letter",
    }

    #[test]
    fn duplicate_id_names_the_first_line() {
        let mut validator = Validator::new("s.jsonl");
        validator.supply(&raw(r#"{"id":"a","title":"x"}"#)).unwrap();
        let errors = validator
            .supply(&raw(r#"{"id":"a","title":"y"}"#))
            .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "s.jsonl:7: field id: duplicate id 'a' (first seen on line 7)"
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let errors = Validator::new("s.jsonl")
            .supply(&raw(r#"{"id":"a","title":"x","trl":0,"lang":"xx"}"#))
            .unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn text_becomes_nfc_and_language_is_detected() {
        let supply = Validator::new("s.jsonl")
            .supply(&raw("{\"id\":\"a\",\"title\":\"Xu\u{031B}\u{0309} ly\u{0301} nu\u{031B}o\u{031B}\u{0301}c tha\u{0309}i\"}"))
            .unwrap();
        assert_eq!(supply.title, "Xử lý nước thải");
        assert_eq!(supply.lang, Some(Language::Vi));
    }

    #[test]
    fn cells_accept_numeric_text_and_lists() {
        let raw = RawRecord {
            line: 2,
            fields: serde_json::from_str(r#"{"id":"a","title":"x","trl":"7","keywords":"sấy; bơm nhiệt","transfer":"license;training"}"#).unwrap(),
            from_cells: true,
        };
        let supply = Validator::new("s.csv").supply(&raw).unwrap();
        assert_eq!(supply.trl, Some(7));
        assert_eq!(supply.keywords, ["sấy", "bơm nhiệt"]);
        assert_eq!(supply.transfer, ["license", "training"]);
    }

    #[test]
    fn a_demand_carries_keywords_status_update_and_event() {
        let demand = Validator::new("d.jsonl")
            .demand(&raw(r#"{"id":"D1","title":"Cần máy sấy","keywords":["sấy"," cà phê "],"status":"Closed","updated":"2025-11-03","source_event":"Techmart Tây Nguyên 2025"}"#))
            .unwrap();
        assert_eq!(demand.keywords, ["sấy", "cà phê"]);
        assert_eq!(demand.status.as_deref(), Some("closed"));
        assert_eq!(demand.updated.as_deref(), Some("2025-11-03"));
        assert_eq!(
            demand.source_event.as_deref(),
            Some("Techmart Tây Nguyên 2025")
        );
    }

    #[test]
    fn an_unknown_demand_status_names_the_field_and_the_valid_values() {
        let errors = Validator::new("d.jsonl")
            .demand(&raw(
                r#"{"id":"D1","title":"x","status":"pending","updated":"2025-02-30"}"#,
            ))
            .unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            shown[0].starts_with("d.jsonl:7: field status: unknown status 'pending'; valid statuses: open, closed, withdrawn"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("d.jsonl:7: field updated: must be a date"),
            "{shown:?}"
        );
    }
}
