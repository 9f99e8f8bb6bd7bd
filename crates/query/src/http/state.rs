//! What the handlers share: the searcher (one reader, reloaded after every commit), the
//! demand matcher, the single index writer, the limits and the metrics.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use techmatch_indexer::{IndexerError, SupplyIndex, SupplyWriter};

use super::cache::AnswerCache;
use super::config::{ApiKey, Limits};
use super::errors::ApiError;
use super::metrics::Metrics;
use crate::{DemandMatcher, Searcher, SupplyMatcher};

/// The state shared by every request.
pub struct AppState {
    /// The search box.
    pub searcher: Searcher,
    /// Demand matching over the same reader.
    pub matcher: DemandMatcher,
    /// The write side; `None` when no API key is configured (writes disabled) or the server
    /// is a read-only replica.
    pub writes: Option<Writes>,
    /// Whether the server is a read-only replica of an index another process writes.
    pub read_only: bool,
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
    /// Permits to run index work (searches, suggestions, matches), one per core and one
    /// more: requests beyond that wait their turn in order, off the async workers, instead
    /// of piling up as threads that share the cores, each with its own analysis memo. The
    /// one more keeps the cores busy while a finished request hands its permit over (with
    /// one per core, 64 connections kept 1.54 of 2 cores busy; with one more, 1.82).
    pub cpu: Arc<tokio::sync::Semaphore>,
    /// The threads that run it, as many as there are permits: the same few threads serve
    /// every request, so their analysis memos and caches stay warm (tokio's blocking pool
    /// handed requests to a dozen threads in turn).
    pub compute_pool: Arc<rayon::ThreadPool>,
    /// Search and suggestion answers (JSON bytes) by request, per index generation.
    pub answers: AnswerCache,
    /// The other side of the exchange: the demands kept beside the supplies.
    pub demands: DemandSide,
}

/// The demand index (`DIR.demands`): searched with `kind=demands`, matched against with
/// `POST /api/match?against=demands`, written through `/api/demands`.
pub struct DemandSide {
    /// Its searcher (same glossary and tuning as the supplies').
    pub searcher: Searcher,
    /// Supply → demand matching over it.
    pub matcher: SupplyMatcher,
    /// Its writer, under the same API key as the supplies'; `None` when writes are off.
    pub writes: Option<Writes>,
}

/// The single writer of the process and the key that guards it.
pub struct Writes {
    /// The bearer key.
    pub key: ApiKey,
    /// Taken by shutdown (then `None`); a std mutex because it is only locked inside
    /// `spawn_blocking`.
    pub writer: Mutex<Option<SupplyWriter>>,
    /// The writer's memory budget, to open a new one when a failure broke the old one.
    pub memory: usize,
}

impl Writes {
    /// Locks the writer. Whatever an earlier request left uncommitted (it failed or
    /// panicked half-way) is rolled back first, so every write starts from the last commit.
    pub fn lock(&self) -> Result<WriterGuard<'_>, ApiError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let Some(writer) = guard.as_mut() else {
            return Err(ApiError::unavailable(
                "writes are unavailable: the server is shutting down, or its index writer \
                 could not be reopened after a failure (see the server log)",
            ));
        };
        if writer.pending() > 0 {
            tracing::warn!(
                pending = writer.pending(),
                "rolling back changes left by a failed request"
            );
            writer.rollback().map_err(ApiError::internal)?;
        }
        Ok(WriterGuard {
            guard,
            memory: self.memory,
        })
    }
}

/// A locked writer with nothing pending.
pub struct WriterGuard<'a> {
    guard: MutexGuard<'a, Option<SupplyWriter>>,
    memory: usize,
}

