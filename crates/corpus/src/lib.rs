//! A deterministic generator of national-scale techmatch corpora, for benchmarks.
//!
//! The text is learned from the bundled collection (`index-data/supplies.jsonl` and
//! `demands.jsonl`, compiled in): one word-bigram [`chain::Chain`] per text field and
//! language, with transitions that prefer the record's sector, so a generated coffee-drying
//! offer reads like one and a generated demand finds supplies of its sector. Field lengths,
//! the presence of optional fields, sectors, countries, provinces (as written, spelling
//! variants included), TRL, transfer modes and keyword counts are drawn from bundled
//! records of the same language; dates are drawn between 2018 and 2026.
//!
//! The language mix is [`LANGUAGE_MIX`] (75% Vietnamese, 15% English, 10% Chinese), and
//! Vietnamese records arrive in the forms of [`VIETNAMESE_FORMS`]: without diacritics, with
//! old-style tone placement, or decomposed (NFD). Numbers are given new digits half of the
//! time, so units and codes stay realistic while the number vocabulary grows with the
//! corpus.
//!
//! Record `i` depends only on the seed and `i`: the first 100 000 records of a 1 000 000
//! corpus are the 100 000 corpus, and records can be generated in parallel.
//!
//! ```
//! let generator = techmatch_corpus::Generator::new(42);
//! let a = generator.supply(7);
//! assert_eq!(a, techmatch_corpus::Generator::new(42).supply(7));
//! assert!(a.id.starts_with("GS-") && !a.title.is_empty());
//! ```
#![deny(missing_docs)]

pub mod chain;
pub mod variants;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use techmatch_analysis::{detect_language, Language};
use techmatch_indexer::record::SECTORS;
use techmatch_indexer::validate::Validator;
use techmatch_indexer::{read, Demand, Supply};
use unicode_normalization::UnicodeNormalization;

use crate::chain::{Chain, Vocabulary};

const BUNDLED_SUPPLIES: &str = include_str!("../../../index-data/supplies.jsonl");
const BUNDLED_DEMANDS: &str = include_str!("../../../index-data/demands.jsonl");

/// Share of Vietnamese, English and Chinese records.
pub const LANGUAGE_MIX: [(Language, f64); 3] = [
    (Language::Vi, 0.75),
    (Language::En, 0.15),
    (Language::Zh, 0.10),
];

/// Forms of the Vietnamese records: share without diacritics, share with old-style tone
/// placement, share decomposed (NFD; independent of the tone placement).
pub const VIETNAMESE_FORMS: VietnameseForms = VietnameseForms {
    without_diacritics: 0.10,
    old_style: 0.12,
    nfd: 0.05,
};

/// How Vietnamese records are spelled (shares of the Vietnamese records).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VietnameseForms {
    /// Typed without any diacritics.
    pub without_diacritics: f64,
    /// `hoà`, `thuỷ` instead of `hòa`, `thủy`.
    pub old_style: f64,
    /// Decomposed Unicode.
    pub nfd: f64,
}

/// Salts that give supplies, demands and queries independent random streams.
const SUPPLY_SALT: u64 = 0x5u64 << 56;
const DEMAND_SALT: u64 = 0xDu64 << 56;
const QUERY_SALT: u64 = 0x9u64 << 56;
const SUGGEST_SALT: u64 = 0xAu64 << 56;

/// Which text a chain was learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Title,
    Summary,
    Description,
    Keyword,
    Owner,
    DemandTitle,
    DemandDescription,
    Enterprise,
}

impl Part {
    /// The supply part standing in when a demand part has too little training text.
    fn fallback(self) -> Part {
        match self {
            Part::DemandTitle => Part::Title,
            Part::DemandDescription => Part::Description,
            Part::Enterprise => Part::Owner,
            other => other,
        }
    }
}

/// Fewest training units for a demand chain of its own.
const MIN_UNITS: usize = 5;

struct Model {
    vocabulary: Vocabulary,
    chains: HashMap<(Part, Language), Chain>,
    supplies: HashMap<Language, Vec<Supply>>,
    demands: HashMap<Language, Vec<Demand>>,
}

