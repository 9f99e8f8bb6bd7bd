//! tantivy tokenizers for the four token streams, and their registration.
//!
//! tantivy does not store custom tokenizers inside an index: [`register`] must run every
//! time an index is opened, before it is searched or written. tantivy asks for the streams
//! of a field value one after the other; the tokenizers keep the last analysis of the
//! thread, so a text is analysed once for all of them. The exact streams are filtered as
//! [`indexed_in_exact_field`] says.

use tantivy::tokenizer::{Token as TantivyToken, TokenStream, Tokenizer};
use tantivy::Index;

use std::cell::RefCell;
use std::rc::Rc;

use crate::{analyze, analyze_for_index, has_diacritics, Analysis, Token};

/// Which of the four token streams a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenStreamKind {
    /// Canonical tokens with diacritics.
    Exact,
    /// Diacritic-free tokens.
    Folded,
    /// Bigrams of exact tokens.
    ExactBigram,
    /// Bigrams of folded tokens.
    FoldedBigram,
}

impl TokenStreamKind {
    /// All four kinds.
    pub const ALL: [TokenStreamKind; 4] = [
        TokenStreamKind::Exact,
        TokenStreamKind::Folded,
        TokenStreamKind::ExactBigram,
        TokenStreamKind::FoldedBigram,
    ];

    /// The name under which the tokenizer is registered.
    pub fn tokenizer_name(self) -> TokenizerName {
        match self {
            TokenStreamKind::Exact => "techmatch_exact",
            TokenStreamKind::Folded => "techmatch_folded",
            TokenStreamKind::ExactBigram => "techmatch_exact_bigram",
            TokenStreamKind::FoldedBigram => "techmatch_folded_bigram",
        }
    }
}

/// A registered tokenizer name.
pub type TokenizerName = &'static str;

/// A tantivy tokenizer that emits one of the four streams.
#[derive(Debug, Clone, Copy)]
pub struct TechmatchTokenizer {
    kind: TokenStreamKind,
}

impl TechmatchTokenizer {
    /// A tokenizer for the given stream.
    pub fn new(kind: TokenStreamKind) -> Self {
        TechmatchTokenizer { kind }
    }
}

/// The indexed tokens of one stream of an analysis, written one after the other into one
/// reused tantivy token (no allocation per token).
pub struct AnalysisTokenStream<'a> {
    analysis: Rc<Analysis>,
    kind: TokenStreamKind,
    text: &'a str,
    next: usize,
    current: TantivyToken,
}

impl TokenStream for AnalysisTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let stream = self.analysis.stream(self.kind);
        while let Some(token) = stream.get(self.next) {
            self.next += 1;
            if is_indexed(token, self.kind, self.text) {
                let current = &mut self.current;
                current.offset_from = token.start;
                current.offset_to = token.end;
                current.position = token.position;
                current.text.clear();
                current.text.push_str(&token.text);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &TantivyToken {
        &self.current
    }

    fn token_mut(&mut self) -> &mut TantivyToken {
        &mut self.current
    }
}

thread_local! {
    /// The last text analysed on this thread: tantivy asks for the streams of one field
    /// value one after the other, and the text is analysed once for all of them.
    static LAST_ANALYSIS: RefCell<Option<(String, Rc<Analysis>)>> = const { RefCell::new(None) };
}

/// The analysis of `text` ([`crate::analyze_for_index`]: no exact bigrams), shared with the
/// tokenizers of this thread: a text the streams of a field value were just cut from is not
/// analysed again (the glossary's concept tokenizer reads the same value right after them).
pub fn cached_analysis(text: &str) -> Rc<Analysis> {
    LAST_ANALYSIS.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((cached, analysis)) = last.as_ref() {
            if cached == text {
                return analysis.clone();
            }
        }
        let analysis = Rc::new(analyze_for_index(text));
        *last = Some((text.to_string(), analysis.clone()));
        analysis
    })
}

/// Whether an exact token is worth indexing in an exact field. Exact fields are only
/// queried for words that carry diacritics and for acronyms typed in capitals, so a token
/// that equals its folded form is indexed only when its source was written in capitals
/// ("RO", not "ro" or "rô"): the exact fields stay small and an acronym query cannot match
/// a lowercase syllable.
pub fn indexed_in_exact_field(token: &Token, text: &str) -> bool {
    if has_diacritics(&token.text) {
        return true;
    }
    let surface = &text[token.start..token.end];
    surface.len() >= 2
        && surface
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && surface.chars().any(|c| c.is_ascii_uppercase())
}

/// The tokens of one stream as they are indexed (see [`indexed_in_exact_field`]).
pub fn indexed_tokens<'a>(
    analysis: &'a Analysis,
    kind: TokenStreamKind,
    text: &'a str,
) -> impl Iterator<Item = &'a Token> + 'a {
    analysis
        .stream(kind)
        .iter()
        .filter(move |token| is_indexed(token, kind, text))
}

fn is_indexed(token: &Token, kind: TokenStreamKind, text: &str) -> bool {
    match kind {
        TokenStreamKind::Exact => indexed_in_exact_field(token, text),
        // Folding works character by character and nothing composes across the space, so
        // a bigram carries diacritics when one of its words does; the words are in the
        // fold memo, the many distinct bigrams would only churn it.
        TokenStreamKind::ExactBigram => match token.text.split_once(' ') {
            Some((first, second)) => has_diacritics(first) || has_diacritics(second),
            None => has_diacritics(&token.text),
        },
        TokenStreamKind::Folded | TokenStreamKind::FoldedBigram => true,
    }
}

impl Tokenizer for TechmatchTokenizer {
    type TokenStream<'a> = AnalysisTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalysisTokenStream<'a> {
        let analysis = match self.kind {
            // No index field holds them (the shared analysis leaves them out).
            TokenStreamKind::ExactBigram => Rc::new(analyze(text)),
            _ => cached_analysis(text),
        };
        AnalysisTokenStream {
            analysis,
            kind: self.kind,
            text,
            next: 0,
            current: TantivyToken::default(),
        }
    }
}

/// Registers the four tokenizers on an index; call it every time an index is opened.
pub fn register(index: &Index) {
    let manager = index.tokenizers();
    for kind in TokenStreamKind::ALL {
        manager.register(kind.tokenizer_name(), TechmatchTokenizer::new(kind));
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{Schema, TextFieldIndexing, TextOptions};

    use super::*;

    #[test]
    fn exact_fields_keep_marked_words_and_capital_acronyms_only() {
        let text = "Màng RO lọc ro, rô phi 5kW";
        let analysis = analyze(text);
        let kept: Vec<&str> = indexed_tokens(&analysis, TokenStreamKind::Exact, text)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(kept, ["màng", "ro", "lọc", "rô"]);
        let kept: Vec<&str> = indexed_tokens(&analysis, TokenStreamKind::ExactBigram, text)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(kept, ["màng ro", "ro lọc", "lọc ro", "rô phi"]);
    }

    #[test]
    fn registered_tokenizer_matches_analyze() {
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default().set_tokenizer("techmatch_folded");
        builder.add_text_field(
            "body",
            TextOptions::default().set_indexing_options(indexing),
        );
        let index = Index::create_in_ram(builder.build());
        register(&index);
        let mut tokenizer = index
            .tokenizers()
            .get("techmatch_folded")
            .expect("registered");
        let mut stream = tokenizer.token_stream("Nước thải");
        let mut texts = Vec::new();
        while let Some(token) = stream.next() {
            texts.push(token.text.clone());
        }
        assert_eq!(texts, ["nuoc", "thai"]);
    }
}
