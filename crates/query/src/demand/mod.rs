//! Demand-to-supply matching: a long demand text becomes a weighted query of its key terms,
//! the candidates are reranked on features a broker can defend, and every match is
//! explained.
//!
//! 1. **Key terms** (More-Like-This, tuned for our data): the demand's folded words and
//!    word pairs, weighted by `(1 + ln tf) × idf` with occurrences in the title and in the
//!    keywords the enterprise ticked counting [`TITLE_TF_WEIGHT`] times (on the judged
//!    demands, reading the keywords moved nDCG@10 from 0.847 to 0.878; they named a
//!    concept the text did not, such as "thất thoát nước" for a water utility's meters);
//!    a term that occurs once still counts, rare terms keep their
//!    high idf instead of being cut by a document-frequency floor, terms unknown to the
//!    index are dropped, and at most [`MAX_KEY_WORDS`] words and [`MAX_KEY_BIGRAMS`] pairs
//!    are kept. Glossary concepts found in the demand add their other terms (other
//!    languages, synonyms), weighted below the demand's own words. A concept the title or
//!    keywords name weighs [`TITLE_TF_WEIGHT`] in the concept share, one met only in the
//!    description 1: in a demand for round-the-clock network security after a ransomware
//!    attack on the accounting server, "máy chủ" and "kế toán" are the story, not the need
//!    (nDCG@10 0.878 → 0.889; supply → demand matching, whose query title carries the
//!    supply's keywords, 0.912 → 0.921).
//! 2. **Retrieval**: a weighted disjunction of the most informative key terms
//!    ([`crate::Tuning::demand_retrieval_words`] words and `demand_retrieval_pairs` pairs)
//!    over the exact and folded fields (exact diacritics boosted), the top
//!    [`MatchOptions::candidates`] by BM25; every key term still counts in the rerank.
//!    Only the [`crate::Tuning::demand_candidate_words`] best words (with the pairs and
//!    concepts) find the candidates; the other retrieval words add their BM25 to each
//!    candidate found, so the score is the whole query's while the postings of a demand's
//!    common words are read for the candidates only (at 1M records this halves the time of
//!    a demand; `retrieve::shortlist` says when the whole query is evaluated instead).
//! 3. **Rerank** on features read from the postings of the candidates: the share of key-term
//!    weight the supply covers (by the best field each term appears in), the share of key
//!    pairs it covers, the share of the demand's glossary concepts it covers, sector
//!    agreement, and the constraints the demand states (minimum TRL, transfer modes,
//!    preferred country).
//!
//! Each stage is a submodule: `key_terms` (1), `retrieve` (2), `features` (3, with the
//! facts `constraints` are checked against), the score in `DemandMatcher::rank` here, and
//! `explain` for the explanation of each match.
//!
//! # The match score (0–100)
//! `score = 100 × min(1, quality / QUALITY_FOR_100)` where
//! `quality = 0.5 × term coverage + 0.3 × pair coverage + 0.2 × concept coverage`
//! (the concept share is left out, and the others renormalised, when the demand names no
//! glossary concept; for a supply in another language than the demand, whose words cannot
//! match, the weights are 0.25 / 0.15 / 0.6), multiplied by 1.05 when the sectors agree
//! and by 0.85 for each stated constraint the supply violates. Coverage counts a term fully
//! in the title, 0.9 in keywords, 0.8 in the summary, 0.6 in the description, 0.2 in the
//! owner name. Every one of these weights is a field of [`crate::Tuning`] (`demand_*`), so
//! `techmatch relevance --tuning '{"demand_sector_agreement": 1.1}'` can try another.
//!
//! That is the *coverage score*. The score shown, and ranked by, damps it by the BM25 score
//! of the retrieval query relative to the best candidate (among all candidates, or in the
//! same language with [`crate::Tuning::per_language_retrieval`]):
//! `score = coverage score × (BM25 / best BM25) ^ γ`
//! ([`crate::Tuning::demand_retrieval_exponent`]). On the dev demands BM25 similarity
//! orders the shortlist better than coverage alone, while coverage gives the absolute scale
//! the unmet flag needs; as a product both hold, and a list is always in the order of the
//! scores it shows.
//!
//! Calibration on the judged dev demands (top 10 matches each, release build): median
//! score of grade-3 pairs 82, grade-2 28, grade-1 13, grade-0 9, unjudged 6. The unmet
//! threshold 25 flags none of the four demands written to have no answer yet: their
//! near-miss supplies score 36–49, while three demands that do have a grade-3 answer rank a
//! weaker record first at 34–40, so no threshold on the best score separates them (issue
//! 18 tracks it).
//! [`QUALITY_FOR_100`] and [`UNMET_THRESHOLD`] were calibrated on the judged dev demands
//! (see the README's "Relevance" section): a demand whose best match scores below the
//! threshold is reported **unmet**.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, TantivyDocument, Term, TERMINATED};
use techmatch_analysis::boilerplate::{boilerplate_positions, is_function_word};
use techmatch_analysis::segment::is_cjk;
use techmatch_analysis::{analyze, fold_diacritics, has_diacritics, TokenStreamKind};
use techmatch_indexer::document::from_document;
use techmatch_indexer::{Demand, TextField};

