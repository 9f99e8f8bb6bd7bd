//! `techmatch pair`: the pairing report of a connection event (demands × offers).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use techmatch_indexer::{Demand, Supply, SupplyIndex};
use techmatch_query::pair::{active_records, index_in_memory, PairReport, Sheet};
use techmatch_query::{DemandMatcher, MatchOptions, Searcher, SupplyMatcher};

use crate::match_cmd::{open_demand_index, read_demands, read_supplies};
use crate::search_cmd::load_glossary;

/// Output formats of `techmatch pair`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum PairFormat {
    /// One workbook, one sheet per table.
    Xlsx,
    /// One CSV file per table in the directory given by --out.
    Csv,
    /// One JSON object per row, with the table's name in "sheet".
    Jsonl,
}

/// Arguments of `techmatch pair`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch pair --demands event-demands.jsonl --supplies event-offers.xlsx --out event.xlsx
  techmatch pair --index data/index --demands open --supplies new-offers.jsonl --out report.xlsx
  techmatch pair --demands d.jsonl --supplies s.jsonl --format csv --out report/

The report has five tables: demand_to_supplies (each demand's best offers),
supply_to_demands (each offer's best demands), mutual_best_pairs (a demand and an offer
that are each other's best match, both scoring at least the unmet threshold),
unmet_demands (no offer scores the threshold) and offers_nobody_asked_for. Every row
says why: the matched terms by field and the demand's constraints (TRL, transfer modes,
country) met or not.

FILE is a .jsonl, .csv or .xlsx file as `techmatch index` reads it; the event is paired
within itself. `open` takes every open record of the index instead: the supplies of
--index DIR, or the demands indexed beside it with `techmatch index --kind demands`.")]
pub struct PairArgs {
    #[command(flatten)]
    location: crate::location::IndexLocation,
    /// The demands: a file, or `open` for the open demands of the index.
    #[arg(long, value_name = "FILE|open")]
    demands: String,
    /// The offers: a file, or `open` for the open supplies of the index.
    #[arg(long, value_name = "FILE|open")]
    supplies: String,
    /// Where to write the report (a directory for --format csv; stdout for jsonl if absent).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "xlsx")]
    format: PairFormat,
    /// Matches listed per demand and per offer.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    top: u64,
    /// Glossary file (default: the bundled one).
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    glossary: Option<PathBuf>,
    /// Do not expand with the glossary.
    #[arg(long, conflicts_with = "glossary")]
    no_glossary: bool,
}

/// Runs the command.
pub fn run(args: PairArgs) -> Result<ExitCode> {
    if args.out.is_none() && args.format != PairFormat::Jsonl {
        bail!(
            "--format {} needs --out (a file for xlsx, a directory for csv)",
            if args.format == PairFormat::Xlsx {
                "xlsx"
            } else {
                "csv"
            }
        );
    }
    let started = Instant::now();
    let progress = ProgressBar::new_spinner();
    progress.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")?);
    progress.enable_steady_tick(std::time::Duration::from_millis(200));
    let glossary = load_glossary(args.glossary.as_deref(), args.no_glossary)?;
    let mut invalid = 0;

    progress.set_message("reading the demands");
    let (demands, demand_index) = if args.demands == "open" {
        let index = open_demand_index(&args.location.index())?;
        let records = active_records(&index)?;
        (
            records.into_iter().map(Demand::from_record).collect(),
            index,
        )
    } else {
        let path = existing(&args.demands, "--demands")?;
        let (demands, bad) = read_demands(&path)?;
        invalid += bad;
        let (open, closed): (Vec<Demand>, Vec<Demand>) =
            demands.into_iter().partition(Demand::is_open);
        if !closed.is_empty() {
            eprintln!(
                "{} closed or withdrawn demands left out ({})",
                closed.len(),
                closed
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let records: Vec<Supply> = open.iter().map(Demand::to_record).collect();
        (open, index_in_memory(&records)?)
    };
    progress.set_message("reading the offers");
    let (supplies, supply_index) = if args.supplies == "open" {
        let dir = args.location.index();
        let index = SupplyIndex::open(&dir)
            .with_context(|| format!("--supplies open reads the index at {}", dir.display()))?;
        let records = active_records(&index)?;
        (records, index)
    } else {
        let path = existing(&args.supplies, "--supplies")?;
        let (supplies, bad) = read_supplies(&path)?;
        invalid += bad;
        let today = techmatch_query::filters::today_in_vietnam();
        let (supplies, inactive): (Vec<Supply>, Vec<Supply>) =
            supplies.into_iter().partition(|s| s.is_active_on(&today));
        if !inactive.is_empty() {
            eprintln!(
                "{} closed, withdrawn or expired offers left out ({})",
                inactive.len(),
                inactive
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let index = index_in_memory(&supplies)?;
        (supplies, index)
    };
    if demands.is_empty() || supplies.is_empty() {
        bail!(
            "nothing to pair: {} demands and {} offers",
            demands.len(),
            supplies.len()
        );
    }

    progress.set_message(format!(
        "pairing {} demands with {} offers",
        demands.len(),
        supplies.len()
    ));
    let offers = DemandMatcher::new(Searcher::new(supply_index)?.with_glossary(glossary.clone()));
    let asks = SupplyMatcher::new(Searcher::new(demand_index)?.with_glossary(glossary));
    let options = MatchOptions {
        top: usize::try_from(args.top)?,
        ..MatchOptions::default()
    };
    let report = PairReport::compute(&offers, &asks, &demands, &supplies, &options);
    progress.set_message("writing the report");
    let sheets = report.sheets();
    write(&args, &sheets)?;
    progress.finish_and_clear();

    for (id, reason) in &report.failures {
        eprintln!("{id}: {reason}");
    }
    let count = |name: &str| {
        sheets
            .iter()
            .find(|s| s.name == name)
            .map_or(0, |s| s.rows.len())
    };
    eprintln!(
        "{} demands × {} offers: {} mutual best pairs, {} unmet demands, {} offers nobody asked for; {:.2} s{}",
        demands.len(),
        supplies.len(),
        count("mutual_best_pairs"),
        count("unmet_demands"),
        count("offers_nobody_asked_for"),
        started.elapsed().as_secs_f64(),
        match &args.out {
            Some(out) => format!("; written to {}", out.display()),
            None => String::new(),
        }
    );
    Ok(if invalid + report.failures.len() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn existing(path: &str, option: &str) -> Result<PathBuf> {
    let path = PathBuf::from(path);
    if !path.is_file() {
        bail!(
            "{option} {}: no such file (give a .jsonl, .csv or .xlsx file, or `open`)",
            path.display()
        );
    }
    Ok(path)
}

fn write(args: &PairArgs, sheets: &[Sheet]) -> Result<()> {
    match args.format {
        PairFormat::Xlsx => {
            let path = args.out.as_deref().expect("checked");
            crate::sheet::write_workbook(path, sheets)
        }
        PairFormat::Csv => {
            let dir = args.out.as_deref().expect("checked");
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for sheet in sheets {
                write_csv(&dir.join(format!("{}.csv", sheet.name)), sheet)?;
            }
            Ok(())
        }
        PairFormat::Jsonl => {
            use std::io::Write;
            let mut out: Box<dyn Write> = match &args.out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for sheet in sheets {
                for row in &sheet.rows {
                    let mut object = serde_json::Map::new();
                    object.insert("sheet".into(), sheet.name.into());
                    for (name, value) in sheet.header.iter().zip(row) {
                        object.insert((*name).into(), value.clone().into());
                    }
                    serde_json::to_writer(&mut out, &object)?;
                    writeln!(out)?;
                }
            }
            out.flush()?;
            Ok(())
        }
    }
}

fn write_csv(path: &Path, sheet: &Sheet) -> Result<()> {
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writer.write_record(&sheet.header)?;
    for row in &sheet.rows {
        writer.write_record(row)?;
    }
    writer.flush()?;
    Ok(())
}
