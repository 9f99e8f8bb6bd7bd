//! The bridge vocabulary: technology concepts with their Vietnamese variants, English and
//! Chinese terms and acronyms, used to expand queries and demands across vocabularies and
//! languages.
//!
//! File format (`index-data/glossary.tsv`, UTF-8, tab-separated; `#` starts a comment line):
//!
//! ```text
//! concept<TAB>sector<TAB>vi<TAB>en<TAB>zh<TAB>abbr
//! reverse_osmosis<TAB>environment<TAB>thẩm thấu ngược | lọc RO<TAB>reverse osmosis<TAB>反渗透<TAB>RO
//! ```
//!
//! Cells hold alternatives separated by `|`. `concept` is a unique id, `sector` one of the
//! sector codes (or empty); at least one term is required. A user may replace the file or
//! add their own (`--glossary FILE`).
//!
//! Matching: every term is analysed with the record analyzer; a concept matches a text when
//! the folded tokens of one of its terms appear consecutively in the text's folded tokens
//! (Chinese terms: as a substring of the text). Acronyms of two letters match only when
//! written in capitals in the text, so "RO" expands but "rõ" (folded "ro") does not.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::record::SECTORS;
use techmatch_analysis::{analyze, has_diacritics, segment::is_cjk, Analysis};

/// The bundled glossary.
pub const BUNDLED_GLOSSARY: &str = include_str!("../data/glossary.tsv");

/// The language of a glossary term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TermLang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
    /// Chinese.
    Zh,
    /// Acronym or code.
    Abbr,
}

/// One term of a concept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryTerm {
    /// As written in the glossary.
    pub text: String,
    /// Its column.
    pub lang: TermLang,
    /// Folded tokens (empty for Chinese terms, matched by substring).
    pub tokens: Vec<String>,
    /// Exact tokens (with diacritics), aligned with `tokens`.
    pub exact: Vec<String>,
    /// Folded main tokens as the index holds them (Chinese included), for querying: see
    /// [`GlossaryTerm::query_tokens`].
    query_tokens: QueryTokens,
}

impl GlossaryTerm {
    /// Folded main tokens as the index holds them (Chinese included), for querying.
    pub fn query_tokens(&self) -> &[String] {
        self.query_tokens.get()
    }
}

/// A term's query tokens. A Chinese term's are cut by jieba the first time a query asks
/// for them: loading jieba's dictionary costs ~0.1 s of CPU, which indexing text without
/// Chinese (every record of a Vietnamese collection) should not pay for the glossary.
#[derive(Debug, Clone)]
struct QueryTokens {
    /// The Chinese term, when the tokens are still to be cut.
    chinese: Option<String>,
    tokens: std::sync::OnceLock<Vec<String>>,
}

impl QueryTokens {
    fn known(tokens: Vec<String>) -> QueryTokens {
        QueryTokens {
            chinese: None,
            tokens: std::sync::OnceLock::from(tokens),
        }
    }

    fn chinese(term: &str) -> QueryTokens {
        QueryTokens {
            chinese: Some(term.to_string()),
            tokens: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> &[String] {
        self.tokens.get_or_init(|| {
            self.chinese
                .as_deref()
                .map(folded_tokens)
                .unwrap_or_default()
        })
    }
}

impl PartialEq for QueryTokens {
    fn eq(&self, other: &QueryTokens) -> bool {
        self.get() == other.get()
    }
}

impl Eq for QueryTokens {}

/// One concept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    /// Unique id.
    pub id: String,
    /// Sector code.
    pub sector: Option<String>,
    /// All its terms.
    pub terms: Vec<GlossaryTerm>,
}

/// A problem found in a glossary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryIssue {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// Whether the file cannot be used (otherwise a warning).
    pub fatal: bool,
}

impl fmt::Display for GlossaryIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.fatal { "error" } else { "warning" };
        write!(f, "line {}: {kind}: {}", self.line, self.message)
    }
}

/// A concept found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptMatch {
    /// Index of the concept.
    pub concept: usize,
    /// The term that matched.
    pub term: usize,
}

