//! Integration tests of techmatch-eval, one test binary:
//! [`crosscheck`] compares every metric with trec_eval (through pytrec_eval) on the
//! fixtures, [`properties`] checks invariants on arbitrary qrels and runs.

mod crosscheck;
mod properties;
