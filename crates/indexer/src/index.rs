//! The supply index on disk: opening (with the analyzer version check), the writer
//! lifecycle (upsert, delete, commit, rollback) and the commit metadata.
//!
//! The analyzer version and commit time travel in tantivy's commit payload, written in the
//! same atomic step as the commit itself: there is no side file that could disagree with the
//! index after a crash.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, MmapDirectory};
use tantivy::index::{SegmentComponent, SegmentMeta};
use tantivy::indexer::{MergeCandidate, MergePolicy, NoMergePolicy, UserOperation};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Opstamp, ReloadPolicy, TantivyDocument,
    TantivyError, Term,
};
use techmatch_analysis::ANALYZER_VERSION;

use crate::band_entries::FreshKeys;
use crate::bulk_directory::BulkDirectory;
use crate::clusters::{
    all_candidate_pairs, candidate_pairs_of, clusters, confirm, Decisions, Fresh,
};
use crate::document::{from_document, to_document};
use crate::error::{IndexerError, Result};
use crate::province::Provinces;
use crate::record::Supply;
use crate::schema::SupplySchema;

/// Default writer memory budget: 128 MiB, shared by the indexing threads.
pub const DEFAULT_WRITER_MEMORY: usize = 128 << 20;

/// Metadata saved with every commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitMeta {
    /// Analyzer version that produced the tokens.
    pub analyzer_version: u32,
    /// Version of techmatch that wrote the commit.
    pub techmatch_version: String,
    /// Commit time, seconds since the Unix epoch.
    pub committed_at: i64,
}

impl CommitMeta {
    fn now() -> CommitMeta {
        CommitMeta {
            analyzer_version: ANALYZER_VERSION,
            techmatch_version: env!("CARGO_PKG_VERSION").to_string(),
            committed_at: time::OffsetDateTime::now_utc().unix_timestamp(),
        }
    }
}

/// How an opened index reads its segment files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// Mapped (tantivy's `MmapDirectory`): for serving and searching.
    Mapped,
    /// Read with positioned reads but for the record store ([`BulkDirectory`]): for a
    /// bulk build.
    Bulk,
}

impl Reads {
    /// The directory of the index in `dir`, read this way.
    fn directory(self, dir: &Path) -> Result<Box<dyn Directory>> {
        Ok(match self {
            Reads::Mapped => Box::new(MmapDirectory::open(dir).map_err(TantivyError::from)?),
            Reads::Bulk => Box::new(BulkDirectory::open(dir).map_err(TantivyError::from)?),
        })
    }
}

/// An opened supply index.
#[derive(Clone)]
pub struct SupplyIndex {
    index: Index,
    schema: SupplySchema,
    provinces: std::sync::Arc<Provinces>,
    dir: Option<PathBuf>,
}

impl SupplyIndex {
    /// Opens the index in `dir`, creating the directory and an empty index when absent.
    pub fn open_or_create(dir: &Path) -> Result<SupplyIndex> {
        SupplyIndex::open_or_create_with(dir, Reads::Mapped)
    }

    /// [`SupplyIndex::open_or_create`] for a process that writes many records and exits
    /// (`techmatch index`, a build beside a served index): the segments it merges are read
    /// with positioned reads instead of being mapped, so a merge of the whole index does
    /// not hold the index's pages in the process's resident memory (see
    /// [`crate::bulk_directory`]). Searches through it are slower: serve from
    /// [`SupplyIndex::open`].
    pub fn open_or_create_for_bulk_write(dir: &Path) -> Result<SupplyIndex> {
        SupplyIndex::open_or_create_with(dir, Reads::Bulk)
    }

    fn open_or_create_with(dir: &Path, reads: Reads) -> Result<SupplyIndex> {
        if dir.join("meta.json").exists() {
            return SupplyIndex::open_with(dir, reads);
        }
        std::fs::create_dir_all(dir)?;
        if std::fs::read_dir(dir)?.next().is_some() {
            return Err(IndexerError::NotAnIndex {
                dir: dir.to_path_buf(),
                reason: "the directory is not empty and has no meta.json".into(),
            });
        }
        let schema = SupplySchema::new();
        let index = Index::create(
            reads.directory(dir)?,
            schema.schema.clone(),
            Default::default(),
        )?;
        Ok(SupplyIndex::wrap(index, schema, Some(dir)))
    }

