//! `techmatch index`: summaries, all-or-nothing ingests, rejects, upserts, deletes, crashes.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::{build_bundled_index, bundled_supplies, doc_count, run, techmatch, texts};

#[test]
fn bundled_supplies_are_indexed_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        bundled_supplies().to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("read 340, indexed 340, rejected 0"),
        "{stderr}"
    );
    assert!(stderr.contains("docs/s"), "{stderr}");
    assert_eq!(doc_count(&index), 340);
}

const GOOD_AND_BAD: &str = r#"{"id": "N-1", "title": "Máy sấy bơm nhiệt mới", "sector": "energy"}
{"id": "N-2", "title": "Hệ thống tưới nhỏ giọt", "trl": 15}
{"id": "N-3", "title": "Lò hơi sinh khối"}
{"id": "N-4", "sector": "agriculture"}
{"id": "N-5", "title": "Dây chuyền ép viên", "sector": "outer_space"}
{"id": "N-6", "title": "Bể UASB"}
"#;

#[test]
fn bad_lines_commit_nothing_and_are_each_reported() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let input = dir.path().join("new.jsonl");
    std::fs::write(&input, GOOD_AND_BAD).unwrap();

    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    let (_, stderr) = texts(&output);
    assert!(!output.status.success());
    let file = input.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{file}:2: field trl: must be between 1 and 9, found 15"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:4: field title: is missing")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{file}:5: field sector: unknown sector 'outer_space'"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("NOT committed"), "{stderr}");
    assert_eq!(doc_count(&index), 340, "nothing was committed");
}

#[test]
fn skip_invalid_commits_the_good_and_lists_exactly_the_bad() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let input = dir.path().join("new.jsonl");
    std::fs::write(&input, GOOD_AND_BAD).unwrap();
    let rejects = dir.path().join("rejects.jsonl");

    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        "--skip-invalid",
        "--rejects",
        rejects.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(doc_count(&index), 343);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rejected: Vec<(u64, &str)> = lines
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["id"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, vec![(2, "N-2"), (4, "N-4"), (5, "N-5")]);
}

#[test]
fn reingesting_an_edited_record_replaces_it_and_delete_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(
        &edited,
        r#"{"id": "TS-0101", "title": "Thiết bị khử mặn bằng điện phân độc đáo zyxwv"}"#,
    )
    .unwrap();
    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        edited.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(doc_count(&index), 340);

    let hits = |word: &str| {
        let index = techmatch_indexer::SupplyIndex::open(&index).unwrap();
        let reader = index.reader().unwrap();
        let field = index.schema().text_field(
            techmatch_indexer::TextField::Title,
            techmatch_analysis::TokenStreamKind::Folded,
        );
        let query = tantivy::query::TermQuery::new(
            tantivy::Term::from_field_text(field, word),
            tantivy::schema::IndexRecordOption::Basic,
        );
        reader
            .searcher()
            .search(&query, &tantivy::collector::Count)
            .unwrap()
    };
    assert_eq!(hits("zyxwv"), 1, "the new text is found");
    assert_eq!(hits("uasb"), 0, "the old title (UASB ...) is gone");

    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        "--delete",
        "TS-0101",
    ]);
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(doc_count(&index), 339);
    assert_eq!(hits("zyxwv"), 0);
}

#[test]
fn sigkill_during_a_large_ingest_leaves_the_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);

    let big = dir.path().join("big.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    for i in 0..400_000 {
        writeln!(
            out,
            r#"{{"id":"BIG-{i}","title":"Hệ thống xử lý nước thải số {i}","description":"Công nghệ xử lý nước thải sinh hoạt công suất {i} m3/ngày đạt QCVN 14:2008/BTNMT, chi phí thấp, vận hành đơn giản."}}"#
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);

    let mut child = techmatch()
        .args([
            "index",
            "--index",
            index.to_str().unwrap(),
            big.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(2500));
    let finished_early = child.try_wait().unwrap().is_some();
    assert!(
        !finished_early,
        "the ingest finished before it could be killed; make the input larger"
    );
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(started.elapsed() < Duration::from_secs(60));

    assert_eq!(
        doc_count(&index),
        340,
        "the index holds exactly the last commit"
    );
    let output = run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        bundled_supplies().to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "the index is writable again after the crash: {:?}",
        texts(&output)
    );
}

