//! The metrics, computed for one query's ranking as trec_eval computes them.
//!
//! Everything here works on grades: `ranked` holds, for each retrieved document in
//! trec_eval's order, its grade or `None` when unjudged; `judged` holds the grades of
//! every judged document of the query, retrieved or not.

use serde::{Deserialize, Serialize};

use crate::qrels::RELEVANCE_THRESHOLD;

/// One of the reported metrics. The cut-off `k` is a parameter of the evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// nDCG@k with the grade as gain and a log2(rank + 1) discount (trec_eval `ndcg_cut_k`).
    Ndcg,
    /// Average precision over the whole ranking (trec_eval `map`).
    Map,
    /// Reciprocal rank of the first relevant document anywhere in the ranking
    /// (trec_eval `recip_rank`).
    RecipRank,
    /// Reciprocal rank when the first relevant document is within the top k, else 0
    /// (MRR@k once averaged; trec_eval has no such measure).
    Mrr,
    /// Relevant documents in the top k divided by k (trec_eval `P_k`).
    Precision,
    /// Relevant documents in the top k divided by all relevant (trec_eval `recall_k`).
    Recall,
    /// Judged documents (any grade) in the top k divided by k.
    Judged,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 7] = [
        Metric::Ndcg,
        Metric::Map,
        Metric::RecipRank,
        Metric::Mrr,
        Metric::Precision,
        Metric::Recall,
        Metric::Judged,
    ];

    /// The stable key used in JSON output: `ndcg`, `map`, `recip_rank`, `mrr`,
    /// `precision`, `recall`, `judged`.
    pub fn key(self) -> &'static str {
        match self {
            Metric::Ndcg => "ndcg",
            Metric::Map => "map",
            Metric::RecipRank => "recip_rank",
            Metric::Mrr => "mrr",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::Judged => "judged",
        }
    }

    /// Whether the value depends on the cut-off k.
    pub fn is_cut(self) -> bool {
        !matches!(self, Metric::Map | Metric::RecipRank)
    }

    /// The name for people, with the cut-off where there is one: `nDCG@10`, `MAP`, `RR`,
    /// `MRR@10`, `P@10`, `Recall@10`, `Judged@10`.
    pub fn label(self, k: usize) -> String {
        match self {
            Metric::Ndcg => format!("nDCG@{k}"),
            Metric::Map => "MAP".to_owned(),
            Metric::RecipRank => "RR".to_owned(),
            Metric::Mrr => format!("MRR@{k}"),
            Metric::Precision => format!("P@{k}"),
            Metric::Recall => format!("Recall@{k}"),
            Metric::Judged => format!("Judged@{k}"),
        }
    }

    /// The name of the same measure in trec_eval, `None` for the two it lacks
    /// (`Mrr`, `Judged`).
    pub fn trec_eval_name(self, k: usize) -> Option<String> {
        match self {
            Metric::Ndcg => Some(format!("ndcg_cut_{k}")),
            Metric::Map => Some("map".to_owned()),
            Metric::RecipRank => Some("recip_rank".to_owned()),
            Metric::Precision => Some(format!("P_{k}")),
            Metric::Recall => Some(format!("recall_{k}")),
            Metric::Mrr | Metric::Judged => None,
        }
    }
}

/// A value for every [`Metric`], each in [0, 1]: one query's, or a mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricValues {
    /// See [`Metric::Ndcg`].
    pub ndcg: f64,
    /// See [`Metric::Map`].
    pub map: f64,
    /// See [`Metric::RecipRank`].
    pub recip_rank: f64,
    /// See [`Metric::Mrr`].
    pub mrr: f64,
    /// See [`Metric::Precision`].
    pub precision: f64,
    /// See [`Metric::Recall`].
    pub recall: f64,
    /// See [`Metric::Judged`].
    pub judged: f64,
}

