//! The search box: one shared [`Searcher`] over the index reader; a request with text,
//! filters, paging and sort becomes hits with highlighted snippets, facet counts, a total,
//! and a "did you mean" when nothing matched.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::{DateTime, DocAddress, IndexReader, Order, TantivyDocument};
use techmatch_indexer::document::from_document;
use techmatch_indexer::record::sector_name_vi;
use techmatch_indexer::{Demand, Supply, SupplyIndex, TextField};

use crate::build::{expansion_query, text_query, word_query, Layout, Tuning};
use crate::collapse::{also_listed, collapse, has_clusters, AlsoListed, ClusterKeys};
use crate::demand::{DemandMatcher, KeyTerm};
use crate::error::{QueryError, Result};
use crate::expand::ExpansionCache;
use crate::facets::{FacetCollector, FacetCounts, FacetTables};
use crate::filters::{FacetDim, Filters};
use crate::glossary::Glossary;
use crate::highlight::{Highlight, Highlighter};
use crate::matching::{Requirements, Tier};
use crate::params::RequestLimits;
use crate::record_sets::{self, Part, RecordSets, Selection};
use crate::suggest::did_you_mean;
use crate::terms::QueryTerms;

/// Largest page size.
pub const MAX_PAGE_SIZE: usize = 100;
/// Deepest result reachable by paging (page × size).
pub const MAX_RESULT_DEPTH: usize = 10_000;
/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Totals are exact up to this many records; above it, a response reports this figure and
/// flags it as a lower bound (`total_is_lower_bound`), the page shows "10.000+".
pub const TOTAL_CAP: usize = 10_000;
/// Snippet length in characters.
pub const SNIPPET_CHARS: usize = 240;

/// The order of the hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (newest first for an empty query).
    #[default]
    Relevance,
    /// Most recently updated first.
    Updated,
}

/// A search-box request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// The text as typed; empty browses everything.
    pub q: String,
    /// Filters.
    pub filters: Filters,
    /// Page number from 1.
    pub page: usize,
    /// Hits per page, at most [`MAX_PAGE_SIZE`].
    pub size: usize,
    /// Order of the hits.
    pub sort: Sort,
    /// Whether the last word may be incomplete (as-you-type).
    pub prefix_last: bool,
    /// Whether to count facets.
    pub facets: bool,
    /// Show every record of a near-duplicate cluster as its own hit (by default a cluster
    /// is one hit, its best-ranked record, listing the others in `also_listed`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub show_duplicates: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            filters: Filters::default(),
            page: 1,
            size: 10,
            sort: Sort::Relevance,
            prefix_last: true,
            facets: true,
            show_duplicates: false,
        }
    }
}

/// One value of a facet with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FacetValue {
    /// The value to filter on.
    pub value: String,
    /// A label for people (the Vietnamese sector name, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Matching records with this value.
    pub count: u64,
}

/// One hit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    /// Record id.
    pub id: String,
    /// Rank from 1 over the whole result list.
    pub rank: usize,
    /// Relevance score (absent when sorted by date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Title with `<mark>` highlights, HTML-escaped.
    pub title_html: String,
    /// Best fragment of the description (or summary) with highlights, HTML-escaped.
    pub snippet_html: String,
    /// Query words (folded) found, per field: why this record matched.
    pub matched: BTreeMap<&'static str, Vec<String>>,
    /// Glossary concepts through which the record matched (synonyms, other languages).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub glossary: Vec<String>,
    /// The near-duplicate cluster this record belongs to (the id of the record it
    /// duplicates), when it is not the cluster's first record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Other records of the same technology (near-duplicates sent by other sources),
    /// folded into this hit; empty with `show_duplicates`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_listed: Vec<AlsoListed>,
    /// The record, without its long description.
    pub record: Supply,
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// The query text.
    pub query: String,
    /// Number of matching records (near-duplicates counted one by one, closed, withdrawn
    /// and expired records left out unless asked for), exact up to the server's cap
    /// (10,000 unless configured); above it, the cap, and `total_is_lower_bound` is true.
    pub total: usize,
    /// True when more records match than `total` says (it is the cap): show it as
    /// "10,000+".
    pub total_is_lower_bound: bool,
    /// Page number.
    pub page: usize,
    /// Page size.
    pub size: usize,
    /// The hits of the page.
    pub hits: Vec<Hit>,
    /// Facet counts; each dimension's counts apply every filter except its own.
    pub facets: BTreeMap<FacetDim, Vec<FacetValue>>,
    /// A corrected query from the index vocabulary, when nothing matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    /// True when too few records contained every word, so some words were made optional
    /// (see `optional_words`).
    pub relaxed: bool,
    /// The words a hit need not contain, as typed: when fewer than the `min_results` of
    /// the tuning (20) contained every word, the commonest were made optional (every word,
    /// when any word qualifies a record). They still raise the score of the hits that
    /// contain them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub optional_words: Vec<String>,
    /// Milliseconds the answer took to compute (an answer served from the HTTP answer
    /// cache, `x-cache: hit`, is sent as it was computed, with this figure).
    pub took_ms: f64,
}

