//! The record model of the data contract: technology supplies (offers) and demands.

use serde::{Deserialize, Serialize};
use techmatch_analysis::Language;

/// The sector codes of the data contract, with their Vietnamese names.
pub const SECTORS: &[(&str, &str)] = &[
    ("agriculture", "Nông nghiệp"),
    ("food_processing", "Chế biến thực phẩm"),
    ("aquaculture", "Thủy sản"),
    ("forestry", "Lâm nghiệp, gỗ"),
    ("environment", "Môi trường, nước, chất thải"),
    ("energy", "Năng lượng"),
    ("mechanical", "Cơ khí, chế tạo máy"),
    ("automation", "Tự động hóa"),
    ("ict", "Công nghệ thông tin, điện tử"),
    ("biotech", "Công nghệ sinh học"),
    ("healthcare", "Y tế, dược"),
    ("materials", "Vật liệu"),
    ("construction", "Xây dựng"),
    ("chemicals", "Hóa chất"),
    ("textiles", "Dệt may, da giày"),
    ("mining", "Khai khoáng"),
    ("transport", "Giao thông, logistics"),
];

/// The transfer modes of the data contract.
pub const TRANSFER_MODES: &[&str] = &[
    "license",
    "sale",
    "joint_venture",
    "consulting",
    "training",
    "equipment",
];

/// The statuses of a record: `open` records are matched and shown; `closed` (answered or
/// no longer needed) and `withdrawn` ones are kept for the record.
pub const RECORD_STATUSES: &[&str] = &["open", "closed", "withdrawn"];

/// A technology offered for transfer. Text fields are NFC once validated.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Supply {
    /// Unique, stable identifier, `[A-Za-z0-9._-]{1,64}`.
    pub id: String,
    /// Short name of the technology.
    pub title: String,
    /// One to three sentences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Long free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owner-supplied keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Sector code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// Organisation that owns or offers the technology.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// ISO 3166-1 alpha-2 code, uppercase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Province as written in the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Language of the text (detected when the record does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "vi")]
    pub lang: Option<Language>,
    /// Technology readiness level, 1–9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl: Option<u8>,
    /// Transfer modes offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfer: Vec<String>,
    /// Last update, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The exchange or connection point that sent the record, e.g. `techmart-hanoi`
    /// (provenance; the `id` stays the engine's key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The record's id at its source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// `open`, `closed` or `withdrawn`; absent means open. Only open records are shown
    /// and matched unless asked otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The last day the offer stands, `YYYY-MM-DD`; from the next day it is hidden like a
    /// closed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Supply {
    /// Whether the record is shown and matched on `today` (`YYYY-MM-DD`): open (or no
    /// status) and not expired before that day.
    pub fn is_active_on(&self, today: &str) -> bool {
        let open = is_open_status(self.status.as_deref());
        let current = self.expires.as_deref().is_none_or(|e| e >= today);
        open && current
    }

    /// All searchable text of the record, for language detection.
    pub fn full_text(&self) -> String {
        let mut text = self.title.clone();
        for part in [&self.summary, &self.description].into_iter().flatten() {
            text.push('\n');
            text.push_str(part);
        }
        for keyword in &self.keywords {
            text.push('\n');
            text.push_str(keyword);
        }
        text
    }
}

/// A technology need posted by an enterprise or a provincial department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Demand {
    /// Unique identifier.
    pub id: String,
    /// Short statement of the need.
    pub title: String,
    /// The problem, constraints, scale, budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sector code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// Where the enterprise is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// Who asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    /// Language of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "vi")]
    pub lang: Option<Language>,
    /// Minimum technology readiness level wanted (extension of the contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl_min: Option<u8>,
    /// Transfer modes wanted (extension of the contract).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfer: Vec<String>,
    /// Preferred owner country, ISO alpha-2 (extension of the contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Free labels (ignored by matching; used by evaluation reports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Keywords the enterprise ticked (extension of the contract); matching weighs their
    /// words as title words and looks for glossary concepts in them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// `open`, `closed` or `withdrawn` (extension of the contract; absent means open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Last update, `YYYY-MM-DD` (extension of the contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The connection event where the demand was collected (extension of the contract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_event: Option<String>,
}

/// Whether a record's `status` lets it be shown and matched: `open`, or none given.
fn is_open_status(status: Option<&str>) -> bool {
    status.is_none_or(|s| s == "open")
}

impl Demand {
    /// Whether the demand is open (`open` or no status): closed and withdrawn demands are
    /// kept on record but neither searched nor matched.
    pub fn is_open(&self) -> bool {
        is_open_status(self.status.as_deref())
    }

    /// The title followed by the keywords the enterprise ticked, one line each: what the
    /// demand is about, in its own words. Matching weighs these words as title words.
    pub fn title_with_keywords(&self) -> String {
        let mut text = self.title.clone();
        for keyword in &self.keywords {
            text.push_str(".\n");
            text.push_str(keyword);
        }
        text
    }

    /// Title, keywords and description as one text, in that order (glossary concepts are
    /// looked for in it and the first ones found are kept, so the title's and keywords'
    /// concepts come before the description's).
    pub fn full_text(&self) -> String {
        match &self.description {
            Some(description) => format!("{}\n{}", self.title_with_keywords(), description),
            None => self.title_with_keywords(),
        }
    }
}

