//! Glossary concepts found in records at index time.
//!
//! Each text field has a `{field}_concepts` field holding the ids of the glossary concepts
//! whose terms its text contains ([`Glossary::find_in`], run on the analysis the field's
//! token streams were just cut from, so the text is not analysed again). At query time
//! a demand's concept is then one term per field instead of a phrase query per term of the
//! concept, and whether a candidate holds it is one posting list.
//!
//! Which glossary tagged a record travels in the record itself: the title's concept field
//! also holds the stamp `#glossary:{fingerprint}`. An index answers concept terms for a
//! glossary only when every document of every segment carries that glossary's stamp
//! ([`tagged_with`]). An index built with another glossary, with none, or a mix of both
//! after the glossary changed under a running server is detected, and the query side falls
//! back to matching the concepts' terms as phrases (slower, same meaning) and says so;
//! `techmatch index --rebuild` with the glossary in use restores the fast path. Because the
//! stamp is in the documents, no commit or crash can make it disagree with them.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{Index, Term};
use techmatch_analysis::cached_analysis;

use crate::glossary::Glossary;
use crate::schema::{SupplySchema, TextField};

/// The tokenizer of the concept fields other than the title's.
pub const CONCEPTS_TOKENIZER: &str = "techmatch_concepts";
/// The tokenizer of the title's concept field: the concepts and the glossary's stamp.
pub const STAMPED_CONCEPTS_TOKENIZER: &str = "techmatch_concepts_stamped";

/// The stamp a glossary leaves in the title's concept field of every record it tagged.
pub fn stamp(glossary: &Glossary) -> String {
    format!("#glossary:{:016x}", glossary.fingerprint())
}

/// Registers the concept tokenizers of `glossary` on an index (no glossary: records are
/// tagged with nothing and carry no stamp). Writers opened afterwards tag with it; call it
/// whenever the glossary in use changes, before writing.
pub fn register(index: &Index, glossary: Option<Arc<Glossary>>) {
    let manager = index.tokenizers();
    manager.register(
        CONCEPTS_TOKENIZER,
        ConceptTokenizer {
            glossary: glossary.clone(),
            stamped: false,
        },
    );
    manager.register(
        STAMPED_CONCEPTS_TOKENIZER,
        ConceptTokenizer {
            glossary,
            stamped: true,
        },
    );
}

/// Whether every record of the searcher's segments was tagged by `glossary` (an empty index
/// is): concept terms then find exactly the records the glossary's terms would.
pub fn tagged_with(
    searcher: &tantivy::Searcher,
    schema: &SupplySchema,
    glossary: &Glossary,
) -> bool {
    let term = Term::from_field_text(schema.concepts_field(TextField::Title), &stamp(glossary));
    searcher.segment_readers().iter().all(|segment| {
        segment.max_doc() == 0
            || segment
                .inverted_index(term.field())
                .and_then(|inverted| Ok(inverted.doc_freq(&term)?))
                .is_ok_and(|stamped| stamped == segment.max_doc())
    })
}

/// Emits the ids of the concepts a text holds.
#[derive(Clone)]
struct ConceptTokenizer {
    glossary: Option<Arc<Glossary>>,
    stamped: bool,
}

impl Tokenizer for ConceptTokenizer {
    type TokenStream<'a> = ConceptTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ConceptTokens {
        let mut ids = Vec::new();
        if let Some(glossary) = &self.glossary {
            if self.stamped {
                ids.push(stamp(glossary));
            }
            let analysis = cached_analysis(text);
            ids.extend(
                glossary
                    .find_in(&analysis, text)
                    .into_iter()
                    .map(|found| glossary.concepts()[found.concept].id.clone()),
            );
        }
        ConceptTokens {
            ids,
            next: 0,
            token: Token::default(),
        }
    }
}

/// The concept ids of one field value, one token each.
struct ConceptTokens {
    ids: Vec<String>,
    next: usize,
    token: Token,
}

impl TokenStream for ConceptTokens {
    fn advance(&mut self) -> bool {
        let Some(id) = self.ids.get_mut(self.next) else {
            return false;
        };
        self.token.position = self.next;
        self.token.text = std::mem::take(id);
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::SupplyIndex;
    use crate::record::Supply;

    const OTHER: &str = "concept\tsector\tvi\ten\tzh\tabbr\n\
dryer\tagriculture\tmáy sấy\tdryer\t烘干机\t\n";

    fn supply(id: &str, title: &str) -> Supply {
        serde_json::from_value(serde_json::json!({"id": id, "title": title})).unwrap()
    }

    fn concepts_of(index: &SupplyIndex, field: TextField, word: &str) -> u64 {
        let reader = index.reader().unwrap();
        reader.reload().unwrap();
        reader
            .searcher()
            .doc_freq(&Term::from_field_text(
                index.schema().concepts_field(field),
                word,
            ))
            .unwrap()
    }

    #[test]
    fn records_carry_their_concepts_and_the_glossary_stamp() {
        let index = SupplyIndex::create_in_ram();
        let mut writer = index.writer(15 << 20).unwrap();
        writer
            .upsert(&supply("S1", "Máy sấy nông sản bằng năng lượng mặt trời"))
            .unwrap();
        writer.upsert(&supply("S2", "Phần mềm kế toán")).unwrap();
        writer.commit().unwrap();
        let bundled = Glossary::bundled_shared();
        let dryer = bundled
            .find("máy sấy")
            .first()
            .map(|m| bundled.concepts()[m.concept].id.clone())
            .expect("the bundled glossary knows dryers");
        assert_eq!(concepts_of(&index, TextField::Title, &dryer), 1);
        assert_eq!(concepts_of(&index, TextField::Title, &stamp(&bundled)), 2);
        let reader = index.reader().unwrap();
        reader.reload().unwrap();
        assert!(tagged_with(&reader.searcher(), index.schema(), &bundled));
    }

    #[test]
    fn an_index_tagged_by_another_glossary_or_a_mix_is_detected() {
        let other = Arc::new(Glossary::parse(OTHER).unwrap().0);
        let bundled = Glossary::bundled_shared();
        assert_ne!(other.fingerprint(), bundled.fingerprint());
        let index = SupplyIndex::create_in_ram();
        register(index.index(), Some(other.clone()));
        let mut writer = index.writer(15 << 20).unwrap();
        writer.upsert(&supply("S1", "Máy sấy cà phê")).unwrap();
        writer.commit().unwrap();
        let reader = index.reader().unwrap();
        reader.reload().unwrap();
        assert!(tagged_with(&reader.searcher(), index.schema(), &other));
        assert!(!tagged_with(&reader.searcher(), index.schema(), &bundled));
        // The glossary changes under a running writer: the index is now a mix.
        drop(writer);
        register(index.index(), Some(bundled.clone()));
        let mut writer = index.writer(15 << 20).unwrap();
        writer.upsert(&supply("S2", "Máy sấy lúa")).unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        assert!(!tagged_with(&reader.searcher(), index.schema(), &other));
        assert!(!tagged_with(&reader.searcher(), index.schema(), &bundled));
        // No glossary: no stamp.
        let bare = SupplyIndex::create_in_ram();
        register(bare.index(), None);
        let mut writer = bare.writer(15 << 20).unwrap();
        writer.upsert(&supply("S1", "Máy sấy cà phê")).unwrap();
        writer.commit().unwrap();
        let reader = bare.reader().unwrap();
        reader.reload().unwrap();
        assert!(!tagged_with(&reader.searcher(), bare.schema(), &bundled));
    }
}