/// Searches one index; cheap to share behind an `Arc`, the reader reloads on commit.
#[derive(Clone)]
pub struct Searcher {
    index: SupplyIndex,
    reader: IndexReader,
    tuning: Tuning,
    glossary: Option<std::sync::Arc<Glossary>>,
    /// Whether the fallback to phrase matching of concepts was logged.
    warned_untagged: std::sync::Arc<std::sync::atomic::AtomicBool>,
    facet_tables: std::sync::Arc<FacetTables>,
    expansions: std::sync::Arc<ExpansionCache>,
    /// The highest score of each term on each segment, read once from its postings.
    term_maxima: std::sync::Arc<crate::pruned::TermMaxima>,
    record_sets: std::sync::Arc<RecordSets>,
    completables: std::sync::Arc<crate::suggest::Completables>,
    counting: Counting,
    total_cap: usize,
}

/// How a search counts its records and their facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Counting {
    /// From the record sets of its words, filters and lifecycle, remembered per segment
    /// ([`crate::record_sets`]); the ranking query only ranks.
    #[default]
    Sets,
    /// By the ranking query itself, every match visited (the way before record sets; kept
    /// to check one against the other and to measure).
    Query,
}

/// A word held by at least one record in this many (and by two records) is matched
/// without typos ([`Searcher::limit_typos`]).
pub const COMMON_WORD_SHARE: u64 = 10_000;

/// Most glossary concepts a search-box query is expanded with.
pub const MAX_QUERY_CONCEPTS: usize = 6;

/// The text fields the search box looks at.
pub const SEARCH_FIELDS: [TextField; 5] = TextField::ALL;

impl Searcher {
    /// A searcher over an opened index.
    pub fn new(index: SupplyIndex) -> Result<Searcher> {
        let reader = index.reader()?;
        Ok(Searcher {
            index,
            reader,
            tuning: Tuning::default(),
            glossary: Some(Glossary::bundled_shared()),
            warned_untagged: Default::default(),
            facet_tables: std::sync::Arc::new(FacetTables::new()),
            expansions: std::sync::Arc::new(ExpansionCache::default()),
            term_maxima: std::sync::Arc::new(crate::pruned::TermMaxima::new(
                crate::pruned::DEFAULT_TERM_MAXIMA,
            )),
            record_sets: std::sync::Arc::new(RecordSets::default()),
            completables: std::sync::Arc::new(crate::suggest::completables(
                crate::suggest::DEFAULT_COMPLETABLE_BYTES,
            )),
            counting: Counting::default(),
            total_cap: TOTAL_CAP,
        })
    }

    /// How searches count their records and facets (default [`Counting::Sets`]).
    pub fn with_counting(mut self, counting: Counting) -> Searcher {
        self.counting = counting;
        self
    }

    /// Keeps at most about `bytes` of record sets (default
    /// [`record_sets::DEFAULT_RECORD_SET_BYTES`]); 0 counts through the ranking query
    /// ([`Counting::Query`]).
    pub fn with_record_set_bytes(mut self, bytes: u64) -> Searcher {
        if bytes == 0 {
            self.counting = Counting::Query;
        } else {
            self.record_sets = std::sync::Arc::new(RecordSets::new(bytes));
        }
        self
    }

    /// The records read for suggestions, kept.
    pub(crate) fn completables(&self) -> &crate::suggest::Completables {
        &self.completables
    }

    /// The remembered record sets of this searcher's searches.
    pub fn record_sets(&self) -> &std::sync::Arc<RecordSets> {
        &self.record_sets
    }

    /// Totals exact up to `cap` records (at least 1), flagged as a lower bound above it
    /// (default [`TOTAL_CAP`]).
    pub fn with_total_cap(mut self, cap: usize) -> Searcher {
        self.total_cap = cap.max(1);
        self
    }

    /// Replaces the glossary (`None` turns expansion off). Records written to this index
    /// from now on are tagged with its concepts ([`techmatch_indexer::concepts`]).
    pub fn with_glossary(mut self, glossary: Option<Glossary>) -> Searcher {
        self.glossary = glossary.map(|glossary| {
            if glossary.fingerprint() == Glossary::bundled_shared().fingerprint() {
                Glossary::bundled_shared()
            } else {
                std::sync::Arc::new(glossary)
            }
        });
        if let Some(glossary) = &self.glossary {
            self.index.set_glossary(Some(glossary.clone()));
        }
        self
    }

