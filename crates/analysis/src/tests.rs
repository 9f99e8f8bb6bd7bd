//! Behaviour of the whole pipeline, as a table of inputs and expected tokens, plus
//! properties checked on arbitrary Unicode.

use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

use super::*;

fn texts(tokens: &[Token]) -> Vec<&str> {
    tokens.iter().map(|t| t.text.as_str()).collect()
}

macro_rules! stream_cases {
    ($($name:ident: $stream:ident($input:expr) => [$($token:expr),*],)*) => {$(
        #[test]
        fn $name() {
            let analysis = analyze($input);
            let expected: Vec<&str> = vec![$($token),*];
            assert_eq!(texts(&analysis.$stream), expected, "input {:?}", $input);
        }
    )*};
}

stream_cases! {
    exact_keeps_marks: exact("Xử lý nước thải") => ["xử", "lý", "nước", "thải"],
    folded_person: folded("Đặng Minh Anh") => ["dang", "minh", "anh"],
    folded_city_caps: folded("ĐÀ NẴNG") => ["da", "nang"],
    folded_cong_hoa: folded("Cộng Hòa") => ["cong", "hoa"],
    folded_french: folded("crème brûlée") => ["creme", "brulee"],
    folded_eth: folded("Ðor") => ["ðor"],
    folded_i_y: folded("kĩ thuật kỹ thuật") => ["ky", "thuat", "ky", "thuat"],
    exact_i_y: exact("xử lí") => ["xử", "lý"],
    no_stopwords: exact("thiết bị không dây") => ["thiết", "bị", "không", "dây"],
    bigrams_exact: exact_bigrams("xử lý nước thải") => ["xử lý", "lý nước", "nước thải"],
    bigrams_stop_at_comma: folded_bigrams("nước thải, chất thải") => ["nuoc thai", "chat thai"],
    bigrams_stop_at_period: folded_bigrams("Máy sấy. Lò hơi") => ["may say", "lo hoi"],
    unit_split: exact("công suất 5kW") => ["công", "suất", "5", "5kw", "kw"],
    unit_with_space: exact("5 kW") => ["5", "kw"],
    thousands: exact("1.500.000 đồng") => ["1.500.000", "1500000", "đồng"],
    decimal_comma: exact("2,5 tấn") => ["2,5", "2.5", "tấn"],
    version: exact("công nghiệp 4.0") => ["công", "nghiệp", "4.0"],
    formulas: exact("CO2 và H2O2") => ["co2", "và", "h2o2"],
    standard_code: exact("QCVN 14:2008/BTNMT") => ["qcvn", "14", "2008", "btnmt"],
    standard_code_bigrams: folded_bigrams("QCVN 14:2008/BTNMT") => ["qcvn 14", "14 2008", "2008 btnmt"],
    per_day: exact("20 m3/ngày") => ["20", "m3", "ngày"],
    dotted_city: exact("TP.HCM") => ["tp", "hcm"],
    english_stemmed_in_folded: folded("Solar dryers") => ["solar", "dryer"],
    english_kept_in_exact: exact("Solar dryers") => ["solar", "dryers"],
    chinese_words: exact("污水处理") => ["污水处理", "污水", "处理"],
    mixed_scripts: exact("Hệ thống RO 反渗透") => ["hệ", "thống", "ro", "反渗透", "渗透"],
    zero_width_space: exact("nước\u{200B}thải") => ["nước", "thải"],
    nbsp: exact("nước\u{00A0}thải") => ["nước", "thải"],
}

#[test]
fn nfc_nfd_and_old_style_give_identical_tokens() {
    for (new_style, old_style) in [
        ("hòa tan", "hoà tan"),
        ("thủy sản", "thuỷ sản"),
        ("khỏe", "khoẻ"),
        ("ủy ban", "uỷ ban"),
    ] {
        let reference = analyze(new_style);
        for variant in [
            old_style.to_string(),
            old_style.nfd().collect::<String>(),
            new_style.nfd().collect::<String>(),
            old_style.to_uppercase(),
        ] {
            let analysis = analyze(&variant);
            assert_eq!(
                texts(&analysis.exact),
                texts(&reference.exact),
                "{variant:?}"
            );
            assert_eq!(
                texts(&analysis.folded),
                texts(&reference.folded),
                "{variant:?}"
            );
            assert_eq!(
                texts(&analysis.exact_bigrams),
                texts(&reference.exact_bigrams)
            );
        }
    }
}

