//! `techmatch duplicates`: the near-duplicate clusters of an index, for brokers to confirm
//! or split.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;
use techmatch_indexer::clusters::{find_all, Cluster, Decisions, Pair};
use techmatch_indexer::{Supply, SupplyIndex};
use techmatch_query::glossary::Glossary;
use techmatch_query::search::Searcher;
use techmatch_query::translations::{find_translations, TranslationLink};

/// Arguments of `techmatch duplicates`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  techmatch duplicates --index data/index                          # JSON Lines on stdout
  techmatch duplicates --index data/index --format xlsx --out duplicates.xlsx
  techmatch duplicates --index data/index --distinct TS-0001 DUP-0118   # not the same technology

Records describing the same technology (sent by several exchanges or connection points,
retyped without diacritics, shortened, reordered, updated, with the owner spelled
differently) form a cluster. Detection: MinHash with LSH bands over folded word pairs, each
candidate confirmed when at least 70% of the smaller record's word pairs are in the other.
`techmatch index` files new records into clusters as it commits; search and matching then
show one card per cluster. A pair marked --distinct is never linked again (the decision is
kept in the index directory, in duplicate-decisions.jsonl).

Translations (a record rewritten in another language by the same owner) are reported
apart, as kind \"translation\": records in different languages that name at least 3 of
the same glossary concepts and give at least 5 of the same figures. They are not folded
into one card.

Output: one cluster per JSON line {\"cluster\", \"members\", \"kind\": \"duplicate\",
\"evidence\": [{\"a\", \"b\", \"containment\", \"jaccard\", \"shared\"}], \"records\": [...]},
then the translations {\"cluster\": \"T-…\", \"members\": [a, b], \"kind\": \"translation\",
\"evidence\": {\"shared_concepts\", \"shared_numbers\", …}}; CSV and XLSX have one row per
member.")]
pub struct DuplicatesArgs {
    #[command(flatten)]
    location: crate::location::IndexLocation,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Output file (stdout if absent; required for xlsx).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Record that two records are different technologies, split them, and print the
    /// clusters again.
    #[arg(long, num_args = 2, value_names = ["ID", "ID"])]
    distinct: Vec<String>,
    /// Do not look for translations (records in another language).
    #[arg(long)]
    no_translations: bool,
    /// Glossary that bridges languages for translations (default: the bundled one).
    #[arg(long, value_name = "FILE", env = "TECHMATCH_GLOSSARY")]
    glossary: Option<PathBuf>,
}

/// Output formats.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One cluster per line.
    Jsonl,
    /// One member per row.
    Csv,
    /// One member per row, in a workbook.
    Xlsx,
}

/// A member as a broker reads it.
#[derive(Serialize)]
struct MemberRecord {
    id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
}

#[derive(Serialize)]
struct Row<'a> {
    cluster: &'a str,
    members: &'a [String],
    kind: &'static str,
    evidence: &'a [Pair],
    records: Vec<MemberRecord>,
}

const HEADER: [&str; 9] = [
    "cluster",
    "kind",
    "id",
    "title",
    "owner",
    "source",
    "source_id",
    "updated",
    "evidence",
];

