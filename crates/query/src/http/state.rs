//! What the handlers share: the searcher (one reader, reloaded after every commit), the
//! demand matcher, the single index writer, the limits and the metrics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use techmatch_indexer::SupplyWriter;

use super::config::{ApiKey, Limits};
use super::errors::ApiError;
use super::metrics::Metrics;
use crate::{DemandMatcher, Searcher};

/// The state shared by every request.
pub struct AppState {
    /// The search box.
    pub searcher: Searcher,
    /// Demand matching over the same reader.
    pub matcher: DemandMatcher,
    /// The write side; `None` when no API key is configured (writes disabled).
    pub writes: Option<Writes>,
    /// The limits.
    pub limits: Limits,
    /// Request and index metrics.
    pub metrics: Metrics,
    /// Set when shutdown begins: `/readyz` turns 503 so load balancers stop sending.
    pub shutting_down: AtomicBool,
    /// The OpenAPI document, rendered once.
    pub openapi_json: String,
    /// Permits of the concurrency limit.
    pub permits: Arc<tokio::sync::Semaphore>,
}

/// The single writer of the process and the key that guards it.
pub struct Writes {
    /// The bearer key.
    pub key: ApiKey,
    /// Taken by shutdown (then `None`); a std mutex because it is only locked inside
    /// `spawn_blocking`.
    pub writer: Mutex<Option<SupplyWriter>>,
}

impl Writes {
    /// Locks the writer. Whatever an earlier request left uncommitted (it failed or
    /// panicked half-way) is rolled back first, so every write starts from the last commit.
    pub fn lock(&self) -> Result<WriterGuard<'_>, ApiError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let Some(writer) = guard.as_mut() else {
            return Err(ApiError::unavailable("the server is shutting down"));
        };
        if writer.pending() > 0 {
            tracing::warn!(
                pending = writer.pending(),
                "rolling back changes left by a failed request"
            );
            writer.rollback().map_err(ApiError::internal)?;
        }
        Ok(WriterGuard { guard })
    }
}

/// A locked writer with nothing pending.
pub struct WriterGuard<'a> {
    guard: MutexGuard<'a, Option<SupplyWriter>>,
}

impl WriterGuard<'_> {
    /// The writer.
    pub fn writer(&mut self) -> &mut SupplyWriter {
        self.guard.as_mut().expect("checked when locked")
    }
}

impl AppState {
    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Makes the last commit visible to every search at once (instead of the reader's
    /// periodic reload).
    pub fn reload(&self) -> Result<(), ApiError> {
        self.searcher.reader().reload().map_err(ApiError::internal)
    }
}

/// The shared state as handlers receive it.
pub type SharedState = Arc<AppState>;

/// Runs blocking index work off the async executor, inside the request's span (so its
/// logs carry the request id).
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await?
}
