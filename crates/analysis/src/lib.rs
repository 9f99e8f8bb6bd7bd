//! Vietnamese-aware text analysis for techmatch.
//!
//! A text becomes four token streams, one per kind of index field:
//!
//! | stream | what a token is | used for |
//! |---|---|---|
//! | `exact` | a syllable or word: NFC, lowercase, canonical tone placement, i/y unified | matches that respect diacritics, ranked highest |
//! | `folded` | the same token without diacritics (đ -> d), English words stemmed | diacritic-free typing, wrong marks |
//! | `exact_bigrams` | two adjacent `exact` tokens joined by a space | Vietnamese compounds ("nước thải") |
//! | `folded_bigrams` | two adjacent `folded` tokens | compounds typed without diacritics |
//!
//! The pipeline has small stages, each in its own module:
//! [`segment`] cuts the original text into words and CJK runs (UAX #29 word boundaries),
//! [`technical`] splits numbers from units and dotted abbreviations, [`normalize`] brings
//! each word to its canonical form (NFC, lowercase, [`syllable`] rules for tone placement),
//! [`chinese`] segments Han runs with jieba, [`fold`] removes diacritics, [`stem`] stems
//! English words, and [`detection`] guesses the language of a text.
//!
//! Every token carries byte offsets into the text **as given** (NFD or not), so a snippet
//! can highlight the original. Tokens that are alternative spellings of the same word
//! (`5kw` next to `5` `kw`, `1500000` next to `1.500.000`, Chinese sub-words) share a
//! position; bigrams never span punctuation. No stopwords are removed.
//!
//! ```
//! let analysis = techmatch_analysis::analyze("Xử lý nước thải");
//! let folded: Vec<&str> = analysis.folded.iter().map(|t| t.text.as_str()).collect();
//! assert_eq!(folded, ["xu", "ly", "nuoc", "thai"]);
//! assert_eq!(analysis.folded_bigrams[2].text, "nuoc thai");
//! ```
#![deny(missing_docs)]

pub mod boilerplate;
mod cache;
pub mod chinese;
pub mod detection;
pub mod fold;
pub mod normalize;
pub mod segment;
pub mod stem;
pub mod syllable;
pub mod technical;
pub mod tokenizer;

use compact_str::CompactString;
use serde::Serialize;

pub use detection::{detect_language, Language};
pub use fold::fold_diacritics;
pub use tokenizer::{cached_analysis, register, TokenStreamKind, TokenizerName};

/// Changes whenever any token produced for some text would change; stored with each index.
///
/// 3: English words are stemmed by frostem (Snowball's current English stemmer, which
/// tantivy uses) instead of the unmaintained rust-stemmers; 8 of the 4,146 English words of
/// the bundled collection stem differently ("organic" stays "organic" instead of "organ",
/// "international" becomes "internat" instead of "intern", "added" "add" instead of "ad").
///
/// 4: what an index holds per text changed, not the analyzer's tokens: the exact bigrams of
/// every field and the owner's folded bigrams are no longer indexed (the indexer's
/// `TextField::streams`); a version-3 index has those fields and is rebuilt.
pub const ANALYZER_VERSION: u32 = 4;

/// Tokens longer than this (in bytes) are dropped: they are hashes, URLs or binary junk.
pub const MAX_TOKEN_BYTES: usize = 64;

/// One token: its text, where it came from in the input, and its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// The normalised token text (inline up to 24 bytes, so most tokens allocate nothing).
    pub text: CompactString,
    /// Byte offset of the start in the original input.
    pub start: usize,
    /// Byte offset of the end in the original input.
    pub end: usize,
    /// Word position; alternative spellings of one word share a position.
    pub position: usize,
}

/// The four token streams of one text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// Canonical tokens with diacritics.
    pub exact: Vec<Token>,
    /// Tokens without diacritics, English words stemmed.
    pub folded: Vec<Token>,
    /// Adjacent exact tokens joined by a space.
    pub exact_bigrams: Vec<Token>,
    /// Adjacent folded tokens joined by a space.
    pub folded_bigrams: Vec<Token>,
    /// The main words, in order (see [`Analysis::words`]).
    #[serde(skip)]
    words: Vec<WordIndex>,
}