impl MetricValues {
    /// The value of one metric.
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Ndcg => self.ndcg,
            Metric::Map => self.map,
            Metric::RecipRank => self.recip_rank,
            Metric::Mrr => self.mrr,
            Metric::Precision => self.precision,
            Metric::Recall => self.recall,
            Metric::Judged => self.judged,
        }
    }

    /// A mutable reference to the value of one metric.
    pub fn get_mut(&mut self, metric: Metric) -> &mut f64 {
        match metric {
            Metric::Ndcg => &mut self.ndcg,
            Metric::Map => &mut self.map,
            Metric::RecipRank => &mut self.recip_rank,
            Metric::Mrr => &mut self.mrr,
            Metric::Precision => &mut self.precision,
            Metric::Recall => &mut self.recall,
            Metric::Judged => &mut self.judged,
        }
    }

    /// Every metric of one query, from the grades of its ranking.
    ///
    /// `ranked` has, for each retrieved document in rank order, its grade or `None` when
    /// unjudged; `judged` has the grade of every judged document of the query, retrieved
    /// or not. A query without a relevant judgment scores 0 everywhere but `judged`.
    ///
    /// # Panics
    ///
    /// When `k` is 0.
    ///
    /// ```
    /// use techmatch_eval::MetricValues;
    /// // Ranks 1..3: unjudged, grade 2, grade 0; the query has two relevant documents.
    /// let values = MetricValues::for_ranking(&[None, Some(2), Some(0)], &[2, 0, 1], 3);
    /// assert_eq!(values.recip_rank, 0.5);
    /// assert_eq!(values.recall, 0.5);
    /// assert!((values.judged - 2.0 / 3.0).abs() < 1e-12);
    /// ```
    pub fn for_ranking(ranked: &[Option<u32>], judged: &[u32], k: usize) -> MetricValues {
        assert!(k >= 1, "the cut-off k must be at least 1");
        let is_relevant = |grade: &Option<u32>| grade.is_some_and(|g| g >= RELEVANCE_THRESHOLD);
        let num_relevant = judged.iter().filter(|&&g| g >= RELEVANCE_THRESHOLD).count();
        let top = &ranked[..ranked.len().min(k)];

        let relevant_in_top = top.iter().filter(|grade| is_relevant(grade)).count();
        let judged_in_top = top.iter().filter(|grade| grade.is_some()).count();
        let first_relevant = ranked.iter().position(is_relevant);
        let recip_rank = first_relevant.map_or(0.0, |index| 1.0 / (index + 1) as f64);

        let mut relevant_so_far = 0usize;
        let mut precision_sum = 0.0;
        for (index, grade) in ranked.iter().enumerate() {
            if is_relevant(grade) {
                relevant_so_far += 1;
                precision_sum += relevant_so_far as f64 / (index + 1) as f64;
            }
        }

        let per_relevant = |value: f64| {
            if num_relevant == 0 {
                0.0
            } else {
                value / num_relevant as f64
            }
        };
        MetricValues {
            ndcg: ndcg(top, judged, k),
            map: per_relevant(precision_sum),
            recip_rank,
            mrr: if first_relevant.is_some_and(|index| index < k) {
                recip_rank
            } else {
                0.0
            },
            precision: relevant_in_top as f64 / k as f64,
            recall: per_relevant(relevant_in_top as f64),
            judged: judged_in_top as f64 / k as f64,
        }
    }
}

