//! Settings of `techmatch serve`. Every setting is a command-line flag, a `TECHMATCH_…`
//! environment variable and a key of the optional TOML file (`--config FILE`); the CLI turns
//! flags and variables into one [`Settings`], the file gives another, and
//! [`Settings::overlay`] + [`Settings::resolve`] apply the precedence
//! flag > env > file > default.
//!
//! ```toml
//! # techmatch.toml: every key is optional
//! index = "data/index"
//! addr = "127.0.0.1:8080"
//! api_key = "change-me"          # enables the write API
//! cors_origins = ["https://portal.example.vn"]
//! max_body_bytes = 10485760
//! request_timeout_secs = 30
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::errors::ServeError;
use crate::search::{MAX_PAGE_SIZE, MAX_QUERY_CHARS, MAX_RESULT_DEPTH};

/// Default index directory.
pub const DEFAULT_INDEX: &str = "data/index";
/// Default supplies file the index is built from when the index is absent.
pub const DEFAULT_SEED: &str = "index-data/supplies.jsonl";
/// Default capacity of the search and suggestion caches.
pub const DEFAULT_CACHE_ENTRIES: usize = 2048;
/// Default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// How request logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("'{other}' is not a log format (text or json)")),
        }
    }
}

/// The secret that authorises writes; never printed (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key's bytes, for the constant-time comparison.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Settings as given by one source; `None` means "not set here".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Index directory.
    pub index: Option<PathBuf>,
    /// Supplies file to build the index from when it is absent (empty: never build).
    pub seed: Option<PathBuf>,
    /// Listening address.
    pub addr: Option<String>,
    /// Bearer key of the write API; without one, writes are disabled.
    pub api_key: Option<ApiKey>,
    /// `text` or `json`.
    pub log_format: Option<LogFormat>,
    /// Glossary file (default: the bundled one).
    pub glossary: Option<PathBuf>,
    /// Turn glossary expansion off.
    pub no_glossary: Option<bool>,
    /// Writer memory budget in MiB.
    pub writer_memory_mb: Option<usize>,
    /// Largest request body in bytes.
    pub max_body_bytes: Option<usize>,
    /// Largest body of the bulk endpoints (`POST /api/match/bulk`, `POST /api/supplies`).
    pub max_bulk_body_bytes: Option<usize>,
    /// Longest search text in characters.
    pub max_query_chars: Option<usize>,
    /// Largest page size.
    pub max_page_size: Option<usize>,
    /// Deepest result reachable by paging (page × size).
    pub max_result_depth: Option<usize>,
    /// Seconds a request may take until its response starts.
    pub request_timeout_secs: Option<u64>,
    /// Requests served at once; more get 503.
    pub concurrency_limit: Option<usize>,
    /// Open connections at once; more get a 503 and are closed.
    pub max_connections: Option<usize>,
    /// Seconds a client may take to send a request's headers (and may stay idle between
    /// requests on a kept-alive connection) before the connection is closed.
    pub header_timeout_secs: Option<u64>,
    /// Seconds a response may wait for the client to read any of it before the connection
    /// is closed.
    pub send_timeout_secs: Option<u64>,
    /// Origins allowed to call the API from a browser (CORS).
    pub cors_origins: Option<Vec<String>>,
    /// Compress responses (gzip) when the client accepts it.
    pub compression: Option<bool>,
    /// Seconds to wait for in-flight requests on shutdown.
    pub shutdown_timeout_secs: Option<u64>,
    /// Search and suggestion answers kept per index generation (0: no cache).
    pub cache_entries: Option<usize>,
}

/// The limits the service enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Largest body of the bulk endpoints.
    pub max_bulk_body_bytes: usize,
    /// Longest search text in characters.
    pub max_query_chars: usize,
    /// Largest page size.
    pub max_page_size: usize,
    /// Deepest result reachable by paging.
    pub max_result_depth: usize,
    /// Time until a response starts.
    pub request_timeout: Duration,
    /// Requests served at once.
    pub concurrency_limit: usize,
    /// Open connections at once.
    pub max_connections: usize,
    /// Time to receive a request's headers, and to wait idle for the next request.
    pub header_timeout: Duration,
    /// Time a response may wait for the client to take any of its bytes.
    pub send_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 10 << 20,
            max_bulk_body_bytes: 100 << 20,
            max_query_chars: MAX_QUERY_CHARS,
            max_page_size: MAX_PAGE_SIZE,
            max_result_depth: MAX_RESULT_DEPTH,
            request_timeout: Duration::from_secs(30),
            concurrency_limit: 64,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(30),
        }
    }
}

