//! Answers of the search box and of suggestions, kept as the JSON bytes sent, for the index
//! generation they were computed on.
//!
//! A portal's traffic repeats itself: the same popular searches, the same prefixes typed
//! key by key by many people, the same first page reloaded. Each key carries the
//! generation of the index reader (a hash of its segments and their deletes), so a
//! commit (by this server or by `techmatch index` when the server runs read-only) makes
//! every older entry unreachable at once; a reload that changes no segment keeps them.
//!
//! The cache is moka's (concurrent, TinyLFU admission, weighed by the bytes of each
//! answer, so a budget in MiB holds many small suggestion answers or fewer large search
//! pages). Concurrent requests for the same missing answer wait for one computation
//! instead of each computing it. A hit sends the stored bytes as they are, without
//! rebuilding or re-serialising the answer (its `took_ms` is the computation's).

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;

use super::errors::ApiError;

/// What an answer answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnswerKey {
    /// A search request, as its canonical JSON.
    Search(String),
    /// Suggestions: the text typed, the number wanted and the day (an offer stops being
    /// suggested the day after it expires).
    Suggest(String, usize, String),
}

impl AnswerKey {
    fn bytes(&self) -> usize {
        match self {
            AnswerKey::Search(request) => request.len(),
            AnswerKey::Suggest(text, _, day) => text.len() + day.len() + 8,
        }
    }
}

/// Answers by (index generation, request), weighed by their bytes; off when its budget is 0.
pub struct AnswerCache {
    cache: Option<moka::future::Cache<(u64, AnswerKey), Bytes>>,
}

impl AnswerCache {
    /// A cache of about `max_bytes` of answers; 0 turns it off.
    pub fn new(max_bytes: u64) -> Self {
        let cache = (max_bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &(u64, AnswerKey), body: &Bytes| {
                    // The key, the body and moka's own bookkeeping (about 100 bytes).
                    let bytes = key.1.bytes() + body.len() + 100;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build()
        });
        AnswerCache { cache }
    }

    /// The answer for `key` at `generation`, and whether it was already there (or being
    /// computed by another request) rather than computed by this call. Concurrent misses
    /// of one key run `compute` once; an error is returned to every waiter and not kept.
    pub async fn get_or_compute<F, Fut>(
        &self,
        generation: u64,
        key: AnswerKey,
        compute: F,
    ) -> Result<(Bytes, bool), ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, ApiError>>,
    {
        let Some(cache) = &self.cache else {
            return Ok((compute().await?, false));
        };
        let entry = cache
            .entry((generation, key))
            .or_try_insert_with(compute())
            .await
            .map_err(|error: Arc<ApiError>| ApiError::clone(&error))?;
        let hit = !entry.is_fresh();
        Ok((entry.into_value(), hit))
    }

    /// Drops every entry (after a commit: they can no longer be hit, free their memory now).
    pub fn clear(&self) {
        if let Some(cache) = &self.cache {
            cache.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn search(q: &str) -> AnswerKey {
        AnswerKey::Search(q.to_string())
    }

    async fn answer(
        cache: &AnswerCache,
        generation: u64,
        key: AnswerKey,
        body: &'static str,
    ) -> (Bytes, bool) {
        cache
            .get_or_compute(generation, key, || async move {
                Ok(Bytes::from_static(body.as_bytes()))
            })
            .await
            .expect("computed")
    }

    #[tokio::test]
    async fn hits_within_a_generation_and_misses_across() {
        let cache = AnswerCache::new(1 << 20);
        assert_eq!(
            answer(&cache, 1, search("a"), "1").await,
            (Bytes::from("1"), false)
        );
        assert_eq!(
            answer(&cache, 1, search("a"), "x").await,
            (Bytes::from("1"), true)
        );
        assert_eq!(
            answer(&cache, 2, search("a"), "2").await,
            (Bytes::from("2"), false)
        );
        let suggest = AnswerKey::Suggest("a".into(), 8, "2026-12-06".into());
        assert_eq!(
            answer(&cache, 2, suggest.clone(), "3").await,
            (Bytes::from("3"), false)
        );
        cache.clear();
        assert_eq!(
            answer(&cache, 2, suggest, "4").await,
            (Bytes::from("4"), false)
        );
    }

    #[tokio::test]
    async fn a_zero_budget_keeps_nothing() {
        let cache = AnswerCache::new(0);
        assert_eq!(
            answer(&cache, 1, search("a"), "1").await,
            (Bytes::from("1"), false)
        );
        assert_eq!(
            answer(&cache, 1, search("a"), "2").await,
            (Bytes::from("2"), false)
        );
    }

    #[tokio::test]
    async fn errors_are_not_kept() {
        let cache = AnswerCache::new(1 << 20);
        let failed = cache
            .get_or_compute(1, search("a"), || async { Err(ApiError::internal("boom")) })
            .await;
        assert!(failed.is_err());
        assert_eq!(
            answer(&cache, 1, search("a"), "1").await,
            (Bytes::from("1"), false)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_compute_once() {
        let cache = Arc::new(AnswerCache::new(1 << 20));
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, runs) = (cache.clone(), runs.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_compute(1, search("slow"), || async move {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                            Ok(Bytes::from_static(b"answer"))
                        })
                        .await
                        .expect("computed")
                })
            })
            .collect();
        let mut hits = 0;
        for task in tasks {
            let (body, hit) = task.await.expect("joined");
            assert_eq!(body, Bytes::from_static(b"answer"));
            hits += usize::from(hit);
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "one computation for eight requests"
        );
        assert_eq!(hits, 7);
    }
}
