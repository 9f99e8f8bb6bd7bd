//! `techmatch match`: a file of demands against the supply index (or, with `--against
//! demands`, a file of supplies against the demand index), ranked and explained.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use techmatch_eval::{write_trec, RunLine};
use techmatch_indexer::{demand_index_dir, Demand, RecordError, Supply, SupplyIndex};
use techmatch_query::demand::{DemandResult, UNMET_THRESHOLD};
use techmatch_query::table::{reverse_table_rows, table_rows, REVERSE_HEADER, TABLE_HEADER};
use techmatch_query::{DemandMatcher, MatchOptions, Searcher, SupplyMatcher, SupplyResult};

use crate::search_cmd::load_glossary;

/// What `techmatch match` matches the input against.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Against {
    /// The input is demands; rank the supplies of the index for each.
    Supplies,
    /// The input is supplies; rank the open demands kept beside the index (DIR.demands,
    /// written by `techmatch index --kind demands`) for each.
    Demands,
}

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
  techmatch match --index data/index --against demands --format xlsx --out asked.xlsx offers.jsonl

Demands (.jsonl, .csv or .xlsx) have: id, title, description, sector, province, enterprise,
lang, and optionally trl_min, transfer, country (stated constraints). Each match gets a score
from 0 to 100; a demand whose best match scores under the unmet threshold is flagged unmet:
no good supply exists. An invalid demand is reported and counted; the others still run.

With --against demands the roles swap: the file holds supplies (as `techmatch index`
reads them), each is matched against the open demands indexed with `techmatch index
--kind demands`, and every row says which of the demand's constraints (minimum TRL,
transfer modes wanted, preferred country) the supply meets, the sector, and whether both
are in the same province. A supply no open demand scores the unmet threshold for is
flagged unasked. TREC lines are SUPPLY_ID Q0 DEMAND_ID RANK SCORE RUN_NAME.")]
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
    /// Match the input against the supplies (the input is demands) or the demands (the
    /// input is supplies).
    #[arg(long, value_enum, default_value = "supplies")]
    against: Against,
    /// The demands file (with --against demands: the supplies file).
    #[arg(value_name = "FILE")]
    demands: PathBuf,
}

/// Reads demands, reporting invalid ones on stderr; returns the valid ones and the count of
/// invalid ones.
pub fn read_demands(path: &Path) -> Result<(Vec<Demand>, usize)> {
    Ok(report_invalid(techmatch_relevance::read_demands(path)?))
}

/// Runs the command.
pub fn run(args: MatchArgs) -> Result<ExitCode> {
    if args.format == MatchFormat::Xlsx && args.out.is_none() {
        bail!("--format xlsx needs --out FILE.xlsx");
    }
    let options = MatchOptions {
        top: usize::try_from(args.top)?,
        candidates: args.candidates,
        min_score: args.min_score,
        show_duplicates: args.show_duplicates,
        include_inactive: args.include_inactive,
    };
    options.check()?;
    let glossary = load_glossary(args.glossary.as_deref(), args.no_glossary)?;
    match args.against {
        Against::Supplies => {
            let index = SupplyIndex::open(&args.location.index())?;
            let matcher = DemandMatcher::new(Searcher::new(index)?.with_glossary(glossary));
            let (demands, invalid) = read_demands(&args.demands)?;
            let ids: Vec<&str> = demands.iter().map(|d| d.id.as_str()).collect();
            let mut sink = Sink::open(&args, &TABLE_HEADER)?;
            let run = run_all(
                &args,
                &ids,
                invalid,
                |i| matcher.match_demand_full(&demands[i], &options),
                &mut |result: &DemandResult| {
                    sink.push(&args, result, || table_rows(std::slice::from_ref(result)))
                },
            )?;
            let widths = [10.0, 48.0, 6.0, 12.0, 56.0, 40.0, 8.0, 7.0, 7.0, 60.0, 30.0];
            sink.finish(&args, &TABLE_HEADER, &widths)?;
            Ok(run.report(&args))
        }
        Against::Demands => {
            let index = open_demand_index(&args.location.index())?;
            let matcher = SupplyMatcher::new(Searcher::new(index)?.with_glossary(glossary));
            let (supplies, invalid) = read_supplies(&args.demands)?;
            let ids: Vec<&str> = supplies.iter().map(|s| s.id.as_str()).collect();
            let mut sink = Sink::open(&args, &REVERSE_HEADER)?;
            let run = run_all(
                &args,
                &ids,
                invalid,
                |i| matcher.match_supply(&supplies[i], &options),
                &mut |result: &SupplyResult| {
                    sink.push(&args, result, || {
                        reverse_table_rows(std::slice::from_ref(result))
                    })
                },
            )?;
            let widths = [
                10.0, 48.0, 6.0, 10.0, 56.0, 36.0, 14.0, 7.0, 8.0, 60.0, 60.0, 24.0,
            ];
            sink.finish(&args, &REVERSE_HEADER, &widths)?;
            Ok(run.report(&args))
        }
    }
}

