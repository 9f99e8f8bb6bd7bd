//! One card per technology: near-duplicate records (the same offer sent by several
//! exchanges or connection points) share a cluster, and result lists show the best-ranked
//! member with the others as "also listed by".
//!
//! Clusters are assigned at ingest (see `techmatch_indexer::dedup`): a record that
//! duplicates another carries the other's id (or the other's own cluster) in the `cluster`
//! fast field; a record without one is its own cluster, keyed by its id. Collapsing keeps
//! the order of the ranked list: a cluster takes the place of its best member.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, TantivyDocument, Term};
use techmatch_indexer::document::from_document;
use techmatch_indexer::SupplySchema;

use crate::error::Result;

/// Most other members listed with one card.
pub const MAX_ALSO_LISTED: usize = 20;

/// Another record of the same technology, shown with the card of its cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlsoListed {
    /// The record's id.
    pub id: String,
    /// Where that record came from (its exchange or connection point).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its id at that source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

/// Whether any record of this searcher belongs to another record's cluster: when none
/// does, collapsing is the identity and is skipped.
pub fn has_clusters(searcher: &tantivy::Searcher) -> Result<bool> {
    for segment in searcher.segment_readers() {
        if let Some(column) = segment.fast_fields().str("cluster")? {
            if column.num_terms() > 0 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Reads cluster keys of hits from the fast fields, one column lookup per segment, and
/// remembers each record's key (a key is a dictionary lookup, and a search asks for the
/// keys of its first records more than once: to see whether its head holds enough
/// clusters, to collapse it, to mark the page's duplicates).
pub struct ClusterKeys<'a> {
    searcher: &'a tantivy::Searcher,
    columns: HashMap<
        u32,
        (
            Option<tantivy::columnar::StrColumn>,
            tantivy::columnar::StrColumn,
        ),
    >,
    read: HashMap<DocAddress, String>,
}

impl<'a> ClusterKeys<'a> {
    /// A reader over one searcher.
    pub fn new(searcher: &'a tantivy::Searcher) -> Self {
        ClusterKeys {
            searcher,
            columns: HashMap::new(),
            read: HashMap::new(),
        }
    }

    /// The cluster of a record: its `cluster` value, else its own id.
    pub fn key(&mut self, address: DocAddress) -> Result<String> {
        if let Some(key) = self.read.get(&address) {
            return Ok(key.clone());
        }
        let key = self.look_up(address)?;
        self.read.insert(address, key.clone());
        Ok(key)
    }

    /// The cluster of a record, read from the columns.
    fn look_up(&mut self, address: DocAddress) -> Result<String> {
        if let std::collections::hash_map::Entry::Vacant(entry) =
            self.columns.entry(address.segment_ord)
        {
            let fast = self
                .searcher
                .segment_reader(address.segment_ord)
                .fast_fields();
            let cluster = fast.str("cluster")?;
            let id = fast.str("id")?.ok_or_else(|| {
                crate::error::QueryError::Corrupt("the index has no id column".into())
            })?;
            entry.insert((cluster, id));
        }
        let (cluster, id) = &self.columns[&address.segment_ord];
        let mut key = String::new();
        if let Some(column) = cluster {
            if let Some(ord) = column.term_ords(address.doc_id).next() {
                column.ord_to_str(ord, &mut key)?;
                return Ok(key);
            }
        }
        if let Some(ord) = id.term_ords(address.doc_id).next() {
            id.ord_to_str(ord, &mut key)?;
        }
        Ok(key)
    }
}

/// A ranked list with one entry per cluster, in the order of each cluster's best member,
/// and the key of each entry's cluster: the first `limit` entries. Keys are read through
/// `keys`, which remembers them for the rest of the request; the records after the
/// `limit`-th cluster are not read.
pub fn collapse<S: Copy>(
    keys: &mut ClusterKeys<'_>,
    ranked: &[(S, DocAddress)],
    limit: usize,
) -> Result<Vec<((S, DocAddress), String)>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for &(score, address) in ranked {
        if out.len() == limit {
            break;
        }
        let key = keys.key(address)?;
        if seen.insert(key.clone()) {
            out.push(((score, address), key));
        }
    }
    Ok(out)
}

/// The other visible members of a cluster (the record with id `key` and every record whose
/// `cluster` is `key`), without the record shown (`shown_id`), by id. A record alone in its
/// cluster (the common case) costs one dictionary lookup.
pub fn also_listed(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    key: &str,
    shown_id: &str,
    hidden: &[Box<dyn Query>],
) -> Result<Vec<AlsoListed>> {
    if key == shown_id && searcher.doc_freq(&Term::from_field_text(schema.cluster, key))? == 0 {
        return Ok(Vec::new());
    }
    let members: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
        (
            Occur::Should,
            Box::new(TermQuery::new(
                Term::from_field_text(schema.cluster, key),
                IndexRecordOption::Basic,
            )) as Box<dyn Query>,
        ),
        (
            Occur::Should,
            Box::new(TermQuery::new(
                Term::from_field_text(schema.id, key),
                IndexRecordOption::Basic,
            )),
        ),
    ]));
    let mut clauses = vec![(Occur::Must, members)];
    clauses.extend(hidden.iter().map(|q| (Occur::MustNot, q.box_clone())));
    let query = BooleanQuery::new(clauses);
    let hits = searcher.search(
        &query,
        &TopDocs::with_limit(MAX_ALSO_LISTED + 1).order_by_score(),
    )?;
    let mut out = Vec::new();
    for (_, address) in hits {
        let doc: TantivyDocument = searcher.doc(address)?;
        if let Some(record) = from_document(schema, &doc).filter(|r| r.id != shown_id) {
            out.push(AlsoListed {
                id: record.id,
                source: record.source,
                source_id: record.source_id,
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.truncate(MAX_ALSO_LISTED);
    Ok(out)
}
