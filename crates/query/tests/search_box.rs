//! The search box on the bundled collection: diacritic variants, typing, typos, acronyms,
//! facets against a brute-force count, and escaping.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{bundled_searcher, bundled_supplies, index_of};
use techmatch_indexer::document::province_facet;
use techmatch_indexer::province::Provinces;
use techmatch_query::{FacetDim, Filters, SearchRequest, Searcher};
use unicode_normalization::UnicodeNormalization;

fn request(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_string(),
        ..Default::default()
    }
}

fn top_ids(q: &str, n: usize) -> Vec<String> {
    let response = bundled_searcher()
        .search(&SearchRequest {
            size: n,
            ..request(q)
        })
        .unwrap();
    response.hits.into_iter().map(|h| h.id).collect()
}

#[test]
fn diacritic_case_nfd_and_spelling_variants_give_the_same_top_ten() {
    let nfd: String = "xử lý nước thải".nfd().collect();
    let variants = [
        "xu ly nuoc thai",
        "xử lý nước thải",
        "XỬ LÝ NƯỚC THẢI",
        nfd.as_str(),
        "xử lí nước thải",
    ];
    let reference: BTreeSet<String> = top_ids(variants[0], 10).into_iter().collect();
    assert_eq!(reference.len(), 10);
    for variant in &variants[1..] {
        let got: BTreeSet<String> = top_ids(variant, 10).into_iter().collect();
        assert_eq!(got, reference, "top 10 of {variant:?}");
    }
}

#[test]
fn folded_query_highlights_the_original_words() {
    let response = bundled_searcher()
        .search(&request("xu ly nuoc thai"))
        .unwrap();
    let highlighted = response
        .hits
        .iter()
        .filter(|h| {
            h.title_html.contains("<mark>xử lý nước thải</mark>")
                || h.title_html.contains("<mark>Xử lý nước thải</mark>")
        })
        .count();
    assert!(
        highlighted >= 3,
        "titles: {:?}",
        response
            .hits
            .iter()
            .map(|h| &h.title_html)
            .collect::<Vec<_>>()
    );
    assert!(response
        .hits
        .iter()
        .any(|h| h.snippet_html.contains("<mark>nước thải</mark>")));
}

#[test]
fn nfd_records_are_highlighted_on_their_own_text() {
    let nfd_title: String = "Xử lý nước thải lò mổ".nfd().collect();
    let mut supply = bundled_supplies()[0].clone();
    supply.id = "NFD-1".into();
    supply.title = nfd_title.clone();
    let searcher = Searcher::new(index_of(&[supply])).unwrap();
    searcher.reader().reload().unwrap();
    let hit = &searcher.search(&request("nuoc thai lo mo")).unwrap().hits[0];
    let marked: String = hit.title_html.replace("<mark>", "").replace("</mark>", "");
    assert_eq!(
        marked, nfd_title,
        "the text around the marks is the stored original"
    );
    assert!(hit.title_html.contains("<mark>"));
}

/// Records judged relevant (grade >= 2) for the wastewater and biogas questions.
const WASTEWATER: &[&str] = &[
    "TS-0101", "TS-0102", "TS-0103", "TS-0104", "TS-0105", "TS-0106", "TS-0107", "TS-0108",
    "TS-0109", "TS-0110", "TS-0133", "TS-0184",
];
const BIOGAS: &[&str] = &[
    "TS-0025", "TS-0141", "TS-0142", "TS-0101", "TS-0108", "TS-0143", "TS-0144",
];

#[test]
fn typing_missing_marks_and_typos_still_find_the_records() {
    for (query, relevant) in [
        ("xu ly nuoc th", WASTEWATER),
        ("nươc thải", WASTEWATER),
        ("biogass", BIOGAS),
    ] {
        let top = top_ids(query, 5);
        let good = top
            .iter()
            .filter(|id| relevant.contains(&id.as_str()))
            .count();
        assert!(good >= 3, "{query:?}: top 5 {top:?}");
    }
}

