//! What the clients send: a mix of request kinds, and for each kind a pool of requests
//! drawn from the corpus generator (the same generator, seed and supplies as the index).

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};
use hyper::body::Bytes;
use serde_json::Value;
use techmatch_corpus::Generator;

/// The kinds of request, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `GET /api/search`: the search box.
    Search,
    /// `GET /api/suggest`: completions as the user types.
    Suggest,
    /// `POST /api/match`: one demand.
    Match,
    /// `PUT /api/supplies/{id}`: a new supply, one commit.
    Write,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 4] = [Kind::Search, Kind::Suggest, Kind::Match, Kind::Write];

    /// The name used in options and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Search => "search",
            Kind::Suggest => "suggest",
            Kind::Match => "match",
            Kind::Write => "write",
        }
    }

    /// Position in [`Kind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Relative weights of the kinds.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    weights: [u32; 4],
}

impl Mix {
    /// The mix of issue 10: mostly the search box, some suggestions and demands, few writes.
    pub const DEFAULT: Mix = Mix {
        weights: [80, 12, 6, 2],
    };
    /// Search-box requests only: the pure search throughput ceiling.
    pub const SEARCH_ONLY: Mix = Mix {
        weights: [100, 0, 0, 0],
    };

    /// Parses `search=80,suggest=12,match=6,write=2` (kinds left out weigh 0).
    pub fn parse(text: &str) -> Result<Mix> {
        let mut weights = [0u32; 4];
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .with_context(|| format!("mix: '{part}' is not KIND=WEIGHT"))?;
            let kind = Kind::ALL
                .into_iter()
                .find(|k| k.name() == name.trim())
                .with_context(|| format!("mix: unknown kind '{name}'"))?;
            weights[kind.index()] = weight
                .trim()
                .parse()
                .with_context(|| format!("mix: weight of {name}"))?;
        }
        if weights.iter().all(|&w| w == 0) {
            bail!("mix: every weight is 0");
        }
        Ok(Mix { weights })
    }

    /// The kind for a uniform random number.
    pub fn pick(&self, random: u64) -> Kind {
        let total: u64 = self.weights.iter().map(|&w| u64::from(w)).sum();
        let mut at = random % total;
        for kind in Kind::ALL {
            let weight = u64::from(self.weights[kind.index()]);
            if at < weight {
                return kind;
            }
            at -= weight;
        }
        unreachable!("the weights add up to the total")
    }

    /// `search=80,suggest=12,...` for reports.
    pub fn describe(&self) -> String {
        Kind::ALL
            .iter()
            .map(|k| format!("{}={}", k.name(), self.weights[k.index()]))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether the mix sends any request of this kind.
    pub fn has(&self, kind: Kind) -> bool {
        self.weights[kind.index()] > 0
    }
}

/// One request to send.
pub struct Request {
    /// Its kind.
    pub kind: Kind,
    /// `GET`, `POST` or `PUT`.
    pub method: &'static str,
    /// Path and query string.
    pub path: String,
    /// JSON body, if any.
    pub body: Option<Bytes>,
    /// Whether it needs the API key.
    pub authorized: bool,
}

/// Sizes of the request pools; each client draws from them at random.
pub struct Pools {
    /// Distinct search-box requests.
    pub searches: u64,
    /// Distinct suggestion prefixes.
    pub suggestions: u64,
    /// Distinct demands.
    pub demands: u64,
    /// Distinct new supplies (each write gets a new id, so bodies may repeat).
    pub writes: u64,
}

/// First generated record number of the written supplies: far past the indexed ones, so
/// the written texts are new.
const WRITE_RECORDS_FROM: u64 = 50_000_000;

/// The request pools and the mix.
pub struct Workload {
    mix: Mix,
    searches: Vec<String>,
    suggestions: Vec<String>,
    demands: Vec<Bytes>,
    writes: Vec<Bytes>,
    write_prefix: String,
    written: AtomicU64,
    /// Cumulative popularity of the search pool's entries (empty: uniform).
    search_popularity: Vec<f64>,
    /// The same for the suggestion pool.
    suggest_popularity: Vec<f64>,
}

/// Cumulative Zipf weights `1/k^s` of `n` entries, normalised to end at 1; empty when
/// `s` is 0 (uniform).
fn zipf_cumulative(n: usize, s: f64) -> Vec<f64> {
    if s <= 0.0 {
        return Vec::new();
    }
    let mut total = 0.0;
    let mut cumulative: Vec<f64> = (1..=n)
        .map(|k| {
            total += 1.0 / (k as f64).powf(s);
            total
        })
        .collect();
    for c in &mut cumulative {
        *c /= total;
    }
    cumulative
}

/// An index in `0..n` drawn uniformly from `random`.
fn uniform(n: usize, random: u64) -> usize {
    (random % n as u64) as usize
}

