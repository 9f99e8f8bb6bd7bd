//! Building tantivy queries from query words, in code (never by pasting text into a query
//! parser).
//!
//! For each word and each text field, one disjunction-max over the ways the word can match
//! that field: the exact form (only when the word carries diacritics, boosted so exact
//! marks rank first), the folded form and its spelling variants, a one-letter typo (constant
//! score, lower), and a prefix (the word being typed, constant score). The fields' scores
//! add up, weighted title > keywords > summary > description > owner. Adjacent words add a
//! compound bonus through the bigram fields.

use std::sync::Arc;

use tantivy::query::{BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query};
use tantivy::Term;
use techmatch_analysis::TokenStreamKind;
use techmatch_indexer::{SupplySchema, TextField};

use crate::expand::{Expansion as Expand, ExpansionCache};
use crate::flat::FieldsMaxQuery;
use crate::glossary::Expansion;
use crate::terms::{QueryBigram, QueryTerms, QueryWord};

/// Weights of the text fields and of the kinds of match; tuned on the dev collection.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tuning {
    /// Weight of title matches.
    pub title: f32,
    /// Weight of keyword matches.
    pub keywords: f32,
    /// Weight of summary matches.
    pub summary: f32,
    /// Weight of description matches.
    pub description: f32,
    /// Weight of owner matches.
    pub owner: f32,
    /// Multiplier of an exact-diacritics match over a folded one; a pair of words typed
    /// with diacritics gets it on its folded bigram.
    pub exact_boost: f32,
    /// Multiplier of a bigram (compound) match.
    pub bigram_boost: f32,
    /// Constant score of a one-letter typo match, per unit of field weight.
    pub fuzzy_score: f32,
    /// Constant score of a prefix match, per unit of field weight.
    pub prefix_score: f32,
    /// Fewest results a query's words must find before the least informative of them are
    /// made optional (see [`crate::matching`]); 0 keeps every word required.
    pub min_results: usize,
    /// Longest query, in words, whose words a result must contain; a longer text (a
    /// question, a pasted paragraph) is ranked as a whole and any word qualifies a record.
    pub required_words_up_to: usize,
    /// Weight of a glossary concept matched through its other terms, relative to one of the
    /// user's own words in the same field. The user's own wording of a concept matches
    /// each of its words plus the compound bonus, so an expansion always weighs less.
    pub glossary_boost: f32,
    /// The same weight for a concept matched as the concept term found in records at index
    /// time ([`concept_query`], demand matching and long texts): that term is in the records
    /// holding the expanded wording itself too, so it needs less weight than the phrases of
    /// the other terms.
    pub concept_boost: f32,
    /// Constant added for each query word a record matches at all, so that records matching
    /// more of the words rank above records repeating one common word.
    pub coverage_bonus: f32,
    /// Share of BM25 (normalised by the best candidate) in the search box's long-text
    /// ranking, the rest being the coverage of the key terms.
    pub demand_retrieval_weight: f32,
    /// Exponent of the BM25 similarity (relative to the best candidate) that damps a demand
    /// match's coverage score: 0 ranks by coverage alone, larger values follow BM25 more.
    pub demand_retrieval_exponent: f32,
    /// Whether a demand match's BM25 is taken relative to the best candidate in the same
    /// language (so records in other languages, reachable only through the glossary, can
    /// compete) rather than to the best candidate overall.
    pub per_language_retrieval: bool,
    /// How much a word's matches in its second-best and further fields add to its best
    /// field's score (1 = fields simply add up; lower values saturate across fields, as
    /// BM25F does, so a title that only repeats the body, or a generic title, does not
    /// count a word twice).
    pub field_tie_breaker: f32,
    /// Largest share of a search-box ranking given to the long-text (key-term) retrieval,
    /// reached at [`Tuning::long_text_to`] words.
    pub long_text_weight: f32,
    /// Query length in words up to which the search box ranks as for short queries only.
    pub long_text_from: f32,
    /// Query length in words from which the long-text share is [`Tuning::long_text_weight`];
    /// in between it grows linearly, so there is no cliff at one word count.
    pub long_text_to: f32,
    /// Key words (the most informative, by tf-idf) of a demand that retrieve its candidate
    /// supplies; every key word (up to 32) still counts in the coverage that reranks them.
    pub demand_retrieval_words: usize,
    /// Key word pairs of a demand that retrieve its candidates (up to 24 still count in the
    /// coverage).
    pub demand_retrieval_pairs: usize,
    /// Of the [`Tuning::demand_retrieval_words`], how many (the most informative) find the
    /// candidates; the others only score them. A query of these words, the pairs and the
    /// concepts finds twice as many records as the shortlist keeps; the other words' BM25
    /// is added to each, so each one scores as the whole retrieval query scores it (the
    /// BM25 a match's score is damped by), and the best are kept. The demand's common
    /// words, whose postings cover much of a large index, are then read for those records
    /// only. When the query finds fewer records than the shortlist keeps, the whole query
    /// runs instead.
    pub demand_candidate_words: usize,
    /// How many times a word of the demand's title counts in its key terms' tf.
    pub demand_title_tf: f32,
    /// Weights of the shares of key words, key pairs and glossary concepts a supply covers
    /// in a match's quality ([`crate::demand`]'s score).
    pub demand_quality_weights: [f32; 3],
    /// The same weights for a supply in another language than the demand: its words
    /// cannot match, the concepts carry it.
    pub demand_other_language_weights: [f32; 3],
    /// Weights of the key words and pairs when the demand names no glossary concept.
    pub demand_no_concept_weights: [f32; 2],
    /// The quality that scores 100.
    pub demand_quality_for_100: f32,
    /// Multiplier of a match's quality when its sector is the demand's.
    pub demand_sector_agreement: f32,
    /// Multiplier of a match's quality for each constraint of the demand it violates.
    pub demand_constraint_violation: f32,
    /// How much a key term counts where a supply holds it: title, keywords, summary,
    /// description, owner (the best field counts).
    pub demand_field_factors: [f32; 5],
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            title: 3.0,
            keywords: 2.2,
            summary: 1.6,
            description: 1.0,
            owner: 0.5,
            exact_boost: 1.3,
            bigram_boost: 0.7,
            fuzzy_score: 1.2,
            prefix_score: 1.5,
            min_results: 20,
            required_words_up_to: 4,
            glossary_boost: 1.0,
            concept_boost: 1.0,
            coverage_bonus: 0.0,
            demand_retrieval_weight: 0.7,
            demand_retrieval_exponent: 1.0,
            per_language_retrieval: false,
            field_tie_breaker: 0.3,
            long_text_weight: 0.7,
            long_text_from: 5.0,
            long_text_to: 12.0,
            demand_retrieval_words: 20,
            demand_retrieval_pairs: 16,
            demand_candidate_words: 8,
            demand_title_tf: crate::demand::TITLE_TF_WEIGHT,
            demand_quality_weights: [0.5, 0.3, 0.2],
            demand_other_language_weights: [0.25, 0.15, 0.6],
            demand_no_concept_weights: [0.625, 0.375],
            demand_quality_for_100: crate::demand::QUALITY_FOR_100,
            demand_sector_agreement: 1.05,
            demand_constraint_violation: 0.85,
            demand_field_factors: [1.0, 0.9, 0.8, 0.6, 0.2],
        }
    }
}

