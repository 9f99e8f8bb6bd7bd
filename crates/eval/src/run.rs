//! Ranked results in TREC run format: `QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME`.
//!
//! Reading ([`Run`]) keeps every query's results in trec_eval's order; writing
//! ([`RunLine`], [`write_trec`]) is for the crates that produce runs.

use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lines::{columns, data_lines, read_text};

const FORMAT: &str = "QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME";

/// A run: for each query, the retrieved documents in the order trec_eval ranks them.
///
/// trec_eval ignores the rank column. It stores a score as a C `float` and sorts by that
/// score, descending, breaking ties by document id, descending (byte order). `Run` does
/// the same, so two scores that differ only beyond `f32` precision are a tie.
///
/// ```
/// let run = techmatch_eval::Run::parse(
///     "bm25.run",
///     "Q1 Q0 S1 1 2.5 bm25\nQ1 Q0 S2 2 2.5 bm25\nQ1 Q0 S3 3 9.0 bm25\n",
/// )?;
/// let docs: Vec<&str> = run.ranking("Q1").iter().map(|e| e.doc.as_str()).collect();
/// assert_eq!(docs, ["S3", "S2", "S1"]);
/// # Ok::<(), techmatch_eval::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Run {
    name: String,
    run_name: String,
    queries: BTreeMap<String, Vec<RunEntry>>,
}

/// One retrieved document of a query, as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunEntry {
    /// The document id.
    pub doc: String,
    /// The score as written (ranking compares it at `f32` precision, as trec_eval does).
    pub score: f64,
    /// The rank column as written; it plays no part in the ranking.
    pub rank: u64,
}

impl RunEntry {
    /// Orders two results of a query as trec_eval does: score (as `f32`) descending,
    /// then document id descending.
    pub fn trec_eval_order(&self, other: &RunEntry) -> Ordering {
        let (mine, theirs) = (self.score as f32, other.score as f32);
        theirs
            .partial_cmp(&mine)
            .unwrap_or(Ordering::Equal)
            .then_with(|| other.doc.as_bytes().cmp(self.doc.as_bytes()))
    }
}

/// One line of a run file.
///
/// Its `Display` form is the TREC line, `QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME`, with the
/// score written so that it reads back to the same `f64`.
///
/// ```
/// use techmatch_eval::RunLine;
/// let lines = RunLine::ranked("Q7", "bm25", [("S12", 8.25), ("S3", 7.0)]);
/// assert_eq!(lines[1].to_string(), "Q7 Q0 S3 2 7 bm25");
/// let mut out = Vec::new();
/// techmatch_eval::write_trec(&mut out, &lines)?;
/// assert_eq!(String::from_utf8(out).unwrap(), "Q7 Q0 S12 1 8.25 bm25\nQ7 Q0 S3 2 7 bm25\n");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunLine {
    /// The query id.
    pub query: String,
    /// The document id.
    pub doc: String,
    /// The rank, from 1.
    pub rank: u64,
    /// The score; higher is better.
    pub score: f64,
    /// The name of the system or configuration that produced the run.
    pub run_name: String,
}

impl RunLine {
    /// The lines of one query's ranked results, numbered from rank 1 in the order given.
    ///
    /// Give the results best first with non-increasing scores. Where scores tie,
    /// trec_eval ranks the larger document id first whatever the order given.
    pub fn ranked<D: Into<String>>(
        query: &str,
        run_name: &str,
        results: impl IntoIterator<Item = (D, f64)>,
    ) -> Vec<RunLine> {
        results
            .into_iter()
            .zip(1..)
            .map(|((doc, score), rank)| RunLine {
                query: query.to_owned(),
                doc: doc.into(),
                rank,
                score,
                run_name: run_name.to_owned(),
            })
            .collect()
    }
}

impl fmt::Display for RunLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} Q0 {} {} {} {}",
            self.query, self.doc, self.rank, self.score, self.run_name
        )
    }
}

/// Writes run lines in TREC format, one per line.
///
/// Fails with [`io::ErrorKind::InvalidInput`] before writing a line that could not be
/// read back: an empty id or run name, one with whitespace, rank 0, or a NaN score.
pub fn write_trec<'a, W: Write>(
    mut out: W,
    lines: impl IntoIterator<Item = &'a RunLine>,
) -> io::Result<()> {
    for line in lines {
        check_writable(line)?;
        writeln!(out, "{line}")?;
    }
    out.flush()
}

