//! A bounded queue between `run_ended` (which must never wait) and one
//! webhook's delivery task: pushing never blocks; when the queue is full
//! the oldest entry makes room and is handed back to be reported.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{watch, Notify};

pub struct Queue<T> {
    state: Mutex<State<T>>,
    /// Wakes the consumer; a notification sent while it is busy is kept.
    wake: Notify,
    /// Entries queued or being handled: zero means all caught up.
    pending: watch::Sender<usize>,
    bound: usize,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> Queue<T> {
    /// A queue holding at most `bound` entries (at least 1).
    pub fn new(bound: usize) -> Queue<T> {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
            }),
            wake: Notify::new(),
            pending: watch::Sender::new(0),
            bound: bound.max(1),
        }
    }

    pub fn bound(&self) -> usize {
        self.bound
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `item`; returns the oldest entry when it had to make room.
    /// Never waits (the lock guards a few pointer moves).
    pub fn push(&self, item: T) -> Option<T> {
        let dropped = {
            let mut state = self.lock();
            let dropped = if state.items.len() >= self.bound {
                state.items.pop_front()
            } else {
                None
            };
            state.items.push_back(item);
            dropped
        };
        if dropped.is_none() {
            self.pending.send_modify(|n| *n += 1);
        }
        self.wake.notify_one();
        dropped
    }

    /// The next entry, waiting for one; None once closed and empty. Call
    /// [`Queue::done`] when it is handled.
    pub async fn pop(&self) -> Option<T> {
        loop {
            {
                let mut state = self.lock();
                if let Some(item) = state.items.pop_front() {
                    return Some(item);
                }
                if state.closed {
                    return None;
                }
            }
            self.wake.notified().await;
        }
    }

    /// An entry from [`Queue::pop`] is handled.
    pub fn done(&self) {
        self.pending.send_modify(|n| *n = n.saturating_sub(1));
    }

    /// Takes every queued entry (not the one being handled).
    pub fn take_all(&self) -> Vec<T> {
        let taken: Vec<T> = self.lock().items.drain(..).collect();
        self.pending
            .send_modify(|n| *n = n.saturating_sub(taken.len()));
        taken
    }

    /// Entries queued or being handled.
    pub fn pending(&self) -> usize {
        *self.pending.borrow()
    }

    /// Waits until every entry pushed so far is handled.
    pub async fn drained(&self) {
        let mut pending = self.pending.subscribe();
        let _ = pending.wait_for(|n| *n == 0).await;
    }

    /// The consumer ends once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let q = Queue::new(3);
        assert_eq!(q.push(1), None);
        assert_eq!(q.push(2), None);
        assert_eq!(q.push(3), None);
        assert_eq!(q.push(4), Some(1));
        assert_eq!(q.push(5), Some(2));
        assert_eq!(q.pending(), 3);
        assert_eq!(q.take_all(), [3, 4, 5]);
        assert_eq!(q.pending(), 0);
    }

    #[tokio::test]
    async fn pop_waits_for_a_push_and_ends_when_closed() {
        let q = Arc::new(Queue::new(10));
        let consumer = tokio::spawn({
            let q = Arc::clone(&q);
            async move {
                let mut seen = Vec::new();
                while let Some(item) = q.pop().await {
                    seen.push(item);
                    q.done();
                }
                seen
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        q.push(1);
        q.push(2);
        tokio::time::timeout(Duration::from_secs(5), q.drained())
            .await
            .expect("drained");
        assert_eq!(q.pending(), 0);
        q.push(3);
        q.close();
        assert_eq!(consumer.await.unwrap(), [1, 2, 3]);
    }

    #[tokio::test]
    async fn drained_waits_for_the_entry_being_handled() {
        let q = Queue::new(10);
        q.push(1);
        assert_eq!(q.pop().await, Some(1));
        assert!(
            tokio::time::timeout(Duration::from_millis(30), q.drained())
                .await
                .is_err(),
            "still being handled"
        );
        q.done();
        tokio::time::timeout(Duration::from_secs(5), q.drained())
            .await
            .expect("drained once done");
    }
}