impl Tuning {
    /// The weight of a text field.
    pub fn weight(&self, field: TextField) -> f32 {
        match field {
            TextField::Title => self.title,
            TextField::Keywords => self.keywords,
            TextField::Summary => self.summary,
            TextField::Description => self.description,
            TextField::Owner => self.owner,
        }
    }

    /// How much a demand's key term counts in a supply's `field` (coverage).
    pub fn field_factor(&self, field: TextField) -> f32 {
        let slot = match field {
            TextField::Title => 0,
            TextField::Keywords => 1,
            TextField::Summary => 2,
            TextField::Description => 3,
            TextField::Owner => 4,
        };
        self.demand_field_factors[slot]
    }

    /// Share of the long-text retrieval in the ranking of a query of `words` words.
    pub fn long_text_share(&self, words: usize) -> f32 {
        let from = self.long_text_from;
        let to = self.long_text_to.max(from + f32::EPSILON);
        let ramp = ((words as f32 - from) / (to - from)).clamp(0.0, 1.0);
        (self.long_text_weight * ramp).clamp(0.0, 1.0)
    }
}

/// How a word's clauses over several fields are put together; the scores are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One flat scorer ([`FieldsMaxQuery`]): cheap to seek, for a word that is required
    /// (intersected) or optional beside required ones.
    Flat,
    /// Tantivy's disjunction-max per field inside one across fields: buffered unions,
    /// faster when every matching record is visited in turn (any-word queries).
    Nested,
}