/// Where a main word's tokens are in the streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WordIndex {
    exact: u32,
    folded: u32,
    position: u32,
    chain: u32,
    has_diacritics: bool,
    joins_previous: bool,
}

/// One word of an analysed text, as a person reads it: its main token (not the variants
/// or Chinese sub-words indexed at the same position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    /// The exact (canonical) form.
    pub exact: &'a str,
    /// The folded form (diacritics removed, English stemmed).
    pub folded: &'a str,
    /// Whether the word carries diacritics (`exact` differs from its folding).
    pub has_diacritics: bool,
    /// Byte offset of the start in the original text.
    pub start: usize,
    /// Byte offset of the end in the original text.
    pub end: usize,
    /// Word position, as in the token streams.
    pub position: usize,
    /// Whether this word and the previous one form a bigram: adjacent, no punctuation or
    /// dropped word between them. Pairs of words that do not join are not compounds.
    pub joins_previous: bool,
}

impl Analysis {
    /// The main words in order, one per position.
    ///
    /// ```
    /// let analysis = techmatch_analysis::analyze("Máy sấy, 5kW");
    /// let words: Vec<_> = analysis.words().map(|w| (w.exact, w.folded, w.joins_previous)).collect();
    /// assert_eq!(words, [("máy", "may", false), ("sấy", "say", true), ("5", "5", false), ("kw", "kw", true)]);
    /// ```
    pub fn words(&self) -> impl ExactSizeIterator<Item = Word<'_>> + '_ {
        self.words.iter().map(move |w| {
            let exact = &self.exact[w.exact as usize];
            Word {
                exact: &exact.text,
                folded: &self.folded[w.folded as usize].text,
                has_diacritics: w.has_diacritics,
                start: exact.start,
                end: exact.end,
                position: w.position as usize,
                joins_previous: w.joins_previous,
            }
        })
    }

    /// The stream of the given kind.
    pub fn stream(&self, kind: TokenStreamKind) -> &[Token] {
        match kind {
            TokenStreamKind::Exact => &self.exact,
            TokenStreamKind::Folded => &self.folded,
            TokenStreamKind::ExactBigram => &self.exact_bigrams,
            TokenStreamKind::FoldedBigram => &self.folded_bigrams,
        }
    }
}

/// The folded form of one exact token: diacritics removed, English words stemmed (a word
/// that carried diacritics is never stemmed).
///
/// ```
/// assert_eq!(techmatch_analysis::fold_token("nước"), "nuoc");
/// assert_eq!(techmatch_analysis::fold_token("dryers"), "dryer");
/// ```
pub fn fold_token(exact: &str) -> String {
    cache::fold_token(exact, compute_fold_token)
}

fn compute_fold_token(exact: &str) -> String {
    if exact.is_ascii() {
        stem::stem_if_english(exact)
    } else {
        fold_diacritics(exact)
    }
}

/// Whether a token (or any text) carries diacritics: it differs from its folded form.
///
/// ASCII never does. Text in NFC (every token is) does exactly when one of its characters
/// decomposes into a combining mark or is `đ`/`Đ`: folding removes those and changes
/// nothing else of an NFC text, so it is checked character by character, without folding
/// or allocating (the indexer asks this of every exact token). Other text is folded through
/// the per-thread memo.
///
/// ```
/// use techmatch_analysis::has_diacritics;
/// assert!(has_diacritics("nước") && has_diacritics("đi"));
/// assert!(!has_diacritics("nuoc") && !has_diacritics("污水") && !has_diacritics("ðor"));
/// ```
pub fn has_diacritics(text: &str) -> bool {
    use unicode_normalization::{is_nfc_quick, IsNormalized};
    if text.is_ascii() {
        return false;
    }
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text.chars().any(carries_mark),
        _ => cache::fold_diacritics(text) != text,
    }
}

