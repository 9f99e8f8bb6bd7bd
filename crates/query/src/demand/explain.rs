//! Stage 5, explanations: why a candidate ranked where it did, in words a broker reads.

use super::*;

/// Why a candidate matched: its terms by field, the terms that weigh most, its glossary
/// links, constraints and coverages.
pub(super) fn explain(
    candidate: &Candidate,
    scored: &Scored,
    words: &[KeyTerm],
    pairs: &[KeyTerm],
    expansions: &[Expansion],
    tuning: &Tuning,
) -> Explanation {
    // The pairs shown, by field (their weight is counted with the words'; straddling pairs
    // are never shown).
    let mut shown_pairs: Vec<(&str, TextField)> = Vec::new();
    let mut contributions: Vec<(String, TextField, f32)> = Vec::new();
    for (term, hit) in words.iter().zip(&candidate.term_hits) {
        if let Some(field) = hit {
            contributions.push((
                term.text.clone(),
                *field,
                term.weight * tuning.field_factor(*field),
            ));
        }
    }
    for (term, hit) in pairs.iter().zip(&candidate.bigram_hits) {
        if let (Some(field), false) = (hit, term.straddles) {
            contributions.push((term.text.clone(), *field, 0.0));
            shown_pairs.push((term.text.as_str(), *field));
        }
    }
    let mut explanation = Explanation {
        retrieval_score: candidate.retrieval,
        retrieval_share: scored.retrieval_share,
        coverage_score: scored.coverage_score,
        term_coverage: scored.coverage.terms,
        bigram_coverage: scored.coverage.pairs,
        concept_coverage: scored.coverage.concepts,
        constraints: scored.constraints.clone(),
        ..Default::default()
    };
    for (expansion, hit) in expansions.iter().zip(&candidate.concept_hits) {
        if *hit {
            explanation.glossary.push(GlossaryLink {
                concept: expansion.concept.clone(),
                demand_term: expansion.matched.clone(),
            });
        }
    }
    let quality_sum: f32 = contributions
        .iter()
        .map(|c| c.2)
        .sum::<f32>()
        .max(f32::EPSILON);
    // A word shown inside a pair of the same field says nothing more: "cà phê" is listed,
    // not also "cà" and "phê".
    for (term, field, _) in &contributions {
        let inside_a_pair = shown_pairs
            .iter()
            .any(|(pair, f)| f == field && *pair != term.as_str() && pair_holds(pair, term));
        if inside_a_pair {
            continue;
        }
        explanation
            .matched_terms
            .entry(field.name())
            .or_default()
            .push(term.clone());
    }
    let mut top: Vec<TermContribution> = contributions
        .iter()
        .filter(|c| c.2 > 0.0)
        .map(|c| TermContribution {
            term: c.0.clone(),
            field: c.1.name(),
            share: c.2 / quality_sum,
        })
        .collect();
    top.sort_by(|a, b| b.share.total_cmp(&a.share));
    top.truncate(8);
    explanation.top_terms = top;
    explanation
}

/// Whether the shown pair `pair` ("cà phê", or two Chinese words joined) holds the word
/// `word` as one of its two words.
fn pair_holds(pair: &str, word: &str) -> bool {
    let word = word.to_lowercase();
    let pair = pair.to_lowercase();
    match pair.split_once(' ') {
        Some((a, b)) => a == word || b == word,
        None => pair.starts_with(&word) || pair.ends_with(&word),
    }
}
