//! Snippets with `<mark>` highlights on the stored original text.
//!
//! The stored text is re-analysed, so a folded query word ("nuoc") highlights the original
//! ("nước"), a prefix ("th") highlights the word it starts, a typo ("biogass") highlights
//! the word it was meant to be, and Chinese words are found by the same segmenter. Offsets
//! come from the analyzer, so they always point into the original string; everything
//! outside the marks is HTML-escaped.
//!
//! The text is read in one pass ([`techmatch_analysis::scan_words`]): a word of letters
//! only whose folded form cannot start as any query word, compound or concept phrase
//! starts is not analysed at all, so most of a record's words cost a glance at their first
//! letter (a query with typo matches reads every word, a typo may change any letter). The
//! spans are exactly those of a full analysis (a property test compares them).

use std::collections::BTreeSet;

use techmatch_analysis::{fold_token, scan_words, Scanned};

use crate::terms::QueryTerms;

/// What a word of the text has to be to be highlighted.
#[derive(Debug, Clone)]
struct Target {
    forms: Vec<String>,
    exact: Option<String>,
    prefix: bool,
    fuzzy: bool,
    label: String,
}

/// Highlights the words of one query in texts.
#[derive(Debug, Clone)]
pub struct Highlighter {
    targets: Vec<Target>,
    /// Glossary phrases (folded tokens) and the label of their concept.
    phrases: Vec<(Vec<String>, String)>,
    /// The folded forms a word must have, or start with (prefix queries), to match
    /// anything, i and y counted as one letter ([`techmatch_analysis::initial_key`]), and
    /// whether a form is a prefix; `None` when any word may (typo matches).
    initials: Option<Vec<(String, bool)>>,
}

/// Labels of glossary concepts start with this mark in [`Highlight::matched`].
pub const CONCEPT_MARK: char = '≈';

/// A highlighted fragment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Highlight {
    /// HTML: escaped text with `<mark>` around matches.
    pub html: String,
    /// The query words (folded) that matched in the text.
    pub matched: Vec<String>,
}

impl Highlighter {
    /// A highlighter for a parsed query.
    pub fn new(terms: &QueryTerms) -> Self {
        let targets = terms
            .words
            .iter()
            .map(|w| {
                let mut forms = vec![w.folded.clone()];
                forms.extend(w.variants.iter().cloned());
                Target {
                    forms,
                    exact: w.acronym.then(|| w.exact.clone()),
                    prefix: w.prefix,
                    fuzzy: w.fuzzy,
                    label: w.folded.clone(),
                }
            })
            .collect();
        let phrases = terms
            .expansions
            .iter()
            .flat_map(|e| {
                e.phrases
                    .iter()
                    .map(move |p| (p.clone(), format!("{CONCEPT_MARK}{}", e.concept)))
            })
            .collect();
        Highlighter::with(targets, phrases)
    }

    fn with(targets: Vec<Target>, phrases: Vec<(Vec<String>, String)>) -> Self {
        let mut highlighter = Highlighter {
            targets,
            phrases,
            initials: None,
        };
        highlighter.initials = highlighter.initials();
        highlighter
    }

    /// The folded forms of matching words (see the `initials` field).
    fn initials(&self) -> Option<Vec<(String, bool)>> {
        let mut initials: Vec<(String, bool)> = Vec::new();
        let mut add = |text: &str, prefix: bool| {
            if text.is_empty() {
                return false;
            }
            let key = (
                text.chars().map(techmatch_analysis::initial_key).collect(),
                prefix,
            );
            if !initials.contains(&key) {
                initials.push(key);
            }
            true
        };
        for target in &self.targets {
            if target.fuzzy {
                return None;
            }
            for (i, form) in target.forms.iter().enumerate() {
                if !add(form, target.prefix && i == 0) {
                    return None;
                }
            }
            if let Some(exact) = &target.exact {
                if !add(&fold_token(exact), false) {
                    return None;
                }
            }
        }
        for (phrase, _) in &self.phrases {
            for word in phrase {
                if !add(word, false) {
                    return None;
                }
            }
        }
        Some(initials)
    }