mod constraints;
mod explain;
mod features;
mod key_terms;
mod retrieve;

pub(crate) use constraints::check_constraints;
use explain::explain;
use features::read_facts;
pub(crate) use features::SupplyFacts;
use retrieve::shortlist;

use crate::build::{bigram_query, expansion_query, word_query, Tuning};
use crate::collapse::{also_listed, has_clusters, AlsoListed, ClusterKeys};
use crate::error::{QueryError, Result};
use crate::filters::Filters;
use crate::glossary::Expansion;
use crate::search::Searcher;
use crate::terms::{QueryBigram, QueryWord};

/// Title words count this many times a description word.
pub const TITLE_TF_WEIGHT: f32 = 2.5;
/// Most key words per demand.
pub const MAX_KEY_WORDS: usize = 32;
/// Most key word pairs per demand.
pub const MAX_KEY_BIGRAMS: usize = 24;
/// Most glossary concepts per demand.
pub const MAX_DEMAND_CONCEPTS: usize = 12;
/// Quality (see the module docs) that maps to a score of 100.
pub const QUALITY_FOR_100: f32 = 0.6;
/// A demand whose best match scores below this is unmet.
pub const UNMET_THRESHOLD: f32 = 25.0;
/// Longest demand text accepted, in bytes.
pub const MAX_DEMAND_BYTES: usize = 200_000;

/// How to match.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct MatchOptions {
    /// Matches returned per demand.
    pub top: usize,
    /// Candidates retrieved for reranking.
    pub candidates: usize,
    /// Matches scoring below this (0–100) are not returned.
    pub min_score: f32,
    /// List every near-duplicate record on its own (by default a cluster of duplicates is
    /// one match, its best-scored record, naming the others in `also_listed`).
    #[serde(default)]
    pub show_duplicates: bool,
    /// Also match closed, withdrawn and expired supplies (hidden by default).
    #[serde(default)]
    pub include_inactive: bool,
}

/// Most matches a demand may ask for.
pub const MAX_TOP: usize = 1_000;
/// Most candidates a demand may ask to be reranked.
pub const MAX_CANDIDATES: usize = 2_000;

impl MatchOptions {
    /// Checks `top` and `candidates`; errors name the parameter.
    pub fn check(&self) -> Result<()> {
        if self.top == 0 || self.top > MAX_TOP {
            return Err(QueryError::Invalid(format!(
                "top: must be between 1 and {MAX_TOP}, found {}",
                self.top
            )));
        }
        if self.candidates == 0 || self.candidates > MAX_CANDIDATES {
            return Err(QueryError::Invalid(format!(
                "candidates: must be between 1 and {MAX_CANDIDATES}, found {}",
                self.candidates
            )));
        }
        if !(0.0..=100.0).contains(&self.min_score) {
            return Err(QueryError::Invalid(format!(
                "min_score: must be between 0 and 100, found {}",
                self.min_score
            )));
        }
        Ok(())
    }
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            top: 10,
            candidates: 300,
            min_score: 0.0,
            show_duplicates: false,
            include_inactive: false,
        }
    }
}

/// A key term of a demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KeyTerm {
    /// As written in the demand (most frequent spelling).
    pub text: String,
    /// Folded form, as matched.
    pub folded: String,
    /// Weight (tf × idf).
    pub weight: f32,
    /// Whether it is a word pair.
    pub bigram: bool,
    /// The glossary concept it comes from, for expansion terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concept: Option<String>,
    /// For a pair: whether it joins the end of one word to the start of the next ("nghệ
    /// xử" in "công nghệ xử lý"). Such pairs still count as evidence that the words stand
    /// together, but are never shown to a broker as a matched term.
    #[serde(skip)]
    pub straddles: bool,
}

/// A key term found in a supply.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TermContribution {
    /// The term as written in the demand.
    pub term: String,
    /// The best field it was found in.
    pub field: &'static str,
    /// Its share of the match quality (0–1).
    pub share: f32,
}

/// A stated constraint and whether the supply meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConstraintCheck {
    /// `trl_min`, `transfer`, `country` or `sector`.
    pub constraint: &'static str,
    /// What the demand asks.
    pub wanted: String,
    /// What the supply offers.
    pub offered: String,
    /// Whether it is met.
    pub met: bool,
}

/// A glossary concept that linked the demand and the supply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GlossaryLink {
    /// The concept id.
    pub concept: String,
    /// The term in the demand.
    pub demand_term: String,
}

