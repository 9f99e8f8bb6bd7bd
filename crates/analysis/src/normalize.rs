//! Normalisation of one word: NFC, lowercase, invisible characters removed, Vietnamese tone
//! marks moved to their canonical vowel and the i/y spelling variants unified.
//!
//! Works per token, so the caller keeps the byte offsets of the word in the original text:
//! the normalised string may be longer or shorter than the slice it came from (NFD input).

use unicode_normalization::{is_nfc, UnicodeNormalization};

use crate::syllable::Syllable;

/// Format characters that may sit inside a word without meaning anything: soft hyphen,
/// zero-width (non-)joiner, word joiner, byte-order mark, zero-width space.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Normalises one word to the form stored in the exact fields.
///
/// ```
/// use techmatch_analysis::normalize::normalize_word;
/// assert_eq!(normalize_word("Hoà"), "hòa");
/// assert_eq!(normalize_word("KĨ"), "kỹ");
/// assert_eq!(normalize_word("CO2"), "co2");
/// ```
pub fn normalize_word(raw: &str) -> String {
    let lower = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        let cleaned: String = raw.chars().filter(|&c| !is_invisible(c)).collect();
        let nfc: String = if is_nfc(&cleaned) {
            cleaned.to_lowercase()
        } else {
            cleaned.nfc().collect::<String>().to_lowercase()
        };
        if is_nfc(&nfc) {
            nfc
        } else {
            nfc.nfc().collect()
        }
    };
    canonical_syllable(lower)
}

/// Applies the syllable rules to an already lowercase NFC word, when it is a syllable.
fn canonical_syllable(lower: String) -> String {
    if lower.bytes().any(|b| b.is_ascii_digit()) {
        return lower;
    }
    match Syllable::parse(&lower) {
        Some(syllable) => syllable.canonical(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(normalize_word($input), $expected);
            }
        )*};
    }

    cases! {
        nfd_input_composes: "nu\u{031B}\u{0301}o\u{031B}c" => "nước",
        uppercase_vietnamese: "THUỶ" => "thủy",
        old_style_nfd: "hoa\u{0300}" => "hòa",
        soft_hyphen_dropped: "xu\u{00AD}ly" => "xuly",
        zwj_dropped: "nu\u{200D}oc" => "nuoc",
        english_kept: "Treatment" => "treatment",
        code_kept: "QCVN" => "qcvn",
        number_kept: "1.500.000" => "1.500.000",
        i_y_ascii: "ki" => "ky",
        eth_kept: "Ðor" => "ðor",
    }
}