/// The glossary, ready for matching.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    concepts: Vec<Concept>,
    /// What identifies this glossary's matching in an index (see [`Glossary::fingerprint`]).
    fingerprint: u64,
    /// Terms of one token by the hash of that token ([`token_hash`]).
    by_token: rustc_hash::FxHashMap<u64, Vec<Entry>>,
    /// Terms of two or more tokens by the hashes of their first two: a common first word
    /// ("máy", "hệ") leads to the few terms that also share the second.
    by_pair: rustc_hash::FxHashMap<(u64, u64), Vec<Entry>>,
    /// The Chinese terms (matched as substrings) and their concept and term, in the order
    /// of the automaton's patterns.
    chinese: Vec<(String, usize, usize)>,
    chinese_automaton: Option<aho_corasick::AhoCorasick>,
}

/// Words of a term whose hashes an [`Entry`] holds.
const ENTRY_HASHES: usize = 4;

/// A term as the lookups by first words find it: where it is, and the hashes of its first
/// [`ENTRY_HASHES`] folded words beside it, so that a candidate whose words differ from the
/// text's is turned away without reading the term (a term's strings are scattered in
/// memory: reading them for every candidate was most of the time of finding concepts in a
/// record). A candidate whose hashes agree is then compared word by word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    concept: usize,
    term: usize,
    words: usize,
    hashes: [u64; ENTRY_HASHES],
}

impl Entry {
    fn new(concept: usize, term: usize, tokens: &[String]) -> Entry {
        let mut hashes = [0; ENTRY_HASHES];
        for (hash, token) in hashes.iter_mut().zip(tokens) {
            *hash = token_hash(token);
        }
        Entry {
            concept,
            term,
            words: tokens.len(),
            hashes,
        }
    }

    /// Whether the text's words from `start` (as `hashes`) may be this term's.
    fn may_start_at(&self, hashes: &[u64], start: usize) -> bool {
        let checked = self.words.min(ENTRY_HASHES);
        start + self.words <= hashes.len()
            && hashes[start..start + checked] == self.hashes[..checked]
    }
}

/// The hash a folded token is looked up by (hash collisions are checked by the full
/// comparison that follows).
fn token_hash(token: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(token.as_bytes());
    hasher.finish()
}

fn fingerprint(concepts: &[Concept]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write_u32(techmatch_analysis::ANALYZER_VERSION);
    for concept in concepts {
        hasher.write(concept.id.as_bytes());
        hasher.write_u8(0);
        for term in &concept.terms {
            hasher.write_u8(term.lang as u8);
            hasher.write(term.text.as_bytes());
            hasher.write_u8(0);
        }
        hasher.write_u8(1);
    }
    hasher.finish()
}

const COLUMNS: [&str; 6] = ["concept", "sector", "vi", "en", "zh", "abbr"];

/// The main exact tokens of a text and their folded forms.
fn main_tokens(text: &str) -> (Vec<String>, Vec<String>) {
    analyze(text)
        .words()
        .map(|w| (w.exact.to_string(), w.folded.to_string()))
        .unzip()
}

fn folded_tokens(text: &str) -> Vec<String> {
    main_tokens(text).1
}

