//! `techmatch glossary check FILE`: validate a glossary before using it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use techmatch_query::glossary::Glossary;

/// Arguments of `techmatch glossary`.
#[derive(Args)]
pub struct GlossaryArgs {
    #[command(subcommand)]
    command: GlossaryCommand,
}

#[derive(Subcommand)]
enum GlossaryCommand {
    /// Check a glossary file: header, columns, empty cells, duplicate concepts, unknown
    /// sectors, terms repeated in a concept or shared by two concepts (with line numbers).
    #[command(after_help = "\
Example:
  techmatch glossary check index-data/glossary.tsv

Format: a header `concept<TAB>sector<TAB>vi<TAB>en<TAB>zh<TAB>abbr`, then one concept per line;
cells hold alternatives separated by '|'; lines starting with # are comments.
Exit code 1 when the file has errors (it cannot be used), 0 otherwise; with --strict,
warnings (a term shared by two concepts, a repeated term) fail too.")]
    Check {
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// The glossary file.
        file: PathBuf,
    },
}

/// Runs the command.
pub fn run(args: GlossaryArgs) -> Result<ExitCode> {
    match args.command {
        GlossaryCommand::Check { strict, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let (glossary, issues) = match Glossary::parse(&text) {
                Ok((glossary, warnings)) => (Some(glossary), warnings),
                Err(issues) => (None, issues),
            };
            for issue in &issues {
                eprintln!("{}:{issue}", file.display());
            }
            let warnings = issues.iter().filter(|i| !i.fatal).count();
            let errors = issues.len() - warnings;
            match glossary {
                Some(glossary) => {
                    let terms: usize = glossary.concepts().iter().map(|c| c.terms.len()).sum();
                    println!(
                        "{}: {} concepts, {terms} terms, {warnings} warnings",
                        file.display(),
                        glossary.concepts().len()
                    );
                    Ok(if strict && warnings > 0 {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    })
                }
                None => {
                    println!(
                        "{}: {errors} errors, {warnings} warnings: not usable",
                        file.display()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
