//! The index under load: the first N supplies of the generated corpus, built once into
//! `index-load-N/` as `techmatch index` builds it (read, validate, upsert, one commit) and
//! reused while it opens; each run serves a fresh copy of it, since runs write to it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use techmatch_indexer::read::{read_raw, ReadOptions};
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{SupplyIndex, DEFAULT_WRITER_MEMORY};

use crate::common::data::{corpus_dir, data_dir, ensure_corpus};
use crate::common::measure;

/// `index-load-N/` under the bench data directory.
pub fn index_dir(supplies: u64) -> PathBuf {
    data_dir().join(format!("index-load-{supplies}"))
}

/// The records of the index at `dir`, or why it cannot be served as it is.
fn usable(dir: &Path, supplies: u64) -> Result<u64, String> {
    match SupplyIndex::open(dir) {
        Ok(index) => {
            let docs = index
                .reader()
                .map_err(|e| e.to_string())?
                .searcher()
                .num_docs();
            if docs == supplies {
                Ok(docs)
            } else {
                Err(format!("it holds {docs} records, not {supplies}"))
            }
        }
        // Among others: an index of another analyzer version does not open.
        Err(error) => Err(error.to_string()),
    }
}

/// Builds the index of the first `supplies` supplies unless a usable one is there (an
/// index of another analyzer version does not open, and is rebuilt); returns its stamp.
pub fn ensure_index(supplies: u64) -> Result<Value> {
    let dir = index_dir(supplies);
    let stamp = dir.with_extension("build.json");
    if dir.exists() {
        match usable(&dir, supplies) {
            Ok(_) => {
                let mut value: Value = std::fs::read_to_string(&stamp)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_else(|| json!({}));
                value["reused"] = json!(true);
                value["index_mib"] = json!(measure::dir_bytes(&dir) as f64 / (1 << 20) as f64);
                return Ok(value);
            }
            Err(reason) => eprintln!("rebuilding {}: {reason}", dir.display()),
        }
        std::fs::remove_dir_all(&dir)?;
    }
    ensure_corpus(supplies)?;
    let value = build(&corpus_dir().join("supplies.jsonl"), supplies, &dir)?;
    std::fs::write(&stamp, serde_json::to_string_pretty(&value)?)?;
    Ok(value)
}

/// Streams the first `supplies` records of `corpus` into a new index at `dir` (built beside
/// it, renamed when committed, so an interrupted build leaves no half index behind).
fn build(corpus: &Path, supplies: u64, dir: &Path) -> Result<Value> {
    eprintln!(
        "building the index of {supplies} supplies in {} (several minutes)",
        dir.display()
    );
    let building = dir.with_extension("building");
    if building.exists() {
        std::fs::remove_dir_all(&building)?;
    }
    let started = Instant::now();
    let index = SupplyIndex::open_or_create(&building)?;
    let mut writer = index.writer(DEFAULT_WRITER_MEMORY)?;
    let mut validator = Validator::new(&corpus.display().to_string());
    let mut done = 0u64;
    for row in read_raw(corpus, ReadOptions::default())?.take(supplies as usize) {
        let supply = validator
            .supply(&row?)
            .map_err(|errors| anyhow::anyhow!("invalid corpus record: {:?}", errors.first()))?;
        writer.upsert(&supply)?;
        done += 1;
        if done.is_multiple_of(10_000) {
            eprintln!(
                "  {done} supplies, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    writer.commit()?;
    writer.finish()?;
    drop(index);
    std::fs::rename(&building, dir)?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "supplies": done,
        "seconds": seconds,
        "docs_per_s": done as f64 / seconds,
        "index_mib": measure::dir_bytes(dir) as f64 / (1 << 20) as f64,
        "writer_memory_mib": DEFAULT_WRITER_MEMORY >> 20,
        "load_after": measure::load_average(),
    }))
}

/// A fresh copy of the index for one run (runs write to the index they serve; the copy
/// also leaves its pages in the page cache, as on a server that has been up a while).
pub fn fresh_copy(source: &Path, copy: &Path) -> Result<()> {
    if copy.exists() {
        std::fs::remove_dir_all(copy)?;
    }
    std::fs::create_dir_all(copy)?;
    for entry in std::fs::read_dir(source)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), copy.join(entry.file_name()))
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
