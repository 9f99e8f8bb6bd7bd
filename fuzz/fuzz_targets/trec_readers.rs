//! Arbitrary text as a qrels file and a run file; when both parse, the evaluation must
//! stay finite and within [0, 1].
//!
//! The two formats have different column counts, so one text is rarely both: a NUL
//! splits the input into the qrels part and the run part; without one, the whole text
//! is given to both parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use techmatch_eval::{evaluate, Qrels, Run};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (qrels_text, run_text) = text.split_once('\0').unwrap_or((&text, &text));
    let qrels = Qrels::parse("fuzz.qrels", qrels_text);
    let run = Run::parse("fuzz.run", run_text);
    if let (Ok(qrels), Ok(run)) = (qrels, run) {
        techmatch_fuzz::check_evaluation(&evaluate(&qrels, &run, 10));
    }
});
