//! The words of a query, as the analyzers see them, with what each may match: exact
//! diacritics, the folded form, spelling variants, a prefix (the word being typed) and
//! typos.

use techmatch_analysis::boilerplate::boilerplate_positions;
use techmatch_analysis::{
    analyze, fold_token, has_diacritics, syllable::is_vietnamese_syllable, Analysis,
};

/// One word of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// Word position in the query.
    pub position: usize,
    /// Canonical exact form.
    pub exact: String,
    /// Folded form.
    pub folded: String,
    /// Folded spellings of the same word (`5kw` for `5` `kw`, `1500000`, Chinese sub-words).
    pub variants: Vec<String>,
    /// Whether the word carries diacritics, so exact matches should rank first.
    pub has_marks: bool,
    /// Whether the word may be cut short (the last word while typing).
    pub prefix: bool,
    /// Whether one-letter typos may match it.
    pub fuzzy: bool,
    /// Typed in capitals as an acronym ("RO", "PLC"): matched exactly, never as a folded
    /// word, a prefix or a typo, so "RO" does not find "rõ" or "rô".
    pub acronym: bool,
    /// The word as typed.
    pub surface: String,
}

/// Two adjacent words, for compound matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryBigram {
    /// Exact bigram text.
    pub exact: String,
    /// Folded bigram text.
    pub folded: String,
    /// Whether either word carries diacritics.
    pub has_marks: bool,
    /// Whether the second word may be cut short.
    pub prefix: bool,
}

/// The analysed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryTerms {
    /// The words, in order.
    pub words: Vec<QueryWord>,
    /// Adjacent word pairs not separated by punctuation.
    pub bigrams: Vec<QueryBigram>,
    /// Glossary concepts found in the query, with the terms to add.
    pub expansions: Vec<crate::glossary::Expansion>,
}

/// Shortest folded word that typo tolerance applies to (Vietnamese syllables are short, and
/// most one-letter changes of a short syllable are another real word).
pub const FUZZY_MIN_CHARS: usize = 5;

/// Words this long may have two typos (also covers a typo next to a stemmed ending:
/// "biogass" against the stem "bioga").
pub const FUZZY_TWO_EDITS_CHARS: usize = 7;

/// Edits allowed for a word that typo tolerance applies to.
pub fn fuzzy_distance(folded: &str) -> u8 {
    if folded.chars().count() >= FUZZY_TWO_EDITS_CHARS {
        2
    } else {
        1
    }
}

fn is_cjk_word(word: &str) -> bool {
    word.chars().any(techmatch_analysis::segment::is_cjk)
}

/// Whether a word was typed as an acronym: 2 to 6 ASCII capitals (digits allowed).
pub fn is_acronym(surface: &str) -> bool {
    (2..=6).contains(&surface.len())
        && surface
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && surface.chars().any(|c| c.is_ascii_uppercase())
}

/// Whether typo tolerance may apply to a word: long enough, letters only, not an acronym
/// typed in capitals ("RO", "UASB"), not Chinese.
fn fuzzy_allowed(surface: &str, folded: &str) -> bool {
    let letters_only = folded.chars().all(|c| c.is_ascii_lowercase());
    let acronym = surface
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && surface.len() <= 6;
    let long_enough =
        folded.len() >= FUZZY_MIN_CHARS || (folded.len() == 4 && !is_vietnamese_syllable(folded));
    letters_only && !acronym && long_enough
}

