//! Top-k ranking that skips records which cannot make the list (MaxScore).
//!
//! A search's score is a sum of clauses: one per query word, one per glossary concept,
//! one per compound bonus ([`crate::build::scoring_clauses`]). Which records a search
//! holds is already known before ranking, as the record sets of [`crate::record_sets`]:
//! requiring words, filters, hidden and deleted records only narrow those sets, they add
//! nothing to a score. So the ranking pass is a sum of optional clauses over a known set of
//! records, which is what MaxScore (Turtle and Flood, 1995) prunes exactly:
//!
//! - every clause has an upper bound on its score ([`upper_bound`]: BM25 of a term at any
//!   frequency and field length, the constant of a typo or prefix match, the best field of
//!   a word, the sum of a concept's fields);
//! - clauses are sorted by bound; once the list's k-th score θ is above the sum of the
//!   smallest bounds, a record that matches only those clauses cannot make the list, so
//!   only the records of the other (*essential*) clauses are visited, and the others are
//!   looked up for them alone;
//! - a record whose essential scores plus the bounds of the others stay below θ is not
//!   scored further.
//!
//! A record is offered to the collector with exactly the score the exhaustive sum gives it
//! (the clauses are summed in one fixed order), and no record that could enter the list is
//! skipped: the list is the exhaustive one. `tests/counting.rs` checks it against the
//! ranking query with its filters (`Counting::Query`), and the unit tests here against the
//! same sum without pruning.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostWeight, EnableScoring, Explanation,
    Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

