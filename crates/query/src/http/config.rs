//! Settings of `techmatch serve`, defined once: each field of [`Settings`] is a command-line
//! flag, a `TECHMATCH_…` environment variable (both through clap, which also shows its
//! default in `--help`) and a key of the optional TOML file (`--config FILE`).
//! [`Settings::layered`] applies the precedence flag > env > file > default, and
//! [`Settings::resolve`] checks every value into a [`ServeConfig`].
//!
//! ```toml
//! # techmatch.toml: every key is optional
//! data_dir = "/var/lib/techmatch"   # the index is DATA_DIR/index
//! addr = "127.0.0.1:8080"
//! api_key = "change-me"          # enables the write API
//! cors_origins = ["https://portal.example.vn"]
//! max_body_bytes = 10485760
//! request_timeout_secs = 30
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, FromArgMatches};
use serde::{Deserialize, Serialize};

use techmatch_indexer::{DataDir, Seed};

use super::errors::ServeError;
use crate::params::RequestLimits;
use crate::search::{MAX_PAGE_SIZE, MAX_QUERY_CHARS, MAX_RESULT_DEPTH};

/// How request logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The secret that authorises writes; never printed (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl std::str::FromStr for ApiKey {
    type Err = std::convert::Infallible;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Ok(ApiKey::new(key))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Every setting of the service. A field's doc comment is its `--help` text; its `arg`
/// attribute names the flag, the environment variable and the default; its name is the
/// key in the TOML file.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Data directory [default: ./data in a checkout of the repository, $STATE_DIRECTORY
    /// under systemd, else the platform's data directory, e.g. ~/.local/share/techmatch].
    #[arg(long, value_name = "DIR", env = "TECHMATCH_DATA_DIR")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Index directory, built from --seed when it is absent [default: DATA_DIR/index].
    #[arg(long, env = "TECHMATCH_INDEX")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<PathBuf>,
    /// Supplies file the index is built from when it is absent ("" never builds)
    /// [default: index-data/supplies.jsonl in a checkout, else the bundled collection
    /// compiled into the binary].
    #[arg(long, value_name = "FILE", env = "TECHMATCH_SEED")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<PathBuf>,
    /// Listening address; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "TECHMATCH_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Bearer key that enables the write API (at least 8 characters). Prefer the
    /// environment or the file: a flag shows in the process list.
    #[arg(long, env = "TECHMATCH_API_KEY", hide_env_values = true)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKey>,
    /// Serve an index that another process writes (a read replica): never take the writer
    /// lock, follow its commits as they appear, answer writes with 403.
    #[arg(long, env = "TECHMATCH_READ_ONLY", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = false, default_missing_value = "true")]
    pub read_only: bool,
    /// Log format (filter with TECHMATCH_LOG or RUST_LOG, default info).
    #[arg(long, env = "TECHMATCH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Glossary file for query expansion (default: the bundled one).
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glossary: Option<PathBuf>,
    /// Do not expand queries and demands with the glossary.
    #[arg(long, env = "TECHMATCH_NO_GLOSSARY", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = false, default_missing_value = "true")]
    pub no_glossary: bool,
    /// Writer memory budget in MiB (16-8192).
    #[arg(long, env = "TECHMATCH_WRITER_MEMORY_MB", default_value_t = 64)]
    pub writer_memory_mb: usize,
    /// Largest request body in bytes.
    #[arg(long, env = "TECHMATCH_MAX_BODY_BYTES", default_value_t = 10 << 20)]
    pub max_body_bytes: usize,
    /// Largest body of POST /api/match/bulk and POST /api/supplies, in bytes.
    #[arg(long, env = "TECHMATCH_MAX_BULK_BODY_BYTES", default_value_t = 100 << 20)]
    pub max_bulk_body_bytes: usize,
    /// Longest search text in characters.
    #[arg(long, env = "TECHMATCH_MAX_QUERY_CHARS", default_value_t = MAX_QUERY_CHARS)]
    pub max_query_chars: usize,
    /// Largest page size.
    #[arg(long, env = "TECHMATCH_MAX_PAGE_SIZE", default_value_t = MAX_PAGE_SIZE)]
    pub max_page_size: usize,
    /// Deepest result reachable by paging, page x size.
    #[arg(long, env = "TECHMATCH_MAX_RESULT_DEPTH", default_value_t = MAX_RESULT_DEPTH)]
    pub max_result_depth: usize,
    /// Seconds a request may take until its response starts (bulk endpoints exempt).
    #[arg(long, env = "TECHMATCH_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Requests served at once; more get 503.
    #[arg(long, env = "TECHMATCH_CONCURRENCY_LIMIT", default_value_t = 64)]
    pub concurrency_limit: usize,
    /// Open connections at once; more are answered 503 and closed.
    #[arg(long, env = "TECHMATCH_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers, and may stay idle on a
    /// kept-alive connection, before it is closed (slow or stuck clients: 408).
    #[arg(long, env = "TECHMATCH_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a response may wait for the client to read any of it before the
    /// connection is closed (clients that stop reading).
    #[arg(long, env = "TECHMATCH_SEND_TIMEOUT_SECS", default_value_t = 30)]
    pub send_timeout_secs: u64,
    /// Browser origin allowed to call the API (CORS); repeat, or comma-separate in the env.
    #[arg(
        long = "cors-origin",
        env = "TECHMATCH_CORS_ORIGINS",
        value_delimiter = ','
    )]
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Gzip responses when the client accepts it.
    #[arg(long, env = "TECHMATCH_COMPRESSION", action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true")]
    pub compression: bool,
    /// Seconds to wait for in-flight requests on SIGTERM or Ctrl-C.
    #[arg(long, env = "TECHMATCH_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,
    /// MiB of search and suggestion answers kept in memory, weighed by their size, per
    /// index generation (a commit makes older ones unreachable); 0 turns the cache off.
    #[arg(long, env = "TECHMATCH_CACHE_MB", default_value_t = 64)]
    pub cache_mb: u64,
    /// MiB of record sets kept per segment (each query word's, filter's and lifecycle
    /// rule's records, from which totals and facets are counted; kept across commits while
    /// their segment lives); 0 counts through the ranking query instead (slower).
    #[arg(long, env = "TECHMATCH_RECORD_SETS_MB", default_value_t = 256)]
    pub record_sets_mb: u64,
    /// Totals of a search are exact up to this many records; above it, a search reports
    /// this figure flagged as a lower bound (`total_is_lower_bound`; the page shows "N+").
    #[arg(long, env = "TECHMATCH_TOTAL_CAP", default_value_t = 10_000)]
    pub total_cap: usize,
}