impl Glossary {
    /// Parses a glossary; returns it with the warnings, or the list of fatal problems.
    pub fn parse(text: &str) -> Result<(Glossary, Vec<GlossaryIssue>), Vec<GlossaryIssue>> {
        let mut issues = Vec::new();
        let mut concepts: Vec<Concept> = Vec::new();
        let mut concept_lines: HashMap<String, usize> = HashMap::new();
        #[allow(clippy::type_complexity)]
        let mut term_owner: HashMap<(String, bool), Vec<(String, usize, String, bool)>> =
            HashMap::new();
        let mut header_seen = false;
        for (i, raw_line) in text.lines().enumerate() {
            let line = i + 1;
            let raw_line = raw_line.trim_end_matches('\r');
            if raw_line.trim().is_empty() || raw_line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = raw_line.split('\t').collect();
            if !header_seen {
                header_seen = true;
                let header: Vec<String> = cells.iter().map(|c| c.trim().to_lowercase()).collect();
                if header != COLUMNS {
                    issues.push(GlossaryIssue {
                        line,
                        message: format!("header must be: {}", COLUMNS.join("<TAB>")),
                        fatal: true,
                    });
                    return Err(issues);
                }
                continue;
            }
            if cells.len() != COLUMNS.len() {
                issues.push(GlossaryIssue {
                    line,
                    message: format!(
                        "expected {} tab-separated columns, found {}",
                        COLUMNS.len(),
                        cells.len()
                    ),
                    fatal: true,
                });
                continue;
            }
            let id = cells[0].trim();
            if id.is_empty() {
                issues.push(GlossaryIssue {
                    line,
                    message: "empty concept id".into(),
                    fatal: true,
                });
                continue;
            }
            if let Some(first) = concept_lines.get(id) {
                issues.push(GlossaryIssue {
                    line,
                    message: format!("concept '{id}' is already defined on line {first}"),
                    fatal: true,
                });
                continue;
            }
            concept_lines.insert(id.to_string(), line);
            let sector = cells[1].trim();
            if !sector.is_empty() && !SECTORS.iter().any(|(code, _)| *code == sector) {
                issues.push(GlossaryIssue {
                    line,
                    message: format!("unknown sector '{sector}'"),
                    fatal: true,
                });
            }
            let mut terms = Vec::new();
            for (column, lang) in [
                (2, TermLang::Vi),
                (3, TermLang::En),
                (4, TermLang::Zh),
                (5, TermLang::Abbr),
            ] {
                let cell = cells[column];
                if cell.trim().is_empty() {
                    continue;
                }
                for part in cell.split('|') {
                    let term = part.trim();
                    if term.is_empty() {
                        issues.push(GlossaryIssue {
                            line,
                            message: format!("empty term in column {}", COLUMNS[column]),
                            fatal: true,
                        });
                        continue;
                    }
                    let cjk = term.chars().any(is_cjk);
                    let (exact, tokens) = if cjk {
                        (Vec::new(), Vec::new())
                    } else {
                        main_tokens(term)
                    };
                    if !cjk && tokens.is_empty() {
                        issues.push(GlossaryIssue {
                            line,
                            message: format!("term '{term}' has no words"),
                            fatal: true,
                        });
                        continue;
                    }
                    // Terms are told apart by their exact words: "lụa" (silk) is not "lúa" (rice).
                    let key = if cjk {
                        term.to_string()
                    } else {
                        exact.join(" ")
                    };
                    // Two terms collide when a text could match both: same folded words,
                    // unless both carry diacritics that tell them apart (lụa / lúa).
                    // Acronyms are compared as written (lowercased), never stemmed: PACS is not PAC.
                    let folded_key = if cjk || lang == TermLang::Abbr {
                        key.clone()
                    } else {
                        tokens.join(" ")
                    };
                    let folded_key = (folded_key, lang == TermLang::Abbr && term.len() <= 2);
                    let marked = has_diacritics(&key);
                    let entries = term_owner.entry(folded_key).or_default();
                    let mut duplicate = false;
                    for (owner, owner_line, owner_key, owner_marked) in entries.iter() {
                        let distinct = marked && *owner_marked && *owner_key != key;
                        if distinct {
                            continue;
                        }
                        if owner == id {
                            if *owner_key == key {
                                issues.push(GlossaryIssue {
                                    line,
                                    message: format!("term '{term}' is listed twice in concept '{id}' (line {owner_line})"),
                                    fatal: false,
                                });
                                duplicate = true;
                            }
                        } else {
                            issues.push(GlossaryIssue {
                                line,
                                message: format!("term '{term}' also belongs to concept '{owner}' (line {owner_line}): conflicting entries"),
                                fatal: false,
                            });
                        }
                    }
                    if duplicate {
                        continue;
                    }
                    entries.push((id.to_string(), line, key.clone(), marked));
                    let query_tokens = if cjk {
                        QueryTokens::chinese(term)
                    } else {
                        QueryTokens::known(tokens.clone())
                    };
                    terms.push(GlossaryTerm {
                        text: term.to_string(),
                        lang,
                        tokens,
                        exact,
                        query_tokens,
                    });
                }
            }
            if terms.len() < 2 {
                issues.push(GlossaryIssue {
                    line,
                    message: format!("concept '{id}' needs at least two terms to bridge anything"),
                    fatal: true,
                });
                continue;
            }
            concepts.push(Concept {
                id: id.to_string(),
                sector: (!sector.is_empty()).then(|| sector.to_string()),
                terms,
            });
        }
        if !header_seen {
            issues.push(GlossaryIssue {
                line: 1,
                message: "empty glossary: no header line".into(),
                fatal: true,
            });
        }
        if issues.iter().any(|i| i.fatal) {
            return Err(issues);
        }
        let mut glossary = Glossary {
            fingerprint: fingerprint(&concepts),
            concepts,
            ..Default::default()
        };
        for (c, concept) in glossary.concepts.iter().enumerate() {
            for (t, term) in concept.terms.iter().enumerate() {
                match term.tokens.as_slice() {
                    [] => glossary.chinese.push((term.text.clone(), c, t)),
                    [only] => glossary
                        .by_token
                        .entry(token_hash(only))
                        .or_default()
                        .push(Entry::new(c, t, &term.tokens)),
                    [first, second, ..] => glossary
                        .by_pair
                        .entry((token_hash(first), token_hash(second)))
                        .or_default()
                        .push(Entry::new(c, t, &term.tokens)),
                }
            }
        }
        if !glossary.chinese.is_empty() {
            match aho_corasick::AhoCorasick::new(glossary.chinese.iter().map(|(text, _, _)| text)) {
                Ok(automaton) => glossary.chinese_automaton = Some(automaton),
                Err(error) => {
                    return Err(vec![GlossaryIssue {
                        line: 1,
                        message: format!("too many or too long Chinese terms to match: {error}"),
                        fatal: true,
                    }])
                }
            }
        }
        Ok((glossary, issues))
    }

