//! Completions for the search box, and "did you mean" corrections from the index vocabulary.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::schema::Value;
use tantivy::{DocAddress, DocId, SegmentReader, TantivyDocument, Term};
use techmatch_analysis::{analyze_words, fold_token, TokenStreamKind, Word};
use techmatch_indexer::{SupplySchema, TextField};

use crate::build::{bigram_query, word_query, Layout, Tuning};
use crate::error::Result;
use crate::expand::{Expansion as Expand, ExpansionCache};
use crate::highlight::Highlighter;
use crate::record_sets::{self, word_key, Bits, LengthOrder, Part, RecordSets};
use crate::search::Searcher;
use crate::terms::{QueryTerms, QueryWord};

/// Most completions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// Most records read from the store for the titles of one request: enough to get past
/// offers listed under the same title.
const MAX_TITLE_RECORDS: usize = 48;

/// Most records read from the store for the keywords of one request (a record holds
/// several keywords).
const MAX_KEYWORD_RECORDS: usize = 24;

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// Plain text to put in the search box.
    pub text: String,
    /// The same text with the typed part highlighted (HTML-escaped).
    pub html: String,
    /// `title` or `keyword`.
    pub kind: &'static str,
    /// The record, for title suggestions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What a suggestion reads of a record (from its stored source).
#[derive(Debug, Deserialize)]
pub(crate) struct Completable {
    id: String,
    title: String,
    #[serde(default)]
    keywords: Vec<String>,
}

/// The records read for suggestions, kept per segment and record (segments never change):
/// the short titles that complete common words are asked for again and again.
pub(crate) type Completables = moka::sync::Cache<(SegmentId, DocId), Arc<Completable>>;

/// Bytes of records kept for suggestions by default (per searcher).
pub const DEFAULT_COMPLETABLE_BYTES: u64 = 16 << 20;

/// An empty cache of records read for suggestions, holding about `max_bytes`.
pub(crate) fn completables(max_bytes: u64) -> Completables {
    moka::sync::Cache::builder()
        .max_capacity(max_bytes)
        .weigher(|_, record: &Arc<Completable>| {
            let text = record.id.len()
                + record.title.len()
                + record.keywords.iter().map(|k| k.len() + 24).sum::<usize>();
            u32::try_from(text + 96).unwrap_or(u32::MAX)
        })
        .build()
}

/// A record that may complete the typed text, in the order suggestions are tried: rank
/// bucket first (see [`Searcher::suggest`]), then the field's length, then index order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    bucket: u8,
    length: u8,
    segment: u32,
    doc: DocId,
}

/// The remembered sets one suggestion request is put together from.
struct SuggestParts {
    /// Per word: its records by its title, and by its keywords (any form of the word).
    title_words: Vec<Part>,
    keyword_words: Vec<Part>,
    /// Per pair of adjacent words: the records with them side by side.
    pairs: Vec<Part>,
    /// Per word typed with diacritics: the records with the word as typed.
    exact: Vec<Part>,
    hidden: Vec<Part>,
}