/// The limits the service enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Largest body of the bulk endpoints.
    pub max_bulk_body_bytes: usize,
    /// Text length and paging limits of one search.
    pub request: RequestLimits,
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

/// The resolved configuration of the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Index directory.
    pub index: PathBuf,
    /// What a missing index is built from (`None`: never build).
    pub seed: Option<Seed>,
    /// Listening address.
    pub addr: SocketAddr,
    /// Bearer key of the write API.
    pub api_key: Option<ApiKey>,
    /// A read-only replica: no writer, writes answered 403.
    pub read_only: bool,
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
    /// MiB of cached search and suggestion answers (0: off).
    pub cache_mb: u64,
    /// MiB of remembered record sets (0: count through the ranking query).
    pub record_sets_mb: u64,
    /// Totals exact up to this many records.
    pub total_cap: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Settings::defaults()
            .resolve()
            .expect("the defaults are valid")
    }
}

impl Settings {
    /// The defaults, as `--help` shows them (the environment is not read).
    pub fn defaults() -> Settings {
        let command = Settings::augment_args(clap::Command::new("defaults").no_binary_name(true))
            .mut_args(|arg| arg.env(None));
        let matches = command
            .try_get_matches_from(std::iter::empty::<&str>())
            .expect("every setting has a default or is optional");
        Settings::from_arg_matches(&matches).expect("defaults parse")
    }

    /// The names of the settings: the keys of the TOML file.
    pub fn keys() -> Vec<String> {
        Settings::augment_args(clap::Command::new("keys"))
            .get_arguments()
            .map(|arg| arg.get_id().to_string())
            .collect()
    }

