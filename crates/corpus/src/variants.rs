//! The ways Vietnamese records arrive in the wild: typed without diacritics, with the old
//! tone placement of open `oa`/`oe`/`uy` syllables (`hoà`, `khoẻ`, `thuỷ`), or decomposed
//! (NFD, as some Mac and web forms send it).

use unicode_normalization::UnicodeNormalization;

/// The Vietnamese tone marks as combining characters.
fn is_tone(c: char) -> bool {
    matches!(c, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

/// Moves the tone of open `oa`, `oe`, `uy` syllables from the first vowel to the second
/// (`hòa` -> `hoà`, `thủy` -> `thuỷ`); other words are unchanged. The result is NFC.
///
/// ```
/// use techmatch_corpus::variants::old_style_tones;
/// assert_eq!(old_style_tones("Tự động hóa, thủy lợi, khỏe"), "Tự động hoá, thuỷ lợi, khoẻ");
/// assert_eq!(old_style_tones("hoàng quý"), "hoàng quý");
/// ```
pub fn old_style_tones(text: &str) -> String {
    let chars: Vec<char> = text.nfd().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if i + 2 < chars.len() && is_tone(chars[i + 1]) {
            let pair = (c.to_ascii_lowercase(), chars[i + 2].to_ascii_lowercase());
            let open = chars.get(i + 3).is_none_or(|n| !is_word_char(*n));
            if matches!(pair, ('o', 'a') | ('o', 'e') | ('u', 'y')) && open {
                out.extend([c, chars[i + 2], chars[i + 1]]);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out.into_iter().nfc().collect()
}

/// The text decomposed (NFD).
pub fn decomposed(text: &str) -> String {
    text.nfd().collect()
}

/// The text as typed without diacritics (`đ` -> `d`).
pub fn without_diacritics(text: &str) -> String {
    techmatch_analysis::fold_diacritics(text)
}