    /// Whether the records of `searcher` carry this searcher's glossary concepts as terms
    /// (every record tagged by the same glossary): concepts are then matched as one term
    /// per field; otherwise as phrases of their terms, which is slower and logged once.
    pub fn concepts_indexed(&self, searcher: &tantivy::Searcher) -> bool {
        let Some(glossary) = self.glossary.as_deref() else {
            return false;
        };
        let tagged =
            techmatch_indexer::concepts::tagged_with(searcher, self.index.schema(), glossary);
        if !tagged
            && !self
                .warned_untagged
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!(
                index = %self.index.dir().map_or_else(|| "(in memory)".into(), |d| d.display().to_string()),
                "some records were indexed with another glossary (or none): glossary \
                 concepts are matched as phrases, which is slower; rebuild the index with \
                 the glossary in use (techmatch index --rebuild) to match them as terms"
            );
        }
        tagged
    }

    /// The glossary in use.
    pub fn glossary(&self) -> Option<&Glossary> {
        self.glossary.as_deref()
    }

    /// Parses a query text with its glossary expansions.
    pub fn parse_query(&self, text: &str, prefix_last: bool) -> QueryTerms {
        self.parse_query_on(&self.reader.searcher(), text, prefix_last)
    }

    /// [`Searcher::parse_query`] for a search of `searcher`'s records: when they hold this
    /// glossary's concepts as terms, each concept is matched as one term per field instead
    /// of the phrases of its other terms.
    pub fn parse_query_on(
        &self,
        searcher: &tantivy::Searcher,
        text: &str,
        prefix_last: bool,
    ) -> QueryTerms {
        let mut terms = QueryTerms::parse(text, prefix_last).with_glossary(
            self.glossary(),
            text,
            MAX_QUERY_CONCEPTS,
        );
        self.mark_indexed_concepts(searcher, &mut terms.expansions);
        self.limit_typos(searcher, &mut terms);
        terms
    }

    /// Typo tolerance only for the words the records lack or hold rarely: a word in one
    /// record in [`COMMON_WORD_SHARE`] or more is what was meant, and its neighbours one
    /// letter away are other words ("thong" is not "trong"). Also spares the dictionary
    /// walk of its typos.
    pub(crate) fn limit_typos(&self, searcher: &tantivy::Searcher, terms: &mut QueryTerms) {
        let schema = self.index.schema();
        let common = (searcher.num_docs() / COMMON_WORD_SHARE).max(2);
        for word in terms.words.iter_mut().filter(|w| w.fuzzy) {
            let records = crate::suggest::doc_freq(searcher, schema, &word.folded, &TextField::ALL);
            if records.is_ok_and(|records| records >= common) {
                word.fuzzy = false;
            }
        }
    }

    /// Marks `expansions` to be matched as concept terms when `searcher`'s records carry
    /// them ([`Searcher::concepts_indexed`]); every query built from them then follows.
    pub(crate) fn mark_indexed_concepts(
        &self,
        searcher: &tantivy::Searcher,
        expansions: &mut [crate::glossary::Expansion],
    ) {
        if !expansions.is_empty() && self.concepts_indexed(searcher) {
            for expansion in expansions {
                expansion.indexed = true;
            }
        }
    }

    /// Replaces the weights (for experiments).
    pub fn with_tuning(mut self, tuning: Tuning) -> Searcher {
        self.tuning = tuning;
        self
    }

    /// The remembered typo and prefix matches of this searcher's queries.
    pub fn expansions(&self) -> &std::sync::Arc<ExpansionCache> {
        &self.expansions
    }

    /// The best scores of terms per segment that ranking bounds records with.
    pub fn term_maxima(&self) -> &std::sync::Arc<crate::pruned::TermMaxima> {
        &self.term_maxima
    }

    /// The weights in use.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// The index.
    pub fn index(&self) -> &SupplyIndex {
        &self.index
    }

    /// The reader (reload it to see a commit at once).
    pub fn reader(&self) -> &IndexReader {
        &self.reader
    }

    /// Number of records.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Fetches a record by id.
    pub fn get(&self, id: &str) -> Result<Option<Supply>> {
        let searcher = self.reader.searcher();
        let schema = self.index.schema();
        let term = tantivy::Term::from_field_text(schema.id, id);
        let query = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
        let hits = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match hits.first() {
            Some((_, address)) => {
                let doc: TantivyDocument = searcher.doc(*address)?;
                Ok(from_document(schema, &doc))
            }
            None => Ok(None),
        }
    }

    /// `text` (every record when `None`) required, the `filters` required without scoring,
    /// the `hidden` records left out; `text` alone when there is nothing else.
    pub(crate) fn combine(
        &self,
        text: Option<Box<dyn Query>>,
        filters: Vec<Box<dyn Query>>,
        hidden: &[Box<dyn Query>],
    ) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
        for filter in filters {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        for query in hidden {
            clauses.push((Occur::MustNot, query.box_clone()));
        }
        if clauses.len() == 1 {
            clauses.pop().expect("one clause").1
        } else {
            Box::new(BooleanQuery::new(clauses))
        }
    }

    /// The text query of parsed terms, the words marked in `required` required (see
    /// [`Requirements`]); with none marked, any word or glossary concept qualifies a record.
    pub fn text_query(&self, terms: &QueryTerms, required: &[bool]) -> Box<dyn Query> {
        text_query(
            self.index.schema(),
            terms,
            &self.tuning,
            &SEARCH_FIELDS,
            required,
            &self.expansions,
        )
    }

    /// The ranking of a search whose records are `bits` (one set per segment, in the
    /// searcher's segment order): the sum of its scoring clauses, pruned
    /// ([`crate::pruned`]).
    fn pruned_query(
        &self,
        searcher: &tantivy::Searcher,
        terms: &QueryTerms,
        bits: Vec<record_sets::Bits>,
    ) -> crate::pruned::PrunedQuery {
        let clauses = crate::build::scoring_clauses(
            self.index.schema(),
            terms,
            &self.tuning,
            &SEARCH_FIELDS,
            &self.expansions,
        );
        let bits = searcher
            .segment_readers()
            .iter()
            .zip(bits)
            .map(|(reader, bits)| (reader.segment_id(), std::sync::Arc::new(bits)))
            .collect();
        crate::pruned::PrunedQuery::new(clauses, std::sync::Arc::new(bits))
            .with_term_maxima(self.term_maxima.clone())
    }

    /// What requiring each word of `terms` means, and the order in which words are made
    /// optional (`None` for a query without words).
    pub fn requirements(
        &self,
        searcher: &tantivy::Searcher,
        terms: &QueryTerms,
    ) -> Result<Option<Requirements>> {
        if terms.words.is_empty() {
            return Ok(None);
        }
        Requirements::new(
            searcher,
            self.index.schema(),
            terms,
            &self.tuning,
            &SEARCH_FIELDS,
            &self.expansions,
        )
        .map(Some)
    }

    /// How many visible records a tier requires the words of (the filters aside): from the
    /// remembered record sets, or counted by query up to [`Tuning::min_results`] (choosing a
    /// tier only asks whether there are enough).
    fn count_tier(
        &self,
        searcher: &tantivy::Searcher,
        selection: &Selection,
        requirements: &Requirements,
        tier: Tier,
        hidden: &[Box<dyn Query>],
    ) -> Result<usize> {
        match self.counting {
            Counting::Sets => {
                let bits = self.select(searcher, selection, true, &requirements.required(tier))?;
                Ok(bits.iter().map(|b| record_sets::count(b) as usize).sum())
            }
            Counting::Query => {
                let Some(filter) = requirements.filter(tier) else {
                    return Ok(usize::MAX);
                };
                let query = self.combine(Some(filter), vec![], hidden);
                count_up_to(searcher, query.as_ref(), self.tuning.min_results)
            }
        }
    }

    /// Which words a result must contain: decided on the words alone (the hidden records
    /// aside), never on the filters: filters only narrow the results, so a facet's count
    /// is what clicking it finds.
    fn choose_tier(
        &self,
        searcher: &tantivy::Searcher,
        requirements: Option<&Requirements>,
        selection: &Selection,
        hidden: &[Box<dyn Query>],
    ) -> Result<Tier> {
        match requirements {
            Some(requirements) => requirements.choose(&self.tuning, |tier| {
                self.count_tier(searcher, selection, requirements, tier, hidden)
            }),
            None => Ok(Tier::AllBut(0)),
        }
    }

    /// The parts of a search's records, for [`RecordSets`]: each query word's clause, each
    /// glossary expansion's, and the lifecycle's hidden records.
    fn selection(&self, terms: &QueryTerms, hidden: &[Box<dyn Query>]) -> Selection {
        let schema = self.index.schema();
        Selection {
            words: terms
                .words
                .iter()
                .map(|word| {
                    let query = word_query(
                        schema,
                        word,
                        &self.tuning,
                        &SEARCH_FIELDS,
                        &self.expansions,
                        Layout::Flat,
                    );
                    Part::word(word, query)
                })
                .collect(),
            concepts: terms
                .expansions
                .iter()
                .map(|e| Part::concept(e, expansion_query(schema, e, &self.tuning, &SEARCH_FIELDS)))
                .collect(),
            covers: terms.expansion_coverage(),
            hidden: hidden.iter().map(|h| Part::filter(h.box_clone())).collect(),
        }
    }

    /// The records of each segment that a search selects, filters aside (see
    /// [`RecordSets::select`]).
    fn select(
        &self,
        searcher: &tantivy::Searcher,
        selection: &Selection,
        text: bool,
        required: &[bool],
    ) -> Result<Vec<record_sets::Bits>> {
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            out.push(
                self.record_sets
                    .select(searcher, reader, selection, text, required)?,
            );
        }
        Ok(out)
    }

    /// `selected` (from [`Searcher::select`]) kept to the records every filter keeps.
    fn narrowed(
        &self,
        searcher: &tantivy::Searcher,
        selected: &[record_sets::Bits],
        filters: Vec<Box<dyn Query>>,
    ) -> Result<Vec<record_sets::Bits>> {
        let filters: Vec<Part> = filters.into_iter().map(Part::filter).collect();
        let mut out = selected.to_vec();
        for (reader, bits) in searcher.segment_readers().iter().zip(&mut out) {
            self.record_sets.narrow(searcher, reader, bits, &filters)?;
        }
        Ok(out)
    }

    /// Runs a search-box request.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        request.check(&RequestLimits::default())?;
        let filters = request.filters.normalized(self.index.provinces())?;
        let searcher = self.reader.searcher();
        let terms = self.parse_query_on(&searcher, &request.q, request.prefix_last);
        let schema = self.index.schema();
        let offset = (request.page - 1) * request.size;
        let sort = if terms.is_empty() {
            Sort::Updated
        } else {
            request.sort
        };

        let hidden = filters.hidden(&searcher, schema)?;
        let clustered = has_clusters(&searcher)?;
        let collapsing = !request.show_duplicates && clustered;
        let wanted = offset + request.size;
        // Collapsing needs the head of the list; a few clusters per page is the norm.
        let collapse_depth = (wanted * 2 + 50).min(2 * MAX_RESULT_DEPTH);
        let facet_dims: Vec<FacetDim> = FacetDim::ALL
            .into_iter()
            .filter(|d| !filters.constrains(*d))
            .collect();
        let requirements = self.requirements(&searcher, &terms)?;
        let required = |tier: Tier| {
            requirements
                .as_ref()
                .map(|r| r.required(tier))
                .unwrap_or_default()
        };
        let selection = self.selection(&terms, &hidden);
        let tier = self.choose_tier(&searcher, requirements.as_ref(), &selection, &hidden)?;
        let text = (!terms.is_empty()).then(|| self.text_query(&terms, &required(tier)));
        let query = self.combine(text, filters.queries(schema, None), &hidden);
        // Cluster keys, read once per record for the whole request.
        let mut keys = ClusterKeys::new(&searcher);
        let facets = FacetCollector::new(
            if request.facets {
                facet_dims.clone()
            } else {
                vec![]
            },
            self.facet_tables.clone(),
            &searcher,
        );
        // The records of the search before filters, from the record sets (selected once:
        // each facet's filters are applied to them apart).
        let selected = match self.counting {
            Counting::Sets => {
                self.select(&searcher, &selection, !terms.is_empty(), &required(tier))?
            }
            Counting::Query => Vec::new(),
        };
        let narrowed = |filters: Vec<Box<dyn Query>>| self.narrowed(&searcher, &selected, filters);
        // The records of the search, counted and faceted apart from the ranking (the
        // ranking query alone when counting by query).
        let counted = match self.counting {
            Counting::Sets => {
                let bits = narrowed(filters.queries(schema, None))?;
                let total = bits.iter().map(|b| record_sets::count(b) as usize).sum();
                let counts = facets.count_bits(&searcher, &bits)?;
                Some((total, counts, bits))
            }
            Counting::Query => None,
        };
        let (total, addresses, mut counts, head) = match sort {
            Sort::Relevance => {
                let long = self.long_text(&searcher, &request.q, &terms);
                // Fusion and collapsing need the whole head of the list; paging
                // happens after them.
                let head = long.is_some() || collapsing;
                let (limit, skip) = if head {
                    let depth = if collapsing { collapse_depth } else { wanted };
                    let floor = if long.is_some() { LONG_TEXT_WINDOW } else { 0 };
                    (depth.max(floor), 0)
                } else {
                    (request.size, offset)
                };
                // A page's clusters are nearly always among its first records: those are
                // ranked first (pruning skips more for a short list), the whole head only
                // when they hold fewer clusters than the page needs.
                let shallow = wanted + wanted / 2 + 5;
                let shallow =
                    (collapsing && long.is_none() && shallow < collapse_depth).then_some(shallow);
                let (hits, total, counts) = match counted {
                    // The search's records are known: rank them by the sum of the scoring
                    // clauses, skipping those that cannot make the list.
                    Some((total, counts, bits)) => {
                        let ranking = self.pruned_query(&searcher, &terms, bits);
                        let hits = match shallow {
                            Some(shallow) => {
                                let hits = ranking.top(&searcher, shallow, 0)?;
                                if hits.len() < shallow
                                    || collapse(&mut keys, &hits, wanted)?.len() == wanted
                                {
                                    hits
                                } else {
                                    ranking.top(&searcher, limit, skip)?
                                }
                            }
                            None => ranking.top(&searcher, limit, skip)?,
                        };
                        (hits, total, counts)
                    }
                    None => {
                        let top = TopDocs::with_limit(limit).and_offset(skip);
                        searcher.search(&query, &(top.order_by_score(), Count, facets))?
                    }
                };
                let mut long_filters = filters.queries(schema, None);
                long_filters.extend(requirements.as_ref().and_then(|r| r.filter(tier)));
                let hits = self.ranked(&searcher, hits, long, long_filters, &hidden)?;
                let hits: Vec<(Option<f32>, DocAddress)> =
                    hits.into_iter().map(|(s, a)| (Some(s), a)).collect();
                (total, hits, counts, head)
            }
            Sort::Updated => {
                let top = if collapsing {
                    TopDocs::with_limit(collapse_depth)
                } else {
                    TopDocs::with_limit(request.size).and_offset(offset)
                }
                .order_by_fast_field::<DateTime>("updated", Order::Desc);
                let (hits, total, counts) = match counted {
                    Some((total, counts, _)) => (searcher.search(&query, &top)?, total, counts),
                    None => searcher.search(&query, &(top, Count, facets))?,
                };
                let hits: Vec<(Option<f32>, DocAddress)> =
                    hits.into_iter().map(|(_, a)| (None, a)).collect();
                (total, hits, counts, collapsing)
            }
        };
        let optional_words = requirements
            .as_ref()
            .map(|r| r.optional_words(tier))
            .unwrap_or_default();
        // The page: clusters collapsed to their best member, then paged.
        let page: Vec<(RankedHit, Option<String>)> = if collapsing {
            collapse(&mut keys, &addresses, wanted)?
                .into_iter()
                .skip(offset)
                .take(request.size)
                .map(|(hit, key)| (hit, Some(key)))
                .collect()
        } else {
            let skip = if head { offset } else { 0 };
            addresses
                .into_iter()
                .skip(skip)
                .take(request.size)
                .map(|hit| (hit, None))
                .collect()
        };

        if request.facets {
            // A constrained dimension is counted with every filter but its own.
            for dim in FacetDim::ALL.into_iter().filter(|d| filters.constrains(*d)) {
                let own_counts =
                    FacetCollector::new(vec![dim], self.facet_tables.clone(), &searcher);
                let mut own = match self.counting {
                    Counting::Sets => own_counts
                        .count_bits(&searcher, &narrowed(filters.queries(schema, Some(dim)))?)?,
                    Counting::Query => {
                        let text =
                            (!terms.is_empty()).then(|| self.text_query(&terms, &required(tier)));
                        let query = self.combine(text, filters.queries(schema, Some(dim)), &hidden);
                        searcher.search(&query, &own_counts)?
                    }
                };
                counts.insert(dim, own.remove(&dim).unwrap_or_default());
            }
        }

        let highlighter = Highlighter::new(&terms);
        let mut hits = Vec::with_capacity(page.len());
        for (i, ((score, address), cluster)) in page.into_iter().enumerate() {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(record) = from_document(schema, &doc) else {
                continue;
            };
            let mut hit = make_hit(&highlighter, record, offset + i + 1, score);
            let key = match cluster {
                Some(key) => Some(key),
                None if clustered => Some(keys.key(address)?),
                None => None,
            };
            if let Some(key) = key {
                if key != hit.id {
                    hit.duplicate_of = Some(key.clone());
                }
                if collapsing {
                    hit.also_listed = also_listed(&searcher, schema, &key, &hit.id, &hidden)?;
                }
            }
            hits.push(hit);
        }
        let did_you_mean = if total == 0 && !terms.is_empty() {
            did_you_mean(&searcher, schema, &request.q, &terms)?
        } else {
            None
        };
        Ok(SearchResponse {
            query: request.q.clone(),
            total: total.min(self.total_cap),
            total_is_lower_bound: total > self.total_cap,
            page: request.page,
            size: request.size,
            hits,
            facets: facet_values(counts),
            did_you_mean,
            relaxed: !optional_words.is_empty(),
            optional_words,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The long-text retrieval of a query and its share of the ranking, when the query is
    /// long enough for one: the demand matcher's key terms (the most informative words and
    /// word pairs by idf, and glossary concepts) as one flat query. Question boilerplate
    /// ("như thế nào", "có được không") is common, so it weighs little there.
    fn long_text(
        &self,
        searcher: &tantivy::Searcher,
        text: &str,
        terms: &QueryTerms,
    ) -> Option<LongText> {
        let share = self.tuning.long_text_share(terms.words.len());
        if share <= 0.0 {
            return None;
        }
        let matcher = DemandMatcher::new(self.clone());
        let demand = Demand {
            title: text.to_string(),
            ..Demand::default()
        };
        let (words, pairs, mut expansions) = matcher.key_terms(&demand);
        if words.is_empty() && pairs.is_empty() && expansions.is_empty() {
            return None;
        }
        self.mark_indexed_concepts(searcher, &mut expansions);
        Some(LongText {
            query: matcher.retrieval_query(&words, &pairs, &expansions),
            share,
            matcher,
            words,
            pairs,
            expansions,
        })
    }

    /// Ranks by the search-box query, fused with the long-text retrieval for long queries.
    /// Returns at least `depth` hits when that many match, best first.
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        short: Vec<(f32, DocAddress)>,
        long: Option<LongText>,
        filters: Vec<Box<dyn Query>>,
        hidden: &[Box<dyn Query>],
    ) -> Result<Vec<(f32, DocAddress)>> {
        let Some(long) = long else {
            return Ok(short);
        };
        let query = self.combine(Some(long.query), filters, hidden);
        let long_hits = searcher.search(
            &query,
            &TopDocs::with_limit(LONG_TEXT_WINDOW).order_by_score(),
        )?;
        let long_hits = long.matcher.rerank_by_coverage(
            searcher,
            &long_hits,
            &long.words,
            &long.pairs,
            &long.expansions,
        )?;
        Ok(fuse(&short, &long_hits, long.share))
    }

    /// Ids and scores of the best `top` records for a query text, without snippets or facets
    /// (run files for evaluation): the search box's results in its order, then, when they
    /// are fewer than `top`, the records that match fewer of the words, in the order of the
    /// same ranking.
    pub fn search_ids(&self, q: &str, top: usize) -> Result<Vec<(String, f32)>> {
        let searcher = self.reader.searcher();
        let terms = self.parse_query_on(&searcher, q, true);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let schema = self.index.schema();
        let hidden = Filters::default().hidden(&searcher, schema)?;
        let requirements = self.requirements(&searcher, &terms)?;
        let selection = self.selection(&terms, &hidden);
        let tier = self.choose_tier(&searcher, requirements.as_ref(), &selection, &hidden)?;
        let ranking = |tier: Tier| -> Result<Vec<(f32, DocAddress)>> {
            let (required, filter) = match &requirements {
                Some(r) => (r.required(tier), r.filter(tier)),
                None => (Vec::new(), None),
            };
            let query = self.combine(Some(self.text_query(&terms, &required)), vec![], &hidden);
            let long = self.long_text(&searcher, q, &terms);
            let depth = if long.is_some() {
                top.max(LONG_TEXT_WINDOW)
            } else {
                top.max(1)
            };
            let hits = searcher.search(&query, &TopDocs::with_limit(depth).order_by_score())?;
            let mut hits =
                self.ranked(&searcher, hits, long, filter.into_iter().collect(), &hidden)?;
            hits.truncate(top);
            Ok(hits)
        };
        let mut hits = ranking(tier)?;
        let narrowed = requirements.as_ref().is_some_and(|r| r.narrows(tier));
        if hits.len() < top && narrowed {
            let listed: std::collections::HashSet<DocAddress> = hits.iter().map(|h| h.1).collect();
            let rest: Vec<(f32, DocAddress)> = ranking(Tier::AnyWord)?
                .into_iter()
                .filter(|h| !listed.contains(&h.1))
                .collect();
            // The records with fewer of the words come after the results, in their own
            // order, their scores scaled below the last result's so that a run file's
            // scores keep the list's order (trec_eval sorts by score).
            let floor = hits.last().map_or(f32::MAX, |h| h.0);
            let top_rest = rest.first().map_or(0.0, |h| h.0);
            let scale = if top_rest >= floor && top_rest > 0.0 {
                floor / top_rest * 0.999
            } else {
                1.0
            };
            hits.extend(
                rest.into_iter()
                    .map(|(score, address)| (score * scale, address)),
            );
            hits.truncate(top);
        }
        hits.into_iter()
            .map(|(score, address)| Ok((stored_id(&searcher, schema, address)?, score)))
            .collect()
    }
}