/// Why a supply matched.
#[derive(Debug, Clone, PartialEq, Serialize, Default, utoipa::ToSchema)]
pub struct Explanation {
    /// Matched key terms (as written in the demand), grouped by field.
    pub matched_terms: BTreeMap<&'static str, Vec<String>>,
    /// The terms that contributed most, with their share of the quality.
    pub top_terms: Vec<TermContribution>,
    /// Glossary concepts the supply covers.
    pub glossary: Vec<GlossaryLink>,
    /// Stated constraints, met or violated.
    pub constraints: Vec<ConstraintCheck>,
    /// Share of key-term weight covered (0–1).
    pub term_coverage: f32,
    /// Share of key-pair weight covered (0–1).
    pub bigram_coverage: f32,
    /// Weighted share of glossary concepts covered (0–1; a concept of the title or keywords
    /// weighs more than one met only in the description), when the demand names any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concept_coverage: Option<f32>,
    /// BM25 score of the retrieval query.
    pub retrieval_score: f32,
    /// That BM25 score relative to the best candidate's (see
    /// [`crate::Tuning::per_language_retrieval`]), 0–1.
    pub retrieval_share: f32,
    /// How much of the demand the supply covers, 0–100 (coverage, sector, constraints),
    /// before the similarity factor: `score = coverage_score × retrieval_share ^ γ`.
    pub coverage_score: f32,
}

/// One matched supply.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Match {
    /// Rank from 1.
    pub rank: usize,
    /// Supply id.
    pub supply_id: String,
    /// Match score, 0–100, rounded to 0.1: how much of the demand the supply covers,
    /// damped by its BM25 similarity relative to the best candidate (see the module docs).
    /// Matches are ranked by it, and the best one decides "unmet".
    pub score: f32,
    /// The same score unrounded (run files carry it, so ties are rarer).
    pub relevance: f32,
    /// The supply's title.
    pub title: String,
    /// Owner organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Owner country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Why it matched.
    pub explanation: Explanation,
    /// Other records of the same technology sent by other sources (near-duplicates),
    /// folded into this match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_listed: Vec<AlsoListed>,
}

/// The result of one demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DemandResult {
    /// Demand id.
    pub demand_id: String,
    /// Demand title.
    pub demand_title: String,
    /// Best matches first.
    pub matches: Vec<Match>,
    /// True when no supply scores at least [`UNMET_THRESHOLD`].
    pub unmet: bool,
    /// The key terms the demand was reduced to.
    pub key_terms: Vec<KeyTerm>,
}

/// Matches demands against a supply index (or, through [`crate::reverse`], supplies
/// against a demand index).
#[derive(Clone)]
pub struct DemandMatcher {
    searcher: Searcher,
    /// What a query record is called in errors (`demand`, or `supply` in reverse).
    query_kind: &'static str,
    /// How many key terms retrieve candidates.
    retrieval_caps: RetrievalCaps,
}

/// How many of a query record's key terms retrieve its candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetrievalCaps {
    /// [`crate::Tuning::demand_retrieval_words`] and `demand_retrieval_pairs`.
    Tuned,
    /// Every key term (supply → demand matching: on the judged reverse set the caps cost
    /// 0.005 nDCG@10, and demand indexes are small).
    All,
}

/// One ranked record of [`DemandMatcher::rank`], before it is named as a match.
pub(crate) struct Ranked {
    /// The record as indexed.
    pub record: techmatch_indexer::Supply,
    /// The score shown and ranked by (0–100, unrounded).
    pub score: f32,
    /// Why it matched.
    pub explanation: Explanation,
    /// Its near-duplicates folded into it.
    pub also_listed: Vec<AlsoListed>,
}

/// The ranked list of one query record.
pub(crate) struct RankedList {
    /// What the query record was reduced to.
    pub key_terms: Vec<KeyTerm>,
    /// Best first.
    pub ranked: Vec<Ranked>,
    /// The best score of any candidate (0 when none), for the unmet flag.
    pub best: f32,
}

struct Candidate {
    address: DocAddress,
    retrieval: f32,
    term_hits: Vec<Option<TextField>>,
    bigram_hits: Vec<Option<TextField>>,
    concept_hits: Vec<bool>,
}

/// How much of a demand's key terms, pairs and concepts a candidate contains.
struct Coverage {
    /// Weighted share of the key words (by idf and field).
    terms: f32,
    /// Weighted share of the key word pairs.
    pairs: f32,
    /// Weighted share of the glossary concepts, when the demand has any.
    concepts: Option<f32>,
}

impl Coverage {
    /// The match quality (0–1; [`QUALITY_FOR_100`] scores 100) before constraints.
    fn quality(&self, other_language: bool, tuning: &Tuning) -> f32 {
        match self.concepts {
            // Across languages the demand's own words cannot match: the concepts carry it.
            Some(c) => {
                let [t, p, k] = if other_language {
                    tuning.demand_other_language_weights
                } else {
                    tuning.demand_quality_weights
                };
                t * self.terms + p * self.pairs + k * c
            }
            None => {
                let [t, p] = tuning.demand_no_concept_weights;
                t * self.terms + p * self.pairs
            }
        }
    }
}

