//! Evaluating one run against qrels: per-query values and their means.

use serde::Serialize;

use crate::metrics::{Metric, MetricValues};
use crate::qrels::{Qrels, QueryJudgments};
use crate::run::{Run, RunEntry};

/// The result of [`evaluate`]: every metric for each evaluated query, and the means.
///
/// The evaluated queries are those of the qrels with at least one relevant judgment
/// (grade >= 1). A query among them that the run lacks scores 0 on every metric (as
/// `trec_eval -c`). Run queries absent from the qrels, and qrels queries without a
/// relevant judgment, are left out and listed.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    /// The qrels file name.
    pub qrels: String,
    /// The run file name.
    pub run: String,
    /// The RUN_NAME column of the run.
    pub run_name: String,
    /// The cut-off of the cut metrics.
    pub k: usize,
    /// How many queries were evaluated: the denominator of every mean.
    pub num_queries: usize,
    /// Mean over the evaluated queries of each metric (0 when none was evaluated).
    pub means: MetricValues,
    /// Every evaluated query, ordered by id.
    pub queries: Vec<QueryEvaluation>,
    /// Evaluated queries without a line in the run; they are in `queries`, scored 0.
    pub missing_from_run: Vec<String>,
    /// Run queries that the qrels do not judge at all; ignored.
    pub ignored_unjudged: Vec<String>,
    /// Qrels queries without a relevant judgment (only grade 0); ignored.
    pub ignored_without_relevant: Vec<String>,
}

/// The metrics of one query.
#[derive(Clone, Debug, Serialize)]
pub struct QueryEvaluation {
    /// The query id.
    pub query: String,
    /// How many documents the run retrieved for the query.
    pub retrieved: usize,
    /// How many documents the qrels judge relevant for the query.
    pub relevant: usize,
    /// The value of each metric.
    pub values: MetricValues,
}

impl Evaluation {
    /// The mean of one metric over the evaluated queries.
    pub fn mean(&self, metric: Metric) -> f64 {
        self.means.get(metric)
    }

    /// One evaluated query, `None` when it was not evaluated.
    pub fn query(&self, query: &str) -> Option<&QueryEvaluation> {
        self.queries
            .binary_search_by(|evaluated| evaluated.query.as_str().cmp(query))
            .ok()
            .map(|index| &self.queries[index])
    }

    /// Each evaluated query's value of one metric, in query order.
    pub fn per_query(&self, metric: Metric) -> Vec<f64> {
        self.queries
            .iter()
            .map(|evaluated| evaluated.values.get(metric))
            .collect()
    }
}

/// Evaluates a run against qrels with cut-off `k` (see the crate docs for the exact
/// definitions and which queries count).
///
/// ```
/// use techmatch_eval::{evaluate, Metric, Qrels, Run};
/// let qrels = Qrels::parse("qrels", "Q1 0 S1 2\nQ1 0 S2 0\nQ2 0 S5 1\n")?;
/// let run = Run::parse("run", "Q1 Q0 S2 1 9 bm25\nQ1 Q0 S1 2 8 bm25\n")?;
/// let evaluation = evaluate(&qrels, &run, 10);
/// assert_eq!(evaluation.num_queries, 2);
/// assert_eq!(evaluation.missing_from_run, ["Q2"]);
/// assert_eq!(evaluation.mean(Metric::RecipRank), (0.5 + 0.0) / 2.0);
/// # Ok::<(), techmatch_eval::Error>(())
/// ```
///
/// # Panics
///
/// When `k` is 0.
pub fn evaluate(qrels: &Qrels, run: &Run, k: usize) -> Evaluation {
    assert!(k >= 1, "the cut-off k must be at least 1");
    let mut queries = Vec::new();
    let mut missing_from_run = Vec::new();
    let mut ignored_without_relevant = Vec::new();
    for (query, judgments) in qrels.queries() {
        if judgments.num_relevant() == 0 {
            ignored_without_relevant.push(query.to_owned());
            continue;
        }
        if !run.contains_query(query) {
            missing_from_run.push(query.to_owned());
        }
        let ranking = run.ranking(query);
        queries.push(QueryEvaluation {
            query: query.to_owned(),
            retrieved: ranking.len(),
            relevant: judgments.num_relevant(),
            values: score_query(ranking, judgments, k),
        });
    }
    let ignored_unjudged = run
        .queries()
        .map(|(query, _)| query)
        .filter(|query| qrels.query(query).is_none())
        .map(str::to_owned)
        .collect();
    Evaluation {
        qrels: qrels.name().to_owned(),
        run: run.name().to_owned(),
        run_name: run.run_name().to_owned(),
        k,
        num_queries: queries.len(),
        means: means(&queries),
        queries,
        missing_from_run,
        ignored_unjudged,
        ignored_without_relevant,
    }
}