impl SuggestParts {
    fn new(
        schema: &SupplySchema,
        terms: &QueryTerms,
        tuning: &Tuning,
        expansions: &std::sync::Arc<ExpansionCache>,
        hidden: &[Box<dyn Query>],
    ) -> SuggestParts {
        let word_in = |field: TextField, tag: &str| -> Vec<Part> {
            terms
                .words
                .iter()
                .map(|word| {
                    let query =
                        word_query(schema, word, tuning, &[field], expansions, Layout::Flat);
                    Part::suggestion(format!("suggest|{tag}|{}", word_key(word)), query)
                })
                .collect()
        };
        let pairs = terms
            .bigrams
            .iter()
            .map(|pair| {
                let fields = [TextField::Title, TextField::Keywords];
                let query = bigram_query(schema, pair, tuning, &fields, expansions);
                let key = format!(
                    "suggest|pair|{}|{}|{}{}",
                    pair.exact,
                    pair.folded,
                    u8::from(pair.has_marks),
                    u8::from(pair.prefix)
                );
                Part::suggestion(key, query)
            })
            .collect();
        let exact = terms
            .words
            .iter()
            .filter(|word| word.has_marks && !word.acronym)
            .map(|word| {
                let mut ways: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for field in [TextField::Title, TextField::Keywords] {
                    let field = schema.text_field(field, TokenStreamKind::Exact);
                    // The exact streams' completions serve suggestions only, whose own
                    // cache keeps the set: not remembered among the searches' expansions.
                    let way: Box<dyn Query> = if word.prefix {
                        Box::new(expansions.query(field, &word.exact, Expand::Prefix))
                    } else {
                        Box::new(tantivy::query::TermQuery::new(
                            Term::from_field_text(field, &word.exact),
                            IndexRecordOption::Basic,
                        ))
                    };
                    ways.push((Occur::Should, way));
                }
                let query = Box::new(BooleanQuery::new(ways));
                Part::suggestion(format!("suggest|exact|{}", word_key(word)), query)
            })
            .collect();
        SuggestParts {
            title_words: word_in(TextField::Title, "title"),
            keyword_words: word_in(TextField::Keywords, "keywords"),
            pairs,
            exact,
            hidden: hidden.iter().map(|h| Part::filter(h.box_clone())).collect(),
        }
    }

    /// The records of `reader` that hold every part of `parts` (all of them when there are
    /// none), or `None` when there are none.
    fn every(
        sets: &RecordSets,
        searcher: &tantivy::Searcher,
        reader: &SegmentReader,
        parts: &[Part],
    ) -> tantivy::Result<Option<Bits>> {
        let Some((first, rest)) = parts.split_first() else {
            return Ok(None);
        };
        let words = record_sets::words_for(reader.max_doc());
        let mut bits = sets.get(searcher, reader, first)?.to_bits(words);
        for part in rest {
            if bits.iter().all(|&w| w == 0) {
                break;
            }
            sets.get(searcher, reader, part)?.and_into(&mut bits);
        }
        Ok(Some(bits))
    }

    /// The live, visible records of `reader` holding every word in its title (`lists[0]`)
    /// and in its keywords (`lists[1]`).
    fn bases(
        &self,
        sets: &RecordSets,
        searcher: &tantivy::Searcher,
        reader: &SegmentReader,
    ) -> tantivy::Result<[Bits; 2]> {
        let alive = sets.alive(reader);
        let mut lists: [Bits; 2] = [Vec::new(), Vec::new()];
        for (list, words) in [&self.title_words, &self.keyword_words]
            .into_iter()
            .enumerate()
        {
            let Some(mut base) = Self::every(sets, searcher, reader, words)? else {
                continue;
            };
            if base.iter().any(|&w| w != 0) {
                for hidden in &self.hidden {
                    sets.get(searcher, reader, hidden)?.and_not_into(&mut base);
                }
                if let Some(alive) = &alive {
                    alive.and_into(&mut base);
                }
            }
            lists[list] = base;
        }
        Ok(lists)
    }