/// trec_eval's `ndcg_cut`: gain = grade, discount log2(rank + 1), ideal ranking from the
/// grades of all judged documents; 0 when no judged document has a positive grade.
///
/// Sums start from `0.0` with `fold`: `Iterator::sum` of no floats is `-0.0`.
fn ndcg(top: &[Option<u32>], judged: &[u32], k: usize) -> f64 {
    let discount = |index: usize| ((index + 2) as f64).log2();
    let dcg: f64 = top
        .iter()
        .enumerate()
        .filter_map(|(index, grade)| match grade {
            Some(grade) if *grade > 0 => Some(f64::from(*grade) / discount(index)),
            _ => None,
        })
        .fold(0.0, |sum, gain| sum + gain);
    let mut ideal: Vec<u32> = judged.iter().copied().filter(|&grade| grade > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let ideal_dcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(index, &grade)| f64::from(grade) / discount(index))
        .fold(0.0, |sum, gain| sum + gain);
    if ideal_dcg > 0.0 {
        dcg / ideal_dcg
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Option<u32> = Some(1);
    const N: Option<u32> = Some(0);
    const U: Option<u32> = None;

    /// log2(3), the discount at rank 2.
    const LOG2_3: f64 = 1.584_962_500_721_156_2;

    struct Case {
        name: &'static str,
        ranked: &'static [Option<u32>],
        judged: &'static [u32],
        k: usize,
        metric: Metric,
        expected: f64,
    }

    macro_rules! cases {
        ($($name:ident: $metric:ident @ $k:literal of $ranked:expr, judged $judged:expr => $expected:expr;)*) => {
            &[$(Case {
                name: stringify!($name),
                ranked: &$ranked,
                judged: &$judged,
                k: $k,
                metric: Metric::$metric,
                expected: $expected,
            },)*]
        };
    }

    const CASES: &[Case] = cases! {
        // Precision: denominator k even when fewer documents were retrieved.
        p_half: Precision @ 4 of [R, N, R, U], judged [1, 0, 1] => 0.5;
        p_short_run: Precision @ 10 of [R, R], judged [1, 1] => 0.2;
        p_grade_three_counts_once: Precision @ 2 of [Some(3), N], judged [3, 0] => 0.5;
        p_nothing_relevant: Precision @ 3 of [N, U, N], judged [0, 0, 2] => 0.0;
        // Recall: over all relevant judged documents, retrieved or not.
        recall_cut_excludes_later_hits: Recall @ 2 of [R, N, R], judged [1, 1, 1, 0] => 1.0 / 3.0;
        recall_all_found: Recall @ 5 of [U, R, R], judged [2, 1] => 1.0;
        recall_no_relevant_is_zero: Recall @ 5 of [N], judged [0] => 0.0;
        // Average precision over the whole ranking, unretrieved relevant count as 0.
        map_textbook: Map @ 1 of [R, N, R, N, N, R], judged [1, 1, 1, 1] => (1.0 + 2.0 / 3.0 + 3.0 / 6.0) / 4.0;
        map_ignores_k: Map @ 1 of [N, R], judged [1] => 0.5;
        map_unjudged_is_not_relevant: Map @ 10 of [U, U, R], judged [1] => 1.0 / 3.0;
        map_nothing_retrieved: Map @ 10 of [], judged [1] => 0.0;
        // Reciprocal rank, full and cut at k.
        rr_second: RecipRank @ 1 of [N, R, R], judged [1, 1, 0] => 0.5;
        rr_deep: RecipRank @ 1 of [U, U, U, U, R], judged [1] => 0.2;
        rr_none: RecipRank @ 10 of [N, U], judged [1, 0] => 0.0;
        mrr_within_k: Mrr @ 3 of [N, U, R], judged [1] => 1.0 / 3.0;
        mrr_beyond_k: Mrr @ 2 of [N, U, R], judged [1] => 0.0;
        mrr_marginal_grade_counts: Mrr @ 10 of [Some(1)], judged [1, 3] => 1.0;
        // Judged share of the top k, denominator k.
        judged_any_grade: Judged @ 4 of [R, N, U, Some(3)], judged [1, 0, 3] => 0.75;
        judged_short_run: Judged @ 10 of [N, N], judged [0, 0] => 0.2;
        judged_counts_without_relevant: Judged @ 1 of [N], judged [0] => 1.0;
        // nDCG: gain = grade, discount log2(rank + 1), ideal from all judged grades.
        ndcg_perfect: Ndcg @ 3 of [Some(3), Some(2), Some(1)], judged [1, 2, 3] => 1.0;
        ndcg_swapped: Ndcg @ 2 of [Some(1), Some(3)], judged [3, 1]
            => (1.0 + 3.0 / LOG2_3) / (3.0 + 1.0 / LOG2_3);
        ndcg_ideal_uses_unretrieved: Ndcg @ 2 of [Some(2), U], judged [2, 3, 0]
            => 2.0 / (3.0 + 2.0 / LOG2_3);
        ndcg_ideal_is_cut_at_k: Ndcg @ 1 of [Some(2), Some(3)], judged [3, 2] => 2.0 / 3.0;
        ndcg_grade_zero_no_gain: Ndcg @ 3 of [N, U, Some(1)], judged [0, 1] => 1.0 / 2.0;
        ndcg_only_grade_zero: Ndcg @ 3 of [N], judged [0] => 0.0;
        ndcg_nothing_retrieved: Ndcg @ 3 of [], judged [2] => 0.0;
    };

    #[test]
    fn metrics_on_hand_computed_cases() {
        let mut failures = Vec::new();
        for case in CASES {
            let values = MetricValues::for_ranking(case.ranked, case.judged, case.k);
            let actual = values.get(case.metric);
            if (actual - case.expected).abs() > 1e-12 {
                failures.push(format!(
                    "{}: {:?} expected {} got {}",
                    case.name, case.metric, case.expected, actual
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    #[should_panic(expected = "at least 1")]
    fn k_zero_panics() {
        MetricValues::for_ranking(&[R], &[1], 0);
    }

    #[test]
    fn labels_and_keys() {
        let labels: Vec<String> = Metric::ALL.iter().map(|m| m.label(10)).collect();
        assert_eq!(
            labels,
            [
                "nDCG@10",
                "MAP",
                "RR",
                "MRR@10",
                "P@10",
                "Recall@10",
                "Judged@10"
            ]
        );
        assert_eq!(
            Metric::Ndcg.trec_eval_name(5).as_deref(),
            Some("ndcg_cut_5")
        );
        assert_eq!(Metric::Precision.trec_eval_name(5).as_deref(), Some("P_5"));
        assert_eq!(Metric::Judged.trec_eval_name(5), None);
        for metric in Metric::ALL {
            let json = serde_json::to_string(&metric).unwrap();
            assert_eq!(json, format!("\"{}\"", metric.key()));
        }
    }

    #[test]
    fn get_mut_addresses_the_same_field_as_get() {
        let mut values = MetricValues::default();
        for (index, metric) in Metric::ALL.into_iter().enumerate() {
            *values.get_mut(metric) = index as f64;
        }
        for (index, metric) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(values.get(metric), index as f64);
        }
    }
}
