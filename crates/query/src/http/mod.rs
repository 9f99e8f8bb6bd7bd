//! The HTTP service (`techmatch serve`): the search box, demand matching (one or a stream),
//! the supply records with a key-guarded write API, health, metrics and an OpenAPI document.
//!
//! Layout by subsystem: [`config`] (settings: flag > env > file > default), [`router`] (routes
//! and the middleware stack), [`handlers`] (one module per group of endpoints), [`crate::params`]
//! (query strings), [`errors`] (the JSON error body), [`limits`] (body size, concurrency,
//! time), [`auth`] (bearer key, constant-time), [`metrics`] (Prometheus), [`openapi`].
//!
//! Tantivy calls never run on the async executor: searches, suggestions and matches run on
//! a fixed pool of one thread per core and one more ([`state::compute`]), writes and bulk
//! matching on `spawn_blocking` (bulk matching then fans out on rayon). The process has one index writer behind a mutex;
//! a write commits, then reloads the reader, so the next search sees it. On SIGTERM or
//! Ctrl-C the server stops accepting, drains in-flight requests, rolls back anything left
//! uncommitted and waits for merges, leaving the index at a clean commit.
//!
//! ```no_run
//! # async fn run() -> Result<(), techmatch_query::http::ServeError> {
//! use techmatch_query::http::{shutdown_signal, ServeConfig, Server};
//!
//! let config = ServeConfig::default();
//! let index = techmatch_query::http::open_or_build_index(&config)?;
//! let server = Server::new(config, techmatch_query::Searcher::new(index)?)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! server.serve(listener, shutdown_signal()).await
//! # }
//! ```

pub mod auth;
pub mod cache;
pub mod config;
mod connections;
pub mod errors;
pub mod handlers;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod router;
pub mod state;

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use techmatch_indexer::{demand_index_dir, ingest, IngestOptions, Seed, SupplyIndex};
use tokio::net::TcpListener;

pub use config::{ApiKey, Limits, LogFormat, ServeConfig, Settings};
pub use errors::{ApiError, ServeError};
pub use state::AppState;

use crate::{DemandMatcher, Searcher, SupplyMatcher};
use state::{DemandSide, SharedState, Writes};

/// A configured service, ready to serve.
pub struct Server {
    state: SharedState,
    config: ServeConfig,
}

impl Server {
    /// Sets up the shared state; takes the index's writer lock when writes are enabled.
    pub fn new(config: ServeConfig, searcher: Searcher) -> Result<Server, ServeError> {
        let writes = match &config.api_key {
            Some(_) if config.read_only => None,
            Some(key) => Some(Writes {
                key: key.clone(),
                writer: Mutex::new(Some(searcher.index().writer(config.writer_memory)?)),
                memory: config.writer_memory,
            }),
            None => None,
        };
        let demands = demand_side(&config, &searcher, writes.is_some())?;
        let compute_threads = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
        let state = Arc::new(AppState {
            demands,
            matcher: DemandMatcher::new(searcher.clone()),
            searcher,
            writes,
            read_only: config.read_only,
            limits: config.limits.clone(),
            metrics: metrics::Metrics::new(),
            shutting_down: AtomicBool::new(false),
            openapi_json: openapi::openapi_json(),
            permits: Arc::new(tokio::sync::Semaphore::new(config.limits.concurrency_limit)),
            cpu: Arc::new(tokio::sync::Semaphore::new(compute_threads)),
            compute_pool: Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(compute_threads)
                    .thread_name(|i| format!("techmatch-compute-{i}"))
                    .build()
                    .map_err(|e| {
                        std::io::Error::other(format!("cannot start the compute threads: {e}"))
                    })?,
            ),
            answers: cache::AnswerCache::new(config.cache_mb << 20),
        });
        Ok(Server { state, config })
    }

    /// The shared state (for tests that drive handlers directly).
    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// The router (for tests that drive it without a socket).
    pub fn router(&self) -> axum::Router {
        router::router(self.state.clone(), &self.config)
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests (at most
    /// `shutdown_timeout`) and closes the writer at a clean commit.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        // Jieba's dictionary loads on the first Chinese text (indexing without Chinese never
        // loads it); a server loads it now, off the request path, so that the first Chinese
        // search or glossary expansion into Chinese does not wait ~0.1 s for it.
        tokio::task::spawn_blocking(techmatch_analysis::chinese::warm_up);
        let app = self.router();
        let state = self.state.clone();
        let (draining, mut drain_started) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, draining in-flight requests");
            state.shutting_down.store(true, Ordering::SeqCst);
            let _ = draining.send(true);
        };
        let server = connections::serve(listener, app, &self.config.limits, signal);
        let timeout = self.config.shutdown_timeout;
        let deadline = async move {
            if drain_started.wait_for(|started| *started).await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(timeout).await;
        };
        tokio::select! {
            () = server => {},
            () = deadline => tracing::warn!(seconds = timeout.as_secs(), "drain timeout: stopping with requests still in flight"),
        }
        self.close_writer().await;
        Ok(())
    }

    /// Rolls back whatever is uncommitted (a request cut short) and waits for merges, so
    /// the index on disk is exactly its last commit.
    async fn close_writer(&self) {
        if self.state.writes.is_none() {
            return;
        }
        let state = self.state.clone();
        let close = tokio::task::spawn_blocking(move || {
            for writes in [state.writes.as_ref(), state.demands.writes.as_ref()]
                .into_iter()
                .flatten()
            {
                close_one(writes);
            }
        });
        if tokio::time::timeout(self.config.shutdown_timeout, close)
            .await
            .is_err()
        {
            tracing::warn!("the writer is still busy; exiting, the index stays at its last commit");
        }
    }
}

