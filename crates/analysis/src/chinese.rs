//! Chinese segmentation with jieba-rs.
//!
//! The dictionary costs ~160 ms and ~25 MB to load, so one `Jieba` serves the whole process
//! behind a `LazyLock`; it is never cloned. The HMM for unknown words is off: it can cut the
//! same unknown word differently in different contexts, which would make a query miss its
//! own text. Unknown words fall back to characters, which the bigram fields join again.

use std::sync::LazyLock;

use jieba_rs::{Jieba, TokenizeMode};

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// A word found by the segmenter, with byte offsets relative to the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChineseWord<'a> {
    /// The word.
    pub word: &'a str,
    /// Byte offset of its start in the run.
    pub start: usize,
    /// Byte offset of its end in the run.
    pub end: usize,
    /// Index of the main word this one belongs to.
    pub main: usize,
    /// True for the main segmentation, false for the shorter dictionary words found inside
    /// a main word (search mode), which are indexed at the same position.
    pub is_main: bool,
}

/// Loads the dictionary now rather than on the first Chinese text (the HTTP server does,
/// as it starts).
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Segments a run of Han characters: main words, each followed by its inner sub-words.
///
/// One call in jieba's search mode: it cuts the run as the default mode does and adds,
/// after each main word longer than two characters, the dictionary words of two and three
/// characters inside it. The main words are the tokens no other token contains.
pub fn segment_chinese(run: &str) -> Vec<ChineseWord<'_>> {
    let mut search = JIEBA.tokenize(run, TokenizeMode::Search, false);
    search.sort_by_key(|w| (w.byte_start, std::cmp::Reverse(w.byte_end)));
    let mut out: Vec<ChineseWord<'_>> = Vec::with_capacity(search.len());
    let mut main = 0;
    let mut main_at = 0;
    for token in &search {
        let word = ChineseWord {
            word: token.word,
            start: token.byte_start,
            end: token.byte_end,
            main,
            is_main: true,
        };
        match out.get(main_at) {
            Some(current) if token.byte_end <= current.end => {
                let same = token.byte_start == current.start && token.byte_end == current.end;
                if !same {
                    out.push(ChineseWord {
                        main: main - 1,
                        is_main: false,
                        ..word
                    });
                }
            }
            _ => {
                // Sub-words in offset order after their main word.
                out[main_at..].sort_by_key(|w| (!w.is_main, w.start, w.end));
                main_at = out.len();
                out.push(word);
                main += 1;
            }
        }
    }
    out[main_at..].sort_by_key(|w| (!w.is_main, w.start, w.end));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_slice_the_run() {
        let run = "反渗透海水淡化设备";
        for w in segment_chinese(run) {
            assert_eq!(&run[w.start..w.end], w.word);
        }
    }

    #[test]
    fn main_words_cover_the_run() {
        let run = "污水处理技术";
        let joined: String = segment_chinese(run)
            .iter()
            .filter(|w| w.is_main)
            .map(|w| w.word)
            .collect();
        assert_eq!(joined, run);
    }
}