    /// The bundled glossary.
    pub fn bundled() -> Glossary {
        Glossary::parse(BUNDLED_GLOSSARY)
            .expect("bundled glossary is valid")
            .0
    }

    /// Loads a glossary file; fatal problems become one error message.
    pub fn from_path(path: &Path) -> Result<Glossary, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Glossary::parse(&text).map(|(g, _)| g).map_err(|issues| {
            let lines: Vec<String> = issues
                .iter()
                .filter(|i| i.fatal)
                .map(|i| format!("{}:{i}", path.display()))
                .collect();
            lines.join("\n")
        })
    }

    /// The bundled glossary, parsed once per process and shared.
    pub fn bundled_shared() -> std::sync::Arc<Glossary> {
        static BUNDLED: std::sync::OnceLock<std::sync::Arc<Glossary>> = std::sync::OnceLock::new();
        BUNDLED
            .get_or_init(|| std::sync::Arc::new(Glossary::bundled()))
            .clone()
    }

    /// The concepts.
    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// A stable hash of what decides which concepts a text holds: the analyzer version,
    /// each concept's id and each term's text and column. Two glossaries with the same
    /// fingerprint tag every record alike, so an index tagged by one serves the other
    /// ([`crate::concepts`]). FNV-1a, stable across builds and platforms.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Concepts whose terms occur in `text` (each concept once, first term found).
    pub fn find(&self, text: &str) -> Vec<ConceptMatch> {
        self.find_in(&analyze(text), text)
    }

    /// [`Glossary::find`] over the analysis of `text` already at hand.
    pub fn find_in(&self, analysis: &Analysis, text: &str) -> Vec<ConceptMatch> {
        let tokens: Vec<techmatch_analysis::Word<'_>> = analysis.words().collect();
        let mut found: Vec<ConceptMatch> = Vec::new();
        let push = |found: &mut Vec<ConceptMatch>, concept: usize, term: usize| {
            if !found.iter().any(|m| m.concept == concept) {
                found.push(ConceptMatch { concept, term });
            }
        };
        let hashes: Vec<u64> = tokens.iter().map(|w| token_hash(w.folded)).collect();
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for start in 0..tokens.len() {
            candidates.clear();
            let mut add = |entries: &[Entry]| {
                candidates.extend(
                    entries
                        .iter()
                        .filter(|entry| entry.may_start_at(&hashes, start))
                        .map(|entry| (entry.concept, entry.term)),
                )
            };
            if let Some(entries) = self.by_token.get(&hashes[start]) {
                add(entries);
            }
            if let Some(&next) = hashes.get(start + 1) {
                if let Some(entries) = self.by_pair.get(&(hashes[start], next)) {
                    add(entries);
                }
            }
            // Glossary order, as one list per first token gave them.
            candidates.sort_unstable();
            for &(c, t) in &candidates {
                let term = &self.concepts[c].terms[t];
                // In the text: `Entry::may_start_at` let only such candidates through.
                let end = start + term.tokens.len();
                if !term
                    .tokens
                    .iter()
                    .zip(&term.exact)
                    .zip(&tokens[start..end])
                    .enumerate()
                    // A term's words follow each other in the text, as its bigrams do
                    // in the index: not across punctuation or a line break.
                    .all(|(i, ((folded, exact), token))| {
                        if i > 0 && !token.joins_previous {
                            return false;
                        }
                        if term.lang == TermLang::Abbr {
                            token.exact == exact
                        } else {
                            // A word written with marks must carry the term's marks.
                            token.folded == folded
                                && (!token.has_diacritics || token.exact == exact)
                        }
                    })
                {
                    continue;
                }
                if term.lang == TermLang::Abbr
                    && term.text.len() <= 2
                    && text.get(tokens[start].start..tokens[start].end) != Some(term.text.as_str())
                {
                    continue;
                }
                push(&mut found, c, t);
            }
        }
        if let Some(automaton) = self.chinese_automaton.as_ref() {
            if text.chars().any(is_cjk) {
                // Every Chinese term the text contains, in one pass; then in glossary order,
                // as a term-by-term scan would find them.
                let mut contained = vec![false; self.chinese.len()];
                for found in automaton.find_overlapping_iter(text) {
                    contained[found.pattern().as_usize()] = true;
                }
                for (&(_, c, t), _) in self.chinese.iter().zip(&contained).filter(|(_, &y)| y) {
                    push(&mut found, c, t);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matching rules of [`Glossary::find_in`], spelled out term by term at every
    /// position: the reference its lookups by hashed first words must agree with.
    fn find_by_scanning(glossary: &Glossary, text: &str) -> Vec<(usize, usize)> {
        let analysis = analyze(text);
        let tokens: Vec<techmatch_analysis::Word<'_>> = analysis.words().collect();
        let mut found: Vec<(usize, usize)> = Vec::new();
        let mut push = |c: usize, t: usize| {
            if !found.iter().any(|&(seen, _)| seen == c) {
                found.push((c, t));
            }
        };
        for start in 0..tokens.len() {
            for (c, concept) in glossary.concepts.iter().enumerate() {
                for (t, term) in concept.terms.iter().enumerate() {
                    let n = term.tokens.len();
                    if n == 0 || start + n > tokens.len() {
                        continue;
                    }
                    let words = &tokens[start..start + n];
                    let joined = words.iter().skip(1).all(|w| w.joins_previous);
                    let same = words.iter().zip(&term.tokens).zip(&term.exact).all(
                        |((w, folded), exact)| {
                            if term.lang == TermLang::Abbr {
                                w.exact == exact
                            } else {
                                w.folded == folded && (!w.has_diacritics || w.exact == exact)
                            }
                        },
                    );
                    let capitals = term.lang != TermLang::Abbr
                        || term.text.len() > 2
                        || text[words[0].start..words[0].end] == term.text;
                    if joined && same && capitals {
                        push(c, t);
                    }
                }
            }
        }
        for (c, concept) in glossary.concepts.iter().enumerate() {
            for (t, term) in concept.terms.iter().enumerate() {
                if term.tokens.is_empty() && text.contains(term.text.as_str()) {
                    push(c, t);
                }
            }
        }
        found
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn lookups_find_what_scanning_every_term_finds(
            parts in proptest::collection::vec(
                (
                    0usize..10_000,
                    0usize..16,
                    proptest::sample::select(vec![" ", ", ", "\n", "", " - ", "  "]),
                    0u8..5,
                ),
                0..10,
            ),
        ) {
            // Texts made of the glossary's own terms (so multi-word terms, acronyms and
            // Chinese terms are met often), written as they are, without marks, in capitals
            // cut to their first word or broken by punctuation inside, between separators
            // that join or break them.
            let glossary = Glossary::bundled_shared();
            let mut text = String::new();
            for (concept, term, separator, form) in parts {
                let concept = &glossary.concepts()[concept % glossary.concepts().len()];
                let term = &concept.terms[term % concept.terms.len()].text;
                let written = match form {
                    0 => term.clone(),
                    1 => techmatch_analysis::fold_diacritics(term),
                    2 => term.to_uppercase(),
                    3 => term.split(' ').next().unwrap_or_default().to_string(),
                    _ => term.replace(' ', ", "),
                };
                text.push_str(&written);
                text.push_str(separator);
            }
            let by_lookup: Vec<(usize, usize)> =
                glossary.find(&text).iter().map(|m| (m.concept, m.term)).collect();
            proptest::prop_assert_eq!(by_lookup, find_by_scanning(&glossary, &text), "{:?}", text);
    }
    }

    const SAMPLE: &str = "# comment\nconcept\tsector\tvi\ten\tzh\tabbr\n\
reverse_osmosis\tenvironment\tthẩm thấu ngược | lọc RO\treverse osmosis\t反渗透\tRO\n\
dryer\tagriculture\tmáy sấy | thiết bị sấy\tdryer\t烘干机\t\n";

    #[test]
    fn finds_concepts_in_any_language() {
        let (glossary, warnings) = Glossary::parse(SAMPLE).unwrap();
        assert!(warnings.is_empty());
        let ids = |text: &str| -> Vec<String> {
            glossary
                .find(text)
                .iter()
                .map(|m| glossary.concepts()[m.concept].id.clone())
                .collect()
        };
        assert_eq!(ids("Cần máy sấy cà phê"), ["dryer"]);
        assert_eq!(ids("may say ca phe"), ["dryer"]);
        assert_eq!(ids("Reverse osmosis plant"), ["reverse_osmosis"]);
        assert_eq!(ids("采用反渗透膜"), ["reverse_osmosis"]);
        assert_eq!(ids("hệ thống RO"), ["reverse_osmosis"]);
        assert!(ids("nói rõ ràng").is_empty(), "rõ is not RO");
        assert!(
            ids("ro").is_empty(),
            "a two-letter acronym must be written in capitals"
        );
    }

    #[test]
    fn problems_have_line_numbers() {
        let bad = "concept\tsector\tvi\ten\tzh\tabbr\na\tenvironment\tx | \ty\t\t\na\tenvironment\tz\tw\t\t\nb\tspace\tu\tv\t\t\nc\tenergy\tonly\n";
        let issues = Glossary::parse(bad).unwrap_err();
        let shown: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 2: error: empty term")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 3: error: concept 'a' is already defined on line 2")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 4: error: unknown sector 'space'")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 5: error: expected 6")),
            "{shown:?}"
        );
    }

    #[test]
    fn shared_terms_are_reported_as_conflicts() {
        let text = "concept\tsector\tvi\ten\tzh\tabbr\na\tenergy\tmáy sấy\tdryer\t\t\nb\tenergy\tmay say\tdrier\t\t\n";
        let (_, warnings) = Glossary::parse(text).unwrap();
        assert!(
            warnings[0]
                .to_string()
                .contains("also belongs to concept 'a'"),
            "{warnings:?}"
        );
    }

    #[test]
    fn bundled_glossary_is_valid_and_large() {
        let (glossary, _) = Glossary::parse(BUNDLED_GLOSSARY).unwrap();
        assert!(glossary.concepts().len() >= 400);
    }
}

