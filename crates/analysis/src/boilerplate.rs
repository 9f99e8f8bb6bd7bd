//! Question boilerplate: the words a person wraps a question in ("… như thế nào?",
//! "… có được không?", "xin cảm ơn"), which carry nothing a record could match and, being
//! rare in technical text, would otherwise weigh as much as the subject itself.
//!
//! A phrase matches a run of words by their exact (canonical) form; phrases of two or more
//! syllables also match typed without diacritics. Single syllables match only as typed with
//! their marks, because without them they are other words ("nao" may be "não", brain; "dau"
//! may be "dầu", oil). A few particles ("không", "chưa") are boilerplate only where a
//! clause ends: "máy nén khí không dầu" keeps its "không".

use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::{analyze, fold_diacritics, Analysis};

/// Where a phrase counts as boilerplate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// Anywhere in the text.
    Anywhere,
    /// Only at the end of a clause (before `?`, `.`, `!`, `;`, a line break or the end).
    ClauseEnd,
}

/// The phrases, written for techmatch; the analyzer's canonical forms are taken at first use.
const PHRASES: &[(&str, At)] = &[
    // Asking how, what, why, when, how much.
    ("như thế nào", At::Anywhere),
    ("thế nào", At::Anywhere),
    ("ra sao", At::Anywhere),
    ("làm sao", At::Anywhere),
    ("là gì", At::Anywhere),
    ("bao nhiêu", At::Anywhere),
    ("bao lâu", At::Anywhere),
    ("tại sao", At::Anywhere),
    ("vì sao", At::Anywhere),
    ("khi nào", At::Anywhere),
    ("lúc nào", At::Anywhere),
    ("gì", At::Anywhere),
    ("nào", At::Anywhere),
    ("đâu", At::Anywhere),
    // Yes/no frames.
    ("đúng hay sai", At::Anywhere),
    ("có phải", At::Anywhere),
    ("phải không", At::Anywhere),
    ("đúng không", At::Anywhere),
    ("hay không", At::Anywhere),
    ("được không", At::Anywhere),
    ("hay chưa", At::Anywhere),
    ("không", At::ClauseEnd),
    ("chưa", At::ClauseEnd),
    // Courtesy.
    ("xin hỏi", At::Anywhere),
    ("cho hỏi", At::Anywhere),
    ("xin chào", At::Anywhere),
    ("cảm ơn", At::Anywhere),
    ("cám ơn", At::Anywhere),
    ("ạ", At::Anywhere),
    ("nhỉ", At::Anywhere),
];

struct Phrase {
    /// Canonical exact forms of the words.
    exact: Vec<String>,
    /// Folded forms, used when a typed word has no marks (phrases of 2+ words only).
    folded: Option<Vec<String>>,
    at: At,
}

static TABLE: LazyLock<Vec<Phrase>> = LazyLock::new(|| {
    let mut table: Vec<Phrase> = PHRASES
        .iter()
        .map(|(text, at)| {
            let exact: Vec<String> = analyze(text).words().map(|w| w.exact.to_string()).collect();
            let folded =
                (exact.len() > 1).then(|| exact.iter().map(|w| fold_diacritics(w)).collect());
            Phrase {
                exact,
                folded,
                at: *at,
            }
        })
        .collect();
    // Longest first, so "như thế nào" wins over "thế nào" and "nào".
    table.sort_by_key(|phrase| std::cmp::Reverse(phrase.exact.len()));
    table
});

/// Function words: particles, prepositions, conjunctions and determiners, which glue
/// content words together and never stand for a technology on their own. Vietnamese forms
/// are matched as written with their marks (canonical forms); without marks only those
/// that cannot be another word are listed ("cho", "nhung"), since "va" may be "và" or "va"
/// (collide) and "cua" may be "của" or "cua" (crab).
const FUNCTION_WORDS: &[&str] = &[
    "và", "hoặc", "hay", "của", "các", "những", "một", "cho", "được", "bị", "khi", "thì", "mà",
    "là", "có", "vào", "ra", "trong", "trên", "dưới", "với", "bằng", "từ", "để", "theo", "tại",
    "này", "đó", "đã", "đang", "sẽ", "rất", "nhiều", "không", "cũng", "như", "nên", "do", "vì",
    "sau", "trước", "về", "lên", "xuống", "qua", "đến", "tới", "nhưng", "nếu", "thể", "hơn",
    "nhất", "lại", "đều", "mỗi", "mọi", "chỉ", "vẫn", "ở", "nhằm", "giúp", "cho", "nhung", "trong",
    "tren", "duoi", "voi", "theo", "nhieu", "khong", "cung", "and", "or", "the", "a", "an", "of",
    "for", "to", "in", "on", "with", "by", "from", "at", "as", "is", "are", "be", "this", "that",
    "these", "those", "its", "their", "into", "per",
];

