//! The one place a request leaves the job: the WIT import
//! `warden:canvas/api.request`, or, with the `test-support` feature, the
//! `testing::FakeCanvas` installed on the current thread.

use crate::raw;

/// Carries `req` to the host (or to the installed fake) and returns its
/// answer.
#[inline]
pub(crate) fn send(req: &raw::HttpRequest) -> Result<raw::HttpResponse, raw::Error> {
    #[cfg(feature = "test-support")]
    if let Some(reply) = crate::testing::intercept(req) {
        return reply;
    }
    raw::request(req)
}
