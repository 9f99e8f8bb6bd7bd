//! Comparing two runs on the same qrels: mean differences, a paired randomization test,
//! and per-query wins, losses and ties.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::evaluation::{evaluate, Evaluation};
use crate::metrics::Metric;
use crate::qrels::Qrels;
use crate::run::Run;

/// The seed of the randomization test unless another is given.
pub const DEFAULT_SEED: u64 = 20_240_601;

/// The number of random sign assignments unless another is given.
pub const DEFAULT_PERMUTATIONS: usize = 10_000;

/// Per-query differences at most this far from 0 are ties; the test counts permuted
/// means within this of the observed one as at least as extreme.
const TOLERANCE: f64 = 1e-9;

/// Settings of [`compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CompareOptions {
    /// How many random sign assignments the randomization test draws.
    pub permutations: usize,
    /// The seed of the random generator: the same seed gives the same p-values.
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            permutations: DEFAULT_PERMUTATIONS,
            seed: DEFAULT_SEED,
        }
    }
}

/// The result of [`compare`]: both evaluations and, for each metric, how the candidate
/// differs from the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The cut-off of the cut metrics.
    pub k: usize,
    /// The settings of the randomization test.
    pub options: CompareOptions,
    /// The first run's evaluation.
    pub baseline: Evaluation,
    /// The second run's evaluation.
    pub candidate: Evaluation,
    /// One entry per metric, in [`Metric::ALL`] order.
    pub metrics: Vec<MetricComparison>,
}

/// How the candidate differs from the baseline on one metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricComparison {
    /// The metric.
    pub metric: Metric,
    /// The baseline's mean.
    pub baseline: f64,
    /// The candidate's mean.
    pub candidate: f64,
    /// `candidate - baseline`, the mean of the per-query differences.
    pub difference: f64,
    /// Two-sided p-value of the paired randomization test.
    pub p_value: f64,
    /// Queries where the candidate scores higher.
    pub wins: usize,
    /// Queries where the candidate scores lower.
    pub losses: usize,
    /// Queries where both score the same.
    pub ties: usize,
}

impl Comparison {
    /// The comparison on one metric.
    pub fn metric(&self, metric: Metric) -> &MetricComparison {
        self.metrics
            .iter()
            .find(|compared| compared.metric == metric)
            .expect("a comparison covers every metric")
    }
}

/// Evaluates two runs with the same qrels and compares them metric by metric.
///
/// Both runs are evaluated on the same queries (those of the qrels with a relevant
/// judgment), so per-query values pair up. The p-value comes from
/// [`randomization_test`] on the per-query differences.
///
/// ```
/// use techmatch_eval::{compare, CompareOptions, Metric, Qrels, Run};
/// let qrels = Qrels::parse("qrels", "Q1 0 S1 1\nQ2 0 S2 1\n")?;
/// let a = Run::parse("a", "Q1 Q0 S9 1 2 a\nQ1 Q0 S1 2 1 a\nQ2 Q0 S2 1 1 a\n")?;
/// let b = Run::parse("b", "Q1 Q0 S1 1 2 b\nQ2 Q0 S2 1 1 b\n")?;
/// let comparison = compare(&qrels, &a, &b, 10, &CompareOptions::default());
/// let rr = comparison.metric(Metric::RecipRank);
/// assert_eq!(rr.difference, 0.25);
/// assert_eq!((rr.wins, rr.losses, rr.ties), (1, 0, 1));
/// # Ok::<(), techmatch_eval::Error>(())
/// ```
///
/// # Panics
///
/// When `k` is 0.
pub fn compare(
    qrels: &Qrels,
    baseline: &Run,
    candidate: &Run,
    k: usize,
    options: &CompareOptions,
) -> Comparison {
    let baseline = evaluate(qrels, baseline, k);
    let candidate = evaluate(qrels, candidate, k);
    debug_assert!(baseline
        .queries
        .iter()
        .zip(&candidate.queries)
        .all(|(b, c)| b.query == c.query));
    let metrics = Metric::ALL
        .into_iter()
        .map(|metric| compare_metric(metric, &baseline, &candidate, options))
        .collect();
    Comparison {
        k,
        options: *options,
        baseline,
        candidate,
        metrics,
    }
}

fn compare_metric(
    metric: Metric,
    baseline: &Evaluation,
    candidate: &Evaluation,
    options: &CompareOptions,
) -> MetricComparison {
    let differences: Vec<f64> = candidate
        .per_query(metric)
        .into_iter()
        .zip(baseline.per_query(metric))
        .map(|(c, b)| c - b)
        .collect();
    let wins = differences.iter().filter(|&&d| d > TOLERANCE).count();
    let losses = differences.iter().filter(|&&d| d < -TOLERANCE).count();
    MetricComparison {
        metric,
        baseline: baseline.mean(metric),
        candidate: candidate.mean(metric),
        difference: candidate.mean(metric) - baseline.mean(metric),
        p_value: randomization_test(&differences, options.permutations, options.seed),
        wins,
        losses,
        ties: differences.len() - wins - losses,
    }
}

