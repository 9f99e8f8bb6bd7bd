//! `techmatch search`: one search-box query, or a file of queries as a TREC run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use techmatch_eval::{write_trec, RunLine};
use techmatch_indexer::SupplyIndex;
use techmatch_query::{Filters, SearchRequest, Searcher, Sort};

/// Output formats of `techmatch search --queries`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum RunFormat {
    /// `QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME`
    Trec,
    /// One JSON object per query: id, text, hits with scores.
    Jsonl,
}

/// Arguments of `techmatch search`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch search --index data/index \"xu ly nuoc thai\"
  techmatch search --index data/index --sector environment --trl-min 6 \"may say ca phe\"
  techmatch search --index data/index --json \"biogas\" | jq '.hits[].record.title'
  techmatch search --index data/index --queries index-data/queries.jsonl --top 100 --format trec > run.txt
  techmatch search --index data/index --kind demands \"say ca phe\"

The text is taken as typed in the portal's search box: with or without diacritics, the
last word may be cut short (\"xu ly nuoc th\"), one-letter typos in longer words are
forgiven. Filters combine with AND; repeat a filter for alternatives (--sector a --sector b).")]
pub struct SearchArgs {
    #[command(flatten)]
    location: crate::location::IndexLocation,
    /// Number of hits (per query with --queries).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    top: u64,
    /// Print the response as JSON (hits with scores, snippets and facets).
    #[arg(long)]
    json: bool,
    /// A JSONL file of queries ({"id": ..., "text": ...}); writes a run on stdout.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    queries: Option<PathBuf>,
    /// Format of the run written for --queries.
    #[arg(long, value_enum, default_value = "trec")]
    format: RunFormat,
    /// Name in the last column of TREC run lines.
    #[arg(long, default_value = "techmatch")]
    run_name: String,
    /// Only these sectors.
    #[arg(long)]
    sector: Vec<String>,
    /// Only owners from these countries (ISO codes).
    #[arg(long)]
    country: Vec<String>,
    /// Only these provinces (any spelling, former names included).
    #[arg(long)]
    province: Vec<String>,
    /// Only records in these languages (vi, en, zh).
    #[arg(long)]
    lang: Vec<String>,
    /// Only records offering these transfer modes.
    #[arg(long)]
    transfer: Vec<String>,
    /// Lowest technology readiness level.
    #[arg(long)]
    trl_min: Option<u8>,
    /// Highest technology readiness level.
    #[arg(long)]
    trl_max: Option<u8>,
    /// Only records updated on or after this date (YYYY-MM-DD).
    #[arg(long)]
    updated_since: Option<String>,
    /// Only records from these sources (exchanges, connection points).
    #[arg(long)]
    source: Vec<String>,
    /// Also show closed, withdrawn and expired records.
    #[arg(long)]
    include_inactive: bool,
    /// Apply the lifecycle as on this day (YYYY-MM-DD; default today in Vietnam).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Show every near-duplicate record as its own hit (default: one hit per technology).
    #[arg(long)]
    show_duplicates: bool,
    /// Order by last update instead of relevance.
    #[arg(long)]
    by_date: bool,
    /// Page number (with --top as the page size).
    #[arg(long, default_value_t = 1)]
    page: usize,
    /// Glossary file for query expansion (default: the bundled one).
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    glossary: Option<PathBuf>,
    /// Do not expand queries with the glossary.
    #[arg(long, conflicts_with = "glossary")]
    no_glossary: bool,
    /// Search the supplies (default) or the demands indexed beside them.
    #[arg(long, value_enum, default_value = "supplies")]
    kind: crate::index_cmd::KindArg,
    /// The query, as typed.
    text: Option<String>,
}

/// Runs the command.
pub fn run(args: SearchArgs) -> Result<ExitCode> {
    let index = match args.kind {
        crate::index_cmd::KindArg::Supplies => SupplyIndex::open(&args.location.index())?,
        crate::index_cmd::KindArg::Demands => {
            crate::match_cmd::open_demand_index(&args.location.index())?
        }
    };
    let demands = args.kind == crate::index_cmd::KindArg::Demands;
    let searcher = Searcher::new(index)?
        .with_glossary(load_glossary(args.glossary.as_deref(), args.no_glossary)?);
    if let Some(path) = &args.queries {
        return run_queries(&searcher, path, &args);
    }
    let Some(text) = args.text.clone() else {
        bail!("give the query text, or --queries FILE");
    };
    let request = SearchRequest {
        q: text,
        filters: Filters {
            sector: args.sector.clone(),
            country: args.country.clone(),
            province: args.province.clone(),
            lang: args.lang.clone(),
            transfer: args.transfer.clone(),
            trl_min: args.trl_min,
            trl_max: args.trl_max,
            updated_since: args.updated_since.clone(),
            source: args.source.clone(),
            include_inactive: args.include_inactive,
            as_of: args.as_of.clone(),
        },
        page: args.page,
        size: usize::try_from(args.top)?.min(techmatch_query::search::MAX_PAGE_SIZE),
        sort: if args.by_date {
            Sort::Updated
        } else {
            Sort::Relevance
        },
        prefix_last: true,
        facets: true,
        show_duplicates: args.show_duplicates,
    };
    let response = searcher.search(&request)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        if demands {
            let view = techmatch_query::reverse::demand_search_view(&response)?;
            serde_json::to_writer_pretty(&mut out, &view)?;
        } else {
            serde_json::to_writer_pretty(&mut out, &response)?;
        }
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{}{} {} match \"{}\" ({:.1} ms){}{}",
        response.total,
        if response.total_is_lower_bound {
            "+"
        } else {
            ""
        },
        if demands { "demands" } else { "records" },
        response.query,
        response.took_ms,
        if response.relaxed {
            "; too few contain every word, optional: "
        } else {
            ""
        },
        response.optional_words.join(", ")
    )?;
    if let Some(suggestion) = &response.did_you_mean {
        writeln!(out, "did you mean: {suggestion}")?;
    }
    for hit in &response.hits {
        let score = hit.score.map_or(String::new(), |s| format!("{s:.3}"));
        writeln!(
            out,
            "{:>3}. {} [{}] {}",
            hit.rank,
            terminal(&hit.title_html),
            hit.id,
            score
        )?;
        let place: Vec<&str> = [
            hit.record.owner.as_deref(),
            hit.record.province.as_deref(),
            hit.record.country.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !place.is_empty() {
            writeln!(out, "     {}", place.join(" · "))?;
        }
        if !hit.snippet_html.is_empty() {
            writeln!(out, "     {}", terminal(&hit.snippet_html))?;
        }
        if !hit.also_listed.is_empty() {
            let others: Vec<String> = hit
                .also_listed
                .iter()
                .map(|o| match &o.source {
                    Some(source) => format!("{} ({source})", o.id),
                    None => o.id.clone(),
                })
                .collect();
            writeln!(out, "     also listed: {}", others.join(", "))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns snippet HTML into terminal text: marks become «…», entities are decoded.
fn terminal(html: &str) -> String {
    let marked = html.replace("<mark>", "«").replace("</mark>", "»");
    html_escape_decode(&marked)
}

fn html_escape_decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

fn run_queries(searcher: &Searcher, path: &Path, args: &SearchArgs) -> Result<ExitCode> {
    let queries = techmatch_relevance::read_queries(path)?;
    let top = usize::try_from(args.top)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut empty = 0;
    for techmatch_relevance::Query { id, text, .. } in &queries {
        let hits = searcher.search_ids(text, top)?;
        if hits.is_empty() {
            empty += 1;
            eprintln!("warning: query {id} (\"{text}\") matched nothing");
        }
        match args.format {
            RunFormat::Trec => {
                let lines = RunLine::ranked(
                    id,
                    &args.run_name,
                    hits.iter()
                        .map(|(doc, score)| (doc.clone(), f64::from(*score))),
                );
                write_trec(&mut out, &lines)?;
            }
            RunFormat::Jsonl => {
                let hits: Vec<_> = hits
                    .iter()
                    .map(|(doc, score)| serde_json::json!({"id": doc, "score": score}))
                    .collect();
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"id": id, "text": text, "hits": hits})
                )?;
            }
        }
    }
    out.flush()?;
    eprintln!("{} queries, {} without results", queries.len(), empty);
    Ok(ExitCode::SUCCESS)
}

/// The glossary to use: a file, the bundled one, or none.
pub fn load_glossary(
    path: Option<&Path>,
    disabled: bool,
) -> Result<Option<techmatch_query::glossary::Glossary>> {
    if disabled {
        return Ok(None);
    }
    match path {
        Some(path) => Ok(Some(
            techmatch_query::glossary::Glossary::from_path(path).map_err(anyhow::Error::msg)?,
        )),
        None => Ok(Some(techmatch_query::glossary::Glossary::bundled())),
    }
}
