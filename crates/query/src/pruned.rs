//! Top-k ranking that skips records which cannot make the list (MaxScore).
//!
//! A search's score is a sum of clauses: one per query word, one per glossary concept,
//! one per compound bonus ([`crate::build::scoring_clauses`]). Which records a search
//! holds is already known before ranking, as the record sets of [`crate::record_sets`]:
//! requiring words, filters, hidden and deleted records only narrow those sets, they add
//! nothing to a score. So the ranking pass is a sum of optional clauses over a known set of
//! records, which is what MaxScore (Turtle and Flood, 1995) prunes exactly:
//!
//! - a clause is a fold of *leaves*: a word's clause ([`FieldsMaxQuery`]) the best of its
//!   forms per field (exact, folded, spelling variants, typo and prefix matches), the
//!   fields combined as `max + tie × (sum − max)`; any other clause is one leaf. The ranking
//!   reads the leaves itself and folds them as the clause does;
//! - every leaf has an upper bound on its score: for a term, the best BM25 of its postings
//!   in the segment ([`TermMaxima`], read once per segment and term; BM25 at any frequency
//!   and length, [`upper_bound`], when no maxima are given), the constant of a typo or
//!   prefix match, the sum of a concept's fields;
//! - leaves are sorted by bound; once the list's k-th score θ is above what a record
//!   matching only the leaves of smallest bounds can score (those bounds folded clause by
//!   clause), such a record cannot make the list, so only the records of the other
//!   (*essential*) leaves are visited;
//! - for each of those, the essential leaves' scores and the other leaves' bounds give a
//!   bound on its score; the other leaves are then read biggest bound first, each bound
//!   replaced by the score, and the record is dropped as soon as the bound falls to θ;
//! - [`PrunedQuery::top`] ranks the segments one after the other into one list, so that a
//!   segment starts from the θ the segments before it reached (tantivy's collectors start
//!   each segment from nothing).
//!
//! A record is offered to the collector with exactly the score the exhaustive sum gives it
//! (the clauses are summed in one fixed order), and no record that could enter the list is
//! skipped: the list is the exhaustive one. `tests/counting.rs` checks it against the
//! ranking query with its filters (`Counting::Query`), and the unit tests here against the
//! same sum without pruning.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostWeight, EnableScoring, Explanation,
    Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

use crate::expand::CachedExpansion;
use crate::flat::{Combined, FieldsMaxQuery};
use crate::record_sets::Bits;

/// A query whose score is multiplied by `boost`: tantivy's `BoostQuery`, with the boost
/// and the query kept readable so that [`upper_bound`] can see through it.
pub struct Boosted {
    inner: Box<dyn Query>,
    boost: Score,
}

impl Boosted {
    /// The query boosted.
    pub fn inner(&self) -> &dyn Query {
        self.inner.as_ref()
    }
}

/// `inner` with its score multiplied by `boost`.
pub fn boosted(inner: Box<dyn Query>, boost: Score) -> Box<dyn Query> {
    Box::new(Boosted { inner, boost })
}

impl Clone for Boosted {
    fn clone(&self) -> Self {
        Boosted {
            inner: self.inner.box_clone(),
            boost: self.boost,
        }
    }
}

impl fmt::Debug for Boosted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Boost(query={:?}, boost={})", self.inner, self.boost)
    }
}

impl Query for Boosted {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // What BoostQuery's weight is.
        let inner = self.inner.weight(enable_scoring)?;
        Ok(if enable_scoring.is_scoring_enabled() {
            Box::new(BoostWeight::new(inner, self.boost))
        } else {
            inner
        })
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

/// A term query that reads the term's frequencies, as BM25 scores with them: tantivy's
/// `TermQuery` with `IndexRecordOption::WithFreqs`, the option known to the ranking here,
/// which reads such a term's postings and scores them itself (a `TermQuery` does not say
/// which option it was built with).
#[derive(Clone, Debug)]
pub struct FrequencyTerm(TermQuery);

impl FrequencyTerm {
    /// The query of `term`.
    pub fn new(term: Term) -> FrequencyTerm {
        FrequencyTerm(TermQuery::new(term, IndexRecordOption::WithFreqs))
    }

