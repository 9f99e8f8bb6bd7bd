//! Typo and prefix matches remembered per segment.
//!
//! A one-letter typo or a prefix is matched by walking a field's whole term dictionary with
//! an automaton and reading the postings of every term it accepts (tantivy's
//! `FuzzyTermQuery`); the search box asks for that on four fields for every word of every
//! query, and the walk was a tenth of a search's time at 100,000 records. The result for
//! one segment depends only on the segment, the field, the word and the kind of match, and
//! segments never change, so [`ExpansionCache`] keeps the matching documents of each
//! (segment, field, word, kind) asked for more than once in a concurrent cache weighed by
//! bytes. A cached match
//! scores exactly as the automaton query does (a constant), so results do not change.
//! Deleted documents are in the remembered sets as they are in postings; collectors skip
//! them as usual.

use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{
    ConstScorer, EnableScoring, Explanation, FuzzyTermQuery, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Schema};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// Bytes of cached matches kept by default (per searcher).
pub const DEFAULT_EXPANSION_CACHE_BYTES: u64 = 64 << 20;

/// How a word is expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expansion {
    /// Terms within this edit distance (a transposition counts one).
    Typo(u8),
    /// Terms starting with the word.
    Prefix,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    segment: SegmentId,
    field: Field,
    expansion: Expansion,
    word: String,
}

/// The documents of one segment matching one expansion (or, in
/// [`crate::record_sets`], one word or filter).
#[derive(Debug)]
pub(crate) enum Matches {
    /// Few documents: their ids in order.
    Sparse(Box<[DocId]>),
    /// Many documents: one bit per document of the segment, 64 to a word, and how many.
    Dense(Box<[u64]>, u32),
}

impl Matches {
    /// From one bit per document (`words`) holding `count` documents: kept as bits when
    /// that is smaller than a list (a list costs 4 bytes a document, bits max_doc / 8).
    pub(crate) fn from_bits(words: Vec<u64>, count: u32) -> Matches {
        if count as usize * 32 > words.len() * 64 {
            return Matches::Dense(words.into_boxed_slice(), count);
        }
        let mut docs = Vec::with_capacity(count as usize);
        for (i, &word) in words.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                docs.push((i * 64) as DocId + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        Matches::Sparse(docs.into_boxed_slice())
    }

    #[cfg(test)]
    fn from_docs(docs: Vec<DocId>, max_doc: DocId) -> Matches {
        let mut words = vec![0u64; (max_doc as usize).div_ceil(64)];
        for &doc in &docs {
            words[doc as usize / 64] |= 1 << (doc % 64);
        }
        Matches::from_bits(words, docs.len() as u32)
    }

    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Matches::Sparse(docs) => docs.len() as u64 * 4,
            Matches::Dense(words, _) => words.len() as u64 * 8,
        }
    }

    /// Calls `op` on each word of `bits` (one bit per document of the segment) with the
    /// bits of these documents in it (a list gives one document at a time).
    fn with_words(&self, bits: &mut [u64], op: impl Fn(&mut u64, u64)) {
        match self {
            Matches::Sparse(docs) => {
                for &doc in docs.iter() {
                    if let Some(word) = bits.get_mut(doc as usize / 64) {
                        op(word, 1 << (doc % 64));
                    }
                }
            }
            Matches::Dense(words, _) => {
                for (out, &word) in bits.iter_mut().zip(words.iter()) {
                    op(out, word);
                }
            }
        }
    }

    /// One bit per document of a segment of `words` words: these documents.
    pub(crate) fn to_bits(&self, words: usize) -> Vec<u64> {
        match self {
            Matches::Dense(dense, _) => {
                let mut bits = dense.to_vec();
                bits.resize(words, 0);
                bits
            }
            Matches::Sparse(_) => {
                let mut bits = vec![0u64; words];
                self.or_into(&mut bits);
                bits
            }
        }
    }

    /// Sets the bit of each document in `bits`.
    pub(crate) fn or_into(&self, bits: &mut [u64]) {
        self.with_words(bits, |out, these| *out |= these);
    }

    /// Keeps in `bits` only the documents that are here too.
    pub(crate) fn and_into(&self, bits: &mut [u64]) {
        match self {
            Matches::Sparse(docs) => {
                // In place, one pass: each word keeps the bits of the documents listed in
                // it; the words between listed documents are cleared.
                let mut next = 0usize;
                let mut at = 0usize;
                while at < docs.len() {
                    let word = docs[at] as usize / 64;
                    if word >= bits.len() {
                        break;
                    }
                    let mut mask = 0u64;
                    while at < docs.len() && docs[at] as usize / 64 == word {
                        mask |= 1 << (docs[at] % 64);
                        at += 1;
                    }
                    bits[next..word].fill(0);
                    bits[word] &= mask;
                    next = word + 1;
                }
                let end = bits.len();
                bits[next.min(end)..].fill(0);
            }
            Matches::Dense(words, _) => {
                let shared = bits.len().min(words.len());
                for (out, &word) in bits[..shared].iter_mut().zip(&words[..shared]) {
                    *out &= word;
                }
                bits[shared..].fill(0);
            }
        }
    }

    /// Clears in `bits` the documents that are here.
    pub(crate) fn and_not_into(&self, bits: &mut [u64]) {
        self.with_words(bits, |out, these| *out &= !these);
    }
}

