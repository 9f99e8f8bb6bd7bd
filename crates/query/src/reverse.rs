//! Supply-to-demand matching: which open demands does a technology answer?
//!
//! The demands are kept as records of the index schema ([`Demand::to_record`]), so the
//! machinery of demand matching applies unchanged with the roles swapped: the supply's text
//! (title and keywords, then summary and description) becomes the query record, its key terms retrieve
//! demands, and every candidate is reranked on the same features and scored 0–100 as in
//! [`crate::demand`]. Only the constraints look the other way: the *demand's* stated
//! minimum TRL, transfer modes wanted and preferred country are checked against what the
//! *supply* offers (a violated one costs the same ×0.85), sector agreement weighs ×1.05,
//! and whether both sides are in the same province is reported without weighing.
//!
//! Closed and withdrawn demands are hidden like inactive supplies: a demand marked
//! `"status": "closed"` stops appearing in matches at the next commit.

use rayon::prelude::*;
use serde::Serialize;
use techmatch_indexer::document::province_facet;
use techmatch_indexer::{Demand, Supply};

use crate::collapse::AlsoListed;
use crate::demand::{
    check_constraints, ConstraintCheck, DemandMatcher, Explanation, KeyTerm, MatchOptions,
    SupplyFacts, UNMET_THRESHOLD,
};
use crate::error::Result;
use crate::search::Searcher;

/// One demand matched to a supply.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DemandMatch {
    /// Rank from 1.
    pub rank: usize,
    /// Demand id.
    pub demand_id: String,
    /// Match score, 0–100, rounded to 0.1, as in demand → supply matching: how much of the
    /// supply's key terms the demand covers, with sector and the demand's constraints,
    /// damped by BM25 similarity relative to the best candidate. Ranked by it.
    pub score: f32,
    /// The same score unrounded.
    pub relevance: f32,
    /// The demand's title.
    pub title: String,
    /// Who asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<String>,
    /// Where the enterprise is (canonical province).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// The event where the demand was collected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_event: Option<String>,
    /// Why it matched: the supply's key terms found in the demand (by field of the
    /// demand: `title`, `keywords`, `description`, `enterprise`), concepts, and the
    /// demand's constraints met or violated by the supply.
    pub explanation: Explanation,
    /// Near-duplicate demands (the same need sent twice) folded into this match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_listed: Vec<AlsoListed>,
}

/// The result of one supply matched against the demands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SupplyResult {
    /// Supply id.
    pub supply_id: String,
    /// Supply title.
    pub supply_title: String,
    /// Best matching open demands first.
    pub matches: Vec<DemandMatch>,
    /// True when no open demand scores at least [`UNMET_THRESHOLD`]: nobody asked for it.
    pub unasked: bool,
    /// The key terms the supply was reduced to.
    pub key_terms: Vec<KeyTerm>,
}

/// Matches supplies against a demand index.
#[derive(Clone)]
pub struct SupplyMatcher {
    matcher: DemandMatcher,
}

impl SupplyMatcher {
    /// A matcher over the searcher of a demand index (its glossary and tuning apply).
    pub fn new(demands: Searcher) -> SupplyMatcher {
        SupplyMatcher {
            matcher: DemandMatcher::new(demands)
                .for_queries("supply", crate::demand::RetrievalCaps::All),
        }
    }

    /// The demand index's searcher.
    pub fn searcher(&self) -> &Searcher {
        self.matcher.searcher()
    }

    /// The open demands a supply answers best, explained.
    pub fn match_supply(&self, supply: &Supply, options: &MatchOptions) -> Result<SupplyResult> {
        let query = as_query(supply);
        let provinces = self.matcher.searcher().index().provinces();
        let offered = SupplyFacts {
            lang: supply.lang,
            sector: supply.sector.clone(),
            country: supply.country.clone(),
            transfer: supply.transfer.clone(),
            trl: supply.trl,
            province: supply
                .province
                .as_deref()
                .map(|p| province_facet(provinces, p)),
        };
        let list = self.matcher.rank(&query, options, &|demand| {
            reverse_constraints(demand, &offered)
        })?;
        Ok(SupplyResult {
            supply_id: supply.id.clone(),
            supply_title: supply.title.clone(),
            unasked: list.best < UNMET_THRESHOLD,
            matches: list
                .ranked
                .into_iter()
                .enumerate()
                .map(|(i, ranked)| {
                    let mut explanation = ranked.explanation;
                    // A demand's `owner` field holds the enterprise that asks.
                    if let Some(terms) = explanation.matched_terms.remove("owner") {
                        explanation.matched_terms.insert("enterprise", terms);
                    }
                    for term in &mut explanation.top_terms {
                        if term.field == "owner" {
                            term.field = "enterprise";
                        }
                    }
                    let demand = Demand::from_record(ranked.record);
                    DemandMatch {
                        rank: i + 1,
                        demand_id: demand.id,
                        score: (ranked.score * 10.0).round() / 10.0,
                        relevance: ranked.score,
                        title: demand.title,
                        enterprise: demand.enterprise,
                        province: demand.province,
                        source_event: demand.source_event,
                        explanation,
                        also_listed: ranked.also_listed,
                    }
                })
                .collect(),
            key_terms: list.key_terms,
        })
    }