    /// The term.
    pub fn term(&self) -> &Term {
        self.0.term()
    }
}

impl Query for FrequencyTerm {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        self.0.weight(enable_scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

/// The term of a term query ([`FrequencyTerm`] or tantivy's `TermQuery`), and whether it
/// is known to read frequencies (a [`FrequencyTerm`]).
pub(crate) fn as_term(query: &dyn Query) -> Option<(&Term, bool)> {
    if let Some(term) = query.downcast_ref::<FrequencyTerm>() {
        return Some((term.term(), true));
    }
    query
        .downcast_ref::<TermQuery>()
        .map(|term| (term.term(), false))
}

/// The highest score `query` can give any record, or `None` when it cannot be told (a
/// query kind this module does not know): such a clause is never skipped.
pub fn upper_bound(
    query: &dyn Query,
    statistics: &dyn Bm25StatisticsProvider,
) -> tantivy::Result<Option<Score>> {
    if let Some(boosted) = query.downcast_ref::<Boosted>() {
        if boosted.boost < 0.0 {
            return Ok(None);
        }
        return Ok(upper_bound(boosted.inner.as_ref(), statistics)?.map(|b| b * boosted.boost));
    }
    if let Some((term, _)) = as_term(query) {
        // BM25 at any term frequency and field length: what TermQuery scores with, for the
        // same statistics.
        let weight = Bm25Weight::for_terms(statistics, std::slice::from_ref(term))?;
        return Ok(Some(weight.max_score()));
    }
    if query.downcast_ref::<CachedExpansion>().is_some() {
        // Typo and prefix matches score a constant 1 (times the boost around them).
        return Ok(Some(1.0));
    }
    if let Some(fields_max) = query.downcast_ref::<FieldsMaxQuery>() {
        return fields_max.upper_bound(&|part| upper_bound(part, statistics));
    }
    if let Some(boolean) = query.downcast_ref::<BooleanQuery>() {
        // Tantivy's boolean query sums its clauses.
        let mut sum = 0.0;
        for (occur, clause) in boolean.clauses() {
            if *occur == Occur::MustNot {
                continue;
            }
            match upper_bound(clause.as_ref(), statistics)? {
                Some(bound) => sum += bound,
                None => return Ok(None),
            }
        }
        return Ok(Some(sum));
    }
    Ok(None)
}

/// Pairs (length code, term frequency) of a term's postings in a segment.
type LengthFrequencyPairs = Arc<[(u8, u32)]>;

/// Bytes of pairs a searcher remembers (about 100 per term and segment: some 160,000).
pub const DEFAULT_TERM_MAXIMA: u64 = 16 << 20;

/// The highest scores a term can have in a segment, remembered per segment and term.
///
/// BM25 grows with the term's frequency in a field and falls with the field's length, so
/// a term's scores in a segment are bounded by the pairs (length code, frequency) of its
/// postings where no shorter field holds it more often: a few pairs, read once from the
/// postings (segments never change). The bound of a term's scores is then the best score
/// of those pairs under the search's BM25 weight, computed as the term's scorer computes
/// it: for the short fields of a search box typically half of BM25 at any frequency.
pub struct TermMaxima {
    cache: moka::sync::Cache<(SegmentId, Term), LengthFrequencyPairs>,
}

impl std::fmt::Debug for TermMaxima {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TermMaxima")
            .field("entries", &self.cache.entry_count())
            .field("bytes", &self.cache.weighted_size())
            .finish()
    }
}

impl TermMaxima {
    /// Remembers about `max_bytes` of pairs (a term's pairs weigh their own bytes, the
    /// term's and a fixed 64 for the entry).
    pub fn new(max_bytes: u64) -> TermMaxima {
        TermMaxima {
            cache: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(
                    |(_, term): &(SegmentId, Term), pairs: &LengthFrequencyPairs| {
                        let bytes = 64
                            + term.serialized_value_bytes().len()
                            + std::mem::size_of_val(&**pairs);
                        u32::try_from(bytes).unwrap_or(u32::MAX)
                    },
                )
                .build(),
        }
    }

    /// Bytes held (approximate: moka applies pending writes lazily).
    pub fn bytes(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }

    /// The highest score `weight` gives `term` on any record of `reader`'s segment (0 when
    /// no record holds it).
    pub fn bound(
        &self,
        reader: &SegmentReader,
        term: &Term,
        weight: &Bm25Weight,
    ) -> tantivy::Result<Score> {
        let pairs = self
            .cache
            .try_get_with((reader.segment_id(), term.clone()), || {
                length_frequency_pairs(reader, term)
            })
            .map_err(|e| (*e).clone())?;
        Ok(pairs
            .iter()
            .map(|&(length, frequency)| weight.score(length, frequency))
            .fold(0.0, Score::max))
    }
}

/// The pairs (length code, frequency) of `term`'s postings in `reader`'s segment that no
/// other posting beats on both (a shorter or equal field holding it as often or more).
fn length_frequency_pairs(
    reader: &SegmentReader,
    term: &Term,
) -> tantivy::Result<Arc<[(u8, u32)]>> {
    let inverted = reader.inverted_index(term.field())?;
    let Some(info) = inverted.get_term_info(term)? else {
        return Ok(Arc::from(Vec::new()));
    };
    let norms = term_norms(reader, term.field())?;
    let mut postings = inverted
        .read_block_postings_from_terminfo(&info, tantivy::schema::IndexRecordOption::WithFreqs)?;
    let mut most = [0u32; 256];
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            break;
        }
        // A field indexed without frequencies reads none: its term scorer counts 1.
        let freqs = postings.freqs();
        for (i, &doc) in docs.iter().enumerate() {
            let frequency = freqs.get(i).copied().unwrap_or(1);
            let length = &mut most[norms.fieldnorm_id(doc) as usize];
            *length = (*length).max(frequency);
        }
        postings.advance();
    }
    let mut pairs = Vec::new();
    let mut best = 0;
    for (length, &frequency) in most.iter().enumerate() {
        if frequency > best {
            best = frequency;
            pairs.push((length as u8, frequency));
        }
    }
    Ok(Arc::from(pairs))
}

/// Where tantivy's term scorer reads a field's lengths from: the field's norms, or every
/// record one token long when the field has none.
fn term_norms(
    reader: &SegmentReader,
    field: tantivy::schema::Field,
) -> tantivy::Result<FieldNormReader> {
    Ok(match reader.fieldnorms_readers().get_field(field)? {
        Some(norms) => norms,
        None => FieldNormReader::constant(reader.max_doc(), 1),
    })
}

/// The records of each segment that a search holds (from the record sets), by segment.
pub type SegmentBits = Arc<HashMap<SegmentId, Arc<Bits>>>;

/// The sum of `clauses` over the records in `bits`, ranked with pruning: by
/// [`PrunedQuery::top`], or by any collector that prunes (TopDocs, per segment).
pub struct PrunedQuery {
    clauses: Vec<Box<dyn Query>>,
    bits: SegmentBits,
    maxima: Option<Arc<TermMaxima>>,
}

impl PrunedQuery {
    /// Scores `clauses` summed over the records of `bits` (a segment missing from `bits`
    /// holds no record of the search).
    pub fn new(clauses: Vec<Box<dyn Query>>, bits: SegmentBits) -> PrunedQuery {
        PrunedQuery {
            clauses,
            bits,
            maxima: None,
        }
    }

    /// Bounds each term's scores on each segment by its postings there (remembered in
    /// `maxima`) instead of by BM25 at any frequency and length: tighter bounds, fewer
    /// records to score, the same list.
    pub fn with_term_maxima(mut self, maxima: Arc<TermMaxima>) -> PrunedQuery {
        self.maxima = Some(maxima);
        self
    }

