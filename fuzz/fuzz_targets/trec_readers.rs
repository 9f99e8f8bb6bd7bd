//! Arbitrary text as a qrels file and a run file; when both parse, the evaluation must
//! stay finite and within [0, 1].
//!
//! The two formats have different column counts, so one text is rarely both: a NUL
//! splits the input into the qrels part and the run part; without one, the whole text
//! is given to both parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| techmatch_fuzz::trec_readers(data));
