//! Stage 3, features: which key terms, pairs and concepts each candidate holds (from the
//! postings) and the facts its constraints are checked against (from the fast fields).

use super::*;

impl DemandMatcher {
    /// Which key terms, pairs and concepts each candidate contains, and in which field,
    /// read from the postings (no re-analysis of the supplies).
    pub(super) fn read_features(
        &self,
        searcher: &tantivy::Searcher,
        candidates: &mut [Candidate],
        words: &[KeyTerm],
        pairs: &[KeyTerm],
        expansions: &[Expansion],
    ) -> Result<()> {
        let schema = self.searcher.index().schema();
        let mut by_segment: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
        for (i, c) in candidates.iter().enumerate() {
            by_segment
                .entry(c.address.segment_ord)
                .or_default()
                .push((c.address.doc_id, i));
        }
        for (segment_ord, mut docs) in by_segment {
            docs.sort_unstable();
            let segment = searcher.segment_reader(segment_ord);
            let contains_in =
                |tantivy_field: tantivy::schema::Field, text: &str| -> Result<Vec<bool>> {
                    let inverted = segment.inverted_index(tantivy_field)?;
                    let term = Term::from_field_text(tantivy_field, text);
                    let mut found = vec![false; docs.len()];
                    if let Some(mut postings) =
                        inverted.read_postings(&term, IndexRecordOption::Basic)?
                    {
                        for (slot, (doc, _)) in docs.iter().enumerate() {
                            if postings.doc() == TERMINATED {
                                break;
                            }
                            if postings.doc() <= *doc && postings.seek(*doc) == *doc {
                                found[slot] = true;
                            }
                        }
                    }
                    Ok(found)
                };
            let contains = |field: TextField, kind: TokenStreamKind, text: &str| {
                contains_in(schema.text_field(field, kind), text)
            };
            for (t, term) in words.iter().enumerate() {
                for field in BY_FACTOR {
                    for (slot, hit) in contains(field, TokenStreamKind::Folded, &term.folded)?
                        .into_iter()
                        .enumerate()
                    {
                        let entry = &mut candidates[docs[slot].1].term_hits[t];
                        if hit && entry.is_none() {
                            *entry = Some(field);
                        }
                    }
                }
            }
            for (t, term) in pairs.iter().enumerate() {
                for field in &BY_FACTOR[..4] {
                    for (slot, hit) in
                        contains(*field, TokenStreamKind::FoldedBigram, &term.folded)?
                            .into_iter()
                            .enumerate()
                    {
                        let entry = &mut candidates[docs[slot].1].bigram_hits[t];
                        if hit && entry.is_none() {
                            *entry = Some(*field);
                        }
                    }
                }
            }
            for (e, expansion) in expansions.iter().enumerate() {
                if expansion.indexed {
                    for field in &BY_FACTOR[..4] {
                        let tantivy_field = schema.concepts_field(*field);
                        for (slot, hit) in contains_in(tantivy_field, &expansion.concept)?
                            .into_iter()
                            .enumerate()
                        {
                            if hit {
                                candidates[docs[slot].1].concept_hits[e] = true;
                            }
                        }
                    }
                    continue;
                }
                for phrase in &expansion.phrases {
                    for field in &BY_FACTOR[..4] {
                        let found = if phrase.len() == 1 {
                            contains(*field, TokenStreamKind::Folded, &phrase[0])?
                        } else {
                            let mut all = vec![true; docs.len()];
                            for pair in phrase.windows(2) {
                                let hits = contains(
                                    *field,
                                    TokenStreamKind::FoldedBigram,
                                    &format!("{} {}", pair[0], pair[1]),
                                )?;
                                for (a, h) in all.iter_mut().zip(hits) {
                                    *a &= h;
                                }
                            }
                            all
                        };
                        for (slot, hit) in found.into_iter().enumerate() {
                            if hit {
                                candidates[docs[slot].1].concept_hits[e] = true;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// What the constraints and the language need to know of a supply, read from its fast
/// fields (no stored record).
#[derive(Debug, Default, Clone)]
pub(crate) struct SupplyFacts {
    pub lang: Option<techmatch_analysis::Language>,
    pub sector: Option<String>,
    pub country: Option<String>,
    pub transfer: Vec<String>,
    pub trl: Option<u8>,
    /// Canonical province (the `province` fast field).
    pub province: Option<String>,
}

/// The facts of each candidate, in the candidates' order.
pub(super) fn read_facts(
    searcher: &tantivy::Searcher,
    candidates: &[Candidate],
) -> Result<Vec<SupplyFacts>> {
    let mut facts: Vec<SupplyFacts> = Vec::with_capacity(candidates.len());
    let mut columns: HashMap<u32, FactColumns> = HashMap::new();
    for candidate in candidates {
        let segment_ord = candidate.address.segment_ord;
        let column = match columns.entry(segment_ord) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let fast = searcher.segment_reader(segment_ord).fast_fields();
                slot.insert(FactColumns {
                    lang: fast.str("lang")?,
                    sector: fast.str("sector")?,
                    country: fast.str("country")?,
                    transfer: fast.str("transfer")?,
                    trl: fast.column_opt::<u64>("trl")?,
                    province: fast.str("province")?,
                })
            }
        };
        let doc = candidate.address.doc_id;
        let all = |column: &Option<tantivy::columnar::StrColumn>| -> Result<Vec<String>> {
            let mut values = Vec::new();
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    let mut value = String::new();
                    column.ord_to_str(ord, &mut value)?;
                    values.push(value);
                }
            }
            Ok(values)
        };
        let first = |c: &Option<tantivy::columnar::StrColumn>| -> Result<Option<String>> {
            Ok(all(c)?.into_iter().next())
        };
        facts.push(SupplyFacts {
            lang: first(&column.lang)?
                .and_then(|code| techmatch_analysis::Language::from_code(&code)),
            sector: first(&column.sector)?,
            country: first(&column.country)?,
            transfer: all(&column.transfer)?,
            trl: column
                .trl
                .as_ref()
                .and_then(|c| c.first(doc))
                .and_then(|t| u8::try_from(t).ok()),
            province: first(&column.province)?,
        });
    }
    Ok(facts)
}

/// One segment's fast-field columns of the facts.
struct FactColumns {
    lang: Option<tantivy::columnar::StrColumn>,
    sector: Option<tantivy::columnar::StrColumn>,
    country: Option<tantivy::columnar::StrColumn>,
    transfer: Option<tantivy::columnar::StrColumn>,
    trl: Option<tantivy::columnar::Column<u64>>,
    province: Option<tantivy::columnar::StrColumn>,
}