    /// The records ranked `offset..offset + limit` by score (ties by address), as
    /// `TopDocs::with_limit(limit).and_offset(offset)` ranks them, with one list for the
    /// whole index: the segments are ranked one after the other, each starting from the
    /// score the list already asks for (a collector per segment starts every segment
    /// from nothing, so each segment scores its own best records).
    pub fn top(
        &self,
        searcher: &tantivy::Searcher,
        limit: usize,
        offset: usize,
    ) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        let wanted = limit.saturating_add(offset);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let weight = self.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let mut list = TopList::new(wanted);
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let ord = ord as u32;
            weight.for_each_pruning(list.threshold(), reader, &mut |doc, score| {
                list.offer(score, DocAddress::new(ord, doc))
            })?;
        }
        Ok(list.into_sorted().into_iter().skip(offset).collect())
    }
}

/// A list of the `k` best records offered, best first; between equal scores the lower
/// address (the one offered first, segments and records being offered in order).
struct TopList {
    k: usize,
    /// The worst of the list on top.
    heap: std::collections::BinaryHeap<Ranked>,
}

/// A record and its score, ordered from best to worst.
struct Ranked(Score, DocAddress);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    /// Worse is greater: a lower score, or the same score at a higher address.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl TopList {
    fn new(k: usize) -> TopList {
        TopList {
            k,
            heap: std::collections::BinaryHeap::with_capacity(k.min(10_000) + 1),
        }
    }

    /// The score a record must beat to enter: the worst score once the list is full.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.k => worst.0,
            _ => Score::MIN,
        }
    }

    /// Offers a record (after those already offered), and says the new threshold.
    fn offer(&mut self, score: Score, address: DocAddress) -> Score {
        if self.heap.len() < self.k {
            self.heap.push(Ranked(score, address));
        } else if score > self.threshold() {
            self.heap.pop();
            self.heap.push(Ranked(score, address));
        }
        self.threshold()
    }

    fn into_sorted(self) -> Vec<(Score, DocAddress)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(score, address)| (score, address))
            .collect()
    }
}

impl Clone for PrunedQuery {
    fn clone(&self) -> Self {
        PrunedQuery {
            clauses: self.clauses.iter().map(|c| c.box_clone()).collect(),
            bits: self.bits.clone(),
            maxima: self.maxima.clone(),
        }
    }
}

impl fmt::Debug for PrunedQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrunedQuery")
            .field("clauses", &self.clauses)
            .field("segments", &self.bits.len())
            .finish()
    }
}

