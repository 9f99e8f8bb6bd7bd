//! The tantivy schema of the supply index.
//!
//! Each text field of a record (title, keywords, summary, description, owner) is indexed
//! once per token stream it uses ([`TextField::streams`]): `{field}_exact`,
//! `{field}_folded` and, except for the owner, `{field}_folded_bi`. Separate fields keep exact
//! and folded statistics apart (so exact diacritics can outrank folded matches and idf stays
//! meaningful) and let field weights be tuned at query time. Frequencies are indexed, not
//! positions: compounds and phrases are matched through the bigram fields. The analyzer's
//! exact bigrams are not indexed: a pair typed with diacritics is matched on its folded
//! bigram with the exact boost, which ranked the judged collections within 0.003 nDCG@10
//! for a ninth less index (`benches/README.md`, "Fewer indexed streams"); owner names are
//! short and matched word by word. Each text field also has `{field}_concepts`: the
//! glossary concepts its text holds, found at index time ([`crate::concepts`]).
//!
//! The record itself is stored once, as JSON in `source` (NFC text, so snippet offsets point
//! into it). Facets and filters are fast fields: `sector`, `country`, `province` (canonical
//! unit), `lang`, `transfer` (multi-valued), `trl`, `updated`, `provenance` (the record's
//! `source`), and for the record lifecycle `status` and `expires`. Near-duplicate detection
//! fills `cluster` (the record a record duplicates).

use tantivy::schema::{
    DateOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    FAST, INDEXED, STORED, STRING,
};
use techmatch_analysis::TokenStreamKind;

/// The analysed text fields of a supply, in decreasing default weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextField {
    /// The title.
    Title,
    /// Owner keywords.
    Keywords,
    /// The summary.
    Summary,
    /// The long description.
    Description,
    /// The owner organisation.
    Owner,
}

impl TextField {
    /// All text fields.
    pub const ALL: [TextField; 5] = [
        TextField::Title,
        TextField::Keywords,
        TextField::Summary,
        TextField::Description,
        TextField::Owner,
    ];

    /// The field's name in records.
    pub fn name(self) -> &'static str {
        match self {
            TextField::Title => "title",
            TextField::Keywords => "keywords",
            TextField::Summary => "summary",
            TextField::Description => "description",
            TextField::Owner => "owner",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The token streams this field is indexed with.
    pub fn streams(self) -> &'static [TokenStreamKind] {
        const WORDS: &[TokenStreamKind] = &[TokenStreamKind::Exact, TokenStreamKind::Folded];
        const WORDS_AND_PAIRS: &[TokenStreamKind] = &[
            TokenStreamKind::Exact,
            TokenStreamKind::Folded,
            TokenStreamKind::FoldedBigram,
        ];
        match self {
            TextField::Owner => WORDS,
            _ => WORDS_AND_PAIRS,
        }
    }
}

fn stream_suffix(kind: TokenStreamKind) -> &'static str {
    match kind {
        TokenStreamKind::Exact => "exact",
        TokenStreamKind::Folded => "folded",
        TokenStreamKind::ExactBigram => "exact_bi",
        TokenStreamKind::FoldedBigram => "folded_bi",
    }
}

fn stream_index(kind: TokenStreamKind) -> usize {
    match kind {
        TokenStreamKind::Exact => 0,
        TokenStreamKind::Folded => 1,
        TokenStreamKind::ExactBigram => 2,
        TokenStreamKind::FoldedBigram => 3,
    }
}

/// Handles to every field of the supply schema.
#[derive(Debug, Clone)]
pub struct SupplySchema {
    /// The tantivy schema.
    pub schema: Schema,
    /// Record id (raw string, indexed for upserts and deletes, fast, stored).
    pub id: Field,
    /// The whole record as JSON.
    pub source: Field,
    text: [[Option<Field>; 4]; 5],
    concepts: [Field; 5],
    /// Sector code.
    pub sector: Field,
    /// Owner country code.
    pub country: Field,
    /// Canonical province name.
    pub province: Field,
    /// Language code.
    pub lang: Field,
    /// Transfer modes.
    pub transfer: Field,
    /// Technology readiness level.
    pub trl: Field,
    /// Last update.
    pub updated: Field,
    /// Provenance: the exchange or connection point (the `source` facet).
    pub provenance: Field,
    /// Lifecycle status (`open`, `closed`, `withdrawn`; absent means open).
    pub status: Field,
    /// Last day the offer stands.
    pub expires: Field,
    /// The near-duplicate cluster the record joined at ingest: the id of the record it
    /// duplicates (or that record's own cluster); absent for a record that is its own.
    pub cluster: Field,
}

/// Facet fields that the search box counts.
pub const FACET_FIELDS: &[&str] = &[
    "sector",
    "country",
    "province",
    "transfer",
    "trl",
    "lang",
    "provenance",
];