    /// Whether a word whose key is `key` (its whole folded form when `whole`, else how it
    /// starts; see [`scan_words`]) may match.
    fn wants(&self, key: &str, whole: bool) -> bool {
        self.initials.as_ref().is_none_or(|forms| {
            forms.iter().any(|(form, prefix)| match (whole, prefix) {
                (true, false) => key == form,
                (true, true) => key.starts_with(form.as_str()),
                (false, _) => form.starts_with(key) || key.starts_with(form.as_str()),
            })
        })
    }

    /// A highlighter for a set of folded terms (demand matching, glossary expansions).
    pub fn for_terms(terms: impl IntoIterator<Item = String>) -> Self {
        let targets = terms
            .into_iter()
            .map(|t| Target {
                forms: vec![t.clone()],
                exact: None,
                prefix: false,
                fuzzy: false,
                label: t,
            })
            .collect();
        Highlighter::with(targets, Vec::new())
    }

    fn matching_target(&self, exact: &str, folded: &str) -> Option<&Target> {
        self.targets.iter().find(|t| {
            if let Some(wanted) = &t.exact {
                return wanted == exact;
            }
            t.forms.iter().any(|f| f == folded)
                || (t.prefix && folded.starts_with(t.forms[0].as_str()))
                || (t.fuzzy && folded.len() >= 4 && within_typo(folded, &t.forms[0]))
        })
    }

    /// Byte spans of matching words in `text`, merged when only spaces separate them, and
    /// the labels of the query words found.
    pub fn spans(&self, text: &str) -> (Vec<(usize, usize)>, BTreeSet<String>) {
        let mut raw: Vec<(usize, usize)> = Vec::new();
        let mut matched = BTreeSet::new();
        // The words in order (folded, offsets) when phrases are looked for; an unread word
        // is there to keep its place, and matches nothing.
        let mut words: Vec<(Option<String>, usize, usize)> = Vec::new();
        let wanted = |key: &str, whole: bool| self.wants(key, whole);
        scan_words(text, &wanted, &mut |scanned| match scanned {
            Scanned::Token {
                exact,
                folded,
                start,
                end,
                main,
            } => {
                if let Some(target) = self.matching_target(exact, folded) {
                    matched.insert(target.label.clone());
                    raw.push((start, end));
                }
                if main && !self.phrases.is_empty() {
                    words.push((Some(folded.to_string()), start, end));
                }
            }
            Scanned::Skipped { start, end } => {
                if !self.phrases.is_empty() {
                    words.push((None, start, end));
                }
            }
        });
        for (phrase, label) in &self.phrases {
            for window in words.windows(phrase.len()) {
                if window
                    .iter()
                    .zip(phrase)
                    .all(|(w, folded)| w.0.as_deref() == Some(folded.as_str()))
                {
                    matched.insert(label.clone());
                    raw.push((window[0].1, window[window.len() - 1].2));
                }
            }
        }
        raw.sort_unstable();
        (merge_spans(text, raw), matched)
    }

    /// The whole text, highlighted.
    pub fn highlight_all(&self, text: &str) -> Highlight {
        let (spans, matched) = self.spans(text);
        Highlight {
            html: render(text, &spans, 0, text.len()),
            matched: matched.into_iter().collect(),
        }
    }