impl Query for PrunedQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let bound_of = |query: &dyn Query| -> tantivy::Result<Score> {
            Ok(match enable_scoring {
                EnableScoring::Enabled {
                    statistics_provider,
                    ..
                } => upper_bound(query, statistics_provider)?.unwrap_or(Score::INFINITY),
                EnableScoring::Disabled { .. } => Score::INFINITY,
            })
        };
        let mut clauses: Vec<Arc<dyn Weight>> = Vec::with_capacity(self.clauses.len());
        let mut shapes = Vec::with_capacity(self.clauses.len());
        let mut leaves = Vec::new();
        for clause in &self.clauses {
            let start = leaves.len();
            if let Some(fields_max) = clause.downcast_ref::<FieldsMaxQuery>() {
                // Its parts are scored one by one, and folded as the clause folds them.
                let (parts, weight) = fields_max.part_weights(enable_scoring)?;
                for ((group, weight), part) in parts.into_iter().zip(fields_max.parts()) {
                    let term = scored_term(part, enable_scoring)?;
                    leaves.push(Leaf {
                        group,
                        bound: match &term {
                            Some(term) => term.weight.max_score(),
                            None => bound_of(part)?,
                        },
                        term,
                        weight,
                    });
                }
                shapes.push((start..leaves.len(), fields_max.tie_breaker()));
                clauses.push(Arc::from(weight));
            } else {
                let bound = bound_of(clause.as_ref())?;
                let weight: Arc<dyn Weight> = Arc::from(clause.weight(enable_scoring)?);
                leaves.push(Leaf {
                    group: 0,
                    bound,
                    term: scored_term(clause.as_ref(), enable_scoring)?,
                    weight: weight.clone(),
                });
                // One leaf, one group: its score folds to itself.
                shapes.push((start..leaves.len(), 1.0));
                clauses.push(weight);
            }
        }
        Ok(Box::new(PrunedWeight {
            clauses,
            shapes,
            leaves,
            bits: self.bits.clone(),
            maxima: self.maxima.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

/// One way to match a clause, scored on its own: a part of a [`FieldsMaxQuery`] clause
/// (a form of a word in one field), or a clause of another kind whole.
struct Leaf {
    /// Its group in its clause (the field, for a word's parts).
    group: usize,
    /// The highest score it gives (infinite when unknown).
    bound: Score,
    /// For a term, the term and the BM25 weight it is scored with (boost included): its
    /// bound on a segment is then that of the term's postings there ([`TermMaxima`]).
    term: Option<ScoredTerm>,
    weight: Arc<dyn Weight>,
}

/// The term a leaf scores, and its BM25 weight with the boosts around it folded in.
struct ScoredTerm {
    term: Term,
    /// As tantivy folds boosts: `BoostWeight` multiplies the boost it is given by its own,
    /// the term scorer its weight by the result.
    weight: Bm25Weight,
    /// Whether the query reads frequencies ([`FrequencyTerm`]): the leaf is then scored
    /// from its postings here; another term query through its own scorer.
    frequencies: bool,
}

/// The term a leaf scores, with its weight: `None` for any other query.
fn scored_term(
    query: &dyn Query,
    enable_scoring: EnableScoring<'_>,
) -> tantivy::Result<Option<ScoredTerm>> {
    let EnableScoring::Enabled {
        statistics_provider,
        ..
    } = enable_scoring
    else {
        return Ok(None);
    };
    let mut boost: Score = 1.0;
    let mut query = query;
    while let Some(boosted) = query.downcast_ref::<Boosted>() {
        boost *= boosted.boost;
        query = boosted.inner.as_ref();
    }
    let Some((term, frequencies)) = as_term(query) else {
        return Ok(None);
    };
    let weight = Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(term))?;
    Ok(Some(ScoredTerm {
        term: term.clone(),
        weight: weight.boost_by(boost),
        frequencies,
    }))
}

struct PrunedWeight {
    clauses: Vec<Arc<dyn Weight>>,
    /// Each clause's leaves (a range of `leaves`, in the clause's part order) and how
    /// their scores fold into the clause's (the tie breaker of [`Combined::finish`]).
    shapes: Vec<(Range<usize>, Score)>,
    leaves: Vec<Leaf>,
    bits: SegmentBits,
    maxima: Option<Arc<TermMaxima>>,
}
/// The next record at or after `doc` in `bits`.
fn next_bit(bits: &[u64], doc: DocId) -> DocId {
    let mut word = doc as usize / 64;
    if word >= bits.len() {
        return TERMINATED;
    }
    let mut rest = bits[word] & (u64::MAX << (doc % 64));
    loop {
        if rest != 0 {
            return (word * 64) as DocId + rest.trailing_zeros();
        }
        word += 1;
        if word >= bits.len() {
            return TERMINATED;
        }
        rest = bits[word];
    }
}

fn holds(bits: &[u64], doc: DocId) -> bool {
    bits.get(doc as usize / 64)
        .is_some_and(|w| w & (1 << (doc % 64)) != 0)
}

impl PrunedWeight {
    fn segment_bits(&self, reader: &SegmentReader) -> Option<Arc<Bits>> {
        self.bits.get(&reader.segment_id()).cloned()
    }

    /// The clauses' scorers on a segment, in clause order; clauses with no record in the
    /// segment are left out.
    fn scorers(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Vec<Clause>> {
        let mut scorers = Vec::with_capacity(self.clauses.len());
        for weight in &self.clauses {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(Clause { scorer });
            }
        }
        Ok(scorers)
    }
}

/// A clause's scorer on a segment.
struct Clause {
    scorer: Box<dyn Scorer>,
}

/// Sums the scores of the scorers on `doc` in clause order (the scorers are in clause
/// order), seeking those behind it.
fn exact_sum(scorers: &mut [Clause], doc: DocId) -> Score {
    let mut sum = 0.0;
    for Clause { scorer } in scorers.iter_mut() {
        if scorer.doc() < doc {
            scorer.seek(doc);
        }
        if scorer.doc() == doc {
            sum += scorer.score();
        }
    }
    sum
}

/// A leaf's scorer on a segment. A term is read straight from its postings and scored
/// with its BM25 weight, as tantivy's term scorer scores it (the same weight, boosts
/// folded in the same order, the same field norms): the same number, without a call
/// through `dyn Scorer` for every look at every record.
// A search has a few dozen leaves, read in the ranking's inner loop: kept inline, not
// boxed, whatever the size of the other variant.
#[allow(clippy::large_enum_variant)]
enum LeafScorer {
    Term {
        postings: SegmentPostings,
        norms: FieldNormReader,
        weight: Bm25Weight,
    },
    Other(Box<dyn Scorer>),
}

impl LeafScorer {
    /// The scorer of `leaf` on `reader`'s segment.
    fn open(leaf: &Leaf, reader: &SegmentReader) -> tantivy::Result<LeafScorer> {
        let Some(ScoredTerm {
            term,
            weight,
            frequencies: true,
        }) = &leaf.term
        else {
            return Ok(LeafScorer::Other(leaf.weight.scorer(reader, 1.0)?));
        };
        let field = term.field();
        let Some(postings) = reader
            .inverted_index(field)?
            .read_postings(term, IndexRecordOption::WithFreqs)?
        else {
            return Ok(LeafScorer::Other(Box::new(tantivy::query::EmptyScorer)));
        };
        let norms = term_norms(reader, field)?;
        Ok(LeafScorer::Term {
            postings,
            norms,
            weight: weight.clone(),
        })
    }

    #[inline]
    fn doc(&self) -> DocId {
        match self {
            LeafScorer::Term { postings, .. } => postings.doc(),
            LeafScorer::Other(scorer) => scorer.doc(),
        }
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        match self {
            LeafScorer::Term { postings, .. } => postings.seek(target),
            LeafScorer::Other(scorer) => scorer.seek(target),
        }
    }

    #[inline]
    fn score(&mut self) -> Score {
        match self {
            LeafScorer::Term {
                postings,
                norms,
                weight,
            } => weight.score(norms.fieldnorm_id(postings.doc()), postings.term_freq()),
            LeafScorer::Other(scorer) => scorer.score(),
        }
    }
}

/// The leaves of a search on one segment, and what MaxScore keeps about them.
struct SegmentLeaves<'a> {
    shapes: &'a [(Range<usize>, Score)],
    groups: Vec<usize>,
    /// Each leaf's clause.
    clause_of: Vec<usize>,
    scorers: Vec<LeafScorer>,
    /// Each leaf's current record (its scorer's, kept here to spare a call per look).
    docs: Vec<DocId>,
    /// Each leaf's bound on this segment (0 for a leaf with no record in it).
    bounds: Vec<Score>,
    /// Whether each leaf is essential (for the current θ).
    essential: Vec<bool>,
    /// The current record's scores of the leaves already read for it.
    scored: Vec<Option<Score>>,
    /// What is known of each leaf's score on the current record: its score once read,
    /// before that 0 for an essential leaf not on it and the bound for the others; and
    /// each clause's fold of those. Between records, the values before any is read
    /// (`base`), restored from the lists of leaves and clauses changed.
    values: Vec<Score>,
    folded: Vec<Score>,
    base_folded: Vec<Score>,
    base_total: Score,
    changed_leaves: Vec<usize>,
    changed_clauses: Vec<usize>,
}

/// Whether a bound `total` (added up in another order than the exact score) shows that a
/// record cannot beat `theta`: with a margin far above the rounding of a few dozen
/// additions, so that rounding never drops a record that beats θ by a hair.
fn beneath(total: Score, theta: Score) -> bool {
    total < theta - (theta.abs() * 1e-4 + 1e-6)
}

impl SegmentLeaves<'_> {
    /// Moves `leaf` to its first record at or after `target`.
    #[inline]
    fn seek(&mut self, leaf: usize, target: DocId) -> DocId {
        if self.docs[leaf] < target {
            self.docs[leaf] = self.scorers[leaf].seek(target);
        }
        self.docs[leaf]
    }

    /// The exact score of `doc`: each clause's matching leaves folded as the clause folds
    /// them, the clauses summed in clause order, as [`exact_sum`] adds the clauses' own
    /// scorers up. Leaves behind `doc` are moved to it; scores read before are reused.
    fn exact(&mut self, doc: DocId) -> Score {
        let mut sum = 0.0;
        for (range, tie_breaker) in self.shapes {
            let mut combined = Combined::default();
            let mut matched = false;
            for leaf in range.clone() {
                let value = match self.scored[leaf].take() {
                    Some(value) => value,
                    None => {
                        if self.seek(leaf, doc) != doc {
                            continue;
                        }
                        self.scorers[leaf].score()
                    }
                };
                matched = true;
                combined.add(self.groups[leaf], value);
            }
            if matched {
                sum += combined.finish(*tie_breaker);
            }
        }
        sum
    }

    /// Marks the leaves of `order[..p]` non-essential and the others essential, and sets
    /// the values a record starts from.
    fn mark(&mut self, order: &[usize], p: usize) {
        self.essential.fill(true);
        for &leaf in &order[..p] {
            self.essential[leaf] = false;
        }
        for leaf in 0..self.values.len() {
            self.values[leaf] = if self.essential[leaf] {
                0.0
            } else {
                self.bounds[leaf]
            };
        }
        self.base_total = 0.0;
        for (clause, (range, tie_breaker)) in self.shapes.iter().enumerate() {
            let folded = fold(&self.groups, &self.values, range.clone(), *tie_breaker);
            self.base_folded[clause] = folded;
            self.folded[clause] = folded;
            self.base_total += folded;
        }
    }

    /// Sets what is known of `leaf`'s score on the current record, and refolds its
    /// clause: the change of the total.
    #[inline]
    fn learn(&mut self, leaf: usize, value: Score) -> Score {
        if value == self.values[leaf] {
            return 0.0;
        }
        self.values[leaf] = value;
        self.changed_leaves.push(leaf);
        let clause = self.clause_of[leaf];
        if self.folded[clause] == self.base_folded[clause] {
            self.changed_clauses.push(clause);
        }
        let (range, tie_breaker) = &self.shapes[clause];
        let folded = fold(&self.groups, &self.values, range.clone(), *tie_breaker);
        let change = folded - self.folded[clause];
        self.folded[clause] = folded;
        change
    }

    /// Whether `doc` can score above `theta`. It starts from the scores of the essential
    /// leaves on it (`essential`, all at or past it) and the bounds of the others, then
    /// reads the others, biggest bound first (`resolve`), replacing each bound by its score
    /// (0 when the leaf misses the record), and stops as soon as the total falls beneath
    /// `theta`: a clause folds its leaves with max and sum, which never decrease when a
    /// leaf's score grows, so every total on the way bounds the record's score. Scores
    /// read are kept for [`Self::exact`].
    fn admits(&mut self, doc: DocId, essential: &[usize], resolve: &[usize], theta: Score) -> bool {
        let mut total = self.base_total;
        for &leaf in essential {
            if self.docs[leaf] == doc {
                let score = self.scorers[leaf].score();
                self.scored[leaf] = Some(score);
                total += self.learn(leaf, score);
            }
        }
        let mut admitted = true;
        for &leaf in resolve {
            if beneath(total, theta) {
                admitted = false;
                break;
            }
            let value = if self.seek(leaf, doc) == doc {
                let score = self.scorers[leaf].score();
                self.scored[leaf] = Some(score);
                score
            } else {
                0.0
            };
            total += self.learn(leaf, value);
        }
        admitted = admitted && !beneath(total, theta);
        // Back to the values a record starts from.
        for &leaf in &self.changed_leaves {
            self.values[leaf] = if self.essential[leaf] {
                0.0
            } else {
                self.bounds[leaf]
            };
        }
        for &clause in &self.changed_clauses {
            self.folded[clause] = self.base_folded[clause];
        }
        self.changed_leaves.clear();
        self.changed_clauses.clear();
        admitted
    }
}

