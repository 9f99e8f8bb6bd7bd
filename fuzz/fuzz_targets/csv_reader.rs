//! Arbitrary bytes as a CSV file: read, validate as supplies and demands, index.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use techmatch_fuzz::{check_rows, CSV_NAME, READ_OPTIONS};
use techmatch_indexer::read::read_csv;

fuzz_target!(|data: &[u8]| {
    let rows = read_csv(CSV_NAME, Cursor::new(data.to_vec()), READ_OPTIONS);
    check_rows(CSV_NAME, rows);
});
