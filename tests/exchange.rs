//! The two-sided exchange from the command line: demands indexed beside the supplies,
//! supplies matched against them, closed demands left out.

use std::path::Path;

use crate::common::{build_bundled_index, bundled_supplies, doc_count, repo, run, texts};

fn bundled_demands() -> std::path::PathBuf {
    repo().join("index-data/demands.jsonl")
}

fn index_demands(index: &Path, file: &Path) -> String {
    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        "--kind",
        "demands",
        file.to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// `match --against demands` of the supplies in `file`, as parsed JSON lines.
fn match_supplies(index: &Path, file: &Path, top: &str) -> Vec<serde_json::Value> {
    let output = run(&[
        "match",
        "--index",
        index.to_str().unwrap(),
        "--against",
        "demands",
        "--top",
        top,
        "--format",
        "jsonl",
        file.to_str().unwrap(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("supplies/s"), "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn one_supply(dir: &Path, id: &str) -> std::path::PathBuf {
    let line = std::fs::read_to_string(bundled_supplies())
        .unwrap()
        .lines()
        .find(|l| l.contains(&format!("\"id\": \"{id}\"")))
        .unwrap()
        .to_string();
    let path = dir.join(format!("{id}.jsonl"));
    std::fs::write(&path, format!("{line}\n")).unwrap();
    path
}

#[test]
fn demands_are_indexed_beside_the_supplies_and_answer_a_supply() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let stderr = index_demands(&index, &bundled_demands());
    assert!(
        stderr.contains("read 160, indexed 160, rejected 0"),
        "{stderr}"
    );
    assert!(stderr.contains("idx.demands"), "{stderr}");
    assert_eq!(doc_count(&dir.path().join("idx.demands")), 160);
    assert_eq!(doc_count(&index), 340, "the supplies are untouched");

    // Searched from the command line, in the demand contract.
    let output = run(&[
        "search",
        "--index",
        index.to_str().unwrap(),
        "--kind",
        "demands",
        "--json",
        "say ca phe",
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let found: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(found["kind"], "demands");
    let d001 = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "D001")
        .unwrap_or_else(|| panic!("{found:#}"));
    assert_eq!(d001["record"]["trl_min"], 7);

    // A snapshot of the demand side is a demand index.
    let copy = dir.path().join("copy.demands");
    let output = run(&[
        "snapshot",
        "--index",
        index.to_str().unwrap(),
        "--kind",
        "demands",
        "--out",
        copy.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(doc_count(&copy), 160);

    // The heat-pump coffee dryer answers the coffee cooperative's demand, explained with
    // the demand's constraints checked against the offer.
    let results = match_supplies(&index, &one_supply(dir.path(), "TS-0001"), "10");
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["supply_id"], "TS-0001");
    assert_eq!(result["unasked"], false);
    let first = &result["matches"][0];
    assert_eq!(first["demand_id"], "D001", "{result:#}");
    assert_eq!(first["enterprise"], "HTX Nông nghiệp Cà phê Ea Tân");
    assert!(first["score"].as_f64().unwrap() >= 50.0, "{first:#}");
    let constraints = first["explanation"]["constraints"].as_array().unwrap();
    let check = |name: &str| {
        constraints
            .iter()
            .find(|c| c["constraint"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {constraints:?}"))
    };
    // D001 wants TRL >= 7 with equipment and training; TS-0001 is TRL 7 and offers both.
    assert_eq!(check("trl_min")["met"], true);
    assert_eq!(check("trl_min")["wanted"], ">= 7");
    assert_eq!(check("transfer")["met"], true);
    assert_eq!(check("province")["met"], true, "both are in Đắk Lắk");
    let terms = first["explanation"]["matched_terms"]["title"]
        .as_array()
        .unwrap();
    assert!(
        terms.iter().any(|t| t.as_str().unwrap().contains("sấy")),
        "{terms:?}"
    );
    crate::common::assert_in_score_order(result);

    // D071 (coffee drying too) is closed in the bundled file: never matched.
    let ids: Vec<&str> = result["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["demand_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"D071"), "{ids:?}");
}

#[test]
fn a_demand_closed_later_stops_appearing_in_matches() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    index_demands(&index, &bundled_demands());
    let supply = one_supply(dir.path(), "TS-0001");
    let before = match_supplies(&index, &supply, "100");
    let listed = |results: &[serde_json::Value]| -> Vec<String> {
        results[0]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["demand_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(listed(&before).contains(&"D001".to_string()));

    let closed = dir.path().join("closed.jsonl");
    std::fs::write(
        &closed,
        "{\"id\": \"D001\", \"title\": \"Cần máy sấy cà phê quả tươi giữ được hương vị cho hợp tác xã\", \"status\": \"closed\"}\n",
    )
    .unwrap();
    index_demands(&index, &closed);
    let after = match_supplies(&index, &supply, "100");
    assert!(!listed(&after).contains(&"D001".to_string()), "{after:?}");
    assert_eq!(
        doc_count(&dir.path().join("idx.demands")),
        160,
        "closed, not deleted"
    );
}

#[test]
fn matching_against_demands_without_any_says_how_to_add_them() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let output = run(&[
        "match",
        "--index",
        index.to_str().unwrap(),
        "--against",
        "demands",
        bundled_supplies().to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("no demands are indexed"), "{stderr}");
    assert!(stderr.contains("--kind demands"), "{stderr}");
}

#[test]
fn a_bad_demand_is_reported_by_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\": \"X1\", \"title\": \"Cần lò sấy\", \"trl_min\": 12}\n{\"id\": \"X2\", \"title\": \"Cần máy ép\", \"status\": \"done\"}\n",
    )
    .unwrap();
    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        "--kind",
        "demands",
        bad.to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&output);
    assert!(!output.status.success());
    let file = bad.display().to_string();
    assert!(
        stderr.contains(&format!("{file}:1: field trl_min")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:2: field status")),
        "{stderr}"
    );
    assert!(stderr.contains("NOT committed"), "{stderr}");
}

/// Reads every sheet of a workbook as rows of text.
fn read_workbook(path: &Path) -> std::collections::BTreeMap<String, Vec<Vec<String>>> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let names = workbook.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|row| row.iter().map(|cell| cell.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[test]
fn the_event_pairing_report_opens_back_sheet_by_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let offers = dir.path().join("offers.jsonl");
    let first_175: String = std::fs::read_to_string(bundled_supplies())
        .unwrap()
        .lines()
        .take(175)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&offers, first_175).unwrap();
    let out = dir.path().join("event.xlsx");
    let output = run(&[
        "pair",
        "--demands",
        bundled_demands().to_str().unwrap(),
        "--supplies",
        offers.to_str().unwrap(),
        "--top",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("6 closed or withdrawn demands left out"),
        "{stderr}"
    );
    assert!(stderr.contains("154 demands × 175 offers"), "{stderr}");

    let book = read_workbook(&out);
    let names: Vec<&str> = book.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "demand_to_supplies",
            "mutual_best_pairs",
            "offers_nobody_asked_for",
            "supply_to_demands",
            "unmet_demands"
        ]
    );
    let column = |sheet: &str, name: &str| -> usize {
        book[sheet][0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{sheet} has no column {name}"))
    };
    // demand → supplies: at most 3 rows per demand, never a closed demand.
    let forward = &book["demand_to_supplies"];
    let (d, r, s) = (
        column("demand_to_supplies", "demand_id"),
        column("demand_to_supplies", "rank"),
        column("demand_to_supplies", "supply_id"),
    );
    assert!(forward.len() > 154 && forward.len() <= 1 + 154 * 3);
    assert!(forward[1..].iter().all(|row| row[d] != "D071"));
    let best_supply: std::collections::HashMap<&str, &str> = forward[1..]
        .iter()
        .filter(|row| row[r] == "1")
        .map(|row| (row[d].as_str(), row[s].as_str()))
        .collect();
    // D001 (a coffee dryer) is answered best by one of its four grade-3 supplies
    // (index-data/qrels.txt).
    let best = best_supply.get("D001").copied();
    assert!(
        matches!(best, Some("TS-0001" | "TS-0138" | "TS-0156" | "TS-0208")),
        "{best:?}"
    );
    // supply → demands: every row explains the demand's constraints in words.
    let reverse = &book["supply_to_demands"];
    let (rs, rr, rd, rc) = (
        column("supply_to_demands", "supply_id"),
        column("supply_to_demands", "rank"),
        column("supply_to_demands", "demand_id"),
        column("supply_to_demands", "constraints"),
    );
    let best_demand: std::collections::HashMap<&str, &str> = reverse[1..]
        .iter()
        .filter(|row| row[rr] == "1")
        .map(|row| (row[rs].as_str(), row[rd].as_str()))
        .collect();
    let d001 = reverse[1..]
        .iter()
        .find(|row| row[rs] == "TS-0001" && row[rd] == "D001")
        .expect("TS-0001 lists D001");
    assert!(
        d001[rc].contains("TRL >= 7 wanted, 7 offered: met"),
        "{d001:?}"
    );
    // Both ranked sheets list each record's matches in descending order of the score shown.
    for (sheet, id_column) in [
        ("demand_to_supplies", "demand_id"),
        ("supply_to_demands", "supply_id"),
    ] {
        let (id, score) = (column(sheet, id_column), column(sheet, "score"));
        let mut last: Option<(&str, f64)> = None;
        for row in &book[sheet][1..] {
            if row[score].is_empty() {
                continue;
            }
            let value: f64 = row[score].parse().unwrap();
            if let Some((previous_id, previous)) = last {
                if previous_id == row[id] {
                    assert!(value <= previous, "{sheet}: {} out of score order", row[id]);
                }
            }
            last = Some((row[id].as_str(), value));
        }
    }
    // Mutual pairs are each other's rank-1 match in both sheets.
    let mutual = &book["mutual_best_pairs"];
    assert!(mutual.len() > 10, "{} mutual pairs", mutual.len() - 1);
    let (md, ms) = (
        column("mutual_best_pairs", "demand_id"),
        column("mutual_best_pairs", "supply_id"),
    );
    for row in &mutual[1..] {
        assert_eq!(best_supply.get(row[md].as_str()), Some(&row[ms].as_str()));
        assert_eq!(best_demand.get(row[ms].as_str()), Some(&row[md].as_str()));
    }
    // Unmet demands are the ones flagged unmet in the first sheet; each says why.
    let unmet_flag = column("demand_to_supplies", "unmet");
    let flagged: std::collections::BTreeSet<&str> = forward[1..]
        .iter()
        .filter(|row| row[unmet_flag] == "true")
        .map(|row| row[d].as_str())
        .collect();
    let unmet = &book["unmet_demands"];
    let listed: std::collections::BTreeSet<&str> = unmet[1..]
        .iter()
        .map(|row| row[column("unmet_demands", "demand_id")].as_str())
        .collect();
    assert_eq!(listed, flagged);
    assert!(unmet[1..]
        .iter()
        .all(|row| row[column("unmet_demands", "why")].starts_with("no offer scores 25")));
    let unasked = &book["offers_nobody_asked_for"];
    assert!(unasked[1..].iter().all(
        |row| row[column("offers_nobody_asked_for", "why")].starts_with("no demand scores 25")
    ));
}