/// A ranked list of one input record, as the output formats need it.
trait Ranked: serde::Serialize {
    /// The input record's id (the TREC query id).
    fn query_id(&self) -> &str;
    /// Matched ids with their unrounded scores, best first.
    fn ranked(&self) -> Vec<(String, f64)>;
    /// Whether nothing scored the unmet threshold.
    fn flagged(&self) -> bool;
}

impl Ranked for DemandResult {
    fn query_id(&self) -> &str {
        &self.demand_id
    }
    fn ranked(&self) -> Vec<(String, f64)> {
        let matches = self.matches.iter();
        matches
            .map(|m| (m.supply_id.clone(), f64::from(m.relevance)))
            .collect()
    }
    fn flagged(&self) -> bool {
        self.unmet
    }
}

impl Ranked for SupplyResult {
    fn query_id(&self) -> &str {
        &self.supply_id
    }
    fn ranked(&self) -> Vec<(String, f64)> {
        let matches = self.matches.iter();
        matches
            .map(|m| (m.demand_id.clone(), f64::from(m.relevance)))
            .collect()
    }
    fn flagged(&self) -> bool {
        self.unasked
    }
}

/// What a run did: the counts to report.
struct RunOutcome {
    /// Records ranked (written to the output).
    ranked: usize,
    /// Of those, the ones flagged (unmet, or asked for by no demand).
    flagged: usize,
    read: usize,
    failed: usize,
    seconds: f64,
    /// Milliseconds each record took on its thread, sorted.
    latencies: Vec<f64>,
}

impl RunOutcome {
    /// Prints the summary line and returns the exit code (2 when a record failed).
    fn report(&self, args: &MatchArgs) -> ExitCode {
        let flagged = self.flagged;
        let (things, answered, flag) = match args.against {
            Against::Supplies => ("demands", "matched", "unmet"),
            Against::Demands => ("supplies", "asked for", "unasked"),
        };
        let percentile = |p: f64| -> f64 {
            if self.latencies.is_empty() {
                return 0.0;
            }
            let rank = (p * self.latencies.len() as f64).ceil() as usize;
            self.latencies[rank.clamp(1, self.latencies.len()) - 1]
        };
        eprintln!(
            "{things} {}, {answered} {}, {flag} {flagged} (best score < {UNMET_THRESHOLD}), failed {}, {:.2} s ({:.1} {things}/s; per record p50 {:.1} ms, p99 {:.1} ms)",
            self.read,
            self.ranked - flagged,
            self.failed,
            self.seconds,
            self.ranked as f64 / self.seconds.max(1e-9),
            percentile(0.5),
            percentile(0.99),
        );
        if self.failed > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Runs `match_one` over the records `ids` names, in parallel on rayon (--threads), with a
/// progress bar and each record's time. Each result goes to `on_result` in input order as
/// soon as the records before it are done (a long run's output grows while it runs, and
/// only the results waiting for a slower earlier record are held); the records that failed
/// are reported on stderr. An error from `on_result` (the output cannot be written) stops
/// the run.
fn run_all<R: Ranked + Send>(
    args: &MatchArgs,
    ids: &[&str],
    invalid: usize,
    match_one: impl Fn(usize) -> techmatch_query::Result<R> + Sync,
    on_result: &mut dyn FnMut(&R) -> Result<()>,
) -> Result<RunOutcome> {
    use rayon::prelude::*;
    let label = match args.against {
        Against::Supplies => "demands",
        Against::Demands => "supplies",
    };
    let progress = ProgressBar::new(ids.len() as u64);
    progress.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {label}, {{per_sec}}, ETA {{eta}}"
        ))
        .expect("valid template"),
    );
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let tick = || {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(4) || n == ids.len() {
            progress.set_position(n as u64);
        }
    };
    let pool = match args.threads {
        Some(threads) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads.max(1))
                .build()?,
        ),
        None => None,
    };
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, techmatch_query::Result<R>, f64)>();
    let mut outcome = RunOutcome {
        ranked: 0,
        flagged: 0,
        read: ids.len() + invalid,
        failed: invalid,
        seconds: 0.0,
        latencies: Vec::with_capacity(ids.len()),
    };
    let written: Result<()> = std::thread::scope(|scope| {
        let (match_one, stop, tick) = (&match_one, &stop, &tick);
        scope.spawn(move || {
            let match_all = move || {
                (0..ids.len())
                    .into_par_iter()
                    .for_each_with(sender, |sender, i| {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let began = Instant::now();
                        let result = match_one(i);
                        let ms = began.elapsed().as_secs_f64() * 1000.0;
                        tick();
                        // The receiver is gone only when writing failed: nothing to do then.
                        let _ = sender.send((i, result, ms));
                    });
            };
            match &pool {
                Some(pool) => pool.install(match_all),
                None => match_all(),
            }
        });
        let mut waiting: std::collections::BTreeMap<usize, (techmatch_query::Result<R>, f64)> =
            Default::default();
        let mut next = 0;
        for (i, result, ms) in receiver {
            waiting.insert(i, (result, ms));
            while let Some((result, ms)) = waiting.remove(&next) {
                outcome.latencies.push(ms);
                match result {
                    Ok(result) => {
                        outcome.ranked += 1;
                        outcome.flagged += usize::from(result.flagged());
                        if let Err(error) = on_result(&result) {
                            stop.store(true, Ordering::Relaxed);
                            return Err(error);
                        }
                    }
                    Err(error) => {
                        outcome.failed += 1;
                        progress.suspend(|| {
                            eprintln!(
                                "{}: {} {}: {error}",
                                args.demands.display(),
                                &label[..label.len() - 1],
                                ids[next]
                            )
                        });
                    }
                }
                next += 1;
            }
        }
        Ok(())
    });
    progress.finish_and_clear();
    written?;
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome.latencies.sort_by(f64::total_cmp);
    Ok(outcome)
}

