//! Counting apart from ranking: the records a search selects, one bit per record of each
//! segment, put together from sets remembered per segment.
//!
//! A search's total and its facet counts need every record it selects, however many; the
//! ranking needs only the best few. Counting them through the ranking query meant visiting
//! every posting of every form of every word in every field, once for the results and once
//! more for each constrained facet (the facet left out of its own filter) and each tier of
//! required words tried: at 1,000,000 records two searches in three select 10,000 records
//! or more, and that reading was most of their time.
//!
//! Here each part of a search is one set per segment: a query word (any of its forms, in
//! any field: exactly the records its clause matches), a glossary concept, a filter, a
//! lifecycle rule. A segment never changes, so a part's set is gathered once and kept in a
//! concurrent cache weighed by bytes ([`RecordSets`]); the records of a search are then a
//! few word-wide `and`s and `or`s of those sets ([`Selection`]), counted with population
//! counts, and faceted by visiting only the records selected. What counts as a result is
//! defined by the text query of [`crate::build`] and [`crate::matching`]: every required
//! word (or a concept covering it), or with none required any word or concept; this module
//! builds the same sets from the same clauses, and a property test checks totals and facet
//! counts against the ranking query's own.

use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query};
use tantivy::schema::Field;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, SegmentReader};

use crate::expand::{CachedExpansion, Matches};
use crate::flat::FieldsMaxQuery;
use crate::pruned::Boosted;
use crate::terms::QueryWord;

/// Bytes of remembered sets kept by default for searches (per searcher; suggestions keep
/// half as much apart): at 1,000,000 records a common
/// word's set is 125 KiB, a rare word's a few hundred bytes.
pub const DEFAULT_RECORD_SET_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    segment: SegmentId,
    what: Arc<str>,
}

/// The remembered sets of one searcher's segments.
pub struct RecordSets {
    cache: moka::sync::Cache<Key, Arc<Matches>>,
    /// The suggestions' sets ([`Part::suggestion`]), kept apart: as-you-type requests
    /// come many times faster than searches, and they should not push the searches' sets
    /// out (nor the searches theirs).
    suggestions: moka::sync::Cache<Key, Arc<Matches>>,
    /// Per segment and field: the records shortest field first ([`RecordSets::by_length`]).
    orders: moka::sync::Cache<(SegmentId, Field), Arc<LengthOrder>>,
}

impl std::fmt::Debug for RecordSets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordSets")
            .field("entries", &self.cache.entry_count())
            .field("bytes", &self.cache.weighted_size())
            .finish()
    }
}

impl Default for RecordSets {
    fn default() -> Self {
        RecordSets::new(DEFAULT_RECORD_SET_BYTES)
    }
}

/// A part of a search whose records are remembered: the query that finds them, and a key
/// naming everything its records depend on (never the weights: a set is the same whatever
/// its clause scores).
pub(crate) struct Part {
    key: Arc<str>,
    query: Box<dyn Query>,
    /// Kept with the suggestions' sets.
    suggestion: bool,
}

impl Part {
    /// A query word: its clause (any form, any field) under a key of its forms and flags.
    pub(crate) fn word(word: &QueryWord, query: Box<dyn Query>) -> Part {
        let key = format!("word|{}", word_key(word));
        Part {
            key: key.into(),
            query,
            suggestion: false,
        }
    }

    /// A set of suggestions, under a key that names everything its records depend on.
    pub(crate) fn suggestion(what: String, query: Box<dyn Query>) -> Part {
        Part {
            key: what.into(),
            query,
            suggestion: true,
        }
    }

    /// A glossary concept's expansion.
    pub(crate) fn concept(expansion: &crate::glossary::Expansion, query: Box<dyn Query>) -> Part {
        let key = format!(
            "concept|{}|{}|{:?}",
            u8::from(expansion.indexed),
            expansion.concept,
            expansion.phrases
        );
        Part {
            key: key.into(),
            query,
            suggestion: false,
        }
    }

