//! [`Call`]: a request whose answer is one typed value.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::canvas::Request;
use crate::error::Result;
use crate::response::Response;

type Decode<T> = Box<dyn FnOnce(Response) -> Result<T>>;

/// A request that answers with one `T`, built by a typed helper such as
/// [`crate::canvas::courses::get`]. Nothing is sent until [`Call::send`], so
/// the request can still be given queries and headers:
///
/// ```no_run
/// use warden_sdk::canvas::courses;
///
/// # fn main() -> warden_sdk::Result<()> {
/// let course = courses::get(42).include("term").send()?;
/// println!("{:?} in {:?}", course.name, course.term.and_then(|t| t.name));
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until it is sent"]
pub struct Call<T> {
    request: Result<Request>,
    decode: Decode<T>,
}

impl<T: DeserializeOwned + 'static> Call<T> {
    /// A call that sends `request` and parses the body as JSON into `T`.
    pub fn new(request: Request) -> Call<T> {
        Call::with_decoder(Ok(request), |response| response.json())
    }
}

impl<T> Call<T> {
    /// A call that sends `request` (or fails with its error, e.g. a body
    /// that could not be encoded) and turns the response into `T` with
    /// `decode`.
    pub(crate) fn with_decoder(
        request: Result<Request>,
        decode: impl FnOnce(Response) -> Result<T> + 'static,
    ) -> Call<T> {
        Call {
            request,
            decode: Box::new(decode),
        }
    }

    fn map(mut self, f: impl FnOnce(Request) -> Request) -> Call<T> {
        self.request = self.request.map(f);
        self
    }

    /// Adds a query parameter (see [`Request::query`]).
    pub fn query(self, key: impl Into<String>, value: impl ToString) -> Call<T> {
        self.map(|r| r.query(key, value))
    }

    /// Asks Canvas to include more data: `include[]=what`. May be repeated.
    pub fn include(self, what: &str) -> Call<T> {
        self.query("include[]", what)
    }

    /// Adds a header (see [`Request::header`]).
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Call<T> {
        self.map(|r| r.header(name, value))
    }

    /// The request as it will be sent; `None` when it could not be built
    /// (then [`Call::send`] returns why).
    pub fn request(&self) -> Option<&Request> {
        self.request.as_ref().ok()
    }

    /// Sends the request and returns the typed answer. A status of 400 or
    /// more is an [`crate::Error::Status`] with Canvas's messages, as for
    /// [`Request::send`].
    pub fn send(self) -> Result<T> {
        let response = self.request?.send()?;
        (self.decode)(response)
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}
