//! The error type of the qrels and run readers.

use std::io;
use std::path::PathBuf;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a qrels or run file was rejected.
///
/// Every variant names the file (the path, or the name given to `parse`), and every
/// variant about one line carries its 1-based line number, so the `Display` form reads
/// `FILE:LINE: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A line is not valid UTF-8.
    #[error("{file}:{line}: line is not valid UTF-8")]
    InvalidUtf8 {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
    },
    /// A line does not have the number of whitespace-separated columns of its format.
    #[error("{file}:{line}: expected {expected} columns ({format}), found {found}")]
    ColumnCount {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// How many columns the format has.
        expected: usize,
        /// How many the line has.
        found: usize,
        /// The format's columns, for the message.
        format: &'static str,
    },
    /// The grade column of a qrels line is not a non-negative integer.
    #[error("{file}:{line}: grade {value:?} is not a non-negative integer")]
    InvalidGrade {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The column as written.
        value: String,
    },
    /// The rank column of a run line is not an integer >= 1.
    #[error("{file}:{line}: rank {value:?} is not an integer >= 1")]
    InvalidRank {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The column as written.
        value: String,
    },
    /// The score column of a run line is not a number, or is NaN.
    #[error("{file}:{line}: score {value:?} is not a number")]
    InvalidScore {
        /// The file.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// The column as written.
        value: String,
    },
    /// A qrels file judges the same (query, document) pair twice.
    #[error(
        "{file}:{line}: query {query:?} judges document {doc:?} a second time (first on line {first_line})"
    )]
    DuplicateJudgment {
        /// The file.
        file: String,
        /// The 1-based line number of the repeated judgment.
        line: usize,
        /// The 1-based line number of the first judgment.
        first_line: usize,
        /// The query id.
        query: String,
        /// The document id.
        doc: String,
    },
    /// A run file retrieves the same document twice for one query.
    #[error(
        "{file}:{line}: query {query:?} retrieves document {doc:?} a second time (first on line {first_line})"
    )]
    DuplicateRunEntry {
        /// The file.
        file: String,
        /// The 1-based line number of the repeated result.
        line: usize,
        /// The 1-based line number of the first result.
        first_line: usize,
        /// The query id.
        query: String,
        /// The document id.
        doc: String,
    },
    /// The file has no line of data (it is empty or only blank lines).
    #[error("{file}: empty {kind} file: no {what}")]
    Empty {
        /// The file.
        file: String,
        /// `"qrels"` or `"run"`.
        kind: &'static str,
        /// `"judgment"` or `"result"`.
        what: &'static str,
    },
}

impl Error {
    /// The 1-based line number the error is about, if it is about one line.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::InvalidUtf8 { line, .. }
            | Error::ColumnCount { line, .. }
            | Error::InvalidGrade { line, .. }
            | Error::InvalidRank { line, .. }
            | Error::InvalidScore { line, .. }
            | Error::DuplicateJudgment { line, .. }
            | Error::DuplicateRunEntry { line, .. } => Some(*line),
            Error::Io { .. } | Error::Empty { .. } => None,
        }
    }
}
