//! Light English stemming, decided per token.
//!
//! A token is treated as English when it was written in ASCII letters only (a word that
//! carried diacritics, like "brûlée", is not English), at least four letters long,
//! and cannot be read as a Vietnamese syllable: Vietnamese typed without diacritics
//! ("thai", "nuoc", "ngay") is never stemmed, while "systems", "dryers", "treatment" are.
//! Every Vietnamese syllable ends in a vowel or one of c, ch, m, n, ng, nh, p, t, so English
//! plurals in -s always pass the test. Stemming is applied to the folded (loose) fields
//! only; the exact fields keep the word as written.

use std::sync::LazyLock;

use frostem::{Algorithm, Stemmer};

use crate::syllable::is_vietnamese_syllable;

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::new(Algorithm::English));

/// Whether a folded token should be stemmed as English.
pub fn looks_english(token: &str) -> bool {
    token.len() >= 4
        && token.bytes().all(|b| b.is_ascii_lowercase())
        && !is_vietnamese_syllable(token)
}

/// Stems a folded token when it looks English; returns it unchanged otherwise.
///
/// ```
/// use techmatch_analysis::stem::stem_if_english;
/// assert_eq!(stem_if_english("dryers"), "dryer");
/// assert_eq!(stem_if_english("ngay"), "ngay");
/// ```
pub fn stem_if_english(token: &str) -> String {
    if looks_english(token) {
        ENGLISH.stem(token).into_owned()
    } else {
        token.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(stem_if_english($input), $expected);
            }
        )*};
    }

    cases! {
        plural: "systems" => "system",
        agent_plural: "dryers" => "dryer",
        gerund: "drying" => "dri",
        treatment: "treatment" => "treatment",
        vietnamese_unmarked_ngay: "ngay" => "ngay",
        vietnamese_unmarked_thuong: "thuong" => "thuong",
        vietnamese_unmarked_nguyen: "nguyen" => "nguyen",
        short_word: "iot" => "iot",
        code_with_digit: "iso9001" => "iso9001",
    }
}
