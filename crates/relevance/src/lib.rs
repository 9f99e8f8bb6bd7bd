//! Relevance benchmarking for techmatch: one judged collection in, one report out.
//!
//! A collection is a directory in the layout of `index-data/`: `supplies.jsonl` (the
//! documents), `qrels.txt` (graded judgments), and `queries.jsonl` (search-box queries)
//! and/or `demands.jsonl` (demands); either side may be absent. A third, optional side
//! judges supply → demand matching: `reverse-queries.jsonl` names supplies of
//! `supplies.jsonl` used as queries (`{"id": "TS-0001", "tags": [...]}`) and
//! `reverse-qrels.txt` judges the demands of `demands.jsonl` for them.
//! [`Report::compute`] builds a fresh techmatch index of the supplies (and one of the
//! demands for the reverse side) in a temporary directory, runs every [`System`]
//! (techmatch with and without the glossary, and the two in-process tantivy baselines of
//! `techmatch_query::baseline`) on both sides, and evaluates each run with trec_eval's
//! definitions (`techmatch_eval`). The report renders as the README's markdown table
//! ([`Report::table`]), per-tag tables ([`Report::by_tag_tables`]) and JSON
//! ([`Report::summary`]).
//!
//! ```no_run
//! use techmatch_relevance::{Collection, Report};
//! let collection = Collection::load("index-data".as_ref())?;
//! let report = Report::compute(&collection, &Default::default())?;
//! print!("{}", report.table());
//! # Ok::<(), techmatch_relevance::Error>(())
//! ```
#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use techmatch_eval::{evaluate, Evaluation, Metric, Qrels, Run, RunLine};
use techmatch_indexer::read::{read_raw, RawRecord, ReadOptions};
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{
    ingest, Demand, IngestOptions, RecordError, RecordKind, Supply, SupplyIndex,
};
use techmatch_query::baseline::{Baseline, BaselineKind};
use techmatch_query::glossary::Glossary;
use techmatch_query::{DemandMatcher, MatchOptions, Searcher, SupplyMatcher, Tuning};

