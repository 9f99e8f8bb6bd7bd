//! `techmatch relevance`: rebuilds an index of the bundled collection, runs techmatch and
//! the in-process baselines on its queries and demands, and prints the metrics table.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use techmatch_eval::{evaluate, Metric, Qrels, Run, RunLine};
use techmatch_indexer::{ingest, IngestOptions, SupplyIndex};
use techmatch_query::baseline::{Baseline, BaselineKind};
use techmatch_query::glossary::Glossary;
use techmatch_query::{DemandMatcher, MatchOptions, Searcher};

use crate::match_cmd::read_demands;

/// Arguments of `techmatch relevance`.
#[derive(Args)]
#[command(after_help = "\
Example:
  techmatch relevance                      # the table of the README's Relevance section
  techmatch relevance --by-tag --out runs  # plus nDCG@10 per difficulty tag, run files kept

Reads DATA/supplies.jsonl, queries.jsonl, demands.jsonl, qrels.txt; builds a fresh index in a
temporary directory; evaluates with trec_eval's definitions (see `techmatch eval --help`).")]
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
    /// Weights to try instead of the defaults, as JSON (e.g. '{"bigram_boost": 1.0}').
    #[arg(long, value_name = "JSON")]
    tuning: Option<String>,
}

struct System {
    name: &'static str,
    queries: Run,
    demands: Run,
}

fn run_of(name: &str, results: Vec<(String, Vec<(String, f32)>)>) -> Result<Run> {
    let mut lines = Vec::new();
    for (query, hits) in results {
        lines.extend(RunLine::ranked(
            &query,
            name,
            hits.into_iter().map(|(d, s)| (d, f64::from(s))),
        ));
    }
    Ok(Run::from_lines(name, lines)?)
}

fn filtered_qrels(text: &str, ids: &HashSet<String>, name: &str) -> Result<Qrels> {
    let kept: String = text
        .lines()
        .filter(|l| l.split_whitespace().next().is_some_and(|q| ids.contains(q)))
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        });
    Ok(Qrels::parse(name, &kept)?)
}

fn tags_of(path: &Path) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for line in std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let value: serde_json::Value = serde_json::from_str(line)?;
        let id = value["id"].as_str().unwrap_or_default().to_string();
        let tags = value["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        out.insert(id, tags);
    }
    Ok(out)
}