    /// Opens an existing index; fails with a rebuild hint if the analyzer changed.
    pub fn open(dir: &Path) -> Result<SupplyIndex> {
        SupplyIndex::open_with(dir, Reads::Mapped)
    }

    fn open_with(dir: &Path, reads: Reads) -> Result<SupplyIndex> {
        if !dir.join("meta.json").exists() {
            return Err(IndexerError::NotAnIndex {
                dir: dir.to_path_buf(),
                reason: "no index here (build one with: techmatch index --index DIR FILE...)"
                    .into(),
            });
        }
        let index = Index::open(reads.directory(dir)?)?;
        let schema = SupplySchema::new();
        if index.schema() != schema.schema {
            return Err(IndexerError::SchemaMismatch {
                dir: dir.to_path_buf(),
            });
        }
        if let Some(meta) = read_commit_meta(&index)? {
            if meta.analyzer_version != ANALYZER_VERSION {
                return Err(IndexerError::AnalyzerMismatch {
                    dir: dir.to_path_buf(),
                    found: meta.analyzer_version,
                    expected: ANALYZER_VERSION,
                });
            }
        }
        Ok(SupplyIndex::wrap(index, schema, Some(dir)))
    }

    /// An index in memory (tests, benchmarks).
    pub fn create_in_ram() -> SupplyIndex {
        let schema = SupplySchema::new();
        let index = Index::create_in_ram(schema.schema.clone());
        SupplyIndex::wrap(index, schema, None)
    }

    fn wrap(index: Index, schema: SupplySchema, dir: Option<&Path>) -> SupplyIndex {
        techmatch_analysis::register(&index);
        crate::concepts::register(&index, Some(crate::glossary::Glossary::bundled_shared()));
        SupplyIndex {
            index,
            schema,
            provinces: std::sync::Arc::new(Provinces::bundled()),
            dir: dir.map(Path::to_path_buf),
        }
    }

    /// Tags the records written from now on with `glossary`'s concepts (the bundled
    /// glossary until this is called; `None` tags nothing). Every handle to this index
    /// shares the choice; see [`crate::concepts`] for how a mix is detected.
    pub fn set_glossary(&self, glossary: Option<std::sync::Arc<crate::glossary::Glossary>>) {
        crate::concepts::register(&self.index, glossary);
    }

    /// The tantivy index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The schema handles.
    pub fn schema(&self) -> &SupplySchema {
        &self.schema
    }

    /// The province table used for facets.
    pub fn provinces(&self) -> &Provinces {
        &self.provinces
    }

    /// The directory, for on-disk indexes.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// A reader that reloads on commit.
    pub fn reader(&self) -> Result<IndexReader> {
        Ok(self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?)
    }

    /// The metadata of the last commit, if any.
    pub fn commit_meta(&self) -> Result<Option<CommitMeta>> {
        read_commit_meta(&self.index)
    }

    /// The opstamp of the last commit on disk (0 before the first): it changes with every
    /// commit, so comparing it before and after a run tells whether the run committed.
    pub fn last_opstamp(&self) -> Result<u64> {
        Ok(self.index.load_metas()?.opstamp)
    }

    /// Whether a failed write most likely ran out of disk: the error says so, or the index's
    /// file system has less than 1 MiB left (tantivy sometimes reports only that its
    /// indexing thread stopped). Ask before [`SupplyIndex::discard_uncommitted`] frees the
    /// space again.
    pub fn failed_for_space(&self, error: &IndexerError) -> bool {
        error.is_disk_full()
            || self
                .dir
                .as_deref()
                .and_then(|dir| fs4::available_space(dir).ok())
                .is_some_and(|free| free < 1 << 20)
    }

    /// Deletes the files a failed write left behind (segments that were never committed), so
    /// that after a full disk the space they took is free again. Takes the writer lock for
    /// the moment it runs: call it after dropping the failed writer.
    pub fn discard_uncommitted(&self) -> Result<()> {
        let writer = self.writer(15 << 20)?;
        writer.writer.garbage_collect_files().wait()?;
        Ok(())
    }