    /// Matches many supplies in parallel (rayon); results keep the input order and one
    /// failing supply does not stop the others. `on_done` is called after each supply.
    pub fn match_all(
        &self,
        supplies: &[Supply],
        options: &MatchOptions,
        on_done: &(dyn Fn() + Sync),
    ) -> Vec<Result<SupplyResult>> {
        supplies
            .par_iter()
            .map(|supply| {
                let result = self.match_supply(supply, options);
                on_done();
                result
            })
            .collect()
    }
}

/// A search of the demand index as the API shows it: each hit's record in the demand
/// contract (`enterprise`, `trl_min`, `source_event`, …), its matched `owner` words under
/// `enterprise`, each hit marked `"kind": "demand"`, and `"kind": "demands"` on the answer.
pub fn demand_search_view(
    response: &crate::search::SearchResponse,
) -> serde_json::Result<serde_json::Value> {
    let mut value = serde_json::to_value(response)?;
    if let Some(hits) = value["hits"].as_array_mut() {
        for hit in hits {
            let record: Supply = serde_json::from_value(hit["record"].take())?;
            hit["record"] = serde_json::to_value(Demand::from_record(record))?;
            if let Some(matched) = hit["matched"].as_object_mut() {
                if let Some(terms) = matched.remove("owner") {
                    matched.insert("enterprise".into(), terms);
                }
            }
            hit["kind"] = "demand".into();
        }
    }
    value["kind"] = "demands".into();
    Ok(value)
}

/// A supply as the query record of matching: its title with the owner's keywords (weighted
/// as title words: on the judged supply → demand set this lifted nDCG@10 from 0.904 to
/// 0.911), and as the body its summary and description.
fn as_query(supply: &Supply) -> Demand {
    let mut body = String::new();
    for part in [&supply.summary, &supply.description].into_iter().flatten() {
        body.push_str(part);
        body.push('\n');
    }
    let mut title = supply.title.clone();
    for keyword in &supply.keywords {
        title.push_str(". ");
        title.push_str(keyword);
    }
    Demand {
        id: supply.id.clone(),
        title,
        description: (!body.trim().is_empty()).then_some(body),
        sector: supply.sector.clone(),
        province: supply.province.clone(),
        lang: supply.lang,
        ..Demand::default()
    }
}

/// The demand's constraints (read from its record's fast fields) checked against what the
/// supply offers, then where each side is.
fn reverse_constraints(demand: &SupplyFacts, offered: &SupplyFacts) -> Vec<ConstraintCheck> {
    let stated = Demand {
        sector: demand.sector.clone(),
        trl_min: demand.trl,
        transfer: demand.transfer.clone(),
        country: demand.country.clone(),
        ..Demand::default()
    };
    let mut checks = check_constraints(&stated, offered);
    if let (Some(wanted), Some(found)) = (&demand.province, &offered.province) {
        checks.push(ConstraintCheck {
            constraint: "province",
            met: wanted == found,
            wanted: wanted.clone(),
            offered: found.clone(),
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(trl: Option<u8>, transfer: &[&str], province: Option<&str>) -> SupplyFacts {
        SupplyFacts {
            sector: Some("agriculture".into()),
            trl,
            transfer: transfer.iter().map(|s| s.to_string()).collect(),
            province: province.map(str::to_string),
            ..SupplyFacts::default()
        }
    }

    #[test]
    fn the_demands_constraints_are_checked_against_the_offer() {
        let demand = facts(Some(7), &["equipment", "training"], Some("Đắk Lắk"));
        let offer = facts(Some(6), &["license"], Some("Hà Nội"));
        let checks = reverse_constraints(&demand, &offer);
        let by_name = |name: &str| checks.iter().find(|c| c.constraint == name).unwrap();
        assert!(by_name("sector").met);
        let trl = by_name("trl_min");
        assert!(!trl.met);
        assert_eq!((trl.wanted.as_str(), trl.offered.as_str()), (">= 7", "6"));
        let transfer = by_name("transfer");
        assert!(!transfer.met);
        assert_eq!(transfer.wanted, "equipment, training");
        assert_eq!(transfer.offered, "license");
        let province = by_name("province");
        assert!(!province.met);
        assert_eq!(province.wanted, "Đắk Lắk");

        let offer = facts(Some(8), &["equipment"], Some("Đắk Lắk"));
        assert!(reverse_constraints(&demand, &offer).iter().all(|c| c.met));
    }

    #[test]
    fn a_supply_query_keeps_its_summary_description_and_keywords() {
        let supply = Supply {
            id: "S1".into(),
            title: "Máy sấy".into(),
            summary: Some("Sấy cà phê.".into()),
            description: Some("Bơm nhiệt 15 kW.".into()),
            keywords: vec!["sấy lạnh".into(), "cà phê".into()],
            ..Supply::default()
        };
        let query = as_query(&supply);
        // The owner's keywords weigh as title words do.
        assert_eq!(query.title, "Máy sấy. sấy lạnh. cà phê");
        let body = query.description.unwrap();
        for part in ["Sấy cà phê.", "Bơm nhiệt 15 kW."] {
            assert!(body.contains(part), "{body}");
        }
    }
}
