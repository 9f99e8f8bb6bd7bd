//! Building the indexes of one scale: the first N supplies of the corpus file, read and
//! validated as `techmatch index` does, then indexed by techmatch (`SupplyWriter::upsert`)
//! or by raw tantivy, with the same writer budget and threads, in one commit.

use std::path::Path;
use std::time::Instant;

use serde_json::{json, Value};
use techmatch_indexer::document::field_text;
use techmatch_indexer::read::{read_raw, ReadOptions};
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{SupplyIndex, TextField};

use crate::common::measure;
use crate::raw::RawIndex;

/// Writer memory budget of both engines (techmatch's default).
pub const WRITER_BUDGET: usize = techmatch_indexer::DEFAULT_WRITER_MEMORY;

/// The number of indexing threads `SupplyIndex::writer` picks for the budget.
pub fn writer_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(8).min((WRITER_BUDGET / (15 << 20)).max(1))
}

/// Which engine builds the index.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Techmatch,
    Raw,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Techmatch => "techmatch",
            Engine::Raw => "raw",
        }
    }

    pub fn parse(name: &str) -> Option<Engine> {
        match name {
            "techmatch" => Some(Engine::Techmatch),
            "raw" => Some(Engine::Raw),
            _ => None,
        }
    }
}

/// Builds the index of `n` supplies in `dir` (which must not exist) and returns the stats.
///
/// The supplies are read and validated first, untimed, so both engines are timed on the
/// same in-memory records: indexing threads would otherwise hide behind the reading and
/// validation on the main thread, which costs raw tantivy's whole indexing time again.
pub fn build(engine: Engine, corpus: &Path, n: usize, dir: &Path) -> anyhow::Result<Value> {
    let started = Instant::now();
    let mut validator = Validator::new(&corpus.display().to_string());
    let mut supplies = Vec::with_capacity(n);
    for row in read_raw(corpus, ReadOptions::default())?.take(n) {
        let supply = validator
            .supply(&row.expect("corpus rows parse"))
            .expect("corpus records are valid");
        supplies.push(supply);
    }
    drop(validator);
    let read_validate = started.elapsed();
    let text_bytes: u64 = supplies.iter().map(text_len).sum();
    let after_load = measure::memory();

    let started = Instant::now();
    let cpu_started = measure::process_cpu_seconds();
    let (commit, merge, segments) = match engine {
        Engine::Techmatch => {
            let index = SupplyIndex::open_or_create(dir)?;
            let mut writer = index.writer(WRITER_BUDGET)?;
            for supply in &supplies {
                writer.upsert(supply)?;
            }
            let t = Instant::now();
            writer.commit()?;
            let commit = t.elapsed();
            let t = Instant::now();
            writer.finish()?;
            let merge = t.elapsed();
            let segments = index.index().searchable_segment_ids()?.len();
            (commit, merge, segments)
        }
        Engine::Raw => {
            let raw = RawIndex::create(dir)?;
            let mut writer = raw.writer(writer_threads(), WRITER_BUDGET)?;
            for supply in &supplies {
                writer.add_document(raw.document(supply))?;
            }
            let t = Instant::now();
            writer.commit()?;
            let commit = t.elapsed();
            let t = Instant::now();
            writer.wait_merging_threads()?;
            let merge = t.elapsed();
            let segments = raw.index.searchable_segment_ids()?.len();
            (commit, merge, segments)
        }
    };
    let total = started.elapsed();
    let cpu = measure::process_cpu_seconds() - cpu_started;
    // Until the commit returns: what a user waits for before the records are searchable.
    let indexing = total - merge;
    let docs = supplies.len();
    let memory = measure::memory();
    let peak_minus_records = memory["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)
        - after_load["rss_mib"].as_f64().unwrap_or(f64::NAN);
    Ok(json!({
        "engine": engine.name(),
        "docs": docs,
        "text_mb": text_bytes as f64 / 1e6,
        "writer_budget_mib": WRITER_BUDGET >> 20,
        "writer_threads": writer_threads(),
        "read_validate_s": read_validate.as_secs_f64(),
        "indexing_s": indexing.as_secs_f64(),
        "commit_s": commit.as_secs_f64(),
        "merge_wait_s": merge.as_secs_f64(),
        "docs_per_s_indexing": docs as f64 / indexing.as_secs_f64(),
        "mb_per_s_indexing": text_bytes as f64 / 1e6 / indexing.as_secs_f64(),
        "cpu_s": cpu,
        "cpu_share_of_wall": cpu / total.as_secs_f64(),
        "docs_per_cpu_s": docs as f64 / cpu,
        "segments": segments,
        "index_mib": measure::dir_bytes(dir) as f64 / (1 << 20) as f64,
        "memory_after_loading_records": after_load,
        "memory": memory,
        "peak_rss_minus_records_mib": peak_minus_records,
        "load_after": measure::load_average(),
    }))
}

fn text_len(supply: &techmatch_indexer::Supply) -> u64 {
    TextField::ALL
        .iter()
        .filter_map(|f| field_text(supply, *f))
        .map(|t| t.len() as u64)
        .sum()
}
