//! A word-bigram Markov chain per text field and language, with sector-conditioned
//! transitions, trained on the bundled collection.
//!
//! Text is cut into tokens that remember whether a space preceded them, so generated text
//! keeps the spacing of its language: Vietnamese and English words are separated by spaces,
//! punctuation sticks to the word before it, and Chinese is generated character by character
//! without spaces (jieba segments it again at indexing time, like real Chinese text).

use std::collections::HashMap;

use rand::seq::IndexedRandom;
use rand::Rng;
use techmatch_analysis::segment::is_cjk;

/// Token id of the start of a unit.
const START: u32 = 0;
/// Token id of the end of a unit.
const END: u32 = 1;
/// Probability of following the sector's own transitions when it has any.
const SECTOR_AFFINITY: f64 = 0.75;
/// Probability of giving a number new digits (numbers with units stay realistic, and the
/// vocabulary of numbers grows with the corpus as it does in real data).
const RENUMBER: f64 = 0.5;

/// One vocabulary entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Tok {
    text: String,
    space_before: bool,
}

/// The tokens shared by every chain.
#[derive(Debug, Default)]
pub struct Vocabulary {
    tokens: Vec<Tok>,
    ids: HashMap<Tok, u32>,
    renumberable: Vec<bool>,
}

impl Vocabulary {
    /// An empty vocabulary holding the start and end markers.
    pub fn new() -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        vocabulary.intern("<s>", false);
        vocabulary.intern("</s>", false);
        vocabulary
    }

    /// Number of distinct tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether only the markers are there.
    pub fn is_empty(&self) -> bool {
        self.tokens.len() <= 2
    }

    fn intern(&mut self, text: &str, space_before: bool) -> u32 {
        let tok = Tok {
            text: text.to_string(),
            space_before,
        };
        if let Some(id) = self.ids.get(&tok) {
            return *id;
        }
        let id = self.tokens.len() as u32;
        let first = text.chars().next();
        self.renumberable
            .push(first.is_some_and(|c| c.is_ascii_digit()) && !text.contains(':'));
        self.tokens.push(tok.clone());
        self.ids.insert(tok, id);
        id
    }

    /// Cuts a text into token ids (see the module docs).
    fn tokenize(&mut self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        for (n, chunk) in text.split_whitespace().enumerate() {
            let mut space = n > 0;
            let leading = chunk
                .find(|c: char| !is_leading_punct(c))
                .unwrap_or(chunk.len());
            if leading > 0 {
                ids.push(self.intern(&chunk[..leading], space));
                space = false;
            }
            let rest = &chunk[leading..];
            let body_end = rest
                .char_indices()
                .rev()
                .take_while(|(_, c)| is_trailing_punct(*c))
                .last()
                .map_or(rest.len(), |(i, _)| i);
            let (body, trailing) = rest.split_at(body_end);
            let mut run_start = 0;
            for (i, c) in body.char_indices() {
                if is_cjk(c) || is_cjk_punct(c) {
                    if run_start < i {
                        ids.push(self.intern(&body[run_start..i], space));
                        space = false;
                    }
                    ids.push(self.intern(&body[i..i + c.len_utf8()], space));
                    space = false;
                    run_start = i + c.len_utf8();
                }
            }
            if run_start < body.len() {
                ids.push(self.intern(&body[run_start..], space));
            }
            for (i, c) in trailing.char_indices() {
                ids.push(self.intern(&trailing[i..i + c.len_utf8()], false));
            }
        }
        ids
    }

    /// Appends token `id` to `out`, with new digits for some numbers.
    fn render(&self, id: u32, first: bool, rng: &mut impl Rng, out: &mut String) {
        let tok = &self.tokens[id as usize];
        if tok.space_before && !first {
            out.push(' ');
        }
        if self.renumberable[id as usize] && rng.random_bool(RENUMBER) {
            let mut leading = true;
            for c in tok.text.chars() {
                if c.is_ascii_digit() {
                    let low = if leading && c != '0' { 1 } else { 0 };
                    out.push(char::from(b'0' + rng.random_range(low..10u8)));
                    leading = false;
                } else {
                    out.push(c);
                    leading = !c.is_ascii_alphanumeric() && c != ',' && c != '.';
                }
            }
        } else {
            out.push_str(&tok.text);
        }
    }
}

fn is_leading_punct(c: char) -> bool {
    matches!(c, '(' | '"' | '“' | '‘' | '[' | '«')
}

fn is_trailing_punct(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | ';' | ':' | ')' | '"' | '”' | '’' | ']' | '!' | '?' | '»'
    )
}

fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

