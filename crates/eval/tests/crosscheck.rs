//! Our metrics against trec_eval's, through pytrec_eval (`scripts/trec_crosscheck.py`).
//!
//! Every directory under `tests/fixtures/` is one case: a `qrels.txt`, any number of
//! `*.run` files, and optionally a `k.txt` listing the cut-offs to check (whitespace
//! separated; default 1 5 10 20 100). Every (qrels, run, k) is checked, so a new case is
//! a new directory and a new run is a new file: no code to change.
//!
//! The test needs `.venv/bin/python` with pytrec_eval at the repository root, which
//! `scripts/setup-python-venv` creates; without it the test fails and says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use techmatch_eval::{evaluate, Metric, Qrels, Run};

const DEFAULT_CUTOFFS: [usize; 5] = [1, 5, 10, 20, 100];
const TOLERANCE: f64 = 1e-6;

struct Job {
    qrels: PathBuf,
    run: PathBuf,
    k: usize,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every (qrels, run, k) of every case directory, in a stable order.
fn jobs() -> Vec<Job> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures is readable")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    let mut jobs = Vec::new();
    for case in cases {
        let qrels = case.join("qrels.txt");
        assert!(qrels.is_file(), "{} has no qrels.txt", case.display());
        let mut runs: Vec<PathBuf> = std::fs::read_dir(&case)
            .expect("case directory is readable")
            .map(|entry| entry.expect("case entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "run"))
            .collect();
        runs.sort();
        assert!(!runs.is_empty(), "{} has no *.run file", case.display());
        let cutoffs = match std::fs::read_to_string(case.join("k.txt")) {
            Ok(text) => text
                .split_whitespace()
                .map(|k| k.parse().expect("k.txt holds positive integers"))
                .collect(),
            Err(_) => DEFAULT_CUTOFFS.to_vec(),
        };
        for run in &runs {
            for &k in &cutoffs {
                jobs.push(Job {
                    qrels: qrels.clone(),
                    run: run.clone(),
                    k,
                });
            }
        }
    }
    jobs
}

fn reference_key(metric: Metric, k: usize) -> String {
    match metric {
        Metric::Mrr => format!("recip_rank_cut_{k}"),
        Metric::Judged => format!("judged_{k}"),
        _ => metric
            .trec_eval_name(k)
            .expect("every other metric has a trec_eval name"),
    }
}

fn reference_values(python: &Path, job: &Job) -> Value {
    let script = repo_root().join("scripts/trec_crosscheck.py");
    let output = Command::new(python)
        .arg(&script)
        .arg(&job.qrels)
        .arg(&job.run)
        .arg(job.k.to_string())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display()));
    assert!(
        output.status.success(),
        "{} {} {} {} failed:\n{}",
        script.display(),
        job.qrels.display(),
        job.run.display(),
        job.k,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// Mismatches between our evaluation and the script's, one message each.
fn check(job: &Job, reference: &Value) -> Vec<String> {
    let qrels = Qrels::from_path(&job.qrels).expect("fixture qrels are valid");
    let run = Run::from_path(&job.run).expect("fixture run is valid");
    let ours = evaluate(&qrels, &run, job.k);
    let context = format!(
        "{} / {} @{}",
        job.qrels
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        job.run.file_name().unwrap().to_string_lossy(),
        job.k
    );
    let mut mismatches = Vec::new();
    let mut compare = |what: String, ours: f64, theirs: &Value| match theirs.as_f64() {
        Some(theirs) if (ours - theirs).abs() <= TOLERANCE => {}
        _ => mismatches.push(format!(
            "{context}: {what}: ours {ours}, trec_eval {theirs}"
        )),
    };

    let their_queries = reference["queries"].as_object().expect("queries object");
    let our_ids: Vec<&str> = ours.queries.iter().map(|q| q.query.as_str()).collect();
    let their_ids: Vec<&str> = their_queries.keys().map(String::as_str).collect();
    if our_ids != their_ids {
        return vec![format!(
            "{context}: evaluated queries differ: ours {our_ids:?}, script {their_ids:?}"
        )];
    }
    for query in &ours.queries {
        for metric in Metric::ALL {
            let key = reference_key(metric, job.k);
            compare(
                format!("query {} {key}", query.query),
                query.values.get(metric),
                &their_queries[&query.query][&key],
            );
        }
    }
    for metric in Metric::ALL {
        let key = reference_key(metric, job.k);
        compare(
            format!("mean {key}"),
            ours.mean(metric),
            &reference["means"][&key],
        );
    }
    mismatches
}

#[test]
fn metrics_match_trec_eval_on_every_fixture() {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/setup-python-venv to create .venv with pytrec_eval, \
         which this cross-check against trec_eval needs",
        python.display()
    );
    let jobs = jobs();
    assert!(!jobs.is_empty(), "no fixture under tests/fixtures");

    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = jobs.len().div_ceil(threads);
    let mismatches: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|jobs| {
                let python = &python;
                scope.spawn(move || {
                    jobs.iter()
                        .flat_map(|job| check(job, &reference_values(python, job)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a cross-check thread panicked"))
            .collect()
    });
    assert!(
        mismatches.is_empty(),
        "{} values differ from trec_eval (first 40):\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("cross-checked {} (qrels, run, k) combinations", jobs.len());
}
