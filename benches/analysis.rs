//! Analysis throughput (MB/s of input text) on generated supplies, per language and for the
//! real mix, next to tantivy's default tokenizer on the same texts in the same run.
//!
//! ```sh
//! nice cargo bench --bench analysis
//! ```
//!
//! `crates/analysis/benches/analyzer.rs` measures the same on one hand-written Vietnamese
//! sample; this bench uses 3 000 generated records (seed 42): every text field of each, as
//! the indexer analyses them, with the corpus's NFD, old-style and diacritic-free records.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use techmatch_analysis::Language;
use techmatch_corpus::Generator;
use techmatch_indexer::document::field_text;
use techmatch_indexer::TextField;

/// Every text field of generated supplies as they reach the analyzer: raw (before
/// validation's NFC) so NFD records are measured as NFD.
fn texts(lang: Option<Language>) -> Vec<String> {
    let generator = Generator::new(42);
    let validated = generator.validated_supplies(0..3_000);
    (0..3_000u64)
        .map(|i| generator.supply(i))
        .zip(validated)
        .filter(|(_, v)| lang.is_none() || v.lang == lang)
        .flat_map(|(raw, _)| {
            TextField::ALL
                .iter()
                .filter_map(|f| field_text(&raw, *f))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    for (name, lang) in [
        ("mix", None),
        ("vi", Some(Language::Vi)),
        ("en", Some(Language::En)),
        ("zh", Some(Language::Zh)),
    ] {
        let texts = texts(lang);
        let bytes: usize = texts.iter().map(String::len).sum();
        let mut group = c.benchmark_group(format!("analysis_{name}"));
        group.sample_size(10);
        group.measurement_time(std::time::Duration::from_secs(8));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("techmatch_four_streams", |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| techmatch_analysis::analyze(t).exact.len())
                    .sum::<usize>()
            })
        });
        group.bench_function("tantivy_default", |b| {
            let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .build();
            b.iter(|| {
                let mut n = 0usize;
                for text in &texts {
                    let mut stream = analyzer.token_stream(text);
                    while stream.advance() {
                        n += 1;
                    }
                }
                n
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
