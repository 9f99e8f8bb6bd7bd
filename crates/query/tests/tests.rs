//! Integration tests of techmatch-query on the bundled collection (one test binary).

mod common;
mod counting;
mod demand_matching;
mod long_text;
mod matching;
mod search_box;
mod translations;