/// The demand side of a server whose supplies `searcher` serves: the index beside the
/// supplies' (created empty when writes are on, so `/api/demands` can fill it), or, for an
/// index in memory or a read-only server without one, an empty index in memory.
fn demand_side(
    config: &ServeConfig,
    searcher: &Searcher,
    writable: bool,
) -> Result<DemandSide, ServeError> {
    let index = match searcher.index().dir() {
        Some(dir) => {
            let dir = demand_index_dir(dir);
            if dir.join("meta.json").exists() || writable {
                SupplyIndex::open_or_create(&dir)?
            } else {
                SupplyIndex::create_in_ram()
            }
        }
        None => SupplyIndex::create_in_ram(),
    };
    // The searcher first: it sets the glossary the writer tags new demands with.
    let demands = Searcher::new(index.clone())?
        .with_glossary(searcher.glossary().cloned())
        .with_tuning(*searcher.tuning());
    let writes = match &config.api_key {
        Some(key) if writable => Some(Writes {
            key: key.clone(),
            writer: Mutex::new(Some(index.writer(config.writer_memory)?)),
            memory: config.writer_memory,
        }),
        _ => None,
    };
    Ok(DemandSide {
        matcher: SupplyMatcher::new(demands.clone()),
        searcher: demands,
        writes,
    })
}

