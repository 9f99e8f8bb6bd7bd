//! The spreadsheet layout of demand matches (one row per demand and rank), shared by
//! `techmatch match --format csv|xlsx` and the HTTP bulk endpoint's CSV output.

use crate::demand::DemandResult;

/// The spreadsheet columns, one row per (demand, rank).
pub const TABLE_HEADER: [&str; 11] = [
    "demand_id",
    "demand_title",
    "rank",
    "supply_id",
    "supply_title",
    "owner",
    "country",
    "score",
    "unmet",
    "matched_terms",
    "also_listed",
];

/// One row of the table.
pub type TableRow = [String; 11];

/// The rows of one demand's result: one per match, or one empty row when nothing matched.
pub fn result_rows(result: &DemandResult) -> Vec<TableRow> {
    let mut rows = Vec::with_capacity(result.matches.len().max(1));
    if result.matches.is_empty() {
        rows.push([
            result.demand_id.clone(),
            result.demand_title.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            result.unmet.to_string(),
            String::new(),
            String::new(),
        ]);
    }
    for m in &result.matches {
        let terms: Vec<String> = m
            .explanation
            .matched_terms
            .iter()
            .map(|(field, terms)| format!("{field}: {}", terms.join(", ")))
            .collect();
        rows.push([
            result.demand_id.clone(),
            result.demand_title.clone(),
            m.rank.to_string(),
            m.supply_id.clone(),
            m.title.clone(),
            m.owner.clone().unwrap_or_default(),
            m.country.clone().unwrap_or_default(),
            format!("{:.1}", m.score),
            result.unmet.to_string(),
            terms.join("; "),
            also_listed(&m.also_listed),
        ]);
    }
    rows
}

/// The other records of a match's cluster, as a broker reads them: `id (source)`.
fn also_listed(others: &[crate::collapse::AlsoListed]) -> String {
    others
        .iter()
        .map(|o| match &o.source {
            Some(source) => format!("{} ({source})", o.id),
            None => o.id.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rows of many results, in order.
pub fn table_rows(results: &[DemandResult]) -> Vec<TableRow> {
    results.iter().flat_map(result_rows).collect()
}

/// The row of a demand that could not be matched: its id (when known) and the reason in
/// the last column, so a spreadsheet keeps one visible line per input demand.
pub fn error_row(demand_id: Option<&str>, reason: &str) -> TableRow {
    let mut row: TableRow = Default::default();
    row[0] = demand_id.unwrap_or_default().to_string();
    row[9] = format!("error: {reason}");
    row
}
