//! Baselines for relevance benchmarking, run in the same process on the same records:
//!
//! - **raw**: tantivy's default tokenizer (split on non-alphanumerics, lowercase, drop
//!   tokens over 40 bytes) on title, keywords, summary, description and owner, and a plain
//!   OR of the query's tokens over those fields with BM25 — what a team gets from tantivy
//!   out of the box;
//! - **folded**: the same plus tantivy's `AsciiFoldingFilter`, standing in for the
//!   diacritic-folded BM25 engines (Lucene with ASCII folding, SQLite FTS5, bm25s).

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{doc, Index, IndexReader, TantivyDocument, Term};
use techmatch_indexer::document::field_text;
use techmatch_indexer::{Supply, TextField};

use crate::error::Result;

/// Which baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineKind {
    /// tantivy's default tokenizer.
    Raw,
    /// Default tokenizer plus ASCII folding.
    Folded,
}

impl BaselineKind {
    /// Run name.
    pub fn name(self) -> &'static str {
        match self {
            BaselineKind::Raw => "tantivy-default",
            BaselineKind::Folded => "tantivy-folded",
        }
    }

    fn analyzer(self) -> TextAnalyzer {
        let builder = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser);
        match self {
            BaselineKind::Raw => builder.build(),
            BaselineKind::Folded => builder.filter(AsciiFoldingFilter).build(),
        }
    }
}

/// An in-memory baseline index.
pub struct Baseline {
    kind: BaselineKind,
    reader: IndexReader,
    fields: Vec<Field>,
    id: Field,
    analyzer: std::sync::Mutex<TextAnalyzer>,
}

/// The texts of the tokens `analyzer` makes of `text`.
pub fn token_texts(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        tokens.push(token.text.clone());
    }
    tokens
}

/// The baselines' query: any of `tokens` in any of `fields`, scored by BM25 (term
/// frequencies, no positions); `None` when there is no token.
pub fn any_token_query(fields: &[Field], tokens: &[String]) -> Option<BooleanQuery> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .flat_map(|token| {
            fields.iter().map(move |field| {
                let term = Term::from_field_text(*field, token);
                let query: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                (Occur::Should, query)
            })
        })
        .collect();
    (!clauses.is_empty()).then(|| BooleanQuery::new(clauses))
}

impl Baseline {
    /// Indexes the records.
    pub fn build(kind: BaselineKind, supplies: &[Supply]) -> Result<Baseline> {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | STORED);
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("baseline")
            .set_index_option(IndexRecordOption::WithFreqs);
        let options = TextOptions::default().set_indexing_options(indexing);
        let fields: Vec<Field> = TextField::ALL
            .iter()
            .map(|f| builder.add_text_field(f.name(), options.clone()))
            .collect();
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register("baseline", kind.analyzer());
        let mut writer = index.writer(50 << 20)?;
        for supply in supplies {
            let mut document = doc!(id => supply.id.clone());
            for (field, text_field) in fields.iter().zip(TextField::ALL) {
                if let Some(text) = field_text(supply, text_field) {
                    document.add_text(*field, text);
                }
            }
            writer.add_document(document)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Baseline {
            kind,
            reader,
            fields,
            id,
            analyzer: std::sync::Mutex::new(kind.analyzer()),
        })
    }

    /// The kind.
    pub fn kind(&self) -> BaselineKind {
        self.kind
    }

    /// The best `top` records for a text: OR of its tokens over all fields.
    pub fn search(&self, text: &str, top: usize) -> Result<Vec<(String, f32)>> {
        let tokens = {
            let mut analyzer = self.analyzer.lock().expect("analyzer lock");
            token_texts(&mut analyzer, text)
        };
        let Some(query) = any_token_query(&self.fields, &tokens) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let hits = searcher.search(&query, &TopDocs::with_limit(top.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc
                .get_first(self.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            out.push((id, score));
        }
        Ok(out)
    }
}
