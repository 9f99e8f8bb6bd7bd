//! The event pairing report: at a connection event, every demand against the offers and
//! every offer against the demands, then what an organiser prints: the best pairs both
//! sides agree on, the demands no offer answers and the offers nobody asked for.
//!
//! Both directions use the matchers of [`crate::demand`] and [`crate::reverse`] unchanged,
//! so a pair's score and explanation read the same in every sheet. The report is a list of
//! [`Sheet`]s (written as one workbook, one CSV file per sheet, or JSON lines).

use std::collections::HashMap;

use serde::Serialize;
use techmatch_indexer::{Demand, Supply, SupplyIndex};

use crate::demand::{DemandResult, MatchOptions, UNMET_THRESHOLD};
use crate::error::Result;
use crate::reverse::SupplyResult;
use crate::table::{
    constraints_in_words, matched_terms, reverse_table_rows, table_rows, REVERSE_HEADER,
    TABLE_HEADER,
};
use crate::{DemandMatcher, SupplyMatcher};

/// One sheet of the report: a name, a header, column widths (Excel units) and text rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sheet {
    /// Sheet name (also the CSV file stem and the JSON lines' `sheet`).
    pub name: &'static str,
    /// Column names.
    pub header: Vec<&'static str>,
    /// Column widths.
    #[serde(skip)]
    pub widths: Vec<f64>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

/// The results of both directions for one event.
pub struct PairReport {
    /// Every demand against the offers, in the demands' order.
    pub demands: Vec<DemandResult>,
    /// Every offer against the demands, in the offers' order.
    pub supplies: Vec<SupplyResult>,
    /// Who asks, by demand id.
    enterprises: HashMap<String, String>,
    /// Who offers, by supply id.
    owners: HashMap<String, String>,
    /// Demands or supplies that could not be matched, with the reason.
    pub failures: Vec<(String, String)>,
}

/// A demand and an offer that are each other's best match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MutualPair {
    /// The demand.
    pub demand_id: String,
    /// The offer.
    pub supply_id: String,
    /// The offer's score for the demand.
    pub demand_score: f32,
    /// The demand's score for the offer.
    pub supply_score: f32,
}

/// Records of `index` shown and matched today (open, not expired), in index order.
pub fn active_records(index: &SupplyIndex) -> Result<Vec<Supply>> {
    let reader = index.reader()?;
    reader.reload()?;
    let searcher = reader.searcher();
    let today = crate::filters::today_in_vietnam();
    let mut records = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64)?;
        for doc in segment.doc_ids_alive() {
            let document: tantivy::TantivyDocument = store.get(doc)?;
            if let Some(record) =
                techmatch_indexer::document::from_document(index.schema(), &document)
            {
                if record.is_active_on(&today) {
                    records.push(record);
                }
            }
        }
    }
    Ok(records)
}

/// An index in memory holding `records` (the offers or demands of one event), so an event
/// is paired within itself rather than against the whole database.
pub fn index_in_memory(records: &[Supply]) -> Result<SupplyIndex> {
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(techmatch_indexer::DEFAULT_WRITER_MEMORY)?;
    for record in records {
        writer.upsert(record)?;
    }
    writer.commit()?;
    writer.finish()?;
    Ok(index)
}

impl PairReport {
    /// Matches every demand against `offers` (a matcher over the offers' index) and every
    /// supply against `asks` (a matcher over the demands' index), in parallel.
    pub fn compute(
        offers: &DemandMatcher,
        asks: &SupplyMatcher,
        demands: &[Demand],
        supplies: &[Supply],
        options: &MatchOptions,
    ) -> PairReport {
        let mut failures = Vec::new();
        let (demand_results, supply_results) = rayon::join(
            || offers.match_all(demands, options, &|| {}),
            || asks.match_all(supplies, options, &|| {}),
        );
        let mut kept_demands = Vec::with_capacity(demands.len());
        for (demand, result) in demands.iter().zip(demand_results) {
            match result {
                Ok(result) => kept_demands.push(result),
                Err(error) => failures.push((demand.id.clone(), error.to_string())),
            }
        }
        let mut kept_supplies = Vec::with_capacity(supplies.len());
        for (supply, result) in supplies.iter().zip(supply_results) {
            match result {
                Ok(result) => kept_supplies.push(result),
                Err(error) => failures.push((supply.id.clone(), error.to_string())),
            }
        }
        PairReport {
            demands: kept_demands,
            supplies: kept_supplies,
            enterprises: demands
                .iter()
                .filter_map(|d| Some((d.id.clone(), d.enterprise.clone()?)))
                .collect(),
            owners: supplies
                .iter()
                .filter_map(|s| Some((s.id.clone(), s.owner.clone()?)))
                .collect(),
            failures,
        }
    }

