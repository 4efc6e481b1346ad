//! A decorator over the app's stores that fails on demand, as a Redis Cluster
//! answering MOVED would: `configure` for every event while `fail_configure` is set,
//! `seat_counts` for the events in `broken_counts`, the next `fail_mark_sold` calls of
//! `mark_sold` (as a store too busy to answer would); while `queue_delay_ms` is set,
//! the queue store's fan and room calls (join, status, touch, changes, admit, leave)
//! answer that much later, as a busy Redis would. Everything else delegates.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use server::Stores;
use waiting_room::seats::store::*;
use waiting_room::seats::SeatStore;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::store::*;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

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
            queue: Arc::new(Faulty {
                inner: stores.queue,
                faults: Arc::clone(&faults),
            }),
            seats: Arc::new(Faulty {
                inner: stores.seats,
                faults: Arc::clone(&faults),
            }),
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

pub struct Faulty<S: ?Sized> {
    inner: Arc<S>,
    faults: Arc<Faults>,
}

#[async_trait]
impl QueueStore for Faulty<dyn QueueStore> {
    async fn configure(&self, e: EventId, c: &QueueConfig, m: bool) -> Result<(), StoreError> {
        if self.faults.fail_configure.load(Ordering::SeqCst) {
            return Err(moved());
        }
        self.inner.configure(e, c, m).await
    }
    async fn config(&self, e: EventId) -> Result<Option<QueueConfig>, StoreError> {
        self.inner.config(e).await
    }
    async fn update_admission(&self, e: EventId, s: &AdmissionSettings) -> Result<(), StoreError> {
        self.inner.update_admission(e, s).await
    }
    async fn join(
        &self,
        e: EventId,
        u: UserId,
        t: &TicketId,
        cap: Option<&PlaceCap>,
    ) -> Result<TicketStatus, StoreError> {
        self.faults.busy().await;
        self.inner.join(e, u, t, cap).await
    }
    async fn status(&self, e: EventId, u: UserId) -> Result<Option<TicketStatus>, StoreError> {
        self.faults.busy().await;
        self.inner.status(e, u).await
    }
    async fn statuses(
        &self,
        e: EventId,
        u: &[UserId],
    ) -> Result<Vec<Option<TicketStatus>>, StoreError> {
        self.faults.busy().await;
        self.inner.statuses(e, u).await
    }
    async fn leave(&self, e: EventId, u: UserId) -> Result<bool, StoreError> {
        self.faults.busy().await;
        self.inner.leave(e, u).await
    }
    async fn touch(&self, e: EventId, u: &[UserId]) -> Result<(), StoreError> {
        self.faults.busy().await;
        self.inner.touch(e, u).await
    }
    async fn open(&self, e: EventId, seed: &ShuffleSeed) -> Result<bool, StoreError> {
        self.inner.open(e, seed).await
    }
    async fn draw(&self, e: EventId, from: u64, n: u64) -> Result<Option<DrawPage>, StoreError> {
        self.inner.draw(e, from, n).await
    }
    async fn admit(&self, e: EventId, limit: Option<u64>) -> Result<AdmitOutcome, StoreError> {
        self.faults.busy().await;
        self.inner.admit(e, limit).await
    }
    async fn release(&self, e: EventId, u: UserId) -> Result<bool, StoreError> {
        QueueStore::release(&*self.inner, e, u).await
    }
    async fn purchased(&self, e: EventId, u: UserId, order: &str) -> Result<bool, StoreError> {
        self.inner.purchased(e, u, order).await
    }
    async fn changes(&self, e: EventId, a: &Cursor, max: usize) -> Result<ChangeBatch, StoreError> {
        self.faults.busy().await;
        self.inner.changes(e, a, max).await
    }
    async fn snapshot(&self, e: EventId) -> Result<QueueSnapshot, StoreError> {
        self.inner.snapshot(e).await
    }
    async fn stats(&self, e: EventId) -> Result<QueueStats, StoreError> {
        self.inner.stats(e).await
    }
    async fn now_ms(&self) -> Result<i64, StoreError> {
        self.inner.now_ms().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

#[async_trait]
impl SeatStore for Faulty<dyn SeatStore> {
    async fn init_seats(
        &self,
        e: EventId,
        capacity: u32,
        sold: &[u32],
        held_back: &[u32],
    ) -> Result<bool, StoreError> {
        self.inner.init_seats(e, capacity, sold, held_back).await
    }
    async fn hold_back(&self, e: EventId, seats: &[u32]) -> Result<HoldBackOutcome, StoreError> {
        self.inner.hold_back(e, seats).await
    }
    async fn replace_seats(&self, e: EventId, capacity: u32) -> Result<SeatsReplaced, StoreError> {
        self.inner.replace_seats(e, capacity).await
    }
    async fn release_held_back(&self, e: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        self.inner.release_held_back(e, seats).await
    }
    async fn hold(&self, e: EventId, r: &HoldRequest) -> Result<HoldOutcome, StoreError> {
        self.inner.hold(e, r).await
    }
    async fn end_token(&self, e: EventId, jti: &str) -> Result<(), StoreError> {
        self.inner.end_token(e, jti).await
    }
    async fn hold_info(&self, e: EventId, h: &HoldId) -> Result<Option<Hold>, StoreError> {
        self.inner.hold_info(e, h).await
    }
    async fn begin_confirm(
        &self,
        e: EventId,
        h: &HoldId,
        jti: &str,
        lease_ms: i64,
    ) -> Result<ConfirmStart, StoreError> {
        self.inner.begin_confirm(e, h, jti, lease_ms).await
    }
    async fn finish_confirm(&self, e: EventId, h: &HoldId) -> Result<(), StoreError> {
        self.inner.finish_confirm(e, h).await
    }
    async fn release(&self, e: EventId, h: &HoldId, jti: Option<&str>) -> Result<bool, StoreError> {
        SeatStore::release(&*self.inner, e, h, jti).await
    }
    async fn expired_holds(&self, e: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        self.inner.expired_holds(e, limit).await
    }
    async fn holds(&self, e: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        self.inner.holds(e, limit).await
    }
    async fn mark_sold(&self, e: EventId, seats: &[u32]) -> Result<(), StoreError> {
        let failing =
            self.faults
                .fail_mark_sold
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(StoreError::Unavailable("no answer from redis".into()));
        }
        self.inner.mark_sold(e, seats).await
    }
    // --- refunds ---
    async fn unsell(&self, e: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        let failing =
            self.faults
                .fail_unsell
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(StoreError::Unavailable("no answer from redis".into()));
        }
        self.inner.unsell(e, seats).await
    }
    // --- end refunds ---
    async fn seat_counts(&self, e: EventId) -> Result<SeatCounts, StoreError> {
        if self.faults.broken_counts.lock().unwrap().contains(&e) {
            return Err(moved());
        }
        self.inner.seat_counts(e).await
    }
    async fn holders(&self, e: EventId) -> Result<u64, StoreError> {
        self.inner.holders(e).await
    }
    async fn seat_changes(
        &self,
        e: EventId,
        a: &Cursor,
        max: usize,
    ) -> Result<SeatBatch, StoreError> {
        self.inner.seat_changes(e, a, max).await
    }
    async fn seat_snapshot(&self, e: EventId) -> Result<SeatSnapshot, StoreError> {
        self.inner.seat_snapshot(e).await
    }
}
