//! Near-duplicate clusters of an index: candidate pairs from MinHash LSH bands (a pass
//! over every record) or from a search for a few records' words, confirmed on the
//! records' shingles ([`crate::dedup`]), joined into clusters.
//!
//! A record that duplicates another carries a cluster key in its `cluster` field: the id
//! of the cluster's first record (which carries none). Keys are assigned when records are
//! ingested (`SupplyWriter::commit` files them), so a cluster keeps its key as members are
//! added, and search shows one card per key. Pairs that a broker confirmed to be different
//! technologies ([`Decisions`]) are never linked again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::directory::footer::Footer;
use tantivy::directory::FileSlice;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::store::StoreReader;
use tantivy::{DocAddress, TantivyDocument, Term};
use techmatch_analysis::TokenStreamKind;

use crate::band_entries::{BandEntries, FreshKeys, PARTITIONS, RECORD_BITS, RECORD_MASK};
use crate::bulk_directory::PositionedFile;
use crate::dedup::{Evidence, Fingerprint};
use crate::document::from_document;
use crate::error::Result;
use crate::record::Supply;
use crate::schema::{SupplySchema, TextField};

/// Records sharing one band key beyond this many are linked to the first of them only
/// (a star, not every pair): a template text repeated by thousands of records must not
/// cost a quadratic number of comparisons.
pub const MAX_BUCKET_PAIRS: usize = 64;
/// Most candidates looked at for one record (searched by its words).
pub const MAX_CANDIDATES: usize = 20;
/// The file, in the index directory, of pairs confirmed not to be duplicates.
pub const DECISIONS_FILE: &str = "duplicate-decisions.jsonl";

/// Two records confirmed to describe the same technology.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    /// One record's id (the smaller).
    pub a: String,
    /// The other's.
    pub b: String,
    /// Why.
    #[serde(flatten)]
    pub evidence: Evidence,
}

/// A cluster of near-duplicates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// The cluster key: its first record's id.
    pub cluster: String,
    /// Every record of the cluster, the key first, then by id.
    pub members: Vec<String>,
    /// The confirmed pairs that joined them.
    pub evidence: Vec<Pair>,
}

/// A broker's decision on a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// One record.
    pub a: String,
    /// The other.
    pub b: String,
    /// `distinct`: not the same technology, never to be linked.
    pub decision: String,
}

