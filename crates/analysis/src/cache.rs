//! Per-thread memos of word analysis.
//!
//! A corpus uses a few thousand distinct Vietnamese syllables and technical words over and
//! over; normalising each occurrence (NFC, tone placement, folding, stemming) dominated the
//! analyzer's time. The word memo maps a word as written (one UAX #29 word) to its parts,
//! normalised and folded, so a word seen before costs one hash lookup; the string memos
//! do the same for folding. They are per thread (no locks) and emptied when they grow
//! past [`MAX_ENTRIES`], so memory stays bounded on any input (a few MB per memo).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use crate::WordPart;

/// Entries per memo before it is emptied.
pub const MAX_ENTRIES: usize = 50_000;

/// A bounded string-to-string memo.
pub struct Memo {
    map: FxHashMap<String, String>,
}

impl Memo {
    fn new() -> Self {
        Memo {
            map: FxHashMap::with_capacity_and_hasher(4096, Default::default()),
        }
    }

    /// The memoised value of `key`, computing it with `f` on a miss.
    pub fn get_or(&mut self, key: &str, f: impl FnOnce(&str) -> String) -> String {
        if let Some(value) = self.map.get(key) {
            return value.clone();
        }
        let value = f(key);
        if self.map.len() >= MAX_ENTRIES {
            self.map.clear();
        }
        self.map.insert(key.to_string(), value.clone());
        value
    }
}

/// Words as written to their analysed parts. A word of up to 24 bytes (every Vietnamese
/// syllable) is held in the table's slot, and so is a word of one part: a lookup reads one
/// slot instead of following a pointer to the key and another to the parts.
type WordMemo = hashbrown::HashMap<
    compact_str::CompactString,
    smallvec::SmallVec<[WordPart; 1]>,
    rustc_hash::FxBuildHasher,
>;

thread_local! {
    static WORDS: RefCell<WordMemo> =
        RefCell::new(WordMemo::with_capacity_and_hasher(4096, Default::default()));
    static FOLDED: RefCell<Memo> = RefCell::new(Memo::new());
    static UNMARKED: RefCell<Memo> = RefCell::new(Memo::new());
}

/// This thread's word memo, borrowed for one text.
pub(crate) struct WordParts<'a>(std::cell::RefMut<'a, WordMemo>);

impl WordParts<'_> {
    /// The parts of `word` ([`crate::word_parts`]), computed on the first sight.
    pub(crate) fn get(&mut self, word: &str) -> &[WordPart] {
        let memo = &mut *self.0;
        if memo.len() >= MAX_ENTRIES && !memo.contains_key(word) {
            memo.clear();
        }
        memo.entry_ref(word)
            .or_insert_with(|| crate::word_parts(word).into_iter().collect())
    }
}

/// Calls `f` with this thread's word memo (one borrow for a whole text).
pub(crate) fn with_word_parts<R>(f: impl FnOnce(&mut WordParts<'_>) -> R) -> R {
    WORDS.with(|memo| f(&mut WordParts(memo.borrow_mut())))
}

/// [`crate::fold_diacritics`], memoised.
pub fn fold_diacritics(text: &str) -> String {
    UNMARKED.with(|memo| memo.borrow_mut().get_or(text, crate::fold_diacritics))
}

/// [`crate::fold_token`]'s computation, memoised.
pub fn fold_token(exact: &str, compute: fn(&str) -> String) -> String {
    FOLDED.with(|memo| memo.borrow_mut().get_or(exact, compute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_returns_what_the_function_returns_and_stays_bounded() {
        let mut memo = Memo::new();
        for i in 0..(MAX_ENTRIES + 10) {
            let key = i.to_string();
            assert_eq!(memo.get_or(&key, |k| format!("v{k}")), format!("v{key}"));
        }
        assert!(memo.map.len() <= MAX_ENTRIES);
    }
}