impl WriterGuard<'_> {
    /// The writer.
    pub fn writer(&mut self) -> &mut SupplyWriter {
        self.guard.as_mut().expect("checked when locked")
    }

    /// After a failed write: drops what it left uncommitted, so the index stays at its last
    /// commit, and answers 507 when the disk is full (the operator frees space, later
    /// writes work again) or 500 otherwise. When even the rollback fails (tantivy stops a
    /// writer whose indexing thread hit an I/O error), the writer is replaced by a new one
    /// on the same index.
    pub fn fail(&mut self, index: &SupplyIndex, what: &str, error: IndexerError) -> ApiError {
        let disk_full = index.failed_for_space(&error);
        tracing::error!(%error, disk_full, "{what} failed; rolling back to the last commit");
        if let Err(rollback) = self.writer().rollback() {
            tracing::warn!(error = %rollback, "rollback failed; opening a new index writer");
            drop(self.guard.take());
            match index.writer(self.memory) {
                Ok(writer) => *self.guard = Some(writer),
                Err(error) => {
                    tracing::error!(%error, "cannot open a new index writer; writes are off until restart")
                }
            }
        }
        if let Some(writer) = self.guard.as_mut() {
            if let Err(error) = writer.collect_garbage() {
                tracing::warn!(%error, "could not delete the files of the failed write");
            }
        }
        if disk_full {
            ApiError::disk_full()
        } else {
            ApiError::internal(format!("{what} failed: {error}"))
        }
    }
}

impl AppState {
    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// What the next search will see, as part of every cache key: a hash of the reader's
    /// segments and their delete opstamps. Two readers over the same segments answer
    /// alike, so this is stable across reloads that change nothing (the reader's own
    /// generation id is not: the reload on commit, the file watcher's reload that follows
    /// it, each bump it, and would empty the cache for nothing).
    pub fn generation(&self) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        for searcher in [&self.searcher, &self.demands.searcher] {
            searcher
                .reader()
                .searcher()
                .generation()
                .segments()
                .hash(&mut hasher);
        }
        hasher.finish()
    }

    /// The searcher and the writes of one side of the exchange.
    pub fn side(&self, kind: techmatch_indexer::RecordKind) -> (&Searcher, Option<&Writes>) {
        match kind {
            techmatch_indexer::RecordKind::Supplies => (&self.searcher, self.writes.as_ref()),
            techmatch_indexer::RecordKind::Demands => {
                (&self.demands.searcher, self.demands.writes.as_ref())
            }
        }
    }

    /// Makes the last commit of one side visible to every search at once (instead of the
    /// reader's periodic reload), and empties the answer cache.
    pub fn reload_side(&self, kind: techmatch_indexer::RecordKind) -> Result<(), ApiError> {
        self.side(kind)
            .0
            .reader()
            .reload()
            .map_err(ApiError::internal)?;
        self.answers.clear();
        Ok(())
    }
}

/// The shared state as handlers receive it.
pub type SharedState = Arc<AppState>;

/// Runs read-side index work on `state` off the async executor once a [`AppState::cpu`]
/// permit is free, inside the request's span (so its logs carry the request id).
pub async fn compute<T, F>(state: &SharedState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let _permit = state
        .cpu
        .acquire()
        .await
        .map_err(|_| ApiError::unavailable("the server is shutting down"))?;
    let state = state.clone();
    let span = tracing::Span::current();
    let (done, result) = tokio::sync::oneshot::channel();
    let pool = state.compute_pool.clone();
    pool.spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            span.in_scope(|| work(&state))
        }));
        // The request may have gone (client closed): nothing to answer then.
        let _ = done.send(outcome);
    });
    match result.await {
        Ok(Ok(answer)) => answer,
        Ok(Err(panic)) => Err(ApiError::internal(format!(
            "the request's work panicked: {}",
            panic_message(panic.as_ref())
        ))),
        Err(_) => Err(ApiError::internal("the request's work was dropped")),
    }
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// Runs blocking index work off the async executor (writes, which the writer's lock
/// already serialises), inside the request's span.
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ServeConfig, Server};

    fn state() -> SharedState {
        let index = techmatch_indexer::SupplyIndex::create_in_ram();
        let searcher = crate::Searcher::new(index).unwrap();
        Server::new(ServeConfig::default(), searcher)
            .unwrap()
            .state()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_panics_is_an_internal_error_and_the_threads_serve_on() {
        let state = state();
        let threads = state.compute_pool.current_num_threads();
        assert_eq!(threads, state.cpu.available_permits());
        // More panicking requests than threads: none takes a thread down with it.
        for _ in 0..threads * 2 {
            let failed: Result<(), ApiError> =
                compute(&state, |_| panic!("a bug in a handler")).await;
            let error = failed.unwrap_err();
            assert_eq!(
                error.status(),
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            );
        }
        let answered = compute(&state, |s| Ok(s.searcher.num_docs())).await;
        assert_eq!(answered.unwrap(), 0);
        // The permits all came back.
        assert_eq!(state.cpu.available_permits(), threads);
    }
}