    /// The best window of about `max_chars` characters: the one with the most distinct
    /// matched words, starting near a word boundary.
    pub fn snippet(&self, text: &str, max_chars: usize) -> Highlight {
        let (spans, matched) = self.spans(text);
        let total_chars = text.chars().count();
        if total_chars <= max_chars {
            return Highlight {
                html: render(text, &spans, 0, text.len()),
                matched: matched.into_iter().collect(),
            };
        }
        let max_bytes = byte_len_of_chars(text, 0, max_chars);
        let mut best = (0usize, 0usize);
        for (i, span) in spans.iter().enumerate() {
            let window_end = span.0 + max_bytes;
            let covered = spans[i..].iter().take_while(|s| s.1 <= window_end).count();
            if covered > best.1 {
                best = (i, covered);
            }
        }
        let start = match spans.get(best.0) {
            Some(span) => start_of_context(text, span.0, max_chars / 5),
            None => 0,
        };
        let end = floor_boundary(
            text,
            (start + byte_len_of_chars(text, start, max_chars)).min(text.len()),
        );
        let end = end_at_word(text, start, end);
        let mut html = String::new();
        if start > 0 {
            html.push('…');
        }
        html.push_str(&render(text, &spans, start, end));
        if end < text.len() {
            html.push('…');
        }
        Highlight {
            html,
            matched: matched.into_iter().collect(),
        }
    }
}

/// Sorted spans merged where they overlap or only whitespace separates them.
fn merge_spans(text: &str, raw: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(raw.len());
    for (start, end) in raw {
        match spans.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            Some(last) if text[last.1..start].chars().all(char::is_whitespace) => last.1 = end,
            _ => spans.push((start, end)),
        }
    }
    spans
}