fn check_writable(line: &RunLine) -> io::Result<()> {
    let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
    for (what, value) in [
        ("query id", &line.query),
        ("document id", &line.doc),
        ("run name", &line.run_name),
    ] {
        if value.is_empty() || value.bytes().any(|byte| byte.is_ascii_whitespace()) {
            return invalid(format!(
                "cannot write a run line: {what} {value:?} is empty or has whitespace"
            ));
        }
    }
    if line.rank == 0 {
        return invalid(format!(
            "cannot write a run line: rank 0 for query {:?}",
            line.query
        ));
    }
    if line.score.is_nan() {
        return invalid(format!(
            "cannot write a run line: NaN score for query {:?}",
            line.query
        ));
    }
    Ok(())
}

impl Run {
    /// Reads a run file.
    pub fn from_path(path: &Path) -> Result<Run> {
        let text = read_text(path)?;
        Run::parse(&path.display().to_string(), &text)
    }

    /// Parses run text; `name` is the file name that errors report.
    ///
    /// Each non-blank line is `QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME`, columns separated
    /// by spaces or tabs. The second column may be any token; the rank is an integer of
    /// at least 1; the score is a number, not NaN. A document retrieved twice for one
    /// query is an error, as is a file without a result.
    pub fn parse(name: &str, text: &str) -> Result<Run> {
        let mut builder = RunBuilder::new(name);
        for (line_number, line) in data_lines(text) {
            let [query, _q0, doc, rank, score, run_name] =
                columns::<6>(name, line_number, line, FORMAT)?;
            let rank = parse_rank(rank).ok_or_else(|| Error::InvalidRank {
                file: name.to_owned(),
                line: line_number,
                value: rank.to_owned(),
            })?;
            let score = parse_score(score).ok_or_else(|| Error::InvalidScore {
                file: name.to_owned(),
                line: line_number,
                value: score.to_owned(),
            })?;
            builder.push(line_number, query, doc, rank, score, run_name)?;
        }
        builder.finish()
    }

    /// Builds a run from lines in memory, checked as [`Run::parse`] checks a file; an
    /// error's line number is the 1-based position of the line in `lines`.
    pub fn from_lines(name: &str, lines: impl IntoIterator<Item = RunLine>) -> Result<Run> {
        let mut builder = RunBuilder::new(name);
        for (line, line_number) in lines.into_iter().zip(1..) {
            if line.rank == 0 {
                return Err(Error::InvalidRank {
                    file: name.to_owned(),
                    line: line_number,
                    value: "0".to_owned(),
                });
            }
            if line.score.is_nan() {
                return Err(Error::InvalidScore {
                    file: name.to_owned(),
                    line: line_number,
                    value: "NaN".to_owned(),
                });
            }
            builder.push(
                line_number,
                &line.query,
                &line.doc,
                line.rank,
                line.score,
                &line.run_name,
            )?;
        }
        builder.finish()
    }

    /// The file name given when reading.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The RUN_NAME column of the first line.
    pub fn run_name(&self) -> &str {
        &self.run_name
    }

    /// One query's results in trec_eval's order; empty when the run has none for it.
    pub fn ranking(&self, query: &str) -> &[RunEntry] {
        self.queries.get(query).map_or(&[], Vec::as_slice)
    }

    /// Whether the run has at least one result for the query.
    pub fn contains_query(&self, query: &str) -> bool {
        self.queries.contains_key(query)
    }

    /// Every query with its results in trec_eval's order, ordered by query id.
    pub fn queries(&self) -> impl Iterator<Item = (&str, &[RunEntry])> {
        self.queries
            .iter()
            .map(|(query, entries)| (query.as_str(), entries.as_slice()))
    }

    /// How many queries have at least one result.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether there is no query (never true for a run read from a file).
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// How many results there are over all queries.
    pub fn num_results(&self) -> usize {
        self.queries.values().map(Vec::len).sum()
    }

    /// The run as lines in trec_eval's order, ranks renumbered from 1 to match it.
    pub fn to_lines(&self) -> Vec<RunLine> {
        self.queries
            .iter()
            .flat_map(|(query, entries)| {
                RunLine::ranked(
                    query,
                    &self.run_name,
                    entries
                        .iter()
                        .map(|entry| (entry.doc.as_str(), entry.score)),
                )
            })
            .collect()
    }