fn sector_index(sector: Option<&str>) -> Option<u8> {
    let sector = sector?;
    SECTORS
        .iter()
        .position(|(code, _)| *code == sector)
        .map(|i| i as u8)
}

fn has_diacritics(text: &str) -> bool {
    techmatch_analysis::has_diacritics(text)
}

impl Model {
    fn learn() -> Model {
        let mut model = Model {
            vocabulary: Vocabulary::new(),
            chains: HashMap::new(),
            supplies: HashMap::new(),
            demands: HashMap::new(),
        };
        for line in BUNDLED_SUPPLIES.lines().filter(|l| !l.trim().is_empty()) {
            let supply: Supply = serde_json::from_str(line).expect("bundled supply parses");
            let supply = nfc_supply(supply);
            let lang = supply
                .lang
                .unwrap_or_else(|| detect_language(&supply.full_text()));
            let sector = sector_index(supply.sector.as_deref());
            // Records typed without diacritics are made from the others, not learned from.
            if lang != Language::Vi || has_diacritics(&supply.full_text()) {
                model.learn_text(Part::Title, lang, &supply.title, sector);
                for (part, text) in [
                    (Part::Summary, &supply.summary),
                    (Part::Description, &supply.description),
                    (Part::Owner, &supply.owner),
                ] {
                    if let Some(text) = text {
                        model.learn_text(part, lang, text, sector);
                    }
                }
                for keyword in &supply.keywords {
                    model.learn_text(Part::Keyword, lang, keyword, sector);
                }
            }
            model.supplies.entry(lang).or_default().push(supply);
        }
        for line in BUNDLED_DEMANDS.lines().filter(|l| !l.trim().is_empty()) {
            let demand: Demand = serde_json::from_str(line).expect("bundled demand parses");
            let lang = demand
                .lang
                .unwrap_or_else(|| detect_language(&demand.full_text()));
            let sector = sector_index(demand.sector.as_deref());
            if lang != Language::Vi || has_diacritics(&demand.full_text()) {
                model.learn_text(Part::DemandTitle, lang, &demand.title, sector);
                if let Some(text) = &demand.description {
                    model.learn_text(Part::DemandDescription, lang, text, sector);
                }
                if let Some(text) = &demand.enterprise {
                    model.learn_text(Part::Enterprise, lang, text, sector);
                }
            }
            model.demands.entry(lang).or_default().push(demand);
        }
        model
    }

    fn learn_text(&mut self, part: Part, lang: Language, text: &str, sector: Option<u8>) {
        let text: String = text.nfc().collect();
        self.chains
            .entry((part, lang))
            .or_default()
            .learn(&mut self.vocabulary, &text, sector);
    }

    fn chain(&self, part: Part, lang: Language) -> &Chain {
        match self.chains.get(&(part, lang)) {
            Some(chain) if chain.units() >= MIN_UNITS || part.fallback() == part => chain,
            _ => &self.chains[&(part.fallback(), lang)],
        }
    }

    fn phrase(
        &self,
        part: Part,
        lang: Language,
        sector: Option<u8>,
        rng: &mut ChaCha8Rng,
    ) -> String {
        self.chain(part, lang).phrase(&self.vocabulary, sector, rng)
    }

    fn passage(
        &self,
        part: Part,
        lang: Language,
        sector: Option<u8>,
        rng: &mut ChaCha8Rng,
    ) -> String {
        self.chain(part, lang)
            .passage(&self.vocabulary, sector, rng)
    }
}

fn nfc_supply(mut supply: Supply) -> Supply {
    supply.title = supply.title.nfc().collect();
    for text in [
        &mut supply.summary,
        &mut supply.description,
        &mut supply.owner,
    ]
    .into_iter()
    .flatten()
    {
        *text = text.nfc().collect();
    }
    supply
}

/// How one Vietnamese record is spelled.
#[derive(Debug, Clone, Copy)]
struct Form {
    strip: bool,
    old_style: bool,
    nfd: bool,
}

impl Form {
    fn draw(lang: Language, rng: &mut ChaCha8Rng) -> Form {
        if lang != Language::Vi {
            return Form {
                strip: false,
                old_style: false,
                nfd: false,
            };
        }
        let f = VIETNAMESE_FORMS;
        let u: f64 = rng.random();
        let strip = u < f.without_diacritics;
        let old_style = !strip && u < f.without_diacritics + f.old_style;
        let nfd = !strip && rng.random_bool(f.nfd);
        Form {
            strip,
            old_style,
            nfd,
        }
    }

