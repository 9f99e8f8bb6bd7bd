//! What a result is: every word required, the least informative made optional when too
//! few records have them all; requiring words narrows the list and never reorders it; the
//! total is capped and flagged.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use crate::common::{bundled_searcher, bundled_supplies, index_of};
use techmatch_query::{SearchRequest, SearchResponse, Searcher, Tuning};

fn request(q: &str, size: usize) -> SearchRequest {
    SearchRequest {
        q: q.to_string(),
        size,
        prefix_last: false,
        facets: false,
        show_duplicates: true,
        ..Default::default()
    }
}

/// Every hit of a query, page by page.
fn all_hits(searcher: &Searcher, q: &str) -> (SearchResponse, Vec<(String, f32)>) {
    let first = searcher.search(&request(q, 100)).unwrap();
    let mut hits = Vec::new();
    for page in 1..=first.total.div_ceil(100).max(1) {
        let response = searcher
            .search(&SearchRequest {
                page,
                ..request(q, 100)
            })
            .unwrap();
        hits.extend(
            response
                .hits
                .into_iter()
                .map(|h| (h.id, h.score.unwrap_or(0.0))),
        );
    }
    (first, hits)
}

fn ids(hits: &[(String, f32)]) -> BTreeSet<String> {
    hits.iter().map(|h| h.0.clone()).collect()
}

/// A searcher over the bundled collection without glossary concepts (so that a word is
/// matched by itself alone) and with the given tuning, without the long-text fusion (it
/// normalises each list by its best score, so it is not a fixed score per record).
fn plain(tuning: Tuning) -> Searcher {
    let searcher = Searcher::new(index_of(bundled_supplies()))
        .unwrap()
        .with_glossary(None)
        .with_tuning(Tuning {
            long_text_weight: 0.0,
            ..tuning
        });
    searcher.reader().reload().unwrap();
    searcher
}

fn any_word() -> Tuning {
    Tuning {
        required_words_up_to: 0,
        ..Tuning::default()
    }
}

#[test]
fn the_results_of_several_words_are_the_records_with_every_word() {
    let searcher = plain(Tuning::default());
    let mut checked = 0;
    for q in [
        "may say",
        "xu ly nuoc thai",
        "máy sấy nông sản",
        "ca phe",
        "nang luong mat troi",
        "cảm biến IoT",
        "che bien thuc pham",
    ] {
        let (response, hits) = all_hits(&searcher, q);
        let words: Vec<&str> = q.split_whitespace().collect();
        let required: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !response.optional_words.iter().any(|o| o == w))
            .collect();
        // Every word optional: any word qualifies (the union of the words' records).
        let any = required.is_empty();
        let mut expected: Option<BTreeSet<String>> = None;
        for word in if any { &words } else { &required } {
            let alone = ids(&all_hits(&searcher, word).1);
            expected = Some(match expected {
                None => alone,
                Some(set) if any => set.union(&alone).cloned().collect(),
                Some(set) => set.intersection(&alone).cloned().collect(),
            });
        }
        assert_eq!(ids(&hits), expected.unwrap(), "{q}");
        assert_eq!(hits.len(), response.total, "{q}");
        assert_eq!(response.relaxed, !response.optional_words.is_empty());
        if response.relaxed && !any {
            assert!(response.total >= Tuning::default().min_results, "{q}");
        }
        if !response.relaxed {
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "most of these queries find enough records with every word"
    );
}

#[test]
fn too_few_records_with_every_word_make_the_commonest_words_optional() {
    // "máy" is in a great many records, "sấy" in fewer, and no record is about a machine
    // for drying pianos: the piano word is absent, so it goes first.
    let searcher = plain(Tuning::default());
    let response = searcher.search(&request("máy sấy piano", 20)).unwrap();
    assert!(response.relaxed);
    assert_eq!(
        response.optional_words[0], "piano",
        "{:?}",
        response.optional_words
    );
    assert!(response.total >= Tuning::default().min_results);
    // Asking for more results than exist keeps every word optional but one, then none.
    let strict = Tuning {
        min_results: 1_000_000,
        ..Tuning::default()
    };
    let loose = plain(strict).search(&request("máy sấy", 20)).unwrap();
    let any = plain(any_word()).search(&request("máy sấy", 20)).unwrap();
    assert_eq!(loose.total, any.total);
    assert_eq!(loose.optional_words, ["máy", "sấy"]);
}

