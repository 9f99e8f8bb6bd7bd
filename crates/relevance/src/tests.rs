use std::io::Write as _;

use super::*;

/// A collection directory with these files.
fn collection(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let mut file = std::fs::File::create(dir.path().join(name)).unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }
    dir
}

const SUPPLIES: &str = r#"{"id": "S1", "title": "Máy sấy cà phê bằng bơm nhiệt", "sector": "agriculture"}
{"id": "S2", "title": "Hệ thống xử lý nước thải sinh hoạt", "sector": "environment"}
{"id": "S3", "title": "Pin mặt trời áp mái cho nhà xưởng", "sector": "energy"}
"#;

#[test]
fn a_collection_with_queries_only_is_reported_on_its_queries() {
    let dir = collection(&[
        ("supplies.jsonl", SUPPLIES),
        (
            "queries.jsonl",
            "{\"id\": \"Q1\", \"text\": \"may say ca phe\", \"tags\": [\"no_diacritics\"]}\n{\"id\": \"Q2\", \"text\": \"nước thải\", \"tags\": [\"as_typed\"]}\n",
        ),
        ("qrels.txt", "Q1 0 S1 3\nQ2 0 S2 2\nQ2 0 S3 0\n"),
    ]);
    let collection = Collection::load(dir.path()).unwrap();
    assert!(collection.demand_qrels.is_none());
    let report = Report::compute(&collection, &Tuning::default()).unwrap();
    let table = report.table();
    assert!(table.starts_with("| system | queries nDCG@10 |"), "{table}");
    assert!(!table.contains("demands"), "{table}");
    let summary = report.summary();
    let techmatch = summary.systems[0].queries.as_ref().unwrap();
    assert_eq!(techmatch.evaluated, 2);
    assert_eq!(techmatch.ndcg_at_10, 1.0, "{table}");
    assert!(summary.systems[0].demands.is_none());
    assert_eq!(techmatch.ndcg_at_10_by_tag["no_diacritics"].n, 1);
    let tags = report.by_tag_tables();
    assert!(tags.contains("| as_typed | 1 |"), "{tags}");
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["systems"][2]["system"], "tantivy-folded");
}

#[test]
fn a_collection_with_demands_only_is_reported_on_its_demands() {
    let dir = collection(&[
        ("supplies.jsonl", SUPPLIES),
        (
            "demands.jsonl",
            "{\"id\": \"D1\", \"title\": \"Cần thiết bị sấy cà phê nhân\", \"lang\": \"vi\"}\n",
        ),
        ("qrels.txt", "D1 0 S1 3\n"),
    ]);
    let collection = Collection::load(dir.path()).unwrap();
    let report = Report::compute(&collection, &Tuning::default()).unwrap();
    assert!(report.table().starts_with("| system | demands nDCG@10 |"));
    assert_eq!(
        report.summary().systems[0]
            .demands
            .as_ref()
            .unwrap()
            .ndcg_at_10,
        1.0
    );
}

#[test]
fn the_unmet_flag_is_checked_against_the_judgments() {
    // D1 has a grade-3 answer (the coffee dryer); D2, about recycling ship hulls, has none:
    // the record judged for it scores 0.
    let dir = collection(&[
        ("supplies.jsonl", SUPPLIES),
        (
            "demands.jsonl",
            "{\"id\": \"D1\", \"title\": \"Cần máy sấy cà phê bằng bơm nhiệt\", \"lang\": \"vi\"}\n\
             {\"id\": \"D2\", \"title\": \"Tháo dỡ tàu biển cũ\", \"lang\": \"vi\"}\n",
        ),
        ("qrels.txt", "D1 0 S1 3\nD2 0 S2 0\n"),
    ]);
    let collection = Collection::load(dir.path()).unwrap();
    let report = Report::compute(&collection, &Tuning::default()).unwrap();
    let unmet = report.unmet.as_ref().unwrap();
    assert_eq!(unmet.without_answer, ["D2"]);
    assert_eq!(unmet.without_answer_flagged, ["D2"]);
    assert_eq!(unmet.with_answer, 1);
    assert!(unmet.with_answer_flagged.is_empty());
    assert_eq!(unmet.flagged, ["D2"]);
    assert_eq!(unmet.with_answer_lowest[0].0, "D1");
    assert!(unmet.with_answer_lowest[0].1 >= 25.0);
    let line = unmet.line();
    assert!(
        line.contains("1 of the 1 judged demands with no relevant supply (D2)"),
        "{line}"
    );
    assert!(line.contains("0 of the 1 with a grade-3 supply"), "{line}");
    assert!(report.summary().unmet.is_some());
}

#[test]
fn nothing_judged_is_an_error_that_says_so() {
    let dir = collection(&[
        ("supplies.jsonl", SUPPLIES),
        ("queries.jsonl", "{\"id\": \"Q1\", \"text\": \"x\"}\n"),
        ("qrels.txt", "Q9 0 S1 1\n"),
    ]);
    let error = Collection::load(dir.path()).err().unwrap().to_string();
    assert!(error.contains("no judged query or demand"), "{error}");
}

#[test]
fn bad_query_lines_name_file_line_and_field() {
    let dir = collection(&[(
        "queries.jsonl",
        "{\"id\": \"Q1\", \"text\": \"a\"}\n{\"id\": \"Q1\", \"text\": \"b\"}\n",
    )]);
    let error = read_queries(&dir.path().join("queries.jsonl"))
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with("queries.jsonl:2: field id: duplicate query id 'Q1'"),
        "{error}"
    );
}
