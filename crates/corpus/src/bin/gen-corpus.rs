//! `gen-corpus`: writes a deterministic synthetic corpus (see the `techmatch-corpus` crate).
//!
//! ```sh
//! cargo run --release --bin gen-corpus -- --supplies 1000000 --demands 2000 --seed 42 --out DIR
//! ```

use std::io::Write as _;
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
    /// Also write DIR/queries.jsonl: this many search-box queries, the scale bench's mix
    /// (query i is the bench's query i for the same seed and number of supplies), for
    /// running the same queries through other builds or engines.
    #[arg(long, default_value_t = 0)]
    queries: u64,
    /// Write only the queries (the supplies and demands files are left alone).
    #[arg(long, requires = "queries")]
    only_queries: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let generator = techmatch_corpus::Generator::new(args.seed);
    if args.queries > 0 {
        std::fs::create_dir_all(&args.out)?;
        let path = args.out.join("queries.jsonl");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for i in 0..args.queries {
            let (text, _) = generator.search_query(i, args.supplies);
            let line = serde_json::json!({"id": format!("GQ-{:06}", i + 1), "text": text});
            writeln!(out, "{line}")?;
        }
        out.flush()?;
        eprintln!("wrote {} queries to {}", args.queries, path.display());
        if args.only_queries {
            return Ok(());
        }
    }
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