/// Two-sided paired randomization (sign-flip permutation) test of "the mean difference
/// is 0".
///
/// Under the null hypothesis each query's difference is as likely to have either sign,
/// so each of `permutations` rounds flips every sign with probability 1/2 and checks
/// whether the permuted mean is at least as far from 0 as the observed mean. The
/// p-value is `(extreme + 1) / (permutations + 1)`, which is never 0 and is exactly 1
/// when every difference is 0. No differences give 1.
///
/// ```
/// use techmatch_eval::randomization_test;
/// assert_eq!(randomization_test(&[0.0, 0.0, 0.0], 1000, 7), 1.0);
/// let strong = [0.3, 0.2, 0.4, 0.1, 0.25, 0.3, 0.2, 0.35, 0.15, 0.3, 0.2, 0.1];
/// assert!(randomization_test(&strong, 1000, 7) < 0.01);
/// ```
pub fn randomization_test(differences: &[f64], permutations: usize, seed: u64) -> f64 {
    if differences.is_empty() {
        return 1.0;
    }
    let observed = differences.iter().fold(0.0, |sum, d| sum + d).abs();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut extreme = 0usize;
    for _ in 0..permutations {
        let mut sum = 0.0;
        for chunk in differences.chunks(64) {
            let signs: u64 = rng.random();
            for (bit, difference) in chunk.iter().enumerate() {
                if signs >> bit & 1 == 1 {
                    sum -= difference;
                } else {
                    sum += difference;
                }
            }
        }
        if sum.abs() >= observed - TOLERANCE {
            extreme += 1;
        }
    }
    (extreme + 1) as f64 / (permutations + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_differences_give_p_one() {
        assert_eq!(randomization_test(&[0.0; 30], 500, 1), 1.0);
        assert_eq!(randomization_test(&[], 500, 1), 1.0);
        assert_eq!(randomization_test(&[0.5], 0, 1), 1.0);
    }

    #[test]
    fn same_seed_same_p_value_other_seed_close() {
        let differences: Vec<f64> = (0..40)
            .map(|i| ((i * 7 % 11) as f64 - 4.0) / 20.0)
            .collect();
        let first = randomization_test(&differences, 2000, 42);
        assert_eq!(first, randomization_test(&differences, 2000, 42));
        let other = randomization_test(&differences, 2000, 43);
        assert!((first - other).abs() < 0.05, "{first} vs {other}");
    }

    #[test]
    fn single_query_cannot_be_significant() {
        // Two sign assignments, both as extreme as observed: p is 1.
        assert_eq!(randomization_test(&[0.4], 1000, 3), 1.0);
    }

    #[test]
    fn exact_distribution_for_small_samples() {
        // Differences 1, 1, 1: of the 8 sign patterns, 2 (all + or all -) reach |3|,
        // so the p-value tends to 1/4.
        let p = randomization_test(&[1.0, 1.0, 1.0], 20_000, 5);
        assert!((p - 0.25).abs() < 0.02, "{p}");
    }

    #[test]
    fn more_than_64_queries_flip_every_sign() {
        // 100 equal differences: only the all-equal sign patterns are as extreme.
        let p = randomization_test(&[0.1; 100], 2000, 9);
        assert_eq!(p, 1.0 / 2001.0);
    }

    #[test]
    fn compare_counts_wins_losses_ties() {
        let qrels = Qrels::parse("q", "Q1 0 A 1\nQ2 0 B 1\nQ3 0 C 1\n").unwrap();
        let baseline = Run::parse("a", "Q1 Q0 A 1 1 a\nQ2 Q0 X 1 2 a\nQ2 Q0 B 2 1 a\n").unwrap();
        let candidate = Run::parse("b", "Q1 Q0 X 1 2 b\nQ1 Q0 A 2 1 b\nQ2 Q0 B 1 1 b\n").unwrap();
        let comparison = compare(
            &qrels,
            &baseline,
            &candidate,
            10,
            &CompareOptions::default(),
        );
        let rr = comparison.metric(Metric::RecipRank);
        assert_eq!((rr.wins, rr.losses, rr.ties), (1, 1, 1));
        assert_eq!(rr.difference, 0.0);
        assert_eq!(rr.p_value, 1.0);
        let json = serde_json::to_value(&comparison).unwrap();
        assert_eq!(json["metrics"][2]["metric"], "recip_rank");
        assert_eq!(json["options"]["permutations"], 10_000);
    }
}