#[test]
fn ro_never_matches_records_that_only_say_ro_with_a_tone() {
    let response = bundled_searcher()
        .search(&SearchRequest {
            size: 100,
            ..request("RO")
        })
        .unwrap();
    assert!(response.total > 0);
    for hit in &response.hits {
        let supply = bundled_supplies().iter().find(|s| s.id == hit.id).unwrap();
        let text = format!(
            "{} {} {} {}",
            supply.title,
            supply.summary.clone().unwrap_or_default(),
            supply.description.clone().unwrap_or_default(),
            supply.keywords.join(" ")
        );
        let has_acronym = techmatch_analysis::analyze(&text)
            .exact
            .iter()
            .any(|t| t.text == "ro");
        let glossary_link = ["reverse osmosis", "thẩm thấu ngược", "反渗透"]
            .iter()
            .any(|t| text.to_lowercase().contains(t));
        assert!(
            has_acronym || glossary_link,
            "{} matched RO without 'RO' or reverse osmosis",
            hit.id
        );
    }
}

fn facet_map(response: &techmatch_query::SearchResponse, dim: FacetDim) -> BTreeMap<String, u64> {
    response.facets[&dim]
        .iter()
        .map(|v| (v.value.clone(), v.count))
        .collect()
}

/// Brute force: count a dimension over the records that match the text and every filter
/// except the dimension's own.
fn brute_force(
    matching: &BTreeSet<String>,
    filters: &Filters,
    dim: FacetDim,
) -> BTreeMap<String, u64> {
    let provinces = Provinces::bundled();
    let mut counts = BTreeMap::new();
    for supply in bundled_supplies()
        .iter()
        .filter(|s| matching.contains(&s.id))
    {
        let values = |d: FacetDim| -> Vec<String> {
            match d {
                FacetDim::Sector => supply.sector.iter().cloned().collect(),
                FacetDim::Country => supply.country.iter().cloned().collect(),
                FacetDim::Province => supply
                    .province
                    .iter()
                    .map(|p| province_facet(&provinces, p))
                    .collect(),
                FacetDim::Transfer => supply.transfer.clone(),
                FacetDim::Trl => supply.trl.iter().map(|t| t.to_string()).collect(),
                FacetDim::Lang => supply.lang.iter().map(|l| l.code().to_string()).collect(),
                FacetDim::Source => supply.source.iter().cloned().collect(),
            }
        };
        let passes = |d: FacetDim, wanted: &[String]| {
            d == dim || wanted.is_empty() || values(d).iter().any(|v| wanted.contains(v))
        };
        let trl_ok = dim == FacetDim::Trl
            || filters.trl_min.is_none()
            || supply.trl.is_some_and(|t| t >= filters.trl_min.unwrap());
        if passes(FacetDim::Sector, &filters.sector)
            && passes(FacetDim::Country, &filters.country)
            && passes(FacetDim::Transfer, &filters.transfer)
            && trl_ok
        {
            for value in values(dim) {
                *counts.entry(value).or_default() += 1;
            }
        }
    }
    counts
}

#[test]
fn facet_counts_match_a_brute_force_count_and_ignore_their_own_filter() {
    // Both words stay required however few records the filters leave (by default, fewer
    // than twenty would make the commoner word optional, and the filtered results would
    // then be another set than the unfiltered ones this brute force starts from).
    let searcher = Searcher::new(index_of(bundled_supplies()))
        .unwrap()
        .with_tuning(techmatch_query::Tuning {
            min_results: 0,
            ..Default::default()
        });
    searcher.reader().reload().unwrap();
    let q = "may say";
    let unfiltered = searcher
        .search(&SearchRequest {
            size: 100,
            ..request(q)
        })
        .unwrap();
    let mut matching: BTreeSet<String> = BTreeSet::new();
    for page in 1..=unfiltered.total.div_ceil(100) {
        let response = searcher
            .search(&SearchRequest {
                size: 100,
                page,
                ..request(q)
            })
            .unwrap();
        matching.extend(response.hits.into_iter().map(|h| h.id));
    }
    assert_eq!(matching.len(), unfiltered.total);
    let filters = Filters {
        sector: vec!["agriculture".into(), "mechanical".into()],
        country: vec!["VN".into()],
        transfer: vec!["equipment".into()],
        trl_min: Some(6),
        ..Default::default()
    };
    let filtered = searcher
        .search(&SearchRequest {
            q: q.into(),
            filters: filters.clone(),
            size: 100,
            ..Default::default()
        })
        .unwrap();
    for dim in [
        FacetDim::Sector,
        FacetDim::Country,
        FacetDim::Transfer,
        FacetDim::Trl,
        FacetDim::Province,
        FacetDim::Lang,
    ] {
        assert_eq!(
            facet_map(&filtered, dim),
            brute_force(&matching, &filters, dim),
            "facet {dim:?}"
        );
    }
    assert!(filtered.total < unfiltered.total);
    assert_eq!(
        filtered.total as u64,
        facet_map(&filtered, FacetDim::Lang).values().sum::<u64>(),
        "lang is unfiltered: its counts add up to the total"
    );
}