use crate::expand::CachedExpansion;
use crate::flat::FieldsMaxQuery;
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
    if let Some(term) = query.downcast_ref::<TermQuery>() {
        // BM25 at any term frequency and field length: what TermQuery scores with, for the
        // same statistics.
        let weight = Bm25Weight::for_terms(statistics, std::slice::from_ref(term.term()))?;
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

/// The records of each segment that a search holds (from the record sets), by segment.
pub type SegmentBits = Arc<HashMap<SegmentId, Arc<Bits>>>;

/// The sum of `clauses` over the records in `bits`, ranked with pruning by TopDocs.
pub struct PrunedQuery {
    clauses: Vec<Box<dyn Query>>,
    bits: SegmentBits,
}

impl PrunedQuery {
    /// Scores `clauses` summed over the records of `bits` (a segment missing from `bits`
    /// holds no record of the search).
    pub fn new(clauses: Vec<Box<dyn Query>>, bits: SegmentBits) -> PrunedQuery {
        PrunedQuery { clauses, bits }
    }
}

impl Clone for PrunedQuery {
    fn clone(&self) -> Self {
        PrunedQuery {
            clauses: self.clauses.iter().map(|c| c.box_clone()).collect(),
            bits: self.bits.clone(),
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
        let mut clauses = Vec::with_capacity(self.clauses.len());
        let mut bounds = Vec::with_capacity(self.clauses.len());
        for clause in &self.clauses {
            clauses.push(clause.weight(enable_scoring)?);
            bounds.push(match enable_scoring {
                EnableScoring::Enabled {
                    statistics_provider,
                    ..
                } => upper_bound(clause.as_ref(), statistics_provider)?.unwrap_or(Score::INFINITY),
                EnableScoring::Disabled { .. } => Score::INFINITY,
            });
        }
        Ok(Box::new(PrunedWeight {
            clauses,
            bounds,
            bits: self.bits.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct PrunedWeight {
    clauses: Vec<Box<dyn Weight>>,
    /// Each clause's upper bound (infinite when unknown).
    bounds: Vec<Score>,
    bits: SegmentBits,
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

    /// The clauses' scorers on a segment, in clause order, each with its bound; clauses
    /// with no record in the segment are left out.
    fn scorers(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Vec<Clause>> {
        let mut scorers = Vec::with_capacity(self.clauses.len());
        for (weight, bound) in self.clauses.iter().zip(&self.bounds) {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(Clause {
                    scorer,
                    bound: bound * boost,
                });
            }
        }
        Ok(scorers)
    }
}

/// A clause's scorer on a segment, and the bound of its scores.
struct Clause {
    scorer: Box<dyn Scorer>,
    bound: Score,
}

/// Sums the scores of the scorers on `doc` in clause order (the scorers are in clause
/// order), seeking those behind it.
fn exact_sum(scorers: &mut [Clause], doc: DocId) -> Score {
    let mut sum = 0.0;
    for Clause { scorer, .. } in scorers.iter_mut() {
        if scorer.doc() < doc {
            scorer.seek(doc);
        }
        if scorer.doc() == doc {
            sum += scorer.score();
        }
    }
    sum
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
        for (weight, _) in self.clauses.iter().zip(&self.bounds) {
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
        let mut scorers = self.scorers(reader, 1.0)?;
        // By bound, smallest first: `order[..p]` are the non-essential clauses, the ones
        // whose bounds add up to less than θ.
        let mut order: Vec<usize> = (0..scorers.len()).collect();
        order.sort_by(|&a, &b| {
            scorers[a]
                .bound
                .total_cmp(&scorers[b].bound)
                .then(a.cmp(&b))
        });
        // below[i]: the sum of the bounds of order[..i].
        let mut below = vec![0.0 as Score; order.len() + 1];
        for (i, &s) in order.iter().enumerate() {
            below[i + 1] = below[i] + scorers[s].bound;
        }
        let essential_from = |theta: Score| below.iter().take_while(|&&b| b < theta).count() - 1;
        let mut theta = threshold;
        let mut p = if theta > 0.0 {
            essential_from(theta)
        } else {
            0
        };
        // The essential clauses' scores on the current record, kept for its sum.
        let mut scored: Vec<Option<Score>> = vec![None; scorers.len()];
        let mut next = 0 as DocId;
        loop {
            // While the list takes a record scoring 0 (not full, or its last scores 0),
            // every record of the search is a candidate, scored whole; after that, only
            // those of an essential clause.
            if theta <= 0.0 {
                let doc = next_bit(&bits, next);
                if doc == TERMINATED {
                    break;
                }
                next = doc + 1;
                let score = exact_sum(&mut scorers, doc);
                if score > theta {
                    theta = callback(doc, score);
                    if theta > 0.0 {
                        p = essential_from(theta);
                    }
                }
                continue;
            }
            let mut doc;
            loop {
                doc = TERMINATED;
                for &s in &order[p..] {
                    let scorer = &mut scorers[s].scorer;
                    if scorer.doc() < next {
                        scorer.seek(next);
                    }
                    doc = doc.min(scorer.doc());
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
            // The essential clauses' scores and the others' bounds: can it enter?
            let mut upper = below[p];
            for &s in &order[p..] {
                let scorer = &mut scorers[s].scorer;
                scored[s] = (scorer.doc() == doc).then(|| scorer.score());
                upper += scored[s].unwrap_or(0.0);
            }
            if upper >= theta {
                // The exact sum, in clause order, as the exhaustive scorer adds it up.
                let mut score = 0.0;
                for (s, Clause { scorer, .. }) in scorers.iter_mut().enumerate() {
                    let value = match scored[s].take() {
                        Some(value) => Some(value),
                        None => {
                            if scorer.doc() < doc {
                                scorer.seek(doc);
                            }
                            (scorer.doc() == doc).then(|| scorer.score())
                        }
                    };
                    if let Some(value) = value {
                        score += value;
                    }
                }
                if score > theta {
                    theta = callback(doc, score);
                    p = essential_from(theta.max(Score::MIN_POSITIVE));
                }
            }
            scored.fill(None);
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

    fn term(field: tantivy::schema::Field, word: &str, boost: Score) -> Box<dyn Query> {
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
                    term(a, WORDS[*first as usize % WORDS.len()], 0.5),
                ),
                (
                    Occur::Should,
                    term(b, WORDS[*second as usize % WORDS.len()], 0.5),
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
        /// same order, for random records, clauses, record subsets, depths and segments.
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
        ) {
            let (index, a, b) = index(&docs, segments);
            let bits = records(&index, keep);
            let pruned = PrunedQuery::new(clauses(a, b, &words), bits.clone());
            let exhaustive = Exhaustive(pruned.clone());
            let got = ranked(&index, &pruned, k);
            let want = ranked(&index, &exhaustive, k);
            prop_assert_eq!(got, want);
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
