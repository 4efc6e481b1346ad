//! Timing of every store call: a decorator over the queue store and the seat store
//! that records each call's duration (`floodgate_store_op_seconds{store,op}`) and its
//! failures (`floodgate_store_errors_total{store,op,kind}`), so the domain crate and
//! its backends stay free of metrics.
//!
//! It sits on the hot path (join, heartbeats, the admission step, holds), so a call
//! costs one clock read pair and one histogram sample on a handle registered on first
//! use; the op is a static enum, nothing is allocated for the metric. (Like any call
//! through these `async_trait` traits, the decorator's own future is boxed.)
//!
//! Measured (`decorator_cost` below, release, on the 2-core VM of BENCHMARKS.md while
//! busy): 190–280 ns added per call over four runs, of which the clock pair about
//! 95 ns and the sample (with its share of folding samples into buckets) about 105 ns.
//! A Redis script call takes 19 µs inside Redis alone (BENCHMARKS.md, Rush profile),
//! before the network: the timing is about 1% of the cheapest real store call.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use waiting_room::seats::store::{
    ConfirmStart, Hold, HoldBackOutcome, HoldId, HoldOutcome, HoldRequest, SeatBatch, SeatCounts,
    SeatSnapshot, SeatsReplaced,
};
use waiting_room::seats::SeatStore;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::store::{
    AdmitOutcome, ChangeBatch, Cursor, DrawPage, PlaceCap, QueueSnapshot, QueueStats, QueueStore,
    Restore, StoreError, TicketStatus,
};
use waiting_room::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

use crate::backpressure::StoreLoad;
use crate::metrics::{Metrics, QueueOp, SeatOp, StoreTimes};

/// Both stores behind the timing decorator, counting into `metrics`; the queue
/// store's answers to new fans (`join`, `status`) and the rooms' log reads
/// (`changes`, every 100 ms per room, so the average falls again once the store is
/// quick even while no new fan is let in) also feed `load` (back-pressure).
pub fn observed(
    queue: Arc<dyn QueueStore>,
    seats: Arc<dyn SeatStore>,
    metrics: &Metrics,
    load: Arc<StoreLoad>,
) -> (Arc<dyn QueueStore>, Arc<dyn SeatStore>) {
    (
        Arc::new(Observed {
            inner: queue,
            times: Arc::clone(&metrics.queue_store),
            load: Some(load),
        }),
        Arc::new(Observed {
            inner: seats,
            times: Arc::clone(&metrics.seat_store),
            load: None,
        }),
    )
}

/// A store whose calls are timed into `times` (and, for new fans' calls, `load`).
pub struct Observed<S: ?Sized> {
    inner: Arc<S>,
    times: Arc<StoreTimes>,
    load: Option<Arc<StoreLoad>>,
}

impl<S: ?Sized> Observed<S> {
    async fn timed<T>(
        &self,
        op: usize,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = call.await;
        let took = started.elapsed();
        self.times.observe(op, took, result.as_ref().err());
        if let Some(load) = &self.load {
            if [QueueOp::Join, QueueOp::Status, QueueOp::Changes]
                .iter()
                .any(|o| *o as usize == op)
            {
                load.record(took);
            }
        }
        result
    }
}

