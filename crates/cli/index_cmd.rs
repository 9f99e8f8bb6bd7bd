//! `techmatch index`: ingest supply (or demand) files into an index.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use techmatch_indexer::{
    demand_index_dir, ingest, IndexerError, IngestOptions, IngestReport, RecordKind, SupplyIndex,
};

/// Arguments of `techmatch index`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch index --index data/index index-data/supplies.jsonl
  techmatch index --index data/index --skip-invalid --rejects rejects.jsonl export.xlsx
  techmatch index --index data/index --delete TS-0001 TS-0002
  techmatch index --index data/index --rebuild index-data/supplies.jsonl
  techmatch index --index data/index --kind demands index-data/demands.jsonl

Input: .jsonl (one JSON object per line), .csv (header row with the field names; cells
separated by ',', ';' or tabs, detected from the header; lists inside a cell separated by
';', quoted as Excel does when ';' also separates cells) or .xlsx (first sheet, same
header). Records are upserted by id.
By default the whole ingest is one commit: if any record is invalid, nothing is written,
every problem is listed as FILE:LINE: field FIELD: reason, and the exit code is 1.

--kind demands stores enterprise demands (id, title, description, keywords, sector,
province, enterprise, lang, trl_min, transfer, country, status, updated, source_event) in
their own index beside the supplies' (DIR.demands for --index DIR), with the same
validation, upserts and atomic commits; `techmatch match --against demands` and
`techmatch pair` match supplies against them, and the server searches them
(kind=demands). A demand whose status is closed or withdrawn stops being matched.")]
pub struct IndexArgs {
    /// Index directory (created if absent) and data directory.
    #[command(flatten)]
    location: crate::location::IndexLocation,
    /// Commit the valid records even if some are invalid; the rejects go to --rejects.
    #[arg(long)]
    skip_invalid: bool,
    /// Where --skip-invalid writes the rejected records (JSON Lines, one per record)
    /// [default: rejects.jsonl beside the index directory].
    #[arg(long)]
    rejects: Option<PathBuf>,
    /// Delete these record ids (in the same commit as the files, if any).
    #[arg(long, num_args = 1.., value_name = "ID")]
    delete: Vec<String>,
    /// Replace the whole index with the given files (also after an analyzer upgrade).
    #[arg(long)]
    rebuild: bool,
    /// Writer memory budget in MiB.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(16..=8192))]
    memory_mb: u64,
    /// Largest accepted record in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_record_bytes: usize,
    /// Do not file the new records into near-duplicate clusters (search and matching then
    /// show them as distinct records until a later commit compares them).
    #[arg(long)]
    no_duplicate_detection: bool,
    /// The CSV cell separator [default: detected from the header row].
    #[arg(long, value_enum)]
    delimiter: Option<Delimiter>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Glossary whose concepts are stored with each record (default: the bundled one).
    /// Serve and match with the same glossary: an index tagged by another one is still
    /// searched correctly, but its concepts are matched as phrases, which is slower.
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    glossary: Option<PathBuf>,
    /// What the files hold.
    #[arg(long, value_enum, default_value = "supplies")]
    kind: KindArg,
    /// Supply (or, with --kind demands, demand) files to ingest.
    files: Vec<PathBuf>,
}

/// `--kind`: the side of the exchange a command works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// Technology offers.
    Supplies,
    /// Enterprise needs (kept beside the supplies, in DIR.demands).
    Demands,
}

impl KindArg {
    /// The record kind.
    pub fn kind(self) -> RecordKind {
        match self {
            KindArg::Supplies => RecordKind::Supplies,
            KindArg::Demands => RecordKind::Demands,
        }
    }

    /// The index directory of this kind for the supply index directory `supplies`.
    pub fn dir(self, supplies: &Path) -> PathBuf {
        match self {
            KindArg::Supplies => supplies.to_path_buf(),
            KindArg::Demands => demand_index_dir(supplies),
        }
    }
}

/// A CSV cell separator.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Delimiter {
    /// `,`
    Comma,
    /// `;` (Excel's CSV on a Vietnamese-locale Windows)
    Semicolon,
    /// a tab
    Tab,
}

impl Delimiter {
    fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }
}

/// Runs the command.
pub fn run(args: IndexArgs) -> Result<ExitCode> {
    let index_dir = args.kind.dir(&args.location.index());
    if args.files.is_empty() && args.delete.is_empty() {
        anyhow::bail!(
            "nothing to do: give {} files to ingest and/or --delete ID...",
            args.kind.kind().singular()
        );
    }
    for file in &args.files {
        if !file.is_file() {
            anyhow::bail!("{}: no such file", file.display());
        }
    }
    let index = match SupplyIndex::open_or_create_for_bulk_write(&index_dir) {
        Ok(index) => index,
        Err(
            IndexerError::AnalyzerMismatch { .. }
            | IndexerError::SchemaMismatch { .. }
            | IndexerError::NotAnIndex { .. },
        ) if args.rebuild && index_dir.join("meta.json").exists() => {
            return rebuild_from_scratch(&index_dir, &args);
        }
        Err(error) => return Err(error.into()),
    };
    ingest_into(&index, &index_dir, &args)
}