/// What can go wrong while loading a collection or running it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of a queries file is not a query.
    #[error("{path}:{line}: {reason}")]
    QueryLine {
        /// The file.
        path: PathBuf,
        /// Line number from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Records of the collection are invalid (the first ones are listed).
    #[error("invalid records in the collection: {}", .0.iter().take(3).map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Records(Vec<RecordError>),
    /// The collection has nothing to evaluate.
    #[error("{0}")]
    Empty(String),
    /// Qrels or runs could not be read or built.
    #[error(transparent)]
    Eval(#[from] techmatch_eval::Error),
    /// The index could not be built.
    #[error(transparent)]
    Indexer(#[from] techmatch_indexer::IndexerError),
    /// A search or match failed.
    #[error(transparent)]
    Search(#[from] techmatch_query::QueryError),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One search-box query of a collection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Query {
    /// Unique id, without spaces.
    pub id: String,
    /// The text as typed.
    pub text: String,
    /// Difficulty tags (`no_diacritics`, `typo`, …).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A supply of the collection used as a query of supply → demand matching
/// (`reverse-queries.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ReverseQuery {
    /// The supply's id in `supplies.jsonl`.
    pub id: String,
    /// Tags (`vi`, `en`, `cross_language`, …).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Reads a JSON Lines file of queries (`{"id": "Q1", "text": "...", "tags": [...]}`);
/// errors name the file, the line and the field.
pub fn read_queries(path: &Path) -> Result<Vec<Query>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |line: usize, reason: String| Error::QueryLine {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut queries = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|_| bad(i + 1, "not valid UTF-8".into()))?;
        if line.trim().is_empty() {
            continue;
        }
        let query: Query = serde_json::from_str(&line).map_err(|e| {
            bad(
                i + 1,
                format!("expected {{\"id\": \"...\", \"text\": \"...\"}} ({e})"),
            )
        })?;
        if query.id.is_empty() || query.id.contains(char::is_whitespace) {
            return Err(bad(
                i + 1,
                "field id: must be non-empty without spaces".into(),
            ));
        }
        if !seen.insert(query.id.clone()) {
            return Err(bad(
                i + 1,
                format!("field id: duplicate query id '{}'", query.id),
            ));
        }
        queries.push(query);
    }
    Ok(queries)
}

/// Reads and validates the records of a file with `validate`; returns the valid ones and one
/// error per problem of the invalid ones.
fn read_records<T>(
    path: &Path,
    validate: fn(&mut Validator, &RawRecord) -> std::result::Result<T, Vec<RecordError>>,
) -> Result<(Vec<T>, Vec<RecordError>)> {
    let mut validator = Validator::new(&path.display().to_string());
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for row in read_raw(path, ReadOptions::default())? {
        match row
            .map_err(|e| vec![e])
            .and_then(|raw| validate(&mut validator, &raw))
        {
            Ok(record) => records.push(record),
            Err(problems) => errors.extend(problems),
        }
    }
    Ok((records, errors))
}

/// Reads and validates demands; returns the valid ones and one error per problem of the
/// invalid ones.
pub fn read_demands(path: &Path) -> Result<(Vec<Demand>, Vec<RecordError>)> {
    read_records(path, Validator::demand)
}

/// Reads and validates supplies; returns the valid ones and one error per problem of the
/// invalid ones.
pub fn read_supply_records(path: &Path) -> Result<(Vec<Supply>, Vec<RecordError>)> {
    read_records(path, Validator::supply)
}

fn read_supplies(path: &Path) -> Result<Vec<Supply>> {
    match read_supply_records(path)? {
        (supplies, errors) if errors.is_empty() => Ok(supplies),
        (_, errors) => Err(Error::Records(errors)),
    }
}

/// A judged collection.
pub struct Collection {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// The documents.
    pub supplies: Vec<Supply>,
    /// Search-box queries (empty when the collection has none).
    pub queries: Vec<Query>,
    /// Demands (empty when the collection has none).
    pub demands: Vec<Demand>,
    /// The judgments of the queries, `None` when none is judged.
    pub query_qrels: Option<Qrels>,
    /// The judgments of the demands, `None` when none is judged.
    pub demand_qrels: Option<Qrels>,
    /// Supplies used as queries against the demands (empty when the collection has none).
    pub reverse_queries: Vec<ReverseQuery>,
    /// The judgments of the demands for those supplies, `None` when there are none.
    pub reverse_qrels: Option<Qrels>,
}

/// The judgments of `ids` only, `None` when there are none.
fn qrels_of(text: &str, ids: &HashSet<&str>, name: &str) -> Result<Option<Qrels>> {
    let kept: String = text
        .lines()
        .filter(|l| l.split_whitespace().next().is_some_and(|q| ids.contains(q)))
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        });
    if kept.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(Qrels::parse(name, &kept)?))
}

impl Collection {
    /// Reads `dir/supplies.jsonl`, `dir/qrels.txt` and whichever of `dir/queries.jsonl`
    /// and `dir/demands.jsonl` exist.
    pub fn load(dir: &Path) -> Result<Collection> {
        let supplies = read_supplies(&dir.join("supplies.jsonl"))?;
        let queries_path = dir.join("queries.jsonl");
        let queries = if queries_path.exists() {
            read_queries(&queries_path)?
        } else {
            Vec::new()
        };
        let demands_path = dir.join("demands.jsonl");
        let demands = if demands_path.exists() {
            let (demands, errors) = read_demands(&demands_path)?;
            if !errors.is_empty() {
                return Err(Error::Records(errors));
            }
            demands
        } else {
            Vec::new()
        };
        let qrels_path = dir.join("qrels.txt");
        let qrels_text = std::fs::read_to_string(&qrels_path).map_err(|source| Error::Io {
            path: qrels_path.clone(),
            source,
        })?;
        let name = qrels_path.display().to_string();
        let query_ids: HashSet<&str> = queries.iter().map(|q| q.id.as_str()).collect();
        let demand_ids: HashSet<&str> = demands.iter().map(|d| d.id.as_str()).collect();
        let query_qrels = qrels_of(&qrels_text, &query_ids, &name)?;
        let demand_qrels = qrels_of(&qrels_text, &demand_ids, &name)?;
        if query_qrels.is_none() && demand_qrels.is_none() {
            return Err(Error::Empty(format!(
                "{}: no judged query or demand (the qrels judge none of the ids of queries.jsonl or demands.jsonl)",
                dir.display()
            )));
        }
        let (reverse_queries, reverse_qrels) = read_reverse(dir, &supplies, &demands)?;
        Ok(Collection {
            dir: dir.to_path_buf(),
            supplies,
            queries,
            demands,
            query_qrels,
            demand_qrels,
            reverse_queries,
            reverse_qrels,
        })
    }