#[async_trait]
impl QueueStore for Observed<dyn QueueStore> {
    async fn restore(&self, e: EventId, r: &Restore<'_>) -> Result<u64, StoreError> {
        self.timed(QueueOp::Restore as usize, self.inner.restore(e, r))
            .await
    }
    async fn configure(&self, e: EventId, c: &QueueConfig, m: bool) -> Result<(), StoreError> {
        self.timed(QueueOp::Configure as usize, self.inner.configure(e, c, m))
            .await
    }
    async fn config(&self, e: EventId) -> Result<Option<QueueConfig>, StoreError> {
        self.timed(QueueOp::Config as usize, self.inner.config(e))
            .await
    }
    async fn update_admission(&self, e: EventId, s: &AdmissionSettings) -> Result<(), StoreError> {
        self.timed(
            QueueOp::UpdateAdmission as usize,
            self.inner.update_admission(e, s),
        )
        .await
    }
    async fn join(
        &self,
        e: EventId,
        u: UserId,
        t: &TicketId,
        cap: Option<&PlaceCap>,
    ) -> Result<TicketStatus, StoreError> {
        self.timed(QueueOp::Join as usize, self.inner.join(e, u, t, cap))
            .await
    }
    async fn join_gated(
        &self,
        e: EventId,
        u: UserId,
        t: &TicketId,
        cap: Option<&PlaceCap>,
        pow: &waiting_room::store::PowGate,
    ) -> Result<TicketStatus, StoreError> {
        self.timed(
            QueueOp::Join as usize,
            self.inner.join_gated(e, u, t, cap, pow),
        )
        .await
    }
    async fn poll(&self, e: EventId, u: UserId) -> Result<Option<TicketStatus>, StoreError> {
        self.timed(QueueOp::Poll as usize, self.inner.poll(e, u))
            .await
    }
    async fn status(&self, e: EventId, u: UserId) -> Result<Option<TicketStatus>, StoreError> {
        self.timed(QueueOp::Status as usize, self.inner.status(e, u))
            .await
    }
    async fn statuses(
        &self,
        e: EventId,
        u: &[UserId],
    ) -> Result<Vec<Option<TicketStatus>>, StoreError> {
        self.timed(QueueOp::Statuses as usize, self.inner.statuses(e, u))
            .await
    }
    async fn leave(&self, e: EventId, u: UserId) -> Result<bool, StoreError> {
        self.timed(QueueOp::Leave as usize, self.inner.leave(e, u))
            .await
    }
    async fn touch(&self, e: EventId, u: &[UserId]) -> Result<(), StoreError> {
        self.timed(QueueOp::Touch as usize, self.inner.touch(e, u))
            .await
    }
    async fn open(&self, e: EventId, seed: &ShuffleSeed) -> Result<bool, StoreError> {
        self.timed(QueueOp::Open as usize, self.inner.open(e, seed))
            .await
    }
    async fn draw(&self, e: EventId, from: u64, n: u64) -> Result<Option<DrawPage>, StoreError> {
        self.inner.draw(e, from, n).await
    }
    async fn admit(&self, e: EventId, limit: Option<u64>) -> Result<AdmitOutcome, StoreError> {
        self.timed(QueueOp::Admit as usize, self.inner.admit(e, limit))
            .await
    }
    async fn release(&self, e: EventId, u: UserId) -> Result<bool, StoreError> {
        self.timed(
            QueueOp::Release as usize,
            QueueStore::release(&*self.inner, e, u),
        )
        .await
    }
    async fn purchased(&self, e: EventId, u: UserId, order: &str) -> Result<bool, StoreError> {
        self.timed(
            QueueOp::Purchased as usize,
            self.inner.purchased(e, u, order),
        )
        .await
    }
    async fn changes(&self, e: EventId, a: &Cursor, max: usize) -> Result<ChangeBatch, StoreError> {
        self.timed(QueueOp::Changes as usize, self.inner.changes(e, a, max))
            .await
    }
    async fn snapshot(&self, e: EventId) -> Result<QueueSnapshot, StoreError> {
        self.timed(QueueOp::Snapshot as usize, self.inner.snapshot(e))
            .await
    }
    async fn stats(&self, e: EventId) -> Result<QueueStats, StoreError> {
        self.timed(QueueOp::Stats as usize, self.inner.stats(e))
            .await
    }
    async fn now_ms(&self) -> Result<i64, StoreError> {
        self.timed(QueueOp::NowMs as usize, self.inner.now_ms())
            .await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.timed(QueueOp::Ping as usize, self.inner.ping()).await
    }
}

