//! The store's and the database's call timings and errors:
//! `floodgate_store_op_seconds{store,op}`, `floodgate_store_errors_total{store,op,kind}`,
//! `floodgate_db_op_seconds{op}`, `floodgate_db_errors_total{op}` and
//! `floodgate_db_batch_size`.
//!
//! Timings are registered on first use (an op never called shows no histogram), each
//! in a `OnceLock` slot indexed by a static op, so a call records with no lookup by
//! name and no allocation: one atomic load for the handle, one histogram sample. Error
//! counters are registered at start, at 0, for every op and kind: a series that first
//! appears at 1 shows no increase to `rate()`/`increase()`, so the first failure would
//! go unseen.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{Counter, Key, Label, Recorder};
use waiting_room::seats::store::SeatOp;
use waiting_room::store::{QueueOp, StoreError};

use super::recording::{Recording, METADATA};

pub(super) const STORE_OP_SECONDS: &str = "floodgate_store_op_seconds";
pub(super) const STORE_ERRORS: &str = "floodgate_store_errors_total";
pub(super) const DB_OP_SECONDS: &str = "floodgate_db_op_seconds";
pub(super) const DB_ERRORS: &str = "floodgate_db_errors_total";
pub(super) const DB_BATCH_SIZE: &str = "floodgate_db_batch_size";

/// Store calls: Redis answers in a fraction of a millisecond on a LAN; a busy one may
/// take seconds, and a call is bounded at 20 s (4 s on a cluster), so the buckets
/// start at 100 µs and end there.
pub(super) const STORE_BUCKETS: [f64; 17] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0,
    4.0, 10.0, 20.0,
];

/// Database calls: a committed write takes milliseconds (a WAL flush), a pool wait up
/// to its 10 s timeout, and a big event's creation tens of seconds.
pub(super) const DB_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Orders per group-commit transaction (at most 128).
pub(super) const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// The `kind` label of a store error, or `None` for an answer that is not a failure.
pub fn store_error_kind(error: &StoreError) -> Option<&'static str> {
    match error {
        StoreError::Unavailable(_) => Some("unavailable"),
        StoreError::Backend(_) => Some("backend"),
        // "No such event" is an answer the callers expect: seat counts asked before
        // the checkout seeded an event's seats, an event Redis lost (the rooms then
        // restore it, and log it). Counting it would make a normal sale look faulty.
        StoreError::UnknownEvent => None,
        // A join refused at its address's cap: an answer, not a fault.
        StoreError::TooManyPlaces { .. } => None,
        // A join without a valid proof of work: an answer too.
        StoreError::PowRequired { .. } => None,
        // A join refused in mode `reject`: an answer the admin asked for.
        StoreError::Rejecting => None,
    }
}

/// The `op` label of each queue store call, indexed by [`QueueOp`] (`None`: not
/// timed): the method's name, except that a join with proof of work counts as a join,
/// and the draw record (an operator's paged read) and a room's wait for its change
/// log are not timed.
pub(super) fn queue_labels() -> Vec<Option<&'static str>> {
    QueueOp::ALL
        .iter()
        .map(|op| match op {
            QueueOp::JoinGated => Some(QueueOp::Join.name()),
            QueueOp::Draw => None,
            // A room's wait for its change log lasts up to a second by design.
            QueueOp::WaitChanges => None,
            op => Some(op.name()),
        })
        .collect()
}

/// The `op` label of each seat store call, indexed by [`SeatOp`]: the method's name.
pub(super) fn seat_labels() -> Vec<Option<&'static str>> {
    SeatOp::ALL.iter().map(|op| Some(op.name())).collect()
}

const KINDS: [&str; 2] = ["unavailable", "backend"];

/// One store's calls (`store="queue"` or `"seats"`), by op (its index in the port's
/// op enum: `QueueOp::Join as usize`). Ops that share a label share its series.
pub struct StoreTimes {
    recorder: Arc<Recording>,
    store: &'static str,
    labels: Box<[Option<&'static str>]>,
    times: Box<[OnceLock<metrics::Histogram>]>,
    errors: Box<[Option<[Counter; KINDS.len()]>]>,
}

impl StoreTimes {
    pub(super) fn new(
        recorder: Arc<Recording>,
        store: &'static str,
        labels: Vec<Option<&'static str>>,
    ) -> Self {
        let errors = labels
            .iter()
            .map(|op| {
                op.map(|op| {
                    KINDS.map(|kind| {
                        let key = Key::from_parts(
                            STORE_ERRORS,
                            vec![
                                Label::from_static_parts("store", store),
                                Label::from_static_parts("op", op),
                                Label::from_static_parts("kind", kind),
                            ],
                        );
                        recorder.recorder.register_counter(&key, &METADATA)
                    })
                })
            })
            .collect();
        Self {
            recorder,
            store,
            times: labels.iter().map(|_| OnceLock::new()).collect(),
            labels: labels.into(),
            errors,
        }
    }