    /// The supplies used as reverse queries, in the order of `reverse-queries.jsonl`.
    pub fn reverse_supplies(&self) -> Vec<Supply> {
        self.reverse_queries
            .iter()
            .filter_map(|q| self.supplies.iter().find(|s| s.id == q.id).cloned())
            .collect()
    }

    /// The tags of every query, demand and reverse query, by id.
    pub fn tags(&self) -> BTreeMap<&str, &[String]> {
        self.queries
            .iter()
            .map(|q| (q.id.as_str(), q.tags.as_slice()))
            .chain(
                self.demands
                    .iter()
                    .map(|d| (d.id.as_str(), d.tags.as_slice())),
            )
            .chain(
                self.reverse_queries
                    .iter()
                    .map(|q| (q.id.as_str(), q.tags.as_slice())),
            )
            .collect()
    }
}

/// Reads `reverse-queries.jsonl` and `reverse-qrels.txt` when both exist: every query must
/// name a supply of the collection and every judged document a demand.
fn read_reverse(
    dir: &Path,
    supplies: &[Supply],
    demands: &[Demand],
) -> Result<(Vec<ReverseQuery>, Option<Qrels>)> {
    let queries_path = dir.join("reverse-queries.jsonl");
    let qrels_path = dir.join("reverse-qrels.txt");
    if !queries_path.exists() || !qrels_path.exists() {
        return Ok((Vec::new(), None));
    }
    let text = std::fs::read_to_string(&queries_path).map_err(|source| Error::Io {
        path: queries_path.clone(),
        source,
    })?;
    let supply_ids: HashSet<&str> = supplies.iter().map(|s| s.id.as_str()).collect();
    let mut queries = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| Error::QueryLine {
            path: queries_path.clone(),
            line: i + 1,
            reason,
        };
        let query: ReverseQuery = serde_json::from_str(line)
            .map_err(|e| bad(format!("expected {{\"id\": \"SUPPLY_ID\"}} ({e})")))?;
        if !supply_ids.contains(query.id.as_str()) {
            return Err(bad(format!(
                "field id: '{}' is not a supply of supplies.jsonl",
                query.id
            )));
        }
        if !seen.insert(query.id.clone()) {
            return Err(bad(format!("field id: duplicate supply '{}'", query.id)));
        }
        queries.push(query);
    }
    let qrels_text = std::fs::read_to_string(&qrels_path).map_err(|source| Error::Io {
        path: qrels_path.clone(),
        source,
    })?;
    let demand_ids: HashSet<&str> = demands.iter().map(|d| d.id.as_str()).collect();
    for (i, line) in qrels_text.lines().enumerate() {
        if let Some(doc) = line.split_whitespace().nth(2) {
            if !demand_ids.contains(doc) {
                return Err(Error::QueryLine {
                    path: qrels_path.clone(),
                    line: i + 1,
                    reason: format!("'{doc}' is not a demand of demands.jsonl"),
                });
            }
        }
    }
    let ids: HashSet<&str> = seen.iter().map(String::as_str).collect();
    let qrels = qrels_of(&qrels_text, &ids, &qrels_path.display().to_string())?;
    Ok((queries, qrels))
}

/// The systems of a report, in the order of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum System {
    /// techmatch with the bundled glossary.
    #[serde(rename = "techmatch")]
    Techmatch,
    /// techmatch without glossary expansion.
    #[serde(rename = "techmatch-no-glossary")]
    TechmatchNoGlossary,
    /// tantivy's default tokenizer plus ASCII folding.
    #[serde(rename = "tantivy-folded")]
    TantivyFolded,
    /// tantivy's default tokenizer.
    #[serde(rename = "tantivy-default")]
    TantivyDefault,
}