/// A hit of a ranked list: its score (none when sorted by date) and address.
type RankedHit = (Option<f32>, DocAddress);

/// The long-text side of a search-box query.
struct LongText {
    /// The flat key-term query.
    query: Box<dyn Query>,
    /// Its share of the fused ranking.
    share: f32,
    matcher: DemandMatcher,
    words: Vec<KeyTerm>,
    pairs: Vec<KeyTerm>,
    expansions: Vec<crate::glossary::Expansion>,
}

/// How many of the long-text retrieval's best records take part in a fusion.
pub const LONG_TEXT_WINDOW: usize = 200;

/// Fuses two rankings: each score divided by its list's best, weighted `1 - share` and
/// `share`, summed per record, and given back in the short list's units (times its best
/// score, so scores do not jump as the share grows from 0); best first (ties by address,
/// so the order is stable and paging through it is consistent).
pub fn fuse(
    short: &[(f32, DocAddress)],
    long: &[(f32, DocAddress)],
    share: f32,
) -> Vec<(f32, DocAddress)> {
    let best = |hits: &[(f32, DocAddress)]| {
        hits.iter()
            .map(|h| h.0)
            .fold(0.0f32, f32::max)
            .max(f32::EPSILON)
    };
    let (best_short, best_long) = (best(short), best(long));
    let mut fused: std::collections::HashMap<DocAddress, f32> =
        std::collections::HashMap::with_capacity(short.len() + long.len());
    for (score, address) in short {
        *fused.entry(*address).or_default() += (1.0 - share) * score / best_short;
    }
    for (score, address) in long {
        *fused.entry(*address).or_default() += share * score / best_long;
    }
    let unit = if short.is_empty() { 1.0 } else { best_short };
    let mut ranked: Vec<(f32, DocAddress)> =
        fused.into_iter().map(|(a, s)| (s * unit, a)).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    ranked
}

