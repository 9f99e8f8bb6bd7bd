//! Translations: a record and its version in another language (a Vietnamese offer
//! rewritten in English for foreign buyers, an English or Chinese one in Vietnamese).
//! They share no words, so near-duplicate detection cannot see them; what they share is
//! language-neutral: the glossary's concepts (the same technology named in each
//! language) and the figures (capacities, prices, counts of sites).
//!
//! Candidates are records in different languages that share a MinHash LSH band over
//! their figures; a candidate is linked when both agree enough (see [`MIN_SHARED_CONCEPTS`]
//! and the other thresholds). Links are reported apart from duplicates
//! (`techmatch duplicates`, kind `translation`): they are not folded into one card, since
//! a buyer reads one language.

use std::collections::HashSet;

use rayon::prelude::*;
use serde::Serialize;
use tantivy::{DocAddress, TantivyDocument};
use techmatch_indexer::dedup::{sorted_intersection, splitmix64, words};
use techmatch_indexer::document::from_document;
use techmatch_indexer::Supply;

use crate::error::Result;
use crate::glossary::Glossary;
use crate::search::Searcher;

/// Least number of glossary concepts the two records share.
pub const MIN_SHARED_CONCEPTS: usize = 3;
/// Least Jaccard similarity of their concept sets.
pub const MIN_CONCEPT_JACCARD: f32 = 0.2;
/// Least number of figures they share.
pub const MIN_SHARED_NUMBERS: usize = 5;
/// Least Jaccard similarity of their figure sets.
pub const MIN_NUMBER_JACCARD: f32 = 0.45;
/// LSH over figures: bands of this many rows…
const ROWS: usize = 2;
/// …and this many bands.
const BANDS: usize = 16;
/// Records sharing one band key beyond this many are not compared (a figure set that
/// common, such as a lone "1", says nothing).
const MAX_BUCKET: usize = 200;

/// A record and its translation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranslationLink {
    /// One record (the smaller id).
    pub a: String,
    /// The other.
    pub b: String,
    /// Their languages, in the same order.
    pub languages: [String; 2],
    /// Glossary concepts both name.
    pub shared_concepts: Vec<String>,
    /// Figures both give.
    pub shared_numbers: usize,
    /// Jaccard similarity of the concept sets.
    pub concept_jaccard: f32,
    /// Jaccard similarity of the figure sets.
    pub number_jaccard: f32,
}

/// What linking needs of one record.
struct Profile {
    id: String,
    lang: String,
    concepts: Vec<u32>,
    numbers: Vec<u64>,
}

