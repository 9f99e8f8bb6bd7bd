//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub fn techmatch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_techmatch"))
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled supplies file.
pub fn bundled_supplies() -> PathBuf {
    repo().join("index-data/supplies.jsonl")
}

/// Runs the binary and returns its output; panics with both streams if it cannot start.
pub fn run(args: &[&str]) -> Output {
    techmatch().args(args).output().expect("techmatch runs")
}

/// Stdout and stderr as text.
pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Builds an index of the bundled supplies in `dir`.
pub fn build_bundled_index(dir: &Path) {
    let output = run(&[
        "index",
        "--index",
        dir.to_str().unwrap(),
        bundled_supplies().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{:?}", texts(&output));
}

/// The number of documents in an index.
pub fn doc_count(dir: &Path) -> u64 {
    let index = techmatch_indexer::SupplyIndex::open(dir).expect("index opens");
    let reader = index.reader().unwrap();
    reader.reload().unwrap();
    reader.searcher().num_docs()
}

/// Asserts that a demand result's matches (JSON, as the CLI and the API write them) come
/// in descending order of the score they show.
pub fn assert_in_score_order(result: &serde_json::Value) {
    let scores: Vec<f64> = result["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{result}");
}