#[test]
fn offsets_slice_the_original_surface_form() {
    let inputs = [
        "Xử lý nước thải",
        "Xu\u{031B}\u{0309} ly\u{0301} nu\u{031B}\u{0301}o\u{031B}c tha\u{0309}i",
        "THUỶ SẢN 5kW 1.500.000 đồng",
        "Hệ thống RO 反渗透 TP.HCM",
    ];
    for input in inputs {
        let analysis = analyze(input);
        for token in analysis.exact.iter().chain(&analysis.folded) {
            let surface = &input[token.start..token.end];
            let normalized = normalize::normalize_word(surface);
            let folded = stem::stem_if_english(&fold_diacritics(&normalized));
            let variant = technical::number_variant(&normalized);
            assert!(
                token.text == normalized
                    || token.text == folded
                    || variant.as_deref() == Some(token.text.as_str()),
                "{:?} does not come from {surface:?} in {input:?}",
                token.text
            );
        }
    }
}

#[test]
fn highlight_offsets_work_on_nfd_input() {
    let input: String = "Xử lý nước thải".nfd().collect();
    let analysis = analyze(&input);
    let nuoc = analysis
        .folded
        .iter()
        .find(|t| t.text == "nuoc")
        .expect("nuoc");
    let surface: String = input[nuoc.start..nuoc.end].nfc().collect();
    assert_eq!(surface, "nước");
}

#[test]
fn one_megabyte_of_text_is_analysed() {
    let sentence = "Hệ thống xử lý nước thải 20 m3/ngày, đạt QCVN 14:2008/BTNMT; 污水处理设备. ";
    let text = sentence.repeat(1_000_000 / sentence.len());
    let analysis = analyze(&text);
    assert!(analysis.exact.len() > 100_000);
    assert!(analysis
        .exact
        .windows(2)
        .all(|w| w[0].position <= w[1].position));
}

fn vietnamese_like_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("nước".to_string()),
        Just("thải".to_string()),
        Just("hoà".to_string()),
        Just("thuỷ".to_string()),
        Just("Đ".to_string()),
        Just("ð".to_string()),
        Just("kĩ".to_string()),
        Just("5kW".to_string()),
        Just("1.500.000".to_string()),
        Just("QCVN 14:2008/BTNMT".to_string()),
        Just("反渗透".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{200D}".to_string()),
        Just("\u{00AD}".to_string()),
        Just("👩‍🔬".to_string()),
        Just("שלום".to_string()),
        Just("مرحبا".to_string()),
        Just(" ".to_string()),
        Just(", ".to_string()),
        Just(".".to_string()),
        "[a-zA-Z0-9 .,:/']{0,8}",
        "[\u{0300}-\u{036F}]{1,6}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn check_invariants(text: &str, analysis: &Analysis) {
    for stream in [
        &analysis.exact,
        &analysis.folded,
        &analysis.exact_bigrams,
        &analysis.folded_bigrams,
    ] {
        let mut last_start = 0;
        for token in stream.iter() {
            assert!(text.is_char_boundary(token.start) && text.is_char_boundary(token.end));
            assert!(token.start < token.end && token.end <= text.len());
            assert!(token.start >= last_start, "starts must not decrease");
            last_start = token.start;
            assert!(!token.text.is_empty());
        }
    }
    for token in &analysis.folded {
        assert_eq!(
            fold_diacritics(&token.text),
            token.text,
            "folding is idempotent"
        );
    }
}

