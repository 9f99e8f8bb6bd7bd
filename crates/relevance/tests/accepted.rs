//! The relevance regression test: techmatch's numbers on the bundled collection and on the
//! real development collections (`../shared/realdev/`, beside the repository, when it is
//! there) must not drop more than the tolerance below the values accepted in
//! `accepted.json`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use techmatch_relevance::{Collection, Report, SideSummary, System};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(
    side: &SideSummary,
    accepted: &Value,
    tolerance: f64,
    what: &str,
    failures: &mut Vec<String>,
) {
    let measured = [
        ("ndcg_at_10", side.ndcg_at_10),
        ("recall_at_50", side.recall_at_50),
        ("mrr_at_10", side.mrr_at_10),
    ];
    for (metric, value) in measured {
        if let Some(floor) = accepted.get(metric).and_then(Value::as_f64) {
            eprintln!("{what} {metric}: {value:.3} (accepted {floor:.3})");
            if value < floor - tolerance {
                failures.push(format!(
                    "{what} {metric} {value:.3} < accepted {floor:.3} - {tolerance}"
                ));
            }
        }
    }
}

#[test]
fn techmatch_keeps_its_accepted_relevance() {
    let accepted: Value =
        serde_json::from_str(include_str!("../accepted.json")).expect("accepted.json parses");
    let tolerance = accepted["tolerance"].as_f64().unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (dir, values) in accepted["collections"].as_object().unwrap() {
        let path = repo().join(dir);
        if !path.join("supplies.jsonl").exists() {
            assert!(
                dir.starts_with("../"),
                "{dir}: a collection of the repository is missing"
            );
            eprintln!("{dir}: not beside this checkout, skipped");
            continue;
        }
        let collection = Collection::load(&path).unwrap();
        let report = Report::compute(&collection, &Default::default()).unwrap();
        let summary = report.summary();
        let techmatch = summary
            .systems
            .iter()
            .find(|s| s.system == System::Techmatch)
            .unwrap();
        for side in techmatch_relevance::SIDES {
            let Some(floor) = values.get(side) else {
                continue;
            };
            let measured = match side {
                "queries" => techmatch.queries.as_ref(),
                "demands" => techmatch.demands.as_ref(),
                _ => techmatch.reverse.as_ref(),
            };
            let measured = measured.unwrap_or_else(|| panic!("{dir}: no judged {side}"));
            check(
                measured,
                floor,
                tolerance,
                &format!("{dir} {side}"),
                &mut failures,
            );
            if side == "queries" {
                for (tag, floor) in values
                    .get("by_tag")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let value = measured.ndcg_at_10_by_tag[tag].ndcg_at_10;
                    let floor = floor.as_f64().unwrap();
                    eprintln!(
                        "{dir} queries tagged {tag} ndcg_at_10: {value:.3} (accepted {floor:.3})"
                    );
                    if value < floor - tolerance {
                        failures.push(format!(
                            "{dir} {tag} nDCG@10 {value:.3} < accepted {floor:.3} - {tolerance}"
                        ));
                    }
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 1);
    assert!(
        failures.is_empty(),
        "relevance dropped:\n{}",
        failures.join("\n")
    );
}

/// Issue 21's bar for supply → demand matching on the bundled judged set: nDCG@10 at least
/// 0.75, and at least 0.10 above both in-process baselines (which, like techmatch, see the
/// open demands only).
#[test]
fn supplies_find_their_demands_well_ahead_of_the_baselines() {
    let collection = Collection::load(&repo().join("index-data")).unwrap();
    assert!(collection.reverse_qrels.is_some(), "no judged reverse set");
    let report = Report::compute(&collection, &Default::default()).unwrap();
    let summary = report.summary();
    let ndcg = |system: System| {
        summary
            .systems
            .iter()
            .find(|s| s.system == system)
            .and_then(|s| s.reverse.as_ref())
            .map(|side| side.ndcg_at_10)
            .unwrap()
    };
    let techmatch = ndcg(System::Techmatch);
    eprintln!("supply -> demand nDCG@10: techmatch {techmatch:.3}");
    assert!(techmatch >= 0.75, "nDCG@10 {techmatch:.3} < 0.75");
    for baseline in [System::TantivyFolded, System::TantivyDefault] {
        let value = ndcg(baseline);
        eprintln!("  {} {value:.3}", baseline.name());
        assert!(
            techmatch >= value + 0.10,
            "techmatch {techmatch:.3} leads {} ({value:.3}) by less than 0.10",
            baseline.name()
        );
    }
}
