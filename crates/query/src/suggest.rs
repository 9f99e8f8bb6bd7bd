//! Completions for the search box, and "did you mean" corrections from the index vocabulary.

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::{TantivyDocument, Term};
use techmatch_analysis::{fold_token, TokenStreamKind};
use techmatch_indexer::document::from_document;
use techmatch_indexer::{SupplySchema, TextField};

use crate::build::text_query;
use crate::error::Result;
use crate::highlight::Highlighter;
use crate::search::Searcher;
use crate::terms::QueryTerms;

/// Most completions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// One completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// Plain text to put in the search box.
    pub text: String,
    /// The same text with the typed part highlighted (HTML-escaped).
    pub html: String,
    /// `title` or `keyword`.
    pub kind: &'static str,
    /// The record, for title suggestions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Searcher {
    /// Up to `limit` titles and keywords that match what has been typed so far, ignoring
    /// diacritics; the last word counts as a prefix.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>> {
        let limit = limit.clamp(1, MAX_SUGGESTIONS);
        let terms = QueryTerms::parse(prefix, true);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let schema = self.index().schema();
        let fields = [TextField::Title, TextField::Keywords];
        let mut query = text_query(
            schema,
            &terms,
            self.tuning(),
            &fields,
            &vec![true; terms.words.len()],
            self.expansions(),
        );
        let searcher = self.reader().searcher();
        // Closed, withdrawn and expired records are not suggested.
        let hidden = crate::filters::Filters::default().hidden(&searcher, schema)?;
        if !hidden.is_empty() {
            let mut clauses = vec![(tantivy::query::Occur::Must, query)];
            clauses.extend(
                hidden
                    .into_iter()
                    .map(|q| (tantivy::query::Occur::MustNot, q)),
            );
            query = Box::new(tantivy::query::BooleanQuery::new(clauses));
        }
        let hits = searcher.search(&query, &TopDocs::with_limit(limit * 3).order_by_score())?;
        let highlighter = Highlighter::new(&terms);
        let wanted: Vec<&str> = terms.words.iter().map(|w| w.folded.as_str()).collect();
        let mut titles = Vec::new();
        let mut keywords: Vec<Suggestion> = Vec::new();
        for (_, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(record) = from_document(schema, &doc) else {
                continue;
            };
            let title = highlighter.highlight_all(&record.title);
            // The same offer from two sources suggests its title once.
            let folded_title = techmatch_analysis::fold_diacritics(&record.title.to_lowercase());
            let repeated = titles.iter().any(|t: &Suggestion| {
                techmatch_analysis::fold_diacritics(&t.text.to_lowercase()) == folded_title
            });
            if title.matched.len() == wanted.len() && !repeated {
                titles.push(Suggestion {
                    text: record.title.clone(),
                    html: title.html,
                    kind: "title",
                    id: Some(record.id.clone()),
                });
            }
            for keyword in &record.keywords {
                let highlight = highlighter.highlight_all(keyword);
                let folded = techmatch_analysis::fold_diacritics(&keyword.to_lowercase());
                let duplicate = keywords
                    .iter()
                    .any(|k| techmatch_analysis::fold_diacritics(&k.text.to_lowercase()) == folded);
                if highlight.matched.len() == wanted.len() && !duplicate {
                    keywords.push(Suggestion {
                        text: keyword.clone(),
                        html: highlight.html,
                        kind: "keyword",
                        id: None,
                    });
                }
            }
        }
        let mut out = Vec::with_capacity(limit);
        let (mut t, mut k) = (titles.into_iter(), keywords.into_iter());
        while out.len() < limit {
            match (k.next(), t.next()) {
                (None, None) => break,
                (keyword, title) => {
                    out.extend(keyword.into_iter().chain(title).take(limit - out.len()))
                }
            }
        }
        Ok(out)
    }
}

/// Fields whose vocabulary corrections come from.
const VOCABULARY_FIELDS: [TextField; 3] =
    [TextField::Title, TextField::Keywords, TextField::Summary];

fn doc_freq(searcher: &tantivy::Searcher, schema: &SupplySchema, folded: &str) -> Result<u64> {
    let mut total = 0;
    for field in TextField::ALL {
        let term = Term::from_field_text(schema.text_field(field, TokenStreamKind::Folded), folded);
        total += searcher.doc_freq(&term)?;
    }
    Ok(total)
}

/// The closest known word to an unknown one: edit distance 1 (2 for words of 7+ letters),
/// then the most frequent.
fn closest_known(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    word: &str,
) -> Result<Option<String>> {
    let max_distance = if word.chars().count() >= 7 { 2 } else { 1 };
    let Some(first) = word.chars().next() else {
        return Ok(None);
    };
    let mut best: Option<(usize, u64, String)> = None;
    for field in VOCABULARY_FIELDS {
        let field = schema.text_field(field, TokenStreamKind::Folded);
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut upper = first.to_string();
            upper.push(char::MAX);
            let mut stream = inverted
                .terms()
                .range()
                .ge(first.to_string().as_bytes())
                .lt(upper.as_bytes())
                .into_stream()?;
            while stream.advance() {
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                let distance = strsim::damerau_levenshtein(word, candidate);
                if distance == 0 || distance > max_distance {
                    continue;
                }
                let freq = u64::from(stream.value().doc_freq);
                let better = match &best {
                    None => true,
                    Some((d, f, _)) => distance < *d || (distance == *d && freq > *f),
                };
                if better {
                    best = Some((distance, freq, candidate.to_string()));
                }
            }
        }
    }
    Ok(best.map(|(_, _, word)| word))
}

/// A corrected query when some words are unknown to the index, or `None`.
pub fn did_you_mean(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    text: &str,
    terms: &QueryTerms,
) -> Result<Option<String>> {
    let mut corrected = Vec::new();
    let mut changed = false;
    for word in &terms.words {
        if word.folded.chars().any(|c| c.is_ascii_digit())
            || doc_freq(searcher, schema, &word.folded)? > 0
        {
            corrected.push(word.surface.clone());
            continue;
        }
        match closest_known(searcher, schema, &fold_token(&word.exact))? {
            Some(replacement) => {
                corrected.push(replacement);
                changed = true;
            }
            None => corrected.push(word.surface.clone()),
        }
    }
    let _ = text;
    Ok(changed.then(|| corrected.join(" ")))
}
