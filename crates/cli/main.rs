//! `techmatch`: full-text search and demand-to-supply matching for Vietnam's technology
//! exchange. This file only parses arguments and calls the library crates.

mod analyze_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Search engine for Vietnam's technology supply–demand exchange.
///
/// Typical session on a fresh machine:
///
///   techmatch analyze "Xử lý nước thải 20 m3/ngày"   # see how a text is tokenised
#[derive(Parser)]
#[command(name = "techmatch", version, about, long_about, verbatim_doc_comment)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show how the analyzers see a text: exact, folded and bigram tokens with byte offsets.
    Analyze(analyze_cmd::AnalyzeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