impl System {
    /// Every system, in report order.
    pub const ALL: [System; 4] = [
        System::Techmatch,
        System::TechmatchNoGlossary,
        System::TantivyFolded,
        System::TantivyDefault,
    ];

    /// The run name.
    pub fn name(self) -> &'static str {
        match self {
            System::Techmatch => "techmatch",
            System::TechmatchNoGlossary => "techmatch-no-glossary",
            System::TantivyFolded => BaselineKind::Folded.name(),
            System::TantivyDefault => BaselineKind::Raw.name(),
        }
    }
}

/// The runs of one system and their evaluations.
pub struct SystemResult {
    /// Which system.
    pub system: System,
    /// The run of the queries and its evaluations at 10 and 50 (when judged).
    pub queries: Option<Side>,
    /// The run of the demands and its evaluations at 10 and 50 (when judged).
    pub demands: Option<Side>,
    /// The run of the supplies against the demands (when judged).
    pub reverse: Option<Side>,
}

/// The sides of a report, in the order of its columns: search-box queries, demands against
/// the supplies, and supplies against the demands.
pub const SIDES: [&str; 3] = ["queries", "demands", "reverse"];

impl SystemResult {
    /// The side called `label` (one of [`SIDES`]), when evaluated.
    pub fn side(&self, label: &str) -> Option<&Side> {
        match label {
            "queries" => self.queries.as_ref(),
            "demands" => self.demands.as_ref(),
            "reverse" => self.reverse.as_ref(),
            _ => None,
        }
    }
}

/// One run and its evaluations.
pub struct Side {
    /// The run.
    pub run: Run,
    /// Cut-off 10.
    pub at10: Evaluation,
    /// Cut-off 50.
    pub at50: Evaluation,
}

impl Side {
    fn new(run: Run, qrels: &Qrels) -> Side {
        Side {
            at10: evaluate(qrels, &run, 10),
            at50: evaluate(qrels, &run, 50),
            run,
        }
    }

    fn summary(&self, tags: &BTreeMap<&str, &[String]>) -> SideSummary {
        let mut by_tag: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        for query in &self.at10.queries {
            for tag in tags.get(query.query.as_str()).copied().unwrap_or_default() {
                let entry = by_tag.entry(tag.clone()).or_default();
                entry.0 += query.values.get(Metric::Ndcg);
                entry.1 += 1;
            }
        }
        SideSummary {
            evaluated: self.at10.num_queries,
            ndcg_at_10: self.at10.mean(Metric::Ndcg),
            recall_at_50: self.at50.mean(Metric::Recall),
            mrr_at_10: self.at10.mean(Metric::Mrr),
            map: self.at10.mean(Metric::Map),
            ndcg_at_10_by_tag: by_tag
                .into_iter()
                .map(|(tag, (sum, n))| {
                    (
                        tag,
                        TagValue {
                            n,
                            ndcg_at_10: sum / n as f64,
                        },
                    )
                })
                .collect(),
        }
    }
}

/// The metrics of one side of one system, as the JSON output has them.
#[derive(Debug, Clone, Serialize)]
pub struct SideSummary {
    /// Queries (or demands) evaluated: judged with at least one relevant document.
    pub evaluated: usize,
    /// Mean nDCG@10.
    pub ndcg_at_10: f64,
    /// Mean Recall@50.
    pub recall_at_50: f64,
    /// Mean MRR@10.
    pub mrr_at_10: f64,
    /// MAP over the whole ranking (100 results).
    pub map: f64,
    /// Mean nDCG@10 per tag of the queries.
    pub ndcg_at_10_by_tag: BTreeMap<String, TagValue>,
}

/// nDCG@10 over the queries carrying one tag.
#[derive(Debug, Clone, Serialize)]
pub struct TagValue {
    /// How many evaluated queries carry the tag.
    pub n: usize,
    /// Their mean nDCG@10.
    pub ndcg_at_10: f64,
}

/// One system's line of the JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct SystemSummary {
    /// The system.
    pub system: System,
    /// Its queries, when the collection has judged queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queries: Option<SideSummary>,
    /// Its demands, when the collection has judged demands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demands: Option<SideSummary>,
    /// Its supplies matched against the demands, when judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverse: Option<SideSummary>,
}

