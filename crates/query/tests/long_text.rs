//! Long text in the search box: questions and pasted paragraphs ranked by their key terms
//! (fused with the short-query ranking), question boilerplate that does not pull records
//! in, and paging through a fused list.

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
    for q in ["sấy cà phê", "xu ly nuoc thai", "bơm nhiệt cà phê"] {
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