/// The clauses of one word or pair, each tagged with its field: the best clause per field,
/// the fields saturated (tie breaker below 1) or summed. A word still being typed is
/// summed: its matches are completions, not a frequency to saturate, and how many fields a
/// completion fits tells the likely word.
fn across_fields(
    parts: Vec<(usize, Box<dyn Query>)>,
    tuning: &Tuning,
    typing: bool,
    layout: Layout,
) -> Box<dyn Query> {
    let tie_breaker = if typing {
        1.0
    } else {
        tuning.field_tie_breaker.clamp(0.0, 1.0)
    };
    if layout == Layout::Flat {
        return Box::new(FieldsMaxQuery::new(parts, tie_breaker));
    }
    let mut per_field: Vec<Box<dyn Query>> = Vec::new();
    let mut group: Vec<Box<dyn Query>> = Vec::new();
    let mut current = None;
    let mut flush = |group: &mut Vec<Box<dyn Query>>| {
        if group.len() == 1 {
            per_field.push(group.pop().expect("one clause"));
        } else if !group.is_empty() {
            per_field.push(Box::new(DisjunctionMaxQuery::new(std::mem::take(group))));
        }
    };
    for (field, clause) in parts {
        if current != Some(field) {
            flush(&mut group);
            current = Some(field);
        }
        group.push(clause);
    }
    flush(&mut group);
    if tie_breaker >= 1.0 {
        Box::new(BooleanQuery::new(
            per_field.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))
    } else {
        Box::new(DisjunctionMaxQuery::with_tie_breaker(
            per_field,
            tie_breaker,
        ))
    }
}

pub(crate) fn term_query(field: tantivy::schema::Field, text: &str, boost: f32) -> Box<dyn Query> {
    let query = crate::pruned::FrequencyTerm::new(Term::from_field_text(field, text));
    crate::pruned::boosted(Box::new(query), boost)
}