    fn apply(self, text: String) -> String {
        let mut text = text;
        if self.strip {
            text = variants::without_diacritics(&text);
        }
        if self.old_style {
            text = variants::old_style_tones(&text);
        }
        if self.nfd {
            text = variants::decomposed(&text);
        }
        text
    }
}

/// Generates supplies, demands, search-box queries and suggestion prefixes; cheap to clone.
#[derive(Clone)]
pub struct Generator {
    seed: u64,
    model: Arc<Model>,
}

impl Generator {
    /// A generator with the given seed (learning the bundled collection takes a few ms).
    pub fn new(seed: u64) -> Generator {
        Generator {
            seed,
            model: Arc::new(Model::learn()),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Distinct tokens learned from the bundled collection.
    pub fn vocabulary_size(&self) -> usize {
        self.model.vocabulary.len()
    }

    fn rng(&self, salt: u64, i: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ salt);
        rng.set_stream(i);
        rng
    }

    fn draw_language(rng: &mut ChaCha8Rng) -> Language {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        for (lang, share) in LANGUAGE_MIX {
            acc += share;
            if u < acc {
                return lang;
            }
        }
        Language::Vi
    }

    /// Supply number `i` (id `GS-nnnnnnn`), as it would arrive in an input file: possibly
    /// NFD, without a `lang`, with a province spelled any way.
    pub fn supply(&self, i: u64) -> Supply {
        let model = &self.model;
        let mut rng = self.rng(SUPPLY_SALT, i);
        let lang = Self::draw_language(&mut rng);
        let templates = &model.supplies[&lang];
        let template = templates.choose(&mut rng).expect("templates");
        let other = templates.choose(&mut rng).expect("templates");
        let sector = sector_index(template.sector.as_deref());
        let form = Form::draw(lang, &mut rng);
        let rng = &mut rng;
        let title = model.phrase(Part::Title, lang, sector, rng);
        let summary = template
            .summary
            .as_ref()
            .map(|_| model.passage(Part::Summary, lang, sector, rng));
        let description = template
            .description
            .as_ref()
            .map(|_| model.passage(Part::Description, lang, sector, rng));
        let mut keywords: Vec<String> = Vec::with_capacity(template.keywords.len());
        for _ in 0..template.keywords.len() {
            let keyword = model.phrase(Part::Keyword, lang, sector, rng);
            if !keyword.is_empty() && !keywords.contains(&keyword) {
                keywords.push(keyword);
            }
        }
        let owner = template
            .owner
            .as_ref()
            .map(|_| model.phrase(Part::Owner, lang, sector, rng));
        let updated = template.updated.as_ref().map(|_| random_date(rng));
        Supply {
            id: format!("GS-{i:07}"),
            title: form.apply(title),
            summary: summary.map(|t| form.apply(t)),
            description: description.map(|t| form.apply(t)),
            keywords: keywords.into_iter().map(|k| form.apply(k)).collect(),
            sector: template.sector.clone(),
            owner: owner.map(|t| form.apply(t)),
            country: template.country.clone(),
            province: other.province.clone().map(|p| form.apply(p)),
            lang: template.lang,
            trl: other.trl,
            transfer: template.transfer.clone(),
            updated,
            ..Default::default()
        }
    }

    /// Demand number `i` (id `GD-nnnnn`), as it would arrive in an input file.
    pub fn demand(&self, i: u64) -> Demand {
        let model = &self.model;
        let mut rng = self.rng(DEMAND_SALT, i);
        let lang = Self::draw_language(&mut rng);
        let template = model.demands[&lang].choose(&mut rng).expect("templates");
        let sector = sector_index(template.sector.as_deref());
        let form = Form::draw(lang, &mut rng);
        let rng = &mut rng;
        let title = model.phrase(Part::DemandTitle, lang, sector, rng);
        let description = template
            .description
            .as_ref()
            .map(|_| model.passage(Part::DemandDescription, lang, sector, rng));
        let enterprise = template
            .enterprise
            .as_ref()
            .map(|_| model.phrase(Part::Enterprise, lang, sector, rng));
        Demand {
            id: format!("GD-{i:05}"),
            title: form.apply(title),
            description: description.map(|t| form.apply(t)),
            sector: template.sector.clone(),
            province: template.province.clone().map(|p| form.apply(p)),
            enterprise: enterprise.map(|t| form.apply(t)),
            lang: template.lang,
            trl_min: template.trl_min,
            transfer: template.transfer.clone(),
            country: template.country.clone(),
            ..Demand::default()
        }
    }

    /// Supplies `range` as JSON Lines (one line each, no newline), in parallel.
    pub fn supply_lines(&self, range: std::ops::Range<u64>) -> Vec<String> {
        range
            .into_par_iter()
            .map(|i| serde_json::to_string(&self.supply(i)).expect("a supply serialises"))
            .collect()
    }

    /// Demands `range` as JSON Lines, in parallel.
    pub fn demand_lines(&self, range: std::ops::Range<u64>) -> Vec<String> {
        range
            .into_par_iter()
            .map(|i| serde_json::to_string(&self.demand(i)).expect("a demand serialises"))
            .collect()
    }

    /// Supplies `range` after the indexer's validation (NFC, language detected), as
    /// `techmatch index` would index them.
    pub fn validated_supplies(&self, range: std::ops::Range<u64>) -> Vec<Supply> {
        let mut validator = Validator::new("generated");
        parse_lines(self.supply_lines(range))
            .map(|raw| {
                validator
                    .supply(&raw)
                    .expect("generated supplies are valid")
            })
            .collect()
    }

    /// Demands `range` after validation.
    pub fn validated_demands(&self, range: std::ops::Range<u64>) -> Vec<Demand> {
        let mut validator = Validator::new("generated");
        parse_lines(self.demand_lines(range))
            .map(|raw| validator.demand(&raw).expect("generated demands are valid"))
            .collect()
    }

    /// Writes `supplies` supplies and `demands` demands to `supplies.jsonl` and
    /// `demands.jsonl` in `dir`, generating in parallel chunks.
    pub fn write_corpus(
        &self,
        dir: &std::path::Path,
        supplies: u64,
        demands: u64,
        mut on_progress: impl FnMut(u64),
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        const CHUNK: u64 = 20_000;
        for (name, count) in [("supplies.jsonl", supplies), ("demands.jsonl", demands)] {
            let path = dir.join(name);
            let partial = dir.join(format!(".{name}.partial"));
            let mut out =
                std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial)?);
            let mut start = 0;
            while start < count {
                let end = (start + CHUNK).min(count);
                let lines = if name == "supplies.jsonl" {
                    self.supply_lines(start..end)
                } else {
                    self.demand_lines(start..end)
                };
                for line in lines {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
                start = end;
                if name == "supplies.jsonl" {
                    on_progress(start);
                }
            }
            out.flush()?;
            drop(out);
            std::fs::rename(partial, path)?;
        }
        Ok(())
    }

