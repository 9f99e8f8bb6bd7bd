//! Per-thread memo of word normalisation and folding.
//!
//! A corpus uses a few thousand distinct Vietnamese syllables and technical words over and
//! over; normalising each occurrence (NFC, tone placement, folding, stemming) dominated the
//! analyzer's time. The memo maps a word to its result, per thread (no locks), and is
//! emptied when it grows past [`MAX_ENTRIES`] so memory stays bounded on any input (about
//! 5 MB per memo; a server has two per worker thread, so the bound matters).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

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

thread_local! {
    static NORMALIZED: RefCell<Memo> = RefCell::new(Memo::new());
    static FOLDED: RefCell<Memo> = RefCell::new(Memo::new());
}

/// [`crate::normalize::normalize_word`], memoised.
pub fn normalize_word(raw: &str) -> String {
    NORMALIZED.with(|memo| {
        memo.borrow_mut()
            .get_or(raw, crate::normalize::normalize_word)
    })
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
