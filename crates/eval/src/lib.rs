//! Relevance evaluation for techmatch: TREC qrels and runs, trec_eval's metrics, and a
//! paired comparison of two runs.
//!
//! The pipeline is small: [`Qrels`] and [`Run`] read the two TREC files strictly (every
//! error names the file and line, see [`Error`]); [`evaluate`] scores one run with
//! cut-off `k` and gives per-query values and means ([`Evaluation`]); [`compare`] scores
//! two runs on the same queries and tests the differences ([`Comparison`]); [`report`]
//! renders either as an aligned table, and both serialise to JSON with serde.
//!
//! ```
//! use techmatch_eval::{evaluate, report, Metric, Qrels, Run};
//! let qrels = Qrels::parse("qrels.txt", "Q1 0 S1 3\nQ1 0 S2 1\nQ1 0 S3 0\n")?;
//! let run = Run::parse("bm25.run", "Q1 Q0 S3 1 9.1 bm25\nQ1 Q0 S1 2 8.7 bm25\n")?;
//! let evaluation = evaluate(&qrels, &run, 10);
//! assert_eq!(evaluation.mean(Metric::RecipRank), 0.5);
//! assert_eq!(evaluation.mean(Metric::Recall), 0.5);
//! print!("{}", report::render_table(&evaluation));
//! # Ok::<(), techmatch_eval::Error>(())
//! ```
//!
//! # Conventions
//!
//! The values equal those of trec_eval 9.x (checked against pytrec_eval by the
//! `crosscheck` integration test); where trec_eval has choices, these are the ones made.
//!
//! **Ranking.** The rank column of a run is ignored. Each query's results are sorted by
//! score, descending, compared at `f32` precision because trec_eval stores scores as C
//! `float`s, then by document id, descending, in byte order (`strcmp`). So
//! `1.00000001` and `1.0` tie. All results are used (no limit of 1000 per query).
//!
//! **Relevance.** A document is relevant when its grade is >= 1
//! ([`RELEVANCE_THRESHOLD`], trec_eval's default `-l 1`) for MAP, reciprocal rank,
//! precision and recall. A retrieved document without a judgment is not relevant.
//!
//! **Metrics**, with `k` the cut-off and ranks from 1:
//!
//! | [`Metric`] | definition | trec_eval measure |
//! |---|---|---|
//! | `Ndcg` | DCG@k / ideal DCG@k, gain = grade (linear), discount log2(rank + 1); the ideal ranking sorts the grades of **all** judged documents of the query; 0 when no grade is positive | `ndcg_cut.k` |
//! | `Map` | sum over relevant retrieved documents of precision at their rank, over the number of relevant judged documents; the whole ranking, no cut-off | `map` |
//! | `RecipRank` | 1 / rank of the first relevant document, anywhere in the ranking; 0 if none | `recip_rank` |
//! | `Mrr` | the reciprocal rank if the first relevant document is within the top k, else 0 | none |
//! | `Precision` | relevant documents in the top k / k; k even when fewer were retrieved | `P.k` |
//! | `Recall` | relevant documents in the top k / relevant judged documents | `recall.k` |
//! | `Judged` | documents in the top k with a judgment of any grade (0 included) / k; k even when fewer were retrieved, as `P.k` | none |
//!
//! **Queries.** The evaluated queries are the queries of the qrels that have at least one
//! relevant judgment; every mean is over exactly these. A query among them that the run
//! lacks scores 0 on every metric and counts in the means, as with `trec_eval -c`. Run
//! queries that the qrels do not judge are ignored, as trec_eval ignores them. Qrels
//! queries whose judgments are all grade 0 are ignored too; here trec_eval would average
//! their zeros in, and the cross-check script follows our rule: it is the same as running
//! `trec_eval -c` on qrels without those queries. [`Evaluation`] lists every query left
//! out or scored 0 this way.
//!
//! **Comparison.** Both runs are scored on the same evaluated queries. Per metric,
//! [`compare`] reports the difference of the means (candidate − baseline), the p-value of
//! a two-sided paired randomization test ([`randomization_test`]: random sign flips of
//! the per-query differences, `(extreme + 1) / (permutations + 1)`, fixed seed, 10,000
//! permutations by default), and the candidate's per-query wins, losses and ties
//! (differences within 1e-9 of 0 are ties).
//!
//! # Reading and writing files
//!
//! Both readers take UTF-8 text, columns separated by spaces or tabs, and skip blank
//! lines. They reject: a wrong column count, a grade that is not a non-negative integer,
//! a rank that is not an integer >= 1, a score that is not a number or is NaN, a
//! (query, document) pair given twice (the error names both lines), and a file without
//! data. [`RunLine`] and [`write_trec`] write run files for the crates that produce them.
#![deny(missing_docs)]

mod compare;
mod error;
mod evaluation;
mod lines;
mod metrics;
mod qrels;
pub mod report;
mod run;

pub use compare::{
    compare, randomization_test, CompareOptions, Comparison, MetricComparison,
    DEFAULT_PERMUTATIONS, DEFAULT_SEED,
};
pub use error::{Error, Result};
pub use evaluation::{evaluate, Evaluation, QueryEvaluation};
pub use metrics::{Metric, MetricValues};
pub use qrels::{Qrels, QueryJudgments, RELEVANCE_THRESHOLD};
pub use run::{write_trec, Run, RunEntry, RunLine};
