//! Run files and broker outputs of `techmatch search --queries` and `techmatch match`.

use std::collections::BTreeMap;

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::common::{assert_in_score_order, build_bundled_index, repo, run, texts};

/// Checks the run-file contract and returns the lines per query.
fn check_run(
    run_text: &str,
    input_ids: &[String],
    top: usize,
) -> BTreeMap<String, Vec<(usize, f64)>> {
    let mut per_query: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
    for line in run_text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols.len(), 6, "{line}");
        assert_eq!(cols[1], "Q0");
        assert!(
            input_ids.contains(&cols[0].to_string()),
            "unknown query {line}"
        );
        per_query
            .entry(cols[0].into())
            .or_default()
            .push((cols[3].parse().unwrap(), cols[4].parse().unwrap()));
    }
    for (query, lines) in &per_query {
        assert!(lines.len() <= top, "{query}: more than {top} lines");
        for (i, (rank, _)) in lines.iter().enumerate() {
            assert_eq!(*rank, i + 1, "{query}: ranks from 1, consecutive");
        }
        assert!(
            lines.windows(2).all(|w| w[0].1 >= w[1].1),
            "{query}: scores non-increasing"
        );
    }
    per_query
}

fn ids_of(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn search_queries_file_writes_a_valid_run_and_warns_about_empty_queries() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let queries = dir.path().join("queries.jsonl");
    let mut text = std::fs::read_to_string(repo().join("index-data/queries.jsonl")).unwrap();
    text.push_str("{\"id\": \"QX1\", \"text\": \"zzqxv wwkkj\"}\n");
    std::fs::write(&queries, text).unwrap();
    let output = run(&[
        "search",
        "--index",
        index.to_str().unwrap(),
        "--queries",
        queries.to_str().unwrap(),
        "--top",
        "100",
        "--format",
        "trec",
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    let ids = ids_of(&queries);
    let per_query = check_run(&stdout, &ids, 100);
    assert!(per_query.len() >= ids.len() - 2);
    assert!(!per_query.contains_key("QX1"));
    assert!(stderr.contains("warning: query QX1"), "{stderr}");
}

#[test]
fn match_outputs_a_valid_run_explained_jsonl_and_identical_csv_and_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let demands = repo().join("index-data/demands.jsonl");
    let idx = index.to_str().unwrap();
    let count = ids_of(&demands).len();

    let output = run(&[
        "match",
        "--index",
        idx,
        "--top",
        "100",
        "--format",
        "trec",
        demands.to_str().unwrap(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    check_run(&stdout, &ids_of(&demands), 100);
    assert!(
        stderr.contains(&format!("demands {count}, matched")),
        "{stderr}"
    );

    let output = run(&[
        "match",
        "--index",
        idx,
        "--top",
        "5",
        "--format",
        "jsonl",
        // Two workers finish out of order; the output is streamed in input order.
        "--threads",
        "2",
        demands.to_str().unwrap(),
    ]);
    let (stdout, _) = texts(&output);
    let mut lines = 0;
    let mut order = Vec::new();
    for line in stdout.lines() {
        let result: serde_json::Value = serde_json::from_str(line).unwrap();
        order.push(result["demand_id"].as_str().unwrap().to_string());
        assert!(result["unmet"].is_boolean());
        assert_in_score_order(&result);
        for m in result["matches"].as_array().unwrap() {
            let e = &m["explanation"];
            assert!(
                e["matched_terms"]
                    .as_object()
                    .is_some_and(|t| !t.is_empty())
                    || e["glossary"].as_array().is_some_and(|g| !g.is_empty()),
                "{m}"
            );
        }
        lines += 1;
    }
    assert_eq!(lines, count);
    assert_eq!(order, ids_of(&demands), "results in input order");

    let csv_path = dir.path().join("m.csv");
    let xlsx_path = dir.path().join("m.xlsx");
    for (format, path) in [("csv", &csv_path), ("xlsx", &xlsx_path)] {
        let output = run(&[
            "match",
            "--index",
            idx,
            "--top",
            "3",
            "--format",
            format,
            "--out",
            path.to_str().unwrap(),
            demands.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{:?}", texts(&output));
    }
    let mut csv_rows: Vec<Vec<String>> = Vec::new();
    for record in csv::Reader::from_path(&csv_path).unwrap().records() {
        csv_rows.push(record.unwrap().iter().map(str::to_string).collect());
    }
    let mut workbook: Xlsx<_> = open_workbook(&xlsx_path).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let xlsx_rows: Vec<Vec<String>> = range
        .rows()
        .skip(1)
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(xlsx_rows.len(), csv_rows.len());
    assert_eq!(xlsx_rows, csv_rows);
    // Each demand's rows come in rank order, and so in descending order of their score.
    let header: Vec<String> = csv::Reader::from_path(&csv_path)
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (demand, rank, score) = (column("demand_id"), column("rank"), column("score"));
    for pair in csv_rows.windows(2) {
        if pair[0][demand] == pair[1][demand] {
            let rank_of = |row: &Vec<String>| row[rank].parse::<usize>().unwrap();
            let score_of = |row: &Vec<String>| row[score].parse::<f64>().unwrap();
            assert_eq!(rank_of(&pair[1]), rank_of(&pair[0]) + 1, "{pair:?}");
            assert!(score_of(&pair[0]) >= score_of(&pair[1]), "{pair:?}");
        }
    }
    assert!(csv_rows.len() >= count * 3 - 10);
}

#[test]
fn a_bad_demand_is_reported_and_counted_without_stopping_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let demands = dir.path().join("d.jsonl");
    std::fs::write(&demands, "{\"id\": \"D1\", \"title\": \"Máy sấy cà phê\"}\n{\"id\": \"D2\"}\n{\"id\": \"D3\", \"title\": \"Xử lý nước thải\"}\n").unwrap();
    let output = run(&[
        "match",
        "--index",
        index.to_str().unwrap(),
        "--format",
        "trec",
        demands.to_str().unwrap(),
    ]);
    let (stdout, stderr) = texts(&output);
    assert!(!output.status.success());
    assert!(stderr.contains(":2: field title: is missing"), "{stderr}");
    assert!(stderr.contains("failed 1"), "{stderr}");
    assert!(
        stdout.lines().any(|l| l.starts_with("D1 "))
            && stdout.lines().any(|l| l.starts_with("D3 "))
    );
}