/// Remembered typo and prefix matches, shared by every search of one searcher.
///
/// An expansion is remembered the second time it is asked for in a segment: most prefixes
/// typed once are never asked for again, and for them gathering the matches would only
/// add to the automaton's work. `seen` keeps the keys asked for once (counted, not weighed).
pub struct ExpansionCache {
    cache: moka::sync::Cache<Key, Arc<Matches>>,
    seen: moka::sync::Cache<Key, ()>,
}

/// Keys of expansions asked for once, kept to recognise the second time.
const SEEN_KEYS: u64 = 65_536;

impl std::fmt::Debug for ExpansionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpansionCache")
            .field("entries", &self.cache.entry_count())
            .field("bytes", &self.cache.weighted_size())
            .finish()
    }
}

impl ExpansionCache {
    /// A cache holding at most about `max_bytes` of matches.
    pub fn new(max_bytes: u64) -> Self {
        ExpansionCache {
            cache: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Key, matches: &Arc<Matches>| {
                    let bytes = matches.bytes() + key.word.len() as u64 + 64;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build(),
            seen: moka::sync::Cache::new(SEEN_KEYS),
        }
    }

    /// Bytes held (approximate: moka applies pending writes lazily).
    pub fn bytes(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }

    /// A query matching the terms of `field` within `expansion` of `word`, each with a
    /// constant score of 1 (boost it as needed), remembered per segment the second time
    /// it is asked for.
    pub fn query(
        self: &Arc<Self>,
        field: Field,
        word: &str,
        expansion: Expansion,
    ) -> CachedExpansion {
        CachedExpansion {
            cache: self.clone(),
            field,
            word: word.to_string(),
            expansion,
            at_once: false,
        }
    }
}

impl Default for ExpansionCache {
    fn default() -> Self {
        ExpansionCache::new(DEFAULT_EXPANSION_CACHE_BYTES)
    }
}

/// A typo or prefix query whose matches are remembered per segment.
#[derive(Clone)]
pub struct CachedExpansion {
    cache: Arc<ExpansionCache>,
    field: Field,
    word: String,
    expansion: Expansion,
    /// Remembered the first time it is asked for, not the second.
    at_once: bool,
}

impl std::fmt::Debug for CachedExpansion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedExpansion")
            .field("field", &self.field)
            .field("word", &self.word)
            .field("expansion", &self.expansion)
            .finish()
    }
}

impl CachedExpansion {
    /// The same, remembered the first time it is asked for: for an expansion that every
    /// search asks for twice (a query word's, read once for the search's record sets and
    /// once for its ranking), so that the dictionary is walked once, not twice.
    pub fn at_once(self) -> CachedExpansion {
        CachedExpansion {
            at_once: true,
            ..self
        }
    }

    /// The documents of `reader` this matches, remembered as for a scorer (at once, or the
    /// second time asked for).
    pub(crate) fn matches(
        &self,
        reader: &SegmentReader,
        schema: &Schema,
    ) -> tantivy::Result<Arc<Matches>> {
        let weight = CachedExpansionWeight {
            query: self.clone(),
            schema: schema.clone(),
        };
        Ok(match weight.remembered(reader)? {
            Some(matches) => matches,
            None => Arc::new(weight.gather(reader)?),
        })
    }

    /// The automaton query this stands for.
    fn automaton(&self) -> FuzzyTermQuery {
        let term = Term::from_field_text(self.field, &self.word);
        match self.expansion {
            Expansion::Typo(distance) => FuzzyTermQuery::new(term, distance, true),
            Expansion::Prefix => FuzzyTermQuery::new_prefix(term, 0, false),
        }
    }
}

impl Query for CachedExpansion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(CachedExpansionWeight {
            query: self.clone(),
            schema: enable_scoring.schema().clone(),
        }))
    }
}

struct CachedExpansionWeight {
    query: CachedExpansion,
    schema: Schema,
}