    /// The records of `base` (records of `reader`) to read first for one list, at most
    /// `wanted`. With `ranked`, by rank bucket then length (see [`Searcher::suggest`]);
    /// without (every record of every segment is read), by length.
    #[allow(clippy::too_many_arguments)]
    fn best(
        &self,
        sets: &RecordSets,
        searcher: &tantivy::Searcher,
        (ord, reader): (usize, &SegmentReader),
        base: &[u64],
        norm_field: tantivy::schema::Field,
        wanted: usize,
        ranked: bool,
    ) -> tantivy::Result<Vec<Candidate>> {
        let mut out = Vec::new();
        let norms = reader.get_fieldnorms_reader(norm_field)?;
        let length = |doc: DocId| norms.fieldnorm_id(doc);
        let candidate = |bucket: u8, (length, doc): (u8, DocId)| Candidate {
            bucket,
            length,
            segment: ord as u32,
            doc,
        };
        if !ranked {
            record_sets::for_each_doc(base, |doc| out.push(candidate(0, (length(doc), doc))));
            return Ok(out);
        }
        let pairs = Self::every(sets, searcher, reader, &self.pairs)?;
        let exact = Self::every(sets, searcher, reader, &self.exact)?;
        let mut order: Option<Arc<LengthOrder>> = None;
        for bucket in 0..4u8 {
            let need = wanted - out.len();
            if need == 0 {
                break;
            }
            // Bucket 0: every accented word as typed and every pair side by side; 1: as
            // typed; 2: side by side; 3: the rest.
            let as_typed = bucket < 2;
            let side_by_side = bucket % 2 == 0;
            if (pairs.is_none() && !side_by_side) || (exact.is_none() && !as_typed) {
                continue;
            }
            let bits: Bits = base
                .iter()
                .enumerate()
                .map(|(i, &w)| {
                    let p = pairs.as_ref().map_or(u64::MAX, |p| p[i]);
                    let e = exact.as_ref().map_or(u64::MAX, |e| e[i]);
                    w & if side_by_side { p } else { !p } & if as_typed { e } else { !e }
                })
                .collect();
            let count = record_sets::count(&bits) as usize;
            // Walking the records shortest first until `need` are found reads about
            // need × max_doc / count of them; else the set is read once.
            let walk = count > need && need * (reader.max_doc() as usize) < count * count;
            let by_length = if walk {
                match &order {
                    Some(order) => Some(order.clone()),
                    None => Some(order.insert(sets.by_length(reader, norm_field)?).clone()),
                }
            } else {
                None
            };
            for found in shortest(&bits, need, length, by_length.as_deref()) {
                out.push(candidate(bucket, found));
            }
        }
        Ok(out)
    }
}

/// Records of one length taken, at most, for one rank bucket: offers listed under the
/// same title have the same length, so the list reaches past them to other titles.
const PER_LENGTH: usize = 3;

/// The `need` records of `bits` with the smallest `length` (then the smallest ids), at most
/// [`PER_LENGTH`] of each length, in that order; `by_length`, every record of the segment
/// in that order, is walked when given, else the set is read once.
fn shortest(
    bits: &[u64],
    need: usize,
    length: impl Fn(DocId) -> u8,
    by_length: Option<&LengthOrder>,
) -> Vec<(u8, DocId)> {
    let holds = |doc: DocId| bits[doc as usize / 64] & (1 << (doc % 64)) != 0;
    let mut out = Vec::with_capacity(need);
    if let Some(order) = by_length {
        for l in 0..256usize {
            let mut taken = 0;
            for &doc in &order.docs[order.starts[l]..order.starts[l + 1]] {
                if out.len() == need || taken == PER_LENGTH {
                    break;
                }
                if holds(doc) {
                    out.push((l as u8, doc));
                    taken += 1;
                }
            }
        }
        return out;
    }
    let mut taken = [0usize; 256];
    record_sets::for_each_doc(bits, |doc| {
        let l = length(doc);
        if taken[l as usize] < PER_LENGTH {
            taken[l as usize] += 1;
            out.push((l, doc));
        }
    });
    out.sort_unstable();
    out.truncate(need);
    out
}

/// How well a text completes the typed words, best first: every word typed with
/// diacritics found with them (in Vietnamese other marks make another word), the words
/// side by side in the order typed, the text starting with them, fewer words in all.
type CompletionRank = (bool, bool, bool, usize);

fn completion_rank(terms: &QueryTerms, text: &str) -> CompletionRank {
    let analysis = analyze_words(text);
    let words: Vec<Word<'_>> = analysis.words().collect();
    let typed = &terms.words;
    let is = |word: &Word<'_>, query: &QueryWord| {
        word.folded == query.folded
            || query.variants.iter().any(|v| v == word.folded)
            || (query.prefix && word.folded.starts_with(query.folded.as_str()))
    };
    let as_typed = |word: &Word<'_>, query: &QueryWord| {
        if query.prefix {
            word.exact.starts_with(query.exact.as_str())
        } else {
            word.exact == query.exact
        }
    };
    let side_by_side: Vec<usize> = (0..words.len())
        .filter(|&start| {
            start + typed.len() <= words.len()
                && typed
                    .iter()
                    .enumerate()
                    .all(|(i, query)| is(&words[start + i], query))
        })
        .collect();
    let with_marks = typed
        .iter()
        .filter(|query| query.has_marks && !query.acronym)
        .all(|query| words.iter().any(|w| is(w, query) && as_typed(w, query)));
    (
        !with_marks,
        side_by_side.is_empty(),
        side_by_side.first() != Some(&0),
        words.len(),
    )
}

