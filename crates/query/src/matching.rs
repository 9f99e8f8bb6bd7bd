//! What a result is for a query of several words.
//!
//! A record is a result when it contains **every word** of the query, each in any of the
//! ways the word may match (exact, folded, spelling variants, a typo, a completion of the
//! word being typed) in any text field, or through a glossary concept that covers the word
//! (its synonyms and translations). When fewer than [`crate::Tuning::min_results`] records
//! qualify, the least informative words are made optional one by one, the commonest first
//! (a word absent from the index before any other), until enough records contain the
//! words still required; when even the most informative word alone is too rare, any word
//! qualifies a record. A word made optional still adds to the score of the records that
//! contain it: the ranking never changes, only which records are counted, faceted and
//! listed. Requiring words is what keeps counts and facets to records a person would
//! accept ("may say ca phe" no longer counts every record with "may"), and it is also the
//! fast path: an intersection leaps over the records the rarest word does not reach.

use std::sync::Arc;

use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::Term;
use techmatch_analysis::TokenStreamKind;
use techmatch_indexer::{SupplySchema, TextField};

use crate::build::{word_or_concepts, word_query, Layout, Tuning};
use crate::error::Result;
use crate::expand::ExpansionCache;
use crate::terms::QueryTerms;

/// The words of a query, in the order they are made optional, with what requiring each one
/// means.
pub struct Requirements {
    /// One clause per query word: the word in any field, or a glossary concept covering it.
    clauses: Vec<Box<dyn Query>>,
    /// Word indices, least informative first.
    drop_order: Vec<usize>,
    /// The words as typed.
    surfaces: Vec<String>,
}

/// How many of a query's words a result must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Every word but the `n` least informative ones (0: every word).
    AllBut(usize),
    /// At least one word (or a glossary concept).
    AnyWord,
}

impl Requirements {
    /// The requirements of `terms`, ordered by how common each word is in `searcher`'s
    /// index.
    pub fn new(
        searcher: &tantivy::Searcher,
        schema: &SupplySchema,
        terms: &QueryTerms,
        tuning: &Tuning,
        fields: &[TextField],
        expansions: &Arc<ExpansionCache>,
    ) -> Result<Requirements> {
        let covers = terms.expansion_coverage();
        let mut clauses = Vec::with_capacity(terms.words.len());
        let mut frequency = Vec::with_capacity(terms.words.len());
        for (i, word) in terms.words.iter().enumerate() {
            let query = word_query(schema, word, tuning, fields, expansions, Layout::Flat);
            let clause =
                word_or_concepts(schema, terms, &covers, i, query.as_ref(), tuning, fields)
                    .unwrap_or(query);
            clauses.push(clause);
            frequency.push(document_frequency(searcher, schema, word, fields)?);
        }
        let mut drop_order: Vec<usize> = (0..terms.words.len()).collect();
        // Absent words first (requiring them finds nothing), then the commonest; on a tie
        // the later word goes first. A word being typed is never "absent": its completions
        // are what it matches.
        let key = |i: &usize| {
            let word = &terms.words[*i];
            let absent = frequency[*i] == 0 && !word.prefix;
            (
                !absent,
                std::cmp::Reverse(frequency[*i]),
                std::cmp::Reverse(*i),
            )
        };
        drop_order.sort_by_key(key);
        Ok(Requirements {
            clauses,
            drop_order,
            surfaces: terms.words.iter().map(|w| w.surface.clone()).collect(),
        })
    }

    /// Number of query words.
    pub fn len(&self) -> usize {
        self.clauses.len()
    }

    /// Whether the query has no words.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The filter of a tier (scoring nothing; for counting), or `None` when it requires no
    /// more than the text query itself does (any word; a single word).
    pub fn filter(&self, tier: Tier) -> Option<Box<dyn Query>> {
        if !self.narrows(tier) {
            return None;
        }
        let Tier::AllBut(dropped) = tier else {
            return None;
        };
        let required: Vec<(Occur, Box<dyn Query>)> = self.drop_order[dropped..]
            .iter()
            .map(|&i| (Occur::Must, self.clauses[i].box_clone()))
            .collect();
        Some(Box::new(ConstScoreQuery::new(
            Box::new(BooleanQuery::new(required)),
            0.0,
        )))
    }

    /// For each word, whether a result of `tier` must contain it (none for any word, or
    /// for a query of one word, whose text query requires it already).
    pub fn required(&self, tier: Tier) -> Vec<bool> {
        let mut required = vec![false; self.len()];
        if let Tier::AllBut(dropped) = tier {
            if self.len() >= 2 {
                for &i in self.drop_order.iter().skip(dropped) {
                    required[i] = true;
                }
            }
        }
        required
    }