/// The resolved configuration of the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Index directory.
    pub index: PathBuf,
    /// Supplies file to build a missing index from.
    pub seed: Option<PathBuf>,
    /// Listening address.
    pub addr: SocketAddr,
    /// Bearer key of the write API.
    pub api_key: Option<ApiKey>,
    /// Log format.
    pub log_format: LogFormat,
    /// Glossary file.
    pub glossary: Option<PathBuf>,
    /// Glossary expansion off.
    pub no_glossary: bool,
    /// Writer memory budget in bytes.
    pub writer_memory: usize,
    /// Limits.
    pub limits: Limits,
    /// CORS allow-list.
    pub cors_origins: Vec<String>,
    /// Response compression.
    pub compression: bool,
    /// Drain time on shutdown.
    pub shutdown_timeout: Duration,
    /// Capacity of the search and of the suggestion cache (0: off).
    pub cache_entries: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Settings::default()
            .resolve()
            .expect("the defaults are valid")
    }
}

impl Settings {
    /// Reads a TOML file; unknown keys are errors (a typo must not be silently ignored).
    pub fn from_toml_file(path: &Path) -> Result<Settings, ServeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServeError::Config(format!("cannot read {}: {e}", path.display())))?;
        Settings::from_toml(&text)
            .map_err(|e| ServeError::Config(format!("{}: {e}", path.display())))
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// These settings, with the unset ones taken from `lower` (a lower-precedence source).
    pub fn overlay(self, lower: Settings) -> Settings {
        Settings {
            index: self.index.or(lower.index),
            seed: self.seed.or(lower.seed),
            addr: self.addr.or(lower.addr),
            api_key: self.api_key.or(lower.api_key),
            log_format: self.log_format.or(lower.log_format),
            glossary: self.glossary.or(lower.glossary),
            no_glossary: self.no_glossary.or(lower.no_glossary),
            writer_memory_mb: self.writer_memory_mb.or(lower.writer_memory_mb),
            max_body_bytes: self.max_body_bytes.or(lower.max_body_bytes),
            max_bulk_body_bytes: self.max_bulk_body_bytes.or(lower.max_bulk_body_bytes),
            max_query_chars: self.max_query_chars.or(lower.max_query_chars),
            max_page_size: self.max_page_size.or(lower.max_page_size),
            max_result_depth: self.max_result_depth.or(lower.max_result_depth),
            request_timeout_secs: self.request_timeout_secs.or(lower.request_timeout_secs),
            concurrency_limit: self.concurrency_limit.or(lower.concurrency_limit),
            max_connections: self.max_connections.or(lower.max_connections),
            header_timeout_secs: self.header_timeout_secs.or(lower.header_timeout_secs),
            send_timeout_secs: self.send_timeout_secs.or(lower.send_timeout_secs),
            cors_origins: self.cors_origins.or(lower.cors_origins),
            compression: self.compression.or(lower.compression),
            shutdown_timeout_secs: self.shutdown_timeout_secs.or(lower.shutdown_timeout_secs),
            cache_entries: self.cache_entries.or(lower.cache_entries),
        }
    }

    /// Fills in the defaults and checks every value; errors name the setting.
    pub fn resolve(self) -> Result<ServeConfig, ServeError> {
        let bad = |message: String| Err(ServeError::Config(message));
        let defaults = Limits::default();
        let addr_text = self.addr.unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let Ok(addr) = addr_text.parse::<SocketAddr>() else {
            return bad(format!(
                "addr: '{addr_text}' is not an address such as 127.0.0.1:8080"
            ));
        };
        let in_range = |name: &str, value: usize, max: usize| -> Result<usize, ServeError> {
            if value == 0 || value > max {
                return Err(ServeError::Config(format!(
                    "{name}: must be between 1 and {max}, found {value}"
                )));
            }
            Ok(value)
        };
        let seconds = |name: &str, value: Option<u64>, default: Duration, max: usize| {
            let secs = value.map_or(default.as_secs() as usize, |s| s as usize);
            in_range(name, secs, max).map(|s| Duration::from_secs(s as u64))
        };
        let limits = Limits {
            max_body_bytes: in_range(
                "max_body_bytes",
                self.max_body_bytes.unwrap_or(defaults.max_body_bytes),
                usize::MAX,
            )?,
            max_bulk_body_bytes: in_range(
                "max_bulk_body_bytes",
                self.max_bulk_body_bytes
                    .unwrap_or(defaults.max_bulk_body_bytes),
                usize::MAX,
            )?,
            max_query_chars: in_range(
                "max_query_chars",
                self.max_query_chars.unwrap_or(defaults.max_query_chars),
                MAX_QUERY_CHARS,
            )?,
            max_page_size: in_range(
                "max_page_size",
                self.max_page_size.unwrap_or(defaults.max_page_size),
                MAX_PAGE_SIZE,
            )?,
            max_result_depth: in_range(
                "max_result_depth",
                self.max_result_depth.unwrap_or(defaults.max_result_depth),
                MAX_RESULT_DEPTH,
            )?,
            request_timeout: seconds(
                "request_timeout_secs",
                self.request_timeout_secs,
                defaults.request_timeout,
                86_400,
            )?,
            concurrency_limit: in_range(
                "concurrency_limit",
                self.concurrency_limit.unwrap_or(defaults.concurrency_limit),
                100_000,
            )?,
            max_connections: in_range(
                "max_connections",
                self.max_connections.unwrap_or(defaults.max_connections),
                1_000_000,
            )?,
            header_timeout: seconds(
                "header_timeout_secs",
                self.header_timeout_secs,
                defaults.header_timeout,
                3_600,
            )?,
            send_timeout: seconds(
                "send_timeout_secs",
                self.send_timeout_secs,
                defaults.send_timeout,
                3_600,
            )?,
        };
        let writer_memory_mb = in_range(
            "writer_memory_mb",
            self.writer_memory_mb.unwrap_or(64),
            8192,
        )?;
        if writer_memory_mb < 16 {
            return bad(format!(
                "writer_memory_mb: must be at least 16, found {writer_memory_mb}"
            ));
        }
        let api_key = match self.api_key {
            Some(key) if key.0.trim().is_empty() => None,
            Some(key) if key.0.len() < 8 => {
                return bad("api_key: must be at least 8 characters".into());
            }
            other => other,
        };
        let cors_origins: Vec<String> = self
            .cors_origins
            .unwrap_or_default()
            .iter()
            .flat_map(|o| o.split(','))
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        for origin in &cors_origins {
            let scheme_ok = origin.starts_with("http://") || origin.starts_with("https://");
            if !scheme_ok || origin.parse::<axum::http::HeaderValue>().is_err() {
                return bad(format!(
                    "cors_origins: '{origin}' is not an origin such as https://portal.example.vn"
                ));
            }
        }
        let seed = match self.seed {
            Some(path) if path.as_os_str().is_empty() => None,
            Some(path) => Some(path),
            None => Some(PathBuf::from(DEFAULT_SEED)),
        };
        Ok(ServeConfig {
            index: self.index.unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX)),
            seed,
            addr,
            api_key,
            log_format: self.log_format.unwrap_or_default(),
            glossary: self.glossary,
            no_glossary: self.no_glossary.unwrap_or(false),
            writer_memory: writer_memory_mb << 20,
            limits,
            cors_origins,
            compression: self.compression.unwrap_or(true),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs.unwrap_or(30)),
            cache_entries: match self.cache_entries.unwrap_or(DEFAULT_CACHE_ENTRIES) {
                n if n > 1_000_000 => {
                    return bad(format!(
                        "cache_entries: must be at most 1000000 (0 turns the cache off), found {n}"
                    ))
                }
                n => n,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_8080_with_writes_off() {
        let config = ServeConfig::default();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.index, PathBuf::from("data/index"));
        assert!(config.api_key.is_none());
        assert_eq!(config.limits.max_body_bytes, 10 << 20);
        assert_eq!(config.limits.max_bulk_body_bytes, 100 << 20);
    }

    #[test]
    fn a_higher_source_wins_and_unset_keys_fall_through() {
        let file = Settings::from_toml("addr = \"127.0.0.1:9000\"\nmax_page_size = 50\n").unwrap();
        let flags = Settings {
            addr: Some("127.0.0.1:9100".into()),
            ..Default::default()
        };
        let config = flags.overlay(file).resolve().unwrap();
        assert_eq!(config.addr.port(), 9100);
        assert_eq!(config.limits.max_page_size, 50);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_setting() {
        let error = Settings::from_toml("adr = \"x\"").unwrap_err();
        assert!(error.contains("adr"), "{error}");
        let error = Settings {
            max_page_size: Some(500),
            ..Default::default()
        }
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("max_page_size: must be between 1 and 100"),
            "{error}"
        );
    }

    #[test]
    fn the_api_key_is_never_printed() {
        let settings = Settings {
            api_key: Some(ApiKey::new("s3cret-key-value")),
            ..Default::default()
        };
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
