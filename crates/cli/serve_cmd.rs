//! `techmatch serve`: the HTTP API. With no arguments it serves `data/index` on
//! 127.0.0.1:8080, building the index from `index-data/supplies.jsonl` first if it is absent.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use techmatch_query::http::{
    open_or_build_index, shutdown_signal, ApiKey, LogFormat, Server, Settings,
};
use techmatch_query::Searcher;

use crate::search_cmd::load_glossary;

/// Arguments of `techmatch serve`; each one is also an environment variable and a key of the
/// config file (precedence: flag > env > file > default).
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch serve                                  # data/index on 127.0.0.1:8080 (built if absent)
  TECHMATCH_API_KEY=$(openssl rand -hex 24) techmatch serve --addr 0.0.0.0:8080
  techmatch serve --config techmatch.toml --log-format json

Every flag is also an environment variable (TECHMATCH_ADDR, TECHMATCH_API_KEY, ...) and a key
of the TOML file given with --config (addr = \"127.0.0.1:8080\", api_key = \"...\", ...);
a flag beats the environment, which beats the file, which beats the default.
Without an API key the write API (POST/PUT/DELETE /api/supplies) is disabled.
Prefer TECHMATCH_API_KEY or the config file to --api-key: a flag shows in the process list.
The API is described at /openapi.json.")]
pub struct ServeArgs {
    /// TOML config file with any of the settings below (keys as the flags, with '_').
    #[arg(long, value_name = "FILE", env = "TECHMATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Index directory [default: data/index].
    #[arg(long, env = "TECHMATCH_INDEX")]
    index: Option<PathBuf>,
    /// Supplies file the index is built from when it is absent [default: index-data/supplies.jsonl].
    #[arg(long, value_name = "FILE", env = "TECHMATCH_SEED")]
    seed: Option<PathBuf>,
    /// Listening address; port 0 picks a free port (the chosen address is printed) [default: 127.0.0.1:8080].
    #[arg(long, env = "TECHMATCH_ADDR")]
    addr: Option<String>,
    /// Bearer key that enables the write API (at least 8 characters).
    #[arg(long, env = "TECHMATCH_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "TECHMATCH_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    /// Glossary file for query expansion (default: the bundled one).
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    glossary: Option<PathBuf>,
    /// Do not expand queries and demands with the glossary.
    #[arg(long, env = "TECHMATCH_NO_GLOSSARY", num_args = 0..=1, default_missing_value = "true")]
    no_glossary: Option<bool>,
    /// Writer memory budget in MiB [default: 64].
    #[arg(long, env = "TECHMATCH_WRITER_MEMORY_MB")]
    writer_memory_mb: Option<usize>,
    /// Largest request body in bytes [default: 10 MiB].
    #[arg(long, env = "TECHMATCH_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Largest body of POST /api/match/bulk and POST /api/supplies [default: 100 MiB].
    #[arg(long, env = "TECHMATCH_MAX_BULK_BODY_BYTES")]
    max_bulk_body_bytes: Option<usize>,
    /// Longest search text in characters [default: 500].
    #[arg(long, env = "TECHMATCH_MAX_QUERY_CHARS")]
    max_query_chars: Option<usize>,
    /// Largest page size [default: 100].
    #[arg(long, env = "TECHMATCH_MAX_PAGE_SIZE")]
    max_page_size: Option<usize>,
    /// Deepest result reachable by paging, page x size [default: 10000].
    #[arg(long, env = "TECHMATCH_MAX_RESULT_DEPTH")]
    max_result_depth: Option<usize>,
    /// Seconds a request may take until its response starts [default: 30].
    #[arg(long, env = "TECHMATCH_REQUEST_TIMEOUT_SECS")]
    request_timeout_secs: Option<u64>,
    /// Requests served at once; more get 503 [default: 64].
    #[arg(long, env = "TECHMATCH_CONCURRENCY_LIMIT")]
    concurrency_limit: Option<usize>,
    /// Open connections at once; more are answered 503 and closed [default: 1024].
    #[arg(long, env = "TECHMATCH_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds a client may take to send a request's headers, and may stay idle on a
    /// kept-alive connection, before it is closed (slow or stuck clients) [default: 10].
    #[arg(long, env = "TECHMATCH_HEADER_TIMEOUT_SECS")]
    header_timeout_secs: Option<u64>,
    /// Seconds a response may wait for the client to read any of it before the
    /// connection is closed (clients that stop reading) [default: 30].
    #[arg(long, env = "TECHMATCH_SEND_TIMEOUT_SECS")]
    send_timeout_secs: Option<u64>,
    /// Browser origin allowed to call the API (CORS); repeat, or comma-separate in the env.
    #[arg(
        long = "cors-origin",
        env = "TECHMATCH_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Option<Vec<String>>,
    /// Gzip responses when the client accepts it [default: true].
    #[arg(long, env = "TECHMATCH_COMPRESSION", num_args = 0..=1, default_missing_value = "true")]
    compression: Option<bool>,
    /// Seconds to wait for in-flight requests on SIGTERM or Ctrl-C [default: 30].
    #[arg(long, env = "TECHMATCH_SHUTDOWN_TIMEOUT_SECS")]
    shutdown_timeout_secs: Option<u64>,
    /// Search and suggestion answers kept in memory, per index generation (a commit makes
    /// older ones unreachable); 0 turns the cache off [default: 2048].
    #[arg(long, env = "TECHMATCH_CACHE_ENTRIES")]
    cache_entries: Option<usize>,
}

impl ServeArgs {
    /// The flags and environment variables as one settings source.
    fn settings(&self) -> Settings {
        Settings {
            index: self.index.clone(),
            seed: self.seed.clone(),
            addr: self.addr.clone(),
            api_key: self.api_key.clone().map(ApiKey::new),
            log_format: self.log_format,
            glossary: self.glossary.clone(),
            no_glossary: self.no_glossary,
            writer_memory_mb: self.writer_memory_mb,
            max_body_bytes: self.max_body_bytes,
            max_bulk_body_bytes: self.max_bulk_body_bytes,
            max_query_chars: self.max_query_chars,
            max_page_size: self.max_page_size,
            max_result_depth: self.max_result_depth,
            request_timeout_secs: self.request_timeout_secs,
            concurrency_limit: self.concurrency_limit,
            max_connections: self.max_connections,
            header_timeout_secs: self.header_timeout_secs,
            send_timeout_secs: self.send_timeout_secs,
            cors_origins: self.cors_origins.clone(),
            compression: self.compression,
            shutdown_timeout_secs: self.shutdown_timeout_secs,
            cache_entries: self.cache_entries,
        }
    }
}

/// Runs the command.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let file = match &args.config {
        Some(path) => Settings::from_toml_file(path)?,
        None => Settings::default(),
    };
    let config = args.settings().overlay(file).resolve()?;
    crate::init_logging("info", config.log_format == LogFormat::Json);

    let index = open_or_build_index(&config)?;
    let glossary = load_glossary(config.glossary.as_deref(), config.no_glossary)?;
    let searcher = Searcher::new(index)?.with_glossary(glossary);
    tracing::info!(
        index = %config.index.display(),
        documents = searcher.num_docs(),
        writes = config.api_key.is_some(),
        "index opened"
    );
    let addr = config.addr;
    let server = Server::new(config, searcher)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr()?;
        // Scripts and tests read the chosen port from this line.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "techmatch listening on http://{local}")?;
        stdout.flush()?;
        drop(stdout);
        tracing::info!(addr = %local, "listening");
        server.serve(listener, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