    /// The words a result of `tier` need not contain, as typed, in query order.
    pub fn optional_words(&self, tier: Tier) -> Vec<String> {
        let dropped = match tier {
            Tier::AllBut(n) => n.min(self.len()),
            Tier::AnyWord => self.len(),
        };
        if self.len() < 2 {
            return Vec::new();
        }
        let mut optional: Vec<usize> = self.drop_order[..dropped].to_vec();
        optional.sort_unstable();
        optional
            .into_iter()
            .map(|i| self.surfaces[i].clone())
            .collect()
    }

    /// The tier to try first: every word, unless the query is too long for that (a text
    /// longer than [`Tuning::required_words_up_to`] words qualifies records by any word).
    pub fn first_tier(&self, tuning: &Tuning) -> Tier {
        if self.len() > tuning.required_words_up_to {
            Tier::AnyWord
        } else {
            Tier::AllBut(0)
        }
    }

    /// Whether `tier` is final given `total` results: it has enough of them, or there is
    /// nothing to relax.
    pub fn settled(&self, tier: Tier, total: usize, tuning: &Tuning) -> bool {
        total >= tuning.min_results || !self.narrows(tier)
    }

    /// Whether `tier` requires more than the text query itself does (some word, in a query
    /// of two or more).
    pub fn narrows(&self, tier: Tier) -> bool {
        matches!(tier, Tier::AllBut(dropped) if self.len() >= 2 && dropped < self.len())
    }

    /// The tier of a query: the first tier, relaxed when `count` (the number of records a
    /// tier requires the words of, the filters aside) finds too few records in it. A count
    /// may stop at [`Tuning::min_results`]: only "enough or not" is asked.
    pub fn choose(
        &self,
        tuning: &Tuning,
        mut count: impl FnMut(Tier) -> Result<usize>,
    ) -> Result<Tier> {
        let first = self.first_tier(tuning);
        if !self.narrows(first) {
            return Ok(first);
        }
        if self.settled(first, count(first)?, tuning) {
            Ok(first)
        } else {
            self.relax(tuning, count)
        }
    }

    /// The strictest tier with at least [`Tuning::min_results`] results once every word
    /// did not find enough, given a count of a tier's results (a count may stop at the
    /// minimum; only "enough or not" is asked): the fewest
    /// least-informative words made optional (counts grow as words are dropped, so a
    /// binary search finds it); any word when even the most informative word alone is too
    /// rare.
    pub fn relax(
        &self,
        tuning: &Tuning,
        mut count: impl FnMut(Tier) -> Result<usize>,
    ) -> Result<Tier> {
        let n = self.len();
        let min_results = tuning.min_results;
        if n < 2 {
            return Ok(Tier::AllBut(0));
        }
        let mut enough =
            |dropped: usize| -> Result<bool> { Ok(count(Tier::AllBut(dropped))? >= min_results) };
        if !enough(n - 1)? {
            return Ok(Tier::AnyWord);
        }
        // enough(lo) is false, enough(hi) is true.
        let (mut lo, mut hi) = (0, n - 1);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if enough(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Tier::AllBut(hi))
    }
}

/// How common a word is: its largest document frequency over the fields, in any of its
/// folded spellings (its exact form for an acronym).
fn document_frequency(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    word: &crate::terms::QueryWord,
    fields: &[TextField],
) -> Result<u64> {
    let mut most = 0;
    for &field in fields {
        let (stream, forms): (TokenStreamKind, Vec<&str>) = if word.acronym {
            (TokenStreamKind::Exact, vec![word.exact.as_str()])
        } else {
            let mut forms = vec![word.folded.as_str()];
            forms.extend(word.variants.iter().map(String::as_str));
            (TokenStreamKind::Folded, forms)
        };
        let field = schema.text_field(field, stream);
        for form in forms {
            most = most.max(searcher.doc_freq(&Term::from_field_text(field, form))?);
        }
    }
    Ok(most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concept_covers_the_words_that_spell_it() {
        let mut terms = QueryTerms::parse("máy sấy năng lượng mặt trời", false);
        terms.expansions.push(crate::glossary::Expansion {
            indexed: false,
            weight: 1.0,
            concept: "solar".into(),
            matched: "năng lượng mặt trời".into(),
            phrases: vec![vec!["solar".into()]],
            terms: vec!["solar".into()],
        });
        terms.expansions.push(crate::glossary::Expansion {
            indexed: false,
            weight: 1.0,
            concept: "elsewhere".into(),
            matched: "lò hơi".into(),
            phrases: vec![vec!["boiler".into()]],
            terms: vec!["boiler".into()],
        });
        assert_eq!(terms.expansion_coverage(), vec![vec![2, 3, 4, 5], vec![]]);
    }
}
