//! The index lifecycle: upserts, deletes, atomic commits, reader reloads, analyzer versions,
//! and the same records read from JSONL, CSV and XLSX.

use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, TantivyDocument, Term};
use techmatch_analysis::TokenStreamKind;
use techmatch_indexer::read::{read_raw, ReadOptions};
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{document, IndexerError, Supply, SupplyIndex, TextField};

fn supply(id: &str, title: &str) -> Supply {
    Supply {
        id: id.into(),
        title: title.into(),
        summary: None,
        description: None,
        keywords: vec![],
        sector: Some("environment".into()),
        owner: None,
        country: Some("VN".into()),
        province: Some("TP.HCM".into()),
        lang: None,
        trl: Some(7),
        transfer: vec!["license".into()],
        updated: Some("2025-03-01".into()),
        ..Default::default()
    }
}

fn count_folded_title(index: &SupplyIndex, word: &str) -> usize {
    let reader = index.reader().unwrap();
    reader.reload().unwrap();
    let field = index
        .schema()
        .text_field(TextField::Title, TokenStreamKind::Folded);
    let query = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::Basic);
    reader.searcher().search(&query, &Count).unwrap()
}

fn num_docs(index: &SupplyIndex) -> u64 {
    let reader = index.reader().unwrap();
    reader.reload().unwrap();
    reader.searcher().num_docs()
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let dir = tempfile::tempdir().unwrap();
    let index = SupplyIndex::open_or_create(dir.path()).unwrap();
    let mut writer = index.writer(30 << 20).unwrap();
    writer.upsert(&supply("A", "Máy sấy cà phê")).unwrap();
    writer.upsert(&supply("B", "Lò hơi sinh khối")).unwrap();
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 2);

    writer
        .upsert(&supply("A", "Hệ thống xử lý nước thải"))
        .unwrap();
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 2, "an upsert keeps the count");
    assert_eq!(count_folded_title(&index, "nuoc"), 1, "new text is found");
    assert_eq!(count_folded_title(&index, "phe"), 0, "old text is gone");

    writer.delete("A");
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 1);
    assert_eq!(count_folded_title(&index, "nuoc"), 0);
}

/// A first build adds records without deletes; the same id twice in it, a delete and a
/// re-add, a rebuild and its rollback must still leave exactly one record per id.
#[test]
fn a_first_build_and_a_rebuild_keep_one_record_per_id() {
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(30 << 20).unwrap();
    writer.upsert(&supply("A", "Máy sấy cà phê")).unwrap();
    writer.upsert(&supply("B", "Lò hơi sinh khối")).unwrap();
    writer
        .upsert(&supply("A", "Hệ thống xử lý nước thải"))
        .unwrap();
    writer.upsert(&supply("C", "Máy ép viên")).unwrap();
    writer.delete("C");
    writer
        .upsert(&supply("C", "Máy ép viên nén mùn cưa"))
        .unwrap();
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 3, "A twice, C deleted and added again");
    assert_eq!(
        count_folded_title(&index, "phe"),
        0,
        "A's first version is gone"
    );
    assert_eq!(count_folded_title(&index, "nuoc"), 1);
    assert_eq!(count_folded_title(&index, "cua"), 1);

    // After the first commit, writes replace again.
    writer.upsert(&supply("B", "Lò hơi đốt trấu")).unwrap();
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 3);
    assert_eq!(count_folded_title(&index, "khoi"), 0);

    // A rebuild rolled back leaves the old records, and a later upsert still replaces.
    writer.delete_all().unwrap();
    writer.upsert(&supply("B", "Máy sấy nông sản")).unwrap();
    writer.rollback().unwrap();
    assert_eq!(num_docs(&index), 3);
    writer.upsert(&supply("A", "Máy sấy nông sản")).unwrap();
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 3);
    assert_eq!(count_folded_title(&index, "nuoc"), 0);

    // A rebuild: the same id twice after `delete_all` is one record.
    writer.delete_all().unwrap();
    writer.upsert(&supply("X", "Máy sấy")).unwrap();
    writer.upsert(&supply("X", "Lò sấy")).unwrap();
    writer.commit().unwrap();
    assert_eq!(num_docs(&index), 1);
}