/// The JSON output of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The collection directory.
    pub collection: String,
    /// Documents indexed.
    pub supplies: usize,
    /// Queries in the collection.
    pub queries: usize,
    /// Demands in the collection.
    pub demands: usize,
    /// Supplies used as queries against the demands.
    pub reverse_queries: usize,
    /// Every system's metrics.
    pub systems: Vec<SystemSummary>,
    /// techmatch's unmet flag against the judgments (when demands are judged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmet: Option<UnmetCheck>,
}

/// Results returned per query or demand (the depth of the runs).
pub const RUN_DEPTH: usize = 100;

/// A relevance report of one collection.
pub struct Report<'a> {
    collection: &'a Collection,
    /// One entry per system, in [`System::ALL`] order.
    pub systems: Vec<SystemResult>,
    /// How techmatch's unmet flag fares on the judged demands (when demands are judged).
    pub unmet: Option<UnmetCheck>,
}

/// techmatch's unmet flag against the judgments: a demand whose every judged supply is
/// graded 0 was written to have no answer and should be flagged; a demand with a grade-3
/// supply has one and should not be.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnmetCheck {
    /// Demands flagged unmet, judged or not.
    pub flagged: Vec<String>,
    /// Judged demands with no relevant supply (every grade 0).
    pub without_answer: Vec<String>,
    /// Of those, the ones flagged.
    pub without_answer_flagged: Vec<String>,
    /// Judged demands with a grade-3 supply.
    pub with_answer: usize,
    /// Of those, the ones flagged (wrongly).
    pub with_answer_flagged: Vec<String>,
    /// The best match score of every judged demand with no relevant supply (the highest
    /// ones are the hardest to flag).
    pub without_answer_best: Vec<(String, f32)>,
    /// The lowest best match scores of the demands with a grade-3 supply (at most five,
    /// lowest first: the ones a higher threshold would wrongly flag).
    pub with_answer_lowest: Vec<(String, f32)>,
}

impl UnmetCheck {
    /// `best` holds every demand's best match score (0 without matches) and whether it
    /// was flagged.
    fn new(best: &[(String, f32, bool)], qrels: &Qrels) -> UnmetCheck {
        let mut check = UnmetCheck {
            flagged: best.iter().filter(|b| b.2).map(|b| b.0.clone()).collect(),
            ..UnmetCheck::default()
        };
        for (demand, score, flagged) in best {
            let Some(judgments) = qrels.query(demand) else {
                continue;
            };
            let grade = judgments.iter().map(|(_, grade)| grade).max().unwrap_or(0);
            if grade == 0 {
                check.without_answer.push(demand.clone());
                check.without_answer_best.push((demand.clone(), *score));
                if *flagged {
                    check.without_answer_flagged.push(demand.clone());
                }
            } else if grade >= 3 {
                check.with_answer += 1;
                check.with_answer_lowest.push((demand.clone(), *score));
                if *flagged {
                    check.with_answer_flagged.push(demand.clone());
                }
            }
        }
        check
            .with_answer_lowest
            .sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        check.with_answer_lowest.truncate(5);
        check
    }

