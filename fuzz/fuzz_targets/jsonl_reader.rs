//! Arbitrary bytes as a JSON Lines file: read, validate as supplies and demands, index.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| techmatch_fuzz::jsonl_reader(data));