static FUNCTION_WORD_SET: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    FUNCTION_WORDS
        .iter()
        .flat_map(|w| {
            analyze(w)
                .words()
                .map(|word| word.exact.to_string())
                .collect::<Vec<_>>()
        })
        .collect()
});

/// Whether a word (an exact token: lower case, canonical marks) is a function word.
pub fn is_function_word(exact: &str) -> bool {
    FUNCTION_WORD_SET.contains(exact)
}

/// The word positions of `analysis` (an analysis of `text`) that are question boilerplate.
/// Never every position: a text made only of boilerplate keeps its words.
pub fn boilerplate_positions(text: &str, analysis: &Analysis) -> BTreeSet<usize> {
    // Word positions with their exact form and byte span.
    let words: Vec<(usize, &str, usize, usize)> = analysis
        .words()
        .map(|w| (w.position, w.exact, w.start, w.end))
        .collect();
    let clause_end = |i: usize| -> bool {
        let end = words[i].3;
        let next = words.get(i + 1).map_or(text.len(), |w| w.2);
        let between = text.get(end..next.max(end)).unwrap_or("");
        next == text.len() && between.trim().is_empty()
            || between.contains(['?', '.', '!', ';', '\n', '…'])
    };
    let marked: Vec<bool> = analysis.words().map(|w| w.has_diacritics).collect();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < words.len() {
        let matched = TABLE.iter().find(|phrase| {
            let n = phrase.exact.len();
            if i + n > words.len() {
                return false;
            }
            let all = (0..n).all(|k| {
                let word = words[i + k].1;
                word == phrase.exact[k]
                    || phrase
                        .folded
                        .as_ref()
                        .is_some_and(|f| !marked[i + k] && word == f[k])
            });
            all && (phrase.at == At::Anywhere || clause_end(i + n - 1))
        });
        match matched {
            Some(phrase) => {
                for k in 0..phrase.exact.len() {
                    found.insert(words[i + k].0);
                }
                i += phrase.exact.len();
            }
            None => i += 1,
        }
    }
    if found.len() == words.len() {
        found.clear();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(text: &str) -> Vec<String> {
        let analysis = analyze(text);
        let skip = boilerplate_positions(text, &analysis);
        analysis
            .words()
            .filter(|w| !skip.contains(&w.position))
            .map(|w| w.exact.to_string())
            .collect()
    }

    #[test]
    fn question_frames_are_dropped() {
        assert_eq!(
            stripped("Máy sấy cà phê như thế nào?"),
            ["máy", "sấy", "cà", "phê"]
        );
        assert_eq!(
            stripped("may say ca phe nhu the nao"),
            ["may", "say", "ca", "phe"]
        );
        assert_eq!(stripped("Máy sấy có được không?"), ["máy", "sấy", "có"]);
        assert_eq!(
            stripped("Mức phạt là bao nhiêu năm?"),
            ["mức", "phạt", "là", "năm"]
        );
        assert_eq!(stripped("Xin cảm ơn bác sĩ ạ"), ["xin", "bác", "sỹ"]);
    }

    #[test]
    fn content_words_stay() {
        // "không" inside a compound, unaccented single syllables that are other words.
        assert_eq!(
            stripped("máy nén khí không dầu"),
            ["máy", "nén", "khí", "không", "dầu"]
        );
        assert_eq!(
            stripped("chan doan benh nao"),
            ["chan", "doan", "benh", "nao"]
        );
        assert_eq!(stripped("dầu ở đâu"), ["dầu", "ở"]);
        assert_eq!(stripped("nuoc chua"), ["nuoc", "chua"]);
    }

    #[test]
    fn a_text_of_boilerplate_only_is_kept() {
        assert_eq!(stripped("như thế nào"), ["như", "thế", "nào"]);
        assert_eq!(stripped(""), Vec::<String>::new());
    }

    #[test]
    fn function_words_are_known_with_their_marks() {
        for word in ["và", "của", "cho", "and", "the", "trong"] {
            assert!(is_function_word(word), "{word}");
        }
        // Unmarked forms that are other words are not.
        for word in ["va", "cua", "may", "sấy", "nước", "thải", "solar"] {
            assert!(!is_function_word(word), "{word}");
        }
    }

    #[test]
    fn old_and_new_tone_placement_match() {
        assert_eq!(stripped("xử lý thế nào"), ["xử", "lý"]);
        // NFD input is normalised by the analyzer before matching.
        use unicode_normalization::UnicodeNormalization;
        let nfd: String = "xử lý như thế nào".nfd().collect();
        assert_ne!(nfd, "xử lý như thế nào");
        assert_eq!(stripped(&nfd), ["xử", "lý"]);
    }
}