    /// One line for the report.
    pub fn line(&self) -> String {
        let list = |ids: &[String]| {
            if ids.is_empty() {
                String::new()
            } else {
                format!(" ({})", ids.join(", "))
            }
        };
        let scores = |scores: &[(String, f32)]| {
            scores
                .iter()
                .map(|(id, score)| format!("{id} {score:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "unmet flag (below {:.0}): {} demands flagged; {} of the {} judged demands with no \
             relevant supply{} (best scores: {}); {} of the {} with a grade-3 supply{} (lowest \
             best scores: {})\n",
            techmatch_query::demand::UNMET_THRESHOLD,
            self.flagged.len(),
            self.without_answer_flagged.len(),
            self.without_answer.len(),
            list(&self.without_answer_flagged),
            scores(&self.without_answer_best),
            self.with_answer_flagged.len(),
            self.with_answer,
            list(&self.with_answer_flagged),
            scores(&self.with_answer_lowest),
        )
    }
}

/// An index in `dir` of the records of `file`, read as `kind`.
fn build_index(dir: &Path, file: &Path, kind: RecordKind) -> Result<SupplyIndex> {
    let index = SupplyIndex::open_or_create(dir)?;
    let mut writer = index.writer(techmatch_indexer::DEFAULT_WRITER_MEMORY)?;
    let options = IngestOptions {
        kind,
        ..IngestOptions::default()
    };
    let report = ingest(
        &mut writer,
        &[file.to_path_buf()],
        &options,
        index.provinces(),
        |_| {},
    )?;
    if !report.committed {
        return Err(Error::Records(report.rejected));
    }
    writer.finish()?;
    Ok(index)
}

/// Each query id with its ranked (document id, score) pairs.
type Ranked = Vec<(String, Vec<(String, f32)>)>;

/// Pairs each query id with its matches (document id, score), or fails on the first error.
fn run_results<R>(
    ids: impl Iterator<Item = impl Into<String>>,
    results: Vec<techmatch_query::Result<R>>,
    matches: impl Fn(R) -> Vec<(String, f32)>,
) -> Result<Ranked> {
    ids.zip(results)
        .map(|(id, result)| Ok((id.into(), matches(result?))))
        .collect()
}

fn run_of(name: &str, results: Ranked) -> Result<Run> {
    let mut lines = Vec::new();
    for (query, hits) in results {
        lines.extend(RunLine::ranked(
            &query,
            name,
            hits.into_iter().map(|(d, s)| (d, f64::from(s))),
        ));
    }
    Ok(Run::from_lines(name, lines)?)
}

impl<'a> Report<'a> {
    /// Builds the index, runs every system on both sides and evaluates them.
    pub fn compute(collection: &'a Collection, tuning: &Tuning) -> Result<Report<'a>> {
        let temp = tempfile::tempdir().map_err(|source| Error::Io {
            path: std::env::temp_dir(),
            source,
        })?;
        let index = build_index(
            &temp.path().join("index"),
            &collection.dir.join("supplies.jsonl"),
            RecordKind::Supplies,
        )?;
        let demand_index = match collection.reverse_qrels {
            Some(_) => Some(build_index(
                &temp.path().join("index.demands"),
                &collection.dir.join("demands.jsonl"),
                RecordKind::Demands,
            )?),
            None => None,
        };
        let reverse_supplies = collection.reverse_supplies();

        let options = MatchOptions {
            top: RUN_DEPTH,
            ..MatchOptions::default()
        };
        let side = |results: Vec<(String, Vec<(String, f32)>)>,
                    name: &str,
                    qrels: &Option<Qrels>|
         -> Result<Option<Side>> {
            match qrels {
                Some(qrels) => Ok(Some(Side::new(run_of(name, results)?, qrels))),
                None => Ok(None),
            }
        };
        let mut systems = Vec::new();
        let mut unmet = None;
        for system in System::ALL {
            let name = system.name();
            let (query_results, demand_results, reverse_results) = match system {
                System::Techmatch | System::TechmatchNoGlossary => {
                    let glossary = (system == System::Techmatch).then(Glossary::bundled);
                    let reverse = match &demand_index {
                        Some(demand_index) => {
                            let matcher = SupplyMatcher::new(
                                Searcher::new(demand_index.clone())?
                                    .with_glossary(glossary.clone())
                                    .with_tuning(*tuning),
                            );
                            let results = matcher.match_all(&reverse_supplies, &options, &|| {});
                            let ids = reverse_supplies.iter().map(|s| s.id.as_str());
                            run_results(ids, results, |r| {
                                let matches = r.matches.into_iter();
                                matches.map(|m| (m.demand_id, m.relevance)).collect()
                            })?
                        }
                        None => Vec::new(),
                    };
                    let searcher = Searcher::new(index.clone())?
                        .with_glossary(glossary)
                        .with_tuning(*tuning);
                    let queries = match collection.query_qrels {
                        Some(_) => collection
                            .queries
                            .iter()
                            .map(|q| Ok((q.id.clone(), searcher.search_ids(&q.text, RUN_DEPTH)?)))
                            .collect::<Result<Vec<_>>>()?,
                        None => Vec::new(),
                    };
                    let demands = match collection.demand_qrels {
                        Some(_) => {
                            let matcher = DemandMatcher::new(searcher);
                            let results = matcher.match_all(&collection.demands, &options, &|| {});
                            if let (System::Techmatch, Some(qrels)) =
                                (system, &collection.demand_qrels)
                            {
                                let best: Vec<(String, f32, bool)> = results
                                    .iter()
                                    .filter_map(|r| r.as_ref().ok())
                                    .map(|r| {
                                        let best = r.matches.first().map_or(0.0, |m| m.score);
                                        (r.demand_id.clone(), best, r.unmet)
                                    })
                                    .collect();
                                unmet = Some(UnmetCheck::new(&best, qrels));
                            }
                            let ids = collection.demands.iter().map(|d| d.id.as_str());
                            run_results(ids, results, |r| {
                                let matches = r.matches.into_iter();
                                matches.map(|m| (m.supply_id, m.relevance)).collect()
                            })?
                        }
                        None => Vec::new(),
                    };
                    (queries, demands, reverse)
                }
                System::TantivyFolded | System::TantivyDefault => {
                    let kind = if system == System::TantivyFolded {
                        BaselineKind::Folded
                    } else {
                        BaselineKind::Raw
                    };
                    let baseline = Baseline::build(kind, &collection.supplies)?;
                    let queries = collection
                        .queries
                        .iter()
                        .filter(|_| collection.query_qrels.is_some())
                        .map(|q| Ok((q.id.clone(), baseline.search(&q.text, RUN_DEPTH)?)))
                        .collect::<Result<Vec<_>>>()?;
                    let demands = collection
                        .demands
                        .iter()
                        .filter(|_| collection.demand_qrels.is_some())
                        .map(|d| Ok((d.id.clone(), baseline.search(&d.full_text(), RUN_DEPTH)?)))
                        .collect::<Result<Vec<_>>>()?;
                    let reverse = match collection.reverse_qrels {
                        Some(_) => {
                            // Like techmatch, which hides closed and withdrawn demands,
                            // the baselines see the open demands only.
                            let records: Vec<Supply> = collection
                                .demands
                                .iter()
                                .filter(|d| d.is_open())
                                .map(Demand::to_record)
                                .collect();
                            let baseline = Baseline::build(kind, &records)?;
                            reverse_supplies
                                .iter()
                                .map(|s| {
                                    Ok((s.id.clone(), baseline.search(&s.full_text(), RUN_DEPTH)?))
                                })
                                .collect::<Result<Vec<_>>>()?
                        }
                        None => Vec::new(),
                    };
                    (queries, demands, reverse)
                }
            };
            systems.push(SystemResult {
                system,
                queries: side(query_results, name, &collection.query_qrels)?,
                demands: side(demand_results, name, &collection.demand_qrels)?,
                reverse: side(reverse_results, name, &collection.reverse_qrels)?,
            });
        }
        Ok(Report {
            collection,
            systems,
            unmet,
        })
    }

    /// The collection this report is about.
    pub fn collection(&self) -> &Collection {
        self.collection
    }

    /// The metrics as the JSON output has them.
    pub fn summary(&self) -> Summary {
        let tags = self.collection.tags();
        Summary {
            collection: self.collection.dir.display().to_string(),
            supplies: self.collection.supplies.len(),
            queries: self.collection.queries.len(),
            demands: self.collection.demands.len(),
            reverse_queries: self.collection.reverse_queries.len(),
            systems: self
                .systems
                .iter()
                .map(|s| SystemSummary {
                    system: s.system,
                    queries: s.queries.as_ref().map(|side| side.summary(&tags)),
                    demands: s.demands.as_ref().map(|side| side.summary(&tags)),
                    reverse: s.reverse.as_ref().map(|side| side.summary(&tags)),
                })
                .collect(),
            unmet: self.unmet.clone(),
        }
    }

    /// One line saying what was evaluated.
    pub fn heading(&self) -> String {
        let evaluated = |label: &str| {
            self.systems
                .first()
                .and_then(|s| s.side(label))
                .map_or(0, |s| s.at10.num_queries)
        };
        let mut heading = format!(
            "{} supplies, {} queries ({} judged), {} demands ({} judged)",
            self.collection.supplies.len(),
            self.collection.queries.len(),
            evaluated("queries"),
            self.collection.demands.len(),
            evaluated("demands"),
        );
        if !self.collection.reverse_queries.is_empty() {
            let _ = write!(
                heading,
                ", {} supplies matched against the demands ({} judged)",
                self.collection.reverse_queries.len(),
                evaluated("reverse"),
            );
        }
        heading
    }

    /// The markdown table of the README: nDCG@10, Recall@50 and MRR@10 of each side.
    pub fn table(&self) -> String {
        let sides: Vec<&str> = SIDES
            .into_iter()
            .filter(|label| self.systems.first().and_then(|s| s.side(label)).is_some())
            .collect();
        let mut table = String::from("| system |");
        for label in &sides {
            let _ = write!(
                table,
                " {label} nDCG@10 | {label} Recall@50 | {label} MRR@10 |"
            );
        }
        table.push_str("\n|---|");
        table.push_str(&"---|".repeat(3 * sides.len()));
        table.push('\n');
        for system in &self.systems {
            let _ = write!(table, "| {} |", system.system.name());
            for label in &sides {
                let side = system.side(label).expect("every system has the same sides");
                let _ = write!(
                    table,
                    " {:.3} | {:.3} | {:.3} |",
                    side.at10.mean(Metric::Ndcg),
                    side.at50.mean(Metric::Recall),
                    side.at10.mean(Metric::Mrr)
                );
            }
            table.push('\n');
        }
        table
    }

    /// nDCG@10 per tag, one markdown table per side that carries tags.
    pub fn by_tag_tables(&self) -> String {
        let summary = self.summary();
        let mut out = String::new();
        for (label, pick) in [
            (
                "queries",
                (|s: &SystemSummary| s.queries.as_ref())
                    as fn(&SystemSummary) -> Option<&SideSummary>,
            ),
            ("demands", |s: &SystemSummary| s.demands.as_ref()),
            (
                "supplies matched against the demands",
                |s: &SystemSummary| s.reverse.as_ref(),
            ),
        ] {
            let sides: Vec<&SideSummary> = summary.systems.iter().filter_map(pick).collect();
            let tags: BTreeSet<&String> = sides
                .iter()
                .flat_map(|s| s.ndcg_at_10_by_tag.keys())
                .collect();
            if tags.is_empty() {
                continue;
            }
            let names: Vec<&str> = summary.systems.iter().map(|s| s.system.name()).collect();
            let _ = writeln!(out, "\nnDCG@10 of the {label} by tag\n");
            let _ = writeln!(out, "| tag | n | {} |", names.join(" | "));
            let _ = writeln!(out, "|---|---|{}", "---|".repeat(names.len()));
            for tag in tags {
                let n = sides[0].ndcg_at_10_by_tag.get(tag).map_or(0, |v| v.n);
                let cells: Vec<String> = sides
                    .iter()
                    .map(|s| {
                        format!(
                            "{:.3}",
                            s.ndcg_at_10_by_tag.get(tag).map_or(0.0, |v| v.ndcg_at_10)
                        )
                    })
                    .collect();
                let _ = writeln!(out, "| {tag} | {n} | {} |", cells.join(" | "));
            }
        }
        out
    }

    /// Writes every run as `{system}.queries.run` / `{system}.demands.run` /
    /// `{system}.reverse.run` in `dir`.
    pub fn write_runs(&self, dir: &Path) -> Result<()> {
        let io = |source| Error::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        for system in &self.systems {
            for (label, side) in [
                ("queries", &system.queries),
                ("demands", &system.demands),
                ("reverse", &system.reverse),
            ] {
                if let Some(side) = side {
                    let path = dir.join(format!("{}.{label}.run", system.system.name()));
                    let file = std::fs::File::create(&path).map_err(|source| Error::Io {
                        path: path.clone(),
                        source,
                    })?;
                    side.run
                        .write_trec(std::io::BufWriter::new(file))
                        .map_err(|source| Error::Io { path, source })?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
