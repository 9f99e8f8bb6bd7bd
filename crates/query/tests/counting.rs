//! Counting apart from ranking: a search's total, its facet counts (each constrained one
//! without its own filter), the words it made optional and its hits (ids, scores, order)
//! are the same whether the records are counted from the remembered record sets (the
//! default) or by the ranking query itself; on random searches over an index cut into
//! segments, with records deleted, replaced, closed and expired.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use proptest::prelude::*;

use crate::common::bundled_supplies;
use techmatch_indexer::SupplyIndex;
use techmatch_query::search::Counting;
use techmatch_query::{FacetDim, Filters, SearchRequest, SearchResponse, Searcher, Sort};

/// The bundled supplies in three commits, then every 11th deleted, every 7th replaced with
/// another title (its old version deleted in its segment), every 13th closed and every
/// 17th expired in 2020.
fn lifecycle_index() -> SupplyIndex {
    let supplies = bundled_supplies();
    let index = SupplyIndex::create_in_ram();
    let mut writer = index.writer(64 << 20).unwrap();
    for chunk in supplies.chunks(supplies.len().div_ceil(3)) {
        for supply in chunk {
            writer.upsert(supply).unwrap();
        }
        writer.commit().unwrap();
    }
    for (i, supply) in supplies.iter().enumerate() {
        if i % 11 == 0 {
            writer.delete(&supply.id);
            continue;
        }
        let mut changed = supply.clone();
        if i % 7 == 0 {
            changed.title = format!("{} máy sấy cà phê", supply.title);
        }
        if i % 13 == 0 {
            changed.status = Some("closed".into());
        }
        if i % 17 == 0 {
            changed.expires = Some("2020-01-01".into());
        }
        if changed != *supply {
            writer.upsert(&changed).unwrap();
        }
    }
    writer.commit().unwrap();
    index
}

/// Two searchers over the same index: one counting from record sets, one by query.
fn searchers() -> &'static (Searcher, Searcher) {
    static SEARCHERS: OnceLock<(Searcher, Searcher)> = OnceLock::new();
    SEARCHERS.get_or_init(|| {
        let index = lifecycle_index();
        let sets = Searcher::new(index.clone()).unwrap();
        sets.reader().reload().unwrap();
        assert!(sets.reader().searcher().segment_readers().len() >= 2);
        let by_query = Searcher::new(index).unwrap().with_counting(Counting::Query);
        by_query.reader().reload().unwrap();
        (sets, by_query)
    })
}

/// Words to build queries of: title words of the bundled records, some without their
/// marks, some cut short or misspelt, an acronym, a Chinese word and a word no record has.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for supply in bundled_supplies().iter().step_by(5).take(60) {
        for word in supply.title.split_whitespace().take(5) {
            let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
            if word.chars().count() >= 2 {
                words.push(word.to_lowercase());
            }
        }
    }
    words.sort();
    words.dedup();
    let folded: Vec<String> = words
        .iter()
        .step_by(3)
        .map(|w| techmatch_analysis::fold_diacritics(w))
        .collect();
    words.extend(folded);
    words.extend(
        [
            "biogass", "nuoc", "thai", "RO", "污水", "qqqxyzw", "ca phe", "nang lu", "th",
        ]
        .map(String::from),
    );
    words
}

fn facet_map(response: &SearchResponse) -> BTreeMap<FacetDim, Vec<(String, u64)>> {
    response
        .facets
        .iter()
        .map(|(dim, values)| {
            (
                *dim,
                values.iter().map(|v| (v.value.clone(), v.count)).collect(),
            )
        })
        .collect()
}

fn hits(response: &SearchResponse) -> Vec<(String, f32)> {
    response
        .hits
        .iter()
        .map(|h| (h.id.clone(), h.score.unwrap_or(0.0)))
        .collect()
}

/// The same records in the same order with the same scores, up to the rounding of
/// summing the same clause scores in another order (the ranking with record sets adds
/// them up flat, tantivy's boolean query nested): 334.37005 may print as 334.3700 one way
/// and 334.3701 the other.
fn same_hits(got: &SearchResponse, expected: &SearchResponse, what: &str) {
    let (got, expected) = (hits(got), hits(expected));
    let ids = |h: &[(String, f32)]| h.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&got), ids(&expected), "hits of {what}");
    for ((id, a), (_, b)) in got.iter().zip(&expected) {
        assert!(
            (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0),
            "score of {id} in {what}: {a} against {b}"
        );
    }
}

