//! Checks shared by the techmatch fuzz targets.
//!
//! Each target in `fuzz_targets/` feeds libFuzzer's bytes to one entry point of the
//! crates; the invariants they assert live here so that the JSONL and CSV targets check
//! rows the same way and a regression test can call them directly.

use std::sync::LazyLock;

use techmatch_analysis::{analyze, fold_diacritics, Token};
use techmatch_eval::{Evaluation, Metric, MetricValues};
use techmatch_indexer::province::Provinces;
use techmatch_indexer::read::{RawRecords, ReadOptions};
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{document, SupplySchema};

/// The file name the readers and the validator put in their errors.
pub const JSONL_NAME: &str = "fuzz.jsonl";

/// The CSV file name.
pub const CSV_NAME: &str = "fuzz.csv";

/// Small enough that the fuzzer reaches the size limit with short inputs.
pub const READ_OPTIONS: ReadOptions = ReadOptions {
    max_record_bytes: 4096,
    // Detected from the header, so the fuzzer also drives the separator detection.
    delimiter: None,
};

/// A fuzz target's entry point: libFuzzer's bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, each with the entry point its binary calls: what
/// `scripts/check-fuzz` runs as binaries and the root test suite replays in process.
pub const TARGETS: [(&str, Target); 5] = [
    ("analyzer", analyzer),
    ("jsonl_reader", jsonl_reader),
    ("csv_reader", csv_reader),
    ("trec_readers", trec_readers),
    ("search_query", check_search),
];

/// Arbitrary bytes, read as lossy UTF-8, through the analyzer and the language detector.
pub fn analyzer(data: &[u8]) {
    check_analysis(&String::from_utf8_lossy(data));
}

/// Arbitrary bytes as a JSONL file of supplies: every row read is validated.
pub fn jsonl_reader(data: &[u8]) {
    read_and_check(JSONL_NAME, data, techmatch_indexer::read::read_jsonl);
}

/// Arbitrary bytes as a CSV file of supplies (separator detected from the header).
pub fn csv_reader(data: &[u8]) {
    read_and_check(CSV_NAME, data, techmatch_indexer::read::read_csv);
}

/// Reads `data` as the file `file` with `read`, then checks every row.
fn read_and_check(
    file: &str,
    data: &[u8],
    read: fn(&str, std::io::Cursor<Vec<u8>>, ReadOptions) -> RawRecords,
) {
    check_rows(
        file,
        read(file, std::io::Cursor::new(data.to_vec()), READ_OPTIONS),
    );
}

/// Arbitrary bytes as a qrels file and a run (split at the first NUL; without one, the
/// same text is both), evaluated when both parse.
pub fn trec_readers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (qrels_text, run_text) = text.split_once('\0').unwrap_or((&text, &text));
    let qrels = techmatch_eval::Qrels::parse("fuzz.qrels", qrels_text);
    let run = techmatch_eval::Run::parse("fuzz.run", run_text);
    if let (Ok(qrels), Ok(run)) = (qrels, run) {
        check_evaluation(&techmatch_eval::evaluate(&qrels, &run, 10));
    }
}

/// Built once per process: the schema and the province table cost more than one input.
static SCHEMA: LazyLock<SupplySchema> = LazyLock::new(SupplySchema::new);
static PROVINCES: LazyLock<Provinces> = LazyLock::new(Provinces::bundled);

/// Asserts the analyzer's contract on `text`: offsets are char boundaries of the input
/// with `start < end <= len`, no token is empty, and folded tokens are already folded.
pub fn check_analysis(text: &str) {
    let analysis = analyze(text);
    let streams: [(&str, &[Token]); 4] = [
        ("exact", &analysis.exact),
        ("folded", &analysis.folded),
        ("exact_bigrams", &analysis.exact_bigrams),
        ("folded_bigrams", &analysis.folded_bigrams),
    ];
    for (stream, tokens) in streams {
        for token in tokens {
            check_token(text, stream, token);
        }
    }
    for token in analysis.folded.iter().chain(&analysis.folded_bigrams) {
        assert_eq!(
            fold_diacritics(&token.text),
            token.text,
            "folded token {token:?} of {text:?} is not a fixed point of fold_diacritics"
        );
    }
    let _ = techmatch_analysis::detect_language(text);
}

fn check_token(text: &str, stream: &str, token: &Token) {
    assert!(
        !token.text.is_empty(),
        "{stream} token {token:?} of {text:?} is empty"
    );
    assert!(
        token.start < token.end && token.end <= text.len(),
        "{stream} token {token:?} of {text:?} (len {}) has bad offsets",
        text.len()
    );
    assert!(
        text.is_char_boundary(token.start) && text.is_char_boundary(token.end),
        "{stream} token {token:?} of {text:?} does not start and end on char boundaries"
    );
}