/// The clause of one word: matches in any field, scores summed over fields. Typo and prefix
/// matches come from `expansions`, remembered per segment the first time (a search asks
/// for a word's twice: its record set and its ranking).
pub fn word_query(
    schema: &SupplySchema,
    word: &QueryWord,
    tuning: &Tuning,
    fields: &[TextField],
    expansions: &Arc<ExpansionCache>,
    layout: Layout,
) -> Box<dyn Query> {
    let mut parts: Vec<(usize, Box<dyn Query>)> = Vec::new();
    for (group, &field) in fields.iter().enumerate() {
        let weight = tuning.weight(field);
        let folded_field = schema.text_field(field, TokenStreamKind::Folded);
        if word.acronym {
            let exact_field = schema.text_field(field, TokenStreamKind::Exact);
            parts.push((group, term_query(exact_field, &word.exact, weight)));
            continue;
        }
        if word.has_marks {
            let exact_field = schema.text_field(field, TokenStreamKind::Exact);
            parts.push((
                group,
                term_query(exact_field, &word.exact, weight * tuning.exact_boost),
            ));
        }
        parts.push((group, term_query(folded_field, &word.folded, weight)));
        for variant in &word.variants {
            parts.push((group, term_query(folded_field, variant, weight)));
        }
        let long_field = field != TextField::Owner;
        if word.fuzzy && long_field {
            let fuzzy = expansions
                .query(
                    folded_field,
                    &word.folded,
                    Expand::Typo(crate::terms::fuzzy_distance(&word.folded)),
                )
                .at_once();
            parts.push((
                group,
                crate::pruned::boosted(Box::new(fuzzy), weight * tuning.fuzzy_score),
            ));
        }
        if word.prefix && long_field {
            let prefix = expansions
                .query(folded_field, &word.folded, Expand::Prefix)
                .at_once();
            parts.push((
                group,
                crate::pruned::boosted(Box::new(prefix), weight * tuning.prefix_score),
            ));
        }
    }
    across_fields(parts, tuning, word.prefix, layout)
}

/// The compound bonus of two adjacent words, from the folded bigram fields (owner names are
/// not indexed by pairs). A pair typed with diacritics gets the exact boost: the exact
/// bigrams are not indexed, and on the judged collections this ranks within 0.003 nDCG@10
/// of the exact bigram clause (`benches/README.md`, "Fewer indexed streams").
pub fn bigram_query(
    schema: &SupplySchema,
    bigram: &QueryBigram,
    tuning: &Tuning,
    fields: &[TextField],
    expansions: &Arc<ExpansionCache>,
) -> Box<dyn Query> {
    let mut parts: Vec<(usize, Box<dyn Query>)> = Vec::new();
    for (group, &field) in fields.iter().enumerate() {
        let Some(bigram_field) = schema.bigram_field(field) else {
            continue;
        };
        let weight = tuning.weight(field) * tuning.bigram_boost;
        if bigram.prefix {
            let prefix = expansions.query(bigram_field, &bigram.folded, Expand::Prefix);
            parts.push((
                group,
                crate::pruned::boosted(Box::new(prefix), weight * tuning.prefix_score),
            ));
        } else {
            let weight = if bigram.has_marks {
                weight * tuning.exact_boost
            } else {
                weight
            };
            parts.push((group, term_query(bigram_field, &bigram.folded, weight)));
        }
    }
    across_fields(parts, tuning, bigram.prefix, Layout::Flat)
}

/// A phrase of folded tokens in any field: one token as a term, longer phrases as all of
/// their bigrams in the same field (so not in the owner, which has no bigram field).
pub fn phrase_query(
    schema: &SupplySchema,
    tokens: &[String],
    tuning: &Tuning,
    fields: &[TextField],
    boost: f32,
) -> Box<dyn Query> {
    let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for &field in fields {
        let weight = tuning.weight(field) * boost;
        let clause: Box<dyn Query> = if tokens.len() == 1 {
            term_query(
                schema.text_field(field, TokenStreamKind::Folded),
                &tokens[0],
                weight,
            )
        } else {
            let Some(bigram_field) = schema.bigram_field(field) else {
                continue;
            };
            let weight = weight / (tokens.len() - 1) as f32;
            let all: Vec<(Occur, Box<dyn Query>)> = tokens
                .windows(2)
                .map(|pair| {
                    (
                        Occur::Must,
                        term_query(bigram_field, &format!("{} {}", pair[0], pair[1]), weight),
                    )
                })
                .collect();
            Box::new(BooleanQuery::new(all))
        };
        per_field.push((Occur::Should, clause));
    }
    Box::new(BooleanQuery::new(per_field))
}

