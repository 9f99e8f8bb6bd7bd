//! `techmatch match`: a file of demands against the supply index, ranked and explained.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use techmatch_eval::{write_trec, RunLine};
use techmatch_indexer::{Demand, SupplyIndex};
use techmatch_query::demand::{DemandResult, UNMET_THRESHOLD};
use techmatch_query::table::{table_rows, TABLE_HEADER};
use techmatch_query::{DemandMatcher, MatchOptions, Searcher};

use crate::search_cmd::load_glossary;

/// Output formats of `techmatch match`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum MatchFormat {
    /// TREC run lines: DEMAND_ID Q0 SUPPLY_ID RANK SCORE RUN_NAME
    Trec,
    /// One JSON object per demand: matches with explanations and the unmet flag.
    Jsonl,
    /// One row per (demand, rank), for spreadsheets.
    Csv,
    /// The CSV rows as an Excel workbook with a bold, frozen header.
    Xlsx,
}

/// Arguments of `techmatch match`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch match --index data/index --format xlsx --out matches.xlsx demands.jsonl
  techmatch match --index data/index --format jsonl --top 5 demands.csv | jq '.matches[0].explanation'
  techmatch match --index data/index --top 100 --format trec index-data/demands.jsonl > demands.run

Demands (.jsonl, .csv or .xlsx) have: id, title, description, sector, province, enterprise,
lang, and optionally trl_min, transfer, country (stated constraints). Each match gets a score
from 0 to 100; a demand whose best match scores under the unmet threshold is flagged unmet:
no good supply exists. An invalid demand is reported and counted; the others still run.")]
pub struct MatchArgs {
    #[command(flatten)]
    location: crate::location::IndexLocation,
    /// Matches per demand.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    top: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: MatchFormat,
    /// Output file (stdout if absent; required for xlsx).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Candidates reranked per demand.
    #[arg(long, default_value_t = 300)]
    candidates: usize,
    /// Leave out matches scoring below this (0-100).
    #[arg(long, default_value_t = 0.0)]
    min_score: f32,
    /// List every near-duplicate supply on its own row (default: one row per technology,
    /// the other records named in an "also listed" column).
    #[arg(long)]
    show_duplicates: bool,
    /// Also match closed, withdrawn and expired supplies (hidden by default).
    #[arg(long)]
    include_inactive: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Name in the last column of TREC run lines.
    #[arg(long, default_value = "techmatch")]
    run_name: String,
    /// Glossary file (default: the bundled one).
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    glossary: Option<PathBuf>,
    /// Do not expand demands with the glossary.
    #[arg(long, conflicts_with = "glossary")]
    no_glossary: bool,
    /// The demands file.
    demands: PathBuf,
}

/// Reads demands, reporting invalid ones on stderr; returns the valid ones and the count of
/// invalid ones.
fn read_demands(path: &Path) -> Result<(Vec<Demand>, usize)> {
    let (demands, errors) = techmatch_relevance::read_demands(path)?;
    let invalid: std::collections::BTreeSet<usize> = errors.iter().map(|e| e.line).collect();
    for error in &errors {
        eprintln!("{error}");
    }
    Ok((demands, invalid.len()))
}

/// Runs the command.
pub fn run(args: MatchArgs) -> Result<ExitCode> {
    if args.format == MatchFormat::Xlsx && args.out.is_none() {
        bail!("--format xlsx needs --out FILE.xlsx");
    }
    let index = SupplyIndex::open(&args.location.index())?;
    let searcher = Searcher::new(index)?
        .with_glossary(load_glossary(args.glossary.as_deref(), args.no_glossary)?);
    let matcher = DemandMatcher::new(searcher);
    let (demands, invalid) = read_demands(&args.demands)?;
    let options = MatchOptions {
        top: usize::try_from(args.top)?,
        candidates: args.candidates,
        min_score: args.min_score,
        show_duplicates: args.show_duplicates,
        include_inactive: args.include_inactive,
    };
    options.check()?;

    let progress = ProgressBar::new(demands.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} demands, {per_sec}, ETA {eta}")
            .expect("valid template"),
    );
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let tick = || {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(4) || n == demands.len() {
            progress.set_position(n as u64);
        }
    };
    let results = match args.threads {
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()?
            .install(|| matcher.match_all(&demands, &options, &tick)),
        None => matcher.match_all(&demands, &options, &tick),
    };
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let mut ok: Vec<DemandResult> = Vec::with_capacity(results.len());
    let mut failed = invalid;
    for (demand, result) in demands.iter().zip(results) {
        match result {
            Ok(result) => ok.push(result),
            Err(error) => {
                failed += 1;
                eprintln!("{}: demand {}: {error}", args.demands.display(), demand.id);
            }
        }
    }
    write_output(&args, &ok)?;
    let unmet = ok.iter().filter(|r| r.unmet).count();
    eprintln!(
        "demands {}, matched {}, unmet {} (best score < {UNMET_THRESHOLD}), failed {failed}, {seconds:.2} s ({:.1} demands/s)",
        demands.len() + invalid,
        ok.len() - unmet,
        unmet,
        ok.len() as f64 / seconds.max(1e-9),
    );
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn output(args: &MatchArgs) -> Result<Box<dyn Write>> {
    Ok(match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

fn write_output(args: &MatchArgs, results: &[DemandResult]) -> Result<()> {
    match args.format {
        MatchFormat::Trec => {
            let mut out = output(args)?;
            for result in results {
                let lines = RunLine::ranked(
                    &result.demand_id,
                    &args.run_name,
                    result
                        .matches
                        .iter()
                        .map(|m| (m.supply_id.clone(), f64::from(m.relevance))),
                );
                write_trec(&mut out, &lines)?;
            }
            out.flush()?;
        }
        MatchFormat::Jsonl => {
            let mut out = output(args)?;
            for result in results {
                serde_json::to_writer(&mut out, result)?;
                writeln!(out)?;
            }
            out.flush()?;
        }
        MatchFormat::Csv => {
            let mut writer = csv::Writer::from_writer(output(args)?);
            writer.write_record(TABLE_HEADER)?;
            for row in table_rows(results) {
                writer.write_record(&row)?;
            }
            writer.flush()?;
        }
        MatchFormat::Xlsx => {
            let path = args.out.as_ref().expect("checked above");
            write_xlsx(path, results)?;
        }
    }
    Ok(())
}

fn write_xlsx(path: &Path, results: &[DemandResult]) -> Result<()> {
    let widths = [10.0, 48.0, 6.0, 12.0, 56.0, 40.0, 8.0, 7.0, 7.0, 60.0, 30.0];
    crate::sheet::write_xlsx(
        path,
        "matches",
        &TABLE_HEADER,
        &widths,
        &table_rows(results),
    )
}