impl SupplySchema {
    /// Builds the schema.
    pub fn new() -> SupplySchema {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | STORED | FAST);
        let source = builder.add_text_field("source", STORED);
        let mut text = [[None; 4]; 5];
        let mut concepts = [id; 5];
        for field in TextField::ALL {
            for &kind in field.streams() {
                let indexing = TextFieldIndexing::default()
                    .set_tokenizer(kind.tokenizer_name())
                    .set_index_option(IndexRecordOption::WithFreqs);
                let options = TextOptions::default().set_indexing_options(indexing);
                let name = format!("{}_{}", field.name(), stream_suffix(kind));
                text[field.index()][stream_index(kind)] =
                    Some(builder.add_text_field(&name, options));
            }
            // Right after the field's streams: tantivy indexes a document's fields in id
            // order, so the concept tokenizer finds the value's analysis still cached.
            let tokenizer = if field == TextField::Title {
                crate::concepts::STAMPED_CONCEPTS_TOKENIZER
            } else {
                crate::concepts::CONCEPTS_TOKENIZER
            };
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs);
            let options = TextOptions::default().set_indexing_options(indexing);
            concepts[field.index()] =
                builder.add_text_field(&format!("{}_concepts", field.name()), options);
        }
        let facet = STRING | FAST;
        let sector = builder.add_text_field("sector", facet.clone());
        let country = builder.add_text_field("country", facet.clone());
        let province = builder.add_text_field("province", facet.clone());
        let lang = builder.add_text_field("lang", facet.clone());
        let transfer = builder.add_text_field("transfer", facet.clone());
        let trl = builder.add_u64_field("trl", NumericOptions::default() | INDEXED | FAST);
        let updated = builder.add_date_field("updated", DateOptions::default() | INDEXED | FAST);
        let provenance = builder.add_text_field("provenance", facet.clone());
        let status = builder.add_text_field("status", facet.clone());
        let expires = builder.add_date_field("expires", DateOptions::default() | INDEXED | FAST);
        let cluster = builder.add_text_field("cluster", facet);
        SupplySchema {
            schema: builder.build(),
            id,
            source,
            text,
            concepts,
            sector,
            country,
            province,
            lang,
            transfer,
            trl,
            updated,
            provenance,
            status,
            expires,
            cluster,
        }
    }

    /// The field holding the ids of the glossary concepts found in one text field
    /// ([`crate::concepts`]).
    pub fn concepts_field(&self, field: TextField) -> Field {
        self.concepts[field.index()]
    }

    /// The field holding one token stream of one text field.
    ///
    /// # Panics
    ///
    /// On a stream the field is not indexed with (see [`TextField::streams`]); the word
    /// streams are indexed for every field, the folded bigrams through [`Self::bigram_field`].
    pub fn text_field(&self, field: TextField, kind: TokenStreamKind) -> Field {
        self.stream_field(field, kind)
            .unwrap_or_else(|| panic!("{}_{} is not indexed", field.name(), stream_suffix(kind)))
    }

    /// The field holding one token stream of one text field, if the field is indexed with it.
    pub fn stream_field(&self, field: TextField, kind: TokenStreamKind) -> Option<Field> {
        self.text[field.index()][stream_index(kind)]
    }

    /// The folded bigrams of a text field (none for the owner).
    pub fn bigram_field(&self, field: TextField) -> Option<Field> {
        self.stream_field(field, TokenStreamKind::FoldedBigram)
    }
}

impl Default for SupplySchema {
    fn default() -> Self {
        SupplySchema::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_indexed_with_words_and_folded_pairs_only() {
        let schema = SupplySchema::new();
        let names: Vec<&str> = schema
            .schema
            .fields()
            .map(|(_, entry)| entry.name())
            .collect();
        for field in TextField::ALL {
            let exact = format!("{}_exact", field.name());
            let folded = format!("{}_folded", field.name());
            assert!(names.contains(&exact.as_str()), "{exact}");
            assert!(names.contains(&folded.as_str()), "{folded}");
            assert!(!names.contains(&format!("{}_exact_bi", field.name()).as_str()));
            assert_eq!(
                schema.stream_field(field, TokenStreamKind::ExactBigram),
                None
            );
            let pairs = format!("{}_folded_bi", field.name());
            match field {
                TextField::Owner => {
                    assert_eq!(schema.bigram_field(field), None);
                    assert!(!names.contains(&pairs.as_str()));
                }
                _ => {
                    let bigrams = schema.bigram_field(field).expect("folded bigrams");
                    assert_eq!(schema.schema.get_field_name(bigrams), pairs);
                }
            }
        }
        // Five text fields: two word streams each, four with pairs, and their concepts.
        let text_fields = names
            .iter()
            .filter(|n| TextField::ALL.iter().any(|f| n.starts_with(f.name())))
            .count();
        assert_eq!(text_fields, 5 * 2 + 4 + 5);
    }

    #[test]
    fn each_stream_field_uses_its_streams_tokenizer() {
        let schema = SupplySchema::new();
        for field in TextField::ALL {
            for &kind in field.streams() {
                let entry = schema
                    .schema
                    .get_field_entry(schema.text_field(field, kind));
                let tantivy::schema::FieldType::Str(options) = entry.field_type() else {
                    panic!("{} is not a text field", entry.name());
                };
                let indexing = options.get_indexing_options().expect("indexed");
                assert_eq!(
                    indexing.tokenizer(),
                    kind.tokenizer_name(),
                    "{}",
                    entry.name()
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "owner_folded_bi is not indexed")]
    fn asking_for_a_stream_that_is_not_indexed_is_a_bug() {
        SupplySchema::new().text_field(TextField::Owner, TokenStreamKind::FoldedBigram);
    }
}