/// Requiring words only narrows: the hits of the default search are the any-word
/// ranking's hits that contain the required words, in the same order with the same scores.
fn narrows_without_reordering(q: &str) {
    let strict = plain(Tuning::default());
    let any = plain(any_word());
    let (response, strict_hits) = all_hits(&strict, q);
    let (_, any_hits) = all_hits(&any, q);
    let kept = ids(&strict_hits);
    let filtered: Vec<&(String, f32)> = any_hits.iter().filter(|h| kept.contains(&h.0)).collect();
    assert_eq!(filtered.len(), strict_hits.len(), "{q}: {response:?}");
    let scores: BTreeMap<&str, f32> = any_hits.iter().map(|h| (h.0.as_str(), h.1)).collect();
    for (rank, (id, score)) in strict_hits.iter().enumerate() {
        let want = scores[id.as_str()];
        assert!(
            (want - score).abs() <= 1e-4 * want.abs().max(1.0),
            "{q}: {id} scores {score}, any-word {want}"
        );
        // Equal scores may come in either order; otherwise the order is the same.
        let other = filtered[rank];
        assert!(
            other.0 == *id || (other.1 - score).abs() <= 1e-4 * score.abs().max(1.0),
            "{q}: rank {rank} is {id}, any-word order has {}",
            other.0
        );
    }
}

#[test]
fn requiring_words_narrows_the_any_word_ranking_without_reordering_it() {
    for q in [
        "may say nong san",
        "xu ly nuoc",
        "cảm biến",
        "phan bon huu co",
    ] {
        narrows_without_reordering(q);
    }
}

fn vocabulary() -> Vec<String> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    for supply in bundled_supplies().iter().take(60) {
        for word in supply.title.split_whitespace().take(6) {
            let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
            if word.chars().count() >= 2 {
                words.insert(word.to_lowercase());
            }
        }
    }
    words.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random queries of two to four title words: the required-word top of the list is the
    /// exhaustive any-word ranking restricted to the results, scores and order alike.
    #[test]
    fn random_queries_narrow_without_reordering(picks in proptest::collection::vec(0usize..10_000, 2..5)) {
        let vocabulary = vocabulary();
        let q: Vec<&str> = picks.iter().map(|i| vocabulary[i % vocabulary.len()].as_str()).collect();
        narrows_without_reordering(&q.join(" "));
    }
}

#[test]
fn totals_are_exact_below_the_cap_and_flagged_above_it() {
    let exact = bundled_searcher().search(&request("may", 10)).unwrap();
    assert!(exact.total > 20, "{}", exact.total);
    assert!(!exact.total_is_lower_bound);
    let capped = Searcher::new(index_of(bundled_supplies()))
        .unwrap()
        .with_total_cap(exact.total - 1);
    capped.reader().reload().unwrap();
    let over = capped.search(&request("may", 10)).unwrap();
    assert_eq!(over.total, exact.total - 1);
    assert!(over.total_is_lower_bound);
    let at = Searcher::new(index_of(bundled_supplies()))
        .unwrap()
        .with_total_cap(exact.total);
    at.reader().reload().unwrap();
    let equal = at.search(&request("may", 10)).unwrap();
    assert_eq!(equal.total, exact.total);
    assert!(
        !equal.total_is_lower_bound,
        "a total equal to the cap is exact"
    );
    // The hits and facets are those of every record, whatever the cap.
    let ids = |r: &SearchResponse| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&over), ids(&exact));
}
