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

/// The spreadsheet columns of supply → demand matches, one row per (supply, rank).
pub const REVERSE_HEADER: [&str; 12] = [
    "supply_id",
    "supply_title",
    "rank",
    "demand_id",
    "demand_title",
    "enterprise",
    "province",
    "score",
    "unasked",
    "matched_terms",
    "constraints",
    "also_listed",
];

/// One row of the supply → demand table.
pub type ReverseRow = [String; 12];

/// The rows of one supply's result: one per matched demand, or one row saying none matched.
pub fn reverse_result_rows(result: &crate::reverse::SupplyResult) -> Vec<ReverseRow> {
    let mut rows = Vec::with_capacity(result.matches.len().max(1));
    if result.matches.is_empty() {
        let mut row: ReverseRow = Default::default();
        row[0] = result.supply_id.clone();
        row[1] = result.supply_title.clone();
        row[8] = result.unasked.to_string();
        rows.push(row);
    }
    for m in &result.matches {
        rows.push([
            result.supply_id.clone(),
            result.supply_title.clone(),
            m.rank.to_string(),
            m.demand_id.clone(),
            m.title.clone(),
            m.enterprise.clone().unwrap_or_default(),
            m.province.clone().unwrap_or_default(),
            format!("{:.1}", m.score),
            result.unasked.to_string(),
            matched_terms(&m.explanation),
            constraints_in_words(&m.explanation.constraints),
            also_listed(&m.also_listed),
        ]);
    }
    rows
}

/// The rows of many supply results, in order.
pub fn reverse_table_rows(results: &[crate::reverse::SupplyResult]) -> Vec<ReverseRow> {
    results.iter().flat_map(reverse_result_rows).collect()
}

/// The row of a supply that could not be matched, with the reason.
pub fn reverse_error_row(supply_id: Option<&str>, reason: &str) -> ReverseRow {
    let mut row: ReverseRow = Default::default();
    row[0] = supply_id.unwrap_or_default().to_string();
    row[9] = format!("error: {reason}");
    row
}

/// Matched terms by field: `title: sấy, cà phê; description: bơm nhiệt`.
pub fn matched_terms(explanation: &crate::demand::Explanation) -> String {
    explanation
        .matched_terms
        .iter()
        .map(|(field, terms)| format!("{field}: {}", terms.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Stated constraints as a broker reads them: `TRL >= 7 wanted, 6 offered: not met; …`.
pub fn constraints_in_words(checks: &[crate::demand::ConstraintCheck]) -> String {
    checks
        .iter()
        .map(|c| {
            if c.constraint == "province" {
                return if c.met {
                    format!("same province ({})", c.wanted)
                } else {
                    format!("demand in {}, supply in {}", c.wanted, c.offered)
                };
            }
            let name = match c.constraint {
                "trl_min" => "TRL",
                "transfer" => "transfer",
                "country" => "country",
                "sector" => "sector",
                "province" => "province",
                other => other,
            };
            let offered = if c.offered.is_empty() {
                "none stated"
            } else {
                c.offered.as_str()
            };
            let verdict = if c.met { "met" } else { "not met" };
            format!("{name} {} wanted, {offered} offered: {verdict}", c.wanted)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
