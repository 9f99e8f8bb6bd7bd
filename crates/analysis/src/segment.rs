//! Segmentation: the original text cut into words and CJK runs, with byte offsets.
//!
//! Word boundaries follow Unicode's UAX #29 (via `unicode-segmentation`), which already keeps
//! NFD combining marks and joiners inside their word and numbers such as `1.500.000`, `2,5`
//! and `4.0` whole. Runs of Han (and kana) characters are collected and handed to the
//! Chinese segmenter. Whitespace, invisible spaces and connectors inside codes and units
//! (`- / : + & _ ' ° %`) separate words; any other punctuation (sentence and clause marks,
//! brackets, quotes) also marks a *break*, across which no bigram is formed.
//!
//! Contract: pieces are non-empty, in increasing order, never overlap, and lie on char
//! boundaries of the input.

use unicode_segmentation::UnicodeSegmentation;

use crate::normalize::is_invisible;

/// What a piece of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// Letters and digits of alphabetic scripts (Latin, Vietnamese, …) and numbers.
    Word,
    /// A run of Han or kana characters, to be segmented by the Chinese segmenter.
    Cjk,
}

/// A piece of the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Word or CJK run.
    pub kind: PieceKind,
    /// True when punctuation stands between this piece and the previous one.
    pub break_before: bool,
}

/// Whether a character is written in Han or Japanese kana.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3007 | 0x3021..=0x3029 | 0x3040..=0x30FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Characters that join the parts of codes, units and names without ending a phrase.
fn is_connector(c: char) -> bool {
    matches!(
        c,
        '-' | '/' | ':' | '+' | '&' | '_' | '\'' | '’' | '°' | '%' | '‐' | '–'
    )
}

/// Cuts `text` into pieces.
pub fn segment(text: &str) -> Vec<Piece> {
    fast::segment(text).unwrap_or_else(|| segment_uax29(text))
}

/// [`segment`] through `unicode-segmentation`'s UAX #29 word boundaries, for any text.
pub fn segment_uax29(text: &str) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut pending_break = false;
    for (start, segment) in text.split_word_bound_indices() {
        let end = start + segment.len();
        let mut chars = segment.chars();
        let first = chars.next().unwrap_or(' ');
        if is_cjk(first) {
            if let Some(last) = pieces.last_mut() {
                if last.kind == PieceKind::Cjk && last.end == start {
                    last.end = end;
                    continue;
                }
            }
            pieces.push(Piece {
                start,
                end,
                kind: PieceKind::Cjk,
                break_before: pending_break,
            });
            pending_break = false;
        } else if segment.chars().any(char::is_alphanumeric) {
            pieces.push(Piece {
                start,
                end,
                kind: PieceKind::Word,
                break_before: pending_break,
            });
            pending_break = false;
        } else if !segment
            .chars()
            .all(|c| c.is_whitespace() || is_invisible(c) || is_connector(c))
        {
            pending_break = true;
        }
    }
    pieces
}

/// The same cut for text made only of ASCII, Latin letters (Vietnamese included), their
/// combining marks and common punctuation, without the general UAX #29 machinery: the word
/// rules that can apply to those characters (WB4–WB13b) on a classified copy of the text.
/// `None` as soon as a character outside that set appears (Han, other scripts, emoji,
/// format characters…): the caller then uses [`segment_uax29`]. A property test checks
/// that both give the same pieces.
mod fast {
    use super::{is_connector, Piece, PieceKind};
    use crate::normalize::is_invisible;