impl CachedExpansionWeight {
    fn key(&self, reader: &SegmentReader) -> Key {
        Key {
            segment: reader.segment_id(),
            field: self.query.field,
            expansion: self.query.expansion,
            word: self.query.word.clone(),
        }
    }

    fn automaton_weight(&self) -> tantivy::Result<Box<dyn Weight>> {
        self.query
            .automaton()
            .weight(EnableScoring::disabled_from_schema(&self.schema))
    }

    /// The remembered matches in this segment; gathered and remembered the second time
    /// they are asked for, or the first for a query made to be (`None` otherwise: run the
    /// automaton).
    fn remembered(&self, reader: &SegmentReader) -> tantivy::Result<Option<Arc<Matches>>> {
        let key = self.key(reader);
        let cache = &self.query.cache;
        if let Some(found) = cache.cache.get(&key) {
            return Ok(Some(found));
        }
        if !self.query.at_once && !cache.seen.contains_key(&key) {
            cache.seen.insert(key, ());
            return Ok(None);
        }
        let matches = Arc::new(self.gather(reader)?);
        cache.seen.invalidate(&key);
        cache.cache.insert(key, matches.clone());
        Ok(Some(matches))
    }

    /// Keeps the documents of the terms the expansion accepts: a prefix's terms are one
    /// range of the dictionary, read block by block; a typo's come from the automaton.
    fn gather(&self, reader: &SegmentReader) -> tantivy::Result<Matches> {
        let mut words = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
        if self.query.expansion == Expansion::Prefix {
            let inverted = reader.inverted_index(self.query.field)?;
            let prefix = self.query.word.as_bytes();
            let mut terms = inverted.terms().range().ge(prefix).into_stream()?;
            while terms.advance() && terms.key().starts_with(prefix) {
                let mut block = inverted
                    .read_block_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
                while !block.docs().is_empty() {
                    for &doc in block.docs() {
                        words[doc as usize / 64] |= 1 << (doc % 64);
                    }
                    block.advance();
                }
            }
        } else {
            let mut scorer = self.automaton_weight()?.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                words[doc as usize / 64] |= 1 << (doc % 64);
                doc = scorer.advance();
            }
        }
        let count = words.iter().map(|w| w.count_ones()).sum();
        Ok(Matches::from_bits(words, count))
    }
}