#[test]
fn word_view_gives_one_main_word_per_position() {
    // NFD input, a unit split with its variant, a thousands variant, punctuation, Chinese
    // with its sub-words.
    let text = "Nu\u{031B}\u{0301}o\u{031B}c tha\u{0309}i 5kW, 1.500.000 污水处理";
    let analysis = analyze(text);
    let words: Vec<Word<'_>> = analysis.words().collect();
    let view: Vec<(&str, &str, bool, &str, bool)> = words
        .iter()
        .map(|w| {
            (
                w.exact,
                w.folded,
                w.has_diacritics,
                &text[w.start..w.end],
                w.joins_previous,
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            ("nước", "nuoc", true, "Nu\u{031B}\u{0301}o\u{031B}c", false),
            ("thải", "thai", true, "tha\u{0309}i", true),
            ("5", "5", false, "5", true),
            ("kw", "kw", false, "kW", true),
            ("1.500.000", "1.500.000", false, "1.500.000", false),
            ("污水处理", "污水处理", false, "污水处理", true),
        ]
    );
    let positions: Vec<usize> = words.iter().map(|w| w.position).collect();
    assert_eq!(positions, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn word_view_marks_english_without_diacritics_and_words_across_breaks() {
    let analysis = analyze("Solar dryers. Máy sấy");
    let view: Vec<(&str, &str, bool, bool)> = analysis
        .words()
        .map(|w| (w.exact, w.folded, w.has_diacritics, w.joins_previous))
        .collect();
    assert_eq!(
        view,
        [
            ("solar", "solar", false, false),
            // Stemmed in the folded form, yet no diacritics.
            ("dryers", "dryer", false, true),
            ("máy", "may", true, false),
            ("sấy", "say", true, true),
        ]
    );
}

/// A scanned token as (exact, folded, start, end); `None` for a skipped word.
fn s_owned(scanned: Scanned<'_>) -> Option<(String, String, usize, usize)> {
    match scanned {
        Scanned::Token {
            exact,
            folded,
            start,
            end,
            ..
        } => Some((exact.to_string(), folded.to_string(), start, end)),
        Scanned::Skipped { .. } => None,
    }
}

/// Every character of the first three planes, alone: the table and the rule behind
/// [`has_diacritics`] agree with folding.
#[test]
fn has_diacritics_is_folding_changes_every_character() {
    for c in (0..0x30000).filter_map(char::from_u32) {
        let text = c.to_string();
        assert_eq!(
            has_diacritics(&text),
            fold_diacritics(&text) != text,
            "U+{:04X}",
            c as u32
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The word view agrees with the streams: one word per position, the first exact token
    /// there, its folding, and a bigram exactly where a word joins the previous one.
    #[test]
    fn word_view_agrees_with_the_streams(text in vietnamese_like_text()) {
        let analysis = analyze(&text);
        let words: Vec<Word<'_>> = analysis.words().collect();
        let mut first_at = std::collections::BTreeMap::new();
        for token in &analysis.exact {
            first_at.entry(token.position).or_insert(token);
        }
        prop_assert_eq!(words.len(), first_at.len());
        for (word, (position, token)) in words.iter().zip(&first_at) {
            prop_assert_eq!(word.position, *position);
            prop_assert_eq!(word.exact, token.text.as_str());
            prop_assert_eq!((word.start, word.end), (token.start, token.end));
            prop_assert_eq!(word.folded, fold_token(word.exact));
            prop_assert_eq!(word.has_diacritics, fold_diacritics(word.exact) != word.exact);
            let bigram_here = analysis.exact_bigrams.iter().any(|b| b.position + 1 == word.position);
            prop_assert_eq!(word.joins_previous, bigram_here);
        }
    }

    /// Reading every word, the scan is the exact stream; skipping, it leaves out whole
    /// words whose folded forms start otherwise, and only those.
    #[test]
    fn scanning_walks_the_exact_stream(
        text in prop_oneof![vietnamese_like_text(), any::<String>()],
        first in proptest::sample::select(vec!['n', 't', 'c', 'd', 'i', 'x', 'a']),
    ) {
        let analysis = analyze_words(&text);
        let mut all = Vec::new();
        scan_words(&text, &|_, _| true, &mut |s| all.push(s_owned(s)));
        let first = first.to_string();
        let expected: Vec<(String, String, usize, usize)> = analysis
            .exact
            .iter()
            .map(|t| (t.text.to_string(), fold_token(&t.text), t.start, t.end))
            .collect();
        let scanned: Vec<(String, String, usize, usize)> = all
            .iter()
            .map(|s| s.clone().expect("nothing skipped"))
            .collect();
        prop_assert_eq!(&scanned, &expected);
        // Skipping: the tokens read are the exact stream's tokens minus whole words none of
        // whose tokens starts with the wanted letter.
        let mut read = Vec::new();
        let wanted = |key: &str, _whole: bool| key.starts_with(first.as_str());
        scan_words(&text, &wanted, &mut |s| read.push(s_owned(s)));
        let kept: Vec<_> = read.iter().flatten().cloned().collect();
        for token in &expected {
            let key: String = token.1.chars().map(initial_key).collect();
            if key.starts_with(first.as_str()) {
                prop_assert!(kept.contains(token), "{:?} skipped", token);
            }
        }
        for token in &kept {
            prop_assert!(expected.contains(token));
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in any::<String>()) {
        let analysis = analyze(&text);
        check_invariants(&text, &analysis);
    }

    #[test]
    fn vietnamese_like_text_keeps_invariants(text in vietnamese_like_text()) {
        let analysis = analyze(&text);
        check_invariants(&text, &analysis);
    }

    #[test]
    fn nfc_and_nfd_give_the_same_tokens(text in vietnamese_like_text()) {
        let nfc: String = text.nfc().collect();
        let nfd: String = text.nfd().collect();
        let a = analyze(&nfc);
        let b = analyze(&nfd);
        prop_assert_eq!(texts(&a.exact), texts(&b.exact));
        prop_assert_eq!(texts(&a.folded), texts(&b.folded));
        prop_assert_eq!(texts(&a.folded_bigrams), texts(&b.folded_bigrams));
    }

    /// What the exact-bigram fields rely on to skip folding every bigram.
    #[test]
    fn a_bigram_has_diacritics_when_one_of_its_words_has(
        text in prop_oneof![vietnamese_like_text(), any::<String>()]
    ) {
        let analysis = analyze(&text);
        for bigram in &analysis.exact_bigrams {
            let (first, second) = bigram.text.split_once(' ').expect("two words");
            prop_assert_eq!(
                has_diacritics(&bigram.text),
                has_diacritics(first) || has_diacritics(second),
                "{:?}", bigram.text
            );
        }
    }

    /// The character-by-character check is the definition: text differs from its folding.
    #[test]
    fn has_diacritics_is_folding_changes_the_text(
        text in prop_oneof![vietnamese_like_text(), any::<String>(), "[a-zđĐ\\u{300}-\\u{36F}\\u{1EA0}-\\u{1EF9}\\u{2126}\\u{212B}åᄀ-ᄒ가-힣\\u{F900}-\\u{F9FF}]{0,6}"]
    ) {
        let nfc: String = text.nfc().collect();
        let nfd: String = text.nfd().collect();
        for variant in [&text, &nfc, &nfd] {
            prop_assert_eq!(
                has_diacritics(variant),
                fold_diacritics(variant) != *variant,
                "{:?}", variant
            );
        }
        for token in analyze(&text).exact.iter().chain(&analyze(&text).folded) {
            prop_assert_eq!(has_diacritics(&token.text), fold_diacritics(&token.text) != token.text);
        }
    }

    /// The index's analysis is the full one without the exact bigrams, and each registered
    /// tokenizer gives its stream's indexed tokens of the full analysis, whichever stream
    /// asks first for a text (they share the thread's last analysis).
    #[test]
    fn index_tokenizers_give_the_streams_of_the_full_analysis(
        text in prop_oneof![vietnamese_like_text(), any::<String>()],
        order in Just(crate::TokenStreamKind::ALL).prop_shuffle(),
    ) {
        let full = analyze(&text);
        let indexed = analyze_for_index(&text);
        prop_assert_eq!(&indexed.exact, &full.exact);
        prop_assert_eq!(&indexed.folded, &full.folded);
        prop_assert_eq!(&indexed.folded_bigrams, &full.folded_bigrams);
        prop_assert!(indexed.words().eq(full.words()));
        prop_assert!(indexed.exact_bigrams.is_empty());
        for kind in order {
            let mut tokenizer = crate::tokenizer::TechmatchTokenizer::new(kind);
            let mut stream = tantivy::tokenizer::Tokenizer::token_stream(&mut tokenizer, &text);
            let mut got = Vec::new();
            while let Some(token) = tantivy::tokenizer::TokenStream::next(&mut stream) {
                got.push((token.text.clone(), token.offset_from, token.offset_to, token.position));
            }
            let expected: Vec<_> = crate::tokenizer::indexed_tokens(&full, kind, &text)
                .map(|t| (t.text.to_string(), t.start, t.end, t.position))
                .collect();
            prop_assert_eq!(got, expected, "{:?}", kind);
        }
    }

    #[test]
    fn folding_is_idempotent(text in any::<String>()) {
        let once = fold_diacritics(&text);
        prop_assert_eq!(fold_diacritics(&once), once);
    }
}
