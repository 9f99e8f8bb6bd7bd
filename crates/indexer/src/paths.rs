//! Where techmatch keeps its data when not told: the data directory, and the collection an
//! empty index is first built from.
//!
//! An installed binary must work from any working directory, and a checkout of the
//! repository must keep working as before. [`DataDir::resolve`] decides, in order:
//! 1. the directory given (`--data-dir` or `TECHMATCH_DATA_DIR`);
//! 2. `$STATE_DIRECTORY`, which systemd sets for a unit with `StateDirectory=`;
//! 3. `./data` when the working directory is a checkout (it holds
//!    `index-data/supplies.jsonl`), the layout the README's quick start uses;
//! 4. the platform's per-user data directory (`$XDG_DATA_HOME/techmatch`, usually
//!    `~/.local/share/techmatch`), or `/var/lib/techmatch` when there is none.
//!
//! The index lives in `DATA_DIR/index`. The first start of a server builds it from the
//! checkout's `index-data/supplies.jsonl`, or else from the bundled collection compiled into
//! the binary ([`BUNDLED_SUPPLIES`]).

use std::path::{Path, PathBuf};

/// The bundled collection's supplies, compiled in, for the first start of an installed
/// binary.
pub const BUNDLED_SUPPLIES: &str = include_str!("../data/supplies.jsonl");

/// The bundled collection's demands, compiled in: the demand side of a first start from the
/// bundled collection.
pub const BUNDLED_DEMANDS: &str = include_str!("../data/demands.jsonl");

/// The bundled supplies file of a checkout, relative to its root.
pub const CHECKOUT_SUPPLIES: &str = "index-data/supplies.jsonl";

/// How the data directory was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDirOrigin {
    /// `--data-dir` or `TECHMATCH_DATA_DIR`.
    Given,
    /// systemd's `$STATE_DIRECTORY`.
    Systemd,
    /// `./data` in a checkout of the repository.
    Checkout,
    /// The platform's data directory.
    Platform,
}

/// The directory techmatch keeps its index in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    /// The directory.
    pub dir: PathBuf,
    /// How it was chosen.
    pub origin: DataDirOrigin,
}

/// Where a missing index is first built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seed {
    /// A supplies file.
    File(PathBuf),
    /// The collection compiled into the binary.
    Bundled,
}

impl DataDir {
    /// The data directory: `given`, or as the module documentation says.
    pub fn resolve(given: Option<&Path>) -> DataDir {
        Self::resolve_with(
            given,
            std::env::var_os("STATE_DIRECTORY").map(PathBuf::from),
            Path::new(CHECKOUT_SUPPLIES).is_file(),
        )
    }

    fn resolve_with(given: Option<&Path>, systemd: Option<PathBuf>, checkout: bool) -> DataDir {
        let (dir, origin) = if let Some(dir) = given.filter(|d| !d.as_os_str().is_empty()) {
            (dir.to_path_buf(), DataDirOrigin::Given)
        } else if let Some(dir) = systemd.filter(|d| !d.as_os_str().is_empty()) {
            // systemd may list several directories, separated by ':'.
            let first = dir
                .to_string_lossy()
                .split(':')
                .next()
                .unwrap_or("")
                .to_string();
            (PathBuf::from(first), DataDirOrigin::Systemd)
        } else if checkout {
            (PathBuf::from("data"), DataDirOrigin::Checkout)
        } else {
            let dir = dirs::data_dir()
                .map(|d| d.join("techmatch"))
                .unwrap_or_else(|| PathBuf::from("/var/lib/techmatch"));
            (dir, DataDirOrigin::Platform)
        };
        DataDir { dir, origin }
    }

    /// The index directory, `DATA_DIR/index`.
    pub fn index(&self) -> PathBuf {
        self.dir.join("index")
    }

    /// What a missing index is built from: the checkout's supplies file in a checkout,
    /// else the bundled collection.
    pub fn default_seed(&self) -> Seed {
        if self.origin == DataDirOrigin::Checkout || Path::new(CHECKOUT_SUPPLIES).is_file() {
            Seed::File(PathBuf::from(CHECKOUT_SUPPLIES))
        } else {
            Seed::Bundled
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_directory_wins_then_systemd_then_the_checkout_then_the_platform() {
        let systemd = Some(PathBuf::from("/var/lib/techmatch:/var/lib/other"));
        let given = DataDir::resolve_with(Some(Path::new("/srv/tm")), systemd.clone(), true);
        assert_eq!(given.dir, PathBuf::from("/srv/tm"));
        assert_eq!(given.index(), PathBuf::from("/srv/tm/index"));
        let unit = DataDir::resolve_with(None, systemd, true);
        assert_eq!(
            (unit.dir, unit.origin),
            (PathBuf::from("/var/lib/techmatch"), DataDirOrigin::Systemd)
        );
        let checkout = DataDir::resolve_with(None, None, true);
        assert_eq!(checkout.index(), PathBuf::from("data/index"));
        let installed = DataDir::resolve_with(None, None, false);
        assert_eq!(installed.origin, DataDirOrigin::Platform);
        assert!(installed.dir.ends_with("techmatch"), "{installed:?}");
    }

    #[test]
    fn the_bundled_collection_is_compiled_in() {
        assert_eq!(
            BUNDLED_SUPPLIES.lines().filter(|l| !l.is_empty()).count(),
            340
        );
    }
}