impl Searcher {
    /// Up to `limit` titles and keywords that complete what has been typed so far: every
    /// word in the title (or in one keyword), any form of it (diacritics or not, a typo in
    /// a long word), the last word counting as a prefix. Hidden records (closed, withdrawn,
    /// expired) are not suggested.
    ///
    /// Completions are ranked by rules, not by a relevance score: all the records hold
    /// every word, so what tells them apart is how the words stand in them. First those
    /// with every word typed with diacritics found with those diacritics and the words side
    /// by side, then those with the diacritics, then those side by side, then the rest;
    /// within each, the shorter title (or keyword list) first. The texts found are then
    /// ordered by the same rules on the texts themselves ([`CompletionRank`]). A finished
    /// word is matched with typos only when the titles and keywords do not hold it as typed.
    /// Each rule is a remembered record set per segment ([`crate::record_sets`]) and the
    /// length is one byte per record, so a completion costs a few set operations and the
    /// reading of the few records shown, however many records hold the words.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>> {
        let limit = limit.clamp(1, MAX_SUGGESTIONS);
        let mut terms = QueryTerms::parse(prefix, true);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let schema = self.index().schema();
        let searcher = self.reader().searcher();
        // A finished word found as typed in titles or keywords is completed as typed: its
        // typo neighbours are other words, not what was meant.
        let fields = [TextField::Title, TextField::Keywords];
        for word in terms.words.iter_mut().filter(|w| w.fuzzy && !w.prefix) {
            word.fuzzy = doc_freq(&searcher, schema, &word.folded, &fields)? == 0;
        }
        let hidden = crate::filters::Filters::default().hidden(&searcher, schema)?;
        let parts = SuggestParts::new(schema, &terms, self.tuning(), self.expansions(), &hidden);
        let sets = self.record_sets();
        let readers = searcher.segment_readers();
        let bases = readers
            .iter()
            .map(|reader| parts.bases(sets, &searcher, reader))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut lists: [Vec<Candidate>; 2] = [Vec::new(), Vec::new()];
        for (list, field, wanted) in [
            (0, TextField::Title, MAX_TITLE_RECORDS),
            (1, TextField::Keywords, MAX_KEYWORD_RECORDS),
        ] {
            let norm_field = schema.text_field(field, TokenStreamKind::Folded);
            let counts: Vec<u64> = bases.iter().map(|b| record_sets::count(&b[list])).collect();
            // When every record can be read, the texts alone are ranked.
            let ranked = counts.iter().sum::<u64>() > wanted as u64;
            for ((segment, base), count) in readers.iter().enumerate().zip(&bases).zip(counts) {
                if count == 0 {
                    continue;
                }
                let best = parts.best(
                    sets,
                    &searcher,
                    segment,
                    &base[list],
                    norm_field,
                    wanted,
                    ranked,
                )?;
                lists[list].extend(best);
            }
            lists[list].sort_unstable();
        }
        let [titles, keywords] = lists;

        let highlighter = Highlighter::new(&terms);
        let wanted = terms.words.len();
        let record = |candidate: &Candidate| -> Result<Option<Arc<Completable>>> {
            let reader = &readers[candidate.segment as usize];
            let key = (reader.segment_id(), candidate.doc);
            if let Some(found) = self.completables().get(&key) {
                return Ok(Some(found));
            }
            let doc: TantivyDocument =
                searcher.doc(DocAddress::new(candidate.segment, candidate.doc))?;
            let found = doc
                .get_first(schema.source)
                .and_then(|source| source.as_str())
                .and_then(|source| serde_json::from_str::<Completable>(source).ok())
                .map(Arc::new);
            if let Some(found) = &found {
                self.completables().insert(key, found.clone());
            }
            Ok(found)
        };
        let folded = |text: &str| techmatch_analysis::fold_diacritics(&text.to_lowercase());

