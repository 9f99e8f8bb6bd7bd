//! Real text in the search box: questions and pasted paragraphs ranked by their key terms
//! (fused with the short-query ranking), question boilerplate that does not pull records
//! in, paging through a fused list, and fields that saturate.

use crate::common::{bundled_searcher, bundled_supplies, index_of};
use techmatch_query::{SearchRequest, Searcher, Tuning};

const QUESTION: &str = "Công ty chúng tôi ở Đắk Lắk đang cần một hệ thống sấy cà phê nhân dùng \
     bơm nhiệt để giữ hương vị và tiết kiệm điện so với lò đốt củi, xin hỏi công nghệ đó vận \
     hành như thế nào và chi phí đầu tư khoảng bao nhiêu?";

fn search(
    searcher: &Searcher,
    q: &str,
    page: usize,
    size: usize,
) -> techmatch_query::SearchResponse {
    searcher
        .search(&SearchRequest {
            q: q.to_string(),
            page,
            size,
            ..Default::default()
        })
        .unwrap()
}

fn ids(response: &techmatch_query::SearchResponse) -> Vec<String> {
    response.hits.iter().map(|h| h.id.clone()).collect()
}

#[test]
fn a_long_question_finds_its_record_as_typed_and_without_marks() {
    let searcher = bundled_searcher();
    let unaccented = techmatch_analysis::fold_diacritics(QUESTION);
    for q in [QUESTION, unaccented.as_str()] {
        let top = ids(&search(searcher, q, 1, 3));
        assert!(
            top.iter().any(|id| id == "TS-0001" || id == "TS-0138"),
            "{q}: {top:?}"
        );
    }
}

#[test]
fn question_boilerplate_matches_nothing() {
    let searcher = bundled_searcher();
    for q in [
        "máy sấy có được không?",
        "may say nhu the nao",
        "máy sấy là gì ạ",
    ] {
        let response = search(searcher, q, 1, 10);
        assert!(!response.hits.is_empty(), "{q}");
        for hit in &response.hits {
            for words in hit.matched.values() {
                for word in words {
                    let word = techmatch_analysis::fold_diacritics(&word.to_lowercase());
                    assert!(
                        !["duoc", "khong", "nhu", "the", "nao", "la", "gi", "a"]
                            .contains(&word.as_str()),
                        "{q}: {} matched on {word}",
                        hit.id
                    );
                }
            }
        }
    }
    // The subject decides the ranking, not the frame around it.
    assert_eq!(
        ids(&search(searcher, "máy sấy có được không?", 1, 5)),
        ids(&search(searcher, "máy sấy có ", 1, 5))
    );
}

#[test]
fn pages_of_a_long_query_follow_one_order_of_descending_scores() {
    let searcher = bundled_searcher();
    let whole = search(searcher, QUESTION, 1, 30);
    assert_eq!(whole.hits.len(), 30);
    let scores: Vec<f32> = whole.hits.iter().map(|h| h.score.unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let mut paged = Vec::new();
    for page in 1..=3 {
        let response = search(searcher, QUESTION, page, 10);
        assert_eq!(response.total, whole.total);
        paged.extend(ids(&response));
    }
    assert_eq!(paged, ids(&whole));
    let ranks: Vec<usize> = whole.hits.iter().map(|h| h.rank).collect();
    assert_eq!(ranks, (1..=30).collect::<Vec<_>>());
}

#[test]
fn short_queries_do_not_take_the_long_text_path() {
    let index = index_of(bundled_supplies());
    let plain = Searcher::new(index.clone()).unwrap().with_tuning(Tuning {
        long_text_weight: 0.0,
        ..Tuning::default()
    });
    plain.reader().reload().unwrap();
    let default = Searcher::new(index).unwrap();
    default.reader().reload().unwrap();
    // Up to five words (`long_text_from`), a query is ranked as a short one only.
    for q in [
        "sấy cà phê",
        "xu ly nuoc thai",
        "bơm nhiệt cà phê",
        "máy sấy cà phê nhân",
    ] {
        let a = search(&plain, q, 1, 20);
        let b = search(&default, q, 1, 20);
        assert_eq!(ids(&a), ids(&b), "{q}");
        let scores = |r: &techmatch_query::SearchResponse| -> Vec<Option<f32>> {
            r.hits.iter().map(|h| h.score).collect()
        };
        assert_eq!(scores(&a), scores(&b), "{q}");
    }
    // A long question does: its scores are the fused ones, in the short ranking's units
    // (never above its best score).
    let fused = search(&default, QUESTION, 1, 10);
    let short = search(&plain, QUESTION, 1, 10);
    let best = short.hits[0].score.unwrap();
    assert!(fused
        .hits
        .iter()
        .all(|h| h.score.unwrap() <= best * (1.0 + 1e-5)));
    let scores = |r: &techmatch_query::SearchResponse| -> Vec<Option<f32>> {
        r.hits.iter().map(|h| h.score).collect()
    };
    assert_ne!(scores(&fused), scores(&short));
}

fn supply(id: &str, title: &str, description: &str) -> techmatch_indexer::Supply {
    serde_json::from_value(serde_json::json!({
        "id": id, "title": title, "description": description
    }))
    .unwrap()
}

fn score_of(searcher: &Searcher, q: &str, id: &str) -> f32 {
    search(searcher, q, 1, 10)
        .hits
        .iter()
        .find(|h| h.id == id)
        .and_then(|h| h.score)
        .unwrap()
}

#[test]
fn a_word_in_several_fields_saturates_instead_of_adding_up() {
    // Same field lengths everywhere, so BM25 differs only by where "bơm" is.
    let index = index_of(&[
        supply("TITLE", "máy bơm nhiệt", "quạt điện gia đình"),
        supply("BOTH", "máy bơm nhiệt", "bơm nhiệt gia đình"),
        supply("BODY", "máy quạt điện", "bơm nhiệt gia đình"),
        supply("NONE", "máy quạt điện", "quạt điện gia đình"),
    ]);
    let searcher = Searcher::new(index).unwrap().with_glossary(None);
    searcher.reader().reload().unwrap();
    let q = "bơm "; // one finished word: no prefix, no pair
    let (title, both, body) = (
        score_of(&searcher, q, "TITLE"),
        score_of(&searcher, q, "BOTH"),
        score_of(&searcher, q, "BODY"),
    );
    let tie = Tuning::default().field_tie_breaker;
    assert!(tie < 1.0);
    let expected = title.max(body) + tie * title.min(body);
    assert!(
        (both - expected).abs() < 1e-3 * expected,
        "{title} {body} {both}"
    );
    assert!(both < title + body);
    // A title that only repeats the body still ranks first, but not by a double count.
    assert!(both > title && title > body);
}