/// The number of live records matching `query`, counted up to `limit` and no further (the
/// tiers of [`Requirements`] only ask whether there are enough: stopping there keeps the
/// question cheap whatever the number of matches).
pub fn count_up_to(searcher: &tantivy::Searcher, query: &dyn Query, limit: usize) -> Result<usize> {
    use tantivy::query::EnableScoring;
    use tantivy::DocSet as _;
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut found = 0;
    for reader in searcher.segment_readers() {
        if found >= limit {
            break;
        }
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != tantivy::TERMINATED && found < limit {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                found += 1;
            }
            doc = scorer.advance();
        }
    }
    Ok(found)
}

/// Reads the id of a hit from its fast field.
pub fn stored_id(
    searcher: &tantivy::Searcher,
    schema: &techmatch_indexer::SupplySchema,
    address: DocAddress,
) -> Result<String> {
    let _ = schema;
    let segment = searcher.segment_reader(address.segment_ord);
    let column = segment
        .fast_fields()
        .str("id")?
        .ok_or_else(|| QueryError::Corrupt("the index has no id column".into()))?;
    let mut id = String::new();
    if let Some(ord) = column.term_ords(address.doc_id).next() {
        column.ord_to_str(ord, &mut id)?;
    }
    Ok(id)
}

/// Checks the length of a query text against the limits (the error names `q`).
pub fn check_query_length(q: &str, limits: &RequestLimits) -> Result<()> {
    let chars = q.chars().count();
    if chars > limits.max_query_chars {
        return Err(QueryError::Invalid(format!(
            "q: longer than {} characters ({chars})",
            limits.max_query_chars
        )));
    }
    Ok(())
}