/// A clause's leaves `range` folded as the clause folds them, each at `values[leaf]`.
fn fold(groups: &[usize], values: &[Score], range: Range<usize>, tie_breaker: Score) -> Score {
    let mut combined = Combined::default();
    for leaf in range {
        combined.add(groups[leaf], values[leaf]);
    }
    combined.finish(tie_breaker)
}

impl Weight for PrunedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = self.segment_bits(reader).unwrap_or_default();
        let scorers = self.scorers(reader, boost)?;
        Ok(Box::new(SumOverBits {
            doc: next_bit(&bits, 0),
            bits,
            scorers,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let bits = self.segment_bits(reader).unwrap_or_default();
        if !holds(&bits, doc) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} is not one of the search's records"
            )));
        }
        let mut scorers = self.scorers(reader, 1.0)?;
        let score = exact_sum(&mut scorers, doc);
        let mut explanation = Explanation::new("sum of the clauses a record matches", score);
        for weight in &self.clauses {
            if let Ok(child) = weight.explain(reader, doc) {
                explanation.add_detail(child);
            }
        }
        Ok(explanation)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let Some(bits) = self.segment_bits(reader) else {
            return Ok(());
        };
        let n = self.leaves.len();
        let mut leaves = SegmentLeaves {
            shapes: &self.shapes,
            groups: self.leaves.iter().map(|leaf| leaf.group).collect(),
            clause_of: self
                .shapes
                .iter()
                .enumerate()
                .flat_map(|(clause, (range, _))| range.clone().map(move |_| clause))
                .collect(),
            scorers: Vec::with_capacity(n),
            docs: Vec::with_capacity(n),
            bounds: Vec::with_capacity(n),
            essential: vec![true; n],
            scored: vec![None; n],
            values: vec![0.0; n],
            folded: vec![0.0; self.shapes.len()],
            base_folded: vec![0.0; self.shapes.len()],
            base_total: 0.0,
            changed_leaves: Vec::with_capacity(n),
            changed_clauses: Vec::with_capacity(self.shapes.len()),
        };
        for leaf in &self.leaves {
            let scorer = LeafScorer::open(leaf, reader)?;
            let doc = scorer.doc();
            let bound = if doc == TERMINATED {
                0.0
            } else if let (Some(maxima), Some(term)) = (&self.maxima, &leaf.term) {
                maxima
                    .bound(reader, &term.term, &term.weight)?
                    .min(leaf.bound)
            } else {
                leaf.bound
            };
            leaves.scorers.push(scorer);
            leaves.docs.push(doc);
            leaves.bounds.push(bound);
        }
        // The leaves with records here, by bound, smallest first: `order[..p]` are the
        // non-essential ones, those such that a record matching none of the others scores
        // below θ.
        let mut order: Vec<usize> = (0..n)
            .filter(|&leaf| leaves.docs[leaf] != TERMINATED)
            .collect();
        order.sort_by(|&a, &b| {
            leaves.bounds[a]
                .total_cmp(&leaves.bounds[b])
                .then(a.cmp(&b))
        });
        // below[i]: the most a record matching only leaves of order[..i] can score (each
        // clause folding those leaves' bounds).
        let mut below = Vec::with_capacity(order.len() + 1);
        let mut in_below = vec![false; n];
        below.push(0.0 as Score);
        for &leaf in &order {
            in_below[leaf] = true;
            let mut sum = 0.0 as Score;
            for (range, tie_breaker) in &self.shapes {
                let mut combined = Combined::default();
                let mut unknown = false;
                for l in range.clone().filter(|&l| in_below[l]) {
                    unknown |= leaves.bounds[l].is_infinite();
                    combined.add(leaves.groups[l], leaves.bounds[l]);
                }
                sum += if unknown {
                    Score::INFINITY
                } else {
                    combined.finish(*tie_breaker)
                };
            }
            below.push(sum);
        }
        let essential_from =
            |theta: Score| below.iter().take_while(|&&b| beneath(b, theta)).count() - 1;
        // The non-essential leaves, biggest bound first: read in that order when a record
        // is a candidate.
        let resolve_of = |p: usize| -> Vec<usize> { order[..p].iter().rev().copied().collect() };
        let mut theta = threshold;
        let mut p = if theta > 0.0 {
            essential_from(theta)
        } else {
            0
        };
        leaves.mark(&order, p);
        let mut resolve = resolve_of(p);
        let mut next = 0 as DocId;
        loop {
            // While the list takes a record scoring 0 (not full, or its last scores 0),
            // every record of the search is a candidate, scored whole; after that, only
            // those of an essential leaf.
            if theta <= 0.0 {
                let doc = next_bit(&bits, next);
                if doc == TERMINATED {
                    break;
                }
                next = doc + 1;
                let score = leaves.exact(doc);
                if score > theta {
                    theta = callback(doc, score).max(threshold);
                    if theta > 0.0 {
                        p = essential_from(theta);
                        leaves.mark(&order, p);
                        resolve = resolve_of(p);
                    }
                }
                continue;
            }
            let mut doc;
            loop {
                doc = TERMINATED;
                for &leaf in &order[p..] {
                    doc = doc.min(leaves.seek(leaf, next));
                }
                if doc == TERMINATED || holds(&bits, doc) {
                    break;
                }
                next = next_bit(&bits, doc + 1);
                if next == TERMINATED {
                    doc = TERMINATED;
                    break;
                }
            }
            if doc == TERMINATED {
                break;
            }
            next = doc + 1;
            // The essential leaves' scores and the others' bounds: can it enter?
            if leaves.admits(doc, &order[p..], &resolve, theta) {
                // The exact sum, as the exhaustive scorer adds it up.
                let score = leaves.exact(doc);
                if score > theta {
                    let raised = callback(doc, score).max(threshold);
                    if raised != theta {
                        theta = raised;
                        let moved = essential_from(theta.max(Score::MIN_POSITIVE));
                        if moved != p {
                            p = moved;
                            leaves.mark(&order, p);
                            resolve = resolve_of(p);
                        }
                    }
                }
            }
            leaves.scored.fill(None);
        }
        Ok(())
    }
}

