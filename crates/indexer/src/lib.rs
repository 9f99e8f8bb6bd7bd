//! The techmatch indexer: supply and demand records, their validation, the readers for JSON
//! Lines, CSV and Excel, the tantivy schema, and the writer lifecycle.
//!
//! The flow of a record:
//! `supplies.jsonl` line -> [`read::read_raw`] (one [`read::RawRecord`] per row, or a
//! [`RecordError`] naming file and line) -> [`validate::Validator`] (a [`Supply`] or one
//! error per bad field) -> [`document::to_document`] (the schema's fields, analysed once
//! into the token streams each field is indexed with) -> [`SupplyWriter::upsert`] ->
//! [`SupplyWriter::commit`] (atomic: all of a batch or none of it).
//!
//! ```
//! use techmatch_indexer::{read, validate::Validator, SupplyIndex};
//!
//! let index = SupplyIndex::create_in_ram();
//! let mut writer = index.writer(50 << 20).unwrap();
//! let input = r#"{"id": "TS-1", "title": "Hệ thống xử lý nước thải", "sector": "environment"}"#;
//! let mut validator = Validator::new("example.jsonl");
//! for row in read::read_jsonl("example.jsonl", input.as_bytes(), Default::default()) {
//!     let supply = validator.supply(&row.unwrap()).unwrap();
//!     writer.upsert(&supply).unwrap();
//! }
//! writer.commit().unwrap();
//! let reader = index.reader().unwrap();
//! reader.reload().unwrap();
//! assert_eq!(reader.searcher().num_docs(), 1);
//! ```
#![deny(missing_docs)]

pub mod band_entries;
pub mod bulk_directory;
pub mod clusters;
pub mod concepts;
pub mod dedup;
pub mod document;
pub mod error;
pub mod glossary;
pub mod index;
pub mod ingest;
pub mod paths;
pub mod province;
pub mod read;
pub mod record;
pub mod schema;
pub mod validate;

pub use error::{IndexerError, RecordError, Result};
pub use index::{
    build_beside, snapshot, CommitMeta, Snapshot, SupplyIndex, SupplyWriter, DEFAULT_WRITER_MEMORY,
};
pub use ingest::{ingest, IngestOptions, IngestReport};
pub use paths::{DataDir, Seed};
pub use record::{demand_index_dir, Demand, RecordKind, Supply};
pub use schema::{SupplySchema, TextField};
