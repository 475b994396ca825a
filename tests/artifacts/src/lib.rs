//! Paths of the WebAssembly components the integration tests run, built by
//! this crate's build.rs: one constant per guest program of tests/guests
//! (`SCRIPTED`, `SNOOP`, …) and per example job (`JOB_UNPUBLISHED_COURSES`,
//! …), plus `ROOT`, the repository root.

include!(concat!(env!("OUT_DIR"), "/components.rs"));
