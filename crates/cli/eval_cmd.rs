//! `techmatch eval`: trec_eval's metrics for a run, or a paired comparison of two runs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use techmatch_eval::{
    compare, evaluate, report, CompareOptions, Evaluation, Qrels, Run, DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
};

macro_rules! examples {
    () => {
        "Examples:
  techmatch eval --qrels qrels.txt bm25.run
  techmatch eval --qrels qrels.txt --k 5 --per-query bm25.run
  techmatch eval --qrels qrels.txt bm25.run rerank.run      # rerank against bm25
  techmatch eval --qrels qrels.txt --json a.run b.run | jq '.metrics[].p_value'

Files:
  qrels  QUERY_ID 0 DOC_ID GRADE                  grade 0-3 (not, marginally, relevant, exact)
  run    QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME   as `techmatch search --format trec` writes"
    };
}

const EXAMPLES: &str = examples!();

/// Arguments of `techmatch eval`: score a run against qrels, or compare two runs.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES, after_long_help = concat!(
    "Runs are ranked as trec_eval ranks them: by score (compared as 32-bit floats), \
descending, ties broken by document id, descending; the RANK column is ignored. A grade \
>= 1 is relevant; nDCG uses the grade as gain with a log2(rank + 1) discount. Means are \
over the qrels queries that have a relevant judgment; one the run lacks scores 0 (as \
trec_eval -c), run queries without judgments are ignored.\n\n\
With RUN2, both runs are scored on the same queries and each metric gets the mean \
difference (RUN2 - RUN), the p-value of a two-sided paired randomization test, and \
RUN2's per-query wins, losses and ties.\n\n",
    examples!()
))]
pub struct EvalArgs {
    /// Relevance judgments in TREC qrels format.
    #[arg(long, value_name = "FILE")]
    pub qrels: PathBuf,

    /// Run to evaluate; with RUN2, the baseline of the comparison.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,

    /// Second run: compared against RUN (differences are RUN2 - RUN).
    #[arg(value_name = "RUN2")]
    pub run2: Option<PathBuf>,

    /// Cut-off of nDCG, MRR, P, Recall and Judged.
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub k: u64,

    /// Print one JSON object instead of tables (per-query values included).
    #[arg(long)]
    pub json: bool,

    /// Also print every query's values (ignored with --json, which always has them).
    #[arg(long)]
    pub per_query: bool,

    /// Random sign flips in the randomization test (with RUN2).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PERMUTATIONS)]
    pub permutations: usize,

    /// Seed of the randomization test; the same seed gives the same p-values.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

/// Runs the command.
pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let k = usize::try_from(args.k).context("--k is too large")?;
    let qrels = Qrels::from_path(&args.qrels)?;
    let baseline = Run::from_path(&args.run)?;
    let candidate = args.run2.as_deref().map(Run::from_path).transpose()?;

    let evaluation = evaluate(&qrels, &baseline, k);
    if evaluation.num_queries == 0 {
        bail!(
            "{}: no query has a relevant judgment (grade >= 1), nothing to evaluate",
            qrels.name()
        );
    }
    warn_about_queries(&evaluation);

    let Some(candidate) = candidate else {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&evaluation)?);
        } else {
            print!("{}", report::render_table(&evaluation));
            if args.per_query {
                println!();
                print!("{}", report::render_per_query(&evaluation));
            }
        }
        return Ok(ExitCode::SUCCESS);
    };

    let options = CompareOptions {
        permutations: args.permutations,
        seed: args.seed,
    };
    let comparison = compare(&qrels, &baseline, &candidate, k, &options);
    warn_about_queries(&comparison.candidate);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print!("{}", report::render_comparison(&comparison));
        if args.per_query {
            for evaluation in [&comparison.baseline, &comparison.candidate] {
                println!("\n{}", evaluation.run);
                print!("{}", report::render_per_query(evaluation));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr which queries were scored 0 or left out, naming a few.
fn warn_about_queries(evaluation: &Evaluation) {
    let queries = |count: usize| if count == 1 { "query" } else { "queries" };
    let few = |queries: &[String]| {
        let shown: Vec<&str> = queries.iter().take(5).map(String::as_str).collect();
        let more = queries.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    if !evaluation.missing_from_run.is_empty() {
        eprintln!(
            "warning: {}: {} judged {} without a result, scored 0: {}",
            evaluation.run,
            evaluation.missing_from_run.len(),
            queries(evaluation.missing_from_run.len()),
            few(&evaluation.missing_from_run)
        );
    }
    if !evaluation.ignored_unjudged.is_empty() {
        eprintln!(
            "warning: {}: {} {} not in the qrels, ignored: {}",
            evaluation.run,
            evaluation.ignored_unjudged.len(),
            queries(evaluation.ignored_unjudged.len()),
            few(&evaluation.ignored_unjudged)
        );
    }
}
