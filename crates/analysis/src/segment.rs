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

#[cfg(test)]
mod tests {
    use super::*;

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
