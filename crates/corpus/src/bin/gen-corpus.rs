//! `gen-corpus`: writes a deterministic synthetic corpus (see the `techmatch-corpus` crate).
//!
//! ```sh
//! cargo run --release --bin gen-corpus -- --supplies 1000000 --demands 2000 --seed 42 --out DIR
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;

/// Writes DIR/supplies.jsonl and DIR/demands.jsonl, learned from the bundled collection.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Number of supplies.
    #[arg(long, default_value_t = 100_000)]
    supplies: u64,
    /// Number of demands.
    #[arg(long, default_value_t = 2_000)]
    demands: u64,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output directory (created if absent).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let generator = techmatch_corpus::Generator::new(args.seed);
    generator.write_corpus(&args.out, args.supplies, args.demands, |done| {
        if done % 200_000 == 0 {
            eprintln!("{done} supplies");
        }
    })?;
    let bytes = std::fs::metadata(args.out.join("supplies.jsonl"))?.len();
    eprintln!(
        "wrote {} supplies ({:.1} MB) and {} demands to {} in {:.1} s (seed {})",
        args.supplies,
        bytes as f64 / 1e6,
        args.demands,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(())
}