fn ingest_into(index: &SupplyIndex, index_dir: &Path, args: &IndexArgs) -> Result<ExitCode> {
    if let Some(path) = &args.glossary {
        let glossary =
            techmatch_query::glossary::Glossary::from_path(path).map_err(anyhow::Error::msg)?;
        index.set_glossary(Some(std::sync::Arc::new(glossary)));
    }
    // A failure after this run's commit (near-duplicate detection, merges) must not be
    // reported as if nothing had been written.
    let opstamp_before = index.last_opstamp().ok();
    let mut writer = index.writer((args.memory_mb as usize) << 20)?;
    writer.set_detect_duplicates(!args.no_duplicate_detection);
    for id in &args.delete {
        writer.delete(id);
    }
    let options = IngestOptions {
        skip_invalid: args.skip_invalid,
        replace_all: args.rebuild,
        kind: args.kind.kind(),
        read: techmatch_indexer::read::ReadOptions {
            max_record_bytes: args.max_record_bytes,
            delimiter: args.delimiter.map(|d| d.byte()),
        },
    };
    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} records read, {per_sec} [{elapsed}] {msg}")
            .expect("valid template"),
    );
    // Commit and duplicate detection take a while on a large file: keep the clock moving.
    progress.enable_steady_tick(std::time::Duration::from_millis(250));
    let report = ingest(
        &mut writer,
        &args.files,
        &options,
        index.provinces(),
        |report| {
            if report.committing {
                progress.set_position(report.read as u64);
                progress.set_message(format!(
                    "all read; committing {} records and comparing them for near-duplicates",
                    report.indexed
                ));
            } else if report.read.is_multiple_of(64) {
                progress.set_position(report.read as u64);
            }
        },
    )
    .and_then(|report| {
        progress.set_message("committed; waiting for background segment merges");
        writer.finish().map(|()| report)
    });
    progress.finish_and_clear();
    match report {
        Ok(report) => print_report(index, index_dir, args, &report),
        Err(error) => Err(failed_write(index, index_dir, opstamp_before, error)),
    }
}

/// A failed run: its uncommitted files are deleted (after a full disk they hold the space
/// the next run needs), and the message says what the index holds now: its last commit
/// before the run, or this run's records when the failure came after their commit.
fn failed_write(
    index: &SupplyIndex,
    index_dir: &Path,
    opstamp_before: Option<u64>,
    error: IndexerError,
) -> anyhow::Error {
    let disk_full = index.failed_for_space(&error);
    if let Err(cleanup) = index.discard_uncommitted() {
        tracing::warn!(error = %cleanup, "could not delete the files of the failed run");
    }
    let records = index
        .reader()
        .ok()
        .and_then(|reader| reader.reload().ok().map(|()| reader.searcher().num_docs()));
    let committed_by_this_run = match (opstamp_before, index.last_opstamp().ok()) {
        (Some(before), Some(after)) => after != before,
        _ => false,
    };
    let message = failure_message(index_dir, disk_full, committed_by_this_run, records);
    if disk_full {
        anyhow::anyhow!(message)
    } else {
        anyhow::Error::new(error).context(message)
    }
}

/// What a failed run tells the operator about the index (see [`failed_write`]).
fn failure_message(
    index_dir: &Path,
    disk_full: bool,
    committed_by_this_run: bool,
    records: Option<u64>,
) -> String {
    let held = records.map_or_else(String::new, |n| format!(", {n} records"));
    let dir = index_dir.display();
    match (committed_by_this_run, disk_full) {
        (false, true) => format!(
            "the disk holding {dir} is full: nothing from this run was committed and the \
             index still holds its last commit{held}; free some space and run the command again"
        ),
        (false, false) => format!(
            "nothing from this run was committed; the index at {dir} still holds its last \
             commit{held}"
        ),
        (true, full) => format!(
            "this run's records were committed (the index at {dir} now holds them{held}), but \
             what follows a commit then failed{}: near-duplicate clusters may be missing for \
             them; they are searchable, and running the same command again files them",
            if full {
                " because the disk is full"
            } else {
                ""
            }
        ),
    }
}