    /// Takes the index's single writer lock; a second writer gets [`IndexerError::Locked`].
    pub fn writer(&self, memory_budget: usize) -> Result<SupplyWriter> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let per_thread_floor = 15 << 20;
        let threads = threads.min((memory_budget / per_thread_floor).max(1));
        match self.index.writer_with_num_threads(threads, memory_budget) {
            Ok(writer) => {
                // Band keys a writer spilled and could not remove (it was killed): only a
                // writer makes them, and this one holds the lock.
                if let Some(dir) = &self.dir {
                    crate::band_entries::remove_stale_spills(dir);
                }
                let fresh = committed_is_empty(&self.index)?;
                let mut writer = SupplyWriter {
                    fresh,
                    writer,
                    index: self.index.clone(),
                    dir: self.dir.clone(),
                    schema: self.schema.clone(),
                    provinces: self.provinces.clone(),
                    pending: 0,
                    added: HashSet::new(),
                    detect_duplicates: true,
                    fresh_keys: Some(FreshKeys::new(self.dir.as_deref())),
                    last_clustering: ClusteringReport::default(),
                    paused_policy: None,
                };
                if fresh {
                    writer.pause_merges();
                }
                Ok(writer)
            }
            Err(TantivyError::LockFailure(..)) => Err(IndexerError::Locked {
                dir: self.dir.clone().unwrap_or_default(),
            }),
            Err(error) => Err(error.into()),
        }
    }
}

/// Builds a new index beside `dir` (in a hidden sibling directory) and moves it into
/// place only when `build` succeeded and `keep` accepts its result; until then the index
/// at `dir`, if any, is untouched and keeps serving. On failure the half-built directory
/// is deleted. Used by `techmatch index --rebuild` after an analyzer change and by
/// `techmatch serve` to build a missing index from its seed file.
///
/// `build` must commit and release its writer before it returns.
pub fn build_beside<T, E>(
    dir: &Path,
    build: impl FnOnce(&SupplyIndex) -> std::result::Result<T, E>,
    keep: impl FnOnce(&T) -> bool,
) -> std::result::Result<T, E>
where
    E: From<IndexerError>,
{
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map_or("index".into(), |n| n.to_string_lossy().to_string());
    let pid = std::process::id();
    let fresh = parent.join(format!(".{name}.building-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let discard = |error: IndexerError| {
        std::fs::remove_dir_all(&fresh).ok();
        E::from(error)
    };
    std::fs::create_dir_all(parent).map_err(|e| E::from(e.into()))?;
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(|e| E::from(e.into()))?;
    }
    let index = SupplyIndex::open_or_create_for_bulk_write(&fresh).map_err(discard)?;
    let built = match build(&index) {
        Ok(built) => built,
        Err(error) => {
            drop(index);
            std::fs::remove_dir_all(&fresh).ok();
            return Err(error);
        }
    };
    drop(index);
    if !keep(&built) {
        std::fs::remove_dir_all(&fresh).ok();
        return Ok(built);
    }
    let swap = || -> std::io::Result<()> {
        let had_old = match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_none() {
                    std::fs::remove_dir(dir)?;
                    false
                } else {
                    std::fs::rename(dir, &old)?;
                    true
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
            Err(error) => return Err(error),
        };
        std::fs::rename(&fresh, dir)?;
        if had_old {
            std::fs::remove_dir_all(&old).ok();
        }
        Ok(())
    };
    swap().map_err(|e| discard(e.into()))?;
    Ok(built)
}

/// What [`snapshot`] copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Records in the copied commit.
    pub records: u64,
    /// Files of the commit (meta.json included).
    pub files: usize,
    /// How many of them were hard links (the rest were copied).
    pub linked: usize,
    /// The commit's opstamp.
    pub opstamp: u64,
}

