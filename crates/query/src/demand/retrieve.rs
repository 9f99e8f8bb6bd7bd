//! Stage 2, retrieval: the query of the most informative key terms and the shortlist it
//! gives.

use super::*;

impl DemandMatcher {
    /// The retrieval query of key terms: each word and pair in every field, weighted by its
    /// idf relative to the best term's, and each glossary concept (as the records' concept
    /// terms when the expansion is marked [`Expansion::indexed`], else as phrases).
    pub(crate) fn retrieval_query(
        &self,
        words: &[KeyTerm],
        pairs: &[KeyTerm],
        expansions: &[Expansion],
    ) -> Box<dyn Query> {
        let schema = self.searcher.index().schema();
        let tuning = self.searcher.tuning();
        let fields = TextField::ALL;
        let max_weight = max_weight(words, pairs);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in words {
            clauses.push((
                Occur::Should,
                self.word_clause(term, max_weight, crate::build::Layout::Nested),
            ));
        }
        for term in pairs {
            let has_marks = has_diacritics(&term.text);
            let bigram = QueryBigram {
                exact: term.text.to_lowercase(),
                folded: term.folded.clone(),
                has_marks,
                prefix: false,
            };
            let query = bigram_query(schema, &bigram, tuning, &fields, self.searcher.expansions());
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(query, term.weight / max_weight)),
            ));
        }
        for expansion in expansions {
            clauses.push((
                Occur::Should,
                expansion_query(schema, expansion, tuning, &fields),
            ));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The retrieval query of `words`, `pairs` and `expansions` (every one of them scores),
    /// and, when there are more than `candidate_words` words, its [`Split`]: the first
    /// `candidate_words` words (the lists are best first) with the pairs and concepts find
    /// the records, the other words add their scores. `wrap` puts the queries that find
    /// records in their context (filters, hidden records); the rest only scores records
    /// already found.
    pub(super) fn retrieval(
        &self,
        words: &[KeyTerm],
        pairs: &[KeyTerm],
        expansions: &[Expansion],
        candidate_words: usize,
        wrap: impl Fn(Box<dyn Query>) -> Box<dyn Query>,
    ) -> (Box<dyn Query>, Option<Split>) {
        let whole = wrap(self.retrieval_query(words, pairs, expansions));
        let candidate_words = candidate_words.max(1);
        let split = (candidate_words < words.len()).then(|| Split {
            drive: wrap(self.retrieval_query(&words[..candidate_words], pairs, expansions)),
            rest: self.words_sum_query(&words[candidate_words..], max_weight(words, pairs)),
        });
        (whole, split)
    }

    /// The part of a retrieval query that `words` make (weighted against `max_weight`, the
    /// best weight of the whole query's terms), as one flat sum that is cheap to move to a
    /// given record: for [`add_scores`].
    fn words_sum_query(&self, words: &[KeyTerm], max_weight: f32) -> Box<dyn Query> {
        let clauses = words
            .iter()
            .enumerate()
            .map(|(i, term)| {
                (
                    i,
                    self.word_clause(term, max_weight, crate::build::Layout::Flat),
                )
            })
            .collect();
        Box::new(crate::flat::FieldsMaxQuery::new(clauses, 1.0))
    }

    /// One key word of a retrieval query in every field, exact diacritics boosted, weighted
    /// by its weight relative to `max_weight`.
    fn word_clause(
        &self,
        term: &KeyTerm,
        max_weight: f32,
        layout: crate::build::Layout,
    ) -> Box<dyn Query> {
        let word = QueryWord {
            position: 0,
            exact: term.text.to_lowercase(),
            folded: term.folded.clone(),
            variants: Vec::new(),
            has_marks: has_diacritics(&term.text),
            prefix: false,
            fuzzy: false,
            acronym: false,
            surface: term.text.clone(),
        };
        let query = word_query(
            self.searcher.index().schema(),
            &word,
            self.searcher.tuning(),
            &TextField::ALL,
            self.searcher.expansions(),
            layout,
        );
        Box::new(BoostQuery::new(query, term.weight / max_weight))
    }
}

