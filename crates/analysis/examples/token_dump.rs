//! Every token the analyzer gives every text field of a JSON Lines file of records, one
//! line per token, so that two builds of the analyzer can be compared with `diff`:
//!
//! ```sh
//! cargo run --release -p techmatch-analysis --example token_dump -- supplies.jsonl 10000 > new.tsv
//! # the same file built from an older commit, then:
//! diff old.tsv new.tsv
//! ```
//!
//! Each line: record id, field (`keywords[i]` for the i-th keyword), stream, position,
//! start and end byte offsets, token text; tab-separated. The tokens are the ones the index
//! stores: each stream's tokenizer as registered on a tantivy index by
//! [`techmatch_analysis::register`].

use std::io::{BufRead, BufWriter, Write};

use tantivy::schema::Schema;
use tantivy::tokenizer::TokenStream;
use tantivy::Index;
use techmatch_analysis::TokenStreamKind;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), limit) = (args.next(), args.next()) else {
        eprintln!("usage: token_dump RECORDS.jsonl [MAX_RECORDS]");
        std::process::exit(2);
    };
    let limit: usize = limit.map_or(usize::MAX, |l| l.parse().expect("MAX_RECORDS: a number"));
    let index = Index::create_in_ram(Schema::builder().build());
    techmatch_analysis::register(&index);
    let mut tokenizers: Vec<_> = TokenStreamKind::ALL
        .into_iter()
        .map(|kind| {
            let name = kind.tokenizer_name();
            (name, index.tokenizers().get(name).expect("registered"))
        })
        .collect();
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    for (line_no, line) in std::io::BufReader::new(file)
        .lines()
        .take(limit)
        .enumerate()
    {
        let line = line.unwrap_or_else(|e| panic!("{path}: line {}: {e}", line_no + 1));
        let record: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{path}: line {}: {e}", line_no + 1));
        let id = record["id"].as_str().unwrap_or("?").to_string();
        let mut texts: Vec<(String, String)> = Vec::new();
        for field in ["title", "summary", "description", "owner"] {
            if let Some(text) = record[field].as_str() {
                texts.push((field.to_string(), text.to_string()));
            }
        }
        if let Some(keywords) = record["keywords"].as_array() {
            for (i, keyword) in keywords.iter().enumerate() {
                if let Some(text) = keyword.as_str() {
                    texts.push((format!("keywords[{i}]"), text.to_string()));
                }
            }
        }
        for (field, text) in &texts {
            for (name, tokenizer) in &mut tokenizers {
                let mut stream = tokenizer.token_stream(text);
                while stream.advance() {
                    let token = stream.token();
                    writeln!(
                        out,
                        "{id}\t{field}\t{name}\t{}\t{}\t{}\t{}",
                        token.position, token.offset_from, token.offset_to, token.text
                    )
                    .expect("stdout");
                }
            }
        }
    }
}