fn score_query(ranking: &[RunEntry], judgments: &QueryJudgments, k: usize) -> MetricValues {
    let ranked: Vec<Option<u32>> = ranking
        .iter()
        .map(|entry| judgments.grade(&entry.doc))
        .collect();
    let judged: Vec<u32> = judgments.iter().map(|(_, grade)| grade).collect();
    MetricValues::for_ranking(&ranked, &judged, k)
}

fn means(queries: &[QueryEvaluation]) -> MetricValues {
    let mut means = MetricValues::default();
    if queries.is_empty() {
        return means;
    }
    for metric in Metric::ALL {
        let sum = queries
            .iter()
            .fold(0.0, |sum, query| sum + query.values.get(metric));
        *means.get_mut(metric) = sum / queries.len() as f64;
    }
    means
}

#[cfg(test)]
mod tests {
    use super::*;

    const QRELS: &str = "\
Q1 0 S1 3
Q1 0 S2 0
Q1 0 S3 1
Q2 0 S1 2
Q3 0 S4 0
Q4 0 S9 1
";

    const RUN: &str = "\
Q1 Q0 S2 1 10 r
Q1 Q0 S1 2 9 r
Q1 Q0 S7 3 8 r
Q2 Q0 S1 1 1 r
Q3 Q0 S4 1 1 r
Q5 Q0 S1 1 1 r
";

    fn evaluation(k: usize) -> Evaluation {
        let qrels = Qrels::parse("qrels", QRELS).unwrap();
        let run = Run::parse("run", RUN).unwrap();
        evaluate(&qrels, &run, k)
    }

    #[test]
    fn evaluates_qrels_queries_with_a_relevant_judgment() {
        let evaluation = evaluation(10);
        let ids: Vec<&str> = evaluation
            .queries
            .iter()
            .map(|q| q.query.as_str())
            .collect();
        assert_eq!(ids, ["Q1", "Q2", "Q4"]);
        assert_eq!(evaluation.num_queries, 3);
        assert_eq!(evaluation.missing_from_run, ["Q4"]);
        assert_eq!(evaluation.ignored_unjudged, ["Q5"]);
        assert_eq!(evaluation.ignored_without_relevant, ["Q3"]);
    }

    #[test]
    fn missing_queries_score_zero_and_count_in_the_mean() {
        let evaluation = evaluation(10);
        assert_eq!(
            evaluation.query("Q4").unwrap().values,
            MetricValues::default()
        );
        assert_eq!(evaluation.query("Q4").unwrap().retrieved, 0);
        // RR: Q1 0.5, Q2 1, Q4 0.
        assert!((evaluation.mean(Metric::RecipRank) - 0.5).abs() < 1e-12);
        // P@10: Q1 1/10, Q2 1/10, Q4 0.
        assert!((evaluation.mean(Metric::Precision) - 0.2 / 3.0).abs() < 1e-12);
        assert_eq!(evaluation.per_query(Metric::RecipRank), [0.5, 1.0, 0.0]);
    }

    #[test]
    fn per_query_values_follow_the_definitions() {
        let evaluation = evaluation(2);
        let q1 = evaluation.query("Q1").unwrap();
        assert_eq!((q1.retrieved, q1.relevant), (3, 2));
        assert_eq!(q1.values.map, 0.5 / 2.0);
        assert_eq!(q1.values.recall, 0.5);
        assert_eq!(q1.values.judged, 1.0);
        let expected_ndcg = (3.0 / 3f64.log2()) / (3.0 + 1.0 / 3f64.log2());
        assert!((q1.values.ndcg - expected_ndcg).abs() < 1e-12);
        assert!(evaluation.query("Q3").is_none());
    }

    #[test]
    fn json_has_stable_keys() {
        let json = serde_json::to_value(evaluation(10)).unwrap();
        assert_eq!(json["k"], 10);
        assert_eq!(json["num_queries"], 3);
        assert!(json["means"]["ndcg"].is_f64());
        assert_eq!(json["queries"][0]["query"], "Q1");
        assert_eq!(json["missing_from_run"][0], "Q4");
    }
}