    /// Writes the run in TREC format (see [`Run::to_lines`]).
    pub fn write_trec<W: Write>(&self, out: W) -> io::Result<()> {
        write_trec(out, &self.to_lines())
    }
}

fn parse_rank(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|&rank| rank >= 1)
}

fn parse_score(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|score| !score.is_nan())
}

/// Collects results, rejecting duplicates, then sorts each query in trec_eval's order.
struct RunBuilder<'a> {
    name: &'a str,
    run_name: Option<String>,
    queries: BTreeMap<String, Vec<RunEntry>>,
    first_lines: HashMap<String, HashMap<String, usize>>,
}

impl<'a> RunBuilder<'a> {
    fn new(name: &'a str) -> Self {
        RunBuilder {
            name,
            run_name: None,
            queries: BTreeMap::new(),
            first_lines: HashMap::new(),
        }
    }

    fn push(
        &mut self,
        line_number: usize,
        query: &str,
        doc: &str,
        rank: u64,
        score: f64,
        run_name: &str,
    ) -> Result<()> {
        let seen = self.first_lines.entry(query.to_owned()).or_default();
        match seen.entry(doc.to_owned()) {
            Entry::Occupied(first) => {
                return Err(Error::DuplicateRunEntry {
                    file: self.name.to_owned(),
                    line: line_number,
                    first_line: *first.get(),
                    query: query.to_owned(),
                    doc: doc.to_owned(),
                })
            }
            Entry::Vacant(slot) => {
                slot.insert(line_number);
            }
        }
        self.run_name.get_or_insert_with(|| run_name.to_owned());
        self.queries
            .entry(query.to_owned())
            .or_default()
            .push(RunEntry {
                doc: doc.to_owned(),
                score,
                rank,
            });
        Ok(())
    }

