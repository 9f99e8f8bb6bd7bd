//! `techmatch serve`: the HTTP API. With no arguments it serves `data/index` on
//! 127.0.0.1:8080, building the index from `index-data/supplies.jsonl` first if it is absent.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use techmatch_query::http::{open_or_build_index, shutdown_signal, LogFormat, Server, Settings};
use techmatch_query::Searcher;

use crate::search_cmd::load_glossary;

/// Arguments of `techmatch serve`: the settings (each also an environment variable and a
/// key of the config file; precedence flag > env > file > default), the config file, and
/// `--print-config`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch serve                                  # data/index on 127.0.0.1:8080 (built if absent)
  TECHMATCH_API_KEY=$(openssl rand -hex 24) techmatch serve --addr 0.0.0.0:8080
  techmatch serve --config techmatch.toml --log-format json
  techmatch serve --config techmatch.toml --print-config   # the settings in effect, as TOML

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
    /// Print the settings in effect (flags, environment, file and defaults combined) as
    /// TOML, the API key redacted, and exit.
    #[arg(long)]
    print_config: bool,
    #[command(flatten)]
    settings: Settings,
}

/// Runs the command.
pub fn run(args: ServeArgs, matches: &clap::ArgMatches) -> Result<ExitCode> {
    let settings = Settings::layered(matches, args.config.as_deref())?;
    if args.print_config {
        print!("{}", settings.to_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let config = settings.resolve()?;
    crate::init_logging("info", config.log_format == LogFormat::Json);

    let index = open_or_build_index(&config)?;
    let glossary = load_glossary(config.glossary.as_deref(), config.no_glossary)?;
    let searcher = Searcher::new(index)?
        .with_glossary(glossary)
        .with_total_cap(config.total_cap)
        .with_record_set_bytes(config.record_sets_mb << 20);
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