/// One concept's expansion: the best-matching of its other terms, weighted below the
/// user's words.
pub fn expansion_query(
    schema: &SupplySchema,
    expansion: &Expansion,
    tuning: &Tuning,
    fields: &[TextField],
) -> Box<dyn Query> {
    if expansion.indexed {
        return concept_query(schema, expansion, tuning, fields);
    }
    let phrases: Vec<Box<dyn Query>> = expansion
        .phrases
        .iter()
        .map(|tokens| phrase_query(schema, tokens, tuning, fields, tuning.glossary_boost))
        .collect();
    Box::new(DisjunctionMaxQuery::new(phrases))
}

/// One concept's expansion as the concept terms found in records at index time
/// ([`techmatch_indexer::concepts`]): the concept's id in each field's concept field,
/// weighted like the field and below the user's words. One posting list per field where
/// [`expansion_query`] reads a phrase per term of the concept; unlike it, a record holding
/// the very term the text was expanded from holds the concept too.
pub fn concept_query(
    schema: &SupplySchema,
    expansion: &Expansion,
    tuning: &Tuning,
    fields: &[TextField],
) -> Box<dyn Query> {
    let per_field: Vec<(usize, Box<dyn Query>)> = fields
        .iter()
        .enumerate()
        .map(|(group, &field)| {
            (
                group,
                term_query(
                    schema.concepts_field(field),
                    &expansion.concept,
                    tuning.weight(field) * tuning.concept_boost,
                ),
            )
        })
        .collect();
    // The fields add up (a tie breaker of 1), as one flat clause whose fields the ranking
    // bounds one by one ([`crate::pruned`]): the concept in the description alone bounds
    // far lower than in every field at once.
    Box::new(FieldsMaxQuery::new(per_field, 1.0))
}

/// The whole text query: the words (those marked in `required` must match, the others add
/// to the score; with none marked any word, or a glossary expansion, qualifies a record),
/// plus compound bonuses. A required word is met by a glossary concept that covers it too.
/// The score is the same sum of word, expansion and compound scores whichever words are
/// required: requiring only narrows the records.
pub fn text_query(
    schema: &SupplySchema,
    terms: &QueryTerms,
    tuning: &Tuning,
    fields: &[TextField],
    required: &[bool],
    expansions: &Arc<ExpansionCache>,
) -> Box<dyn Query> {
    let is_required = |i: usize| required.get(i).copied().unwrap_or(false);
    if (0..terms.words.len()).any(is_required) {
        return required_words_query(schema, terms, tuning, fields, required, expansions);
    }
    let words: Vec<(Occur, Box<dyn Query>)> = terms
        .words
        .iter()
        .map(|word| {
            (
                Occur::Should,
                word_query(schema, word, tuning, fields, expansions, Layout::Nested),
            )
        })
        .collect();
    let mut words_query: Box<dyn Query> = Box::new(BooleanQuery::new(words));
    if !terms.expansions.is_empty() {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, words_query)];
        alternatives.extend(expansion_clauses(schema, &terms.expansions, tuning, fields));
        words_query = Box::new(BooleanQuery::new(alternatives));
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, words_query)];
    bonuses(schema, terms, tuning, fields, expansions, &mut clauses);
    Box::new(BooleanQuery::new(clauses))
}

/// The clauses whose scores add up to a record's score under [`text_query`], whichever
/// words it requires: each word, each glossary expansion, each compound bonus. Requiring
/// words only narrows the records, so a record's score is the sum of the clauses it
/// matches; [`crate::pruned`] ranks a search's records with these.
pub fn scoring_clauses(
    schema: &SupplySchema,
    terms: &QueryTerms,
    tuning: &Tuning,
    fields: &[TextField],
    expansions: &Arc<ExpansionCache>,
) -> Vec<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .words
        .iter()
        .map(|word| {
            let query = word_query(schema, word, tuning, fields, expansions, Layout::Flat);
            (Occur::Should, query)
        })
        .collect();
    clauses.extend(expansion_clauses(schema, &terms.expansions, tuning, fields));
    bonuses(schema, terms, tuning, fields, expansions, &mut clauses);
    clauses.into_iter().map(|(_, clause)| clause).collect()
}