/// Runs the command.
pub fn run(args: DuplicatesArgs) -> Result<ExitCode> {
    if matches!(args.format, Format::Xlsx) && args.out.is_none() {
        bail!("--format xlsx needs --out FILE.xlsx");
    }
    let dir = args.location.index();
    let index = SupplyIndex::open(&dir)?;
    let glossary = match &args.glossary {
        Some(path) => {
            let glossary = Glossary::from_path(path).map_err(anyhow::Error::msg)?;
            // Records re-filed by --distinct are tagged with the glossary in use.
            index.set_glossary(Some(std::sync::Arc::new(glossary.clone())));
            glossary
        }
        None => Glossary::bundled(),
    };
    if let [a, b] = args.distinct.as_slice() {
        split(&index, a, b)?;
    }
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_message("comparing records");
    progress.enable_steady_tick(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    let clusters = find_all(&index)?;
    let translations = if args.no_translations {
        Vec::new()
    } else {
        progress.set_message("looking for translations");
        find_translations(&Searcher::new(index.clone())?, &glossary)?
    };
    progress.finish_and_clear();
    let mut records = load_members(&index, &clusters)?;
    for link in &translations {
        for id in [&link.a, &link.b] {
            if let Some(supply) = techmatch_indexer::clusters::stored_by_id(&index, id)? {
                records.insert(id.clone(), supply);
            }
        }
    }
    match args.format {
        Format::Jsonl => {
            let mut out = output(args.out.as_deref())?;
            for cluster in &clusters {
                let row = Row {
                    cluster: &cluster.cluster,
                    members: &cluster.members,
                    kind: "duplicate",
                    evidence: &cluster.evidence,
                    records: cluster
                        .members
                        .iter()
                        .filter_map(|id| records.get(id))
                        .map(member_record)
                        .collect(),
                };
                serde_json::to_writer(&mut out, &row)?;
                writeln!(out)?;
            }
            for link in &translations {
                let members = [link.a.clone(), link.b.clone()];
                let row = serde_json::json!({
                    "cluster": format!("T-{}", link.a),
                    "members": members,
                    "kind": "translation",
                    "evidence": link,
                    "records": members
                        .iter()
                        .filter_map(|id| records.get(id))
                        .map(member_record)
                        .collect::<Vec<_>>(),
                });
                serde_json::to_writer(&mut out, &row)?;
                writeln!(out)?;
            }
            out.flush()?;
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(output(args.out.as_deref())?);
            writer.write_record(HEADER)?;
            for row in table(&clusters, &translations, &records) {
                writer.write_record(&row)?;
            }
            writer.flush()?;
        }
        Format::Xlsx => {
            let path = args.out.as_deref().expect("checked above");
            write_xlsx(path, &table(&clusters, &translations, &records))?;
        }
    }
    let members: usize = clusters.iter().map(|c| c.members.len()).sum();
    eprintln!(
        "{} clusters, {} records in them, {} translation links, of {} records ({:.1} s)",
        clusters.len(),
        members,
        translations.len(),
        index.reader()?.searcher().num_docs(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Marks a pair distinct and re-files both records, so that neither stays in the other's
/// cluster through its own link.
fn split(index: &SupplyIndex, a: &str, b: &str) -> Result<()> {
    let mut decisions = Decisions::load(index.dir())?;
    let mut found = Vec::new();
    for id in [a, b] {
        match techmatch_indexer::clusters::stored_by_id(index, id)? {
            Some(supply) => found.push(supply),
            None => bail!("no record with id '{id}' in the index"),
        }
    }
    decisions.mark_distinct(a, b)?;
    let mut writer = index.writer(techmatch_indexer::DEFAULT_WRITER_MEMORY)?;
    for supply in &found {
        writer.upsert(supply)?;
    }
    writer.commit()?;
    writer.finish()?;
    eprintln!("{a} and {b} are marked as different technologies");
    Ok(())
}

fn load_members(index: &SupplyIndex, clusters: &[Cluster]) -> Result<HashMap<String, Supply>> {
    let mut out = HashMap::new();
    for cluster in clusters {
        for id in &cluster.members {
            if let Some(supply) = techmatch_indexer::clusters::stored_by_id(index, id)? {
                out.insert(id.clone(), supply);
            }
        }
    }
    Ok(out)
}

fn member_record(supply: &Supply) -> MemberRecord {
    MemberRecord {
        id: supply.id.clone(),
        title: supply.title.clone(),
        owner: supply.owner.clone(),
        source: supply.source.clone(),
        source_id: supply.source_id.clone(),
        updated: supply.updated.clone(),
    }
}

/// One row per member; the evidence column says which members it was linked to and how
/// much text they share.
fn table(
    clusters: &[Cluster],
    translations: &[TranslationLink],
    records: &HashMap<String, Supply>,
) -> Vec<[String; 9]> {
    let mut rows = Vec::new();
    for cluster in clusters {
        for id in &cluster.members {
            let links: Vec<String> = cluster
                .evidence
                .iter()
                .filter_map(|p| {
                    let other = if p.a == *id {
                        &p.b
                    } else if p.b == *id {
                        &p.a
                    } else {
                        return None;
                    };
                    Some(format!(
                        "{other}: {:.0}% of the shorter text shared",
                        100.0 * p.evidence.containment
                    ))
                })
                .collect();
            rows.push(row(
                &cluster.cluster,
                "duplicate",
                id,
                records.get(id),
                links.join("; "),
            ));
        }
    }
    for link in translations {
        for (id, other) in [(&link.a, &link.b), (&link.b, &link.a)] {
            rows.push(row(
                &format!("T-{}", link.a),
                "translation",
                id,
                records.get(id),
                format!(
                    "{other} ({} / {}): {} shared concepts ({}), {} shared figures",
                    link.languages[0],
                    link.languages[1],
                    link.shared_concepts.len(),
                    link.shared_concepts.join(", "),
                    link.shared_numbers
                ),
            ));
        }
    }
    rows
}

/// One member's row: its cluster, the kind of link, what a broker reads of the record, and
/// the evidence.
fn row(
    cluster: &str,
    kind: &str,
    id: &str,
    record: Option<&Supply>,
    evidence: String,
) -> [String; 9] {
    let field = |f: fn(&Supply) -> Option<String>| record.and_then(f).unwrap_or_default();
    [
        cluster.to_string(),
        kind.to_string(),
        id.to_string(),
        field(|s| Some(s.title.clone())),
        field(|s| s.owner.clone()),
        field(|s| s.source.clone()),
        field(|s| s.source_id.clone()),
        field(|s| s.updated.clone()),
        evidence,
    ]
}

fn write_xlsx(path: &Path, rows: &[[String; 9]]) -> Result<()> {
    let widths = [12.0, 10.0, 12.0, 56.0, 40.0, 24.0, 18.0, 11.0, 60.0];
    crate::sheet::write_xlsx(path, "duplicates", &HEADER, &widths, rows)
}

fn output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}
