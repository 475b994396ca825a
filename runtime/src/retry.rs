//! Which failed attempts the host tries again, and how long it waits first.
//! Pure decisions; the host does the waiting.
//!
//! - Throttled (429, or 403 with "Rate Limit Exceeded" in the body): Canvas
//!   did not process the request, so it is retried for every method.
//! - A 5xx answer or a connection failure: retried for GET, HEAD, PUT and
//!   DELETE only. POST and PATCH may not be idempotent, so they are never
//!   retried automatically: the job gets the answer (or `unavailable`) and
//!   decides.
//!
//! Waits double from a base and carry jitter (each wait is drawn from the
//! upper half of its doubled base), so that jobs failing together do not
//! come back together.

use std::time::Duration;

use crate::client::{CanvasResponse, SendError};
use crate::scope::Method;

/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Why an attempt might be worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Canvas refused it for the rate limit.
    Throttled,
    /// Canvas answered 5xx.
    ServerError,
    /// No answer: connection refused or reset, TLS, protocol.
    Transport,
}

/// Canvas Cloud answers 429; open-source Canvas answers 403 with "Rate
/// Limit Exceeded" in the body.
pub fn is_throttled(r: &CanvasResponse) -> bool {
    r.status == 429
        || (r.status == 403 && memchr::memmem::find(&r.body, b"Rate Limit Exceeded").is_some())
}

/// What kind of failure an attempt was, if any. A response that was too
/// large, or a header that cannot be sent, would fail the same way again.
pub fn classify(result: &Result<CanvasResponse, SendError>) -> Option<Failure> {
    match result {
        Ok(r) if is_throttled(r) => Some(Failure::Throttled),
        Ok(r) if r.status >= 500 => Some(Failure::ServerError),
        Ok(_) => None,
        Err(SendError::Transport(_)) => Some(Failure::Transport),
        Err(SendError::TooLarge { .. } | SendError::Header(_)) => None,
    }
}

/// Methods that mean the same when sent twice.
pub fn is_idempotent(method: Method) -> bool {
    matches!(
        method,
        Method::Get | Method::Head | Method::Put | Method::Delete | Method::Options
    )
}

/// Whether a `method` request that failed this way may be sent again.
pub fn may_retry(method: Method, failure: Failure) -> bool {
    match failure {
        Failure::Throttled => true,
        Failure::ServerError | Failure::Transport => is_idempotent(method),
    }
}

/// `base` doubled `times` times (at most 16), saturating.
pub fn doubled(base: Duration, times: u32) -> Duration {
    base.saturating_mul(1u32 << times.min(16))
}

/// The wait before retry number `retry` (1 for the first): `base` doubled
/// `retry - 1` times, then scaled by `jitter` (0 to 1) into the upper half.
pub fn backoff(base: Duration, retry: u32, jitter: f64) -> Duration {
    let doubled = doubled(base, retry.saturating_sub(1));
    let jitter = jitter.clamp(0.0, 1.0);
    doubled.mul_f64(0.5 + 0.5 * jitter)
}

/// A `Retry-After` header in whole seconds (the HTTP-date form is not
/// used by Canvas), at most [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &[(String, String)]) -> Option<Duration> {
    let value = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("retry-after"))?;
    let seconds: u64 = value.1.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> CanvasResponse {
        CanvasResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn throttling_is_recognised_in_both_forms() {
        assert!(is_throttled(&response(429, "")));
        assert!(is_throttled(&response(
            403,
            "403 Forbidden (Rate Limit Exceeded)\n"
        )));
        assert!(!is_throttled(&response(
            403,
            "{\"errors\":[{\"message\":\"unauthorized\"}]}"
        )));
        assert!(!is_throttled(&response(200, "Rate Limit Exceeded")));
    }

    #[test]
    fn failures_are_classified() {
        let c = |r: Result<CanvasResponse, SendError>| classify(&r);
        assert_eq!(c(Ok(response(429, ""))), Some(Failure::Throttled));
        assert_eq!(
            c(Ok(response(403, "403 Forbidden (Rate Limit Exceeded)"))),
            Some(Failure::Throttled)
        );
        assert_eq!(c(Ok(response(500, ""))), Some(Failure::ServerError));
        assert_eq!(c(Ok(response(503, ""))), Some(Failure::ServerError));
        for ok in [200, 204, 302, 400, 403, 404, 422] {
            assert_eq!(c(Ok(response(ok, ""))), None, "{ok}");
        }
        assert_eq!(
            c(Err(SendError::Transport("connection refused".into()))),
            Some(Failure::Transport)
        );
        assert_eq!(c(Err(SendError::TooLarge { limit: 1 })), None);
        assert_eq!(c(Err(SendError::Header("x".into()))), None);
    }

    #[test]
    fn post_and_patch_are_retried_only_when_throttled() {
        for m in [Method::Get, Method::Head, Method::Put, Method::Delete] {
            assert!(may_retry(m, Failure::ServerError), "{m}");
            assert!(may_retry(m, Failure::Transport), "{m}");
            assert!(may_retry(m, Failure::Throttled), "{m}");
        }
        for m in [Method::Post, Method::Patch] {
            assert!(!may_retry(m, Failure::ServerError), "{m}");
            assert!(!may_retry(m, Failure::Transport), "{m}");
            assert!(may_retry(m, Failure::Throttled), "{m}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 1, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(base, 1, 0.0), Duration::from_millis(50));
        assert_eq!(backoff(base, 2, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(base, 3, 0.5), Duration::from_millis(300));
        assert_eq!(backoff(base, 0, 1.0), Duration::from_millis(100));
        // Never overflows.
        assert!(backoff(Duration::from_secs(1), 1000, 1.0) <= Duration::from_secs(65_536));
        assert_eq!(backoff(base, 1, 7.0), Duration::from_millis(100));
    }

    #[test]
    fn retry_after_is_read_and_capped() {
        let h = |v: &str| vec![("Retry-After".to_string(), v.to_string())];
        assert_eq!(retry_after(&h("3")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&h("86400")), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&h("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(&[]), None);
    }
}