/// An index in `0..n` drawn from `random`: uniform, or by the cumulative weights.
fn draw(n: usize, cumulative: &[f64], random: u64) -> usize {
    if cumulative.is_empty() {
        return uniform(n, random);
    }
    let u = (random >> 11) as f64 / (1u64 << 53) as f64;
    cumulative.partition_point(|&c| c < u).min(n - 1)
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

impl Workload {
    /// Builds the pools for an index of the first `supplies` supplies of `generator`.
    ///
    /// Search-box requests are the generator's queries (1–4 words of a title, keyword or
    /// summary, 40% typed without diacritics); a quarter are filtered by the source
    /// record's sector and a tenth by its province, as in the scale bench; 70% ask for page
    /// 1, 20% page 2, 10% page 3. `search_extra` (e.g. `facets=false`) is appended to
    /// every search. Writes get ids `{write_prefix}{n}`. With `zipf` > 0, searches and
    /// prefixes are drawn by popularity (the k-th with weight `1/k^zipf`), not uniformly.
    pub fn build(
        generator: &Generator,
        supplies: u64,
        mix: Mix,
        pools: &Pools,
        search_extra: Option<&str>,
        write_prefix: &str,
        zipf: f64,
    ) -> Result<Workload> {
        let searches = (0..pools.searches)
            .map(|i| {
                let (q, supply) = generator.search_query(i, supplies);
                let mut pairs: Vec<(&str, &str)> = vec![("q", &q)];
                if i % 4 == 0 {
                    if let Some(sector) = &supply.sector {
                        pairs.push(("sector", sector));
                    }
                }
                if i % 10 == 1 {
                    if let Some(province) = &supply.province {
                        pairs.push(("province", province));
                    }
                }
                let page = match i % 10 {
                    0..=6 => "1",
                    7 | 8 => "2",
                    _ => "3",
                };
                if page != "1" {
                    pairs.push(("page", page));
                }
                let mut path = format!("/api/search?{}", query_string(&pairs));
                if let Some(extra) = search_extra {
                    path.push('&');
                    path.push_str(extra);
                }
                path
            })
            .collect();
        let suggestions = (0..pools.suggestions)
            .map(|i| {
                let prefix = generator.suggest_prefix(i, supplies);
                format!("/api/suggest?{}", query_string(&[("q", &prefix)]))
            })
            .collect();
        let demands = if mix.has(Kind::Match) {
            generator
                .demand_lines(0..pools.demands)
                .into_iter()
                .map(Bytes::from)
                .collect()
        } else {
            Vec::new()
        };
        let writes = if mix.has(Kind::Write) {
            generator
                .supply_lines(WRITE_RECORDS_FROM..WRITE_RECORDS_FROM + pools.writes)
                .into_iter()
                .map(|line| {
                    // The path gives the id: the generated one would contradict it.
                    let mut record: Value = serde_json::from_str(&line)?;
                    if let Some(fields) = record.as_object_mut() {
                        fields.remove("id");
                    }
                    Ok(Bytes::from(serde_json::to_vec(&record)?))
                })
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        let search_popularity = zipf_cumulative(pools.searches as usize, zipf);
        let suggest_popularity = zipf_cumulative(pools.suggestions as usize, zipf);
        Ok(Workload {
            search_popularity,
            suggest_popularity,
            mix,
            searches,
            suggestions,
            demands,
            writes,
            write_prefix: write_prefix.to_string(),
            written: AtomicU64::new(0),
        })
    }

    /// The mix.
    pub fn mix(&self) -> Mix {
        self.mix
    }

    /// Supplies written so far (ids handed out).
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// The next request of a client, drawn with its random stream.
    pub fn next(&self, rng: &mut SplitMix) -> Request {
        let kind = self.mix.pick(rng.next());
        match kind {
            Kind::Search => Request {
                kind,
                method: "GET",
                path: self.searches[draw(self.searches.len(), &self.search_popularity, rng.next())]
                    .clone(),
                body: None,
                authorized: false,
            },
            Kind::Suggest => Request {
                kind,
                method: "GET",
                path: self.suggestions
                    [draw(self.suggestions.len(), &self.suggest_popularity, rng.next())]
                .clone(),
                body: None,
                authorized: false,
            },
            Kind::Match => Request {
                kind,
                method: "POST",
                path: "/api/match".to_string(),
                body: Some(self.demands[uniform(self.demands.len(), rng.next())].clone()),
                authorized: false,
            },
            Kind::Write => {
                let n = self.written.fetch_add(1, Ordering::Relaxed);
                Request {
                    kind,
                    method: "PUT",
                    path: format!("/api/supplies/{}{n}", self.write_prefix),
                    body: Some(self.writes[uniform(self.writes.len(), n)].clone()),
                    authorized: true,
                }
            }
        }
    }
}

/// A small, fast random stream (SplitMix64): one per client, seeded by its number, so a
/// run's request sequence per client is reproducible.
pub struct SplitMix(u64);

impl SplitMix {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