/// The exhaustive sum over a segment's records (explanations, and collectors that do not
/// prune).
struct SumOverBits {
    bits: Arc<Bits>,
    scorers: Vec<Clause>,
    doc: DocId,
}

impl DocSet for SumOverBits {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = next_bit(&self.bits, self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = next_bit(&self.bits, target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        crate::record_sets::count(&self.bits) as u32
    }
}

impl Scorer for SumOverBits {
    fn score(&mut self) -> Score {
        exact_sum(&mut self.scorers, self.doc)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proptest::prelude::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{EnableScoring, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, Index, IndexWriter};

    use super::*;
    use crate::flat::FieldsMaxQuery;

    /// The same query ranked without pruning: the default `for_each_pruning` of a weight
    /// scores every record of the exhaustive scorer.
    #[derive(Clone, Debug)]
    struct Exhaustive(PrunedQuery);

    struct ExhaustiveWeight(Box<dyn Weight>);

    impl Query for Exhaustive {
        fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
            Ok(Box::new(ExhaustiveWeight(self.0.weight(enable_scoring)?)))
        }
    }

    impl Weight for ExhaustiveWeight {
        fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
            self.0.scorer(reader, boost)
        }

        fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
            self.0.explain(reader, doc)
        }
    }

    /// Counts the records a clause scores.
    #[derive(Debug)]
    struct Counted(Box<dyn Query>, Arc<AtomicUsize>);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            Counted(self.0.box_clone(), self.1.clone())
        }
    }

    struct CountedWeight(Box<dyn Weight>, Arc<AtomicUsize>);

    struct CountedScorer(Box<dyn Scorer>, Arc<AtomicUsize>);

    impl Query for Counted {
        fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
            Ok(Box::new(CountedWeight(
                self.0.weight(enable_scoring)?,
                self.1.clone(),
            )))
        }
    }

    impl Weight for CountedWeight {
        fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
            Ok(Box::new(CountedScorer(
                self.0.scorer(reader, boost)?,
                self.1.clone(),
            )))
        }

        fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
            self.0.explain(reader, doc)
        }
    }

    impl DocSet for CountedScorer {
        fn advance(&mut self) -> DocId {
            self.0.advance()
        }
        fn seek(&mut self, target: DocId) -> DocId {
            self.0.seek(target)
        }
        fn doc(&self) -> DocId {
            self.0.doc()
        }
        fn size_hint(&self) -> u32 {
            self.0.size_hint()
        }
    }

    impl Scorer for CountedScorer {
        fn score(&mut self) -> Score {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0.score()
        }
    }

    const WORDS: [&str; 8] = ["lua", "gao", "ca", "phe", "say", "nhiet", "bom", "xu"];

    /// An index of `docs` (each two fields of word indexes) in `segments` commits, and the
    /// search's records: every `keep`-th record.
    fn index(
        docs: &[(Vec<u8>, Vec<u8>)],
        segments: usize,
    ) -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let a = builder.add_text_field("a", TEXT);
        let b = builder.add_text_field("b", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let per_commit = docs.len().div_ceil(segments.max(1)).max(1);
        for chunk in docs.chunks(per_commit) {
            for (x, y) in chunk {
                let text = |w: &[u8]| {
                    w.iter()
                        .map(|i| WORDS[*i as usize % WORDS.len()])
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                writer
                    .add_document(doc!(a => text(x), b => text(y)))
                    .unwrap();
            }
            writer.commit().unwrap();
        }
        (index, a, b)
    }

    /// A word's form in a field, as the search box asks for it: read from its postings
    /// by the ranking itself.
    fn term(field: tantivy::schema::Field, word: &str, boost: Score) -> Box<dyn Query> {
        boosted(
            Box::new(FrequencyTerm::new(Term::from_field_text(field, word))),
            boost,
        )
    }

    /// A term through tantivy's own query and scorer (the ranking does not know which
    /// record option it reads).
    fn plain_term(field: tantivy::schema::Field, word: &str, boost: Score) -> Box<dyn Query> {
        boosted(
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            )),
            boost,
        )
    }

    /// Clauses like a search's: per word the best of its two fields (one flat clause),
    /// plus a pair bonus.
    fn clauses(
        a: tantivy::schema::Field,
        b: tantivy::schema::Field,
        words: &[(u8, Score)],
    ) -> Vec<Box<dyn Query>> {
        let cache = Arc::new(crate::expand::ExpansionCache::new(1 << 20));
        let mut clauses: Vec<Box<dyn Query>> = words
            .iter()
            .map(|(w, boost)| {
                let word = WORDS[*w as usize % WORDS.len()];
                // A completion of the word's first letter in the second field: a constant
                // score, whose bound is exact.
                let typed = cache.query(b, &word[..1], crate::expand::Expansion::Prefix);
                Box::new(FieldsMaxQuery::new(
                    vec![
                        (0, term(a, word, 2.0 * boost)),
                        (1, term(b, word, *boost)),
                        (2, boosted(Box::new(typed), 1.5 * boost)),
                    ],
                    0.3,
                )) as Box<dyn Query>
            })
            .collect();
        if let [(first, _), (second, _), ..] = words {
            let bonus = BooleanQuery::new(vec![
                (
                    Occur::Should,
                    plain_term(a, WORDS[*first as usize % WORDS.len()], 0.5),
                ),
                (
                    Occur::Should,
                    plain_term(b, WORDS[*second as usize % WORDS.len()], 0.5),
                ),
            ]);
            clauses.push(Box::new(bonus));
        }
        clauses
    }

    fn records(index: &Index, keep: usize) -> SegmentBits {
        let searcher = index.reader().unwrap().searcher();
        let mut bits = HashMap::new();
        for reader in searcher.segment_readers() {
            let mut set = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
            for doc in (0..reader.max_doc()).filter(|d| (*d as usize).is_multiple_of(keep.max(1))) {
                set[doc as usize / 64] |= 1 << (doc % 64);
            }
            bits.insert(reader.segment_id(), Arc::new(set));
        }
        Arc::new(bits)
    }

    fn ranked(index: &Index, query: &dyn Query, k: usize) -> Vec<(Score, tantivy::DocAddress)> {
        let searcher = index.reader().unwrap().searcher();
        searcher
            .search(query, &TopDocs::with_limit(k).order_by_score())
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Pruned top k equals exhaustive top k: the same records, the same scores, in the
        /// same order, for random records, clauses, record subsets, depths, pages and
        /// segments; ranked per segment by TopDocs or in one list by `top`, with each
        /// term bounded by BM25 at any frequency or by its postings (`TermMaxima`).
        #[test]
        fn pruned_top_k_equals_exhaustive_top_k(
            docs in proptest::collection::vec(
                (proptest::collection::vec(0u8..8, 0..6), proptest::collection::vec(0u8..8, 0..12)),
                1..150,
            ),
            words in proptest::collection::vec((0u8..8, 0.2f32..3.0), 1..5),
            segments in 1usize..4,
            keep in 1usize..4,
            k in 1usize..20,
            offset in 0usize..6,
            maxima in any::<bool>(),
        ) {
            let (index, a, b) = index(&docs, segments);
            let bits = records(&index, keep);
            let mut pruned = PrunedQuery::new(clauses(a, b, &words), bits.clone());
            if maxima {
                pruned = pruned.with_term_maxima(Arc::new(TermMaxima::new(1 << 20)));
            }
            let exhaustive = Exhaustive(pruned.clone());
            let want = ranked(&index, &exhaustive, k);
            prop_assert_eq!(&ranked(&index, &pruned, k), &want);
            let searcher = index.reader().unwrap().searcher();
            prop_assert_eq!(&pruned.top(&searcher, k, 0).unwrap(), &want);
            let page = searcher
                .search(&exhaustive, &TopDocs::with_limit(k).and_offset(offset).order_by_score())
                .unwrap();
            prop_assert_eq!(pruned.top(&searcher, k, offset).unwrap(), page);
        }

        /// A term's bound from its postings is the best score its scorer gives on the
        /// segment, whatever the boost, and 0 for a term the segment lacks.
        #[test]
        fn term_maxima_are_the_best_scores(
            docs in proptest::collection::vec(
                (proptest::collection::vec(0u8..8, 0..6), proptest::collection::vec(0u8..8, 0..40)),
                1..300,
            ),
            segments in 1usize..4,
            boost in 0.1f32..4.0,
        ) {
            let (index, a, b) = index(&docs, segments);
            let searcher = index.reader().unwrap().searcher();
            let maxima = TermMaxima::new(1 << 20);
            for field in [a, b] {
                for word in WORDS.iter().chain(&["khong"]) {
                    let query = term(field, word, boost);
                    let enable = EnableScoring::enabled_from_searcher(&searcher);
                    let Some(ScoredTerm { term, weight, .. }) = scored_term(query.as_ref(), enable).unwrap() else {
                        panic!("a boosted term query is a term");
                    };
                    let query_weight = query.weight(enable).unwrap();
                    for reader in searcher.segment_readers() {
                        let mut scorer = query_weight.scorer(reader, 1.0).unwrap();
                        let mut best = 0.0 as Score;
                        while scorer.doc() != TERMINATED {
                            best = best.max(scorer.score());
                            scorer.advance();
                        }
                        prop_assert_eq!(maxima.bound(reader, &term, &weight).unwrap(), best);
                    }
                }
            }
        }
    }

    /// A field indexed without frequencies (a code, a facet): its term scorer counts each
    /// record once, and the bound from its postings is still its best score.
    #[test]
    fn term_maxima_of_a_field_without_frequencies() {
        let mut builder = Schema::builder();
        let code = builder.add_text_field("code", tantivy::schema::STRING);
        let text = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..500 {
            let value = if i % 3 == 0 { "tcvn" } else { "iso" };
            writer
                .add_document(doc!(code => value, text => "lua gao lua"))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let maxima = TermMaxima::new(1 << 20);
        for (field, word) in [(code, "tcvn"), (code, "iso"), (text, "lua")] {
            let query = term(field, word, 1.7);
            let enable = EnableScoring::enabled_from_searcher(&searcher);
            let ScoredTerm { term, weight, .. } =
                scored_term(query.as_ref(), enable).unwrap().unwrap();
            let mut scorer = query
                .weight(enable)
                .unwrap()
                .scorer(searcher.segment_reader(0), 1.0)
                .unwrap();
            let mut best = 0.0 as Score;
            while scorer.doc() != TERMINATED {
                best = best.max(scorer.score());
                scorer.advance();
            }
            assert!(best > 0.0);
            let bound = maxima
                .bound(searcher.segment_reader(0), &term, &weight)
                .unwrap();
            assert_eq!(bound, best, "{word}");
        }
    }

    /// Pruning skips: the top record of one rare word and one common word is found without
    /// scoring every record holding the common word, and the records scored 0 (matching
    /// no clause) still fill a list that nothing else fills.
    #[test]
    fn pruning_scores_fewer_records_and_keeps_records_scoring_zero() {
        let mut docs: Vec<(Vec<u8>, Vec<u8>)> = (0..2_000)
            .map(|i| (vec![0], vec![if i % 500 == 0 { 1 } else { 2 }]))
            .collect();
        docs.push((vec![3], vec![3]));
        let (index, a, b) = index(&docs, 1);
        let bits = records(&index, 1);
        let scored = Arc::new(AtomicUsize::new(0));
        let counted: Vec<Box<dyn Query>> = clauses(a, b, &[(0, 0.2), (1, 3.0)])
            .into_iter()
            .map(|c| Box::new(Counted(c, scored.clone())) as Box<dyn Query>)
            .collect();
        // Counted clauses have no known bound: they are never skipped...
        let unknown = PrunedQuery::new(counted, bits.clone());
        let want = ranked(&index, &Exhaustive(unknown.clone()), 3);
        scored.store(0, Ordering::Relaxed);
        assert_eq!(ranked(&index, &unknown, 3), want);
        assert!(scored.load(Ordering::Relaxed) >= 2_000);
        // ...and with bounds, the common word's records are mostly not scored.
        let pruned = PrunedQuery::new(clauses(a, b, &[(0, 0.2), (1, 3.0)]), bits.clone());
        let searcher = index.reader().unwrap().searcher();
        let weight = pruned
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let mut offered = 0;
        weight
            .for_each_pruning(Score::MIN, searcher.segment_reader(0), &mut |_, _| {
                offered += 1;
                // A list of three: the threshold rises to the rare word's scores.
                if offered >= 3 {
                    5.0
                } else {
                    Score::MIN
                }
            })
            .unwrap();
        assert!(offered < 50, "offered {offered} of 2,001 records");
        assert_eq!(
            ranked(&index, &pruned, 4),
            ranked(&index, &Exhaustive(pruned.clone()), 4)
        );
        // Words no record holds: every record scores 0, and the list is still filled.
        let nothing = PrunedQuery::new(vec![term(a, "khong", 1.0)], bits);
        assert_eq!(ranked(&index, &nothing, 5).len(), 5);
        assert!(ranked(&index, &nothing, 5).iter().all(|(s, _)| *s == 0.0));
    }

    /// A bound is never below a score: every record's score of a clause is at most the
    /// clause's bound.
    #[test]
    fn bounds_hold() {
        let docs: Vec<(Vec<u8>, Vec<u8>)> = (0..300u32)
            .map(|i| {
                (
                    (0..(i % 5)).map(|j| ((i + j) % 8) as u8).collect(),
                    (0..(i % 11)).map(|j| ((i * 3 + j) % 8) as u8).collect(),
                )
            })
            .collect();
        let (index, a, b) = index(&docs, 2);
        let searcher = index.reader().unwrap().searcher();
        for clause in clauses(a, b, &[(0, 1.0), (3, 0.5), (5, 2.0)]) {
            let bound = upper_bound(clause.as_ref(), &searcher).unwrap().unwrap();
            let weight = clause
                .weight(EnableScoring::enabled_from_searcher(&searcher))
                .unwrap();
            for reader in searcher.segment_readers() {
                let mut scorer = weight.scorer(reader, 1.0).unwrap();
                while scorer.doc() != TERMINATED {
                    assert!(scorer.score() <= bound, "{clause:?}");
                    scorer.advance();
                }
            }
        }
    }
}