/// Which side of the exchange a set of records is: technology offers or enterprise needs.
///
/// Both are kept in indexes of the same schema ([`crate::SupplySchema`]): a demand is
/// written as a record through [`Demand::to_record`] and read back with
/// [`Demand::from_record`], so validation, analysis, upserts, atomic commits, near-duplicate
/// detection, search and facets work the same on both sides. The demands of the index in
/// `DIR` live beside it, in [`demand_index_dir`]`(DIR)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// Technology offers (the default).
    #[default]
    Supplies,
    /// Enterprise needs.
    Demands,
}

impl RecordKind {
    /// `supplies` or `demands`.
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Supplies => "supplies",
            RecordKind::Demands => "demands",
        }
    }

    /// One record of this kind, in words (`supply`, `demand`).
    pub fn singular(self) -> &'static str {
        match self {
            RecordKind::Supplies => "supply",
            RecordKind::Demands => "demand",
        }
    }

    /// Parses `supplies`/`supply` or `demands`/`demand`.
    pub fn parse(text: &str) -> Option<RecordKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "supplies" | "supply" => Some(RecordKind::Supplies),
            "demands" | "demand" => Some(RecordKind::Demands),
            _ => None,
        }
    }
}

/// Where the demands of the index in `supply_dir` are kept: the sibling directory
/// `{supply_dir}.demands` (`data/index` → `data/index.demands`). A sibling, not a
/// subdirectory, so that rebuilding, snapshotting or deleting one side never touches the
/// other.
pub fn demand_index_dir(supply_dir: &std::path::Path) -> std::path::PathBuf {
    let mut name = supply_dir
        .file_name()
        .map_or_else(|| std::ffi::OsString::from("index"), |n| n.to_os_string());
    name.push(".demands");
    supply_dir.with_file_name(name)
}

impl Demand {
    /// The demand as a record of the index schema: `enterprise` is kept as `owner`,
    /// `trl_min` as `trl`, the transfer modes wanted as `transfer`, the preferred country as
    /// `country` and `source_event` as `source` (the provenance facet); `tags` (evaluation
    /// labels) are not kept. [`Demand::from_record`] reads it back.
    pub fn to_record(&self) -> Supply {
        Supply {
            id: self.id.clone(),
            title: self.title.clone(),
            summary: None,
            description: self.description.clone(),
            keywords: self.keywords.clone(),
            sector: self.sector.clone(),
            owner: self.enterprise.clone(),
            country: self.country.clone(),
            province: self.province.clone(),
            lang: self.lang,
            trl: self.trl_min,
            transfer: self.transfer.clone(),
            updated: self.updated.clone(),
            source: self.source_event.clone(),
            source_id: None,
            status: self.status.clone(),
            expires: None,
        }
    }

    /// The demand a record written by [`Demand::to_record`] holds.
    pub fn from_record(record: Supply) -> Demand {
        Demand {
            id: record.id,
            title: record.title,
            description: match (record.summary, record.description) {
                (Some(summary), Some(description)) => Some(format!("{summary}\n{description}")),
                (summary, description) => summary.or(description),
            },
            sector: record.sector,
            province: record.province,
            enterprise: record.owner,
            lang: record.lang,
            trl_min: record.trl,
            transfer: record.transfer,
            country: record.country,
            tags: Vec::new(),
            keywords: record.keywords,
            status: record.status,
            updated: record.updated,
            source_event: record.source,
        }
    }
}

/// The Vietnamese name of a sector code.
pub fn sector_name_vi(code: &str) -> Option<&'static str> {
    SECTORS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn a_demand_survives_the_record_form() {
        let demand = Demand {
            id: "D9".into(),
            title: "Cần máy sấy".into(),
            description: Some("HTX cà phê".into()),
            sector: Some("agriculture".into()),
            province: Some("Đắk Lắk".into()),
            enterprise: Some("HTX Ea Tân".into()),
            lang: Some(Language::Vi),
            trl_min: Some(7),
            transfer: vec!["equipment".into()],
            country: Some("VN".into()),
            tags: Vec::new(),
            keywords: vec!["sấy cà phê".into()],
            status: Some("closed".into()),
            updated: Some("2025-06-18".into()),
            source_event: Some("Techmart Tây Nguyên 2025".into()),
        };
        let record = demand.to_record();
        assert_eq!(record.owner.as_deref(), Some("HTX Ea Tân"));
        assert_eq!(record.trl, Some(7));
        assert_eq!(record.source.as_deref(), Some("Techmart Tây Nguyên 2025"));
        assert!(
            !record.is_active_on("2026-01-01"),
            "a closed demand is hidden"
        );
        assert_eq!(Demand::from_record(record), demand);
    }

    #[test]
    fn demands_live_beside_the_supply_index() {
        use std::path::Path;
        assert_eq!(
            demand_index_dir(Path::new("data/index")),
            Path::new("data/index.demands")
        );
        assert_eq!(demand_index_dir(Path::new("ix")), Path::new("ix.demands"));
        assert_eq!(RecordKind::parse("Demands"), Some(RecordKind::Demands));
        assert_eq!(RecordKind::parse("supply"), Some(RecordKind::Supplies));
        assert_eq!(RecordKind::parse("offers"), None);
    }
}
