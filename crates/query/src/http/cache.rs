//! Answers of the search box and of suggestions, kept for the index generation they were
//! computed on.
//!
//! A portal's traffic repeats itself: the same popular searches, the same prefixes typed
//! key by key by many people, the same first page reloaded. Each key carries the
//! generation of the index reader (a hash of its segments and their deletes), so a
//! commit (by this server or by `techmatch index` when the server runs read-only) makes
//! every older entry unreachable at once; they then age out of the LRU. A reload that
//! changes no segment keeps them. Entries are whole responses, counted (not weighed): with the
//! default 2 048 search entries of 5–40 KB each, the cache stays under ~80 MB.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

/// Responses by (index generation, request), least recently used first out.
type Entries<K, V> = Mutex<LruCache<(u64, K), Arc<V>>>;

/// An LRU of responses keyed by (index generation, request); `None` when disabled.
pub struct ResponseCache<K: Hash + Eq, V> {
    entries: Option<Entries<K, V>>,
}

impl<K: Hash + Eq, V> ResponseCache<K, V> {
    /// A cache of at most `capacity` responses; 0 disables it.
    pub fn new(capacity: usize) -> Self {
        ResponseCache {
            entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))),
        }
    }

    /// The cached response for `key` at `generation`, if any.
    pub fn get(&self, generation: u64, key: K) -> Option<Arc<V>> {
        let entries = self.entries.as_ref()?;
        lock(entries).get(&(generation, key)).cloned()
    }

    /// Keeps `value` as the response for `key` at `generation`.
    pub fn put(&self, generation: u64, key: K, value: Arc<V>) {
        if let Some(entries) = &self.entries {
            lock(entries).put((generation, key), value);
        }
    }

    /// Drops every entry (after a commit: they can no longer be hit, free their memory now).
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            lock(entries).clear();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_within_a_generation_and_misses_across() {
        let cache: ResponseCache<&str, usize> = ResponseCache::new(2);
        cache.put(1, "a", Arc::new(1));
        assert_eq!(cache.get(1, "a"), Some(Arc::new(1)));
        assert_eq!(cache.get(2, "a"), None);
        cache.put(2, "a", Arc::new(2));
        cache.put(2, "b", Arc::new(3));
        // Capacity 2: (1, "a") was the least recently used and is gone.
        assert_eq!(cache.get(1, "a"), None);
        assert_eq!(cache.get(2, "b"), Some(Arc::new(3)));
        cache.clear();
        assert_eq!(cache.get(2, "b"), None);
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let cache: ResponseCache<i32, i32> = ResponseCache::new(0);
        cache.put(1, 7, Arc::new(1));
        assert_eq!(cache.get(1, 7), None);
    }
}
