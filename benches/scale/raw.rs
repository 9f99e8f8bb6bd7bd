//! The baseline: a plain tantivy index with the same five text fields, tantivy's default
//! tokenizer (split on non-alphanumerics, drop tokens over 40 bytes, lowercase), frequencies
//! without positions (as techmatch), the five texts and the id stored; queries are an OR of
//! the query's tokens over the five fields (as `techmatch_query::baseline`).

use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument};
use techmatch_indexer::document::field_text;
use techmatch_indexer::{Supply, TextField};
use techmatch_query::baseline::{any_token_query, token_texts};

/// Handles of the raw index.
pub struct RawIndex {
    pub index: Index,
    pub id: Field,
    pub fields: Vec<Field>,
}

fn schema() -> (Schema, Field, Vec<Field>) {
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("default")
        .set_index_option(IndexRecordOption::WithFreqs);
    let options = TextOptions::default()
        .set_indexing_options(indexing)
        .set_stored();
    let fields = TextField::ALL
        .iter()
        .map(|f| builder.add_text_field(f.name(), options.clone()))
        .collect();
    (builder.build(), id, fields)
}

impl RawIndex {
    pub fn create(dir: &Path) -> tantivy::Result<RawIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, id, fields) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        Ok(RawIndex { index, id, fields })
    }

    pub fn open(dir: &Path) -> tantivy::Result<RawIndex> {
        let index = Index::open_in_dir(dir)?;
        let (_, id, fields) = schema();
        Ok(RawIndex { index, id, fields })
    }

    /// The same number of indexing threads and memory budget as `SupplyIndex::writer`.
    pub fn writer(&self, threads: usize, budget: usize) -> tantivy::Result<IndexWriter> {
        self.index.writer_with_num_threads(threads, budget)
    }

    pub fn document(&self, supply: &Supply) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, &supply.id);
        for (field, text_field) in self.fields.iter().zip(TextField::ALL) {
            if let Some(text) = field_text(supply, text_field) {
                doc.add_text(*field, text);
            }
        }
        doc
    }
}

/// Searches the raw index like a team would out of the box.
pub struct RawSearcher {
    raw: RawIndex,
    reader: IndexReader,
    analyzer: TextAnalyzer,
}

impl RawSearcher {
    pub fn new(raw: RawIndex) -> tantivy::Result<RawSearcher> {
        let reader = raw.index.reader()?;
        let analyzer = raw
            .index
            .tokenizers()
            .get("default")
            .expect("tantivy registers its default tokenizer");
        Ok(RawSearcher {
            raw,
            reader,
            analyzer,
        })
    }

    /// OR of the tokens over the five fields; the total and the top 10 documents fetched.
    pub fn search(&mut self, text: &str) -> tantivy::Result<usize> {
        let tokens = token_texts(&mut self.analyzer, text);
        let Some(query) = any_token_query(&self.raw.fields, &tokens) else {
            return Ok(0);
        };
        let searcher = self.reader.searcher();
        let (hits, total) =
            searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))?;
        for (_, address) in hits {
            let _doc: TantivyDocument = searcher.doc(address)?;
        }
        Ok(total)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }
}