/// Runs the command.
pub fn run(args: RelevanceArgs) -> Result<ExitCode> {
    let data = &args.data;
    let temp = tempfile::tempdir()?;
    let index = SupplyIndex::open_or_create(&temp.path().join("index"))?;
    let mut writer = index.writer(128 << 20)?;
    let report = ingest(
        &mut writer,
        &[data.join("supplies.jsonl")],
        &IngestOptions::default(),
        index.provinces(),
        |_| {},
    )?;
    anyhow::ensure!(
        report.committed,
        "the bundled supplies have invalid records: {:?}",
        report.rejected.first()
    );
    writer.finish()?;
    let supplies = {
        let reader =
            techmatch_indexer::read::read_raw(&data.join("supplies.jsonl"), Default::default())?;
        let mut validator = techmatch_indexer::validate::Validator::new("supplies.jsonl");
        reader
            .filter_map(|r| r.ok())
            .filter_map(|r| validator.supply(&r).ok())
            .collect::<Vec<_>>()
    };
    let queries = crate::search_cmd::read_queries(&data.join("queries.jsonl"))?;
    let (demands, invalid) = read_demands(&data.join("demands.jsonl"))?;
    anyhow::ensure!(invalid == 0, "the bundled demands have invalid records");
    let qrels_text =
        std::fs::read_to_string(data.join("qrels.txt")).context("reading qrels.txt")?;
    let query_ids: HashSet<String> = queries.iter().map(|q| q.0.clone()).collect();
    let demand_ids: HashSet<String> = demands.iter().map(|d| d.id.clone()).collect();
    let qrels_queries = filtered_qrels(&qrels_text, &query_ids, "qrels (queries)")?;
    let qrels_demands = filtered_qrels(&qrels_text, &demand_ids, "qrels (demands)")?;

    let tuning: techmatch_query::Tuning = match &args.tuning {
        Some(json) => serde_json::from_str(json).context("--tuning")?,
        None => techmatch_query::Tuning::default(),
    };
    let top = 100;
    let options = MatchOptions {
        top,
        candidates: 300,
        min_score: 0.0,
    };
    let mut systems = Vec::new();
    for (name, glossary) in [
        ("techmatch", Some(Glossary::bundled())),
        ("techmatch-no-glossary", None),
    ] {
        let searcher = Searcher::new(index.clone())?
            .with_glossary(glossary)
            .with_tuning(tuning);
        let query_results = queries
            .iter()
            .map(|(id, text)| Ok((id.clone(), searcher.search_ids(text, top)?)))
            .collect::<Result<Vec<_>>>()?;
        let matcher = DemandMatcher::new(searcher);
        let demand_results = matcher
            .match_all(&demands, &options, &|| {})
            .into_iter()
            .zip(&demands)
            .map(|(r, d)| {
                Ok((
                    d.id.clone(),
                    r?.matches
                        .into_iter()
                        .map(|m| (m.supply_id, m.relevance))
                        .collect(),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        systems.push(System {
            name,
            queries: run_of(name, query_results)?,
            demands: run_of(name, demand_results)?,
        });
    }
    for kind in [BaselineKind::Folded, BaselineKind::Raw] {
        let baseline = Baseline::build(kind, &supplies)?;
        let query_results = queries
            .iter()
            .map(|(id, text)| Ok((id.clone(), baseline.search(text, top)?)))
            .collect::<Result<Vec<_>>>()?;
        let demand_results = demands
            .iter()
            .map(|d| Ok((d.id.clone(), baseline.search(&d.full_text(), top)?)))
            .collect::<Result<Vec<_>>>()?;
        systems.push(System {
            name: kind.name(),
            queries: run_of(kind.name(), query_results)?,
            demands: run_of(kind.name(), demand_results)?,
        });
    }

    let mut table = String::new();
    writeln!(table, "| system | queries nDCG@10 | queries Recall@50 | queries MRR@10 | demands nDCG@10 | demands Recall@50 | demands MRR@10 |")?;
    writeln!(table, "|---|---|---|---|---|---|---|")?;
    for system in &systems {
        let mut cells = Vec::new();
        for (run, qrels) in [
            (&system.queries, &qrels_queries),
            (&system.demands, &qrels_demands),
        ] {
            let at10 = evaluate(qrels, run, 10);
            let at50 = evaluate(qrels, run, 50);
            cells.push(format!("{:.3}", at10.mean(Metric::Ndcg)));
            cells.push(format!("{:.3}", at50.mean(Metric::Recall)));
            cells.push(format!("{:.3}", at10.mean(Metric::Mrr)));
        }
        writeln!(table, "| {} | {} |", system.name, cells.join(" | "))?;
    }
    println!(
        "{} supplies, {} queries ({} judged), {} demands ({} judged)\n",
        supplies.len(),
        queries.len(),
        evaluate(&qrels_queries, &systems[0].queries, 10)
            .queries
            .len(),
        demands.len(),
        evaluate(&qrels_demands, &systems[0].demands, 10)
            .queries
            .len()
    );
    print!("{table}");

    if args.by_tag {
        let mut tags = tags_of(&data.join("queries.jsonl"))?;
        tags.extend(tags_of(&data.join("demands.jsonl"))?);
        for (label, pick, qrels) in [
            ("queries", 0, &qrels_queries),
            ("demands", 1, &qrels_demands),
        ] {
            let evaluations: Vec<_> = systems
                .iter()
                .map(|s| evaluate(qrels, if pick == 0 { &s.queries } else { &s.demands }, 10))
                .collect();
            let all_tags: BTreeSet<&String> = evaluations[0]
                .queries
                .iter()
                .flat_map(|q| tags.get(&q.query).into_iter().flatten())
                .collect();
            println!("\nnDCG@10 of the {label} by tag\n");
            let names: Vec<&str> = systems.iter().map(|s| s.name).collect();
            println!("| tag | n | {} |", names.join(" | "));
            println!("|---|---|{}", "---|".repeat(names.len()));
            for tag in all_tags {
                let mut cells = Vec::new();
                let mut n = 0;
                for evaluation in &evaluations {
                    let values: Vec<f64> = evaluation
                        .queries
                        .iter()
                        .filter(|q| tags.get(&q.query).is_some_and(|t| t.contains(tag)))
                        .map(|q| q.values.get(Metric::Ndcg))
                        .collect();
                    n = values.len();
                    cells.push(format!(
                        "{:.3}",
                        values.iter().sum::<f64>() / values.len().max(1) as f64
                    ));
                }
                println!("| {tag} | {n} | {} |", cells.join(" | "));
            }
        }
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out)?;
        for system in &systems {
            system.queries.write_trec(std::fs::File::create(
                out.join(format!("{}.queries.run", system.name)),
            )?)?;
            system.demands.write_trec(std::fs::File::create(
                out.join(format!("{}.demands.run", system.name)),
            )?)?;
        }
        eprintln!("run files written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
