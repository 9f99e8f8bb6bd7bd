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
        let max_weight = words
            .iter()
            .chain(pairs)
            .map(|t| t.weight)
            .fold(f32::EPSILON, f32::max);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in words {
            let has_marks = has_diacritics(&term.text);
            let word = QueryWord {
                position: 0,
                exact: term.text.to_lowercase(),
                folded: term.folded.clone(),
                variants: Vec::new(),
                has_marks,
                prefix: false,
                fuzzy: false,
                acronym: false,
                surface: term.text.clone(),
            };
            let query = word_query(
                schema,
                &word,
                tuning,
                &fields,
                self.searcher.expansions(),
                crate::build::Layout::Nested,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(query, term.weight / max_weight)),
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
}

/// The retrieval shortlist: the best `limit` records, then, for a demand with a language
/// and glossary concepts, the best of the records in other languages that are not already
/// in (`limit / 4`, at least `top`): they can only match through the glossary, so they
/// rarely reach the shortlist on score alone. One evaluation of the query
/// ([`crate::shortlist::Shortlist`]).
pub(super) fn shortlist(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    demand: &Demand,
    has_concepts: bool,
    limit: usize,
    top: usize,
) -> Result<Vec<(f32, DocAddress)>> {
    let lang = demand.lang.filter(|_| has_concepts);
    let collector = crate::shortlist::Shortlist {
        limit,
        quota: if lang.is_some() {
            (limit / 4).max(top)
        } else {
            0
        },
        lang: lang.map(|l| l.code().to_string()),
    };
    let (mut hits, others) = searcher.search(query, &collector)?;
    for hit in others {
        if !hits.iter().any(|h| h.1 == hit.1) {
            hits.push(hit);
        }
    }
    Ok(hits)
}
