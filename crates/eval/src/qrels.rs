//! Relevance judgments in TREC qrels format: `QUERY_ID ITERATION DOC_ID GRADE`.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::{Error, Result};
use crate::lines::{columns, data_lines, read_text};

/// The lowest grade that counts as relevant for MAP, reciprocal rank, precision and
/// recall (trec_eval's default `-l 1`). nDCG uses the grade itself as the gain.
pub const RELEVANCE_THRESHOLD: u32 = 1;

const FORMAT: &str = "QUERY_ID ITERATION DOC_ID GRADE";

/// The judgments of a qrels file, by query.
///
/// ```
/// let qrels = techmatch_eval::Qrels::parse("qrels.txt", "Q1 0 S7 3\nQ1 0 S9 0\n")?;
/// assert_eq!(qrels.grade("Q1", "S7"), Some(3));
/// assert_eq!(qrels.grade("Q1", "S8"), None);
/// assert_eq!(qrels.query("Q1").unwrap().num_relevant(), 1);
/// # Ok::<(), techmatch_eval::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Qrels {
    name: String,
    queries: BTreeMap<String, QueryJudgments>,
}

/// The judgments of one query: a grade for each judged document.
#[derive(Debug, Clone, Default)]
pub struct QueryJudgments {
    grades: HashMap<String, u32>,
    num_relevant: usize,
}

impl QueryJudgments {
    /// The grade of a document, `None` when it was not judged.
    pub fn grade(&self, doc: &str) -> Option<u32> {
        self.grades.get(doc).copied()
    }

    /// How many documents have a grade of at least [`RELEVANCE_THRESHOLD`].
    pub fn num_relevant(&self) -> usize {
        self.num_relevant
    }

    /// How many documents were judged, whatever their grade.
    pub fn len(&self) -> usize {
        self.grades.len()
    }

    /// Whether no document was judged (never true for a query read from a file).
    pub fn is_empty(&self) -> bool {
        self.grades.is_empty()
    }

    /// Every judged document with its grade, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.grades
            .iter()
            .map(|(doc, &grade)| (doc.as_str(), grade))
    }
}

impl Qrels {
    /// Reads a qrels file.
    pub fn from_path(path: &Path) -> Result<Qrels> {
        let text = read_text(path)?;
        Qrels::parse(&path.display().to_string(), &text)
    }

    /// Parses qrels text; `name` is the file name that errors report.
    ///
    /// Each non-blank line is `QUERY_ID ITERATION DOC_ID GRADE`, columns separated by
    /// spaces or tabs. The iteration column may be any token (trec_eval ignores it);
    /// the grade is a non-negative integer. A (query, document) pair judged twice is an
    /// error, as is a file without a judgment.
    pub fn parse(name: &str, text: &str) -> Result<Qrels> {
        // Grades with the line each came from, to report both lines of a duplicate.
        let mut parsed: BTreeMap<String, HashMap<String, (u32, usize)>> = BTreeMap::new();
        for (line_number, line) in data_lines(text) {
            let [query, _iteration, doc, grade] = columns::<4>(name, line_number, line, FORMAT)?;
            let grade: u32 = grade.parse().map_err(|_| Error::InvalidGrade {
                file: name.to_owned(),
                line: line_number,
                value: grade.to_owned(),
            })?;
            let judgments = parsed.entry(query.to_owned()).or_default();
            match judgments.entry(doc.to_owned()) {
                Entry::Occupied(first) => {
                    return Err(Error::DuplicateJudgment {
                        file: name.to_owned(),
                        line: line_number,
                        first_line: first.get().1,
                        query: query.to_owned(),
                        doc: doc.to_owned(),
                    })
                }
                Entry::Vacant(slot) => {
                    slot.insert((grade, line_number));
                }
            }
        }
        if parsed.is_empty() {
            return Err(Error::Empty {
                file: name.to_owned(),
                kind: "qrels",
                what: "judgment",
            });
        }
        let queries = parsed
            .into_iter()
            .map(|(query, judgments)| {
                let grades: HashMap<String, u32> = judgments
                    .into_iter()
                    .map(|(doc, (grade, _))| (doc, grade))
                    .collect();
                let num_relevant = grades
                    .values()
                    .filter(|&&grade| grade >= RELEVANCE_THRESHOLD)
                    .count();
                (
                    query,
                    QueryJudgments {
                        grades,
                        num_relevant,
                    },
                )
            })
            .collect();
        Ok(Qrels {
            name: name.to_owned(),
            queries,
        })
    }

