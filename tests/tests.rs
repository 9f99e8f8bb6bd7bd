//! End-to-end tests of the `techmatch` binary: one test binary, one module per command.

mod browser;
mod common;
mod exchange;
mod fuzz_seeds;
mod http;
mod index_cli;
mod run_files;