/// Transitions learned from one kind of text (one field, one language).
#[derive(Debug, Default)]
pub struct Chain {
    next: Vec<Vec<u32>>,
    by_sector: HashMap<(u8, u32), Vec<u32>>,
    lengths: Vec<u32>,
}

impl Chain {
    /// Learns one unit of text (a title, a description, one keyword…).
    pub fn learn(&mut self, vocabulary: &mut Vocabulary, text: &str, sector: Option<u8>) {
        let ids = vocabulary.tokenize(text);
        if ids.is_empty() {
            return;
        }
        self.lengths.push(ids.len() as u32);
        let mut previous = START;
        for id in ids.into_iter().chain([END]) {
            let index = previous as usize;
            if self.next.len() <= index {
                self.next.resize_with(index + 1, Vec::new);
            }
            self.next[index].push(id);
            if let Some(sector) = sector {
                self.by_sector
                    .entry((sector, previous))
                    .or_default()
                    .push(id);
            }
            previous = id;
        }
    }

    /// Number of units learned.
    pub fn units(&self) -> usize {
        self.lengths.len()
    }

    fn followers(&self, previous: u32, sector: Option<u8>, rng: &mut impl Rng) -> &[u32] {
        if let Some(own) = sector.and_then(|s| self.by_sector.get(&(s, previous))) {
            if rng.random_bool(SECTOR_AFFINITY) {
                return own;
            }
        }
        self.next
            .get(previous as usize)
            .map_or(&[][..], Vec::as_slice)
    }

    /// One walk from the start marker to the end marker, at most `max` tokens.
    fn walk(&self, sector: Option<u8>, max: usize, rng: &mut impl Rng, out: &mut Vec<u32>) {
        let mut previous = START;
        for _ in 0..max {
            let Some(&id) = self.followers(previous, sector, rng).choose(rng) else {
                break;
            };
            if id == END {
                break;
            }
            out.push(id);
            previous = id;
        }
    }

    /// A short text (title, keyword, organisation name): one walk, about as long as the
    /// training units.
    pub fn phrase(
        &self,
        vocabulary: &Vocabulary,
        sector: Option<u8>,
        rng: &mut impl Rng,
    ) -> String {
        let target = self.lengths.choose(rng).copied().unwrap_or(4) as usize;
        let mut ids = Vec::with_capacity(target * 2);
        for _ in 0..4 {
            self.walk(sector, target * 3 / 2 + 2, rng, &mut ids);
            if !ids.is_empty() {
                break;
            }
        }
        render(vocabulary, &ids, rng)
    }

    /// A long text (summary, description): walks joined until the length drawn from the
    /// training units is reached.
    pub fn passage(
        &self,
        vocabulary: &Vocabulary,
        sector: Option<u8>,
        rng: &mut impl Rng,
    ) -> String {
        let target = self.lengths.choose(rng).copied().unwrap_or(20) as usize;
        let mut ids = Vec::with_capacity(target + 32);
        let mut empty_walks = 0;
        while ids.len() < target && empty_walks < 4 {
            let before = ids.len();
            self.walk(sector, target - ids.len() + 6, rng, &mut ids);
            if ids.len() == before {
                empty_walks += 1;
            }
        }
        render(vocabulary, &ids, rng)
    }
}

fn render(vocabulary: &Vocabulary, ids: &[u32], rng: &mut impl Rng) -> String {
    let mut out = String::with_capacity(ids.len() * 6);
    for (i, id) in ids.iter().enumerate() {
        vocabulary.render(*id, i == 0, rng, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(vocabulary: &mut Vocabulary, text: &str) -> Vec<(String, bool)> {
        vocabulary
            .tokenize(text)
            .into_iter()
            .map(|id| {
                let tok = &vocabulary.tokens[id as usize];
                (tok.text.clone(), tok.space_before)
            })
            .collect()
    }

    #[test]
    fn punctuation_sticks_to_the_word_before() {
        let mut vocabulary = Vocabulary::new();
        let tokens = texts(&mut vocabulary, "Năng suất 1,5 tấn/mẻ (khoảng 40%).");
        let expected = [
            ("Năng", false),
            ("suất", true),
            ("1,5", true),
            ("tấn/mẻ", true),
            ("(", true),
            ("khoảng", false),
            ("40%", true),
            (")", false),
            (".", false),
        ];
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(t, s)| (t.to_string(), *s)).collect();
        assert_eq!(tokens, expected);
    }

    #[test]
    fn chinese_is_cut_into_characters_without_spaces() {
        let mut vocabulary = Vocabulary::new();
        let tokens = texts(&mut vocabulary, "污水处理，PLC控制");
        let words: Vec<&str> = tokens.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(words, ["污", "水", "处", "理", "，", "PLC", "控", "制"]);
        assert!(tokens.iter().all(|t| !t.1));
    }
}