/// Copies one consistent commit of the index in `dir`, which another process may be
/// writing, into the new directory `out`: the files of the segments that commit lists,
/// hard-linked where the file system allows (tantivy never changes a segment file once
/// written, and a link keeps the file even when the writer's merges delete it), then its
/// `meta.json` last. When the writer deletes a listed file before it could be linked (a
/// merge finished in between), the copy starts over from the newer commit.
pub fn snapshot(dir: &Path, out: &Path) -> Result<Snapshot> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(IndexerError::NotAnIndex {
            dir: out.to_path_buf(),
            reason: "the snapshot directory must be new or empty".into(),
        });
    }
    let mut last_error = None;
    for _attempt in 0..20 {
        if !dir.join("meta.json").exists() {
            return Err(IndexerError::NotAnIndex {
                dir: dir.to_path_buf(),
                reason: "no index here (no meta.json)".into(),
            });
        }
        // One read of meta.json: the commit to copy, written back as tantivy writes it.
        let meta = Index::open_in_dir(dir)?.load_metas()?;
        let meta_bytes = serde_json::to_vec_pretty(&meta).expect("index meta serialises");
        std::fs::create_dir_all(out)?;
        let mut files = 0;
        let mut linked = 0;
        let mut vanished = false;
        'segments: for segment in &meta.segments {
            let postings = segment.relative_path(SegmentComponent::Postings);
            let mut components = vec![
                SegmentComponent::Postings,
                SegmentComponent::Positions,
                SegmentComponent::Terms,
                SegmentComponent::Store,
                SegmentComponent::FastFields,
                SegmentComponent::FieldNorms,
            ];
            if segment.has_deletes() {
                components.push(SegmentComponent::Delete);
            }
            for component in components {
                let file = segment.relative_path(component);
                let (from, to) = (dir.join(&file), out.join(&file));
                // A component the segment never wrote is skipped; a segment whose postings
                // are gone was merged away since the commit was read.
                if !from.exists() && dir.join(&postings).exists() {
                    continue;
                }
                match std::fs::hard_link(&from, &to) {
                    Ok(()) => linked += 1,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        vanished = true;
                        last_error = Some(error);
                        break 'segments;
                    }
                    Err(_) => match std::fs::copy(&from, &to) {
                        Ok(_) => {}
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                            vanished = true;
                            last_error = Some(error);
                            break 'segments;
                        }
                        Err(error) => return Err(error.into()),
                    },
                }
                files += 1;
            }
        }
        if vanished {
            // A merge replaced segments of this commit: start over from the newer one.
            std::fs::remove_dir_all(out)?;
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        }
        let temp = out.join(".meta.json.partial");
        std::fs::write(&temp, &meta_bytes)?;
        std::fs::rename(&temp, out.join("meta.json"))?;
        let index = SupplyIndex::open(out)?;
        let reader = index.reader()?;
        reader.reload()?;
        return Ok(Snapshot {
            records: reader.searcher().num_docs(),
            files: files + 1,
            linked,
            opstamp: meta.opstamp,
        });
    }
    Err(IndexerError::Io(last_error.unwrap_or_else(|| {
        std::io::Error::other("the index kept changing while it was copied")
    })))
}

fn read_commit_meta(index: &Index) -> Result<Option<CommitMeta>> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|payload| serde_json::from_str(payload).ok()))
}

/// Whether the last commit of `index` holds no live record.
fn committed_is_empty(index: &Index) -> Result<bool> {
    Ok(committed_records(index)? == 0)
}

/// Records in the index's last commit.
fn committed_records(index: &Index) -> Result<u64> {
    Ok(index
        .searchable_segment_metas()?
        .iter()
        .map(|segment| u64::from(segment.num_docs()))
        .sum())
}

/// The writer of a supply index: changes are invisible until [`SupplyWriter::commit`], and
/// a commit is all or nothing.
pub struct SupplyWriter {
    writer: IndexWriter,
    index: Index,
    dir: Option<PathBuf>,
    schema: SupplySchema,
    provinces: std::sync::Arc<Provinces>,
    pending: usize,
    /// Ids upserted since the last commit, to file into near-duplicate clusters.
    added: HashSet<String>,
    /// Whether the index held no committed record when `added` began (a first build, a
    /// rebuild after `delete_all`): then a record whose id is not in `added` cannot
    /// replace anything, and is added without a delete, which tantivy would otherwise
    /// apply to every segment at every flush and commit.
    fresh: bool,
    detect_duplicates: bool,
    /// Band keys of the records upserted since the last commit, computed as they came, for
    /// the near-duplicate pass of a large commit; `None` when detection is off or collecting
    /// failed (the pass then reads the records back).
    fresh_keys: Option<FreshKeys>,
    last_clustering: ClusteringReport,
    /// The writer's merge policy while merges are paused: through a first build (its
    /// segments are merged once, into one, after its commit) and a large commit's
    /// near-duplicate pass.
    paused_policy: Option<std::sync::Arc<dyn MergePolicy>>,
}

/// Records written by one commit from which its merges wait for its near-duplicate pass.
const DEFER_MERGES_FROM: usize = 10_000;

/// A writer's merge policy, handed back after a pause.
#[derive(Debug)]
struct SharedPolicy(std::sync::Arc<dyn MergePolicy>);

impl MergePolicy for SharedPolicy {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        self.0.compute_merge_candidates(segments)
    }
}

