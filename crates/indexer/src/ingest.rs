//! Ingesting input files into the index: read, validate, upsert, and commit all or nothing.
//!
//! By default any invalid record means nothing is committed (every error is still listed,
//! so a broker can fix the whole file at once). With `skip_invalid`, valid records are
//! committed and the rejects are returned for the rejects file.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::error::{RecordError, Result};
use crate::index::SupplyWriter;
use crate::read::{read_raw, ReadOptions};
use crate::validate::Validator;

/// How to ingest.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Commit valid records even when others are invalid.
    pub skip_invalid: bool,
    /// Delete every existing record in the same commit (a rebuild).
    pub replace_all: bool,
    /// Limits on input rows.
    pub read: ReadOptions,
    /// What the files hold: supplies (the default) or demands, validated as such and
    /// written as records ([`crate::Demand::to_record`]).
    pub kind: crate::RecordKind,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    /// Records read (valid or not).
    pub read: usize,
    /// Records written (upserted) in the commit.
    pub indexed: usize,
    /// Invalid records, one entry per problem.
    pub rejected: Vec<RecordError>,
    /// Distinct records rejected.
    pub rejected_records: usize,
    /// Whether the commit happened.
    pub committed: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Field names the contract does not know (ignored).
    pub unknown_fields: Vec<String>,
    /// Province names that did not resolve to a current unit (kept as written).
    pub unknown_provinces: Vec<String>,
    /// Near-duplicate detection after the commit.
    pub clustering: crate::index::ClusteringReport,
    /// Set once every record is read, as the commit (and the near-duplicate pass) begins.
    pub committing: bool,
}

impl IngestReport {
    /// Records per second.
    pub fn docs_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.indexed as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Reads every file, validates every record and upserts the valid ones; then commits, or
/// rolls back when a record is invalid and `skip_invalid` is off.
///
/// `on_record` is called after every record (for progress bars), and once more with
/// [`IngestReport::committing`] set before the commit.
pub fn ingest(
    writer: &mut SupplyWriter,
    files: &[PathBuf],
    options: &IngestOptions,
    provinces: &crate::province::Provinces,
    mut on_record: impl FnMut(&IngestReport),
) -> Result<IngestReport> {
    let started = Instant::now();
    let mut report = IngestReport::default();
    let mut unknown_provinces = std::collections::BTreeSet::new();
    let mut unknown_fields = std::collections::BTreeSet::new();
    if options.replace_all {
        writer.delete_all()?;
    }
    for path in files {
        let name = path.display().to_string();
        let mut validator = Validator::new(&name);
        let rows = match read_raw(path, options.read) {
            Ok(rows) => rows,
            Err(error) => {
                writer.rollback()?;
                return Err(error);
            }
        };
        for row in rows {
            report.read += 1;
            let result = match row {
                Ok(raw) => match options.kind {
                    crate::RecordKind::Supplies => validator.supply(&raw),
                    crate::RecordKind::Demands => validator.demand(&raw).map(|d| d.to_record()),
                },
                Err(error) => Err(vec![error]),
            };
            match result {
                Ok(supply) => {
                    if let Some(province) = &supply.province {
                        if provinces.resolve(province).is_none() {
                            unknown_provinces.insert(province.clone());
                        }
                    }
                    let keep_writing = options.skip_invalid || report.rejected.is_empty();
                    if keep_writing {
                        if let Err(error) = writer.upsert(&supply) {
                            writer.rollback()?;
                            return Err(error);
                        }
                        report.indexed += 1;
                    }
                }
                Err(errors) => {
                    report.rejected_records += 1;
                    report.rejected.extend(errors);
                }
            }
            on_record(&report);
        }
        unknown_fields.extend(validator.unknown_fields().map(str::to_string));
    }
    report.unknown_fields = unknown_fields.into_iter().collect();
    report.unknown_provinces = unknown_provinces.into_iter().collect();
    if report.rejected.is_empty() || options.skip_invalid {
        report.committing = true;
        on_record(&report);
        writer.commit()?;
        report.committed = true;
        report.clustering = writer.last_clustering();
    } else {
        writer.rollback()?;
        report.indexed = 0;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