    /// Pairs where the offer is the demand's best match and the demand the offer's, both
    /// scoring at least the unmet threshold; best first.
    pub fn mutual_pairs(&self) -> Vec<MutualPair> {
        let best_demand: HashMap<&str, (&str, f32)> = self
            .supplies
            .iter()
            .filter_map(|s| {
                let best = s.matches.first()?;
                Some((
                    s.supply_id.as_str(),
                    (best.demand_id.as_str(), best.relevance),
                ))
            })
            .collect();
        let mut pairs: Vec<MutualPair> = self
            .demands
            .iter()
            .filter_map(|d| {
                let best = d.matches.first()?;
                let (back, supply_score) = *best_demand.get(best.supply_id.as_str())?;
                (back == d.demand_id
                    && best.relevance >= UNMET_THRESHOLD
                    && supply_score >= UNMET_THRESHOLD)
                    .then(|| MutualPair {
                        demand_id: d.demand_id.clone(),
                        supply_id: best.supply_id.clone(),
                        demand_score: best.relevance,
                        supply_score,
                    })
            })
            .collect();
        pairs.sort_by(|a, b| {
            (b.demand_score + b.supply_score)
                .total_cmp(&(a.demand_score + a.supply_score))
                .then_with(|| a.demand_id.cmp(&b.demand_id))
        });
        pairs
    }

    /// The report's sheets: demand → supplies, supply → demands, mutual best pairs, unmet
    /// demands, offers nobody asked for.
    pub fn sheets(&self) -> Vec<Sheet> {
        let to_vec = |rows: Vec<[String; 11]>| rows.into_iter().map(Vec::from).collect();
        let demand_sheet = Sheet {
            name: "demand_to_supplies",
            header: TABLE_HEADER.to_vec(),
            widths: vec![10.0, 48.0, 6.0, 12.0, 56.0, 40.0, 8.0, 7.0, 7.0, 60.0, 30.0],
            rows: to_vec(table_rows(&self.demands)),
        };
        let supply_sheet = Sheet {
            name: "supply_to_demands",
            header: REVERSE_HEADER.to_vec(),
            widths: vec![
                10.0, 48.0, 6.0, 10.0, 56.0, 36.0, 14.0, 7.0, 8.0, 60.0, 60.0, 24.0,
            ],
            rows: reverse_table_rows(&self.supplies)
                .into_iter()
                .map(Vec::from)
                .collect(),
        };
        vec![
            demand_sheet,
            supply_sheet,
            self.mutual_sheet(),
            self.unmet_sheet(),
            self.unasked_sheet(),
        ]
    }

    fn mutual_sheet(&self) -> Sheet {
        let demands: HashMap<&str, &DemandResult> = self
            .demands
            .iter()
            .map(|d| (d.demand_id.as_str(), d))
            .collect();
        let supplies: HashMap<&str, &SupplyResult> = self
            .supplies
            .iter()
            .map(|s| (s.supply_id.as_str(), s))
            .collect();
        let rows = self
            .mutual_pairs()
            .into_iter()
            .map(|pair| {
                let demand = demands[pair.demand_id.as_str()];
                let supply = supplies[pair.supply_id.as_str()];
                let forward = &demand.matches[0];
                vec![
                    pair.demand_id.clone(),
                    demand.demand_title.clone(),
                    self.enterprises
                        .get(&pair.demand_id)
                        .cloned()
                        .unwrap_or_default(),
                    pair.supply_id.clone(),
                    supply.supply_title.clone(),
                    self.owners
                        .get(&pair.supply_id)
                        .cloned()
                        .unwrap_or_default(),
                    format!("{:.1}", pair.demand_score),
                    format!("{:.1}", pair.supply_score),
                    format!(
                        "each is the other's best match; {}",
                        matched_terms(&forward.explanation)
                    ),
                    constraints_in_words(&forward.explanation.constraints),
                ]
            })
            .collect();
        Sheet {
            name: "mutual_best_pairs",
            header: vec![
                "demand_id",
                "demand_title",
                "enterprise",
                "supply_id",
                "supply_title",
                "owner",
                "score_for_demand",
                "score_for_supply",
                "why",
                "demand_constraints",
            ],
            widths: vec![10.0, 48.0, 32.0, 10.0, 48.0, 32.0, 9.0, 9.0, 70.0, 60.0],
            rows,
        }
    }