    /// A filter or lifecycle query on fast or raw fields: its debug form names its fields
    /// and values (terms and ranges print whole).
    pub(crate) fn filter(query: Box<dyn Query>) -> Part {
        let key = format!("filter|{query:?}");
        Part {
            key: key.into(),
            query,
            suggestion: false,
        }
    }
}

/// Everything the records of a query word depend on: its forms and flags.
pub(crate) fn word_key(word: &QueryWord) -> String {
    format!(
        "{}|{}|{:?}|{}{}{}{}",
        word.exact,
        word.folded,
        word.variants,
        u8::from(word.has_marks),
        u8::from(word.prefix),
        u8::from(word.fuzzy),
        u8::from(word.acronym),
    )
}

/// Every record of a segment by the length of one field: `docs[starts[l]..starts[l + 1]]`
/// are the records of length (field norm id) `l`, by id.
pub(crate) struct LengthOrder {
    pub docs: Box<[DocId]>,
    pub starts: [usize; 257],
}

/// The records of one search, as parts to put together.
pub(crate) struct Selection {
    /// One part per query word.
    pub words: Vec<Part>,
    /// One part per glossary expansion.
    pub concepts: Vec<Part>,
    /// For each expansion, the words it covers (a required word is met by it too).
    pub covers: Vec<Vec<usize>>,
    /// The records the lifecycle hides.
    pub hidden: Vec<Part>,
}

/// One bit per record of a segment.
pub(crate) type Bits = Vec<u64>;

/// Population count.
pub(crate) fn count(bits: &[u64]) -> u64 {
    bits.iter().map(|w| u64::from(w.count_ones())).sum()
}

/// Calls `f` with every record set in `bits`, in order.
pub(crate) fn for_each_doc(bits: &[u64], mut f: impl FnMut(DocId)) {
    for (i, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            f((i * 64) as DocId + word.trailing_zeros());
            word &= word - 1;
        }
    }
}

impl RecordSets {
    /// A cache holding at most about `max_bytes` of sets.
    pub fn new(max_bytes: u64) -> Self {
        // A set weighs its bits or list, its key and a little bookkeeping.
        let sets = |max_bytes: u64| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Key, matches: &Arc<Matches>| {
                    let bytes = matches.bytes() + key.what.len() as u64 + 64;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build()
        };
        RecordSets {
            cache: sets(max_bytes),
            suggestions: sets(max_bytes / 2),
            // Four bytes a record and field: a few orders per segment, kept apart so that
            // word sets do not push them out.
            orders: moka::sync::Cache::builder()
                .max_capacity(max_bytes / 8)
                .weigher(|_: &(SegmentId, Field), order: &Arc<LengthOrder>| {
                    u32::try_from(order.docs.len() * 4 + 257 * 4 + 64).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    /// Bytes held by the searches' sets (approximate: moka applies pending writes lazily).
    pub fn bytes(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }

    /// Bytes held by the suggestions' sets (approximate).
    pub fn suggestion_bytes(&self) -> u64 {
        self.suggestions.run_pending_tasks();
        self.suggestions.weighted_size()
    }

    /// The records of `reader` a part matches (deleted ones included), gathered on first
    /// use; concurrent first uses gather once.
    pub(crate) fn get(
        &self,
        searcher: &tantivy::Searcher,
        reader: &SegmentReader,
        part: &Part,
    ) -> tantivy::Result<Arc<Matches>> {
        let key = Key {
            segment: reader.segment_id(),
            what: part.key.clone(),
        };
        let cache = if part.suggestion {
            &self.suggestions
        } else {
            &self.cache
        };
        cache
            .try_get_with(key, || {
                gather(searcher, reader, part.query.as_ref()).map(Arc::new)
            })
            .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))
    }

    /// Every record of `reader` (deleted ones included) in order of the length of `field`
    /// (its one-byte field norm), shortest first, then by id; gathered once per segment
    /// and field with a counting sort.
    pub(crate) fn by_length(
        &self,
        reader: &SegmentReader,
        field: Field,
    ) -> tantivy::Result<Arc<LengthOrder>> {
        self.orders
            .try_get_with((reader.segment_id(), field), || {
                let norms = reader.get_fieldnorms_reader(field)?;
                let max_doc = reader.max_doc();
                let mut starts = [0usize; 257];
                for doc in 0..max_doc {
                    starts[norms.fieldnorm_id(doc) as usize + 1] += 1;
                }
                for i in 1..starts.len() {
                    starts[i] += starts[i - 1];
                }
                let mut docs = vec![0 as DocId; max_doc as usize];
                let mut next = starts;
                for doc in 0..max_doc {
                    let slot = &mut next[norms.fieldnorm_id(doc) as usize];
                    docs[*slot] = doc;
                    *slot += 1;
                }
                Ok::<_, tantivy::TantivyError>(Arc::new(LengthOrder {
                    docs: docs.into_boxed_slice(),
                    starts,
                }))
            })
            .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))
    }

