//! The fuzz targets' seed corpora and the crashes found so far, replayed in process.
//!
//! `fuzz/src/lib.rs` holds each target's entry point and its invariants; the binaries in
//! `fuzz/fuzz_targets/` only hand libFuzzer's bytes to them. Including the file here runs
//! every seed (`fuzz/corpus/<target>/`) and regression (`fuzz/regressions/<target>/`) in
//! the ordinary test build, without building the fuzz workspace (`scripts/check-fuzz`
//! does that, for someone about to fuzz).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[path = "../fuzz/src/lib.rs"]
mod targets;

#[test]
fn every_fuzz_seed_and_regression_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, run) in targets::TARGETS {
        let mut seeds = 0;
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .map(|e| e.expect("a directory entry").path())
                .collect();
            paths.sort();
            for path in paths {
                let data = std::fs::read(&path).expect("a readable seed");
                seeds += 1;
                if catch_unwind(AssertUnwindSafe(|| run(&data))).is_err() {
                    failures.push(path.display().to_string());
                }
            }
        }
        assert!(
            seeds > 0,
            "fuzz target {target} has no seeds under fuzz/corpus/{target}"
        );
        replayed += seeds;
    }
    assert!(
        failures.is_empty(),
        "fuzz inputs that fail (see the panics above): {failures:#?}"
    );
    eprintln!("replayed {replayed} fuzz inputs");
}
