//! Invariants on arbitrary qrels and runs.

use std::collections::BTreeMap;

use proptest::prelude::*;
use techmatch_eval::{compare, evaluate, CompareOptions, Metric, Qrels, Run, RunEntry};

const OPTIONS: CompareOptions = CompareOptions {
    permutations: 200,
    seed: 17,
};

/// Qrels text over queries q0..q5 and documents d0..d29, grades 0..=4.
fn qrels_text() -> impl Strategy<Value = String> {
    prop::collection::vec((0u8..6, 0u8..30, 0u32..5), 1..60).prop_map(|judgments| {
        let unique: BTreeMap<(u8, u8), u32> = judgments
            .into_iter()
            .map(|(query, doc, grade)| ((query, doc), grade))
            .collect();
        unique
            .into_iter()
            .map(|((query, doc), grade)| format!("q{query} 0 d{doc} {grade}\n"))
            .collect()
    })
}

/// Run text over queries q0..q7 (q6, q7 never judged) and documents d0..d39; scores
/// from a small set, to make ties, or anywhere in a range.
fn run_text(name: &'static str) -> impl Strategy<Value = String> {
    let score = prop_oneof![Just(1.0), Just(0.5), Just(0.0), -20.0f64..20.0,];
    prop::collection::vec((0u8..8, 0u8..40, score), 1..120).prop_map(move |results| {
        let unique: BTreeMap<(u8, u8), f64> = results
            .into_iter()
            .map(|(query, doc, score)| ((query, doc), score))
            .collect();
        unique
            .into_iter()
            .map(|((query, doc), score)| format!("q{query} Q0 d{doc} 1 {score} {name}\n"))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn metrics_lie_in_unit_interval(qrels in qrels_text(), run in run_text("a"), k in 1usize..25) {
        let qrels = Qrels::parse("qrels", &qrels).unwrap();
        let run = Run::parse("run", &run).unwrap();
        let evaluation = evaluate(&qrels, &run, k);
        for query in &evaluation.queries {
            for metric in Metric::ALL {
                let value = query.values.get(metric);
                prop_assert!((0.0..=1.0).contains(&value), "{} {metric:?} = {value}", query.query);
                prop_assert!(!value.is_sign_negative(), "{} {metric:?} is -0", query.query);
            }
            prop_assert!(query.values.mrr <= query.values.recip_rank);
        }
        for metric in Metric::ALL {
            prop_assert!((0.0..=1.0).contains(&evaluation.mean(metric)));
        }
    }

    #[test]
    fn a_run_compared_with_itself_does_not_differ(qrels in qrels_text(), run in run_text("a"), k in 1usize..25) {
        let qrels = Qrels::parse("qrels", &qrels).unwrap();
        let run = Run::parse("run", &run).unwrap();
        let comparison = compare(&qrels, &run, &run, k, &OPTIONS);
        for compared in &comparison.metrics {
            prop_assert_eq!(compared.difference, 0.0);
            prop_assert_eq!(compared.p_value, 1.0);
            prop_assert_eq!((compared.wins, compared.losses), (0, 0));
            prop_assert_eq!(compared.ties, comparison.baseline.num_queries);
        }
    }

    #[test]
    fn swapping_runs_negates_differences_and_keeps_p_values(
        qrels in qrels_text(), a in run_text("a"), b in run_text("b"), k in 1usize..25,
    ) {
        let qrels = Qrels::parse("qrels", &qrels).unwrap();
        let a = Run::parse("a", &a).unwrap();
        let b = Run::parse("b", &b).unwrap();
        let forward = compare(&qrels, &a, &b, k, &OPTIONS);
        let backward = compare(&qrels, &b, &a, k, &OPTIONS);
        for (f, b) in forward.metrics.iter().zip(&backward.metrics) {
            prop_assert!((f.difference + b.difference).abs() < 1e-12);
            prop_assert_eq!(f.p_value, b.p_value);
            prop_assert!(f.p_value > 0.0 && f.p_value <= 1.0);
            prop_assert_eq!((f.wins, f.losses, f.ties), (b.losses, b.wins, b.ties));
        }
    }

    #[test]
    fn a_written_run_reads_back_with_the_same_rankings(run in run_text("a")) {
        let run = Run::parse("run", &run).unwrap();
        let mut written = Vec::new();
        run.write_trec(&mut written).unwrap();
        let again = Run::parse("again", std::str::from_utf8(&written).unwrap()).unwrap();
        for (query, entries) in run.queries() {
            let docs_and_scores = |entries: &[RunEntry]| -> Vec<(String, f64)> {
                entries.iter().map(|e| (e.doc.clone(), e.score)).collect()
            };
            prop_assert_eq!(docs_and_scores(entries), docs_and_scores(again.ranking(query)));
            let ranks: Vec<u64> = again.ranking(query).iter().map(|e| e.rank).collect();
            prop_assert_eq!(ranks, (1..=entries.len() as u64).collect::<Vec<_>>());
        }
    }
}