impl SearchRequest {
    /// Checks the text length and the paging against the limits; errors name the
    /// parameter.
    pub fn check(&self, limits: &RequestLimits) -> Result<()> {
        check_query_length(&self.q, limits)?;
        if self.size == 0 || self.size > limits.max_page_size {
            return Err(QueryError::Invalid(format!(
                "size: must be between 1 and {}, found {}",
                limits.max_page_size, self.size
            )));
        }
        if self.page == 0 {
            return Err(QueryError::Invalid("page: pages start at 1".into()));
        }
        if self.page.saturating_mul(self.size) > limits.max_result_depth {
            return Err(QueryError::Invalid(format!(
                "page: results deeper than {} are not served; narrow the search with filters",
                limits.max_result_depth
            )));
        }
        Ok(())
    }
}

fn make_hit(highlighter: &Highlighter, mut record: Supply, rank: usize, score: Option<f32>) -> Hit {
    let mut matched: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let title = highlighter.highlight_all(&record.title);
    if !title.matched.is_empty() {
        matched.insert("title", title.matched.clone());
    }
    let keywords = highlighter.spans(&record.keywords.join("\n")).1;
    if !keywords.is_empty() {
        matched.insert("keywords", keywords.into_iter().collect());
    }
    let summary: Option<Highlight> = record
        .summary
        .as_deref()
        .map(|s| highlighter.snippet(s, SNIPPET_CHARS));
    let description: Option<Highlight> = record
        .description
        .as_deref()
        .map(|d| highlighter.snippet(d, SNIPPET_CHARS));
    for (name, highlight) in [("summary", &summary), ("description", &description)] {
        if let Some(h) = highlight.as_ref().filter(|h| !h.matched.is_empty()) {
            matched.insert(name, h.matched.clone());
        }
    }
    let snippet_html = match (&description, &summary) {
        (Some(d), _) if !d.matched.is_empty() => d.html.clone(),
        (_, Some(s)) => s.html.clone(),
        (Some(d), None) => d.html.clone(),
        (None, None) => String::new(),
    };
    record.description = None;
    let mut glossary = std::collections::BTreeSet::new();
    for terms in matched.values_mut() {
        terms.retain(|t| match t.strip_prefix(crate::highlight::CONCEPT_MARK) {
            Some(concept) => {
                glossary.insert(concept.to_string());
                false
            }
            None => true,
        });
    }
    matched.retain(|_, terms| !terms.is_empty());
    Hit {
        id: record.id.clone(),
        rank,
        score,
        title_html: title.html,
        snippet_html,
        matched,
        glossary: glossary.into_iter().collect(),
        duplicate_of: None,
        also_listed: Vec::new(),
        record,
    }
}