    /// The file name given when reading.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The judgments of one query, `None` when the query has none.
    pub fn query(&self, query: &str) -> Option<&QueryJudgments> {
        self.queries.get(query)
    }

    /// The grade of a document for a query, `None` when not judged.
    pub fn grade(&self, query: &str, doc: &str) -> Option<u32> {
        self.queries.get(query)?.grade(doc)
    }

    /// Every judged query, ordered by id.
    pub fn queries(&self) -> impl Iterator<Item = (&str, &QueryJudgments)> {
        self.queries
            .iter()
            .map(|(query, judgments)| (query.as_str(), judgments))
    }

    /// How many queries have at least one judgment.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether there is no query (never true for qrels read from a file).
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// How many judgments there are over all queries.
    pub fn num_judgments(&self) -> usize {
        self.queries.values().map(QueryJudgments::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> Error {
        Qrels::parse("qrels.txt", text).expect_err("the qrels should be rejected")
    }

    #[test]
    fn reads_grades_and_ignores_the_iteration_column() {
        let qrels = Qrels::parse("q", "Q1 0 S1 3\nQ1 Q0 S2 0\r\n\nQ2\titer7\tS1\t12\n").unwrap();
        assert_eq!(qrels.len(), 2);
        assert_eq!(qrels.num_judgments(), 3);
        assert_eq!(qrels.grade("Q1", "S1"), Some(3));
        assert_eq!(qrels.grade("Q1", "S2"), Some(0));
        assert_eq!(qrels.grade("Q2", "S1"), Some(12));
        assert_eq!(qrels.query("Q1").unwrap().num_relevant(), 1);
        assert_eq!(qrels.query("Q3").map(QueryJudgments::len), None);
    }

    #[test]
    fn wrong_column_count_names_the_line() {
        let error = error_of("Q1 0 S1 1\nQ1 0 S2\n");
        assert!(matches!(
            error,
            Error::ColumnCount {
                line: 2,
                expected: 4,
                found: 3,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "qrels.txt:2: expected 4 columns (QUERY_ID ITERATION DOC_ID GRADE), found 3"
        );
        assert_eq!(error_of("Q1 0 S1 1 extra\n").line(), Some(1));
    }

    #[test]
    fn non_numeric_grade_is_rejected() {
        let error = error_of("Q1 0 S1 1\n\nQ1 0 S2 high\n");
        assert!(matches!(&error, Error::InvalidGrade { line: 3, value, .. } if value == "high"));
        assert_eq!(
            error.to_string(),
            "qrels.txt:3: grade \"high\" is not a non-negative integer"
        );
    }

    #[test]
    fn negative_or_fractional_grade_is_rejected() {
        assert!(matches!(
            error_of("Q1 0 S1 -1\n"),
            Error::InvalidGrade { line: 1, .. }
        ));
        assert!(matches!(
            error_of("Q1 0 S1 1.5\n"),
            Error::InvalidGrade { line: 1, .. }
        ));
    }

    #[test]
    fn duplicate_judgment_reports_both_lines() {
        let error = error_of("Q1 0 S1 1\nQ2 0 S1 1\nQ1 0 S1 2\n");
        assert!(matches!(
            error,
            Error::DuplicateJudgment {
                line: 3,
                first_line: 1,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "qrels.txt:3: query \"Q1\" judges document \"S1\" a second time (first on line 1)"
        );
    }

    #[test]
    fn empty_file_is_rejected() {
        for text in ["", "\n", "  \n\t\n"] {
            let error = error_of(text);
            assert!(matches!(error, Error::Empty { .. }), "{text:?}");
            assert_eq!(
                error.to_string(),
                "qrels.txt: empty qrels file: no judgment"
            );
        }
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qrels.txt");
        std::fs::write(&path, b"Q1 0 S1 1\nQ1 0 S\xff2 1\n").unwrap();
        let error = Qrels::from_path(&path).unwrap_err();
        assert!(
            matches!(error, Error::InvalidUtf8 { line: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let error = Qrels::from_path(Path::new("/nonexistent/qrels.txt")).unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
        assert!(error
            .to_string()
            .starts_with("cannot read /nonexistent/qrels.txt: "));
    }
}
