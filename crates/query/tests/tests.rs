//! Integration tests of techmatch-query on the bundled collection (one test binary).

mod common;
mod demand_matching;
mod long_text;
mod search_box;
mod translations;