    /// The live records of `reader` (every record when none is deleted: `None`).
    pub(crate) fn alive(&self, reader: &SegmentReader) -> Option<Arc<Matches>> {
        let alive = reader.alive_bitset()?;
        // Deletions only grow within a segment: their number names the set.
        let key = Key {
            segment: reader.segment_id(),
            what: format!("alive|{}", reader.num_deleted_docs()).into(),
        };
        Some(self.cache.get_with(key, || {
            let mut bits = vec![0u64; words_for(reader.max_doc())];
            let mut n = 0u32;
            for doc in alive.iter_alive() {
                bits[doc as usize / 64] |= 1 << (doc % 64);
                n += 1;
            }
            Arc::new(Matches::from_bits(bits, n))
        }))
    }

    /// The live records of `reader` that `selection` selects with the words marked in
    /// `required` required (with none marked, any word or concept qualifies a record;
    /// without `text`, every record) and the lifecycle does not hide; filters are applied
    /// apart ([`RecordSets::narrow`]), so that one selection serves every facet.
    pub(crate) fn select(
        &self,
        searcher: &tantivy::Searcher,
        reader: &SegmentReader,
        selection: &Selection,
        text: bool,
        required: &[bool],
    ) -> tantivy::Result<Bits> {
        let max_doc = reader.max_doc();
        let n = words_for(max_doc);
        let mut bits = if !text {
            all(max_doc)
        } else if required.iter().any(|&r| r) {
            let mut acc: Option<Bits> = None;
            for (i, _) in required.iter().enumerate().filter(|(_, &r)| r) {
                let word = self.get(searcher, reader, &selection.words[i])?;
                let covering: Vec<usize> = (0..selection.concepts.len())
                    .filter(|&e| selection.covers.get(e).is_some_and(|c| c.contains(&i)))
                    .collect();
                match (&mut acc, covering.is_empty()) {
                    (Some(acc), true) => word.and_into(acc),
                    (acc, _) => {
                        let mut met = vec![0u64; n];
                        word.or_into(&mut met);
                        for e in covering {
                            self.get(searcher, reader, &selection.concepts[e])?
                                .or_into(&mut met);
                        }
                        match acc {
                            Some(acc) => acc.iter_mut().zip(&met).for_each(|(a, m)| *a &= m),
                            None => *acc = Some(met),
                        }
                    }
                }
            }
            acc.unwrap_or_else(|| vec![0; n])
        } else {
            let mut any = vec![0u64; n];
            for part in selection.words.iter().chain(&selection.concepts) {
                self.get(searcher, reader, part)?.or_into(&mut any);
            }
            any
        };
        for hidden in &selection.hidden {
            self.get(searcher, reader, hidden)?.and_not_into(&mut bits);
        }
        if let Some(alive) = self.alive(reader) {
            alive.and_into(&mut bits);
        }
        Ok(bits)
    }

    /// Keeps in `bits` (records of `reader`) only those every filter keeps.
    pub(crate) fn narrow(
        &self,
        searcher: &tantivy::Searcher,
        reader: &SegmentReader,
        bits: &mut Bits,
        filters: &[Part],
    ) -> tantivy::Result<()> {
        for filter in filters {
            self.get(searcher, reader, filter)?.and_into(bits);
        }
        Ok(())
    }
}

pub(crate) fn words_for(max_doc: DocId) -> usize {
    (max_doc as usize).div_ceil(64)
}