#[test]
fn rollback_leaves_the_last_commit() {
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(30 << 20).unwrap();
    writer.upsert(&supply("A", "Máy sấy")).unwrap();
    writer.commit().unwrap();
    writer.upsert(&supply("B", "Lò hơi")).unwrap();
    writer.delete("A");
    writer.rollback().unwrap();
    assert_eq!(num_docs(&index), 1);
    assert_eq!(count_folded_title(&index, "say"), 1);
}

#[test]
fn a_reader_opened_before_a_commit_sees_it_after_reload() {
    let index = SupplyIndex::create_in_ram();
    let reader = index.reader().unwrap();
    assert_eq!(reader.searcher().num_docs(), 0);
    let mut writer = index.writer(30 << 20).unwrap();
    writer.upsert(&supply("A", "Máy sấy")).unwrap();
    writer.commit().unwrap();
    reader.reload().unwrap();
    assert_eq!(reader.searcher().num_docs(), 1);
}

#[test]
fn a_second_writer_is_told_the_index_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let index = SupplyIndex::open_or_create(dir.path()).unwrap();
    let _first = index.writer(30 << 20).unwrap();
    let second = SupplyIndex::open_or_create(dir.path())
        .unwrap()
        .writer(30 << 20);
    let message = second.err().expect("second writer must fail").to_string();
    assert!(message.contains("locked"), "{message}");
}