        // Suggestions found, each with its rank as a text; kept in the order found among
        // equals.
        let mut title_suggestions: Vec<(CompletionRank, Suggestion)> = Vec::new();
        let mut seen_titles: Vec<String> = Vec::new();
        for candidate in titles.iter().take(MAX_TITLE_RECORDS) {
            if title_suggestions.len() == limit {
                break;
            }
            let Some(record) = record(candidate)? else {
                continue;
            };
            // The same offer from two sources suggests its title once.
            let key = folded(&record.title);
            if seen_titles.contains(&key) {
                continue;
            }
            let title = highlighter.highlight_all(&record.title);
            if title.matched.len() == wanted {
                seen_titles.push(key);
                title_suggestions.push((
                    completion_rank(&terms, &record.title),
                    Suggestion {
                        text: record.title.clone(),
                        html: title.html,
                        kind: "title",
                        id: Some(record.id.clone()),
                    },
                ));
            }
        }
        // Keywords are gathered beyond the limit: a record holding one good completion often
        // holds weaker ones beside it.
        let mut keyword_suggestions: Vec<(CompletionRank, Suggestion)> = Vec::new();
        let mut seen_keywords: Vec<String> = Vec::new();
        'records: for candidate in keywords.iter().take(MAX_KEYWORD_RECORDS) {
            let Some(record) = record(candidate)? else {
                continue;
            };
            for keyword in &record.keywords {
                if keyword_suggestions.len() == 2 * limit {
                    break 'records;
                }
                let key = folded(keyword);
                if seen_keywords.contains(&key) {
                    continue;
                }
                let highlight = highlighter.highlight_all(keyword);
                if highlight.matched.len() == wanted {
                    seen_keywords.push(key);
                    keyword_suggestions.push((
                        completion_rank(&terms, keyword),
                        Suggestion {
                            text: keyword.to_string(),
                            html: highlight.html,
                            kind: "keyword",
                            id: None,
                        },
                    ));
                }
            }
        }

        title_suggestions.sort_by_key(|(rank, _)| *rank);
        keyword_suggestions.sort_by_key(|(rank, _)| *rank);
        let mut out = Vec::with_capacity(limit);
        let mut t = title_suggestions.into_iter().map(|(_, s)| s);
        let mut k = keyword_suggestions.into_iter().map(|(_, s)| s);
        while out.len() < limit {
            match (k.next(), t.next()) {
                (None, None) => break,
                (keyword, title) => {
                    out.extend(keyword.into_iter().chain(title).take(limit - out.len()))
                }
            }
        }
        Ok(out)
    }
}

/// Fields whose vocabulary corrections come from.
const VOCABULARY_FIELDS: [TextField; 3] =
    [TextField::Title, TextField::Keywords, TextField::Summary];

/// How many records hold the folded word in each of `fields`, summed over the fields.
pub(crate) fn doc_freq(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    folded: &str,
    fields: &[TextField],
) -> Result<u64> {
    let mut total = 0;
    for &field in fields {
        let term = Term::from_field_text(schema.text_field(field, TokenStreamKind::Folded), folded);
        total += searcher.doc_freq(&term)?;
    }
    Ok(total)
}

