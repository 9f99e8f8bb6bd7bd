//! Where a command finds its index: `--index DIR`, or `DATA_DIR/index` with the data
//! directory given by `--data-dir`, or chosen as `techmatch_indexer::paths` says (so an
//! installed binary works from any working directory).

use std::path::PathBuf;

use clap::Args;
use techmatch_indexer::DataDir;

/// The index options shared by the commands that read or write an index.
#[derive(Args, Debug, Clone)]
pub struct IndexLocation {
    /// Index directory [default: DATA_DIR/index].
    #[arg(long, env = "TECHMATCH_INDEX")]
    index: Option<PathBuf>,
    /// Data directory [default: ./data in a checkout of the repository, $STATE_DIRECTORY
    /// under systemd, else the platform's data directory, e.g. ~/.local/share/techmatch].
    #[arg(long, value_name = "DIR", env = "TECHMATCH_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl IndexLocation {
    /// The index directory.
    pub fn index(&self) -> PathBuf {
        self.index
            .clone()
            .unwrap_or_else(|| DataDir::resolve(self.data_dir.as_deref()).index())
    }
}