/// Whether `word` is within the typo distance allowed for `target`, counted as the index's
/// typo matches count it (tantivy's Levenshtein automaton with transpositions: the optimal
/// string alignment distance). A length difference beyond it rules the pair out first.
fn within_typo(word: &str, target: &str) -> bool {
    let allowed = usize::from(crate::terms::fuzzy_distance(target));
    let lengths = if word.is_ascii() && target.is_ascii() {
        (word.len(), target.len())
    } else {
        (word.chars().count(), target.chars().count())
    };
    if lengths.0.abs_diff(lengths.1) > allowed {
        return false;
    }
    strsim::osa_distance(word, target) <= allowed
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Bytes taken by `n` chars from `start`.
fn byte_len_of_chars(text: &str, start: usize, n: usize) -> usize {
    text[start..]
        .char_indices()
        .nth(n)
        .map_or(text.len() - start, |(i, _)| i)
}

/// A start a few words before `at`, on a word boundary.
fn start_of_context(text: &str, at: usize, context_chars: usize) -> usize {
    let before = &text[..at];
    let candidate = before
        .char_indices()
        .rev()
        .nth(context_chars)
        .map_or(0, |(i, _)| i);
    if candidate == 0 {
        return 0;
    }
    match text[candidate..at].find(char::is_whitespace) {
        Some(offset) => {
            let ws = candidate + offset;
            ws + text[ws..].chars().next().map_or(0, char::len_utf8)
        }
        None => candidate,
    }
}

/// Cuts `end` back to the last whitespace, unless that leaves too little.
fn end_at_word(text: &str, start: usize, end: usize) -> usize {
    if end >= text.len() {
        return text.len();
    }
    match text[start..end].rfind(char::is_whitespace) {
        Some(offset) if offset > (end - start) / 2 => start + offset,
        _ => end,
    }
}

/// Escapes `text[start..end]` and wraps the spans inside it in `<mark>`.
fn render(text: &str, spans: &[(usize, usize)], start: usize, end: usize) -> String {
    let mut html = String::with_capacity(end - start + spans.len() * 13);
    let mut at = start;
    for &(s, e) in spans {
        if e <= start || s >= end {
            continue;
        }
        let (s, e) = (s.max(start), e.min(end));
        html.push_str(&html_escape::encode_text(&text[at..s]));
        html.push_str("<mark>");
        html.push_str(&html_escape::encode_text(&text[s..e]));
        html.push_str("</mark>");
        at = e;
    }
    html.push_str(&html_escape::encode_text(&text[at..end]));
    html
}

#[cfg(test)]
mod tests {
    use unicode_normalization_free::*;

    use super::*;

    mod unicode_normalization_free {
        pub fn nfd(text: &str) -> String {
            // Decomposed forms written out, so the test does not depend on a normaliser.
            text.replace('ư', "u\u{31B}")
                .replace('ớ', "o\u{31B}\u{301}")
                .replace('ả', "a\u{309}")
        }
    }

    fn highlighter(query: &str) -> Highlighter {
        Highlighter::new(&QueryTerms::parse(query, true))
    }

    /// The spans as a full analysis of the text gives them: every token folded and
    /// compared (what `spans` did before it skipped words), the reference of the property
    /// test below.
    fn spans_by_analysis(h: &Highlighter, text: &str) -> (Vec<(usize, usize)>, BTreeSet<String>) {
        use std::borrow::Cow;
        let analysis = techmatch_analysis::analyze_words(text);
        let mut raw: Vec<(usize, usize)> = Vec::new();
        let mut matched = BTreeSet::new();
        let words: Vec<techmatch_analysis::Word<'_>> = analysis.words().collect();
        let mut at = 0;
        for token in &analysis.exact {
            while words.get(at).is_some_and(|w| w.position < token.position) {
                at += 1;
            }
            let folded: Cow<'_, str> = match words.get(at) {
                Some(w) if w.position == token.position && w.exact == token.text.as_str() => {
                    Cow::Borrowed(w.folded)
                }
                _ => Cow::Owned(fold_token(&token.text)),
            };
            if let Some(target) = h.matching_target(&token.text, &folded) {
                matched.insert(target.label.clone());
                raw.push((token.start, token.end));
            }
        }
        for (phrase, label) in &h.phrases {
            for window in words.windows(phrase.len()) {
                if window.iter().zip(phrase).all(|(w, f)| w.folded == *f) {
                    matched.insert(label.clone());
                    raw.push((window[0].start, window[window.len() - 1].end));
                }
            }
        }
        raw.sort_unstable();
        (merge_spans(text, raw), matched)
    }

    /// Words of every kind the scan treats differently: Vietnamese with and without marks,
    /// decomposed, capitalised, old tone placement, i/y, đ; English plurals; numbers with
    /// units and separators; acronyms; Chinese; other Latin letters.
    const WORDS: &[&str] = &[
        "nước",
        "nuoc",
        "Nước",
        "NƯỚC",
        "thải",
        "thai",
        "xử",
        "lý",
        "Xử",
        "hoà",
        "hòa",
        "thuỷ",
        "thủy",
        "kĩ",
        "kỹ",
        "ý",
        "y",
        "in",
        "đường",
        "Đường",
        "duong",
        "dryers",
        "dryer",
        "drying",
        "systems",
        "using",
        "use",
        "50kg",
        "5kW",
        "1.500.000",
        "CO2",
        "IoT",
        "COVID-19",
        "ISO/IEC",
        "污水处理",
        "反渗透膜",
        "crème",
        "brûlée",
        "Ðor",
        "ß",
        "biogas",
        "biogass",
        "máy",
        "may",
        "sấy",
        "say",
        "cà",
        "phê",
        "ca",
        "phe",
        "n",
        "th",
        "nu\u{31B}\u{301}o\u{31B}c",
        "Tha\u{309}i",
        "\u{200B}nước",
        "e-mail",
        "x",
        "4.0",
        "v2.1",
        "an",
        "toàn",
        "anh",
        "Ánh",
        "ánh",
        "lí",
        "lý",
        "Lí",
        "quý",
        "quí",
        "gì",
        "İstanbul",
        "ſ",
        "æon",
        "øre",
        "ĐI",
        "ngHiÊn",
        "nghiên",
        "nghien",
        "kỹ thuật",
        "ky",
        "ki",
        "yêu",
        "iêu",
        "Y",
        "I",
        "đi",
        "di",
    ];

    fn text_of(picks: &[(usize, usize)]) -> String {
        let separators = [" ", " ", " ", ", ", ". ", "\n", " – ", "(", ") ", "/"];
        let mut text = String::new();
        for (word, separator) in picks {
            text.push_str(WORDS[word % WORDS.len()]);
            text.push_str(separators[separator % separators.len()]);
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        #[test]
        fn scanning_gives_the_spans_of_a_full_analysis(
            text in proptest::collection::vec((0usize..1000, 0usize..1000), 0..40),
            query in proptest::collection::vec((0usize..1000, 0usize..1000), 1..4),
            prefix_last in proptest::bool::ANY,
            phrase in proptest::collection::vec(0usize..1000, 0..3),
        ) {
            let text = text_of(&text);
            let query = text_of(&query);
            let mut h = Highlighter::new(&QueryTerms::parse(&query, prefix_last));
            if !phrase.is_empty() {
                let words: Vec<String> = phrase
                    .iter()
                    .map(|w| fold_token(&techmatch_analysis::normalize::normalize_word(
                        WORDS[w % WORDS.len()],
                    )))
                    .collect();
                h = Highlighter::with(h.targets.clone(), vec![(words, "≈concept".into())]);
            }
            proptest::prop_assert_eq!(h.spans(&text), spans_by_analysis(&h, &text));
        }
    }

    #[test]
    fn unread_words_keep_their_place_in_phrases() {
        // "xử lý nước thải" as a concept phrase: "xử" and "lý" are read, the words between
        // two phrase words are not skipped over.
        let h = Highlighter::with(
            Vec::new(),
            vec![(vec!["nuoc".into(), "thai".into()], "≈wastewater".into())],
        );
        let text = "nước bẩn thải ra, nước thải sinh hoạt";
        let (spans, matched) = h.spans(text);
        let at = text.find("nước thải").unwrap();
        assert_eq!(spans, vec![(at, at + "nước thải".len())]);
        assert_eq!(matched.into_iter().collect::<Vec<_>>(), vec!["≈wastewater"]);
    }

    #[test]
    fn folded_query_highlights_the_original_compound() {
        let h = highlighter("nuoc thai ");
        assert_eq!(
            h.highlight_all("Xử lý nước thải sinh hoạt").html,
            "Xử lý <mark>nước thải</mark> sinh hoạt"
        );
    }

    #[test]
    fn nfd_text_is_highlighted_on_its_own_bytes() {
        let text = nfd("Xử lý nước thải");
        let html = highlighter("nước thải ").highlight_all(&text).html;
        assert_eq!(html, format!("Xử lý <mark>{}</mark>", nfd("nước thải")));
    }

    #[test]
    fn prefix_and_typo() {
        assert_eq!(
            highlighter("nuoc th").highlight_all("nước thải").html,
            "<mark>nước thải</mark>"
        );
        assert_eq!(
            highlighter("biogass ").highlight_all("hầm biogas").html,
            "hầm <mark>biogas</mark>"
        );
    }

    #[test]
    fn chinese_words_are_highlighted() {
        assert_eq!(
            highlighter("反渗透 ").highlight_all("采用反渗透膜").html,
            "采用<mark>反渗透</mark>膜"
        );
    }

    #[test]
    fn markup_in_records_is_escaped() {
        let html = highlighter("may ")
            .highlight_all("<script>alert(1)</script> máy")
            .html;
        assert_eq!(
            html,
            "&lt;script&gt;alert(1)&lt;/script&gt; <mark>máy</mark>"
        );
    }

    #[test]
    fn snippet_picks_the_window_with_the_matches() {
        let text = format!(
            "{} Hệ thống xử lý nước thải công suất lớn. {}",
            "mở đầu ".repeat(60),
            "kết thúc ".repeat(60)
        );
        let snippet = highlighter("nuoc thai ").snippet(&text, 120);
        assert!(
            snippet.html.contains("<mark>nước thải</mark>"),
            "{}",
            snippet.html
        );
        assert!(snippet.html.starts_with('…') && snippet.html.ends_with('…'));
        assert_eq!(snippet.matched, vec!["nuoc", "thai"]);
    }
}