    fn unmet_sheet(&self) -> Sheet {
        let rows = self
            .demands
            .iter()
            .filter(|d| d.unmet)
            .map(|d| {
                let nearest = d.matches.first().map(|m| Nearest {
                    id: &m.supply_id,
                    title: &m.title,
                    score: m.score,
                    explanation: &m.explanation,
                });
                let who = self.enterprises.get(&d.demand_id);
                miss_row(
                    &d.demand_id,
                    &d.demand_title,
                    who,
                    nearest,
                    "offer",
                    &d.key_terms,
                )
            })
            .collect();
        Sheet {
            name: "unmet_demands",
            header: miss_header(true, "enterprise"),
            widths: MISS_WIDTHS.to_vec(),
            rows,
        }
    }

    fn unasked_sheet(&self) -> Sheet {
        let rows = self
            .supplies
            .iter()
            .filter(|s| s.unasked)
            .map(|s| {
                let nearest = s.matches.first().map(|m| Nearest {
                    id: &m.demand_id,
                    title: &m.title,
                    score: m.score,
                    explanation: &m.explanation,
                });
                let who = self.owners.get(&s.supply_id);
                miss_row(
                    &s.supply_id,
                    &s.supply_title,
                    who,
                    nearest,
                    "demand",
                    &s.key_terms,
                )
            })
            .collect();
        Sheet {
            name: "offers_nobody_asked_for",
            header: miss_header(false, "owner"),
            widths: MISS_WIDTHS.to_vec(),
            rows,
        }
    }
}

/// Column widths of the two sheets of records without a good match.
const MISS_WIDTHS: [f64; 8] = [10.0, 56.0, 32.0, 12.0, 48.0, 9.0, 70.0, 60.0];

/// The header of a sheet of demands (or, when `demands` is false, offers) without a good
/// match; `who` names the column of who asks or offers.
fn miss_header(demands: bool, who: &'static str) -> Vec<&'static str> {
    match demands {
        true => vec![
            "demand_id",
            "demand_title",
            who,
            "nearest_supply_id",
            "nearest_supply_title",
            "best_score",
            "why",
            "key_terms",
        ],
        false => vec![
            "supply_id",
            "supply_title",
            who,
            "nearest_demand_id",
            "nearest_demand_title",
            "best_score",
            "why",
            "key_terms",
        ],
    }
}

/// The best match of a record that has no good one.
struct Nearest<'a> {
    id: &'a str,
    title: &'a str,
    score: f32,
    explanation: &'a crate::demand::Explanation,
}

/// One row of a record no `other` (`offer`, `demand`) scores the threshold for: the nearest
/// miss and what it covers, then the record's key terms.
fn miss_row(
    id: &str,
    title: &str,
    who: Option<&String>,
    nearest: Option<Nearest<'_>>,
    other: &str,
    terms: &[crate::demand::KeyTerm],
) -> Vec<String> {
    let why = match &nearest {
        Some(m) => format!(
            "no {other} scores {UNMET_THRESHOLD} or more; the nearest covers {}",
            non_empty(matched_terms(m.explanation), "none of its terms")
        ),
        None => format!("no {other} scores {UNMET_THRESHOLD} or more; none shares a key term"),
    };
    vec![
        id.to_string(),
        title.to_string(),
        who.cloned().unwrap_or_default(),
        nearest
            .as_ref()
            .map(|m| m.id.to_string())
            .unwrap_or_default(),
        nearest
            .as_ref()
            .map(|m| m.title.to_string())
            .unwrap_or_default(),
        nearest
            .as_ref()
            .map_or("0.0".into(), |m| format!("{:.1}", m.score)),
        why,
        key_terms(terms),
    ]
}

fn non_empty(text: String, otherwise: &str) -> String {
    if text.is_empty() {
        otherwise.to_string()
    } else {
        text
    }
}

/// The first key words of a record, as a broker reads them.
fn key_terms(terms: &[crate::demand::KeyTerm]) -> String {
    terms
        .iter()
        .filter(|t| t.concept.is_none())
        .take(12)
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