/// The best weight among a retrieval query's words and pairs, which every term's weight
/// is relative to.
fn max_weight(words: &[KeyTerm], pairs: &[KeyTerm]) -> f32 {
    words
        .iter()
        .chain(pairs)
        .map(|t| t.weight)
        .fold(f32::EPSILON, f32::max)
}

/// How many more candidates than it keeps demand matching takes from the query of its most
/// informative words, before the other words' scores are added and the best kept.
pub const CANDIDATE_OVERFETCH: usize = 2;

/// A retrieval query in two parts (see [`Tuning::demand_candidate_words`]): `drive`, the
/// most informative words with the pairs and concepts, finds the candidates; `rest`, the
/// other words as one flat sum, adds to their scores. `drive` plus `rest` scores a record
/// as the whole query does.
pub(super) struct Split {
    pub drive: Box<dyn Query>,
    pub rest: Box<dyn Query>,
}

/// The retrieval shortlist of `whole` (the retrieval query): the best `limit` records,
/// then, with a `lang` (a demand's language, when it has glossary concepts), the best of
/// the records in other languages that are not already in (`limit / 4`, at least `top`):
/// they can only match through the glossary, so they rarely reach the shortlist on score
/// alone. One evaluation of the query ([`crate::shortlist::Shortlist`]).
///
/// With a `split` of the query, its `drive` part finds [`CANDIDATE_OVERFETCH`] times as
/// many records, its `rest` adds its score to each, and the best by the sum are kept: the
/// common words of a demand, whose postings cover much of a large index, are read for
/// those records only. When `drive` finds fewer than `limit` records (a small index, a
/// narrow demand), the records only `rest` matches would have made the list: `whole` is
/// evaluated instead, as without a split.
pub(super) fn shortlist(
    searcher: &tantivy::Searcher,
    whole: &dyn Query,
    split: Option<&Split>,
    lang: Option<techmatch_analysis::Language>,
    limit: usize,
    top: usize,
) -> Result<Vec<(f32, DocAddress)>> {
    let quota = if lang.is_some() {
        (limit / 4).max(top)
    } else {
        0
    };
    let collector = |widen: usize| crate::shortlist::Shortlist {
        limit: limit * widen,
        quota: quota * widen,
        lang: lang.map(|l| l.code().to_string()),
    };
    let found = match split {
        Some(split) => {
            let (mut hits, mut others) =
                searcher.search(&*split.drive, &collector(CANDIDATE_OVERFETCH))?;
            if hits.len() >= limit {
                add_scores(searcher, &*split.rest, &mut hits)?;
                hits.truncate(limit);
                add_scores(searcher, &*split.rest, &mut others)?;
                others.truncate(quota);
                Some((hits, others))
            } else {
                None
            }
        }
        None => None,
    };
    let (mut hits, others) = match found {
        Some(lists) => lists,
        None => searcher.search(whole, &collector(1))?,
    };
    for hit in others {
        if !hits.iter().any(|h| h.1 == hit.1) {
            hits.push(hit);
        }
    }
    Ok(hits)
}

/// Adds to each hit's score its score by `query` (nothing where `query` does not match it),
/// and puts the hits back in order (best first, then by address). Each segment's scorer is
/// moved to the hits in document order, so the cost is a few skips in each term's postings
/// per hit, not an evaluation of `query` over the index.
fn add_scores(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    hits: &mut [(f32, DocAddress)],
) -> Result<()> {
    let weight = query.weight(tantivy::query::EnableScoring::enabled_from_searcher(
        searcher,
    ))?;
    hits.sort_by_key(|hit| hit.1);
    let mut current: Option<(u32, Box<dyn tantivy::query::Scorer>)> = None;
    for hit in hits.iter_mut() {
        let address = hit.1;
        let scorer = match &mut current {
            Some((segment, scorer)) if *segment == address.segment_ord => scorer,
            _ => {
                let reader = searcher.segment_reader(address.segment_ord);
                &mut current
                    .insert((address.segment_ord, weight.scorer(reader, 1.0)?))
                    .1
            }
        };
        let mut doc = scorer.doc();
        if doc < address.doc_id {
            doc = scorer.seek(address.doc_id);
        }
        if doc == address.doc_id {
            hit.0 += scorer.score();
        }
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(())
}