#[test]
fn another_analyzer_version_asks_for_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SupplyIndex::open_or_create(dir.path()).unwrap();
        let mut writer = index.writer(30 << 20).unwrap();
        writer.upsert(&supply("A", "Máy sấy")).unwrap();
        writer.commit().unwrap();
    }
    {
        let index = Index::open_in_dir(dir.path()).unwrap();
        let mut writer: tantivy::IndexWriter<TantivyDocument> = index.writer(30 << 20).unwrap();
        let mut prepared = writer.prepare_commit().unwrap();
        prepared
            .set_payload(r#"{"analyzer_version":0,"techmatch_version":"0.0.0","committed_at":0}"#);
        prepared.commit().unwrap();
    }
    match SupplyIndex::open(dir.path()) {
        Err(error @ IndexerError::AnalyzerMismatch { .. }) => {
            let message = error.to_string();
            assert!(message.contains("techmatch index --rebuild"), "{message}");
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("an index of another analyzer version must not open"),
    }
}

#[test]
fn an_index_written_with_other_fields_asks_for_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    {
        // An index of an older techmatch: the text fields without their concept fields.
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_text_field("id", tantivy::schema::STRING | tantivy::schema::STORED);
        builder.add_text_field("title_folded", tantivy::schema::TEXT);
        let index = Index::create_in_dir(dir.path(), builder.build()).unwrap();
        let mut writer: tantivy::IndexWriter<TantivyDocument> = index.writer(30 << 20).unwrap();
        writer.commit().unwrap();
    }
    match SupplyIndex::open(dir.path()) {
        Err(error @ IndexerError::SchemaMismatch { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("another version of techmatch")
                    && message.contains("techmatch index --rebuild --index"),
                "{message}"
            );
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("an index with other fields must not open"),
    }
}

#[test]
fn stored_record_is_nfc_and_facets_are_canonical() {
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(30 << 20).unwrap();
    let mut record = supply("A", "Máy sấy");
    record.province = Some("Tỉnh Bình Dương".into());
    writer.upsert(&record).unwrap();
    writer.commit().unwrap();
    let reader = index.reader().unwrap();
    reader.reload().unwrap();
    let searcher = reader.searcher();
    let schema = index.schema();
    let query = TermQuery::new(
        Term::from_field_text(schema.province, "Hồ Chí Minh"),
        IndexRecordOption::Basic,
    );
    let hits = searcher
        .search(&query, &TopDocs::with_limit(1).order_by_score())
        .unwrap();
    assert_eq!(hits.len(), 1, "Bình Dương is now part of Hồ Chí Minh");
    let doc: TantivyDocument = searcher.doc(hits[0].1).unwrap();
    let stored = document::from_document(schema, &doc).unwrap();
    assert_eq!(
        stored.province.as_deref(),
        Some("Tỉnh Bình Dương"),
        "the record keeps what was written"
    );
}

fn read_all(path: &Path) -> Vec<Supply> {
    let mut validator = Validator::new(&path.display().to_string());
    let mut out: Vec<Supply> = read_raw(path, ReadOptions::default())
        .unwrap()
        .map(|row| validator.supply(&row.unwrap()).unwrap())
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

const HEADER: [&str; 13] = [
    "id",
    "title",
    "summary",
    "description",
    "keywords",
    "sector",
    "owner",
    "country",
    "province",
    "lang",
    "trl",
    "transfer",
    "updated",
];

fn cells(s: &Supply) -> Vec<String> {
    vec![
        s.id.clone(),
        s.title.clone(),
        s.summary.clone().unwrap_or_default(),
        s.description.clone().unwrap_or_default(),
        s.keywords.join(";"),
        s.sector.clone().unwrap_or_default(),
        s.owner.clone().unwrap_or_default(),
        s.country.clone().unwrap_or_default(),
        s.province.clone().unwrap_or_default(),
        s.lang.map(|l| l.code().to_string()).unwrap_or_default(),
        s.trl.map(|t| t.to_string()).unwrap_or_default(),
        s.transfer.join(";"),
        s.updated.clone().unwrap_or_default(),
    ]
}

#[test]
fn jsonl_csv_and_xlsx_give_the_same_records() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/supplies.jsonl");
    let records: Vec<Supply> = read_all(&bundled).into_iter().take(60).collect();
    let dir = tempfile::tempdir().unwrap();

    let jsonl = dir.path().join("s.jsonl");
    let lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(&jsonl, lines.join("\n")).unwrap();

    let csv_path = dir.path().join("s.csv");
    let mut csv = csv::Writer::from_path(&csv_path).unwrap();
    csv.write_record(HEADER).unwrap();
    for record in &records {
        csv.write_record(cells(record)).unwrap();
    }
    csv.flush().unwrap();

    let xlsx = dir.path().join("s.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    for (row, record) in records.iter().enumerate() {
        for (col, value) in cells(record).iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let (r, c) = (row as u32 + 1, col as u16);
            if HEADER[col] == "trl" {
                sheet
                    .write_number(r, c, value.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                sheet.write_string(r, c, value).unwrap();
            }
        }
    }
    workbook.save(&xlsx).unwrap();

    let from_jsonl = read_all(&jsonl);
    assert_eq!(from_jsonl, records);
    assert_eq!(read_all(&csv_path), from_jsonl);
    assert_eq!(read_all(&xlsx), from_jsonl);
}

#[test]
fn a_writer_removes_the_band_keys_a_killed_writer_left() {
    let dir = tempfile::tempdir().unwrap();
    let index = SupplyIndex::open_or_create(dir.path()).unwrap();
    let stale = dir.path().join(".band-keys-AbC123");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("part-00"), [0u8; 64]).unwrap();
    let mut writer = index.writer(50 << 20).unwrap();
    assert!(
        !stale.exists(),
        "the stale spill is gone once a writer holds the lock"
    );
    writer.upsert(&supply("TS-1", "Máy sấy nông sản")).unwrap();
    writer.commit().unwrap();
    writer.finish().unwrap();
    assert_eq!(num_docs(&index), 1);
}