/// The text query when some words are required: one flat conjunction of the required
/// words' clauses (an intersection leaps over records the rarest word misses), the other
/// words and the glossary expansions adding to the score.
fn required_words_query(
    schema: &SupplySchema,
    terms: &QueryTerms,
    tuning: &Tuning,
    fields: &[TextField],
    required: &[bool],
    expansions: &Arc<ExpansionCache>,
) -> Box<dyn Query> {
    let covers = terms.expansion_coverage();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (i, word) in terms.words.iter().enumerate() {
        let query = word_query(schema, word, tuning, fields, expansions, Layout::Flat);
        if !required.get(i).copied().unwrap_or(false) {
            clauses.push((Occur::Should, query));
            continue;
        }
        match word_or_concepts(schema, terms, &covers, i, query.as_ref(), tuning, fields) {
            // Met by the word alone: required and scored at once.
            None => clauses.push((Occur::Must, query)),
            // The word or a concept covering it, scored as the word (each concept's own
            // clause below scores the concept).
            Some(met) => {
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(met, 0.0))));
                clauses.push((Occur::Should, query));
            }
        }
    }
    clauses.extend(expansion_clauses(schema, &terms.expansions, tuning, fields));
    bonuses(schema, terms, tuning, fields, expansions, &mut clauses);
    Box::new(BooleanQuery::new(clauses))
}

/// Each glossary expansion as an optional clause.
fn expansion_clauses<'a>(
    schema: &'a SupplySchema,
    expansions: &'a [Expansion],
    tuning: &'a Tuning,
    fields: &'a [TextField],
) -> impl Iterator<Item = (Occur, Box<dyn Query>)> + 'a {
    expansions
        .iter()
        .map(move |e| (Occur::Should, expansion_query(schema, e, tuning, fields)))
}

/// What requiring word `i` means when glossary concepts cover it (`covers`, from
/// [`QueryTerms::expansion_coverage`]): its clause `word` or any covering concept; `None`
/// when no concept covers it (the word's clause alone, which the caller keeps: nothing
/// is copied then).
pub fn word_or_concepts(
    schema: &SupplySchema,
    terms: &QueryTerms,
    covers: &[Vec<usize>],
    i: usize,
    word: &dyn Query,
    tuning: &Tuning,
    fields: &[TextField],
) -> Option<Box<dyn Query>> {
    let covering: Vec<&Expansion> = terms
        .expansions
        .iter()
        .zip(covers)
        .filter(|(_, covered)| covered.contains(&i))
        .map(|(expansion, _)| expansion)
        .collect();
    if covering.is_empty() {
        return None;
    }
    let mut met: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, word.box_clone())];
    for expansion in covering {
        met.push((
            Occur::Should,
            expansion_query(schema, expansion, tuning, fields),
        ));
    }
    Some(Box::new(BooleanQuery::new(met)))
}

/// The optional clauses every text query carries: the coverage bonus (when tuned on) and
/// the compound bonus of adjacent words.
fn bonuses(
    schema: &SupplySchema,
    terms: &QueryTerms,
    tuning: &Tuning,
    fields: &[TextField],
    expansions: &Arc<ExpansionCache>,
    clauses: &mut Vec<(Occur, Box<dyn Query>)>,
) {
    if tuning.coverage_bonus > 0.0 {
        for word in &terms.words {
            let matched = word_query(schema, word, tuning, fields, expansions, Layout::Nested);
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(matched, tuning.coverage_bonus)),
            ));
        }
        for expansion in &terms.expansions {
            let matched = expansion_query(schema, expansion, tuning, fields);
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    matched,
                    tuning.coverage_bonus * tuning.glossary_boost,
                )),
            ));
        }
    }
    for bigram in &terms.bigrams {
        clauses.push((
            Occur::Should,
            bigram_query(schema, bigram, tuning, fields, expansions),
        ));
    }
}
