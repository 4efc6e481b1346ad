//! An interceptor over the app's stores that fails on demand, as a Redis Cluster
//! answering MOVED would: `configure` (and `restore`, which configures) for every
//! event while `fail_configure` is set, `seat_counts` for the events in
//! `broken_counts`, the next `fail_mark_sold` calls of `mark_sold` (as a store too
//! busy to answer would); while `queue_delay_ms` is set, the queue store's fan and
//! room calls (join, status, poll, presence, changes, admit, leave) answer that much
//! later, as a busy Redis would. Everything else goes through.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use server::Stores;
use waiting_room::intercept::{Intercepted, Interceptor, Op};
use waiting_room::seats::store::SeatOp;
use waiting_room::store::{QueueOp, StoreError};
use waiting_room::EventId;

use crate::helpers::StoreWrap;

/// Which calls fail; shared between the test and the app's stores.
#[derive(Default)]
pub struct Faults {
    pub fail_configure: AtomicBool,
    pub broken_counts: Mutex<HashSet<EventId>>,
    pub fail_mark_sold: AtomicU32,
    /// Refunds: the next this many `unsell` calls fail.
    pub fail_unsell: AtomicU32,
    pub queue_delay_ms: AtomicU64,
}

impl Faults {
    /// A [`StoreWrap`] that puts both of an app's stores behind these faults.
    pub fn wrap(self: &Arc<Self>) -> StoreWrap {
        let faults = Arc::clone(self);
        StoreWrap(Arc::new(move |stores: Stores| Stores {
            queue: Arc::new(Intercepted::new(stores.queue, Arc::clone(&faults))),
            seats: Arc::new(Intercepted::new(stores.seats, Arc::clone(&faults))),
        }))
    }

    async fn busy(&self) {
        let ms = self.queue_delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }

    pub fn break_counts(&self, event: EventId) {
        self.broken_counts.lock().unwrap().insert(event);
    }
}

fn moved() -> StoreError {
    StoreError::Backend("MOVED 3999 127.0.0.1:6381".into())
}

/// Takes one from `count` if it is above 0: this call fails.
fn take_one(count: &AtomicU32) -> bool {
    count
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Interceptor for Faults {
    async fn before(&self, op: Op, event: Option<EventId>) -> Result<(), StoreError> {
        match op {
            Op::Queue(QueueOp::Configure | QueueOp::Restore)
                if self.fail_configure.load(Ordering::SeqCst) =>
            {
                Err(moved())
            }
            Op::Queue(
                QueueOp::Join
                | QueueOp::JoinGated
                | QueueOp::Status
                | QueueOp::Statuses
                | QueueOp::Poll
                | QueueOp::Leave
                | QueueOp::Presence
                | QueueOp::Admit
                | QueueOp::Changes,
            ) => {
                self.busy().await;
                Ok(())
            }
            Op::Seats(SeatOp::MarkSold) if take_one(&self.fail_mark_sold) => {
                Err(StoreError::Unavailable("no answer from redis".into()))
            }
            // --- refunds ---
            Op::Seats(SeatOp::Unsell) if take_one(&self.fail_unsell) => {
                Err(StoreError::Unavailable("no answer from redis".into()))
            }
            // --- end refunds ---
            Op::Seats(SeatOp::SeatCounts)
                if event.is_some_and(|e| self.broken_counts.lock().unwrap().contains(&e)) =>
            {
                Err(moved())
            }
            _ => Ok(()),
        }
    }
}
