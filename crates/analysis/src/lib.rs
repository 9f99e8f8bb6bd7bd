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

use serde::Serialize;

pub use detection::{detect_language, Language};
pub use fold::fold_diacritics;
pub use tokenizer::{register, TokenStreamKind, TokenizerName};

/// Changes whenever any token produced for some text would change; stored with each index.
///
/// 3: English words are stemmed by frostem (Snowball's current English stemmer, which
/// tantivy uses) instead of the unmaintained rust-stemmers; 8 of the 4,146 English words of
/// the bundled collection stem differently ("organic" stays "organic" instead of "organ",
/// "international" becomes "internat" instead of "intern", "added" "add" instead of "ad").
pub const ANALYZER_VERSION: u32 = 3;

/// Tokens longer than this (in bytes) are dropped: they are hashes, URLs or binary junk.
pub const MAX_TOKEN_BYTES: usize = 64;

/// One token: its text, where it came from in the input, and its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    /// The normalised token text.
    pub text: String,
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
}

impl Analysis {
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

/// The last main word seen, for variants and bigrams.
#[derive(Clone, Default)]
struct MainWord {
    chain: usize,
    position: usize,
    start: usize,
    exact: String,
    folded: String,
}

/// A normalised word before folding.
struct Unit {
    exact: String,
    start: usize,
    end: usize,
    position: usize,
    main: bool,
    chain: usize,
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

/// Analyses a text into its four token streams.
pub fn analyze(text: &str) -> Analysis {
    let units = units(text);
    let mut analysis = Analysis {
        exact: Vec::with_capacity(units.len()),
        folded: Vec::with_capacity(units.len()),
        exact_bigrams: Vec::with_capacity(units.len()),
        folded_bigrams: Vec::with_capacity(units.len()),
    };
    let mut previous: Option<MainWord> = None;
    let mut last_main = MainWord::default();
    for unit in &units {
        let folded = fold_token(&unit.exact);
        if folded.is_empty() {
            continue;
        }
        if !unit.main {
            if unit.exact != last_main.exact {
                push_token(&mut analysis.exact, &unit.exact, unit);
                if folded != last_main.folded {
                    push_token(&mut analysis.folded, &folded, unit);
                }
            }
            continue;
        }
        push_token(&mut analysis.exact, &unit.exact, unit);
        push_token(&mut analysis.folded, &folded, unit);
        let current = MainWord {
            chain: unit.chain,
            position: unit.position,
            start: unit.start,
            exact: unit.exact.clone(),
            folded,
        };
        if let Some(prev) = previous
            .as_ref()
            .filter(|p| p.chain == unit.chain && p.position + 1 == unit.position)
        {
            let bigram = |first: &str, second: &str| Token {
                text: {
                    let mut text = String::with_capacity(first.len() + second.len() + 1);
                    text.push_str(first);
                    text.push(' ');
                    text.push_str(second);
                    text
                },
                start: prev.start,
                end: unit.end,
                position: prev.position,
            };
            analysis
                .exact_bigrams
                .push(bigram(&prev.exact, &current.exact));
            analysis
                .folded_bigrams
                .push(bigram(&prev.folded, &current.folded));
        }
        last_main = current.clone();
        previous = Some(current);
    }
    analysis
}

fn push_token(stream: &mut Vec<Token>, text: &str, unit: &Unit) {
    stream.push(Token {
        text: text.to_string(),
        start: unit.start,
        end: unit.end,
        position: unit.position,
    });
}

/// Cuts, splits and normalises the text into words with positions and bigram chains.
fn units(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut position = 0usize;
    let mut chain = 0usize;
    let mut started = false;
    for piece in segment::segment(text) {
        if piece.break_before {
            chain += 1;
        }
        let mut push = |exact: String, start: usize, end: usize, main: bool| {
            if exact.is_empty() || exact.len() > MAX_TOKEN_BYTES {
                // A dropped word still breaks the bigram chain.
                if main {
                    chain += 1;
                }
                return;
            }
            if main {
                if started {
                    position += 1;
                }
                started = true;
            }
            units.push(Unit {
                exact,
                start,
                end,
                position,
                main,
                chain,
            });
        };
        match piece.kind {
            segment::PieceKind::Word => {
                for part in technical::split_word(text, piece.start, piece.end) {
                    let exact = cache::normalize_word(&text[part.start..part.end]);
                    let variant = technical::number_variant(&exact);
                    push(exact, part.start, part.end, !part.variant);
                    if let Some(variant) = variant {
                        push(variant, part.start, part.end, false);
                    }
                }
            }
            segment::PieceKind::Cjk => {
                let run = &text[piece.start..piece.end];
                for word in chinese::segment_chinese(run) {
                    push(
                        word.word.to_string(),
                        piece.start + word.start,
                        piece.start + word.end,
                        word.is_main,
                    );
                }
            }
        }
    }
    units
}

#[cfg(test)]
mod tests;
