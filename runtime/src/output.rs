//! A job's stdout or stderr: forwarded as it is written (to the terminal for
//! `warden run`), bounded, and with its tail kept for the run report.
//!
//! Past the limit, writes are accepted and dropped: the guest's `println!`
//! keeps working (a stream that reported "closed" would make it panic), and
//! one notice says the output was truncated.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Where forwarded output goes.
pub type Sink = Box<dyn Write + Send>;

/// One captured stream. Clones share state.
#[derive(Clone)]
pub struct Capture {
    inner: Arc<Mutex<State>>,
}

struct State {
    limit: usize,
    written: usize,
    truncated: bool,
    tail: VecDeque<u8>,
    tail_limit: usize,
    sink: Option<Sink>,
}

impl Capture {
    /// Forwards up to `limit` bytes to `sink` and keeps the last `tail_limit`
    /// of those.
    pub fn new(limit: usize, tail_limit: usize, sink: Option<Sink>) -> Capture {
        Capture {
            inner: Arc::new(Mutex::new(State {
                limit,
                written: 0,
                truncated: false,
                tail: VecDeque::new(),
                tail_limit,
                sink,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, bytes: &[u8]) {
        let mut s = self.state();
        let room = s.limit.saturating_sub(s.written);
        let kept = &bytes[..bytes.len().min(room)];
        s.written += kept.len();
        let tail_limit = s.tail_limit;
        s.tail.extend(kept);
        let excess = s.tail.len().saturating_sub(tail_limit);
        s.tail.drain(..excess);
        if let Some(sink) = s.sink.as_mut() {
            // A closed terminal must not fail the job.
            let _ = sink.write_all(kept);
        }
        if kept.len() < bytes.len() && !s.truncated {
            s.truncated = true;
            let notice = format!("\n[warden: output truncated after {} bytes]\n", s.limit);
            if let Some(sink) = s.sink.as_mut() {
                let _ = sink.write_all(notice.as_bytes());
            }
        }
    }

    fn flush(&self) {
        if let Some(sink) = self.state().sink.as_mut() {
            let _ = sink.flush();
        }
    }

    /// The last bytes written (lossy UTF-8).
    pub fn tail(&self) -> String {
        let s = self.state();
        let (a, b) = s.tail.as_slices();
        String::from_utf8_lossy(&[a, b].concat()).into_owned()
    }

    /// Whether output was dropped past the limit.
    pub fn truncated(&self) -> bool {
        self.state().truncated
    }

    /// Bytes written (up to the limit).
    pub fn len(&self) -> usize {
        self.state().written
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(AsyncCapture(self.clone()))
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

/// Most a guest may write in one call; any positive number works.
const WRITE_PERMIT: usize = 64 * 1024;

impl OutputStream for Capture {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        Capture::write(self, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Capture::flush(self);
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    async fn ready(&mut self) {}
}

struct AsyncCapture(Capture);

impl tokio::io::AsyncWrite for AsyncCapture {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0.write(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.0.flush();
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn forwards_until_the_limit_then_drops_with_one_notice() {
        let sink = Shared::default();
        let mut c = Capture::new(10, 4, Some(Box::new(sink.clone())));
        OutputStream::write(&mut c, Bytes::from_static(b"hello ")).unwrap();
        OutputStream::write(&mut c, Bytes::from_static(b"world, again")).unwrap();
        OutputStream::write(&mut c, Bytes::from_static(b"more")).unwrap();
        assert!(c.truncated());
        assert_eq!(c.len(), 10);
        assert_eq!(c.tail(), "worl");
        let seen = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            seen,
            "hello worl\n[warden: output truncated after 10 bytes]\n"
        );
        assert_eq!(c.check_write().unwrap(), WRITE_PERMIT);
    }
}