#[test]
fn empty_query_browses_newest_first_with_facets() {
    let response = bundled_searcher()
        .search(&SearchRequest {
            size: 20,
            ..request("")
        })
        .unwrap();
    assert_eq!(response.total, bundled_supplies().len());
    let dates: Vec<String> = response
        .hits
        .iter()
        .filter_map(|h| h.record.updated.clone())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let sectors: u64 = response.facets[&FacetDim::Sector]
        .iter()
        .map(|v| v.count)
        .sum();
    assert!(sectors >= 339);
}

#[test]
fn markup_in_a_record_comes_back_escaped() {
    let mut supply = bundled_supplies()[0].clone();
    supply.id = "XSS-1".into();
    supply.title = "Máy sấy <script>alert('x')</script> <img src=x onerror=alert(1)>".into();
    supply.description = Some("Máy sấy <script>alert(document.cookie)</script> cho cà phê".into());
    let searcher = Searcher::new(index_of(&[supply])).unwrap();
    searcher.reader().reload().unwrap();
    let hit = &searcher.search(&request("may say")).unwrap().hits[0];
    for html in [&hit.title_html, &hit.snippet_html] {
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}

#[test]
fn bad_parameters_are_rejected_with_the_parameter_named() {
    let searcher = bundled_searcher();
    for (req, name) in [
        (
            SearchRequest {
                size: 0,
                ..request("a")
            },
            "size",
        ),
        (
            SearchRequest {
                size: 101,
                ..request("a")
            },
            "size",
        ),
        (
            SearchRequest {
                page: 0,
                ..request("a")
            },
            "page",
        ),
        (
            SearchRequest {
                page: 5000,
                size: 100,
                ..request("a")
            },
            "page",
        ),
        (
            SearchRequest {
                filters: Filters {
                    sector: vec!["space".into()],
                    ..Default::default()
                },
                ..request("a")
            },
            "sector",
        ),
        (
            SearchRequest {
                filters: Filters {
                    trl_min: Some(10),
                    ..Default::default()
                },
                ..request("a")
            },
            "trl_min",
        ),
        (
            SearchRequest {
                q: "x".repeat(600),
                ..request("")
            },
            "q",
        ),
    ] {
        let message = searcher.search(&req).unwrap_err().to_string();
        assert!(message.starts_with(name), "{message}");
    }
}

#[test]
fn a_query_that_finds_nothing_suggests_a_correction() {
    let response = bundled_searcher().search(&request("vaccxin ")).unwrap();
    if response.total == 0 {
        assert!(response.did_you_mean.is_some());
    }
    let response = bundled_searcher().search(&request("qqqxyzw ")).unwrap();
    assert_eq!(response.total, 0);
}

#[test]
fn suggestions_complete_the_last_word_without_diacritics() {
    let suggestions = bundled_searcher().suggest("may say ca ph", 10).unwrap();
    assert!(!suggestions.is_empty() && suggestions.len() <= 10);
    for suggestion in &suggestions {
        let folded = techmatch_analysis::fold_diacritics(&suggestion.text.to_lowercase());
        assert!(folded.contains("ca ph"), "{}", suggestion.text);
        assert!(suggestion.html.contains("<mark>"));
    }
}

fn offer(id: &str, title: &str, keywords: &[&str], status: &str) -> techmatch_indexer::Supply {
    serde_json::from_value(serde_json::json!({
        "id": id, "title": title, "keywords": keywords, "status": status,
        "description": "Chuyển giao công nghệ cho doanh nghiệp."
    }))
    .unwrap()
}

fn suggested(searcher: &Searcher, typed: &str, kind: &str) -> Vec<String> {
    searcher
        .suggest(typed, 10)
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == kind)
        .map(|s| s.text)
        .collect()
}

