//! Errors of the query crate.

/// What can go wrong while searching or matching.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A request parameter is invalid; the message names it.
    #[error("{0}")]
    BadRequest(String),
    /// The index could not be opened or read.
    #[error(transparent)]
    Indexer(#[from] techmatch_indexer::IndexerError),
    /// An I/O error while reading the index.
    #[error("index read error: {0}")]
    Io(#[from] std::io::Error),
    /// An error from tantivy.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// Result with [`QueryError`].
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
