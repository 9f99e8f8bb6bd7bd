//! `techmatch snapshot`: copy one consistent commit of a (possibly live) index.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

/// Arguments of `techmatch snapshot`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch snapshot --index /var/lib/techmatch/index --out /backup/index-2026-12-05
  techmatch snapshot --out /srv/replica/index      # DATA_DIR/index, while it is being written
  techmatch snapshot --kind demands --out /srv/replica/index.demands   # the demands beside it

The copy holds exactly the records of the last commit when the command started (or of a later
commit, when merges replaced that commit's files in between), never a mix. Segment files are
hard-linked when --out is on the same file system (instant, no extra space until the writer
merges them away), copied otherwise; meta.json is written last, so a half-made snapshot is
never an index. Serve it with `techmatch serve --read-only --index OUT`, or copy it to another
machine.")]
pub struct SnapshotArgs {
    #[command(flatten)]
    location: crate::location::IndexLocation,
    /// The new directory (absent or empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Snapshot the supplies (default) or the demands kept beside them (DIR.demands; a
    /// replica serving OUT finds them in OUT.demands).
    #[arg(long, value_enum, default_value = "supplies")]
    kind: crate::index_cmd::KindArg,
}

/// Runs the command.
pub fn run(args: SnapshotArgs) -> Result<ExitCode> {
    let index = args.kind.dir(&args.location.index());
    let snapshot = techmatch_indexer::snapshot(&index, &args.out).with_context(|| {
        format!(
            "cannot snapshot {} into {}",
            index.display(),
            args.out.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&snapshot)?);
    } else {
        println!(
            "snapshot of {} in {}: {} records (commit {}), {} files, {} hard-linked",
            index.display(),
            args.out.display(),
            snapshot.records,
            snapshot.opstamp,
            snapshot.files,
            snapshot.linked
        );
    }
    Ok(ExitCode::SUCCESS)
}