#[test]
fn suggestions_put_the_words_as_typed_and_side_by_side_first() {
    let searcher = Searcher::new(crate::common::index_of(&[
        offer("APART", "Máy nông nghiệp cắt cỏ", &[], "open"),
        offer("CAY", "Máy cày", &[], "open"),
        offer("LONG", "Máy cắt cỏ dùng pin cho hộ gia đình", &[], "open"),
        offer("SHORT", "Máy cắt cỏ", &[], "open"),
        offer("INSIDE", "Dây chuyền máy cắt kim loại", &[], "open"),
        offer("CLOSED", "Máy cắt bê tông", &[], "closed"),
        offer(
            "KW",
            "Thiết bị dệt",
            &["máy cấy lúa", "máy cắt vải"],
            "open",
        ),
    ]))
    .unwrap();
    assert_eq!(
        suggested(&searcher, "máy cắ", "title"),
        [
            "Máy cắt cỏ",
            "Máy cắt cỏ dùng pin cho hộ gia đình",
            "Dây chuyền máy cắt kim loại",
            "Máy nông nghiệp cắt cỏ",
            "Máy cày",
        ]
    );
    assert_eq!(
        suggested(&searcher, "máy cắ", "keyword"),
        ["máy cắt vải", "máy cấy lúa"]
    );
    // Typed without diacritics, every completion is as typed: the shorter, side-by-side
    // ones first.
    assert_eq!(
        suggested(&searcher, "may ca", "title")[..2],
        ["Máy cày", "Máy cắt cỏ"]
    );
}

#[test]
fn suggestions_keep_a_known_word_as_typed_and_correct_an_unknown_one() {
    let searcher = Searcher::new(crate::common::index_of(&[
        offer("CHONG", "Chất chống thấm", &[], "open"),
        offer("CHUNG", "Chất chung cư", &[], "open"),
        offer("BIOGAS", "Hầm biogas composite", &[], "open"),
    ]))
    .unwrap();
    // "chống" is in the titles: "chung", one letter away, is another word.
    assert_eq!(
        suggested(&searcher, "chất chống ", "title"),
        ["Chất chống thấm"]
    );
    // "biogass" is in none: its neighbour "biogas" is what was meant.
    assert_eq!(
        suggested(&searcher, "biogass h", "title"),
        ["Hầm biogas composite"]
    );
}

#[test]
fn a_word_the_records_hold_is_not_matched_with_typos() {
    let searcher = Searcher::new(crate::common::index_of(&[
        offer("A", "Chuẩn hóa dữ liệu đo", &[], "open"),
        offer("B", "Tiêu chuẩn đo lường", &[], "open"),
        offer("C", "Thuận lợi cho sản xuất", &[], "open"),
    ]))
    .unwrap();
    let ids = |q: &str| -> Vec<String> {
        let mut ids: Vec<String> = searcher
            .search(&request(q))
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect();
        ids.sort();
        ids
    };
    // "chuan" is in two records: "thuan", one letter away, is another word.
    assert_eq!(ids("chuan "), ["A", "B"]);
    // "thuann" is in none: its neighbour is what was meant.
    assert_eq!(ids("thuann "), ["C"]);
}

/// The searches whose facets, totals and scores must not depend on how the index is cut into
/// segments, nor on what the per-segment tables and remembered expansions already hold.
pub(crate) const SEGMENT_QUERIES: [&str; 8] = [
    "may say",
    "xu ly nuoc thai",
    "biogass",
    "nang lu",
    "th",
    "công nghệ sấy",
    "污水",
    "",
];