impl Candidate {
    fn coverage(
        &self,
        words: &[KeyTerm],
        pairs: &[KeyTerm],
        expansions: &[Expansion],
        total_word_weight: f32,
        total_pair_weight: f32,
        tuning: &Tuning,
    ) -> Coverage {
        let share = |terms: &[KeyTerm], hits: &[Option<TextField>], total: f32| {
            if total <= 0.0 {
                return 0.0;
            }
            terms
                .iter()
                .zip(hits)
                .filter_map(|(t, h)| h.map(|f| t.weight * tuning.field_factor(f)))
                .sum::<f32>()
                / total
        };
        Coverage {
            terms: share(words, &self.term_hits, total_word_weight),
            pairs: share(pairs, &self.bigram_hits, total_pair_weight),
            concepts: (!self.concept_hits.is_empty()).then(|| {
                let total: f32 = expansions.iter().map(|e| e.weight).sum();
                expansions
                    .iter()
                    .zip(&self.concept_hits)
                    .filter(|(_, hit)| **hit)
                    .map(|(e, _)| e.weight)
                    .sum::<f32>()
                    / total.max(f32::EPSILON)
            }),
        }
    }
}

/// Fields in the order a term's best field is chosen.
const BY_FACTOR: [TextField; 5] = [
    TextField::Title,
    TextField::Keywords,
    TextField::Summary,
    TextField::Description,
    TextField::Owner,
];

impl DemandMatcher {
    /// A matcher sharing the searcher's index, reader, weights and glossary.
    pub fn new(searcher: Searcher) -> DemandMatcher {
        DemandMatcher {
            searcher,
            query_kind: "demand",
            retrieval_caps: RetrievalCaps::Tuned,
        }
    }

    /// The same matcher naming its query records `kind` in errors and retrieving with
    /// `caps` key terms.
    pub(crate) fn for_queries(mut self, kind: &'static str, caps: RetrievalCaps) -> DemandMatcher {
        self.query_kind = kind;
        self.retrieval_caps = caps;
        self
    }

    /// The underlying searcher.
    pub fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    /// The best supplies for one demand, explained.
    pub fn match_demand(&self, demand: &Demand, options: &MatchOptions) -> Result<Vec<Match>> {
        Ok(self.match_demand_full(demand, options)?.matches)
    }

    /// Matches many demands in parallel (rayon, all cores); results keep the input order and
    /// one failing demand does not stop the others. `on_done` is called after each demand.
    pub fn match_all(
        &self,
        demands: &[Demand],
        options: &MatchOptions,
        on_done: &(dyn Fn() + Sync),
    ) -> Vec<Result<DemandResult>> {
        demands
            .par_iter()
            .map(|demand| {
                let result = self.match_demand_full(demand, options);
                on_done();
                result
            })
            .collect()
    }

    /// Matches one demand: key terms, retrieval, rerank, explanations, unmet flag.
    pub fn match_demand_full(
        &self,
        demand: &Demand,
        options: &MatchOptions,
    ) -> Result<DemandResult> {
        let list = self.rank(demand, options, &|facts| check_constraints(demand, facts))?;
        Ok(DemandResult {
            demand_id: demand.id.clone(),
            demand_title: demand.title.clone(),
            unmet: list.best < UNMET_THRESHOLD,
            matches: list
                .ranked
                .into_iter()
                .enumerate()
                .map(|(i, ranked)| Match {
                    rank: i + 1,
                    supply_id: ranked.record.id,
                    score: (ranked.score * 10.0).round() / 10.0,
                    relevance: ranked.score,
                    title: ranked.record.title,
                    owner: ranked.record.owner,
                    country: ranked.record.country,
                    explanation: ranked.explanation,
                    also_listed: ranked.also_listed,
                })
                .collect(),
            key_terms: list.key_terms,
        })
    }