    /// The UAX #29 word-break classes these characters can have.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Class {
        Letter,
        Digit,
        /// `:` `·`
        MidLetter,
        /// `.` `'` `‘` `’`
        MidNumLet,
        /// `,` `;`
        MidNum,
        /// `_`
        ExtendNumLet,
        /// Everything else of the set: spaces and punctuation that end a word.
        Other,
    }

    /// One character (with the combining marks that follow it); it ends where the next
    /// unit starts.
    #[derive(Debug, Clone, Copy)]
    struct Unit {
        start: u32,
        class: Class,
        /// Standing alone, it separates words without a break (space, connector).
        quiet: bool,
    }

    /// The class of `c`, `None` for a combining mark (it joins the previous character).
    /// `Err(())` for a character outside the set.
    fn class(c: char) -> Result<Option<Class>, ()> {
        Ok(Some(match c {
            'a'..='z' | 'A'..='Z' => Class::Letter,
            '0'..='9' => Class::Digit,
            ':' | '\u{00B7}' => Class::MidLetter,
            '.' | '\'' | '\u{2018}' | '\u{2019}' => Class::MidNumLet,
            ',' | ';' => Class::MidNum,
            '_' => Class::ExtendNumLet,
            '\0'..='\u{7F}' => Class::Other,
            '\u{00C0}'..='\u{00D6}'
            | '\u{00D8}'..='\u{00F6}'
            | '\u{00F8}'..='\u{024F}'
            | '\u{1E00}'..='\u{1EFF}' => Class::Letter,
            '\u{0300}'..='\u{036F}' => return Ok(None),
            // µ is a letter to UAX #29 (as in "µm").
            '\u{00B5}' => Class::Letter,
            // Spaces, quotes, dashes and the signs of measures (± ≤ ≥ × ÷ ‰ € → •; not ² or
            // ³, which UAX #29 keeps as words of their own).
            '\u{00A0}' | '\u{00AB}' | '\u{00B0}' | '\u{00B1}' | '\u{00BB}' | '\u{00D7}'
            | '\u{00F7}' | '\u{2013}' | '\u{2014}' | '\u{201C}' | '\u{201D}' | '\u{2022}'
            | '\u{2026}' | '\u{2030}' | '\u{20AC}' | '\u{2192}' | '\u{2264}' | '\u{2265}' => {
                Class::Other
            }
            _ => return Err(()),
        }))
    }

    pub(super) fn segment(text: &str) -> Option<Vec<Piece>> {
        // Offsets are stored in 32 bits; longer texts (never a record field) take UAX #29.
        if text.len() > u32::MAX as usize {
            return None;
        }
        let mut units: Vec<Unit> = Vec::with_capacity(text.len());
        for (start, c) in text.char_indices() {
            match class(c).ok()? {
                Some(class) => units.push(Unit {
                    start: start as u32,
                    class,
                    quiet: class != Class::Letter
                        && class != Class::Digit
                        && (c.is_whitespace() || is_invisible(c) || is_connector(c)),
                }),
                // A mark extends a letter or digit; anywhere else UAX #29 decides.
                None => match units.last() {
                    Some(last) if matches!(last.class, Class::Letter | Class::Digit) => {}
                    _ => return None,
                },
            }
        }
        let class_at = |k: usize| units.get(k).map(|u| u.class);
        let end_of = |k: usize| units.get(k + 1).map_or(text.len(), |u| u.start as usize);
        let mut pieces = Vec::with_capacity(units.len() / 4 + 1);
        let mut pending_break = false;
        let mut i = 0;
        while i < units.len() {
            let first = units[i];
            if !matches!(
                first.class,
                Class::Letter | Class::Digit | Class::ExtendNumLet
            ) {
                pending_break |= !first.quiet;
                i += 1;
                continue;
            }
            let mut last = i;
            let mut alphanumeric = first.class != Class::ExtendNumLet;
            while let Some(next) = class_at(last + 1) {
                use Class::*;
                let joins = match (units[last].class, next) {
                    (Letter | Digit, Letter | Digit) => true,
                    (Letter | Digit | ExtendNumLet, ExtendNumLet) => true,
                    (ExtendNumLet, Letter | Digit) => true,
                    (Letter, MidLetter | MidNumLet) => class_at(last + 2) == Some(Letter),
                    (Digit, MidNum | MidNumLet) => class_at(last + 2) == Some(Digit),
                    _ => false,
                };
                if !joins {
                    break;
                }
                last += if matches!(next, MidLetter | MidNumLet | MidNum) {
                    2
                } else {
                    1
                };
                alphanumeric |= matches!(units[last].class, Letter | Digit);
            }
            if alphanumeric {
                pieces.push(Piece {
                    start: first.start as usize,
                    end: end_of(last),
                    kind: PieceKind::Word,
                    break_before: pending_break,
                });
                pending_break = false;
            }
            // A run of `_` alone is a connector: no break.
            i = last + 1;
        }
        Some(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The fast path cuts every text it accepts exactly as UAX #29 does.
        #[test]
        fn fast_path_agrees_with_uax29(
            chars in proptest::collection::vec(proptest::sample::select(vec![
                'a', 'b', 'Z', 'ư', 'Đ', 'ạ', 'ễ', 'é', 'ǀ', '0', '7', ' ', ' ', '\n', '\t',
                '.', '\'', '’', '‘', ':', '·', ',', ';', '_', '-', '/', '(', ')', '?', '"',
                '\u{0301}', '\u{0323}', '\u{031B}', '\u{00A0}', '°', '%', '–', '—', '“', '”',
                '…', '«', '\u{00D7}', '污', '\u{00AD}', '\u{200B}', '±', '²', '³', 'µ', '÷',
                '•', '‰', '€', '→', '≤', '≥', 'm',
            ]), 0..24)
        ) {
            let text: String = chars.into_iter().collect();
            if let Some(fast) = fast::segment(&text) {
                prop_assert_eq!(fast, segment_uax29(&text), "{:?}", text);
            }
        }
    }

    fn words(text: &str) -> Vec<(&str, bool)> {
        segment(text)
            .iter()
            .map(|p| (&text[p.start..p.end], p.break_before))
            .collect()
    }

    #[test]
    fn vietnamese_words_split_on_spaces() {
        assert_eq!(
            words("xử lý nước thải"),
            vec![
                ("xử", false),
                ("lý", false),
                ("nước", false),
                ("thải", false)
            ]
        );
    }

    #[test]
    fn punctuation_marks_a_break() {
        assert_eq!(words("nước, thải"), vec![("nước", false), ("thải", true)]);
    }

    #[test]
    fn code_connectors_do_not_break() {
        assert_eq!(
            words("QCVN 14:2008/BTNMT"),
            vec![
                ("QCVN", false),
                ("14", false),
                ("2008", false),
                ("BTNMT", false)
            ]
        );
    }

    #[test]
    fn nfd_word_stays_whole() {
        let text = "nu\u{031B}\u{0301}o\u{031B}c tha\u{0309}i";
        assert_eq!(words(text).len(), 2);
    }

    #[test]
    fn numbers_stay_whole() {
        assert_eq!(
            words("1.500.000 đồng 2,5 tấn 4.0"),
            vec![
                ("1.500.000", false),
                ("đồng", false),
                ("2,5", false),
                ("tấn", false),
                ("4.0", false)
            ]
        );
    }

    #[test]
    fn invisible_spaces_separate_without_break() {
        assert_eq!(
            words("a\u{200B}b\u{00A0}c"),
            vec![("a", false), ("b", false), ("c", false)]
        );
    }

    #[test]
    fn han_runs_are_collected() {
        let text = "采用RO膜的污水处理";
        let got: Vec<_> = segment(text)
            .iter()
            .map(|p| (&text[p.start..p.end], p.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                ("采用", PieceKind::Cjk),
                ("RO", PieceKind::Word),
                ("膜的污水处理", PieceKind::Cjk)
            ]
        );
    }
}
