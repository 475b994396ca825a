//! Warden's integration tests: real components (built by
//! tests/artifacts/build.rs) running in the real sandbox against the Canvas
//! stand-in. One test binary, so each component is compiled once.

mod alerts;
mod authoring;
mod browser;
mod cache;
mod cli;
mod commands;
mod daemon;
mod dashboard;
mod deploy;
mod dry_run;
mod durability;
mod jobs;
mod logs_json;
mod newcomer;
mod oauth;
mod oauth_flow;
mod privilege;
mod request_path;
mod sandbox;
mod scopes_cli;
mod sdk;
mod secrecy;
mod serve;
mod support;
mod throttle;
mod ui;