#[test]
fn facets_totals_and_scores_do_not_depend_on_segments_or_on_what_is_remembered() {
    let single = bundled_searcher();
    let index = crate::common::index_in_batches(bundled_supplies(), 3);
    let split = Searcher::new(index).unwrap();
    split.reader().reload().unwrap();
    assert!(split.reader().searcher().segment_readers().len() >= 2);
    let filters = Filters {
        sector: vec!["agriculture".into(), "mechanical".into()],
        ..Default::default()
    };
    for q in SEGMENT_QUERIES {
        for filters in [Filters::default(), filters.clone()] {
            let wanted = SearchRequest {
                size: 20,
                filters,
                ..request(q)
            };
            let expected = single.search(&wanted).unwrap();
            // Twice: the second search reads the tables and expansions the first one filled.
            for round in 0..2 {
                let got = split.search(&wanted).unwrap();
                assert_eq!(got.total, expected.total, "{q:?} round {round}");
                for dim in FacetDim::ALL {
                    assert_eq!(
                        facet_map(&got, dim),
                        facet_map(&expected, dim),
                        "{q:?} {dim:?} round {round}"
                    );
                }
                let scores = |r: &techmatch_query::SearchResponse| -> Vec<String> {
                    r.hits
                        .iter()
                        .map(|h| format!("{:.4}", h.score.unwrap_or(0.0)))
                        .collect()
                };
                assert_eq!(scores(&got), scores(&expected), "{q:?} round {round}");
            }
        }
    }
}

#[test]
fn remembered_typo_and_prefix_matches_are_the_automatons_on_every_segment() {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::FuzzyTermQuery;
    use techmatch_analysis::TokenStreamKind;
    use techmatch_indexer::TextField;
    use techmatch_query::expand::Expansion;

    let index = crate::common::index_in_batches(bundled_supplies(), 3);
    let searcher = Searcher::new(index).unwrap();
    searcher.reader().reload().unwrap();
    let segments = searcher.reader().searcher();
    let schema = searcher.index().schema();
    let words = [
        ("biogass", Expansion::Typo(2)),
        ("nuoc", Expansion::Typo(1)),
        ("thiet", Expansion::Typo(1)),
        ("th", Expansion::Prefix),
        ("xu", Expansion::Prefix),
        ("c", Expansion::Prefix),
        ("qqqqq", Expansion::Typo(1)),
        ("qq", Expansion::Prefix),
    ];
    let mut matched = 0;
    for field in TextField::ALL {
        let folded = schema.text_field(field, TokenStreamKind::Folded);
        for (word, expansion) in words {
            let term = tantivy::Term::from_field_text(folded, word);
            let automaton = match expansion {
                Expansion::Typo(d) => FuzzyTermQuery::new(term, d, true),
                Expansion::Prefix => FuzzyTermQuery::new_prefix(term, 0, false),
            };
            let expected = segments.search(&automaton, &DocSetCollector).unwrap();
            let cached = searcher.expansions().query(folded, word, expansion);
            // Asked for once (the automaton), twice (gathered and remembered), three times
            // (remembered).
            for round in 0..3 {
                let got = segments.search(&cached, &DocSetCollector).unwrap();
                assert_eq!(
                    got, expected,
                    "{field:?} {word} {expansion:?} round {round}"
                );
            }
            // Remembered at once (a fresh cache: the one above holds these already).
            let fresh = std::sync::Arc::new(techmatch_query::expand::ExpansionCache::default());
            let at_once = fresh.query(folded, word, expansion).at_once();
            for round in 0..2 {
                let got = segments.search(&at_once, &DocSetCollector).unwrap();
                assert_eq!(
                    got, expected,
                    "{field:?} {word} {expansion:?} at once, round {round}"
                );
            }
            if !expected.is_empty() {
                assert!(
                    fresh.bytes() > 0,
                    "{field:?} {word} {expansion:?} remembered"
                );
            }
            matched += usize::from(!expected.is_empty());
        }
    }
    assert!(matched >= 15, "the words match in most fields: {matched}");
    assert!(searcher.expansions().bytes() > 0);
}