/// Opens the demand index kept beside the supply index, with a hint when there is none.
pub fn open_demand_index(supplies: &Path) -> Result<SupplyIndex> {
    let dir = demand_index_dir(supplies);
    if !dir.join("meta.json").exists() {
        bail!(
            "no demands are indexed beside {} (expected in {}): add them with \
             techmatch index --index {} --kind demands DEMANDS.jsonl",
            supplies.display(),
            dir.display(),
            supplies.display()
        );
    }
    Ok(SupplyIndex::open(&dir)?)
}

/// Reads supplies, reporting invalid ones on stderr; returns the valid ones and the count of
/// invalid ones.
pub fn read_supplies(path: &Path) -> Result<(Vec<Supply>, usize)> {
    Ok(report_invalid(techmatch_relevance::read_supply_records(
        path,
    )?))
}

/// Prints every problem of the invalid records on stderr; returns the valid records and the
/// number of invalid ones (records, not problems).
fn report_invalid<T>((records, errors): (Vec<T>, Vec<RecordError>)) -> (Vec<T>, usize) {
    let invalid: std::collections::BTreeSet<usize> = errors.iter().map(|e| e.line).collect();
    for error in &errors {
        eprintln!("{error}");
    }
    (records, invalid.len())
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

/// Where the results go, one input record after the other: TREC lines, JSON lines and CSV
/// rows are written as each record's turn comes; a workbook is written at the end.
enum Sink<const N: usize> {
    Trec(Box<dyn Write>),
    Jsonl(Box<dyn Write>),
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Xlsx(Vec<[String; N]>),
}

impl<const N: usize> Sink<N> {
    /// Opens the output (before any matching, so a path that cannot be written fails fast).
    fn open(args: &MatchArgs, header: &[&'static str; N]) -> Result<Sink<N>> {
        Ok(match args.format {
            MatchFormat::Trec => Sink::Trec(output(args)?),
            MatchFormat::Jsonl => Sink::Jsonl(output(args)?),
            MatchFormat::Csv => {
                let mut writer = csv::Writer::from_writer(output(args)?);
                writer.write_record(header)?;
                Sink::Csv(Box::new(writer))
            }
            MatchFormat::Xlsx => Sink::Xlsx(Vec::new()),
        })
    }

    /// Writes one record's ranked list; `rows` gives its spreadsheet rows.
    fn push<R: Ranked>(
        &mut self,
        args: &MatchArgs,
        result: &R,
        rows: impl FnOnce() -> Vec<[String; N]>,
    ) -> Result<()> {
        match self {
            Sink::Trec(out) => {
                let lines = RunLine::ranked(result.query_id(), &args.run_name, result.ranked());
                write_trec(out, &lines)?;
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, result)?;
                writeln!(out)?;
            }
            Sink::Csv(writer) => {
                for row in rows() {
                    writer.write_record(&row)?;
                }
            }
            Sink::Xlsx(kept) => kept.extend(rows()),
        }
        Ok(())
    }

    /// Flushes the output, or writes the workbook.
    fn finish(self, args: &MatchArgs, header: &[&'static str; N], widths: &[f64; N]) -> Result<()> {
        match self {
            Sink::Trec(mut out) | Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut writer) => writer.flush()?,
            Sink::Xlsx(rows) => {
                let path = args.out.as_ref().expect("checked above");
                crate::sheet::write_xlsx(path, "matches", header, widths, &rows)?;
            }
        }
        Ok(())
    }
}