/// Validates every row as a supply and as a demand, and turns each valid supply into a
/// tantivy document; errors are expected, panics are bugs.
pub fn check_rows(file: &str, rows: RawRecords) {
    let mut supplies = Validator::new(file);
    let mut demands = Validator::new(file);
    for row in rows {
        let Ok(row) = row else { continue };
        if let Ok(supply) = supplies.supply(&row) {
            let _ = document::to_document(&SCHEMA, &PROVINCES, &supply, Some("X"));
            // Near-duplicate fingerprints see every text a record can carry.
            let print = techmatch_indexer::dedup::Fingerprint::of(&supply);
            let _ = print.confirm(&print);
        }
        let _ = demands.demand(&row);
    }
}

/// Asserts that every mean and every per-query value is finite and within [0, 1].
pub fn check_evaluation(evaluation: &Evaluation) {
    check_values("mean", &evaluation.means);
    for query in &evaluation.queries {
        check_values(&query.query, &query.values);
    }
}

fn check_values(label: &str, values: &MetricValues) {
    for metric in Metric::ALL {
        let value = values.get(metric);
        assert!(
            value.is_finite() && (0.0..=1.0).contains(&value),
            "{label}: {} = {value} is outside [0, 1]",
            metric.key()
        );
    }
}

/// A small index of bundled supplies, built once per process, with the bundled glossary.
static SEARCH: LazyLock<(techmatch_query::Searcher, techmatch_query::DemandMatcher)> =
    LazyLock::new(|| {
        let index = techmatch_indexer::SupplyIndex::create_in_ram();
        let mut writer = index.writer(50 << 20).expect("an in-RAM writer");
        let rows = techmatch_indexer::read::read_jsonl(
            "supplies.jsonl",
            std::io::Cursor::new(BUNDLED_SUPPLIES.as_bytes()),
            ReadOptions::default(),
        );
        let mut validator = Validator::new("supplies.jsonl");
        for row in rows.take(120) {
            let supply = validator
                .supply(&row.expect("bundled rows read"))
                .expect("bundled supplies are valid");
            writer.upsert(&supply).expect("upsert");
        }
        writer.commit().expect("commit");
        let searcher = techmatch_query::Searcher::new(index).expect("a searcher");
        let matcher = techmatch_query::DemandMatcher::new(searcher.clone());
        (searcher, matcher)
    });

const BUNDLED_SUPPLIES: &str = include_str!("../../index-data/supplies.jsonl");

/// Arbitrary bytes as the requests a browser can send: the part before the first NUL is
/// the query string of `GET /api/search` and `GET /api/suggest`, the part after it the
/// JSON body of `POST /api/match`. Parameters are checked as the server checks them, then
/// what passes is run against [`SEARCH`]. Besides not panicking: a page holds at most
/// `size` hits ranked consecutively, highlighted HTML holds no markup but `<mark>`, and
/// match scores are finite and within 0–100.
pub fn check_search(data: &[u8]) {
    use techmatch_query::params::{SearchParams, SuggestParams};
    use techmatch_query::RequestLimits;

    let (query_string, body) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], Some(&data[nul + 1..])),
        None => (data, None),
    };
    let query_string = String::from_utf8_lossy(query_string);
    let limits = RequestLimits::default();
    let (searcher, matcher) = &*SEARCH;

    if let Ok(request) =
        SearchParams::parse(Some(&query_string)).and_then(|p| p.into_request(&limits))
    {
        if let Ok(response) = searcher.search(&request) {
            assert!(response.hits.len() <= request.size, "{request:?}");
            for (i, hit) in response.hits.iter().enumerate() {
                assert_eq!(hit.rank, (request.page - 1) * request.size + i + 1);
                check_highlight(&hit.title_html);
                check_highlight(&hit.snippet_html);
                if let Some(score) = hit.score {
                    assert!(score.is_finite(), "{request:?} scored {score}");
                }
            }
        }
    }
    if let Ok(params) = SuggestParams::parse(Some(&query_string), &limits) {
        let _ = searcher.suggest(params.q.as_deref().unwrap_or(""), params.limit.unwrap_or(8));
    }
    let Some(body) = body else { return };
    let Ok(fields) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
    else {
        return;
    };
    let raw = techmatch_indexer::read::RawRecord {
        line: 1,
        fields,
        from_cells: false,
    };
    let Ok(demand) = Validator::new("request").demand(&raw) else {
        return;
    };
    let options = techmatch_query::MatchOptions {
        top: 5,
        candidates: 40,
        min_score: 0.0,
        ..Default::default()
    };
    if let Ok(result) = matcher.match_demand_full(&demand, &options) {
        assert!(result.matches.len() <= options.top);
        for found in &result.matches {
            assert!(
                found.score.is_finite() && (0.0..=100.0).contains(&found.score),
                "score {} for {demand:?}",
                found.score
            );
        }
    }
}

/// Highlighted HTML is the escaped text with `<mark>` and `</mark>` only.
fn check_highlight(html: &str) {
    let rest = html.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !rest.contains('<') && !rest.contains('>'),
        "markup other than <mark> in {html:?}"
    );
}