    /// Search-box query number `i`: 1–4 consecutive words of a title (55%), keyword (30%)
    /// or summary of one of the first `num_supplies` supplies, lowercased, typed without
    /// diacritics 40% of the time (2–6 characters for Chinese records). Returns the text
    /// and the supply it came from (for filters).
    pub fn search_query(&self, i: u64, num_supplies: u64) -> (String, Supply) {
        let mut rng = self.rng(QUERY_SALT, i);
        let supply = self.supply(rng.random_range(0..num_supplies.max(1)));
        let u: f64 = rng.random();
        let source = if u < 0.55 {
            supply.title.clone()
        } else if u < 0.85 && !supply.keywords.is_empty() {
            supply
                .keywords
                .choose(&mut rng)
                .cloned()
                .unwrap_or_default()
        } else {
            supply
                .summary
                .clone()
                .unwrap_or_else(|| supply.title.clone())
        };
        let source: String = source.nfc().collect();
        let len = *[1usize, 2, 2, 2, 3, 3, 4, 4]
            .choose(&mut rng)
            .expect("lengths");
        let text = if source.chars().any(techmatch_analysis::segment::is_cjk) {
            cjk_window(&source, &mut rng)
        } else {
            let words: Vec<&str> = source
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .filter(|w| !w.is_empty())
                .collect();
            let len = len.min(words.len()).max(1);
            let start = rng.random_range(0..=words.len().saturating_sub(len));
            words[start.min(words.len())..(start + len).min(words.len())].join(" ")
        };
        let text = text.to_lowercase();
        let text = if rng.random_bool(0.4) {
            variants::without_diacritics(&text)
        } else {
            text
        };
        (text, supply)
    }