    fn finish(mut self) -> Result<Run> {
        let Some(run_name) = self.run_name else {
            return Err(Error::Empty {
                file: self.name.to_owned(),
                kind: "run",
                what: "result",
            });
        };
        for entries in self.queries.values_mut() {
            entries.sort_by(RunEntry::trec_eval_order);
        }
        Ok(Run {
            name: self.name.to_owned(),
            run_name,
            queries: self.queries,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> Error {
        Run::parse("a.run", text).expect_err("the run should be rejected")
    }

    fn docs(run: &Run, query: &str) -> Vec<String> {
        run.ranking(query).iter().map(|e| e.doc.clone()).collect()
    }

    #[test]
    fn ranks_by_score_then_docid_descending_ignoring_the_rank_column() {
        let run = Run::parse(
            "a.run",
            "Q1 Q0 A 1 1.0 x\nQ1 Q0 C 2 1.0 x\nQ1 Q0 B 3 1.0 x\nQ1 Q0 D 4 5 x\nQ1 Q0 E 5 -2 x\n",
        )
        .unwrap();
        assert_eq!(docs(&run, "Q1"), ["D", "C", "B", "A", "E"]);
    }

    #[test]
    fn scores_equal_as_f32_are_ties() {
        // 1.00000001 and 1.0 are one f32; trec_eval then puts the larger docid first.
        let run = Run::parse("a.run", "Q1 Q0 a 1 1.00000001 x\nQ1 Q0 b 2 1.0 x\n").unwrap();
        assert_eq!(docs(&run, "Q1"), ["b", "a"]);
        let run = Run::parse("a.run", "Q1 Q0 a 1 1.0000002 x\nQ1 Q0 b 2 1.0 x\n").unwrap();
        assert_eq!(docs(&run, "Q1"), ["a", "b"]);
    }

    #[test]
    fn docid_ties_break_in_byte_order() {
        let run = Run::parse("a.run", "Q Q0 a 1 0 x\nQ Q0 B 1 0 x\nQ Q0 é 1 -0 x\n").unwrap();
        assert_eq!(docs(&run, "Q"), ["é", "a", "B"]);
    }

    #[test]
    fn reads_queries_and_run_name() {
        let run = Run::parse("a.run", "Q2 Q0 S1 1 3 bm25\n\nQ1\tQ0\tS1\t1\t2e1\tbm25\r\n").unwrap();
        assert_eq!(run.len(), 2);
        assert_eq!(run.num_results(), 2);
        assert_eq!(run.run_name(), "bm25");
        assert_eq!(run.ranking("Q1")[0].score, 20.0);
        assert!(run.ranking("Q3").is_empty());
        assert!(!run.contains_query("Q3"));
    }

    #[test]
    fn wrong_column_count_names_the_line() {
        let error = error_of("Q1 Q0 S1 1 2.0 x\nQ1 Q0 S2 2 1.0\n");
        assert!(matches!(
            error,
            Error::ColumnCount {
                line: 2,
                expected: 6,
                found: 5,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "a.run:2: expected 6 columns (QUERY_ID Q0 DOC_ID RANK SCORE RUN_NAME), found 5"
        );
    }

    #[test]
    fn rank_must_be_an_integer_from_one() {
        for bad in ["0", "-1", "1.5", "first"] {
            let error = error_of(&format!("Q1 Q0 S1 1 2 x\nQ1 Q0 S2 {bad} 1 x\n"));
            assert!(
                matches!(&error, Error::InvalidRank { line: 2, value, .. } if value == bad),
                "{bad}: {error}"
            );
        }
        assert_eq!(
            error_of("Q1 Q0 S1 0 2 x\n").to_string(),
            "a.run:1: rank \"0\" is not an integer >= 1"
        );
    }

    #[test]
    fn score_must_be_a_number() {
        for bad in ["high", "NaN", "nan", "1,5", ""] {
            let line = format!("Q1 Q0 S1 1 {bad} x\n");
            let error = error_of(&line);
            if bad.is_empty() {
                assert!(matches!(error, Error::ColumnCount { line: 1, .. }));
            } else {
                assert!(
                    matches!(&error, Error::InvalidScore { line: 1, value, .. } if value == bad),
                    "{bad}: {error}"
                );
            }
        }
        assert_eq!(
            error_of("Q1 Q0 S1 1 NaN x\n").to_string(),
            "a.run:1: score \"NaN\" is not a number"
        );
    }

    #[test]
    fn duplicate_result_reports_both_lines() {
        let error = error_of("Q1 Q0 S1 1 2 x\nQ2 Q0 S1 1 2 x\nQ1 Q0 S2 2 1 x\nQ1 Q0 S1 3 0 x\n");
        assert!(matches!(
            error,
            Error::DuplicateRunEntry {
                line: 4,
                first_line: 1,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "a.run:4: query \"Q1\" retrieves document \"S1\" a second time (first on line 1)"
        );
    }

    #[test]
    fn empty_file_is_rejected() {
        let error = error_of("\n\n");
        assert!(matches!(error, Error::Empty { .. }));
        assert_eq!(error.to_string(), "a.run: empty run file: no result");
    }

    #[test]
    fn from_lines_checks_like_the_parser() {
        let mut lines = RunLine::ranked("Q1", "x", [("S1", 2.0), ("S2", 1.0)]);
        lines.push(lines[0].clone());
        let error = Run::from_lines("mem", lines).unwrap_err();
        assert!(matches!(
            error,
            Error::DuplicateRunEntry {
                line: 3,
                first_line: 1,
                ..
            }
        ));
        let nan = RunLine::ranked("Q1", "x", [("S1", f64::NAN)]);
        assert!(matches!(
            Run::from_lines("mem", nan),
            Err(Error::InvalidScore { line: 1, .. })
        ));
    }

    #[test]
    fn written_run_reads_back_identically() {
        let text =
            "Q1 Q0 S1 1 0.1 bm25\nQ1 Q0 S2 2 0.30000000000000004 bm25\nQ2 Q0 S9 1 1e-7 bm25\n";
        let run = Run::parse("a.run", text).unwrap();
        let mut out = Vec::new();
        run.write_trec(&mut out).unwrap();
        let written = String::from_utf8(out).unwrap();
        assert_eq!(
            written,
            "Q1 Q0 S2 1 0.30000000000000004 bm25\nQ1 Q0 S1 2 0.1 bm25\nQ2 Q0 S9 1 0.0000001 bm25\n"
        );
        let again = Run::parse("b.run", &written).unwrap();
        assert_eq!(again.to_lines(), run.to_lines());
    }

    #[test]
    fn writer_refuses_lines_that_would_not_read_back() {
        let mut line = RunLine::ranked("Q1", "bm25", [("S 1", 1.0)]).remove(0);
        let error = write_trec(Vec::new(), [&line]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        line.doc = "S1".into();
        line.rank = 0;
        assert!(write_trec(Vec::new(), [&line]).is_err());
        line.rank = 1;
        line.score = f64::NAN;
        assert!(write_trec(Vec::new(), [&line]).is_err());
    }
}
