//! tantivy tokenizers for the four token streams, and their registration.
//!
//! tantivy does not store custom tokenizers inside an index: [`register`] must run every
//! time an index is opened, before it is searched or written. The indexer usually feeds
//! pre-tokenised text (one analysis for all four streams); these tokenizers give the same
//! tokens for plain text values and for tantivy's own tools (snippets, query parser).

use tantivy::tokenizer::{Token as TantivyToken, TokenStream, Tokenizer};
use tantivy::Index;

use crate::{analyze, Token};

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

/// Tokens of one text, handed out one by one.
pub struct PrecomputedTokenStream {
    tokens: std::vec::IntoIter<TantivyToken>,
    current: TantivyToken,
}

impl PrecomputedTokenStream {
    /// A stream over already analysed tokens.
    pub fn new(tokens: &[Token]) -> Self {
        let tokens: Vec<TantivyToken> = tokens.iter().map(to_tantivy_token).collect();
        PrecomputedTokenStream {
            tokens: tokens.into_iter(),
            current: TantivyToken::default(),
        }
    }
}

/// Converts one of our tokens into tantivy's.
pub fn to_tantivy_token(token: &Token) -> TantivyToken {
    TantivyToken {
        offset_from: token.start,
        offset_to: token.end,
        position: token.position,
        text: token.text.clone(),
        position_length: 1,
    }
}

impl TokenStream for PrecomputedTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &TantivyToken {
        &self.current
    }

    fn token_mut(&mut self) -> &mut TantivyToken {
        &mut self.current
    }
}

impl Tokenizer for TechmatchTokenizer {
    type TokenStream<'a> = PrecomputedTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PrecomputedTokenStream {
        let analysis = analyze(text);
        PrecomputedTokenStream::new(analysis.stream(self.kind))
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
