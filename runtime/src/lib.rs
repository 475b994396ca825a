//! Warden runs sandboxed automation jobs, compiled to WebAssembly, against the
//! Canvas LMS REST API, holding the API token itself so that no job ever sees
//! it.
//!
//! A job is a WASI command component that imports one interface,
//! `warden:canvas/api` (`wit/canvas.wit`). Its manifest ([`manifest`])
//! declares, in Canvas's own scope syntax, the endpoints it may call. Every
//! request goes guest → [`host`] → [`request::check`] (parse and scope check,
//! no I/O) → [`client`] (token injection, HTTP) → [`redact`] → guest.
//!
//! Modules, by concern:
//! - [`config`], [`manifest`], [`units`], [`schedule`], [`diag`]: the files a
//!   user writes, strictly validated, with errors naming file, line, column.
//! - [`scope`], [`request`], [`catalog`]: Canvas scope semantics and the
//!   refusal rules for guest requests; pure code.
//! - [`privilege`]: least privilege for admins (which scopes a request
//!   needs, the fewest a job needs, unused scopes, manifest diffs); pure.
//! - [`token`], [`redact`]: the secret and keeping it out of everything.
//! - [`sandbox`], [`host`], [`client`], [`output`], [`run`]: running a job.
//! - [`governor`], [`retry`], [`dry_run`]: how the host sends for a job:
//!   one rate-limit governor for every run, retries, and dry runs.
//! - [`alerts`]: webhooks told when a run fails (and recovers).
//! - [`standin`]: a Canvas stand-in with seeded data, for tests and the demo.

/// Implements `Deserialize` for types that parse from a string with
/// `FromStr`, so that a parse error becomes a serde error at the string's
/// position in the TOML file (line and column).
macro_rules! deserialize_from_str {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    )*};
}

pub mod alerts;
pub mod cache;
pub mod catalog;
pub mod client;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod dashboard;
pub mod diag;
pub mod dry_run;
pub mod fixtures;
pub mod governor;
pub mod history;
pub mod host;
pub mod manifest;
pub mod metrics;
pub mod oauth;
pub mod output;
pub mod privilege;
pub mod redact;
pub mod request;
pub mod retry;
pub mod run;
pub mod sandbox;
pub mod schedule;
pub mod scheduler;
pub mod scope;
pub mod standin;
pub mod suggest;
pub mod token;
pub mod units;