    /// Key terms, retrieval, rerank and explanations of one query record (a demand, or a
    /// supply written as one by [`crate::reverse`]) against the records of this matcher's
    /// index; `constraints` checks the stated constraints of the pair from the candidate's
    /// facts. Best first, at most `options.top`.
    pub(crate) fn rank(
        &self,
        demand: &Demand,
        options: &MatchOptions,
        constraints: &dyn Fn(&SupplyFacts) -> Vec<ConstraintCheck>,
    ) -> Result<RankedList> {
        if demand.full_text().len() > MAX_DEMAND_BYTES {
            return Err(QueryError::Invalid(format!(
                "{} {}: text longer than {MAX_DEMAND_BYTES} bytes",
                self.query_kind, demand.id
            )));
        }
        options.check()?;
        let (words, pairs, mut expansions) = self.key_terms(demand);
        // What a broker reads: the words, and the pairs that are words themselves.
        let mut key_terms: Vec<KeyTerm> = words
            .iter()
            .chain(pairs.iter().filter(|p| !p.straddles))
            .cloned()
            .collect();
        for expansion in &expansions {
            key_terms.push(KeyTerm {
                text: expansion.matched.clone(),
                folded: expansion.concept.clone(),
                weight: 0.0,
                bigram: false,
                concept: Some(expansion.concept.clone()),
                straddles: false,
            });
        }
        let empty = RankedList {
            key_terms: key_terms.clone(),
            ranked: Vec::new(),
            best: 0.0,
        };
        if words.is_empty() && pairs.is_empty() && expansions.is_empty() {
            return Ok(empty);
        }
        let searcher = self.searcher.reader().searcher();
        self.searcher
            .mark_indexed_concepts(&searcher, &mut expansions);
        let hidden = Filters {
            include_inactive: options.include_inactive,
            ..Filters::default()
        }
        .hidden(&searcher, self.searcher.index().schema())?;
        // The most informative terms retrieve (the lists are by weight, best first): the
        // best `candidate_words` words, with the pairs and concepts, find the candidates, the
        // other retrieval words only add to their scores; all of them rerank. Supplies
        // matched against demands keep every term (`reverse`).
        let (retrieve_words, retrieve_pairs, candidate_words) = match self.retrieval_caps {
            RetrievalCaps::Tuned => {
                let tuning = self.searcher.tuning();
                (
                    tuning.demand_retrieval_words.max(1).min(words.len()),
                    tuning.demand_retrieval_pairs.min(pairs.len()),
                    tuning.demand_candidate_words,
                )
            }
            RetrievalCaps::All => (words.len(), pairs.len(), words.len()),
        };
        let (whole, split) = self.retrieval(
            &words[..retrieve_words],
            &pairs[..retrieve_pairs],
            &expansions,
            candidate_words,
            |query| self.searcher.combine(Some(query), Vec::new(), &hidden),
        );
        let hits = shortlist(
            &searcher,
            &*whole,
            split.as_ref(),
            demand.lang.filter(|_| !expansions.is_empty()),
            options.candidates.max(options.top),
            options.top,
        )?;
        if hits.is_empty() {
            return Ok(empty);
        }
        let mut candidates: Vec<Candidate> = hits
            .into_iter()
            .map(|(score, address)| Candidate {
                address,
                retrieval: score,
                term_hits: vec![None; words.len()],
                bigram_hits: vec![None; pairs.len()],
                concept_hits: vec![false; expansions.len()],
            })
            .collect();
        self.read_features(&searcher, &mut candidates, &words, &pairs, &expansions)?;

        let schema = self.searcher.index().schema();
        let total_word_weight: f32 = words.iter().map(|t| t.weight).sum();
        let total_pair_weight: f32 = pairs.iter().map(|t| t.weight).sum();
        let max_retrieval_overall = candidates
            .iter()
            .map(|c| c.retrieval)
            .fold(f32::MIN, f32::max)
            .max(f32::EPSILON);
        // Score every candidate from the postings and the fast fields; stored records are
        // read only for the matches returned.
        let facts = read_facts(&searcher, &candidates)?;
        let tuning = self.searcher.tuning();
        let mut scored: Vec<Scored> = candidates
            .iter()
            .zip(facts)
            .enumerate()
            .map(|(index, (candidate, facts))| {
                let coverage = candidate.coverage(
                    &words,
                    &pairs,
                    &expansions,
                    total_word_weight,
                    total_pair_weight,
                    tuning,
                );
                let other_language =
                    demand.lang.is_some() && facts.lang.is_some() && demand.lang != facts.lang;
                let mut quality = coverage.quality(other_language, tuning);
                let constraints = constraints(&facts);
                for check in &constraints {
                    match (check.constraint, check.met) {
                        ("sector", true) => quality *= tuning.demand_sector_agreement,
                        // Where each side is, for the broker; it does not weigh.
                        ("sector", false) | ("province", _) => {}
                        (_, false) => quality *= tuning.demand_constraint_violation,
                        _ => {}
                    }
                }
                Scored {
                    score: 0.0,
                    coverage_score: (100.0 * quality / tuning.demand_quality_for_100)
                        .clamp(0.0, 100.0),
                    retrieval_share: 0.0,
                    index,
                    lang: facts.lang,
                    coverage,
                    constraints,
                }
            })
            .collect();
        // BM25 relative to the best candidate (in the same language, when so tuned).
        let mut best_by_language: HashMap<Option<techmatch_analysis::Language>, f32> =
            HashMap::new();
        for entry in &scored {
            let best = best_by_language.entry(entry.lang).or_insert(f32::EPSILON);
            *best = best.max(candidates[entry.index].retrieval);
        }
        let gamma = self.searcher.tuning().demand_retrieval_exponent;
        for entry in &mut scored {
            let best = if self.searcher.tuning().per_language_retrieval {
                best_by_language[&entry.lang]
            } else {
                max_retrieval_overall
            };
            entry.retrieval_share = (candidates[entry.index].retrieval / best).clamp(0.0, 1.0);
            // The score shown is the score ranked by: coverage, damped by how far the
            // supply's wording is from the best candidate's.
            entry.score = entry.coverage_score * entry.retrieval_share.powf(gamma);
        }
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.index.cmp(&b.index))
        });
        let best = scored.first().map_or(0.0, |s| s.score);
        let collapsing = !options.show_duplicates && has_clusters(&searcher)?;
        let mut keys = ClusterKeys::new(&searcher);
        let mut clusters_seen = std::collections::HashSet::new();
        let mut matches: Vec<Ranked> = Vec::with_capacity(options.top);
        for entry in scored.into_iter().filter(|s| s.score >= options.min_score) {
            if matches.len() == options.top {
                break;
            }
            let candidate = &candidates[entry.index];
            let cluster = if collapsing {
                let key = keys.key(candidate.address)?;
                if !clusters_seen.insert(key.clone()) {
                    continue;
                }
                Some(key)
            } else {
                None
            };
            let doc: TantivyDocument = searcher.doc(candidate.address)?;
            let Some(record) = from_document(schema, &doc) else {
                continue;
            };
            let explanation = explain(candidate, &entry, &words, &pairs, &expansions, tuning);
            let also_listed = match cluster {
                Some(key) => also_listed(&searcher, schema, &key, &record.id, &hidden)?,
                None => Vec::new(),
            };
            matches.push(Ranked {
                record,
                score: entry.score,
                explanation,
                also_listed,
            });
        }
        Ok(RankedList {
            key_terms,
            ranked: matches,
            best,
        })
    }

    /// Reranks a long text's retrieved records as demand matching does, from the postings
    /// only (no stored records, no constraints): BM25 relative to the best hit blended with
    /// how much of the key terms, pairs and concepts each record covers. Best first.
    pub(crate) fn rerank_by_coverage(
        &self,
        searcher: &tantivy::Searcher,
        hits: &[(f32, DocAddress)],
        words: &[KeyTerm],
        pairs: &[KeyTerm],
        expansions: &[Expansion],
    ) -> Result<Vec<(f32, DocAddress)>> {
        let mut candidates: Vec<Candidate> = hits
            .iter()
            .map(|(score, address)| Candidate {
                address: *address,
                retrieval: *score,
                term_hits: vec![None; words.len()],
                bigram_hits: vec![None; pairs.len()],
                concept_hits: vec![false; expansions.len()],
            })
            .collect();
        self.read_features(searcher, &mut candidates, words, pairs, expansions)?;
        let total_word_weight: f32 = words.iter().map(|t| t.weight).sum();
        let total_pair_weight: f32 = pairs.iter().map(|t| t.weight).sum();
        let best = hits
            .iter()
            .map(|h| h.0)
            .fold(0.0f32, f32::max)
            .max(f32::EPSILON);
        let tuning = self.searcher.tuning();
        let alpha = tuning.demand_retrieval_weight;
        let mut ranked: Vec<(f32, DocAddress)> = candidates
            .iter()
            .map(|c| {
                let quality = c
                    .coverage(
                        words,
                        pairs,
                        expansions,
                        total_word_weight,
                        total_pair_weight,
                        tuning,
                    )
                    .quality(false, tuning);
                let score = (quality / tuning.demand_quality_for_100).clamp(0.0, 1.0);
                (
                    alpha * (c.retrieval / best) + (1.0 - alpha) * score,
                    c.address,
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(ranked)
    }
}

/// A candidate's score before its explanation is written.
struct Scored {
    /// The score shown and ranked by.
    score: f32,
    /// Coverage, sector and constraints, 0–100.
    coverage_score: f32,
    /// BM25 relative to the best candidate.
    retrieval_share: f32,
    /// Index into the candidates.
    index: usize,
    lang: Option<techmatch_analysis::Language>,
    coverage: Coverage,
    constraints: Vec<ConstraintCheck>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use techmatch_indexer::SupplyIndex;

    /// The shortlist as two searches computed it before [`shortlist`] (the second one with the
    /// demand's language excluded): the reference of the equivalence test.
    fn shortlist_by_two_searches(
        searcher: &tantivy::Searcher,
        lang_field: tantivy::schema::Field,
        query: &dyn Query,
        demand: &Demand,
        has_concepts: bool,
        limit: usize,
        top: usize,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let mut hits = searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?;
        if let (Some(lang), true) = (demand.lang, has_concepts) {
            let lang_term = Term::from_field_text(lang_field, lang.code());
            let other_languages = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (
                    Occur::MustNot,
                    Box::new(TermQuery::new(lang_term, IndexRecordOption::Basic)),
                ),
            ]);
            let quota = (limit / 4).max(top);
            for hit in searcher.search(
                &other_languages,
                &TopDocs::with_limit(quota).order_by_score(),
            )? {
                if !hits.iter().any(|h| h.1 == hit.1) {
                    hits.push(hit);
                }
            }
        }
        Ok(hits)
    }

    fn bundled(path: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../index-data")
            .join(path)
    }

    /// The bundled supplies in three commits (several segments, fewer than the eight that
    /// tantivy merges), so that merging the segments' lists is exercised too.
    fn segmented_index() -> SupplyIndex {
        let index = SupplyIndex::create_in_ram();
        let mut validator = techmatch_indexer::validate::Validator::new("supplies.jsonl");
        let mut writer = index
            .writer(techmatch_indexer::DEFAULT_WRITER_MEMORY)
            .unwrap();
        writer.set_detect_duplicates(false);
        let rows =
            techmatch_indexer::read::read_raw(&bundled("supplies.jsonl"), Default::default())
                .unwrap();
        for (i, row) in rows.enumerate() {
            writer
                .upsert(&validator.supply(&row.unwrap()).unwrap())
                .unwrap();
            if i % 120 == 119 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        writer.finish().unwrap();
        index
    }

    /// The bundled glossary without its first concept: another fingerprint.
    fn other_glossary() -> crate::glossary::Glossary {
        let text = crate::glossary::BUNDLED_GLOSSARY;
        let mut lines: Vec<&str> = text.lines().collect();
        let first_concept = lines
            .iter()
            .position(|l| !l.starts_with('#') && !l.starts_with("concept\t") && !l.is_empty())
            .unwrap();
        lines.remove(first_concept);
        crate::glossary::Glossary::parse(&lines.join("\n"))
            .unwrap()
            .0
    }

    #[test]
    fn an_index_built_with_another_glossary_is_detected_and_still_matched() {
        let index = segmented_index();
        let tagged = DemandMatcher::new(Searcher::new(index.clone()).unwrap());
        let searcher = tagged.searcher().reader().searcher();
        assert!(tagged.searcher().concepts_indexed(&searcher));
        // The same records served with another glossary: detected, concepts as phrases.
        let other = DemandMatcher::new(
            Searcher::new(index)
                .unwrap()
                .with_glossary(Some(other_glossary())),
        );
        assert!(!other.searcher().concepts_indexed(&searcher));
        // Matching still works through the glossary's phrases: a demand whose concepts
        // bridge to records in other languages still reaches them.
        let mut validator = techmatch_indexer::validate::Validator::new("demands.jsonl");
        let rows = techmatch_indexer::read::read_raw(&bundled("demands.jsonl"), Default::default())
            .unwrap();
        let mut bridged = [0usize; 2];
        for row in rows {
            let demand = validator.demand(&row.unwrap()).unwrap();
            for (side, matcher) in [&tagged, &other].into_iter().enumerate() {
                let result = matcher
                    .match_demand_full(&demand, &MatchOptions::default())
                    .unwrap();
                bridged[side] += result
                    .matches
                    .iter()
                    .filter(|m| {
                        !m.explanation.glossary.is_empty() && m.explanation.matched_terms.is_empty()
                    })
                    .count();
            }
        }
        assert!(bridged[0] > 0 && bridged[1] > 0, "{bridged:?}");
        // The search box too: every cross-language query finds records either way, and
        // mostly the same ones.
        let queries = std::fs::read_to_string(bundled("queries.jsonl")).unwrap();
        let (mut asked, mut shared) = (0, 0);
        for line in queries.lines() {
            let query: serde_json::Value = serde_json::from_str(line).unwrap();
            if !query["tags"].to_string().contains("cross_language") {
                continue;
            }
            let text = query["text"].as_str().unwrap();
            let terms = tagged.searcher().search_ids(text, 10).unwrap();
            let phrases = other.searcher().search_ids(text, 10).unwrap();
            assert!(!terms.is_empty() && !phrases.is_empty(), "{text}");
            asked += terms.len();
            shared += terms
                .iter()
                .filter(|t| phrases.iter().any(|p| p.0 == t.0))
                .count();
        }
        assert!(
            shared * 2 > asked,
            "{shared} of {asked} top-10 records shared"
        );
        // A new index written with the other glossary is tagged by it, not by the bundled.
        let rebuilt = SupplyIndex::create_in_ram();
        let other_searcher = Searcher::new(rebuilt.clone())
            .unwrap()
            .with_glossary(Some(other_glossary()));
        let mut writer = rebuilt.writer(15 << 20).unwrap();
        writer
            .upsert(
                &serde_json::from_value(serde_json::json!({"id": "S1", "title": "Máy sấy"}))
                    .unwrap(),
            )
            .unwrap();
        writer.commit().unwrap();
        other_searcher.reader().reload().unwrap();
        let snapshot = other_searcher.reader().searcher();
        assert!(other_searcher.concepts_indexed(&snapshot));
        assert!(!Searcher::new(rebuilt).unwrap().concepts_indexed(&snapshot));
    }

    /// The language whose records the shortlist's second list leaves out.
    fn lang_of(demand: &Demand, has_concepts: bool) -> Option<techmatch_analysis::Language> {
        demand.lang.filter(|_| has_concepts)
    }

    /// A matcher with the bundled glossary over the bundled supplies in several segments,
    /// and the bundled demands.
    fn bundled_matcher() -> (DemandMatcher, Vec<Demand>) {
        let matcher = DemandMatcher::new(
            Searcher::new(segmented_index())
                .unwrap()
                .with_glossary(Some(crate::glossary::Glossary::bundled())),
        );
        let mut validator = techmatch_indexer::validate::Validator::new("demands.jsonl");
        let demands =
            techmatch_indexer::read::read_raw(&bundled("demands.jsonl"), Default::default())
                .unwrap()
                .map(|row| validator.demand(&row.unwrap()).unwrap())
                .collect();
        (matcher, demands)
    }

    #[test]
    fn one_pass_gives_the_shortlist_of_the_two_searches() {
        let (matcher, demands) = bundled_matcher();
        let searcher = matcher.searcher().reader().searcher();
        assert!(searcher.segment_readers().len() >= 2);
        let lang_field = matcher.searcher().index().schema().lang;
        let mut with_others = 0;
        for demand in demands {
            let (words, pairs, expansions) = matcher.key_terms(&demand);
            let query = matcher.retrieval_query(&words, &pairs, &expansions);
            for (limit, top) in [(300, 10), (40, 10), (7, 3)] {
                let concepts = !expansions.is_empty();
                let one = shortlist(
                    &searcher,
                    &*query,
                    None,
                    lang_of(&demand, concepts),
                    limit,
                    top,
                )
                .unwrap();
                let two = shortlist_by_two_searches(
                    &searcher, lang_field, &*query, &demand, concepts, limit, top,
                )
                .unwrap();
                assert_eq!(one, two, "{} (limit {limit}, top {top})", demand.id);
                with_others += usize::from(one.len() > limit);
            }
        }
        assert!(
            with_others > 0,
            "no demand added records in other languages"
        );
    }

    /// A split retrieval scores each record it keeps as the whole query does (drive plus
    /// rest), keeps the whole query's best records when its drive finds them, and falls
    /// back to the whole query when the drive finds too few.
    #[test]
    fn split_retrieval_scores_as_the_whole_query() {
        let (matcher, demands) = bundled_matcher();
        let searcher = matcher.searcher().reader().searcher();
        let (mut split_used, mut same_best) = (0, 0);
        for demand in demands {
            let (words, pairs, expansions) = matcher.key_terms(&demand);
            if words.len() < 6 {
                continue;
            }
            let (whole, split) = matcher.retrieval(&words, &pairs, &expansions, 3, |q| q);
            let split = split.expect("more than three words");
            let concepts = !expansions.is_empty();
            let all = shortlist(
                &searcher,
                &*whole,
                None,
                lang_of(&demand, concepts),
                1_000,
                10,
            )
            .unwrap();
            let score_of =
                |address: DocAddress| all.iter().find(|h| h.1 == address).map(|h| h.0).unwrap();
            // Few enough that the drive finds them: the split path.
            let limit = 12;
            let hits = shortlist(
                &searcher,
                &*whole,
                Some(&split),
                lang_of(&demand, concepts),
                limit,
                3,
            )
            .unwrap();
            if searcher
                .search(&*split.drive, &tantivy::collector::Count)
                .unwrap()
                >= limit
            {
                split_used += 1;
            }
            for (score, address) in &hits {
                let expected = score_of(*address);
                assert!(
                    (score - expected).abs() <= 1e-4 * expected.max(1.0),
                    "{}: {score} against the whole query's {expected}",
                    demand.id
                );
            }
            let mut whole_best = shortlist(
                &searcher,
                &*whole,
                None,
                lang_of(&demand, concepts),
                limit,
                3,
            )
            .unwrap();
            whole_best.truncate(3);
            same_best += usize::from(
                hits[..3]
                    .iter()
                    .map(|h| h.1)
                    .eq(whole_best.iter().map(|h| h.1)),
            );
            // More than the drive finds: the whole query's list, as without a split.
            let wide = shortlist(
                &searcher,
                &*whole,
                Some(&split),
                lang_of(&demand, concepts),
                1_000,
                10,
            )
            .unwrap();
            assert_eq!(wide, all, "{}", demand.id);
        }
        assert!(split_used > 100, "only {split_used} demands checked");
        // Three words of a demand (with its pairs and concepts) find the whole query's
        // best three records for nearly every demand of the bundled collection.
        assert!(
            same_best * 10 >= split_used * 9,
            "the split found the whole query's best three for {same_best} of {split_used}"
        );
    }
}
