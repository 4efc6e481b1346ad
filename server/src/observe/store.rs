//! Timing of every store call: an interceptor ([`waiting_room::intercept`]) over the
//! queue store and the seat store that records each call's duration
//! (`floodgate_store_op_seconds{store,op}`) and its failures
//! (`floodgate_store_errors_total{store,op,kind}`), so the domain crate and its
//! backends stay free of metrics.
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

use waiting_room::intercept::{Intercepted, Interceptor, Op};
use waiting_room::seats::SeatStore;
use waiting_room::store::{QueueOp, QueueStore, StoreError};
use waiting_room::EventId;

use crate::backpressure::StoreLoad;
use crate::metrics::{Metrics, StoreTimes};

/// Both stores behind the timing interceptor, counting into `metrics`; the queue
/// store's answers to new fans (`join`, `join_gated`, `status`) and the rooms' log
/// reads (`changes`, every 100 ms per room, so the average falls again once the store
/// is quick even while no new fan is let in) also feed `load` (back-pressure).
pub fn observed(
    queue: Arc<dyn QueueStore>,
    seats: Arc<dyn SeatStore>,
    metrics: &Metrics,
    load: Arc<StoreLoad>,
) -> (Arc<dyn QueueStore>, Arc<dyn SeatStore>) {
    let observer = Arc::new(Observed {
        queue: Arc::clone(&metrics.queue_store),
        seats: Arc::clone(&metrics.seat_store),
        load,
    });
    (
        Arc::new(Intercepted::new(queue, Arc::clone(&observer))),
        Arc::new(Intercepted::new(seats, observer)),
    )
}

/// Times store calls into `queue` or `seats` (and, for new fans' calls, `load`).
pub struct Observed {
    queue: Arc<StoreTimes>,
    seats: Arc<StoreTimes>,
    load: Arc<StoreLoad>,
}

impl Interceptor for Observed {
    async fn around<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        _event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> Result<T, StoreError> {
        let (times, index) = match op {
            Op::Queue(op) => (&self.queue, op as usize),
            Op::Seats(op) => (&self.seats, op as usize),
        };
        if !times.times(index) {
            return call.await;
        }
        let started = Instant::now();
        let result = call.await;
        let took = started.elapsed();
        times.observe(index, took, result.as_ref().err());
        if matches!(
            op,
            Op::Queue(
                QueueOp::Join
                    | QueueOp::JoinGated
                    | QueueOp::Status
                    | QueueOp::Changes
                    | QueueOp::Admit
            )
        ) {
            self.load.record(took);
        }
        result
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
        // 22 queue ops (a join with proof of work, a staff or a presale join counts as a join; the draw record and
        // a room's wait for its log are not timed; the opening's draw steps are), 18
        // seat ops.
        assert_eq!(errors.len(), (22 + 18) * 2, "{text}");
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