    /// Suggestion prefix number `i`: the first 1–3 words of a title with the last one cut
    /// short (as typed, 40% without diacritics).
    pub fn suggest_prefix(&self, i: u64, num_supplies: u64) -> String {
        let mut rng = self.rng(SUGGEST_SALT, i);
        let supply = self.supply(rng.random_range(0..num_supplies.max(1)));
        let title: String = supply.title.nfc().collect();
        let text = if title.chars().any(techmatch_analysis::segment::is_cjk) {
            let chars: Vec<char> = title
                .chars()
                .filter(|c| techmatch_analysis::segment::is_cjk(*c))
                .collect();
            let n = rng.random_range(1..=3usize).min(chars.len());
            chars[..n].iter().collect()
        } else {
            let words: Vec<&str> = title
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .filter(|w| !w.is_empty())
                .collect();
            let n = rng.random_range(1..=3usize).min(words.len()).max(1);
            let mut parts: Vec<String> = words.iter().take(n).map(|w| w.to_string()).collect();
            if let Some(last) = parts.last_mut() {
                let chars: Vec<char> = last.chars().collect();
                if chars.len() > 2 {
                    let keep = rng.random_range(2..chars.len());
                    *last = chars[..keep].iter().collect();
                }
            }
            parts.join(" ")
        };
        let text = text.to_lowercase();
        if rng.random_bool(0.4) {
            variants::without_diacritics(&text)
        } else {
            text
        }
    }
}

fn cjk_window(text: &str, rng: &mut ChaCha8Rng) -> String {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| techmatch_analysis::segment::is_cjk(*c))
        .collect();
    let len = rng.random_range(2..=6usize).min(chars.len());
    let start = rng.random_range(0..=chars.len() - len);
    chars[start..start + len].iter().collect()
}

fn random_date(rng: &mut ChaCha8Rng) -> String {
    let year = rng.random_range(2018..=2026);
    let month = if year == 2026 {
        rng.random_range(1..=9)
    } else {
        rng.random_range(1..=12)
    };
    let day = rng.random_range(1..=28);
    format!("{year}-{month:02}-{day:02}")
}

fn parse_lines(lines: Vec<String>) -> impl Iterator<Item = read::RawRecord> {
    let mut bytes = lines.join("\n").into_bytes();
    bytes.push(b'\n');
    read::read_jsonl("generated", std::io::Cursor::new(bytes), Default::default())
        .map(|row| row.expect("generated lines parse"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_depend_only_on_seed_and_number() {
        let a = Generator::new(1);
        let b = Generator::new(1);
        assert_eq!(a.supply(123), b.supply(123));
        assert_eq!(a.demand(5), b.demand(5));
        assert_ne!(a.supply(123), Generator::new(2).supply(123));
    }

    #[test]
    fn generated_records_pass_validation() {
        let generator = Generator::new(42);
        assert_eq!(generator.validated_supplies(0..300).len(), 300);
        assert_eq!(generator.validated_demands(0..100).len(), 100);
    }

    #[test]
    fn language_mix_is_close_to_the_target() {
        let supplies = Generator::new(42).validated_supplies(0..2000);
        let share = |lang| supplies.iter().filter(|s| s.lang == Some(lang)).count() as f64 / 2000.0;
        assert!(
            (share(Language::Vi) - 0.75).abs() < 0.05,
            "vi {}",
            share(Language::Vi)
        );
        assert!(
            (share(Language::En) - 0.15).abs() < 0.05,
            "en {}",
            share(Language::En)
        );
        assert!(
            (share(Language::Zh) - 0.10).abs() < 0.04,
            "zh {}",
            share(Language::Zh)
        );
    }
}