/// After an analyzer or schema change the old index cannot be reused: build a new one beside
/// it and swap directories, so the old one stays intact until the new one is committed.
fn rebuild_from_scratch(index_dir: &Path, args: &IndexArgs) -> Result<ExitCode> {
    tracing::info!(dir = %index_dir.display(), "index built by another techmatch version: rebuilding beside it");
    techmatch_indexer::build_beside(
        index_dir,
        |index| ingest_into(index, index_dir, args),
        |code| *code == ExitCode::SUCCESS,
    )
}

fn print_report(
    index: &SupplyIndex,
    index_dir: &Path,
    args: &IndexArgs,
    report: &IngestReport,
) -> Result<ExitCode> {
    let rejects = args.rejects.clone().unwrap_or_else(|| {
        index_dir
            .parent()
            .unwrap_or(Path::new("."))
            .join("rejects.jsonl")
    });
    let reader = index.reader()?;
    reader.reload()?;
    let total = reader.searcher().num_docs();
    let mut stderr = std::io::stderr().lock();
    for field in &report.unknown_fields {
        writeln!(stderr, "warning: unknown field '{field}' ignored")?;
    }
    for province in report.unknown_provinces.iter().take(20) {
        writeln!(
            stderr,
            "warning: province '{province}' is not a known unit; kept as written"
        )?;
    }
    for error in report.rejected.iter().take(200) {
        writeln!(stderr, "{error}")?;
    }
    if report.rejected.len() > 200 {
        writeln!(
            stderr,
            "... and {} more problems",
            report.rejected.len() - 200
        )?;
    }
    if args.skip_invalid && report.rejected_records > 0 {
        write_rejects(&rejects, report)?;
        writeln!(stderr, "rejected records written to {}", rejects.display())?;
    }
    let status = if report.committed {
        "committed"
    } else {
        "NOT committed (fix the errors above, or use --skip-invalid)"
    };
    writeln!(
        stderr,
        "read {}, indexed {}, rejected {}, deleted {} in {:.2} s ({:.0} docs/s); {status}; {} now holds {total} records",
        report.read,
        report.indexed,
        report.rejected_records,
        args.delete.len(),
        report.seconds,
        report.docs_per_second(),
        match args.kind {
            KindArg::Supplies => "the index".to_string(),
            KindArg::Demands => format!("the demand index ({})", index_dir.display()),
        },
    )?;
    if report.clustering.checked > 0 {
        writeln!(
            stderr,
            "{} of them duplicate another record (same technology from another source) and joined its cluster; compared in {:.2} s",
            report.clustering.joined,
            report.clustering.seconds
        )?;
    }
    if args.json {
        let summary = serde_json::json!({
            "read": report.read,
            "indexed": report.indexed,
            "rejected": report.rejected_records,
            "deleted": args.delete.len(),
            "committed": report.committed,
            "seconds": report.seconds,
            "docs_per_second": report.docs_per_second(),
            "documents": total,
            "duplicates_joined": report.clustering.joined,
            "duplicate_detection_seconds": report.clustering.seconds,
            "errors": report.rejected,
        });
        println!("{summary}");
    }
    Ok(if report.committed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line per rejected record: where it is, its id, and every problem with it.
fn write_rejects(path: &Path, report: &IngestReport) -> Result<()> {
    let mut by_record: BTreeMap<(String, usize), Vec<&techmatch_indexer::RecordError>> =
        BTreeMap::new();
    for error in &report.rejected {
        by_record
            .entry((error.file.clone(), error.line))
            .or_default()
            .push(error);
    }
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    for ((file, line), errors) in by_record {
        let problems: Vec<_> = errors
            .iter()
            .map(|e| serde_json::json!({"field": e.field, "reason": e.reason}))
            .collect();
        let entry =
            serde_json::json!({"file": file, "line": line, "id": errors[0].id, "errors": problems});
        writeln!(out, "{entry}")?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_after_the_commit_says_the_records_were_committed() {
        let dir = Path::new("/data/index");
        let after = failure_message(dir, false, true, Some(1_200));
        assert!(
            after.contains("this run's records were committed"),
            "{after}"
        );
        assert!(after.contains("1200 records"), "{after}");
        assert!(!after.contains("nothing from this run"), "{after}");
        let before = failure_message(dir, false, false, Some(1_000));
        assert!(
            before.starts_with("nothing from this run was committed"),
            "{before}"
        );
        assert!(before.contains("1000 records"), "{before}");
        let full = failure_message(dir, true, false, None);
        assert!(full.contains("disk holding /data/index is full"), "{full}");
        assert!(full.contains("nothing from this run"), "{full}");
        let full_after = failure_message(dir, true, true, None);
        assert!(full_after.contains("were committed"), "{full_after}");
        assert!(full_after.contains("disk is full"), "{full_after}");
    }
}