/// Whether folding changes this character of an NFC text: `đ`/`Đ`, or a character whose
/// canonical decomposition holds a combining mark (`ệ`, `ư`, a lone U+0301). The Latin
/// blocks Vietnamese is written in are answered from a table made once by the same rule.
fn carries_mark(c: char) -> bool {
    static LATIN: std::sync::OnceLock<[u64; LATIN_WORDS]> = std::sync::OnceLock::new();
    let code = c as u32;
    if code < 0x80 {
        return false;
    }
    let Some(slot) = latin_slot(code) else {
        return decomposes_with_mark(c);
    };
    let table = LATIN.get_or_init(|| {
        let mut table = [0u64; LATIN_WORDS];
        for code in (0x80..=0x24F).chain(0x1E00..=0x1EFF) {
            let c = char::from_u32(code).expect("a Latin letter");
            if let Some(slot) = latin_slot(code).filter(|_| decomposes_with_mark(c)) {
                table[slot / 64] |= 1 << (slot % 64);
            }
        }
        table
    });
    table[slot / 64] & (1 << (slot % 64)) != 0
}

/// Bits of [`carries_mark`]'s table: U+0080..U+024F, then U+1E00..U+1EFF.
const LATIN_WORDS: usize = (0x1D0_usize + 0x100).div_ceil(64);

/// A code point's bit in [`carries_mark`]'s table, if the table holds it.
fn latin_slot(code: u32) -> Option<usize> {
    match code {
        0x80..=0x24F => Some((code - 0x80) as usize),
        0x1E00..=0x1EFF => Some((code - 0x1E00 + 0x1D0) as usize),
        _ => None,
    }
}

/// The rule itself: `đ`/`Đ`, or a canonical decomposition holding a combining mark.
fn decomposes_with_mark(c: char) -> bool {
    if c == 'đ' || c == 'Đ' {
        return true;
    }
    let mut mark = false;
    unicode_normalization::char::decompose_canonical(c, |part| {
        mark |= unicode_normalization::char::canonical_combining_class(part) != 0;
    });
    mark
}

/// Analyses a text into its four token streams and its words.
pub fn analyze(text: &str) -> Analysis {
    analyze_into(text, Pairs::Both)
}

/// Analyses a text as the index holds it: its words and its exact, folded and folded-bigram
/// streams, without the exact bigrams (left empty), which no index field holds since
/// `ANALYZER_VERSION` 4 (each would be a string built for nothing). The other streams,
/// words and offsets are those of [`analyze`].
///
/// ```
/// let text = "Máy sấy nông sản";
/// let indexed = techmatch_analysis::analyze_for_index(text);
/// let full = techmatch_analysis::analyze(text);
/// assert_eq!((&indexed.exact, &indexed.folded), (&full.exact, &full.folded));
/// assert_eq!(indexed.folded_bigrams, full.folded_bigrams);
/// assert!(indexed.words().eq(full.words()));
/// assert!(indexed.exact_bigrams.is_empty());
/// ```
pub fn analyze_for_index(text: &str) -> Analysis {
    analyze_into(text, Pairs::Folded)
}

/// Which bigram streams an analysis fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairs {
    None,
    Folded,
    Both,
}

/// Analyses a text into its words and its exact and folded streams, without the two bigram
/// streams (left empty): what highlighting and query code read, at less cost. Tokens, words
/// and offsets are those of [`analyze`].
///
/// ```
/// let text = "Máy sấy nông sản";
/// let light = techmatch_analysis::analyze_words(text);
/// let full = techmatch_analysis::analyze(text);
/// assert_eq!(light.exact, full.exact);
/// assert_eq!(light.folded, full.folded);
/// assert!(light.words().eq(full.words()));
/// assert!(light.exact_bigrams.is_empty() && light.folded_bigrams.is_empty());
/// ```
pub fn analyze_words(text: &str) -> Analysis {
    analyze_into(text, Pairs::None)
}

fn analyze_into(text: &str, bigrams: Pairs) -> Analysis {
    let mut builder = Builder::with_capacity(text.len() / 5 + 1, bigrams);
    cache::with_word_parts(|memo| {
        for piece in segment::segment(text) {
            if piece.break_before {
                builder.chain += 1;
            }
            match piece.kind {
                segment::PieceKind::Word => {
                    for part in memo.get(&text[piece.start..piece.end]) {
                        builder.push(
                            part.exact.clone(),
                            part.folded.clone(),
                            part.has_diacritics,
                            piece.start + part.start as usize,
                            piece.start + part.end as usize,
                            part.main,
                        );
                    }
                }
                segment::PieceKind::Cjk => {
                    let run = &text[piece.start..piece.end];
                    for word in chinese::segment_chinese(run) {
                        let folded = fold_token(word.word);
                        builder.push(
                            word.word.into(),
                            folded.as_str().into(),
                            !word.word.is_ascii() && folded != word.word,
                            piece.start + word.start,
                            piece.start + word.end,
                            word.is_main,
                        );
                    }
                }
            }
        }
    });
    builder.analysis
}

