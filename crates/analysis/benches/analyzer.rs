//! Analyzer throughput on Vietnamese text, next to tantivy's default tokenizer on the same text.
//!
//! Run: `cargo bench -p techmatch-analysis --bench analyzer`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

const SAMPLE: &str = include_str!("vietnamese_sample.txt");

fn bench(c: &mut Criterion) {
    let text = SAMPLE.repeat(8);
    let mut group = c.benchmark_group("analysis");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("techmatch_all_streams", |b| {
        b.iter(|| techmatch_analysis::analyze(&text).exact.len())
    });
    group.bench_function("tantivy_default", |b| {
        let mut analyzer = TextAnalyzer::builder(tantivy::tokenizer::SimpleTokenizer::default())
            .filter(tantivy::tokenizer::RemoveLongFilter::limit(40))
            .filter(tantivy::tokenizer::LowerCaser)
            .build();
        b.iter(|| {
            let mut stream = analyzer.token_stream(&text);
            let mut n = 0usize;
            while stream.advance() {
                n += 1;
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