/// Pairs confirmed by a broker not to be duplicates, kept beside the index.
#[derive(Debug, Clone, Default)]
pub struct Decisions {
    distinct: HashSet<(String, String)>,
    path: Option<PathBuf>,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Decisions {
    /// The decisions kept in an index directory (none when the file is absent).
    pub fn load(dir: Option<&Path>) -> Result<Decisions> {
        let mut decisions = Decisions {
            path: dir.map(|d| d.join(DECISIONS_FILE)),
            ..Decisions::default()
        };
        let Some(path) = &decisions.path else {
            return Ok(decisions);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(decisions),
            Err(error) => return Err(error.into()),
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let decision: Decision = serde_json::from_str(line).map_err(|error| {
                crate::error::IndexerError::BadDecision {
                    path: path.clone(),
                    line: i + 1,
                    reason: error.to_string(),
                }
            })?;
            if decision.decision == "distinct" {
                decisions.distinct.insert(ordered(&decision.a, &decision.b));
            }
        }
        Ok(decisions)
    }

    /// Whether a broker said these two are different technologies.
    pub fn are_distinct(&self, a: &str, b: &str) -> bool {
        self.distinct.contains(&ordered(a, b))
    }

    /// Records that two records are different technologies (appended to the file).
    pub fn mark_distinct(&mut self, a: &str, b: &str) -> Result<()> {
        if !self.distinct.insert(ordered(a, b)) {
            return Ok(());
        }
        if let Some(path) = &self.path {
            use std::io::Write;
            let (a, b) = ordered(a, b);
            let line = serde_json::to_string(&Decision {
                a,
                b,
                decision: "distinct".into(),
            })
            .expect("a decision serialises");
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(file, "{line}")?;
            file.sync_all()?;
        }
        Ok(())
    }
}

/// Candidate pairs of the whole index: records sharing an LSH band key.
///
/// Each (band key, record) is one entry ([`crate::band_entries`]); the entries are sorted
/// one partition at a time, so a band's records are neighbours, and every pair in a band is
/// noted once per band it shares. The keys of the records in `fresh` (written since the
/// last commit, keys computed as they came) are used as they are; every other live record
/// is read back from the store and fingerprinted on every core. Memory is the largest
/// partition (about 32 MiB per million records) and the pairs noted, whatever the index's
/// size. `dir` is the index's directory: entries beyond the memory budget go there, and
/// stored records are read from its files (`None`: an index in RAM, entries spilled to the
/// system's temporary directory).
pub fn all_candidate_pairs(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    fresh: Option<Fresh<'_>>,
    dir: Option<&Path>,
) -> Result<AllPairs> {
    // A record's number: its segment's first number plus its document id.
    let mut bases = Vec::with_capacity(searcher.segment_readers().len());
    let mut numbered = 0u64;
    for segment in searcher.segment_readers() {
        bases.push(numbered);
        numbered += u64::from(segment.max_doc());
    }
    if numbered > RECORD_MASK {
        // Beyond 16M records, split the index; never silently wrong.
        return Err(crate::error::IndexerError::Io(std::io::Error::other(
            format!(
                "near-duplicate detection handles at most {} records in one pass",
                RECORD_MASK + 1
            ),
        )));
    }
    let number =
        |address: DocAddress| bases[address.segment_ord as usize] + u64::from(address.doc_id);
    let address_of = |number: u64| {
        let segment = bases.partition_point(|&base| base <= number) - 1;
        DocAddress::new(segment as u32, (number - bases[segment]) as u32)
    };
    // Which arrival of a fresh record is the one the index holds: its last (an id written
    // twice has two arrivals and one record).
    let mut covered = vec![false; numbered as usize];
    let (mut fresh_entries, renumber) = match fresh {
        Some(Fresh { keys, addresses }) => {
            let mut renumber = vec![u64::MAX; keys.ids.len()];
            for (arrival, id) in keys.ids.iter().enumerate().rev() {
                if let Some(&address) = addresses.get(&**id) {
                    let record = number(address);
                    if !std::mem::replace(&mut covered[record as usize], true) {
                        renumber[arrival] = record;
                    }
                }
            }
            (Some(keys.entries), renumber)
        }
        None => (None, Vec::new()),
    };
    let to_read: Vec<DocAddress> = live_addresses(searcher)
        .filter(|&address| !covered[number(address) as usize])
        .collect();
    drop(covered);
    let read_back = to_read.len();
    let records = StoredRecords::open(searcher, dir)?;
    let mut read = BandEntries::new(dir);
    for chunk in to_read.chunks(FINGERPRINT_CHUNK) {
        let keys: Vec<(u64, Vec<u64>)> = chunk
            .par_iter()
            .map(|&address| -> Result<(u64, Vec<u64>)> {
                let keys = match records.get(schema, address)? {
                    Some(supply) => crate::dedup::band_keys(&supply),
                    None => Vec::new(),
                };
                Ok((number(address), keys))
            })
            .collect::<Result<_>>()?;
        for (record, keys) in keys {
            read.push(record, &keys)?;
        }
    }
    drop(to_read);
    // Every pair of records in one band, as one number (two record numbers), once per band
    // they share; sorted, a pair's bands are neighbours and are counted.
    let mut pair_entries: Vec<u64> = Vec::new();
    let mut bucket: Vec<u64> = Vec::new();
    for partition in 0..PARTITIONS {
        let mut entries = read.take_partition(partition)?;
        if let Some(fresh) = fresh_entries.as_mut() {
            let arrived = fresh.take_partition(partition)?;
            entries.extend(arrived.into_iter().filter_map(|entry| {
                let record = renumber[(entry & RECORD_MASK) as usize];
                (record != u64::MAX).then_some((entry & !RECORD_MASK) | record)
            }));
        }
        entries.par_sort_unstable();
        for group in entries.chunk_by(|a, b| a >> RECORD_BITS == b >> RECORD_BITS) {
            if group.len() < 2 {
                continue;
            }
            bucket.clear();
            bucket.extend(group.iter().map(|entry| entry & RECORD_MASK));
            bucket.dedup();
            link_bucket(&bucket, &mut pair_entries);
        }
    }
    drop(fresh_entries);
    pair_entries.par_sort_unstable();
    let mut pairs = HashSet::new();
    let mut by_shared = [0usize; 8];
    for run in pair_entries.chunk_by(|a, b| a == b) {
        by_shared[run.len().min(7)] += 1;
        if run.len() >= MIN_SHARED_BANDS {
            let (a, b) = (run[0] >> RECORD_BITS, run[0] & RECORD_MASK);
            pairs.insert((address_of(a), address_of(b)));
        }
    }
    tracing::debug!(?by_shared, "pairs sharing 1..7+ band keys");
    Ok(AllPairs { pairs, read_back })
}

/// What [`all_candidate_pairs`] found.
#[derive(Debug, Default)]
pub struct AllPairs {
    /// The records sharing at least [`MIN_SHARED_BANDS`] band keys.
    pub pairs: HashSet<(DocAddress, DocAddress)>,
    /// Records whose keys were computed from the store (not given as fresh keys).
    pub read_back: usize,
}

/// The address of every live record of a searcher, segment by segment in document order.
pub fn live_addresses(searcher: &tantivy::Searcher) -> impl Iterator<Item = DocAddress> + '_ {
    searcher
        .segment_readers()
        .iter()
        .enumerate()
        .flat_map(|(ord, segment)| {
            segment
                .doc_ids_alive()
                .map(move |doc| DocAddress::new(ord as u32, doc))
        })
}