impl QueryTerms {
    /// For each glossary expansion, the words it covers: the run of query words whose
    /// folded forms spell the term found in the text (empty when none does).
    pub fn expansion_coverage(&self) -> Vec<Vec<usize>> {
        self.expansions
            .iter()
            .map(|expansion| {
                let matched: Vec<String> = QueryTerms::parse(&expansion.matched, false)
                    .words
                    .into_iter()
                    .map(|w| w.folded)
                    .collect();
                if matched.is_empty() {
                    return Vec::new();
                }
                self.words
                    .windows(matched.len())
                    .position(|run| run.iter().zip(&matched).all(|(w, m)| &w.folded == m))
                    .map(|start| (start..start + matched.len()).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Analyses query text. With `prefix_last`, the last word may be incomplete unless the
    /// text ends with a space or punctuation.
    pub fn parse(text: &str, prefix_last: bool) -> QueryTerms {
        let analysis = analyze(text);
        QueryTerms::from_analysis(text, &analysis, prefix_last)
    }

    /// Builds the query words from an analysis of `text`.
    pub fn from_analysis(text: &str, analysis: &Analysis, prefix_last: bool) -> QueryTerms {
        let boilerplate = boilerplate_positions(text, analysis);
        let mut words: Vec<QueryWord> = Vec::new();
        for token in &analysis.exact {
            if boilerplate.contains(&token.position) {
                continue;
            }
            let folded = fold_token(&token.text);
            match words.last_mut() {
                Some(word) if word.position == token.position => {
                    if folded != word.folded && !word.variants.contains(&folded) {
                        word.variants.push(folded);
                    }
                }
                _ => {
                    let surface = text[token.start..token.end].to_string();
                    words.push(QueryWord {
                        position: token.position,
                        has_marks: has_diacritics(&token.text),
                        fuzzy: fuzzy_allowed(&surface, &folded),
                        acronym: is_acronym(&surface),
                        exact: token.text.to_string(),
                        folded,
                        variants: Vec::new(),
                        prefix: false,
                        surface,
                    });
                }
            }
        }
        let ends_in_word = text.chars().last().is_some_and(char::is_alphanumeric);
        if prefix_last && ends_in_word {
            let min_len = if words.len() == 1 { 2 } else { 1 };
            if let Some(last) = words.last_mut() {
                let at_end = analysis
                    .exact
                    .iter()
                    .any(|t| t.position == last.position && t.end == text.len());
                if at_end
                    && !last.acronym
                    && !is_cjk_word(&last.exact)
                    && last.folded.chars().count() >= min_len
                {
                    last.prefix = true;
                }
            }
        }
        let mut bigrams = Vec::new();
        for (exact, folded) in analysis.exact_bigrams.iter().zip(&analysis.folded_bigrams) {
            if boilerplate.contains(&exact.position) || boilerplate.contains(&(exact.position + 1))
            {
                continue;
            }
            let second = words.iter().find(|w| w.position == exact.position + 1);
            let first = words.iter().find(|w| w.position == exact.position);
            bigrams.push(QueryBigram {
                exact: exact.text.to_string(),
                folded: folded.text.to_string(),
                has_marks: first.is_some_and(|w| w.has_marks)
                    || second.is_some_and(|w| w.has_marks),
                prefix: second.is_some_and(|w| w.prefix),
            });
        }
        QueryTerms {
            words,
            bigrams,
            expansions: Vec::new(),
        }
    }

    /// Adds the glossary expansions of the query text.
    pub fn with_glossary(
        mut self,
        glossary: Option<&crate::glossary::Glossary>,
        text: &str,
        max_concepts: usize,
    ) -> Self {
        if let Some(glossary) = glossary {
            self.expansions = glossary.expand(text, max_concepts);
        }
        self
    }

    /// Whether the query has no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_and_without_marks() {
        let terms = QueryTerms::parse("xử lý nuoc thai ", true);
        let shown: Vec<(&str, bool, bool)> = terms
            .words
            .iter()
            .map(|w| (w.folded.as_str(), w.has_marks, w.prefix))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("xu", true, false),
                ("ly", true, false),
                ("nuoc", false, false),
                ("thai", false, false)
            ]
        );
        assert_eq!(terms.bigrams.len(), 3);
    }

    #[test]
    fn last_word_is_a_prefix_while_typing() {
        let terms = QueryTerms::parse("xu ly nuoc th", true);
        assert!(terms.words[3].prefix);
        assert!(terms.bigrams[2].prefix);
        assert!(!QueryTerms::parse("xu ly nuoc th", false).words[3].prefix);
    }

    #[test]
    fn typos_only_for_long_words_and_never_for_acronyms() {
        let terms = QueryTerms::parse("biogass RO UASB nuoc", false);
        let fuzzy: Vec<bool> = terms.words.iter().map(|w| w.fuzzy).collect();
        assert_eq!(fuzzy, vec![true, false, false, false]);
    }

    #[test]
    fn unit_variants_are_kept() {
        let terms = QueryTerms::parse("5kW", false);
        assert_eq!(terms.words[0].folded, "5");
        assert_eq!(terms.words[0].variants, vec!["5kw".to_string()]);
    }
}
