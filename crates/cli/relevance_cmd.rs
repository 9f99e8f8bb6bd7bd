//! `techmatch relevance`: the relevance report of a judged collection (the bundled one by
//! default): techmatch and the in-process baselines, evaluated with trec_eval's definitions.
//! The work is done by `techmatch_relevance`; this file parses arguments and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use techmatch_relevance::{Collection, Report};

/// Arguments of `techmatch relevance`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch relevance                      # the table of the README's Relevance section
  techmatch relevance --by-tag --out runs  # plus nDCG@10 per tag, run files kept
  techmatch relevance --data ../shared/realdev/alqac2022_both --by-tag
  techmatch relevance --json > report.json # every metric, per tag too, as JSON

Reads DATA/supplies.jsonl, DATA/qrels.txt and whichever of DATA/queries.jsonl (search-box
queries) and DATA/demands.jsonl exist; builds a fresh index in a temporary directory;
evaluates with trec_eval's definitions (see `techmatch eval --help`).")]
pub struct RelevanceArgs {
    /// The collection directory.
    #[arg(long, default_value = "index-data")]
    data: PathBuf,
    /// Keep the run files here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also break nDCG@10 down by the queries' and demands' tags.
    #[arg(long)]
    by_tag: bool,
    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    /// Weights to try instead of the defaults, as JSON (e.g. '{"bigram_boost": 1.0}').
    #[arg(long, value_name = "JSON")]
    tuning: Option<String>,
}

/// Runs the command.
pub fn run(args: RelevanceArgs) -> Result<ExitCode> {
    let tuning: techmatch_query::Tuning = match &args.tuning {
        Some(json) => serde_json::from_str(json).context("--tuning")?,
        None => techmatch_query::Tuning::default(),
    };
    let collection = Collection::load(&args.data)?;
    let report = Report::compute(&collection, &tuning)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.summary())?);
    } else {
        println!("{}\n", report.heading());
        print!("{}", report.table());
        if let Some(unmet) = &report.unmet {
            print!("\n{}", unmet.line());
        }
        if args.by_tag {
            print!("{}", report.by_tag_tables());
        }
    }
    if let Some(out) = &args.out {
        report.write_runs(out)?;
        eprintln!("run files written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