/// What near-duplicate detection did after a commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ClusteringReport {
    /// Records compared (those written by the commit).
    pub checked: usize,
    /// Of them, records found to duplicate another record and filed into its cluster.
    pub joined: usize,
    /// Records of the index fingerprinted from the store for the pass over the whole index
    /// (those not written by the commit: the commit's own were fingerprinted as they came).
    pub read_back: usize,
    /// Seconds spent.
    pub seconds: f64,
}

impl SupplyWriter {
    /// Adds a supply, replacing any record with the same id.
    pub fn upsert(&mut self, supply: &Supply) -> Result<()> {
        self.write(supply, None)?;
        self.added.insert(supply.id.clone());
        if let Some(fresh) = self.fresh_keys.as_mut() {
            let keys = crate::dedup::band_keys(supply);
            match fresh.push(&supply.id, &keys) {
                Ok(true) => {}
                Ok(false) => self.fresh_keys = None,
                Err(error) => {
                    tracing::warn!(
                        %error,
                        "could not keep the new records' band keys on disk; the \
                         near-duplicate pass will read the records back instead"
                    );
                    self.fresh_keys = None;
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, supply: &Supply, cluster: Option<&str>) -> Result<()> {
        let doc: TantivyDocument = to_document(&self.schema, &self.provinces, supply, cluster);
        let replaces = !self.fresh || self.added.contains(&supply.id);
        if replaces {
            let id = Term::from_field_text(self.schema.id, &supply.id);
            self.writer
                .run([UserOperation::Delete(id), UserOperation::Add(doc)])?;
        } else {
            self.writer.add_document(doc)?;
        }
        self.pending += 1;
        Ok(())
    }

    /// Turns near-duplicate detection after each commit on (the default) or off.
    pub fn set_detect_duplicates(&mut self, on: bool) {
        self.detect_duplicates = on;
        // Keys are collected from the next commit on (records already written get theirs
        // read back).
        self.fresh_keys = None;
    }

    /// What detection did after the last commit.
    pub fn last_clustering(&self) -> ClusteringReport {
        self.last_clustering
    }

    /// Removes the record with this id (a no-op when there is none).
    pub fn delete(&mut self, id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.schema.id, id));
        // The delete removed what came before it; a later write of the id replaces nothing.
        if self.fresh {
            self.added.remove(id);
        }
        self.pending += 1;
    }

    /// Removes every record (used by a rebuild, in the same commit as the new records).
    pub fn delete_all(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        self.fresh = true;
        self.pause_merges();
        self.pending += 1;
        Ok(())
    }

    /// Operations since the last commit or rollback.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Makes every change since the last commit durable and visible, atomically; then
    /// files the records it wrote into near-duplicate clusters, committing again when some
    /// joined one (the cluster key is derived data: the records are complete and
    /// searchable after the first commit either way).
    pub fn commit(&mut self) -> Result<Opstamp> {
        // Merges wait while a large commit runs its near-duplicate pass (the final merges of
        // a bulk build read most of the index, at 1M records 1.7 GB of mapped pages, and
        // would hold those pages and share the cores with the pass). A commit writing at
        // least as many records as the index holds (a first build, a rebuild, a bulk import
        // as large as what was there) then ends with one merge of every segment
        // (`consolidate`).
        let written = self.added.len();
        let bulk = written > 0 && (self.fresh || written as u64 >= committed_records(&self.index)?);
        if bulk || written >= DEFER_MERGES_FROM {
            self.pause_merges();
        }
        let committed = self.commit_and_file();
        if let Some(policy) = self.paused_policy.take() {
            if committed.is_ok() && bulk {
                self.consolidate();
            }
            self.writer.set_merge_policy(Box::new(SharedPolicy(policy)));
            if let Ok(opstamp) = committed {
                // Merges are considered at a commit: the one that lets them go.
                return Ok(match self.commit_changes() {
                    Ok(newer) => newer,
                    Err(error) => {
                        self.after_commit_failed("the commit that lets merges start", &error);
                        opstamp
                    }
                });
            }
        }
        committed
    }

    fn commit_and_file(&mut self) -> Result<Opstamp> {
        let opstamp = self.commit_changes()?;
        // Cluster keys are written back below, as replacements. From here on the records
        // are committed: nothing below may report the commit as failed.
        self.fresh = committed_is_empty(&self.index).unwrap_or_else(|error| {
            // Not fresh: later writes then delete before adding, which is always safe.
            tracing::warn!(%error, "could not read the commit just made");
            false
        });
        let added = std::mem::take(&mut self.added);
        let fresh_keys = self.fresh_keys.take();
        self.fresh_keys = self.new_fresh_keys();
        self.last_clustering = ClusteringReport::default();
        if self.detect_duplicates && !added.is_empty() {
            let started = std::time::Instant::now();
            let mut report = ClusteringReport {
                checked: added.len(),
                ..ClusteringReport::default()
            };
            let filed = match self.file_into_clusters(added, fresh_keys, &mut report) {
                Ok(()) if report.joined > 0 => self.commit_changes().map(Some),
                Ok(()) => Ok(None),
                Err(error) => Err(error),
            };
            report.seconds = started.elapsed().as_secs_f64();
            match filed {
                Ok(newer) => {
                    self.last_clustering = report;
                    return Ok(newer.unwrap_or(opstamp));
                }
                Err(error) => self.after_commit_failed(
                    "filing the new records into near-duplicate clusters",
                    &error,
                ),
            }
        }
        Ok(opstamp)
    }

    /// A step after a successful commit failed (the near-duplicate filing, the commit that
    /// lets merges start; on a full disk, say): the records are committed and searchable,
    /// so the commit still succeeds; the step's uncommitted changes are dropped, and the
    /// writer is usable again (tantivy stops indexing threads that hit an I/O error).
    fn after_commit_failed(&mut self, what: &str, error: &IndexerError) {
        tracing::warn!(%error, "the records are committed, but {what} failed and was dropped");
        if let Err(error) = self.writer.rollback() {
            tracing::warn!(%error, "could not drop the failed step's changes");
        }
        self.pending = 0;
    }

    /// Stops new merges until the next commit gives the policy back. A first build writes
    /// its segments unmerged (the log merge policy would rewrite most records once or twice
    /// on the way) and merges them once after its commit ([`Self::consolidate`]).
    fn pause_merges(&mut self) {
        if self.paused_policy.is_none() {
            self.paused_policy = Some(self.writer.get_merge_policy());
            self.writer.set_merge_policy(Box::new(NoMergePolicy));
        }
    }

    /// Merges all the segments into one, in the background, after a commit that wrote at
    /// least half of the index. The writer's log merge policy leaves a bulk build in
    /// segments of equal size when there are fewer than eight of them (six of ~17,000
    /// records at 100k), and every segment costs each search its own dictionary lookups,
    /// expansions and facet pass: the 100k search box answered in twice the time from six
    /// segments as from one (`benches/README.md`, "Fewer indexed streams"). The merge costs
    /// at most about what the commit did; smaller commits leave the segments to the
    /// policy, which does not rewrite a large segment for a few new records.
    fn consolidate(&mut self) {
        let ids = match self.index.searchable_segment_ids() {
            Ok(ids) => ids,
            Err(error) => {
                tracing::warn!(%error, "could not list the segments to merge; left as they are");
                return;
            }
        };
        if ids.len() < 2 {
            return;
        }
        tracing::debug!(
            segments = ids.len(),
            "merging a bulk commit's segments into one"
        );
        // The merge runs on the writer's merge thread and `finish` waits for it. A merge
        // tantivy cannot start (a segment still in a merge begun before the pause) or that
        // fails leaves the committed segments as they are: nothing is lost either way.
        drop(self.writer.merge(&ids));
    }

    fn commit_changes(&mut self) -> Result<Opstamp> {
        let meta = serde_json::to_string(&CommitMeta::now()).expect("commit meta serialises");
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&meta);
        let opstamp = prepared.commit()?;
        self.pending = 0;
        Ok(opstamp)
    }