impl Weight for CachedExpansionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        match self.remembered(reader)? {
            Some(matches) => Ok(Box::new(ConstScorer::new(
                MatchesDocSet::new(matches),
                boost,
            ))),
            // The automaton's own scorer: the same constant score over the same documents.
            None => self.automaton_weight()?.scorer(reader, boost),
        }
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let matches = match self.remembered(reader)? {
            Some(matches) => matches,
            None => Arc::new(self.gather(reader)?),
        };
        let mut docs = MatchesDocSet::new(matches);
        if docs.seek(doc) == doc {
            let what = match self.query.expansion {
                Expansion::Typo(d) => format!("within {d} edit(s) of {:?}", self.query.word),
                Expansion::Prefix => format!("starts with {:?}", self.query.word),
            };
            Ok(Explanation::new_with_string(what, 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

/// Iterates remembered matches.
struct MatchesDocSet {
    matches: Arc<Matches>,
    /// Sparse: the index of the current document. Dense: the current word.
    at: usize,
    /// Dense: the bits of the current word not visited yet.
    bits: u64,
    doc: DocId,
}

impl MatchesDocSet {
    fn new(matches: Arc<Matches>) -> Self {
        let mut docs = MatchesDocSet {
            matches,
            at: 0,
            bits: 0,
            doc: 0,
        };
        docs.doc = match &*docs.matches {
            Matches::Sparse(list) => list.first().copied().unwrap_or(TERMINATED),
            Matches::Dense(words, _) => {
                docs.bits = words.first().copied().unwrap_or(0);
                docs.next_dense()
            }
        };
        docs
    }

    /// Dense: the next set bit from the cursor on.
    fn next_dense(&mut self) -> DocId {
        let Matches::Dense(words, _) = &*self.matches else {
            unreachable!("dense cursor over a list");
        };
        loop {
            if self.bits != 0 {
                let low = self.bits.trailing_zeros();
                self.bits &= self.bits - 1;
                return (self.at * 64) as DocId + low;
            }
            self.at += 1;
            match words.get(self.at) {
                Some(&word) => self.bits = word,
                None => return TERMINATED,
            }
        }
    }
}

impl DocSet for MatchesDocSet {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.doc = match &*self.matches {
            Matches::Sparse(list) => {
                self.at += 1;
                list.get(self.at).copied().unwrap_or(TERMINATED)
            }
            Matches::Dense(..) => self.next_dense(),
        };
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.doc = match &*self.matches {
            Matches::Sparse(list) => {
                self.at += list[self.at..].partition_point(|&d| d < target);
                list.get(self.at).copied().unwrap_or(TERMINATED)
            }
            Matches::Dense(words, _) => {
                let word = target as usize / 64;
                if word >= words.len() {
                    TERMINATED
                } else {
                    if word > self.at {
                        self.at = word;
                        self.bits = words[word];
                    }
                    // Drop the bits below the target in its word.
                    self.bits &= u64::MAX << (target % 64);
                    self.next_dense()
                }
            }
        };
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        match &*self.matches {
            Matches::Sparse(list) => list.len() as u32,
            Matches::Dense(_, len) => *len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `and`, `or` and `and not` of a list or of bits give what a bit by bit
        /// combination gives.
        #[test]
        fn sets_combine_as_bits_do(
            listed in proptest::collection::btree_set(0u32..700, 0..60),
            words in proptest::collection::vec(any::<u64>(), 11),
        ) {
            let listed: Vec<DocId> = listed.into_iter().collect();
            let sparse = Matches::Sparse(listed.clone().into());
            let mut dense_words = vec![0u64; 11];
            for &doc in &listed {
                dense_words[doc as usize / 64] |= 1 << (doc % 64);
            }
            let dense = Matches::Dense(dense_words.clone().into(), listed.len() as u32);
            for set in [&sparse, &dense] {
                let mut and = words.clone();
                set.and_into(&mut and);
                let expected: Vec<u64> = words.iter().zip(&dense_words).map(|(a, b)| a & b).collect();
                prop_assert_eq!(&and, &expected);
                let mut or = words.clone();
                set.or_into(&mut or);
                let expected: Vec<u64> = words.iter().zip(&dense_words).map(|(a, b)| a | b).collect();
                prop_assert_eq!(&or, &expected);
                let mut not = words.clone();
                set.and_not_into(&mut not);
                let expected: Vec<u64> = words.iter().zip(&dense_words).map(|(a, b)| a & !b).collect();
                prop_assert_eq!(&not, &expected);
                prop_assert_eq!(&set.to_bits(11), &dense_words);
            }
        }
    }

    fn walk(matches: Matches) -> Vec<DocId> {
        let mut docs = MatchesDocSet::new(Arc::new(matches));
        let mut out = Vec::new();
        while docs.doc() != TERMINATED {
            out.push(docs.doc());
            docs.advance();
        }
        out
    }

    fn seek_all(matches: Matches, targets: &[DocId]) -> Vec<DocId> {
        let mut docs = MatchesDocSet::new(Arc::new(matches));
        targets.iter().map(|&t| docs.seek(t)).collect()
    }

    #[test]
    fn both_forms_iterate_and_seek_alike() {
        let docs = vec![0, 3, 63, 64, 65, 200, 4095];
        let max_doc = 4100;
        let sparse = || Matches::Sparse(docs.clone().into_boxed_slice());
        let dense = || {
            let mut words = vec![0u64; (max_doc as usize).div_ceil(64)];
            for &d in &docs {
                words[d as usize / 64] |= 1 << (d % 64);
            }
            Matches::Dense(words.into_boxed_slice(), docs.len() as u32)
        };
        assert_eq!(walk(sparse()), docs);
        assert_eq!(walk(dense()), docs);
        let targets = [1, 3, 60, 64, 66, 66, 4000, 4096, 5000];
        let expected = vec![3, 3, 63, 64, 200, 200, 4095, TERMINATED, TERMINATED];
        assert_eq!(seek_all(sparse(), &targets), expected);
        assert_eq!(seek_all(dense(), &targets), expected);
    }

    #[test]
    fn empty_matches_are_terminated_at_once() {
        assert!(walk(Matches::Sparse(Box::new([]))).is_empty());
        assert!(walk(Matches::Dense(Box::new([]), 0)).is_empty());
        assert!(walk(Matches::Dense(Box::new([0, 0]), 0)).is_empty());
        let mut docs = MatchesDocSet::new(Arc::new(Matches::Sparse(Box::new([]))));
        assert_eq!(docs.seek(5), TERMINATED);
    }

    #[test]
    fn the_form_follows_the_density() {
        assert!(matches!(
            Matches::from_docs(vec![1, 2], 1000),
            Matches::Sparse(_)
        ));
        assert!(matches!(
            Matches::from_docs((0..100).collect(), 1000),
            Matches::Dense(..)
        ));
    }
}
