//! Script and language detection, used when a record does not say its language.
//!
//! Rules, in order:
//! 1. Han characters make up at least 30% of the letters -> Chinese.
//! 2. At least 15% of the words carry Vietnamese-only letters or tone marks
//!    (ă â đ ê ô ơ ư, or a tone on a vowel) -> Vietnamese.
//! 3. At least 70% of the words (three words at least) read as Vietnamese syllables once
//!    diacritics are removed, and they are not mostly common English words -> Vietnamese
//!    typed without diacritics.
//! 4. Otherwise English.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::fold::fold_diacritics;
use crate::segment::{is_cjk, segment, PieceKind};
use crate::syllable::is_vietnamese_syllable;

/// A record language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Vietnamese.
    Vi,
    /// English.
    En,
    /// Chinese.
    Zh,
}

impl Language {
    /// The ISO 639-1 code used in records.
    pub fn code(self) -> &'static str {
        match self {
            Language::Vi => "vi",
            Language::En => "en",
            Language::Zh => "zh",
        }
    }

    /// Parses `vi`, `en` or `zh`.
    pub fn from_code(code: &str) -> Option<Language> {
        match code {
            "vi" => Some(Language::Vi),
            "en" => Some(Language::En),
            "zh" => Some(Language::Zh),
            _ => None,
        }
    }
}

/// Short English words that also parse as Vietnamese syllables.
const ENGLISH_SYLLABLES: &[&str] = &[
    "a", "an", "and", "in", "on", "to", "the", "at", "by", "up", "be", "can", "than", "that",
    "then", "them", "men", "ten", "hot", "hat", "cat", "man", "him", "hit", "sit", "pan", "top",
    "tip", "map", "cap",
];

fn has_vietnamese_marks(word: &str) -> bool {
    word.nfd().any(|c| {
        matches!(
            c,
            'đ' | 'Đ'
                | '\u{300}'
                | '\u{301}'
                | '\u{303}'
                | '\u{309}'
                | '\u{323}'
                | '\u{302}'
                | '\u{306}'
                | '\u{31B}'
        )
    })
}

/// Guesses the language of a text.
///
/// ```
/// use techmatch_analysis::detection::{detect_language, Language};
/// assert_eq!(detect_language("Hệ thống xử lý nước thải"), Language::Vi);
/// assert_eq!(detect_language("He thong xu ly nuoc thai cho lang nghe"), Language::Vi);
/// assert_eq!(detect_language("Reverse osmosis desalination plant"), Language::En);
/// assert_eq!(detect_language("反渗透海水淡化设备"), Language::Zh);
/// ```
pub fn detect_language(text: &str) -> Language {
    let mut han = 0usize;
    let mut letters = 0usize;
    for c in text.chars().take(20_000) {
        if is_cjk(c) {
            han += 1;
            letters += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if letters > 0 && han * 10 >= letters * 3 {
        return Language::Zh;
    }
    let mut words = 0usize;
    let mut marked = 0usize;
    let mut syllables = 0usize;
    let mut english = 0usize;
    for piece in segment(text)
        .iter()
        .filter(|p| p.kind == PieceKind::Word)
        .take(2_000)
    {
        let word = &text[piece.start..piece.end];
        if !word.chars().all(char::is_alphabetic) {
            continue;
        }
        words += 1;
        if has_vietnamese_marks(word) {
            marked += 1;
        }
        let folded = fold_diacritics(&word.to_lowercase());
        if is_vietnamese_syllable(&folded) {
            syllables += 1;
            if ENGLISH_SYLLABLES.contains(&folded.as_str()) {
                english += 1;
            }
        }
    }
    if words == 0 {
        return Language::En;
    }
    if marked * 100 >= words * 15 {
        return Language::Vi;
    }
    if words >= 3 && syllables * 100 >= words * 70 && english * 100 < words * 25 {
        return Language::Vi;
    }
    Language::En
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(detect_language($input), $expected);
            }
        )*};
    }

    cases! {
        vietnamese_marked: "Máy sấy cà phê bằng bơm nhiệt" => Language::Vi,
        vietnamese_unmarked: "may say ca phe bang bom nhiet" => Language::Vi,
        vietnamese_with_acronyms: "Hệ thống IoT giám sát ao nuôi tôm" => Language::Vi,
        english_prose: "Heat pump dryer for coffee beans with PLC control" => Language::En,
        english_short_words: "to the man in the can" => Language::En,
        chinese: "太阳能光伏发电系统" => Language::Zh,
        chinese_with_latin: "采用RO反渗透膜技术的污水处理设备" => Language::Zh,
        empty: "" => Language::En,
    }
}