fn facet_values(counts: FacetCounts) -> BTreeMap<FacetDim, Vec<FacetValue>> {
    counts
        .into_iter()
        .map(|(dim, values)| {
            let mut list: Vec<FacetValue> = values
                .into_iter()
                .map(|(value, count)| FacetValue {
                    label: match dim {
                        FacetDim::Sector => sector_name_vi(&value).map(str::to_string),
                        _ => None,
                    },
                    value,
                    count,
                })
                .collect();
            if dim == FacetDim::Trl {
                list.sort_by_key(|v| v.value.parse::<u8>().unwrap_or(0));
            } else {
                list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            }
            (dim, list)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn fusion_normalises_each_list_and_weighs_them() {
        let short = [(10.0, at(1)), (5.0, at(2)), (2.0, at(3))];
        let long = [(0.9, at(3)), (0.3, at(4))];
        let fused = fuse(&short, &long, 0.5);
        let got: Vec<(u32, f32)> = fused.iter().map(|(s, a)| (a.doc_id, *s)).collect();
        // In units of the short list's best (10): 1: 0.5; 3: 0.1 + 0.5; 2: 0.25;
        // 4: 0.5 * 0.3 / 0.9.
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [3, 1, 2, 4]);
        assert!((got[0].1 - 6.0).abs() < 1e-5);
        assert!((got[3].1 - 5.0 / 3.0).abs() < 1e-5);
        // Share 0 keeps the short order; ties break by address.
        let plain = fuse(&short, &[], 0.0);
        assert_eq!(
            plain.iter().map(|h| h.1.doc_id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(fuse(&[], &[], 0.7).is_empty());
    }

    #[test]
    fn the_long_text_share_grows_smoothly_with_the_length() {
        let tuning = Tuning::default();
        let shares: Vec<f32> = (0..30).map(|n| tuning.long_text_share(n)).collect();
        assert!(shares[..=4].iter().all(|s| *s == 0.0), "{shares:?}");
        assert!(shares
            .windows(2)
            .all(|w| w[1] >= w[0] && w[1] - w[0] <= 0.1 + 1e-6));
        assert_eq!(shares[12], tuning.long_text_weight);
        assert_eq!(shares[29], tuning.long_text_weight);
        let off = Tuning {
            long_text_weight: 0.0,
            ..Tuning::default()
        };
        assert!((0..100).all(|n| off.long_text_share(n) == 0.0));
    }
}