#[async_trait]
impl SeatStore for Observed<dyn SeatStore> {
    async fn init_seats(
        &self,
        e: EventId,
        capacity: u32,
        sold: &[u32],
        held_back: &[u32],
    ) -> Result<bool, StoreError> {
        self.timed(
            SeatOp::InitSeats as usize,
            self.inner.init_seats(e, capacity, sold, held_back),
        )
        .await
    }
    async fn hold_back(&self, e: EventId, seats: &[u32]) -> Result<HoldBackOutcome, StoreError> {
        self.timed(SeatOp::HoldBack as usize, self.inner.hold_back(e, seats))
            .await
    }
    async fn replace_seats(&self, e: EventId, capacity: u32) -> Result<SeatsReplaced, StoreError> {
        self.timed(
            SeatOp::ReplaceSeats as usize,
            self.inner.replace_seats(e, capacity),
        )
        .await
    }
    async fn release_held_back(&self, e: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        self.timed(
            SeatOp::ReleaseHeldBack as usize,
            self.inner.release_held_back(e, seats),
        )
        .await
    }
    async fn hold(&self, e: EventId, r: &HoldRequest) -> Result<HoldOutcome, StoreError> {
        self.timed(SeatOp::Hold as usize, self.inner.hold(e, r))
            .await
    }
    async fn end_token(&self, e: EventId, jti: &str) -> Result<(), StoreError> {
        self.timed(SeatOp::EndToken as usize, self.inner.end_token(e, jti))
            .await
    }
    async fn hold_info(&self, e: EventId, h: &HoldId) -> Result<Option<Hold>, StoreError> {
        self.timed(SeatOp::HoldInfo as usize, self.inner.hold_info(e, h))
            .await
    }
    async fn begin_confirm(
        &self,
        e: EventId,
        h: &HoldId,
        jti: &str,
        lease_ms: i64,
    ) -> Result<ConfirmStart, StoreError> {
        self.timed(
            SeatOp::BeginConfirm as usize,
            self.inner.begin_confirm(e, h, jti, lease_ms),
        )
        .await
    }
    async fn finish_confirm(&self, e: EventId, h: &HoldId) -> Result<(), StoreError> {
        self.timed(
            SeatOp::FinishConfirm as usize,
            self.inner.finish_confirm(e, h),
        )
        .await
    }
    async fn release(&self, e: EventId, h: &HoldId, jti: Option<&str>) -> Result<bool, StoreError> {
        self.timed(
            SeatOp::Release as usize,
            SeatStore::release(&*self.inner, e, h, jti),
        )
        .await
    }
    async fn expired_holds(&self, e: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        self.timed(
            SeatOp::ExpiredHolds as usize,
            self.inner.expired_holds(e, limit),
        )
        .await
    }
    async fn holds(&self, e: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        self.timed(SeatOp::Holds as usize, self.inner.holds(e, limit))
            .await
    }
    async fn mark_sold(&self, e: EventId, seats: &[u32]) -> Result<(), StoreError> {
        self.timed(SeatOp::MarkSold as usize, self.inner.mark_sold(e, seats))
            .await
    }
    // --- refunds ---
    async fn unsell(&self, e: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        self.timed(SeatOp::Unsell as usize, self.inner.unsell(e, seats))
            .await
    }
    // --- end refunds ---
    async fn seat_counts(&self, e: EventId) -> Result<SeatCounts, StoreError> {
        self.timed(SeatOp::SeatCounts as usize, self.inner.seat_counts(e))
            .await
    }
    async fn holders(&self, e: EventId) -> Result<u64, StoreError> {
        self.timed(SeatOp::Holders as usize, self.inner.holders(e))
            .await
    }
    async fn seat_changes(
        &self,
        e: EventId,
        a: &Cursor,
        max: usize,
    ) -> Result<SeatBatch, StoreError> {
        self.timed(
            SeatOp::SeatChanges as usize,
            self.inner.seat_changes(e, a, max),
        )
        .await
    }
    async fn seat_snapshot(&self, e: EventId) -> Result<SeatSnapshot, StoreError> {
        self.timed(SeatOp::SeatSnapshot as usize, self.inner.seat_snapshot(e))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prom_text_format_parser::{Scrape, Type, ValueType};
    use waiting_room::seats::MemorySeatStore;
    use waiting_room::store::memory::MemoryStore;

    fn stores(metrics: &Metrics) -> (Arc<dyn QueueStore>, Arc<dyn SeatStore>) {
        observed(
            Arc::new(MemoryStore::default()),
            Arc::new(MemorySeatStore::default()),
            metrics,
            Arc::new(StoreLoad::new(std::time::Duration::ZERO)),
        )
    }

    /// Each call is timed under its store and op; "no such event", an answer the
    /// callers expect, is not counted as a failure (the API tests inject real ones),
    /// and the error counters of every op are there at 0 from the start.
    #[tokio::test]
    async fn calls_are_timed_by_store_and_op() {
        let metrics = Metrics::new();
        let (queue, seats) = stores(&metrics);
        let unknown = EventId::new();
        queue.ping().await.unwrap();
        queue.ping().await.unwrap();
        assert!(matches!(
            queue.admit(unknown, None).await,
            Err(StoreError::UnknownEvent)
        ));
        assert!(seats.seat_counts(unknown).await.is_err());
        let text = metrics.render(&[]);
        let scrape = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
        let metric = |name: &str| {
            scrape
                .metrics
                .iter()
                .find(|m| m.name == name)
                .unwrap_or_else(|| panic!("no {name} in {text}"))
        };
        let times = metric("floodgate_store_op_seconds");
        assert_eq!(times.kind, Type::Histogram);
        let count = |store: &str, op: &str| {
            times
                .samples
                .iter()
                .find(|s| {
                    s.value.value_type == ValueType::Count
                        && s.labels
                            .iter()
                            .any(|l| l.key == "store" && l.value == store)
                        && s.labels.iter().any(|l| l.key == "op" && l.value == op)
                })
                .map(|s| s.value.value.as_f64())
        };
        assert_eq!(count("queue", "ping"), Some(2.0), "{text}");
        assert_eq!(count("queue", "admit"), Some(1.0), "{text}");
        assert_eq!(count("seats", "seat_counts"), Some(1.0), "{text}");
        assert_eq!(
            count("queue", "join"),
            None,
            "an op never called has no series"
        );
        // Every op's error counters exist from the start, at 0.
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("floodgate_store_errors_total{"))
            .collect();
        // 19 queue ops, 18 seat ops.
        assert_eq!(errors.len(), (19 + 18) * 2, "{text}");
        assert!(errors.iter().all(|l| l.ends_with(" 0")), "{text}");
        assert!(
            text.contains(
                "floodgate_store_errors_total{store=\"seats\",op=\"hold\",kind=\"unavailable\"} 0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "floodgate_store_op_seconds_bucket{store=\"queue\",op=\"ping\",le=\"0.0001\"}"
            ),
            "sub-millisecond buckets: {text}"
        );
    }

    /// What the decorator adds to a call, against the in-memory store (the cheapest
    /// backend, so the overhead shows). Run in release:
    /// `cargo test --release -p server --lib decorator_cost -- --ignored --nocapture`
    #[tokio::test]
    #[ignore = "a measurement; run in release"]
    async fn decorator_cost() {
        const CALLS: u32 = 1_000_000;
        let metrics = Metrics::new();
        let raw: Arc<dyn QueueStore> = Arc::new(MemoryStore::default());
        let (timed, _) = observed(
            Arc::clone(&raw),
            Arc::new(MemorySeatStore::default()),
            &metrics,
            Arc::new(StoreLoad::new(std::time::Duration::ZERO)),
        );
        let per_call = |took: std::time::Duration| took.as_nanos() as f64 / f64::from(CALLS);
        let mut best = (f64::MAX, f64::MAX);
        for _ in 0..5 {
            let started = Instant::now();
            for _ in 0..CALLS {
                raw.now_ms().await.unwrap();
            }
            best.0 = best.0.min(per_call(started.elapsed()));
            let started = Instant::now();
            for _ in 0..CALLS {
                timed.now_ms().await.unwrap();
            }
            best.1 = best.1.min(per_call(started.elapsed()));
        }
        println!(
            "now_ms on the memory store: {:.1} ns a call, {:.1} ns timed: {:.1} ns added",
            best.0,
            best.1,
            best.1 - best.0
        );
        // The parts: the clock pair, and the sample (with the fold counter).
        let mut parts = (f64::MAX, f64::MAX);
        for _ in 0..5 {
            let started = Instant::now();
            for _ in 0..CALLS {
                std::hint::black_box(Instant::now().elapsed());
            }
            parts.0 = parts.0.min(per_call(started.elapsed()));
            let started = Instant::now();
            for _ in 0..CALLS {
                metrics
                    .queue_store
                    .observe(0, std::time::Duration::from_micros(50), None);
            }
            parts.1 = parts.1.min(per_call(started.elapsed()));
        }
        println!(
            "of which: clock pair {:.1} ns, histogram sample {:.1} ns",
            parts.0, parts.1
        );
    }
}