    /// Whether calls of op `op` are timed.
    pub fn times(&self, op: usize) -> bool {
        self.labels.get(op).is_some_and(Option::is_some)
    }

    /// Records one call of op `op` that took `took` and failed with `error` (nothing
    /// for an op that is not timed).
    pub fn observe(&self, op: usize, took: Duration, error: Option<&StoreError>) {
        let (store, Some(Some(name))) = (self.store, self.labels.get(op).copied()) else {
            return;
        };
        let histogram = self.times[op].get_or_init(|| {
            let labels = vec![
                Label::from_static_parts("store", store),
                Label::from_static_parts("op", name),
            ];
            self.recorder
                .recorder
                .register_histogram(&Key::from_parts(STORE_OP_SECONDS, labels), &METADATA)
        });
        histogram.record(took.as_secs_f64());
        self.recorder.sampled();
        if let (Some(kind), Some(errors)) = (error.and_then(store_error_kind), &self.errors[op]) {
            let at = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
            errors[at].increment(1);
        }
    }
}

/// The database calls that are timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbOp {
    /// A confirm's order write, from the call to its commit (on PostgreSQL this
    /// includes the wait for the group commit's transaction).
    WriteOrder,
    /// One group-commit transaction (PostgreSQL).
    OrderBatch,
    OrderByHold,
    OrdersOf,
    Revenue,
    SoldSeats,
    Events,
    Event,
    InsertEvent,
    DeleteEvent,
    AuditLog,
    CreateUser,
    UserByEmail,
    UserById,
    Ping,
    HeldBackSeats,
    HoldBackSeats,
    ReleaseHeldBack,
    OrderById,
    RefundOrder,
    AccountSeats,
    /// The admin report's reads, and the admin order search.
    Report,
    OrderSearch,
}

impl DbOp {
    const ALL: [DbOp; 23] = [
        DbOp::WriteOrder,
        DbOp::OrderBatch,
        DbOp::OrderByHold,
        DbOp::OrdersOf,
        DbOp::Revenue,
        DbOp::SoldSeats,
        DbOp::Events,
        DbOp::Event,
        DbOp::InsertEvent,
        DbOp::DeleteEvent,
        DbOp::AuditLog,
        DbOp::CreateUser,
        DbOp::UserByEmail,
        DbOp::UserById,
        DbOp::Ping,
        DbOp::HeldBackSeats,
        DbOp::HoldBackSeats,
        DbOp::ReleaseHeldBack,
        DbOp::OrderById,
        DbOp::RefundOrder,
        DbOp::AccountSeats,
        DbOp::Report,
        DbOp::OrderSearch,
    ];

    /// Whether the op writes (what the test fault `db_write_delay_ms` delays; the
    /// group commit's transaction is not, its orders' writes are).
    pub fn writes(self) -> bool {
        matches!(
            self,
            DbOp::WriteOrder
                | DbOp::InsertEvent
                | DbOp::DeleteEvent
                | DbOp::CreateUser
                | DbOp::HoldBackSeats
                | DbOp::ReleaseHeldBack
                | DbOp::RefundOrder
        )
    }