/// The closest known word to an unknown one: edit distance 1 (2 for words of 7+ letters),
/// then the most frequent.
fn closest_known(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    word: &str,
) -> Result<Option<String>> {
    let word_chars = word.chars().count();
    let max_distance = if word_chars >= 7 { 2 } else { 1 };
    let Some(first) = word.chars().next() else {
        return Ok(None);
    };
    let mut best: Option<(usize, u64, String)> = None;
    for field in VOCABULARY_FIELDS {
        let field = schema.text_field(field, TokenStreamKind::Folded);
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut upper = first.to_string();
            upper.push(char::MAX);
            let mut stream = inverted
                .terms()
                .range()
                .ge(first.to_string().as_bytes())
                .lt(upper.as_bytes())
                .into_stream()?;
            while stream.advance() {
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                // Lengths further apart than the distance allowed cannot be within it.
                if candidate.chars().count().abs_diff(word_chars) > max_distance {
                    continue;
                }
                // Counted as the index's typo matches count (transpositions are one edit).
                let distance = strsim::osa_distance(word, candidate);
                if distance == 0 || distance > max_distance {
                    continue;
                }
                let freq = u64::from(stream.value().doc_freq);
                let better = match &best {
                    None => true,
                    Some((d, f, _)) => distance < *d || (distance == *d && freq > *f),
                };
                if better {
                    best = Some((distance, freq, candidate.to_string()));
                }
            }
        }
    }
    Ok(best.map(|(_, _, word)| word))
}

/// A corrected query when some words are unknown to the index, or `None`.
pub fn did_you_mean(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    text: &str,
    terms: &QueryTerms,
) -> Result<Option<String>> {
    let mut corrected = Vec::new();
    let mut changed = false;
    for word in &terms.words {
        if word.folded.chars().any(|c| c.is_ascii_digit())
            || doc_freq(searcher, schema, &word.folded, &TextField::ALL)? > 0
        {
            corrected.push(word.surface.clone());
            continue;
        }
        match closest_known(searcher, schema, &fold_token(&word.exact))? {
            Some(replacement) => {
                corrected.push(replacement);
                changed = true;
            }
            None => corrected.push(word.surface.clone()),
        }
    }
    let _ = text;
    Ok(changed.then(|| corrected.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Walking the records shortest first and reading the set pick the records a
        /// brute-force count picks, in the same order.
        #[test]
        fn the_shortest_records_whichever_way_they_are_found(
            lengths in proptest::collection::vec(0u8..6, 1..400),
            members in proptest::collection::vec(any::<bool>(), 400),
            need in 1usize..40,
        ) {
            let max_doc = lengths.len();
            let mut bits = vec![0u64; max_doc.div_ceil(64)];
            for doc in (0..max_doc).filter(|&d| members[d]) {
                bits[doc / 64] |= 1 << (doc % 64);
            }
            let length = |doc: DocId| lengths[doc as usize];
            let mut docs: Vec<DocId> = (0..max_doc as DocId).collect();
            docs.sort_by_key(|&d| (lengths[d as usize], d));
            let mut starts = [0usize; 257];
            for l in 0..256 {
                starts[l + 1] = starts[l] + lengths.iter().filter(|&&x| x as usize == l).count();
            }
            let order = LengthOrder { docs: docs.into_boxed_slice(), starts };
            // By brute force: each length's first records, shortest first, then cut.
            let mut expected: Vec<(u8, DocId)> = Vec::new();
            for l in 0u8..6 {
                expected.extend(
                    (0..max_doc as DocId)
                        .filter(|&d| members[d as usize] && lengths[d as usize] == l)
                        .take(PER_LENGTH)
                        .map(|d| (l, d)),
                );
            }
            expected.truncate(need);
            prop_assert_eq!(&shortest(&bits, need, length, None), &expected);
            prop_assert_eq!(&shortest(&bits, need, length, Some(&order)), &expected);
        }
    }

    #[test]
    fn a_completion_ranks_by_marks_then_side_by_side_then_start_then_length() {
        let terms = QueryTerms::parse("máy cắ", true);
        let rank = |text: &str| completion_rank(&terms, text);
        assert_eq!(rank("Máy cắt cỏ"), (false, false, false, 3));
        assert_eq!(rank("Dây chuyền máy cắt"), (false, false, true, 4));
        assert_eq!(rank("Máy nông nghiệp cắt cỏ"), (false, true, true, 5));
        assert_eq!(rank("Máy cày"), (true, false, false, 2));
        // Old and new tone placement, NFD input: the same word as typed.
        assert_eq!(rank("MA\u{301}Y CĂ\u{301}T"), (false, false, false, 2));
    }
}