#[test]
fn rebuild_replaces_an_index_built_by_another_analyzer_version() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    build_bundled_index(&index);
    {
        let tantivy_index = tantivy::Index::open_in_dir(&index).unwrap();
        let mut writer: tantivy::IndexWriter<tantivy::TantivyDocument> =
            tantivy_index.writer(30 << 20).unwrap();
        let mut prepared = writer.prepare_commit().unwrap();
        prepared
            .set_payload(r#"{"analyzer_version":0,"techmatch_version":"0.0.0","committed_at":0}"#);
        prepared.commit().unwrap();
    }
    let output = run(&["search", "--index", index.to_str().unwrap(), "nuoc thai"]);
    let (_, stderr) = texts(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("techmatch index --rebuild"), "{stderr}");

    let small = dir.path().join("small.jsonl");
    std::fs::write(&small, "{\"id\": \"R-1\", \"title\": \"Máy sấy cà phê\"}\n").unwrap();
    let output = run(&[
        "index",
        "--rebuild",
        "--index",
        index.to_str().unwrap(),
        small.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(doc_count(&index), 1);
}

#[test]
fn a_semicolon_csv_exported_by_excel_ingests_and_its_errors_name_the_editor_lines() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let csv = dir.path().join("diem-ket-noi.csv");
    // Excel on a Vietnamese-locale Windows: BOM, ';' between cells, CRLF, a quoted cell
    // holding a ';'-separated list and a line break, a ',' inside a cell.
    let bad = "\u{feff}id;title;summary;keywords;trl;source;source_id;status;expires\r\n\
               HP-1;Máy sấy lúa tầng sôi;Sấy nhanh, đều hạt;\"sấy;lúa\";7;diem-ket-noi-hai-phong;HP-2025-01;open;2030-12-31\r\n\
               HP-2;\"Lò hơi\r\nđốt trấu\";x;;12;diem-ket-noi-hai-phong;HP-2025-02;;\r\n\
               HP-3;Bể biogas composite;y;;5;diem-ket-noi-hai-phong;HP-2025-03;paused;\r\n";
    std::fs::write(&csv, bad).unwrap();
    let args = [
        "index",
        "--index",
        index.to_str().unwrap(),
        csv.to_str().unwrap(),
    ];
    let output = run(&args);
    let (_, stderr) = texts(&output);
    assert!(!output.status.success(), "{stderr}");
    let name = csv.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{name}:3: field trl: must be between 1 and 9, found 12"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:5: field status: unknown status 'paused'")),
        "{stderr}"
    );
    assert!(!stderr.contains("unknown field"), "{stderr}");

    std::fs::write(
        &csv,
        bad.replace(";12;", ";6;").replace("paused", "withdrawn"),
    )
    .unwrap();
    let output = run(&args);
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("indexed 3"), "{stderr}");
    let shown = run(&[
        "search",
        "--index",
        index.to_str().unwrap(),
        "--json",
        "say lua",
    ]);
    let (stdout, _) = texts(&shown);
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        body["hits"][0]["record"]["keywords"],
        serde_json::json!(["sấy", "lúa"])
    );
    assert_eq!(body["hits"][0]["record"]["source_id"], "HP-2025-01");
    let withdrawn = run(&[
        "search",
        "--index",
        index.to_str().unwrap(),
        "--json",
        "biogas composite",
    ]);
    let (stdout, _) = texts(&withdrawn);
    assert!(
        !stdout.contains("HP-3"),
        "a withdrawn record is hidden: {stdout}"
    );
}

#[test]
fn duplicates_are_reported_and_a_pair_marked_distinct_stays_apart() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    let records = dir.path().join("dups.jsonl");
    let line = |id: &str, title: &str, source: &str| {
        serde_json::json!({
            "id": id, "title": title, "source": source,
            "summary": "Hệ thống lọc nước giếng khoan nhiễm asen cho hộ gia đình vùng đồng bằng.",
            "description": "Cột lọc oxy hóa sắt và mangan, vật liệu hấp phụ oxit sắt giữ asen; công suất 1 m3/ngày, không dùng điện; đã lắp cho 300 hộ ở Hà Nam.",
        })
        .to_string()
    };
    let body = [
        line("AS-1", "Bộ lọc asen cho nước giếng khoan", "techmart-hanoi"),
        line(
            "AS-2",
            "Bo loc asen cho nuoc gieng khoan",
            "nafosted-portal",
        ),
    ]
    .join("\n");
    std::fs::write(&records, body).unwrap();
    let index_arg = index.to_str().unwrap();
    let output = run(&["index", "--index", index_arg, records.to_str().unwrap()]);
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 of them duplicate another record"),
        "{stderr}"
    );

    let report = run(&["duplicates", "--index", index_arg]);
    let (stdout, stderr) = texts(&report);
    assert!(report.status.success(), "{stderr}");
    let cluster: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(cluster["kind"], "duplicate");
    assert_eq!(cluster["members"], serde_json::json!(["AS-1", "AS-2"]));
    assert!(cluster["evidence"][0]["containment"].as_f64().unwrap() > 0.9);
    assert_eq!(cluster["records"][1]["source"], "nafosted-portal");
    let csv = run(&["duplicates", "--index", index_arg, "--format", "csv"]);
    let (stdout, _) = texts(&csv);
    assert!(stdout.starts_with("cluster,kind,id,title"), "{stdout}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let xlsx = dir.path().join("duplicates.xlsx");
    let written = run(&[
        "duplicates",
        "--index",
        index_arg,
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert!(written.status.success(), "{}", texts(&written).1);
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheet = workbook.worksheet_range("duplicates").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][..3], ["cluster", "kind", "id"]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2][5], "nafosted-portal", "{rows:?}");
    assert!(
        rows[1][8].contains("% of the shorter text shared"),
        "{rows:?}"
    );

    let split = run(&[
        "duplicates",
        "--index",
        index_arg,
        "--distinct",
        "AS-2",
        "AS-1",
    ]);
    let (stdout, stderr) = texts(&split);
    assert!(split.status.success(), "{stderr}");
    assert!(stdout.trim().is_empty(), "no cluster left: {stdout}");
    // Re-ingesting either record does not link them again.
    let output = run(&["index", "--index", index_arg, records.to_str().unwrap()]);
    assert!(output.status.success());
    let (stdout, _) = texts(&run(&["duplicates", "--index", index_arg]));
    assert!(stdout.trim().is_empty(), "{stdout}");
    let hits = run(&["search", "--index", index_arg, "--json", "loc asen"]);
    let (stdout, _) = texts(&hits);
    let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["hits"].as_array().unwrap().len(), 2, "{body}");
    assert!(
        std::fs::read_to_string(index.join("duplicate-decisions.jsonl"))
            .unwrap()
            .contains("\"distinct\"")
    );
}