    /// The settings of `matches` (flags and environment, parsed by clap from a command
    /// that includes [`Settings`]), with the TOML `file` filling in every setting that
    /// neither a flag nor the environment gave: flag > env > file > default. Unknown keys
    /// and ill-typed values in the file are errors naming the file and the key.
    pub fn layered(matches: &ArgMatches, file: Option<&Path>) -> Result<Settings, ServeError> {
        let mut settings =
            Settings::from_arg_matches(matches).map_err(|e| ServeError::Config(e.to_string()))?;
        let Some(path) = file else {
            return Ok(settings);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServeError::Config(format!("cannot read {}: {e}", path.display())))?;
        let table: toml::Table = toml::from_str(&text)
            .map_err(|e| ServeError::Config(format!("{}: {e}", path.display())))?;
        let keys = Settings::keys();
        for (key, value) in table {
            if !keys.contains(&key) {
                return Err(ServeError::Config(format!(
                    "{}: unknown setting '{key}'; the settings are: {}",
                    path.display(),
                    keys.join(", ")
                )));
            }
            let given = matches!(
                matches.value_source(&key),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            );
            if !given {
                settings = settings
                    .with(&key, value)
                    .map_err(|e| ServeError::Config(format!("{}: {key}: {e}", path.display())))?;
            }
        }
        Ok(settings)
    }

