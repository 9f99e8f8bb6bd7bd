//! Arbitrary bytes, read as lossy UTF-8, through the analyzer and the language detector.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| techmatch_fuzz::analyzer(data));
