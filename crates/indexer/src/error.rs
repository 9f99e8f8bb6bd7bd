//! Errors of the indexer: one per bad record (with file, line and field), and the errors of
//! the index itself.

use std::fmt;
use std::path::PathBuf;

/// What is wrong with one record, and where: `FILE:LINE: field FIELD: reason`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordError {
    /// The input file, as given on the command line.
    pub file: String,
    /// Line in a JSONL file, or row in a CSV/XLSX file (the header is row 1).
    pub line: usize,
    /// The field at fault, when one field is.
    pub field: Option<String>,
    /// What is wrong, in words a broker understands.
    pub reason: String,
    /// The record id, when it could be read.
    pub id: Option<String>,
}

impl RecordError {
    /// An error about one field.
    pub fn field(file: &str, line: usize, field: &str, reason: impl Into<String>) -> Self {
        RecordError {
            file: file.to_string(),
            line,
            field: Some(field.to_string()),
            reason: reason.into(),
            id: None,
        }
    }

    /// An error about the whole line or row.
    pub fn line(file: &str, line: usize, reason: impl Into<String>) -> Self {
        RecordError {
            file: file.to_string(),
            line,
            field: None,
            reason: reason.into(),
            id: None,
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(field) = &self.field {
            write!(f, "field {field}: ")?;
        }
        write!(f, "{}", self.reason)
    }
}

impl std::error::Error for RecordError {}

/// Errors of the index and of reading input files.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// An input file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Input {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The input file has a format we do not read.
    #[error("{path}: unsupported file type (expected .jsonl, .ndjson, .csv or .xlsx)")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// The spreadsheet could not be parsed.
    #[error("{path}: cannot read spreadsheet: {message}")]
    Spreadsheet {
        /// The file.
        path: PathBuf,
        /// What calamine said.
        message: String,
    },
    /// The index was built with another analyzer version.
    #[error(
        "the index at {dir} was built by analyzer version {found}, this techmatch uses version \
         {expected}; rebuild it: techmatch index --rebuild --index {dir} FILE..."
    )]
    AnalyzerMismatch {
        /// The index directory.
        dir: PathBuf,
        /// Version found in the index.
        found: u32,
        /// Version of this build.
        expected: u32,
    },
    /// The index was written by a techmatch version with other fields (e.g. before the
    /// glossary concepts were stored with each record).
    #[error(
        "the index at {dir} was written by another version of techmatch (its fields differ \
         from this version's); rebuild it: techmatch index --rebuild --index {dir} FILE... \
         (demands: add --kind demands)"
    )]
    SchemaMismatch {
        /// The index directory.
        dir: PathBuf,
    },
    /// The directory holds something that is not a techmatch index.
    #[error("{dir} is not a techmatch index ({reason}); use another directory or --rebuild")]
    NotAnIndex {
        /// The index directory.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// Another writer holds the index.
    #[error("the index at {dir} is locked by another writer (another 'techmatch index' or a running 'techmatch serve' with writes enabled); wait for it to finish or stop it")]
    Locked {
        /// The index directory.
        dir: PathBuf,
    },
    /// A line of the duplicate-decisions file cannot be read.
    #[error("{path}:{line}: not a duplicate decision ({reason}); fix or remove the line")]
    BadDecision {
        /// The decisions file.
        path: PathBuf,
        /// Its line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An error from tantivy.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A file system error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl IndexerError {
    /// Whether the cause is a full disk (ENOSPC) or an exhausted quota (EDQUOT).
    pub fn is_disk_full(&self) -> bool {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(error) = current {
            if let Some(io) = error.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::StorageFull
                    || matches!(io.raw_os_error(), Some(28 | 122))
                {
                    return true;
                }
            }
            current = error.source();
        }
        // Tantivy passes some I/O errors on as text only.
        let text = self.to_string();
        text.contains("No space left on device") || text.contains("os error 28")
    }
}

/// Result with [`IndexerError`].
pub type Result<T, E = IndexerError> = std::result::Result<T, E>;