/// What a writer knows of the records its commit wrote, for [`all_candidate_pairs`]: their
/// band keys, and where each id is now.
pub struct Fresh<'a> {
    /// The keys, computed as the records were written.
    pub keys: FreshKeys,
    /// The committed address of each id.
    pub addresses: &'a HashMap<String, DocAddress>,
}

/// Least number of LSH bands two records must share to be compared. One shared band is
/// what chance gives records written from the same templates (at 1M generated records,
/// 21 candidates per record, all but a handful different technologies); duplicates share
/// many (on the judged set at least 3, most over 10).
pub const MIN_SHARED_BANDS: usize = 2;

/// Records fingerprinted per parallel batch.
const FINGERPRINT_CHUNK: usize = 1 << 16;

fn link_bucket(bucket: &[u64], pairs: &mut Vec<u64>) {
    let pack = |a: u64, b: u64| (a.min(b) << RECORD_BITS) | a.max(b);
    if bucket.len() > MAX_BUCKET_PAIRS {
        for &other in &bucket[1..] {
            pairs.push(pack(bucket[0], other));
        }
        return;
    }
    for (i, &a) in bucket.iter().enumerate() {
        for &b in &bucket[i + 1..] {
            pairs.push(pack(a, b));
        }
    }
}

/// Candidate pairs of a few records: the records a search for each one's title and summary
/// words (folded) ranks highest. Cheaper than a pass over the whole index when the records
/// are few (an API write, a province's small import).
pub fn candidate_pairs_of(
    index: &tantivy::Index,
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    records: &[DocAddress],
) -> Result<HashSet<(DocAddress, DocAddress)>> {
    let fields: Vec<tantivy::schema::Field> =
        [TextField::Title, TextField::Summary, TextField::Description]
            .into_iter()
            .map(|f| schema.text_field(f, TokenStreamKind::Folded))
            .collect();
    let mut analyzer = index.tokenizer_for_field(fields[0])?;
    let mut queries = Vec::with_capacity(records.len());
    for &address in records {
        let Some(supply) = stored(searcher, schema, address)? else {
            continue;
        };
        let mut text = supply.title.clone();
        if let Some(summary) = &supply.summary {
            text.push('\n');
            text.push_str(summary);
        }
        let mut words: Vec<String> = Vec::new();
        let mut stream = analyzer.token_stream(&text);
        while let Some(token) = stream.next() {
            if !words.contains(&token.text) && words.len() < MAX_QUERY_WORDS {
                words.push(token.text.clone());
            }
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .flat_map(|word| {
                fields.iter().map(move |&field| {
                    let query: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(field, word),
                        IndexRecordOption::WithFreqs,
                    ));
                    (Occur::Should, query)
                })
            })
            .collect();
        if !clauses.is_empty() {
            queries.push((address, BooleanQuery::new(clauses)));
        }
    }
    let found: Vec<Vec<(DocAddress, DocAddress)>> = queries
        .par_iter()
        .map(
            |(address, query)| -> Result<Vec<(DocAddress, DocAddress)>> {
                let hits = searcher.search(
                    query,
                    &TopDocs::with_limit(MAX_CANDIDATES + 1).order_by_score(),
                )?;
                Ok(hits
                    .into_iter()
                    .filter(|(_, other)| other != address)
                    .map(|(_, other)| {
                        if *address < other {
                            (*address, other)
                        } else {
                            (other, *address)
                        }
                    })
                    .collect())
            },
        )
        .collect::<Result<_>>()?;
    Ok(found.into_iter().flatten().collect())
}

