//! Stage 1, key terms: what a demand (or a supply matched against demands) is reduced to.

use super::*;

impl DemandMatcher {
    /// The demand's key terms: words and word pairs by tf-idf, plus glossary concepts.
    ///
    /// Vietnamese writes a word as several syllables ("công nghệ", "xử lý"), and in "công
    /// nghệ xử lý" the pair "nghệ xử" joins the end of one word to the start of the next.
    /// Without a dictionary, the index tells: a pair is a word where it occurs in at least
    /// as many records as each overlapping pair beside it ("công nghệ" and "xử lý" are far
    /// more common than "nghệ xử") and has no function word at either end ("hỏng và",
    /// "vào buổi"); the others are marked [`KeyTerm::straddles`]. They stay
    /// in the ranking (on the judged collections, dropping them cost 0.05 nDCG@10 on long
    /// questions: they are proximity evidence) but are never shown as matched terms.
    pub fn key_terms(&self, demand: &Demand) -> (Vec<KeyTerm>, Vec<KeyTerm>, Vec<Expansion>) {
        let searcher = self.searcher.reader().searcher();
        let schema = self.searcher.index().schema();
        let num_docs = searcher.num_docs().max(1) as f32;
        let df = |kind: TokenStreamKind, text: &str| -> u64 {
            [
                TextField::Title,
                TextField::Keywords,
                TextField::Summary,
                TextField::Description,
            ]
            .iter()
            .map(|f| {
                searcher
                    .doc_freq(&Term::from_field_text(schema.text_field(*f, kind), text))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
        };
        let mut pair_df: HashMap<String, u64> = HashMap::new();
        let mut pair_df_of = |text: &str| -> u64 {
            if let Some(known) = pair_df.get(text) {
                return *known;
            }
            let value = df(TokenStreamKind::FoldedBigram, text);
            pair_df.insert(text.to_string(), value);
            value
        };
        let mut words: HashMap<String, Counted> = HashMap::new();
        let mut pairs: HashMap<String, Counted> = HashMap::new();
        let mut words_as_pairs: std::collections::HashSet<String> = Default::default();
        let title = demand.title_with_keywords();
        for (text, weight) in [
            (title.as_str(), self.searcher.tuning().demand_title_tf),
            (demand.description.as_deref().unwrap_or(""), 1.0),
        ] {
            let analysis = analyze(text);
            let boilerplate = boilerplate_positions(text, &analysis);
            for word in analysis.words() {
                if !boilerplate.contains(&word.position) {
                    count(&mut words, word.folded.to_string(), word.exact, weight);
                }
            }
            let pair_at: HashMap<usize, &str> = analysis
                .folded_bigrams
                .iter()
                .map(|t| (t.position, t.text.as_str()))
                .collect();
            for (exact, folded) in analysis.exact_bigrams.iter().zip(&analysis.folded_bigrams) {
                if boilerplate.contains(&exact.position)
                    || boilerplate.contains(&(exact.position + 1))
                {
                    continue;
                }
                let here = pair_df_of(&folded.text);
                let beside = [
                    exact.position.checked_sub(1).and_then(|p| pair_at.get(&p)),
                    pair_at.get(&(exact.position + 1)),
                ]
                .into_iter()
                .flatten()
                .map(|text| pair_df_of(text))
                .max()
                .unwrap_or(0);
                let glue = exact.text.split(' ').any(is_function_word);
                if here >= beside && !glue {
                    words_as_pairs.insert(folded.text.to_string());
                }
                count(&mut pairs, folded.text.to_string(), &exact.text, weight);
            }
        }
        let select = |counted: HashMap<String, Counted>,
                      kind: TokenStreamKind,
                      cap: usize,
                      bigram: bool|
         -> Vec<KeyTerm> {
            let mut terms: Vec<KeyTerm> = counted
                .into_iter()
                .filter_map(|(folded, c)| {
                    // Pairs were looked up while deciding which straddle two words.
                    let df = match kind {
                        TokenStreamKind::FoldedBigram => pair_df.get(&folded).copied(),
                        _ => None,
                    }
                    .unwrap_or_else(|| df(kind, &folded)) as f32;
                    if df == 0.0 {
                        return None;
                    }
                    let idf = (1.0 + (num_docs - df + 0.5) / (df + 0.5)).ln();
                    let weight = (1.0 + c.tf.ln().max(0.0)) * idf;
                    let text = c
                        .spellings
                        .into_iter()
                        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                        .map(|(s, _)| s)
                        .unwrap_or_default();
                    let text = if c.has_marks {
                        text
                    } else {
                        fold_diacritics(&text)
                    };
                    let text = join_chinese_pair(&text);
                    Some(KeyTerm {
                        straddles: bigram && !words_as_pairs.contains(&folded),
                        text,
                        folded,
                        weight,
                        bigram,
                        concept: None,
                    })
                })
                .collect();
            terms.sort_by(|a, b| {
                b.weight
                    .total_cmp(&a.weight)
                    .then_with(|| a.folded.cmp(&b.folded))
            });
            terms.truncate(cap);
            terms
        };
        let words = select(words, TokenStreamKind::Folded, MAX_KEY_WORDS, false);
        let pairs = select(pairs, TokenStreamKind::FoldedBigram, MAX_KEY_BIGRAMS, true);
        // A concept the title or keywords name is what the demand is about; one met only in
        // the description ("máy chủ" in a story about ransomware) may be incidental, so it
        // counts as a description word does against a title word.
        let expansions = match self.searcher.glossary() {
            Some(glossary) => {
                let central: Vec<&str> = glossary
                    .find(&title)
                    .into_iter()
                    .map(|m| glossary.concepts()[m.concept].id.as_str())
                    .collect();
                let mut expansions = glossary.expand(&demand.full_text(), MAX_DEMAND_CONCEPTS);
                for expansion in &mut expansions {
                    if central.contains(&expansion.concept.as_str()) {
                        expansion.weight = self.searcher.tuning().demand_title_tf;
                    }
                }
                expansions
            }
            None => Vec::new(),
        };
        (words, pairs, expansions)
    }
}

struct Counted {
    tf: f32,
    spellings: HashMap<String, usize>,
    has_marks: bool,
}

/// Chinese is written without spaces: a pair of Chinese words is shown joined.
fn join_chinese_pair(text: &str) -> String {
    match text.split_once(' ') {
        Some((a, b))
            if a.chars().last().is_some_and(is_cjk) && b.chars().next().is_some_and(is_cjk) =>
        {
            format!("{a}{b}")
        }
        _ => text.to_string(),
    }
}

fn count(map: &mut HashMap<String, Counted>, folded: String, exact: &str, weight: f32) {
    let entry = map.entry(folded).or_insert_with(|| Counted {
        tf: 0.0,
        spellings: HashMap::new(),
        has_marks: false,
    });
    entry.tf += weight;
    *entry.spellings.entry(exact.to_string()).or_default() += 1;
    entry.has_marks |= has_diacritics(exact);
}