    /// Compares the committed records `new` with the whole index and rewrites those that
    /// duplicate another record with their cluster key; notes in `report` how many were
    /// rewritten and how many other records were read back.
    fn file_into_clusters(
        &mut self,
        new: HashSet<String>,
        fresh_keys: Option<FreshKeys>,
        report: &mut ClusteringReport,
    ) -> Result<()> {
        let opened = std::time::Instant::now();
        let reader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        // A large share of the index is cheaper in one pass over the band keys (and its ids
        // in one pass over the id column); a few records are looked up by id and by words.
        let many = new.len() * 20 >= searcher.num_docs() as usize;
        let mut addresses: HashMap<String, DocAddress> = HashMap::with_capacity(new.len());
        if many {
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                let Some(ids) = segment.fast_fields().str("id")? else {
                    continue;
                };
                // The id dictionary in one sequential pass (looking up each document's id
                // by its ordinal instead costs a dictionary block decode per document).
                let mut new_by_ord: HashMap<u64, &str> = HashMap::new();
                let mut terms = ids.dictionary().stream()?;
                while terms.advance() {
                    if let Some(id) = std::str::from_utf8(terms.key())
                        .ok()
                        .and_then(|id| new.get(id))
                    {
                        new_by_ord.insert(terms.term_ord(), id.as_str());
                    }
                }
                for doc in segment.doc_ids_alive() {
                    let found = ids.term_ords(doc).next();
                    if let Some(id) = found.and_then(|term| new_by_ord.get(&term)) {
                        addresses.insert(id.to_string(), DocAddress::new(ord as u32, doc));
                    }
                }
            }
        } else {
            for id in &new {
                let query = tantivy::query::TermQuery::new(
                    Term::from_field_text(self.schema.id, id),
                    tantivy::schema::IndexRecordOption::Basic,
                );
                let hits = searcher.search(
                    &query,
                    &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
                )?;
                if let Some(&(_, address)) = hits.first() {
                    addresses.insert(id.clone(), address);
                }
            }
        }
        let new_addresses: HashSet<DocAddress> = addresses.values().copied().collect();
        let lookup_seconds = opened.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let candidates = if many {
            let fresh = fresh_keys.map(|keys| Fresh {
                keys,
                addresses: &addresses,
            });
            let mut all = all_candidate_pairs(&searcher, &self.schema, fresh, self.dir.as_deref())?;
            report.read_back = all.read_back;
            all.pairs
                .retain(|(a, b)| new_addresses.contains(a) || new_addresses.contains(b));
            all.pairs
        } else {
            let list: Vec<DocAddress> = new_addresses.iter().copied().collect();
            candidate_pairs_of(&self.index, &searcher, &self.schema, &list)?
        };
        let candidates_seconds = started.elapsed().as_secs_f64();
        if candidates.is_empty() {
            tracing::debug!(
                records = new.len(),
                many,
                lookup_seconds,
                candidates_seconds,
                "near-duplicate pass: no candidate pair"
            );
            return Ok(());
        }
        let started = std::time::Instant::now();
        let decisions = Decisions::load(self.dir.as_deref())?;
        let (pairs, keys) = confirm(
            &searcher,
            &self.schema,
            &candidates,
            &decisions,
            self.dir.as_deref(),
        )?;
        tracing::debug!(
            records = new.len(),
            many,
            candidates = candidates.len(),
            lookup_seconds,
            candidates_seconds,
            confirmed = pairs.len(),
            confirm_seconds = started.elapsed().as_secs_f64(),
            "near-duplicate pass"
        );
        let mut joined = 0;
        for cluster in clusters(&pairs, &keys, &new) {
            for member in &cluster.members {
                let Some(&address) = addresses.get(member) else {
                    continue;
                };
                if *member == cluster.cluster || keys.get(member) == Some(&cluster.cluster) {
                    continue;
                }
                let doc: TantivyDocument = searcher.doc(address)?;
                if let Some(supply) = from_document(&self.schema, &doc) {
                    self.write(&supply, Some(&cluster.cluster))?;
                    joined += 1;
                }
            }
        }
        report.joined = joined;
        Ok(())
    }

    /// Deletes index files no commit refers to (what a failed commit wrote).
    pub fn collect_garbage(&mut self) -> Result<()> {
        self.writer.garbage_collect_files().wait()?;
        Ok(())
    }

    /// Drops every change since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback()?;
        self.pending = 0;
        self.added.clear();
        self.fresh_keys = self.new_fresh_keys();
        self.fresh = committed_is_empty(&self.index)?;
        Ok(())
    }

    /// An empty collection of the next commit's band keys, when detection is on.
    fn new_fresh_keys(&self) -> Option<FreshKeys> {
        self.detect_duplicates
            .then(|| FreshKeys::new(self.dir.as_deref()))
    }

    /// Waits for background merges to finish and releases the lock.
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: usize) -> Supply {
        Supply {
            id: format!("TS-{i:05}"),
            title: format!("Máy sấy nông sản mẫu số {i}"),
            country: Some("VN".into()),
            ..Supply::default()
        }
    }

    /// One commit of the samples `records` by a writer of their own, with one indexing
    /// thread (a commit adds one segment) and no near-duplicate filing (the samples are
    /// near-duplicates of each other: filing them would rewrite them).
    fn commit_samples(index: &SupplyIndex, records: std::ops::Range<usize>) {
        let mut writer = index.writer(16 << 20).unwrap();
        writer.set_detect_duplicates(false);
        for i in records {
            writer.upsert(&sample(i)).unwrap();
        }
        writer.commit().unwrap();
        writer.finish().unwrap();
    }

    fn segments(index: &SupplyIndex) -> usize {
        index.index.searchable_segment_ids().unwrap().len()
    }

    #[test]
    fn a_large_commit_gives_its_merges_back_after_the_near_duplicate_pass() {
        let index = SupplyIndex::create_in_ram();
        let mut writer = index.writer(50 << 20).unwrap();
        // A first build writes unmerged segments.
        assert_eq!(
            format!("{:?}", writer.writer.get_merge_policy()),
            "NoMergePolicy"
        );
        let policy = format!("{:?}", writer.paused_policy.as_ref().unwrap());
        assert!(policy.starts_with("LogMergePolicy"), "{policy}");
        for i in 0..DEFER_MERGES_FROM {
            writer.upsert(&sample(i)).unwrap();
        }
        writer.commit().unwrap();
        assert_eq!(writer.last_clustering().checked, DEFER_MERGES_FROM);
        assert_eq!(
            format!("{:?}", writer.writer.get_merge_policy()),
            format!("SharedPolicy({policy})"),
            "the writer's own policy is back"
        );
        writer.finish().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 10_000);
        assert_eq!(searcher.segment_readers().len(), 1);
    }

    #[test]
    fn a_commit_as_large_as_the_index_merges_it_into_one_segment_and_a_small_one_does_not() {
        let index = SupplyIndex::create_in_ram();
        let commit = |records| commit_samples(&index, records);
        commit(0..20);
        assert_eq!(segments(&index), 1);
        // The index is no longer empty: a small commit adds a segment.
        commit(20..25);
        assert_eq!(segments(&index), 2, "five records do not rewrite twenty");
        // At least as many records as the index holds: one segment again, none lost.
        commit(25..55);
        assert_eq!(segments(&index), 1);
        let reader = index.reader().unwrap();
        reader.reload().unwrap();
        assert_eq!(reader.searcher().num_docs(), 55);
    }

    /// Every record and every posting of a bulk build's merges, read through
    /// [`BulkDirectory`], is there when the index is opened for serving.
    #[test]
    fn an_index_merged_through_positioned_reads_serves_every_record_and_posting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index");
        let index = SupplyIndex::open_or_create_for_bulk_write(&path).unwrap();
        let commit = |records| commit_samples(&index, records);
        commit(0..20);
        commit(20..25);
        assert_eq!(segments(&index), 2);
        commit(25..55);
        assert_eq!(segments(&index), 1, "merged through positioned reads");
        drop(index);

        let served = SupplyIndex::open(&path).unwrap();
        let searcher = served.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 55);
        let schema = served.schema();
        let folded = schema.text_field(
            crate::TextField::Title,
            techmatch_analysis::TokenStreamKind::Folded,
        );
        let count = |field, word: &str| {
            let term = Term::from_field_text(field, word);
            let query =
                tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
            searcher.search(&query, &tantivy::collector::Count).unwrap()
        };
        assert_eq!(count(folded, "say"), 55, "a word of every title");
        for i in [0, 19, 20, 24, 25, 54] {
            assert_eq!(count(folded, &i.to_string()), 1, "the number of record {i}");
            let id = Term::from_field_text(schema.id, &format!("TS-{i:05}"));
            let hits = searcher
                .search(
                    &tantivy::query::TermQuery::new(id, tantivy::schema::IndexRecordOption::Basic),
                    &tantivy::collector::TopDocs::with_limit(2).order_by_score(),
                )
                .unwrap();
            assert_eq!(hits.len(), 1);
            let document: TantivyDocument = searcher.doc(hits[0].1).unwrap();
            let supply = from_document(schema, &document).unwrap();
            assert_eq!(supply.title, format!("Máy sấy nông sản mẫu số {i}"));
        }
    }
}