/// Most distinct words of a record's title and summary searched for its candidates.
const MAX_QUERY_WORDS: usize = 40;

fn stored(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    address: DocAddress,
) -> Result<Option<Supply>> {
    let doc: TantivyDocument = searcher.doc(address)?;
    Ok(from_document(schema, &doc))
}

/// The stored records of an index on disk, for a pass that reads many of them: read with
/// positioned reads instead of through the index's memory map, so that what was read stays
/// in the page cache and not in the process's resident memory (confirming the candidates of
/// a 1M-record index reads most of a 900 MB store; through the map that was ~960 MiB of the
/// build's peak). An index in RAM is read through its searcher.
struct StoredRecords<'a> {
    searcher: &'a tantivy::Searcher,
    /// The store of each segment, by ordinal, opened from its file; `None` for an index in
    /// RAM, and for a segment whose file a merge has deleted since the searcher opened it
    /// (the searcher's map still reads it).
    stores: Vec<Option<StoreReader>>,
}

/// Decompressed store blocks each segment's reader keeps.
const STORE_CACHE_BLOCKS: usize = 32;

impl<'a> StoredRecords<'a> {
    fn open(searcher: &'a tantivy::Searcher, dir: Option<&Path>) -> Result<StoredRecords<'a>> {
        let mut stores = Vec::new();
        if let Some(dir) = dir {
            for segment in searcher.segment_readers() {
                let path = dir.join(format!("{}.store", segment.segment_id().uuid_string()));
                let file = match std::fs::File::open(&path) {
                    Ok(file) => file,
                    // Merges that began before the pass may end during it and delete their
                    // sources; an open file stays readable, a deleted one cannot be opened.
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        stores.push(None);
                        continue;
                    }
                    Err(error) => return Err(error.into()),
                };
                let slice = FileSlice::new(std::sync::Arc::new(PositionedFile::new(file)?));
                let (_footer, store) = Footer::extract_footer(slice)?;
                stores.push(Some(StoreReader::open(store, STORE_CACHE_BLOCKS)?));
            }
        }
        Ok(StoredRecords { searcher, stores })
    }

    fn get(&self, schema: &SupplySchema, address: DocAddress) -> Result<Option<Supply>> {
        let Some(Some(store)) = self.stores.get(address.segment_ord as usize) else {
            return stored(self.searcher, schema, address);
        };
        let doc: TantivyDocument = store.get(address.doc_id)?;
        Ok(from_document(schema, &doc))
    }
}

/// What confirmation needs of one record.
struct Member {
    id: String,
    key: String,
    print: Fingerprint,
}

