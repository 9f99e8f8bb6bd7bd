//! The band-key entries of a near-duplicate pass over a whole index, kept so that the
//! pass's memory does not grow with the index.
//!
//! An entry is one `u64`: a record's LSH band key (its low 40 bits) above the record's
//! number ([`RECORD_BITS`]). Records sharing a key are found by sorting the entries; two
//! entries with the same key always fall in the same partition (chosen by the key's top
//! bits), so the partitions are sorted and scanned one at a time. Past
//! `MEMORY_ENTRIES` the entries go to one file per partition in a temporary directory
//! (in the index directory when there is one: the file system that holds the index has
//! room for a fraction of it), and a partition is read back only when its turn comes.
//! At 1M records (64 keys each) a partition is about 32 MiB.
//!
//! [`FreshKeys`] collects the entries of the records a writer adds as they arrive, when
//! their text is at hand: the pass after a large commit then reads no stored record back.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Bits of an entry that number the record.
pub const RECORD_BITS: u32 = 24;
/// The record number of an entry.
pub const RECORD_MASK: u64 = (1 << RECORD_BITS) - 1;
/// Bits of an entry (the top bits of its key) that choose its partition.
const PARTITION_BITS: u32 = 4;
/// Partitions of the entries.
pub const PARTITIONS: usize = 1 << PARTITION_BITS;
/// Entries held in memory before they are written to disk (32 MiB).
const MEMORY_ENTRIES: usize = 1 << 22;

/// Band-key entries, partitioned by key, in memory up to a budget and on disk beyond it.
pub struct BandEntries {
    memory: Vec<Vec<u64>>,
    held: usize,
    total: usize,
    disk: Option<Spill>,
    place: Option<PathBuf>,
}

/// The files of a spilled [`BandEntries`].
struct Spill {
    dir: tempfile::TempDir,
    files: Vec<Option<BufWriter<File>>>,
}

impl Spill {
    fn path(&self, partition: usize) -> PathBuf {
        self.dir.path().join(format!("part-{partition:02}"))
    }
}

impl BandEntries {
    /// No entries yet; spilled entries will go to a temporary directory in `place` (the
    /// system's temporary directory when `None`).
    pub fn new(place: Option<&Path>) -> BandEntries {
        BandEntries {
            memory: vec![Vec::new(); PARTITIONS],
            held: 0,
            total: 0,
            disk: None,
            place: place.map(Path::to_path_buf),
        }
    }

    /// Adds one entry per key for the record numbered `record` (below 2^[`RECORD_BITS`]).
    pub fn push(&mut self, record: u64, keys: &[u64]) -> io::Result<()> {
        debug_assert!(record <= RECORD_MASK);
        for &key in keys {
            let entry = (key << RECORD_BITS) | record;
            self.memory[partition_of(entry)].push(entry);
        }
        self.held += keys.len();
        self.total += keys.len();
        if self.held >= MEMORY_ENTRIES {
            self.spill()?;
        }
        Ok(())
    }

    /// Entries added so far.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether no entry was added.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Writes the entries held in memory to the partitions' files.
    fn spill(&mut self) -> io::Result<()> {
        if self.disk.is_none() {
            let builder = {
                let mut builder = tempfile::Builder::new();
                builder.prefix(SPILL_PREFIX);
                builder
            };
            let dir = match &self.place {
                Some(place) => builder.tempdir_in(place)?,
                None => builder.tempdir()?,
            };
            let mut spill = Spill {
                dir,
                files: Vec::with_capacity(PARTITIONS),
            };
            for partition in 0..PARTITIONS {
                let file = File::create(spill.path(partition))?;
                spill
                    .files
                    .push(Some(BufWriter::with_capacity(1 << 16, file)));
            }
            self.disk = Some(spill);
        }
        let spill = self.disk.as_mut().expect("created above");
        for (part, file) in self.memory.iter_mut().zip(&mut spill.files) {
            let Some(file) = file else {
                return Err(io::Error::other(
                    "a band-key partition was read before all were written",
                ));
            };
            for entry in part.iter() {
                file.write_all(&entry.to_le_bytes())?;
            }
            part.clear();
        }
        self.held = 0;
        Ok(())
    }

