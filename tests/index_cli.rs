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
