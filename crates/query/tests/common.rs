//! One index of the bundled supplies, built once per test binary.

use std::path::Path;
use std::sync::OnceLock;

use techmatch_indexer::read::read_raw;
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{Supply, SupplyIndex};
use techmatch_query::Searcher;

/// The bundled supplies, validated.
pub fn bundled_supplies() -> &'static Vec<Supply> {
    static SUPPLIES: OnceLock<Vec<Supply>> = OnceLock::new();
    SUPPLIES.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/supplies.jsonl");
        let mut validator = Validator::new("supplies.jsonl");
        read_raw(&path, Default::default())
            .unwrap()
            .map(|row| validator.supply(&row.unwrap()).unwrap())
            .collect()
    })
}

/// An in-memory index of some supplies.
pub fn index_of(supplies: &[Supply]) -> SupplyIndex {
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(64 << 20).unwrap();
    for supply in supplies {
        writer.upsert(supply).unwrap();
    }
    writer.commit().unwrap();
    index
}

/// A searcher over the bundled supplies (shared).
pub fn bundled_searcher() -> &'static Searcher {
    static SEARCHER: OnceLock<Searcher> = OnceLock::new();
    SEARCHER.get_or_init(|| {
        let searcher = Searcher::new(index_of(bundled_supplies())).unwrap();
        searcher.reader().reload().unwrap();
        searcher
    })
}

/// An in-memory index of some supplies committed in `batches` commits (one segment each:
/// the writer runs on one thread and merges nothing this small).
pub fn index_in_batches(supplies: &[Supply], batches: usize) -> SupplyIndex {
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(64 << 20).unwrap();
    for chunk in supplies.chunks(supplies.len().div_ceil(batches.max(1))) {
        for supply in chunk {
            writer.upsert(supply).unwrap();
        }
        writer.commit().unwrap();
    }
    index
}
