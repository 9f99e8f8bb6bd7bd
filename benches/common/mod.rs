//! What the bench binaries share: where their data lives, the generated corpus, and the
//! measurements (memory, CPU clocks, load average). Each bench includes this folder with
//! `#[path = "../common/mod.rs"] mod common;`, so a bench may leave some of it unused.
#![allow(dead_code)]

pub mod data;
pub mod measure;
