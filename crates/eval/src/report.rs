//! Plain-text reports for people: aligned tables, metrics as rows. Machines read the
//! JSON form of [`Evaluation`] and [`Comparison`] (both implement `serde::Serialize`).

use std::fmt::Write;

use crate::compare::Comparison;
use crate::evaluation::Evaluation;
use crate::metrics::Metric;

/// p-values below this get a `*` in [`render_comparison`].
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;

/// The means of one evaluation, one metric per row.
///
/// ```text
/// qrels    qrels.txt
/// run      bm25.run (bm25)
/// queries  3 evaluated; 1 missing from the run (scored 0)
///
/// metric       mean
/// nDCG@10    0.6131
/// MAP        0.5417
/// ```
pub fn render_table(evaluation: &Evaluation) -> String {
    let mut out = String::new();
    let header = [
        ("qrels", evaluation.qrels.clone()),
        (
            "run",
            format!("{} ({})", evaluation.run, evaluation.run_name),
        ),
        (
            "queries",
            std::iter::once(query_summary(evaluation))
                .chain(run_notes(evaluation))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    out.push_str(&key_values(&header));
    out.push('\n');
    let rows = Metric::ALL
        .iter()
        .map(|metric| {
            vec![
                metric.label(evaluation.k),
                format!("{:.4}", evaluation.mean(*metric)),
            ]
        })
        .collect();
    out.push_str(&table(
        &["metric", "mean"],
        &[Align::Left, Align::Right],
        rows,
    ));
    out
}

/// Every evaluated query of one evaluation, one query per row, metrics as columns.
pub fn render_per_query(evaluation: &Evaluation) -> String {
    let mut header = vec![
        "query".to_owned(),
        "retrieved".to_owned(),
        "relevant".to_owned(),
    ];
    header.extend(Metric::ALL.iter().map(|metric| metric.label(evaluation.k)));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut align = vec![Align::Left];
    align.resize(header.len(), Align::Right);
    let rows = evaluation
        .queries
        .iter()
        .map(|query| {
            let mut row = vec![
                query.query.clone(),
                query.retrieved.to_string(),
                query.relevant.to_string(),
            ];
            row.extend(
                Metric::ALL
                    .iter()
                    .map(|metric| format!("{:.4}", query.values.get(*metric))),
            );
            row
        })
        .collect();
    table(&header, &align, rows)
}

/// A comparison of two runs, one metric per row: both means, the difference, the
/// p-value (starred below [`SIGNIFICANCE_LEVEL`]) and the candidate's per-query wins,
/// losses and ties.
pub fn render_comparison(comparison: &Comparison) -> String {
    let mut out = String::new();
    let header = [
        ("qrels", comparison.baseline.qrels.clone()),
        ("baseline", run_line(&comparison.baseline)),
        ("candidate", run_line(&comparison.candidate)),
        ("queries", query_summary(&comparison.baseline)),
        (
            "test",
            format!(
                "paired randomization, {} permutations, seed {}; * p < {}",
                comparison.options.permutations, comparison.options.seed, SIGNIFICANCE_LEVEL
            ),
        ),
    ];
    out.push_str(&key_values(&header));
    out.push('\n');
    let rows = comparison
        .metrics
        .iter()
        .map(|compared| {
            vec![
                compared.metric.label(comparison.k),
                format!("{:.4}", compared.baseline),
                format!("{:.4}", compared.candidate),
                format!("{:+.4}", compared.difference),
                format!("{:.4}", compared.p_value),
                compared.wins.to_string(),
                compared.losses.to_string(),
                compared.ties.to_string(),
                if compared.p_value < SIGNIFICANCE_LEVEL {
                    "*".to_owned()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let mut align = vec![Align::Left];
    align.resize(9, Align::Right);
    align[8] = Align::Left;
    out.push_str(&table(
        &[
            "metric",
            "baseline",
            "candidate",
            "diff",
            "p-value",
            "wins",
            "losses",
            "ties",
            "",
        ],
        &align,
        rows,
    ));
    out
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// "N evaluated", and the qrels queries left out.
fn query_summary(evaluation: &Evaluation) -> String {
    let mut parts = vec![format!("{} evaluated", evaluation.num_queries)];
    if !evaluation.ignored_without_relevant.is_empty() {
        parts.push(format!(
            "{} without a relevant judgment ignored",
            plural(
                evaluation.ignored_without_relevant.len(),
                "qrels query",
                "qrels queries"
            )
        ));
    }
    parts.join("; ")
}

/// The queries of one run that were scored 0 or left out.
fn run_notes(evaluation: &Evaluation) -> Vec<String> {
    let mut notes = Vec::new();
    if !evaluation.missing_from_run.is_empty() {
        notes.push(format!(
            "{} missing from the run (scored 0)",
            evaluation.missing_from_run.len()
        ));
    }
    if !evaluation.ignored_unjudged.is_empty() {
        notes.push(format!(
            "{} not in the qrels ignored",
            plural(
                evaluation.ignored_unjudged.len(),
                "run query",
                "run queries"
            )
        ));
    }
    notes
}

/// `file (run name)`, then what happened to its queries, if anything.
fn run_line(evaluation: &Evaluation) -> String {
    let notes = run_notes(evaluation);
    let title = format!("{} ({})", evaluation.run, evaluation.run_name);
    if notes.is_empty() {
        title
    } else {
        format!("{title}: {}", notes.join("; "))
    }
}

fn key_values(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in pairs {
        writeln!(out, "{key:<width$}  {value}").expect("writing to a String cannot fail");
    }
    out
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// Columns separated by two spaces, each as wide as its widest cell; no trailing spaces.
fn table(header: &[&str], align: &[Align], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header_row: Vec<String> = header.iter().map(|cell| (*cell).to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header_row).chain(&rows) {
        let mut line = String::new();
        for ((cell, width), align) in row.iter().zip(&widths).zip(align) {
            if !line.is_empty() {
                line.push_str("  ");
            }
            let padding = " ".repeat(width - cell.chars().count());
            match align {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&padding);
                }
                Align::Right => {
                    line.push_str(&padding);
                    line.push_str(cell);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compare, evaluate, CompareOptions, Qrels, Run};

    fn fixtures() -> (Qrels, Run, Run) {
        let qrels =
            Qrels::parse("qrels.txt", "Q1 0 S1 2\nQ1 0 S2 1\nQ2 0 S3 1\nQ3 0 S4 1\n").unwrap();
        let a = Run::parse(
            "a.run",
            "Q1 Q0 S1 1 3 bm25\nQ1 Q0 S9 2 2 bm25\nQ2 Q0 S8 1 1 bm25\nQ9 Q0 S1 1 1 bm25\n",
        )
        .unwrap();
        let b = Run::parse(
            "b.run",
            "Q1 Q0 S2 1 3 rerank\nQ1 Q0 S1 2 2 rerank\nQ2 Q0 S3 1 1 rerank\n",
        )
        .unwrap();
        (qrels, a, b)
    }

    #[test]
    fn table_has_one_aligned_row_per_metric() {
        let (qrels, a, _) = fixtures();
        let text = render_table(&evaluate(&qrels, &a, 10));
        let expected = "\
qrels    qrels.txt
run      a.run (bm25)
queries  3 evaluated; 1 missing from the run (scored 0); 1 run query not in the qrels ignored

metric       mean
nDCG@10    0.2534
MAP        0.1667
RR         0.3333
MRR@10     0.3333
P@10       0.0333
Recall@10  0.1667
Judged@10  0.0333
";
        assert_eq!(text, expected);
    }

    #[test]
    fn comparison_rows_align_and_star_significant_metrics() {
        let (qrels, a, b) = fixtures();
        let comparison = compare(&qrels, &a, &b, 10, &CompareOptions::default());
        let text = render_comparison(&comparison);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "baseline   a.run (bm25): 1 missing from the run (scored 0); 1 run query not in the qrels ignored"
        );
        assert_eq!(
            lines[2],
            "candidate  b.run (rerank): 1 missing from the run (scored 0)"
        );
        assert_eq!(lines[3], "queries    3 evaluated");
        assert_eq!(
            lines[6],
            "metric     baseline  candidate     diff  p-value  wins  losses  ties"
        );
        assert!(
            lines[7].starts_with("nDCG@10      0.2534     0.6199  +0.3665"),
            "{}",
            lines[7]
        );
        // Every row is as long as its cells need, columns right-aligned under the header.
        let p_end = lines[6].find("p-value").unwrap() + "p-value".len();
        for line in &lines[7..] {
            assert!(line.as_bytes()[p_end - 1].is_ascii_digit(), "{line}");
        }
        assert!(
            lines[7..].iter().all(|line| !line.ends_with('*')),
            "3 queries cannot reach p < 0.05"
        );
    }

    #[test]
    fn per_query_table_lists_every_evaluated_query() {
        let (qrels, a, _) = fixtures();
        let text = render_per_query(&evaluate(&qrels, &a, 5));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines[0].starts_with("query  retrieved  relevant  nDCG@5"),
            "{text}"
        );
        assert!(!text.contains("-0.0"), "no negative zero: {text}");
        assert_eq!(
            lines[3],
            "Q3             0         1  0.0000  0.0000  0.0000  0.0000  0.0000    0.0000    0.0000"
        );
    }
}
