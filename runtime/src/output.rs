//! A job's stdout or stderr: forwarded as it is written (to the terminal for
//! `warden run`), bounded, and with its tail kept for the run report.
//!
//! Past the limit, writes are accepted and dropped: the guest's `println!`
//! keeps working (a stream that reported "closed" would make it panic), and
//! one notice says the output was truncated.
//!
//! A buffered capture (stdout when it is not a terminal, as C's stdio does)
//! forwards in blocks of up to [`BLOCK`] bytes instead of a write per line:
//! the guest's flushes are not passed on, [`Capture::flush_pending`] is called
//! every [`FLUSH_EVERY`] while the job runs and once when it ends, so no
//! line waits longer than that.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Where forwarded output goes.
pub type Sink = Box<dyn Write + Send>;

/// Most bytes a buffered capture holds before it forwards them.
pub const BLOCK: usize = 16 << 10;
/// Longest a buffered line waits before it is forwarded.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

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
    /// Forwarded bytes not yet written to `sink` (buffered captures only).
    pending: Option<Vec<u8>>,
}

impl Capture {
    /// Forwards up to `limit` bytes to `sink` and keeps the last `tail_limit`
    /// of those.
    pub fn new(limit: usize, tail_limit: usize, sink: Option<Sink>) -> Capture {
        Capture::with_buffering(limit, tail_limit, sink, false)
    }

    /// [`Capture::new`], forwarding in blocks when `buffered` (see the
    /// module's documentation); the owner must call
    /// [`Capture::flush_pending`].
    pub fn with_buffering(
        limit: usize,
        tail_limit: usize,
        sink: Option<Sink>,
        buffered: bool,
    ) -> Capture {
        Capture {
            inner: Arc::new(Mutex::new(State {
                limit,
                written: 0,
                truncated: false,
                tail: VecDeque::new(),
                tail_limit,
                pending: (buffered && sink.is_some()).then(|| Vec::with_capacity(BLOCK)),
                sink,
            })),
        }
    }

    /// Forwards what a buffered capture holds, and flushes the sink.
    pub fn flush_pending(&self) {
        let mut s = self.state();
        let State { sink, pending, .. } = &mut *s;
        if let Some(sink) = sink.as_mut() {
            if let Some(pending) = pending.as_mut().filter(|p| !p.is_empty()) {
                let _ = sink.write_all(pending);
                pending.clear();
            }
            let _ = sink.flush();
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
        let State { sink, pending, .. } = &mut *s;
        if let Some(sink) = sink.as_mut() {
            // A closed terminal must not fail the job.
            match pending {
                Some(pending) => {
                    pending.extend_from_slice(kept);
                    if pending.len() >= BLOCK {
                        let _ = sink.write_all(pending);
                        pending.clear();
                    }
                }
                None => {
                    let _ = sink.write_all(kept);
                }
            }
        }
        if kept.len() < bytes.len() && !s.truncated {
            s.truncated = true;
            let notice = format!("\n[warden: output truncated after {} bytes]\n", s.limit);
            let State { sink, pending, .. } = &mut *s;
            if let Some(sink) = sink.as_mut() {
                if let Some(pending) = pending.as_mut() {
                    let _ = sink.write_all(pending);
                    pending.clear();
                }
                let _ = sink.write_all(notice.as_bytes());
            }
        }
    }

    /// The guest's flush: passed on unless the capture is buffered.
    fn flush(&self) {
        let mut s = self.state();
        if s.pending.is_none() {
            if let Some(sink) = s.sink.as_mut() {
                let _ = sink.flush();
            }
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

    #[test]
    fn a_buffered_capture_forwards_in_blocks_and_when_flushed() {
        let sink = Shared::default();
        let seen = || String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let mut c = Capture::with_buffering(1 << 20, 64, Some(Box::new(sink.clone())), true);
        OutputStream::write(&mut c, Bytes::from_static(b"line 1\n")).unwrap();
        // The guest's flush after each line is not passed on.
        OutputStream::flush(&mut c).unwrap();
        assert_eq!(seen(), "");
        assert_eq!(c.tail(), "line 1\n");
        c.flush_pending();
        assert_eq!(seen(), "line 1\n");
        // A full block goes at once.
        let block = vec![b'x'; BLOCK];
        OutputStream::write(&mut c, Bytes::from(block)).unwrap();
        assert_eq!(seen().len(), 7 + BLOCK);
        // Truncation forwards what is held before its notice.
        let mut t = Capture::with_buffering(4, 4, Some(Box::new(sink.clone())), true);
        OutputStream::write(&mut t, Bytes::from_static(b"abcdef")).unwrap();
        assert!(seen().ends_with("abcd\n[warden: output truncated after 4 bytes]\n"));
    }
}