/// Every record of a segment of `max_doc` records.
pub(crate) fn all(max_doc: DocId) -> Bits {
    let mut bits = vec![u64::MAX; words_for(max_doc)];
    let tail = max_doc % 64;
    if tail != 0 {
        if let Some(last) = bits.last_mut() {
            *last = (1u64 << tail) - 1;
        }
    }
    bits
}

/// Runs a query over a segment without scores and keeps its records.
fn gather(
    searcher: &tantivy::Searcher,
    reader: &SegmentReader,
    query: &dyn Query,
) -> tantivy::Result<Matches> {
    let mut bits = vec![0u64; words_for(reader.max_doc())];
    gather_into(searcher, reader, query, &mut bits)?;
    let n = count(&bits) as u32;
    Ok(Matches::from_bits(bits, n))
}

/// Sets in `bits` the records of `reader` that `query` matches (deleted ones included, as
/// in postings). A union (a word's forms and fields, a boost around them) is gathered one
/// clause at a time, a term's postings block by block, a remembered expansion as it is
/// kept: no scorer visits the union record by record. Other queries run their scorer.
fn gather_into(
    searcher: &tantivy::Searcher,
    reader: &SegmentReader,
    query: &dyn Query,
    bits: &mut [u64],
) -> tantivy::Result<()> {
    if let Some(boosted) = query.downcast_ref::<Boosted>() {
        return gather_into(searcher, reader, boosted.inner(), bits);
    }
    if let Some(fields_max) = query.downcast_ref::<FieldsMaxQuery>() {
        for part in fields_max.parts() {
            gather_into(searcher, reader, part, bits)?;
        }
        return Ok(());
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        let union = boolean.get_minimum_number_should_match() <= 1
            && boolean
                .clauses()
                .iter()
                .all(|(occur, _)| *occur == Occur::Should);
        if union {
            for (_, clause) in boolean.clauses() {
                gather_into(searcher, reader, clause.as_ref(), bits)?;
            }
            return Ok(());
        }
    }
    if let Some((term, _)) = crate::pruned::as_term(query) {
        let inverted = reader.inverted_index(term.field())?;
        if let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::Basic)? {
            while !block.docs().is_empty() {
                for &doc in block.docs() {
                    bits[doc as usize / 64] |= 1 << (doc % 64);
                }
                block.advance();
            }
        }
        return Ok(());
    }
    if let Some(expansion) = query.downcast_ref::<CachedExpansion>() {
        expansion.matches(reader, searcher.schema())?.or_into(bits);
        return Ok(());
    }
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    weight.for_each_no_score(reader, &mut |docs| {
        for &doc in docs {
            if let Some(word) = bits.get_mut(doc as usize / 64) {
                *word |= 1 << (doc % 64);
            }
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_stops_at_the_segment_end() {
        assert_eq!(count(&all(0)), 0);
        assert_eq!(count(&all(1)), 1);
        assert_eq!(count(&all(64)), 64);
        assert_eq!(count(&all(130)), 130);
        let mut seen = Vec::new();
        for_each_doc(&all(66), |d| seen.push(d));
        assert_eq!(seen, (0..66).collect::<Vec<_>>());
    }

    #[test]
    fn sparse_and_dense_sets_combine_alike() {
        let docs = [1u32, 5, 64, 100, 129];
        let max_doc = 130;
        let sparse = Matches::Sparse(docs.into());
        let mut dense_bits = vec![0u64; words_for(max_doc)];
        for d in docs {
            dense_bits[d as usize / 64] |= 1 << (d % 64);
        }
        let dense = Matches::Dense(dense_bits.into(), docs.len() as u32);
        for set in [&sparse, &dense] {
            let mut or = vec![0u64; words_for(max_doc)];
            set.or_into(&mut or);
            assert_eq!(count(&or), 5);
            let mut and = all(max_doc);
            set.and_into(&mut and);
            assert_eq!(and, or);
            let mut rest = all(max_doc);
            set.and_not_into(&mut rest);
            assert_eq!(count(&rest), 125);
            assert!(rest.iter().zip(&or).all(|(r, o)| r & o == 0));
        }
    }
}