/// A search both ways, compared field by field; `round` names the attempt.
fn same_both_ways(request: &SearchRequest, round: usize) {
    let (sets, by_query) = searchers();
    let got = sets.search(request).unwrap();
    let expected = by_query.search(request).unwrap();
    let what = format!(
        "{:?} filters {:?} round {round}",
        request.q, request.filters
    );
    assert_eq!(got.total, expected.total, "total of {what}");
    assert_eq!(
        got.total_is_lower_bound, expected.total_is_lower_bound,
        "{what}"
    );
    assert_eq!(got.optional_words, expected.optional_words, "{what}");
    assert_eq!(facet_map(&got), facet_map(&expected), "facets of {what}");
    same_hits(&got, &expected, &what);
}

fn filters_of(pick: usize) -> Filters {
    let supplies = bundled_supplies();
    let supply = &supplies[pick % supplies.len()];
    let mut filters = Filters::default();
    if pick.is_multiple_of(3) {
        filters.sector.extend(supply.sector.clone());
    }
    if pick % 5 == 1 {
        filters
            .lang
            .extend(supply.lang.map(|l| l.code().to_string()));
    }
    if pick % 7 == 2 {
        filters.trl_min = Some(5);
    }
    if pick % 11 == 3 {
        filters.include_inactive = true;
    }
    if pick % 13 == 4 {
        filters
            .transfer
            .extend(supply.transfer.iter().take(1).cloned());
    }
    filters
}

#[test]
fn fixed_searches_count_the_same_both_ways() {
    let more = [
        "máy sấy cà phê",
        "RO",
        "qqqxyzw",
        "may qqqxyzw",
        "solar drying of coffee beans with heat pumps and biomass",
    ];
    for q in crate::search_box::SEGMENT_QUERIES.into_iter().chain(more) {
        for pick in [0, 1, 2, 3, 4, 6] {
            for sort in [Sort::Relevance, Sort::Updated] {
                let request = SearchRequest {
                    q: q.to_string(),
                    filters: filters_of(pick),
                    sort,
                    size: 15,
                    ..Default::default()
                };
                // Twice: the second search reads the sets the first one remembered.
                same_both_ways(&request, 0);
                same_both_ways(&request, 1);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random queries of one to five words, random filters, typing or not, duplicates
    /// folded or shown, second pages.
    #[test]
    fn random_searches_count_the_same_both_ways(
        picks in proptest::collection::vec(0usize..100_000, 1..6),
        filter_pick in 0usize..1_000,
        prefix_last: bool,
        show_duplicates: bool,
        page in 1usize..3,
    ) {
        let vocabulary = vocabulary();
        let q: Vec<&str> = picks.iter().map(|i| vocabulary[i % vocabulary.len()].as_str()).collect();
        let request = SearchRequest {
            q: q.join(" "),
            filters: filters_of(filter_pick),
            prefix_last,
            show_duplicates,
            page,
            size: 10,
            ..Default::default()
        };
        same_both_ways(&request, 0);
    }
}

#[test]
fn no_room_for_record_sets_counts_through_the_ranking_query() {
    let (sets, _) = searchers();
    let none = Searcher::new(sets.index().clone())
        .unwrap()
        .with_record_set_bytes(0);
    none.reader().reload().unwrap();
    let request = SearchRequest {
        q: "may say".into(),
        filters: filters_of(0),
        ..Default::default()
    };
    let expected = sets.search(&request).unwrap();
    let got = none.search(&request).unwrap();
    assert_eq!(got.total, expected.total);
    assert_eq!(facet_map(&got), facet_map(&expected));
    assert_eq!(none.record_sets().bytes(), 0, "nothing remembered");
    assert!(sets.record_sets().bytes() > 0);
}

/// Sets remembered before a commit still count right after it: records added, deleted,
/// closed and replaced between two searches of one searcher.
#[test]
fn a_commit_is_counted_at_the_next_search() {
    let supplies = bundled_supplies();
    let index = crate::common::index_in_batches(&supplies[..200], 2);
    let sets = Searcher::new(index.clone()).unwrap();
    let by_query = Searcher::new(index.clone())
        .unwrap()
        .with_counting(Counting::Query);
    let request = |q: &str| SearchRequest {
        q: q.to_string(),
        size: 20,
        ..Default::default()
    };
    let queries = ["may say", "xu ly nuoc thai", "công nghệ", ""];
    let check = |round: &str| {
        sets.reader().reload().unwrap();
        by_query.reader().reload().unwrap();
        for q in queries {
            let got = sets.search(&request(q)).unwrap();
            let expected = by_query.search(&request(q)).unwrap();
            assert_eq!(got.total, expected.total, "{q:?} {round}");
            assert_eq!(facet_map(&got), facet_map(&expected), "{q:?} {round}");
            same_hits(&got, &expected, &format!("{q:?} {round}"));
        }
        sets.search(&request("")).unwrap().total
    };
    let before = check("before");
    assert_eq!(before, 200);
    let mut writer = index.writer(64 << 20).unwrap();
    for supply in &supplies[200..260] {
        writer.upsert(supply).unwrap();
    }
    for supply in supplies[..200].iter().step_by(9) {
        writer.delete(&supply.id);
    }
    for supply in supplies[..200].iter().skip(4).step_by(9) {
        let mut closed = supply.clone();
        closed.status = Some("closed".into());
        writer.upsert(&closed).unwrap();
    }
    writer.commit().unwrap();
    let after = check("after");
    let deleted = supplies[..200].iter().step_by(9).count();
    let closed = supplies[..200].iter().skip(4).step_by(9).count();
    assert_eq!(after, 260 - deleted - closed);
}

/// The bundled supplies and the near-duplicates of `index-data/duplicates` (the same
/// offers sent again by other sources), which join their clusters at the commit; counted
/// from record sets, and by query.
fn clustered_searchers() -> &'static (Searcher, Searcher) {
    static SEARCHERS: OnceLock<(Searcher, Searcher)> = OnceLock::new();
    SEARCHERS.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../index-data/duplicates/records.jsonl");
        let mut validator = techmatch_indexer::validate::Validator::new("records.jsonl");
        let again: Vec<techmatch_indexer::Supply> =
            techmatch_indexer::read::read_raw(&path, Default::default())
                .unwrap()
                .map(|row| validator.supply(&row.unwrap()).unwrap())
                .collect();
        let index = SupplyIndex::create_in_ram();
        let mut writer = index.writer(64 << 20).unwrap();
        for supply in bundled_supplies() {
            writer.upsert(supply).unwrap();
        }
        writer.commit().unwrap();
        for supply in &again {
            writer.upsert(supply).unwrap();
        }
        writer.commit().unwrap();
        writer.finish().unwrap();
        let sets = Searcher::new(index.clone()).unwrap();
        sets.reader().reload().unwrap();
        let by_query = Searcher::new(index).unwrap().with_counting(Counting::Query);
        by_query.reader().reload().unwrap();
        (sets, by_query)
    })
}