    /// The `op` label.
    pub fn name(self) -> &'static str {
        match self {
            DbOp::WriteOrder => "write_order",
            DbOp::OrderBatch => "order_batch",
            DbOp::OrderByHold => "order_by_hold",
            DbOp::OrdersOf => "orders_of",
            DbOp::Revenue => "revenue",
            DbOp::SoldSeats => "sold_seats",
            DbOp::Events => "events",
            DbOp::Event => "event",
            DbOp::InsertEvent => "insert_event",
            DbOp::DeleteEvent => "delete_event",
            DbOp::AuditLog => "audit_log",
            DbOp::CreateUser => "create_user",
            DbOp::UserByEmail => "user_by_email",
            DbOp::UserById => "user_by_id",
            DbOp::Ping => "ping",
            DbOp::HeldBackSeats => "held_back_seats",
            DbOp::HoldBackSeats => "hold_back_seats",
            DbOp::ReleaseHeldBack => "release_held_back",
            DbOp::OrderById => "order_by_id",
            DbOp::RefundOrder => "refund_order",
            DbOp::AccountSeats => "account_seats",
            DbOp::Report => "report",
            DbOp::OrderSearch => "order_search",
        }
    }
}

/// The database's calls, by op, and the size of group-commit batches.
pub struct DbTimes {
    recorder: Arc<Recording>,
    times: [OnceLock<metrics::Histogram>; DbOp::ALL.len()],
    errors: [Counter; DbOp::ALL.len()],
    batch_size: OnceLock<metrics::Histogram>,
}

impl std::fmt::Debug for DbTimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTimes").finish_non_exhaustive()
    }
}

impl DbTimes {
    pub(super) fn new(recorder: Arc<Recording>) -> Self {
        let errors = DbOp::ALL.map(|op| {
            let key = Key::from_parts(DB_ERRORS, vec![Label::from_static_parts("op", op.name())]);
            recorder.recorder.register_counter(&key, &METADATA)
        });
        Self {
            recorder,
            times: Default::default(),
            errors,
            batch_size: OnceLock::new(),
        }
    }

    /// Records one call of `op` that took `took`; `failed`: it ended in an error.
    pub fn observe(&self, op: DbOp, took: Duration, failed: bool) {
        let at = op as usize;
        let label = || vec![Label::from_static_parts("op", op.name())];
        self.times[at]
            .get_or_init(|| {
                self.recorder
                    .recorder
                    .register_histogram(&Key::from_parts(DB_OP_SECONDS, label()), &METADATA)
            })
            .record(took.as_secs_f64());
        self.recorder.sampled();
        if failed {
            self.errors[at].increment(1);
        }
    }

    /// Records the number of orders one group-commit transaction wrote.
    pub fn batch(&self, orders: usize) {
        self.batch_size
            .get_or_init(|| {
                self.recorder
                    .recorder
                    .register_histogram(&Key::from_static_name(DB_BATCH_SIZE), &METADATA)
            })
            .record(orders as f64);
        self.recorder.sampled();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_have_a_kind_and_answers_none() {
        let kind = |e: StoreError| store_error_kind(&e);
        assert_eq!(
            kind(StoreError::Unavailable("down".into())),
            Some("unavailable")
        );
        assert_eq!(kind(StoreError::Backend("MOVED".into())), Some("backend"));
        assert_eq!(kind(StoreError::UnknownEvent), None);
    }

    #[test]
    fn op_names_follow_the_enums() {
        let (queue, seats) = (queue_labels(), seat_labels());
        assert_eq!(queue[QueueOp::Restore as usize], Some("restore"));
        assert_eq!(queue[QueueOp::Join as usize], Some("join"));
        assert_eq!(queue[QueueOp::JoinGated as usize], Some("join"));
        assert_eq!(queue[QueueOp::Draw as usize], None);
        assert_eq!(queue[QueueOp::Admit as usize], Some("admit"));
        assert_eq!(queue[QueueOp::Ping as usize], Some("ping"));
        assert_eq!(queue.len(), QueueOp::ALL.len());
        assert_eq!(seats[SeatOp::InitSeats as usize], Some("init_seats"));
        assert_eq!(seats[SeatOp::Hold as usize], Some("hold"));
        assert_eq!(seats[SeatOp::MarkSold as usize], Some("mark_sold"));
        assert_eq!(seats[SeatOp::SeatSnapshot as usize], Some("seat_snapshot"));
        assert_eq!(seats[SeatOp::HoldBack as usize], Some("hold_back"));
        assert_eq!(seats[SeatOp::Unsell as usize], Some("unsell"));
        assert_eq!(seats[SeatOp::Holds as usize], Some("holds"));
        assert_eq!(seats[SeatOp::ReplaceSeats as usize], Some("replace_seats"));
        assert_eq!(seats.len(), SeatOp::ALL.len());
        for (i, op) in DbOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i, "{op:?}");
        }
    }
}
