//! Writes the analysis of every text field of generated supplies as JSON lines, so two
//! builds of the analyzer can be compared token by token (issue 16 asked for such a diff
//! whenever `ANALYZER_VERSION` changes):
//!
//! ```sh
//! cargo run --release --example analysis-dump -- 10000 > new.jsonl
//! # the same on the old commit > old.jsonl, then
//! cargo run --release --example analysis-dump -- --diff old.jsonl new.jsonl
//! ```
//!
//! Records are raw (before validation's NFC), as `benches/analysis.rs` measures them.

use std::io::{BufRead, BufWriter, Write};

use techmatch_corpus::Generator;
use techmatch_indexer::document::field_text;
use techmatch_indexer::TextField;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--diff") {
        let [_, old, new] = &args[..] else {
            return Err("usage: analysis-dump --diff OLD.jsonl NEW.jsonl".into());
        };
        return diff(old, new);
    }
    let records: u64 = args.first().map_or(Ok(10_000), |n| n.parse())?;
    let generator = Generator::new(42);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for i in 0..records {
        let supply = generator.supply(i);
        for field in TextField::ALL {
            let Some(text) = field_text(&supply, field) else {
                continue;
            };
            let analysis = techmatch_analysis::analyze(&text);
            let line = serde_json::json!({
                "record": supply.id, "field": field.name(), "text": text, "analysis": analysis,
            });
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Prints every text whose streams differ, stream by stream, then counts.
fn diff(old: &str, new: &str) -> Result<(), Box<dyn std::error::Error>> {
    let lines = |path: &str| -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
        let file = std::io::BufReader::new(std::fs::File::open(path)?);
        file.lines()
            .map(|l| Ok(serde_json::from_str(&l?)?))
            .collect()
    };
    let (old, new) = (lines(old)?, lines(new)?);
    if old.len() != new.len() {
        return Err(format!(
            "{} texts in the old dump, {} in the new",
            old.len(),
            new.len()
        )
        .into());
    }
    let (mut texts, mut changed) = (0, 0);
    let mut per_stream = std::collections::BTreeMap::<String, usize>::new();
    for (a, b) in old.iter().zip(&new) {
        texts += 1;
        if a["analysis"] == b["analysis"] {
            continue;
        }
        changed += 1;
        println!("## {} {}: {}", a["record"], a["field"], a["text"]);
        for (stream, tokens) in a["analysis"].as_object().into_iter().flatten() {
            let other = &b["analysis"][stream];
            if tokens != other {
                *per_stream.entry(stream.clone()).or_default() += 1;
                println!("  {stream}\n    old {tokens}\n    new {other}");
            }
        }
    }
    println!("{changed} of {texts} texts differ; per stream: {per_stream:?}");
    Ok(())
}
