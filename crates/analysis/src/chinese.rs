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

/// Loads the dictionary now rather than on the first Chinese text.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Segments a run of Han characters: main words, each followed by its inner sub-words.
pub fn segment_chinese(run: &str) -> Vec<ChineseWord<'_>> {
    let main = JIEBA.tokenize(run, TokenizeMode::Default, false);
    let mut search = JIEBA.tokenize(run, TokenizeMode::Search, false);
    search.sort_by_key(|w| (w.byte_start, w.byte_end));
    let mut out = Vec::with_capacity(search.len());
    let mut next = 0;
    for (i, word) in main.iter().enumerate() {
        out.push(ChineseWord {
            word: word.word,
            start: word.byte_start,
            end: word.byte_end,
            main: i,
            is_main: true,
        });
        while next < search.len() && search[next].byte_start < word.byte_end {
            let sub = &search[next];
            next += 1;
            let inside = sub.byte_start >= word.byte_start && sub.byte_end <= word.byte_end;
            let same = sub.byte_start == word.byte_start && sub.byte_end == word.byte_end;
            if inside && !same {
                out.push(ChineseWord {
                    word: sub.word,
                    start: sub.byte_start,
                    end: sub.byte_end,
                    main: i,
                    is_main: false,
                });
            }
        }
    }
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
