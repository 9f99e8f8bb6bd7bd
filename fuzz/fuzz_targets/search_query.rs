//! Arbitrary bytes as a search-box query string and a demand body, checked and run against
//! a small index of bundled supplies.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| techmatch_fuzz::check_search(data));