/// Rolls back what one writer left uncommitted and waits for its merges.
fn close_one(writes: &Writes) {
    let taken = writes
        .writer
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let Some(mut writer) = taken else {
        return;
    };
    if writer.pending() > 0 {
        tracing::warn!(
            pending = writer.pending(),
            "rolling back uncommitted changes"
        );
        if let Err(error) = writer.rollback() {
            tracing::error!(%error, "rollback failed; the index stays at its last commit");
        }
    }
    match writer.finish() {
        Ok(()) => tracing::info!("index closed at a clean commit"),
        Err(error) => {
            tracing::error!(%error, "waiting for merges failed; the index stays at its last commit")
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}

/// Opens the configured index; when it does not exist yet, first builds it from the seed
/// (a supplies file, or the bundled collection compiled into the binary), beside the target
/// directory, moving it into place only once committed.
pub fn open_or_build_index(config: &ServeConfig) -> Result<SupplyIndex, ServeError> {
    let dir = &config.index;
    let absent = !dir.exists() || is_empty_dir(dir);
    if !absent {
        return Ok(SupplyIndex::open(dir)?);
    }
    if config.read_only {
        return Err(ServeError::Config(format!(
            "no index at {}: a read-only server serves an index that another process writes \
             (techmatch index, or techmatch serve with an API key); build it first",
            dir.display()
        )));
    }
    let seed = match &config.seed {
        Some(Seed::File(path)) if !path.is_file() => {
            return Err(ServeError::Config(format!(
                "no index at {}: the seed file {} was not found; give --seed FILE, or \
                 build the index with 'techmatch index --index {} FILE...'",
                dir.display(),
                path.display(),
                dir.display()
            )))
        }
        Some(seed) => seed,
        None => {
            return Err(ServeError::Config(format!(
                "no index at {} and no seed to build it from: build one with \
                 'techmatch index --index {} FILE...', or give --seed FILE",
                dir.display(),
                dir.display()
            )))
        }
    };
    let from = match seed {
        Seed::File(path) => path.display().to_string(),
        Seed::Bundled => "the bundled collection".to_string(),
    };
    tracing::info!(index = %dir.display(), seed = %from, "no index yet: building it");
    // Tag the seed's records with the glossary the server will search with.
    let glossary = match (&config.glossary, config.no_glossary) {
        (_, true) => None,
        (Some(path), false) => Some(Arc::new(
            crate::glossary::Glossary::from_path(path).map_err(ServeError::Config)?,
        )),
        (None, false) => Some(crate::glossary::Glossary::bundled_shared()),
    };
    let started = Instant::now();
    let records = techmatch_indexer::build_beside(
        dir,
        |index| {
            index.set_glossary(glossary.clone());
            build_index(index, seed)
        },
        |_| true,
    )?;
    tracing::info!(
        records,
        seconds = started.elapsed().as_secs_f64(),
        index = %dir.display(),
        "index built"
    );
    seed_demands(dir, seed, &glossary)?;
    Ok(SupplyIndex::open(dir)?)
}

/// With a supply index just built from its seed, the demand side is built from the seed's
/// demands too (`demands.jsonl` beside a seed file, or the bundled collection's), so a
/// first start shows both sides. Never over an existing demand index, and never for a
/// supply index that already existed: demo demands must not enter a real database.
fn seed_demands(
    supplies: &Path,
    seed: &Seed,
    glossary: &Option<Arc<crate::glossary::Glossary>>,
) -> Result<(), ServeError> {
    let dir = demand_index_dir(supplies);
    if dir.join("meta.json").exists() {
        return Ok(());
    }
    let (path, bundled) = match seed {
        Seed::File(path) => {
            let demands = path.with_file_name("demands.jsonl");
            if !demands.is_file() {
                return Ok(());
            }
            (demands, false)
        }
        Seed::Bundled => {
            let path = dir.with_extension("bundled-demands.jsonl");
            std::fs::write(&path, techmatch_indexer::paths::BUNDLED_DEMANDS)?;
            (path, true)
        }
    };
    let built = techmatch_indexer::build_beside(
        &dir,
        |index| {
            index.set_glossary(glossary.clone());
            let mut writer = index.writer(techmatch_indexer::DEFAULT_WRITER_MEMORY)?;
            let options = IngestOptions {
                kind: techmatch_indexer::RecordKind::Demands,
                ..IngestOptions::default()
            };
            let report = ingest(
                &mut writer,
                std::slice::from_ref(&path),
                &options,
                index.provinces(),
                |_| {},
            )?;
            writer.finish()?;
            Ok::<_, ServeError>(report)
        },
        |report| report.committed,
    );
    if bundled {
        std::fs::remove_file(&path).ok();
    }
    let report = built?;
    if report.committed {
        tracing::info!(demands = report.indexed, index = %dir.display(), "demand index built from the seed's demands");
    } else {
        // The supplies still serve; the demand side starts empty and says why.
        tracing::warn!(
            rejected = report.rejected_records,
            file = %path.display(),
            "the seed's demands are invalid; the demand index starts empty"
        );
    }
    Ok(())
}

fn build_index(index: &SupplyIndex, seed: &Seed) -> Result<usize, ServeError> {
    // The bundled collection is read from a file like any other seed: written beside the
    // index being built, and deleted with it.
    let (path, bundled) = match seed {
        Seed::File(path) => (path.clone(), None),
        Seed::Bundled => {
            let dir = index.dir().expect("an index on disk");
            let path = dir.with_extension("bundled-supplies.jsonl");
            std::fs::write(&path, techmatch_indexer::paths::BUNDLED_SUPPLIES)?;
            (path.clone(), Some(path))
        }
    };
    let result = ingest_seed(index, &path);
    if let Some(bundled) = bundled {
        std::fs::remove_file(bundled).ok();
    }
    result
}

fn ingest_seed(index: &SupplyIndex, seed: &Path) -> Result<usize, ServeError> {
    let mut writer = index.writer(techmatch_indexer::DEFAULT_WRITER_MEMORY)?;
    let report = ingest(
        &mut writer,
        &[seed.to_path_buf()],
        &IngestOptions::default(),
        index.provinces(),
        |_| {},
    )?;
    writer.finish()?;
    if !report.committed {
        let problems: Vec<String> = report
            .rejected
            .iter()
            .take(5)
            .map(|e| e.to_string())
            .collect();
        return Err(ServeError::Config(format!(
            "cannot build the index from {}: {} invalid records, e.g. {}",
            seed.display(),
            report.rejected_records,
            problems.join("; ")
        )));
    }
    Ok(report.indexed)
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_start_tags_the_seed_with_the_glossary_it_serves_with() {
        let dir = tempfile::tempdir().unwrap();
        // The bundled glossary without its first concept: another fingerprint.
        let text: String = crate::glossary::BUNDLED_GLOSSARY
            .lines()
            .filter(|l| !l.starts_with("reverse_osmosis\t"))
            .map(|l| format!("{l}\n"))
            .collect();
        let glossary_file = dir.path().join("glossary.tsv");
        std::fs::write(&glossary_file, text).unwrap();
        let config = ServeConfig {
            index: dir.path().join("index"),
            seed: Some(Seed::Bundled),
            glossary: Some(glossary_file.clone()),
            ..ServeConfig::default()
        };
        let index = open_or_build_index(&config).unwrap();
        let custom = crate::glossary::Glossary::from_path(&glossary_file).unwrap();
        assert_ne!(
            custom.fingerprint(),
            crate::glossary::Glossary::bundled_shared().fingerprint()
        );
        let served = Searcher::new(index.clone())
            .unwrap()
            .with_glossary(Some(custom));
        let snapshot = served.reader().searcher();
        assert!(snapshot.num_docs() > 300);
        assert!(served.concepts_indexed(&snapshot));
        assert!(!Searcher::new(index).unwrap().concepts_indexed(&snapshot));
        let demands = SupplyIndex::open(&demand_index_dir(&config.index)).unwrap();
        let demand_searcher = Searcher::new(demands)
            .unwrap()
            .with_glossary(served.glossary().cloned());
        let demand_snapshot = demand_searcher.reader().searcher();
        assert!(demand_snapshot.num_docs() > 100);
        assert!(demand_searcher.concepts_indexed(&demand_snapshot));
    }
}