/// The other terms of a concept found in a text: what a query is expanded with.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Expansion {
    /// The concept id.
    pub concept: String,
    /// The term found in the text.
    pub matched: String,
    /// Folded token sequences of the other terms (each one a phrase).
    pub phrases: Vec<Vec<String>>,
    /// The other terms as written, for explanations.
    pub terms: Vec<String>,
    /// Whether the records searched hold this glossary's concepts as terms
    /// ([`crate::concepts`]): the concept is then matched as one term per field.
    #[serde(skip)]
    pub indexed: bool,
    /// How much the concept counts among the text's concepts (1 unless the caller weighs
    /// where it was found: demand matching counts a concept of the title or keywords as
    /// much as a title word, see `techmatch_query::demand`).
    #[serde(skip)]
    pub weight: f32,
}

/// Most phrases one concept expands into.
pub const MAX_PHRASES_PER_CONCEPT: usize = 16;

impl Glossary {
    /// The expansions of the concepts found in `text`, at most `max_concepts`.
    pub fn expand(&self, text: &str, max_concepts: usize) -> Vec<Expansion> {
        self.find(text)
            .into_iter()
            .take(max_concepts)
            .map(|m| {
                let concept = &self.concepts[m.concept];
                let matched = &concept.terms[m.term];
                let mut phrases: Vec<Vec<String>> = Vec::new();
                let mut terms = Vec::new();
                for term in &concept.terms {
                    let tokens = term.query_tokens();
                    if tokens.is_empty()
                        || tokens == matched.query_tokens()
                        || phrases.iter().any(|phrase| phrase == tokens)
                    {
                        continue;
                    }
                    if phrases.len() == MAX_PHRASES_PER_CONCEPT {
                        break;
                    }
                    phrases.push(tokens.to_vec());
                    terms.push(term.text.clone());
                }
                Expansion {
                    indexed: false,
                    weight: 1.0,
                    concept: concept.id.clone(),
                    matched: matched.text.clone(),
                    phrases,
                    terms,
                }
            })
            .filter(|e| !e.phrases.is_empty())
            .collect()
    }
}
