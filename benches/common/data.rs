//! The benches' data directory and the generated corpus in it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

/// Seed of the generated corpus.
pub const SEED: u64 = 42;
/// Demands generated beside the supplies.
pub const DEMANDS_IN_CORPUS: u64 = 2_000;

/// `target/bench-data/` of the repository, or `$TECHMATCH_BENCH_DATA`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("TECHMATCH_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"))
}

/// The corpus of [`SEED`]: `supplies.jsonl`, `demands.jsonl` and the `corpus.json` stamp.
pub fn corpus_dir() -> PathBuf {
    data_dir().join(format!("corpus-seed{SEED}"))
}

/// Where results are written.
pub fn results_dir() -> PathBuf {
    data_dir().join("results")
}

/// Generates the corpus once, with at least `supplies` supplies (record `i` depends only
/// on the seed and `i`, so a larger corpus starts with the smaller one), and returns its
/// stamp.
pub fn ensure_corpus(supplies: u64) -> anyhow::Result<Value> {
    let dir = corpus_dir();
    let stamp = dir.join("corpus.json");
    if let Ok(text) = std::fs::read_to_string(&stamp) {
        let meta: Value = serde_json::from_str(&text)?;
        if meta["supplies"].as_u64().unwrap_or(0) >= supplies {
            return Ok(meta);
        }
    }
    eprintln!("generating {supplies} supplies in {}", dir.display());
    let started = Instant::now();
    let generator = techmatch_corpus::Generator::new(SEED);
    generator.write_corpus(&dir, supplies, DEMANDS_IN_CORPUS, |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let meta = json!({
        "seed": SEED,
        "supplies": supplies,
        "demands": DEMANDS_IN_CORPUS,
        "seconds": seconds,
        "supplies_mb": std::fs::metadata(dir.join("supplies.jsonl"))?.len() as f64 / 1e6,
        "threads": rayon::current_num_threads(),
    });
    std::fs::write(&stamp, serde_json::to_string_pretty(&meta)?)?;
    Ok(meta)
}