/// Confirms candidate pairs on the records' shingles; pairs a broker marked distinct are
/// left out. Returns the pairs and, for every record in one, its current cluster key. `dir`
/// is the index's directory, its stored records read from the files there (`None`: an index
/// in RAM).
pub fn confirm(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    candidates: &HashSet<(DocAddress, DocAddress)>,
    decisions: &Decisions,
    dir: Option<&Path>,
) -> Result<(Vec<Pair>, HashMap<String, String>)> {
    let records = StoredRecords::open(searcher, dir)?;
    let mut addresses: Vec<DocAddress> = candidates.iter().flat_map(|&(a, b)| [a, b]).collect();
    addresses.sort_unstable();
    addresses.dedup();
    let members: Vec<Option<Member>> = addresses
        .par_iter()
        .map(|&address| -> Result<Option<Member>> {
            let Some(supply) = records.get(schema, address)? else {
                return Ok(None);
            };
            let key = cluster_value(searcher, address)?.unwrap_or_else(|| supply.id.clone());
            Ok(Some(Member {
                print: Fingerprint::shingles_of(&supply),
                id: supply.id,
                key,
            }))
        })
        .collect::<Result<_>>()?;
    let by_address: HashMap<DocAddress, &Member> = addresses
        .iter()
        .zip(&members)
        .filter_map(|(address, member)| member.as_ref().map(|m| (*address, m)))
        .collect();
    let mut pairs: Vec<Pair> = candidates
        .par_iter()
        .filter_map(|(a, b)| {
            let (a, b) = (by_address.get(a)?, by_address.get(b)?);
            if a.id == b.id || decisions.are_distinct(&a.id, &b.id) {
                return None;
            }
            let evidence = a.print.confirm(&b.print)?;
            let (a, b) = ordered(&a.id, &b.id);
            Some(Pair { a, b, evidence })
        })
        .collect();
    pairs.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    pairs.dedup_by(|x, y| x.a == y.a && x.b == y.b);
    let keys = by_address
        .values()
        .map(|m| (m.id.clone(), m.key.clone()))
        .collect();
    Ok((pairs, keys))
}

/// The `cluster` value of a record, if it has one.
fn cluster_value(searcher: &tantivy::Searcher, address: DocAddress) -> Result<Option<String>> {
    let segment = searcher.segment_reader(address.segment_ord);
    let Some(column) = segment.fast_fields().str("cluster")? else {
        return Ok(None);
    };
    let mut key = String::new();
    let ord = column.term_ords(address.doc_id).next();
    match ord {
        Some(ord) => {
            column.ord_to_str(ord, &mut key)?;
            Ok(Some(key))
        }
        None => Ok(None),
    }
}

/// Joins confirmed pairs into clusters (connected components). A cluster's key is the key
/// most of its members already carry in their `cluster` field (so clusters keep their keys
/// as they grow), else the smallest id of the members that are not `new`, else the
/// smallest id.
pub fn clusters(
    pairs: &[Pair],
    keys: &HashMap<String, String>,
    new: &HashSet<String>,
) -> Vec<Cluster> {
    let mut ids: Vec<&str> = pairs
        .iter()
        .flat_map(|p| [p.a.as_str(), p.b.as_str()])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut parent: Vec<usize> = (0..ids.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for pair in pairs {
        let (a, b) = (
            find(&mut parent, index[pair.a.as_str()]),
            find(&mut parent, index[pair.b.as_str()]),
        );
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut components: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let root = find(&mut parent, i);
        components.entry(root).or_default().push(id);
    }
    let mut evidence: HashMap<usize, Vec<Pair>> = HashMap::new();
    for pair in pairs {
        let root = find(&mut parent, index[pair.a.as_str()]);
        evidence.entry(root).or_default().push(pair.clone());
    }
    components
        .into_iter()
        .map(|(root, members)| {
            let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
            for member in &members {
                if let Some(key) = keys.get(*member).filter(|k| k.as_str() != *member) {
                    *votes.entry(key.as_str()).or_default() += 1;
                }
            }
            let key = votes
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(k, _)| k.to_string())
                .or_else(|| {
                    members
                        .iter()
                        .find(|m| !new.contains(**m))
                        .map(|m| m.to_string())
                })
                .unwrap_or_else(|| members[0].to_string());
            let mut ordered_members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
            if let Some(at) = ordered_members.iter().position(|m| *m == key) {
                let first = ordered_members.remove(at);
                ordered_members.insert(0, first);
            }
            Cluster {
                cluster: key,
                members: ordered_members,
                evidence: evidence.remove(&root).unwrap_or_default(),
            }
        })
        .collect()
}

