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
};

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
            let _ = document::to_document(&SCHEMA, &PROVINCES, &supply);
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