/// A page of folded duplicates is ranked from a short head of the list first, and from the
/// whole head when that holds too few clusters: the pages are those of the whole list
/// folded by hand (the same ranking with duplicates shown, each hit's cluster from
/// `duplicate_of`), where duplicates crowd the list. (Compared with the ranking by query
/// instead, a cluster of two records with the same text could be shown by either: their
/// scores tie up to the rounding of each way of summing.)
#[test]
fn folded_pages_from_a_short_head_are_those_of_the_whole_head() {
    let (sets, _) = clustered_searchers();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../index-data/duplicates/records.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let mut folded_somewhere = 0;
    for line in text.lines().take(40) {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let title = record["title"].as_str().unwrap();
        let q: String = title
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        // The whole list, duplicates shown, folded by hand: one record per cluster, in
        // the order of each cluster's best record.
        let all = sets
            .search(&SearchRequest {
                q: q.clone(),
                size: 100,
                show_duplicates: true,
                ..SearchRequest::default()
            })
            .unwrap();
        let mut seen = std::collections::HashSet::new();
        let folded: Vec<String> = all
            .hits
            .iter()
            .filter(|h| seen.insert(h.duplicate_of.clone().unwrap_or_else(|| h.id.clone())))
            .map(|h| h.id.clone())
            .collect();
        if folded.len() < all.hits.len().min(20) {
            folded_somewhere += 1;
        }
        for (size, page) in [(10, 1), (3, 1), (3, 2), (1, 3)] {
            let got = sets
                .search(&SearchRequest {
                    q: q.clone(),
                    size,
                    page,
                    ..SearchRequest::default()
                })
                .unwrap();
            let ids: Vec<String> = got.hits.iter().map(|h| h.id.clone()).collect();
            let expected: Vec<String> = folded
                .iter()
                .skip((page - 1) * size)
                .take(size)
                .cloned()
                .collect();
            assert_eq!(ids, expected, "{q:?} size {size} page {page}");
        }
    }
    // The duplicates did crowd the head of the lists.
    assert!(folded_somewhere >= 5, "{folded_somewhere}");
}