/// The figures of a text: its all-digit words, without four-digit years (19xx, 20xx).
pub fn figures(text: &str) -> Vec<u64> {
    let mut out: Vec<u64> = words(text)
        .iter()
        .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
        .filter(|w| !(w.len() == 4 && (w.starts_with("19") || w.starts_with("20"))))
        .map(|w| {
            let mut hasher = rustc_hash::FxHasher::default();
            std::hash::Hash::hash(w.trim_start_matches('0'), &mut hasher);
            std::hash::Hasher::finish(&hasher)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn profile(supply: &Supply, glossary: &Glossary) -> Profile {
    let text = supply.full_text();
    let mut concepts: Vec<u32> = glossary
        .find(&text)
        .into_iter()
        .map(|m| m.concept as u32)
        .collect();
    concepts.sort_unstable();
    concepts.dedup();
    Profile {
        id: supply.id.clone(),
        lang: supply
            .lang
            .map(|l| l.code().to_string())
            .unwrap_or_default(),
        concepts,
        numbers: figures(&text),
    }
}

fn jaccard(shared: usize, a: usize, b: usize) -> f32 {
    shared as f32 / (a + b - shared).max(1) as f32
}

/// The band keys of a figure set (classic MinHash: the sets are small).
fn band_keys(numbers: &[u64]) -> Vec<u64> {
    if numbers.len() < MIN_SHARED_NUMBERS {
        return Vec::new();
    }
    (0..BANDS)
        .map(|band| {
            let mut key = splitmix64(band as u64 + 0x5151);
            for row in 0..ROWS {
                let seed = splitmix64((band * ROWS + row) as u64 + 1);
                let minimum = numbers
                    .iter()
                    .map(|&n| splitmix64(n ^ seed))
                    .min()
                    .unwrap_or(u64::MAX);
                key = splitmix64(key ^ minimum);
            }
            key
        })
        .collect()
}

/// Every translation link of an index.
pub fn find_translations(searcher: &Searcher, glossary: &Glossary) -> Result<Vec<TranslationLink>> {
    let reader = searcher.reader();
    let tantivy_searcher = reader.searcher();
    let schema = searcher.index().schema();
    let mut addresses = Vec::new();
    for (ord, segment) in tantivy_searcher.segment_readers().iter().enumerate() {
        addresses.extend(
            segment
                .doc_ids_alive()
                .map(|doc| DocAddress::new(ord as u32, doc)),
        );
    }
    let profiles: Vec<Option<Profile>> = addresses
        .par_iter()
        .map(|&address| -> Result<Option<Profile>> {
            let doc: TantivyDocument = tantivy_searcher.doc(address)?;
            Ok(from_document(schema, &doc).map(|supply| profile(&supply, glossary)))
        })
        .collect::<Result<_>>()?;
    let profiles: Vec<Profile> = profiles.into_iter().flatten().collect();
    let mut entries: Vec<(u64, u32)> = profiles
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, p)| {
            let eligible = p.concepts.len() >= MIN_SHARED_CONCEPTS;
            band_keys(if eligible { &p.numbers } else { &[] })
                .into_iter()
                .map(move |key| (key, i as u32))
        })
        .collect();
    entries.par_sort_unstable();
    let mut candidates: HashSet<(u32, u32)> = HashSet::new();
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        if group.len() < 2 || group.len() > MAX_BUCKET {
            continue;
        }
        for (i, &(_, a)) in group.iter().enumerate() {
            for &(_, b) in &group[i + 1..] {
                if profiles[a as usize].lang != profiles[b as usize].lang {
                    candidates.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let concepts = glossary.concepts();
    let mut links: Vec<TranslationLink> = candidates
        .par_iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (&profiles[a as usize], &profiles[b as usize]);
            let shared_concepts = sorted_intersection(&a.concepts, &b.concepts);
            let shared_numbers = sorted_intersection(&a.numbers, &b.numbers);
            let concept_jaccard = jaccard(shared_concepts, a.concepts.len(), b.concepts.len());
            let number_jaccard = jaccard(shared_numbers, a.numbers.len(), b.numbers.len());
            let linked = shared_concepts >= MIN_SHARED_CONCEPTS
                && shared_numbers >= MIN_SHARED_NUMBERS
                && concept_jaccard >= MIN_CONCEPT_JACCARD
                && number_jaccard >= MIN_NUMBER_JACCARD;
            if !linked {
                return None;
            }
            let (a, b) = if a.id <= b.id { (a, b) } else { (b, a) };
            let names = a
                .concepts
                .iter()
                .filter(|c| b.concepts.binary_search(c).is_ok())
                .map(|&c| concepts[c as usize].id.clone())
                .collect();
            Some(TranslationLink {
                a: a.id.clone(),
                b: b.id.clone(),
                languages: [a.lang.clone(), b.lang.clone()],
                shared_concepts: names,
                shared_numbers,
                concept_jaccard,
                number_jaccard,
            })
        })
        .collect();
    links.sort_by(|x, y| (&x.a, &x.b).cmp(&(&y.a, &y.b)));
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_skip_years_and_leading_zeros() {
        let a = figures("Năm 2023 lắp 12 hệ thống, 500 kg/mẻ, 040 m3");
        let b = figures("In 2021 we installed 12 systems: 500 kg per batch, 40 m3");
        assert_eq!(a.len(), 3);
        assert_eq!(a, b);
    }
}
