//! `techmatch analyze`: how the analyzers see a text.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use techmatch_analysis::{analyze, detect_language, Token};

/// Arguments of `techmatch analyze`.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  techmatch analyze \"Hoà tan 5kW\"\n  techmatch analyze --json \"xử lí nước thải\" | jq '.folded[].text'"
)]
pub struct AnalyzeArgs {
    /// Print one JSON object (keys: language, exact, folded, exact_bigrams, folded_bigrams, chinese).
    #[arg(long)]
    json: bool,
    /// The text to analyse, as a user would type or a record would hold it.
    text: String,
}

#[derive(Serialize)]
struct AnalyzeOutput<'a> {
    language: &'static str,
    exact: &'a [Token],
    folded: &'a [Token],
    exact_bigrams: &'a [Token],
    folded_bigrams: &'a [Token],
    chinese: Vec<&'a Token>,
}

/// Runs the command.
pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let analysis = analyze(&args.text);
    let chinese = analysis
        .exact
        .iter()
        .filter(|t| t.text.chars().any(techmatch_analysis::segment::is_cjk))
        .collect();
    let output = AnalyzeOutput {
        language: detect_language(&args.text).code(),
        exact: &analysis.exact,
        folded: &analysis.folded,
        exact_bigrams: &analysis.exact_bigrams,
        folded_bigrams: &analysis.folded_bigrams,
        chinese,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("language: {}", output.language);
    for (name, tokens) in [
        ("exact", output.exact),
        ("folded", output.folded),
        ("exact bigrams", output.exact_bigrams),
        ("folded bigrams", output.folded_bigrams),
    ] {
        let shown: Vec<String> = tokens
            .iter()
            .map(|t| format!("{}@{}[{}..{}]", t.text, t.position, t.start, t.end))
            .collect();
        println!("{name:>15}: {}", shown.join("  "));
    }
    Ok(ExitCode::SUCCESS)
}