/// Every near-duplicate cluster of an index, computed afresh from the band keys (what
/// `techmatch duplicates` reports), each cluster keyed as its members' `cluster` fields
/// say where they agree.
pub fn find_all(index: &crate::SupplyIndex) -> Result<Vec<Cluster>> {
    let reader = index.reader()?;
    reader.reload()?;
    let searcher = reader.searcher();
    let candidates = all_candidate_pairs(&searcher, index.schema(), None, index.dir())?.pairs;
    let decisions = Decisions::load(index.dir())?;
    let (pairs, keys) = confirm(
        &searcher,
        index.schema(),
        &candidates,
        &decisions,
        index.dir(),
    )?;
    tracing::info!(
        records = searcher.num_docs(),
        candidates = candidates.len(),
        confirmed = pairs.len(),
        "near-duplicate pass"
    );
    let mut found = clusters(&pairs, &keys, &HashSet::new());
    found.sort_by(|a, b| a.cluster.cmp(&b.cluster));
    Ok(found)
}

/// The stored record with this id, if any.
pub fn stored_by_id(index: &crate::SupplyIndex, id: &str) -> Result<Option<Supply>> {
    let reader = index.reader()?;
    reader.reload()?;
    let searcher = reader.searcher();
    let query = TermQuery::new(
        Term::from_field_text(index.schema().id, id),
        IndexRecordOption::Basic,
    );
    let hits = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
    match hits.first() {
        Some(&(_, address)) => stored(&searcher, index.schema(), address),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str) -> Pair {
        Pair {
            a: a.into(),
            b: b.into(),
            evidence: Evidence {
                containment: 0.9,
                jaccard: 0.8,
                shared: 20,
            },
        }
    }

    #[test]
    fn components_keep_the_key_their_members_carry() {
        let pairs = [pair("A", "B"), pair("B", "C"), pair("X", "Y")];
        let keys: HashMap<String, String> = [("A", "C"), ("B", "C"), ("C", "C")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let found = clusters(&pairs, &keys, &HashSet::new());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].cluster, "C");
        assert_eq!(found[0].members, ["C", "A", "B"]);
        assert_eq!(found[0].evidence.len(), 2);
        assert_eq!(found[1].cluster, "X");
    }

    #[test]
    fn a_new_record_joins_the_old_one_whatever_their_ids() {
        let pairs = [pair("A-new", "Z-old")];
        let new: HashSet<String> = ["A-new".to_string()].into();
        let found = clusters(&pairs, &HashMap::new(), &new);
        assert_eq!(found[0].cluster, "Z-old");
        assert_eq!(found[0].members, ["Z-old", "A-new"]);
    }

    #[test]
    fn stored_records_read_a_deleted_store_through_the_searcher() {
        let dir = tempfile::tempdir().unwrap();
        let index = crate::SupplyIndex::open_or_create(dir.path()).unwrap();
        let mut writer = index.writer(50 << 20).unwrap();
        for (id, title) in [("TS-1", "Máy sấy nông sản"), ("TS-2", "Lò hơi đốt trấu")]
        {
            let supply = Supply {
                id: id.into(),
                title: title.into(),
                ..Supply::default()
            };
            writer.upsert(&supply).unwrap();
        }
        writer.commit().unwrap();
        writer.finish().unwrap();
        let reader = index.reader().unwrap();
        reader.reload().unwrap();
        let searcher = reader.searcher();
        let addresses: Vec<DocAddress> = live_addresses(&searcher).collect();
        let from_files = StoredRecords::open(&searcher, Some(dir.path())).unwrap();
        assert!(from_files.stores.iter().all(Option::is_some));
        let read = |records: &StoredRecords| -> Vec<String> {
            let mut ids: Vec<String> = addresses
                .iter()
                .map(|&a| records.get(index.schema(), a).unwrap().unwrap().id)
                .collect();
            ids.sort();
            ids
        };
        let expected = read(&from_files);
        assert_eq!(expected, ["TS-1", "TS-2"]);
        // As after a merge that ended during the pass: the segment's files are gone.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "store") {
                std::fs::remove_file(path).unwrap();
            }
        }
        let after = StoredRecords::open(&searcher, Some(dir.path())).unwrap();
        assert!(after.stores.iter().all(Option::is_none));
        assert_eq!(read(&after), expected);
    }
}