/// One token of a text met by [`scan_words`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned<'a> {
    /// A token of [`analyze_words`]' exact stream: its normalised and folded forms, its
    /// byte offsets into the text, and whether it is a word (takes a position) or another
    /// spelling of the word before it.
    Token {
        /// The exact (normalised) form.
        exact: &'a str,
        /// The folded form.
        folded: &'a str,
        /// Byte offset of the first byte in the text.
        start: usize,
        /// Byte offset one past the last byte.
        end: usize,
        /// A word, not a variant of the previous one.
        main: bool,
    },
    /// A word of letters only, left unread because its folded form cannot start with a
    /// letter the caller looks for (it is one word of [`analyze_words`], with a position).
    Skipped {
        /// Byte offset of the first byte in the text.
        start: usize,
        /// Byte offset one past the last byte.
        end: usize,
    },
}

/// Walks the tokens of `text` as [`analyze_words`] gives them in its exact stream (variants
/// included, the tokens it drops left out), in order, without building the streams.
///
/// A caller looking for given words says which words it wants (`wanted`), from a key
/// read off a word made of Latin letters only (no digits, no connectors, no CJK) without
/// analysing it: the word's folded form with i and y counted as one letter
/// ([`initial_key`]: the canonical spelling may swap them, "kĩ" is "kỹ") when the word
/// carries a letter outside ASCII or is short (such words are folded letter by letter),
/// else (an ASCII word English stemming may shorten; stemming never changes the first two
/// letters) its first two letters, flagged incomplete. A word not wanted is reported as
/// [`Scanned::Skipped`]. A Chinese run is skipped whole (one [`Scanned::Skipped`],
/// unsegmented) when none of its characters is wanted as the incomplete key of a word's
/// start. Highlighting a query in a stored record reads most words of the record this way.
///
/// ```
/// use techmatch_analysis::{scan_words, Scanned};
/// let mut seen = Vec::new();
/// let wanted = |key: &str, whole: bool| if whole { key == "nuoc" } else { "nuoc".starts_with(key) };
/// scan_words("Xử lý nước nắng thải", &wanted, &mut |s| {
///     seen.push(match s {
///         Scanned::Token { folded, .. } => folded.to_string(),
///         Scanned::Skipped { .. } => "-".to_string(),
///     })
/// });
/// assert_eq!(seen, ["-", "-", "nuoc", "-", "-"]);
/// ```
pub fn scan_words(
    text: &str,
    wanted: &dyn Fn(&str, bool) -> bool,
    visit: &mut dyn FnMut(Scanned<'_>),
) {
    // The exact form of the last word emitted, for its variants (as the builder keeps them).
    let mut last_main: Option<CompactString> = None;
    let emit = |last_main: &mut Option<CompactString>,
                visit: &mut dyn FnMut(Scanned<'_>),
                exact: &str,
                folded: &str,
                start: usize,
                end: usize,
                main: bool| {
        if exact.is_empty() || exact.len() > MAX_TOKEN_BYTES || folded.is_empty() {
            return;
        }
        if main {
            *last_main = Some(exact.into());
        } else if last_main.as_deref() == Some(exact) {
            return;
        }
        visit(Scanned::Token {
            exact,
            folded,
            start,
            end,
            main,
        });
    };
    let mut key = String::new();
    cache::with_word_parts(|memo| {
        for piece in segment::segment(text) {
            let word = &text[piece.start..piece.end];
            match piece.kind {
                segment::PieceKind::Word => {
                    if let Some(whole) = plain_key(word, &mut key) {
                        if !wanted(&key, whole) {
                            // An unread word: the variants after it follow no word.
                            last_main = None;
                            visit(Scanned::Skipped {
                                start: piece.start,
                                end: piece.end,
                            });
                            continue;
                        }
                    }
                    for part in memo.get(word) {
                        emit(
                            &mut last_main,
                            visit,
                            &part.exact,
                            &part.folded,
                            piece.start + part.start as usize,
                            piece.start + part.end as usize,
                            part.main,
                        );
                    }
                }
                segment::PieceKind::Cjk => {
                    // Each word of the run starts with one of its characters.
                    if !word
                        .chars()
                        .any(|c| wanted(c.encode_utf8(&mut [0; 4]), false))
                    {
                        // An unread word: the variants after it follow no word.
                        last_main = None;
                        visit(Scanned::Skipped {
                            start: piece.start,
                            end: piece.end,
                        });
                        continue;
                    }
                    for chinese in chinese::segment_chinese(word) {
                        let folded = fold_token(chinese.word);
                        emit(
                            &mut last_main,
                            visit,
                            chinese.word,
                            &folded,
                            piece.start + chinese.start,
                            piece.start + chinese.end,
                            chinese.is_main,
                        );
                    }
                }
            }
        }
    });
}

/// The key [`scan_words`] reads off a word of Latin letters (and combining marks) only,
/// short enough never to be dropped, into `key`: its folded form letter by letter, i and y
/// as one (`Some(true)`), or the first two letters of an ASCII word of four letters or more,
/// which English stemming may change after them (`Some(false)`); `None` for other words.
fn plain_key(word: &str, key: &mut String) -> Option<bool> {
    if word.len() * 2 > MAX_TOKEN_BYTES {
        return None;
    }
    key.clear();
    let whole = !word.is_ascii() || word.len() < 4;
    for c in word.chars() {
        if matches!(c, '\u{300}'..='\u{36F}') {
            continue;
        }
        let letter = latin_key(c)?;
        if whole || key.len() < 2 {
            key.push(letter);
        }
    }
    (!key.is_empty()).then_some(whole)
}

/// The folded letter of a Latin letter (lowercase, base letter, đ as d) as
/// [`initial_key`] counts it; `None` for anything else.
fn latin_key(c: char) -> Option<char> {
    /// The folded base letters of U+00C0–U+024F and U+1E00–U+1EFF (0 where not a letter).
    static KEYS: std::sync::LazyLock<Vec<char>> = std::sync::LazyLock::new(|| {
        let key = |c: char| -> char {
            if !c.is_alphabetic() || matches!(c, '\u{D7}' | '\u{F7}') {
                return '\0';
            }
            let Some(lower) = c.to_lowercase().next() else {
                return '\0';
            };
            if lower == 'đ' {
                return 'd';
            }
            // The first character of the decomposition is the base letter; folding keeps
            // it.
            let mut base = None;
            unicode_normalization::char::decompose_canonical(lower, |d| {
                base.get_or_insert(d);
            });
            base.unwrap_or(lower)
        };
        ('\u{C0}'..='\u{24F}')
            .chain('\u{1E00}'..='\u{1EFF}')
            .map(key)
            .collect()
    });
    let found = match c {
        'a'..='z' => Some(c),
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        '\u{C0}'..='\u{24F}' => Some(KEYS[c as usize - 0xC0]),
        '\u{1E00}'..='\u{1EFF}' => Some(KEYS[0x24F - 0xC0 + 1 + (c as usize - 0x1E00)]),
        _ => None,
    }?;
    (found != '\0').then(|| initial_key(found))
}

/// A letter as [`scan_words`] compares the first letters of folded forms: y counts as i
/// (the canonical spelling writes "kỹ" for "kĩ", "lý" for "lí").
///
/// ```
/// assert_eq!(techmatch_analysis::initial_key('y'), 'i');
/// assert_eq!(techmatch_analysis::initial_key('n'), 'n');
/// ```
pub fn initial_key(c: char) -> char {
    if c == 'y' {
        'i'
    } else {
        c
    }
}

/// One part of a word as the per-thread memo keeps it: normalised, folded, offsets relative
/// to the word.
#[derive(Debug, Clone)]
pub(crate) struct WordPart {
    pub(crate) exact: CompactString,
    pub(crate) folded: CompactString,
    pub(crate) has_diacritics: bool,
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// A main part takes a position; a variant is indexed at the previous main part's.
    pub(crate) main: bool,
}

/// The parts of one word (`technical::split_word`), each normalised and folded, the
/// number variants included.
pub(crate) fn word_parts(word: &str) -> Vec<WordPart> {
    let mut parts = Vec::new();
    for part in technical::split_word(word, 0, word.len()) {
        let exact = normalize::normalize_word(&word[part.start..part.end]);
        let variant = technical::number_variant(&exact);
        let mut push = |exact: &str, main: bool| {
            let folded = compute_fold_token(exact);
            parts.push(WordPart {
                // Folding of non-ASCII text only removes marks (no stemming).
                has_diacritics: !exact.is_ascii() && folded != exact,
                exact: exact.into(),
                folded: folded.into(),
                start: part.start as u32,
                end: part.end as u32,
                main,
            });
        };
        push(&exact, !part.variant);
        if let Some(variant) = variant {
            push(&variant, false);
        }
    }
    parts
}

/// `first second` (inline when it fits in 24 bytes, as most bigrams do).
fn join_words(first: &str, second: &str) -> CompactString {
    let mut text = CompactString::with_capacity(first.len() + 1 + second.len());
    text.push_str(first);
    text.push(' ');
    text.push_str(second);
    text
}

/// Builds the streams word by word: positions, variants, bigram chains.
struct Builder {
    analysis: Analysis,
    /// Bigram chain: punctuation and dropped words start a new one.
    chain: u32,
    position: usize,
    started: bool,
    /// The last main word kept, as an index into `analysis.words`.
    last_main: Option<usize>,
    /// Which bigram streams are filled.
    bigrams: Pairs,
}

impl Builder {
    fn with_capacity(words: usize, bigrams: Pairs) -> Self {
        let capacity = |filled: bool| if filled { words } else { 0 };
        Builder {
            analysis: Analysis {
                exact: Vec::with_capacity(words),
                folded: Vec::with_capacity(words),
                exact_bigrams: Vec::with_capacity(capacity(bigrams == Pairs::Both)),
                folded_bigrams: Vec::with_capacity(capacity(bigrams != Pairs::None)),
                words: Vec::with_capacity(words),
            },
            chain: 0,
            position: 0,
            started: false,
            last_main: None,
            bigrams,
        }
    }

    fn push(
        &mut self,
        exact: CompactString,
        folded: CompactString,
        has_diacritics: bool,
        start: usize,
        end: usize,
        main: bool,
    ) {
        if exact.is_empty() || exact.len() > MAX_TOKEN_BYTES {
            // A dropped word still breaks the bigram chain.
            if main {
                self.chain += 1;
            }
            return;
        }
        if main {
            if self.started {
                self.position += 1;
            }
            self.started = true;
        }
        if folded.is_empty() {
            return;
        }
        let position = self.position;
        let token = |text: CompactString| Token {
            text,
            start,
            end,
            position,
        };
        let a = &mut self.analysis;
        if !main {
            // A variant is kept only where it spells the word differently.
            let last = self.last_main.map(|w| &a.words[w]);
            let same_exact = last.is_some_and(|w| a.exact[w.exact as usize].text == exact);
            if !same_exact {
                let same_folded = last.is_some_and(|w| a.folded[w.folded as usize].text == folded);
                a.exact.push(token(exact));
                if !same_folded {
                    a.folded.push(token(folded));
                }
            }
            return;
        }
        let previous = self
            .last_main
            .map(|w| a.words[w])
            .filter(|w| w.chain == self.chain && w.position as usize + 1 == position);
        if let Some(previous) = previous.filter(|_| self.bigrams != Pairs::None) {
            let first = &a.exact[previous.exact as usize];
            let bigram_start = first.start;
            let bigram = |first: &str, second: &str| Token {
                text: join_words(first, second),
                start: bigram_start,
                end,
                position: previous.position as usize,
            };
            if self.bigrams == Pairs::Both {
                let exact_bigram = bigram(&first.text, &exact);
                a.exact_bigrams.push(exact_bigram);
            }
            let folded_bigram = bigram(&a.folded[previous.folded as usize].text, &folded);
            a.folded_bigrams.push(folded_bigram);
        }
        a.words.push(WordIndex {
            exact: a.exact.len() as u32,
            folded: a.folded.len() as u32,
            position: position as u32,
            chain: self.chain,
            has_diacritics,
            joins_previous: previous.is_some(),
        });
        a.exact.push(token(exact));
        a.folded.push(token(folded));
        self.last_main = Some(a.words.len() - 1);
    }
}

#[cfg(test)]
mod tests;
