//! `techmatch`: full-text search and demand-to-supply matching for Vietnam's technology
//! exchange. This file only parses arguments and calls the library crates.

mod analyze_cmd;
mod duplicates_cmd;
mod eval_cmd;
mod glossary_cmd;
mod index_cmd;
mod location;
mod match_cmd;
mod pair_cmd;
mod relevance_cmd;
mod search_cmd;
#[cfg(feature = "http")]
mod serve_cmd;
mod sheet;
mod snapshot_cmd;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the server allocates from many threads (async
/// workers, blocking pool, rayon), where glibc's per-thread arenas kept growing RSS over a
/// long load run (see benches/README.md, "Memory and the allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Search engine for Vietnam's technology supply–demand exchange.
///
/// Typical session on a fresh machine:
///
///   techmatch index --index data/index index-data/supplies.jsonl   # build an index
///   techmatch search --index data/index "xu ly nuoc thai"             # search as in the portal
///   techmatch match --index data/index --format xlsx --out m.xlsx demands.jsonl   # for brokers
///   techmatch pair --demands d.jsonl --supplies s.jsonl --out event.xlsx   # an event's pairs
///   techmatch serve                                   # HTTP API on 127.0.0.1:8080
///   techmatch analyze "Xử lý nước thải 20 m3/ngày"   # see how a text is tokenised
#[derive(Parser)]
#[command(name = "techmatch", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show how the analyzers see a text: exact, folded and bigram tokens with byte offsets.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// Ingest supplies (.jsonl, .csv, .xlsx) into an index; upserts by id, all or nothing.
    Index(index_cmd::IndexArgs),
    /// One search-box query (diacritic- and typo-tolerant), or a file of queries as a run.
    Search(search_cmd::SearchArgs),
    /// Match a file of demands against the supplies (or, with --against demands, supplies
    /// against the indexed demands): ranked, scored 0-100, explained.
    Match(match_cmd::MatchArgs),
    /// The pairing report of a connection event: demands × offers in both directions,
    /// mutual best pairs, unmet demands and offers nobody asked for (XLSX, CSV, JSONL).
    Pair(pair_cmd::PairArgs),
    /// Relevance metrics of a TREC run against qrels (nDCG, MAP, MRR, P, Recall, judged); with
    /// a second run, the paired comparison with randomization-test p-values.
    Eval(eval_cmd::EvalArgs),
    /// Rebuild the bundled collection's index and print techmatch's and the baselines' metrics.
    Relevance(relevance_cmd::RelevanceArgs),
    /// Near-duplicate clusters: the same technology sent by several sources (JSONL, CSV, XLSX).
    Duplicates(duplicates_cmd::DuplicatesArgs),
    /// Copy one consistent commit of an index, even while it is written (backups, replicas).
    Snapshot(snapshot_cmd::SnapshotArgs),
    /// Work with the bridge vocabulary (vi-en-zh technology glossary).
    Glossary(glossary_cmd::GlossaryArgs),
    /// HTTP API: search, suggest, demand matching (one or bulk), supply records, metrics.
    #[cfg(feature = "http")]
    Serve(serve_cmd::ServeArgs),
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    // `serve` sets up its own logging once its config (log format) is known.
    #[cfg(feature = "http")]
    let serving = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "http"))]
    let serving = false;
    if !serving {
        // `serve` reads its log format with its other settings; the other commands take
        // it from the environment only.
        let json = std::env::var("TECHMATCH_LOG_FORMAT").is_ok_and(|f| f.trim() == "json");
        init_logging("warn", json);
    }
    let result = match cli.command {
        Command::Analyze(args) => analyze_cmd::run(args),
        Command::Index(args) => index_cmd::run(args),
        Command::Search(args) => search_cmd::run(args),
        Command::Match(args) => match_cmd::run(args),
        Command::Pair(args) => pair_cmd::run(args),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Relevance(args) => relevance_cmd::run(args),
        Command::Glossary(args) => glossary_cmd::run(args),
        Command::Snapshot(args) => snapshot_cmd::run(args),
        Command::Duplicates(args) => duplicates_cmd::run(args),
        #[cfg(feature = "http")]
        Command::Serve(args) => serve_cmd::run(
            args,
            matches
                .subcommand_matches("serve")
                .expect("the serve subcommand was parsed"),
        ),
    };
    match result {
        Ok(code) => code,
        // A reader that stops early (`techmatch search ... | head`) is not an error.
        Err(error)
            if error
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr; `TECHMATCH_LOG` sets the filter (e.g. `info`, `techmatch_query=debug`),
/// else `RUST_LOG`, otherwise `default_level` applies. `json` writes one JSON object per
/// line (`TECHMATCH_LOG_FORMAT=json`, or `serve --log-format json`).
pub fn init_logging(default_level: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TECHMATCH_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}
