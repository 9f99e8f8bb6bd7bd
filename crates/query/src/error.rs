//! Errors of the query crate.

/// What can go wrong while searching or matching.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request itself is invalid (a parameter out of range, a text too long, an unknown
    /// value); the message names the parameter at fault. Retrying the same request fails
    /// the same way.
    #[error("{0}")]
    Invalid(String),
    /// The index could not be opened or read.
    #[error(transparent)]
    Indexer(#[from] techmatch_indexer::IndexerError),
    /// An I/O error while reading the index.
    #[error("index read error: {0}")]
    Io(#[from] std::io::Error),
    /// An error from tantivy.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index lacks something this version needs (built by another version).
    #[error("the index is not usable: {0}")]
    Corrupt(String),
}

/// Result with [`QueryError`].
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
