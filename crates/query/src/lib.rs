//! techmatch queries: the search box and demand matching over a supply index.
//!
//! A question never reaches tantivy as text: it is analysed with the same analyzers as the
//! records ([`terms`]), and the tantivy query is built in code ([`build`]): exact-diacritics
//! terms boosted over folded ones, spelling variants, typo and prefix matches, bigram
//! (compound) bonuses, and field weights. [`search::Searcher`] runs search-box requests with
//! [`filters`], [`facets`] (each dimension ignoring its own filter), [`highlight`]ed
//! snippets on the original text, and [`suggest`]ions. [`demand::DemandMatcher`] matches
//! demands to supplies; [`table`] lays matches out as spreadsheet rows; [`params`] reads
//! and checks requests as they arrive from outside. With the `http` feature, the `http`
//! module serves all of it (`techmatch serve`); without it, the engine builds, benches and
//! fuzzes without the server's dependencies.
#![deny(missing_docs)]

pub mod baseline;
pub mod build;
pub mod collapse;
pub mod demand;
pub mod error;
pub mod expand;
pub mod facets;
pub mod filters;
pub mod flat;
pub use techmatch_indexer::glossary;
pub mod highlight;
#[cfg(feature = "http")]
pub mod http;
pub mod matching;
pub mod pair;
pub mod params;
pub mod pruned;
pub mod record_sets;
pub mod reverse;
pub mod search;
pub mod shortlist;
pub mod suggest;
pub mod table;
pub mod terms;
pub mod translations;

pub use build::Tuning;
pub use demand::{DemandMatcher, DemandResult, Match, MatchOptions};
pub use error::{QueryError, Result};
pub use filters::{FacetDim, Filters};
pub use params::RequestLimits;
pub use reverse::{DemandMatch, SupplyMatcher, SupplyResult};
pub use search::{Hit, SearchRequest, SearchResponse, Searcher, Sort};