    /// The entries of one partition, unsorted, taken out (its file, if any, is deleted).
    pub fn take_partition(&mut self, partition: usize) -> io::Result<Vec<u64>> {
        let in_memory = std::mem::take(&mut self.memory[partition]);
        self.held -= in_memory.len();
        let Some(spill) = self.disk.as_mut() else {
            return Ok(in_memory);
        };
        let path = spill.path(partition);
        let Some(file) = spill.files[partition].take() else {
            return Ok(in_memory);
        };
        file.into_inner().map_err(io::IntoInnerError::into_error)?;
        let mut bytes = Vec::new();
        File::open(&path)?.read_to_end(&mut bytes)?;
        std::fs::remove_file(&path)?;
        let mut entries = Vec::with_capacity(bytes.len() / 8 + in_memory.len());
        entries.extend(
            bytes
                .chunks_exact(8)
                .map(|chunk| u64::from_le_bytes(chunk.try_into().expect("eight bytes"))),
        );
        drop(bytes);
        entries.extend(in_memory);
        Ok(entries)
    }
}

/// The prefix of a spill's temporary directory.
const SPILL_PREFIX: &str = ".band-keys-";

/// Removes the spill directories left in `dir` by a writer that did not end (a killed
/// process cannot remove its temporary directory). Call only while holding the index's
/// writer lock: spills are a writer's.
pub fn remove_stale_spills(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(SPILL_PREFIX)
            && entry.file_type().is_ok_and(|kind| kind.is_dir());
        if stale {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => {
                    tracing::info!(path = %entry.path().display(), "removed the band keys a stopped writer left")
                }
                Err(error) => {
                    tracing::warn!(path = %entry.path().display(), %error, "could not remove the band keys a stopped writer left")
                }
            }
        }
    }
}

/// The partition of an entry: its key's top bits.
fn partition_of(entry: u64) -> usize {
    (entry >> (64 - PARTITION_BITS)) as usize
}

/// The band keys of the records a writer added since its last commit, computed from the
/// records as they were written (numbered in the order they came), with their ids.
pub struct FreshKeys {
    /// Entries numbered by arrival.
    pub entries: BandEntries,
    /// The id of each record, by arrival (an id written twice appears twice; its last
    /// arrival is the record the commit holds).
    pub ids: Vec<Box<str>>,
}

impl FreshKeys {
    /// Nothing collected yet; see [`BandEntries::new`] for `place`.
    pub fn new(place: Option<&Path>) -> FreshKeys {
        FreshKeys {
            entries: BandEntries::new(place),
            ids: Vec::new(),
        }
    }

    /// Adds a record's keys. `Ok(false)` when no more records can be numbered (the pass then
    /// reads the records back instead).
    pub fn push(&mut self, id: &str, keys: &[u64]) -> io::Result<bool> {
        let record = self.ids.len() as u64;
        if record > RECORD_MASK {
            return Ok(false);
        }
        self.entries.push(record, keys)?;
        self.ids.push(id.into());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut entries: Vec<u64>) -> Vec<u64> {
        entries.sort_unstable();
        entries
    }

    #[test]
    fn spilled_entries_come_back_whole_and_by_partition() {
        let dir = tempfile::tempdir().unwrap();
        let mut entries = BandEntries::new(Some(dir.path()));
        let mut expected = vec![Vec::new(); PARTITIONS];
        // More than the memory budget, so that some entries are on disk and some are not.
        let records = (MEMORY_ENTRIES / 8 + 1000) as u64;
        for record in 0..records {
            let keys: Vec<u64> = (0..10u64)
                .map(|i| crate::dedup::splitmix64(record * 31 + i))
                .collect();
            for &key in &keys {
                let entry = (key << RECORD_BITS) | record;
                expected[partition_of(entry)].push(entry);
            }
            entries.push(record, &keys).unwrap();
        }
        assert!(entries.disk.is_some(), "the budget was passed");
        assert_eq!(entries.len(), records as usize * 10);
        for (partition, wanted) in expected.into_iter().enumerate() {
            let got = entries.take_partition(partition).unwrap();
            assert!(got.iter().all(|&entry| partition_of(entry) == partition));
            assert_eq!(sorted(got), sorted(wanted), "partition {partition}");
        }
        // The spill's directory is inside `place`, and its files are gone once read.
        let spill_dir = entries.disk.as_ref().unwrap().dir.path().to_path_buf();
        assert!(spill_dir.starts_with(dir.path()));
        assert_eq!(std::fs::read_dir(&spill_dir).unwrap().count(), 0);
        drop(entries);
        assert!(!spill_dir.exists(), "the temporary directory is removed");
    }

    #[test]
    fn entries_in_memory_only_need_no_directory() {
        let mut entries = BandEntries::new(None);
        entries.push(7, &[1, 2, 3]).unwrap();
        assert!(entries.disk.is_none());
        let all: Vec<u64> = (0..PARTITIONS)
            .flat_map(|p| entries.take_partition(p).unwrap())
            .collect();
        assert_eq!(
            sorted(all),
            sorted(vec![
                (1 << RECORD_BITS) | 7,
                (2 << RECORD_BITS) | 7,
                (3 << RECORD_BITS) | 7
            ])
        );
    }
}