    /// These settings with one key replaced by a TOML value.
    fn with(&self, key: &str, value: toml::Value) -> Result<Settings, String> {
        let mut table = toml::Table::try_from(self).map_err(|e| e.to_string())?;
        table.insert(key.to_string(), value);
        table
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())
    }

    /// The settings as TOML, the API key redacted (`techmatch serve --print-config`).
    pub fn to_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.api_key.is_some() {
            shown.api_key = Some(ApiKey::new("<redacted>"));
        }
        toml::to_string(&shown).expect("settings serialise to TOML")
    }

    /// Checks every value and fills in what derives from them; errors name the setting.
    pub fn resolve(self) -> Result<ServeConfig, ServeError> {
        let bad = |message: String| Err(ServeError::Config(message));
        let Ok(addr) = self.addr.parse::<SocketAddr>() else {
            return bad(format!(
                "addr: '{}' is not an address such as 127.0.0.1:8080",
                self.addr
            ));
        };
        let in_range = |name: &str, value: usize, min: usize, max: usize| {
            if value < min || value > max {
                return Err(ServeError::Config(format!(
                    "{name}: must be between {min} and {max}, found {value}"
                )));
            }
            Ok(value)
        };
        let seconds = |name: &str, value: u64, max: u64| {
            in_range(name, value as usize, 1, max as usize).map(|_| Duration::from_secs(value))
        };
        let limits = Limits {
            max_body_bytes: in_range("max_body_bytes", self.max_body_bytes, 1, usize::MAX)?,
            max_bulk_body_bytes: in_range(
                "max_bulk_body_bytes",
                self.max_bulk_body_bytes,
                1,
                usize::MAX,
            )?,
            request: RequestLimits {
                max_query_chars: in_range(
                    "max_query_chars",
                    self.max_query_chars,
                    1,
                    MAX_QUERY_CHARS,
                )?,
                max_page_size: in_range("max_page_size", self.max_page_size, 1, MAX_PAGE_SIZE)?,
                max_result_depth: in_range(
                    "max_result_depth",
                    self.max_result_depth,
                    1,
                    MAX_RESULT_DEPTH,
                )?,
            },
            request_timeout: seconds("request_timeout_secs", self.request_timeout_secs, 86_400)?,
            concurrency_limit: in_range("concurrency_limit", self.concurrency_limit, 1, 100_000)?,
            max_connections: in_range("max_connections", self.max_connections, 1, 1_000_000)?,
            header_timeout: seconds("header_timeout_secs", self.header_timeout_secs, 3_600)?,
            send_timeout: seconds("send_timeout_secs", self.send_timeout_secs, 3_600)?,
        };
        let writer_memory_mb = in_range("writer_memory_mb", self.writer_memory_mb, 16, 8192)?;
        let api_key = match self.api_key {
            Some(key) if key.0.trim().is_empty() => None,
            Some(key) if key.0.len() < 8 => {
                return bad("api_key: must be at least 8 characters".into());
            }
            other => other,
        };
        let cors_origins: Vec<String> = self
            .cors_origins
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
        if self.cache_mb > 65_536 {
            return bad(format!(
                "cache_mb: must be at most 65536 (0 turns the cache off), found {}",
                self.cache_mb
            ));
        }
        if self.record_sets_mb > 65_536 {
            return bad(format!(
                "record_sets_mb: must be at most 65536 (0 counts through the ranking query), \
                 found {}",
                self.record_sets_mb
            ));
        }
        if self.total_cap == 0 {
            return bad(
                "total_cap: must be at least 1 (totals exact up to that many records)".into(),
            );
        }
        let data_dir = DataDir::resolve(self.data_dir.as_deref());
        let seed = match self.seed {
            Some(path) if path.as_os_str().is_empty() => None,
            Some(path) => Some(Seed::File(path)),
            None => Some(data_dir.default_seed()),
        };
        Ok(ServeConfig {
            index: self.index.unwrap_or_else(|| data_dir.index()),
            seed,
            addr,
            api_key,
            read_only: self.read_only,
            log_format: self.log_format,
            glossary: self.glossary,
            no_glossary: self.no_glossary,
            writer_memory: writer_memory_mb << 20,
            limits,
            cors_origins,
            compression: self.compression,
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
            cache_mb: self.cache_mb,
            record_sets_mb: self.record_sets_mb,
            total_cap: self.total_cap,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// Parses flags as `techmatch serve` would, without reading the environment (the
    /// binary's tests check the environment in a child process).
    fn flags(args: &[&str]) -> ArgMatches {
        Settings::augment_args(clap::Command::new("serve"))
            .mut_args(|arg| arg.env(None))
            .try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))
            .unwrap()
    }

    fn toml_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn defaults_listen_on_loopback_8080_with_writes_off() {
        let config = ServeConfig::default();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert!(config.index.ends_with("index"), "{:?}", config.index);
        assert!(config.api_key.is_none());
        assert_eq!(config.limits.max_body_bytes, 10 << 20);
        assert_eq!(config.limits.max_bulk_body_bytes, 100 << 20);
        assert_eq!(config.limits.request, RequestLimits::default());
    }

    #[test]
    fn a_flag_beats_the_file_which_beats_the_default() {
        let file =
            toml_file("addr = \"127.0.0.1:9000\"\nmax_page_size = 50\ncompression = false\n");
        let matches = flags(&["--addr", "127.0.0.1:9100", "--cache-mb", "7"]);
        let config = Settings::layered(&matches, Some(file.path()))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.addr.port(), 9100, "flag over file");
        assert_eq!(config.limits.request.max_page_size, 50, "file over default");
        assert!(!config.compression, "file over default");
        assert_eq!(config.cache_mb, 7, "flag over default");
        assert_eq!(config.limits.concurrency_limit, 64, "default");
        assert_eq!(config.record_sets_mb, 256, "default");
    }

    #[test]
    fn record_sets_are_sized_by_flag_or_file_and_bounded() {
        let file = toml_file("record_sets_mb = 32\n");
        let config = Settings::layered(&flags(&[]), Some(file.path()))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.record_sets_mb, 32, "file over default");
        let config = Settings::layered(&flags(&["--record-sets-mb", "0"]), Some(file.path()))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.record_sets_mb, 0, "flag over file");
        let error = Settings::layered(&flags(&["--record-sets-mb", "70000"]), None)
            .unwrap()
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("record_sets_mb: must be at most 65536"),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_setting() {
        let file = toml_file("adr = \"x\"");
        let error = Settings::layered(&flags(&[]), Some(file.path()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown setting 'adr'"), "{error}");
        let file = toml_file("max_page_size = \"fifty\"");
        let error = Settings::layered(&flags(&[]), Some(file.path()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_page_size: "), "{error}");
        let error = Settings::layered(&flags(&["--max-page-size", "500"]), None)
            .unwrap()
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
        let file = toml_file("api_key = \"s3cret-key-value\"");
        let settings = Settings::layered(&flags(&[]), Some(file.path())).unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert!(!settings.to_toml().contains("s3cret"));
        assert!(settings.resolve().unwrap().api_key.is_some());
    }

    #[test]
    fn every_setting_is_a_key_of_the_printed_config() {
        let printed: toml::Table = toml::from_str(&Settings::defaults().to_toml()).unwrap();
        for key in Settings::keys() {
            let optional =
                ["api_key", "glossary", "data_dir", "index", "seed"].contains(&key.as_str());
            assert!(printed.contains_key(&key) || optional, "{key} missing");
        }
    }
}
