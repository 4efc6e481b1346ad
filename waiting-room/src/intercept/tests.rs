//! The wrapper forwards every method once, under its own op, to the wrapped store's
//! own implementation (not the trait's default), and an interceptor may answer
//! instead of the store.

use std::sync::Mutex;

use super::*;
use crate::seats::store::{HoldId, HoldRequest, SeatStore};
use crate::seats::MemorySeatStore;
use crate::shuffle::ShuffleSeed;
use crate::store::memory::MemoryStore;
use crate::store::{Cursor, PowGate, QueueStore, Restore};
use crate::{AdmissionSettings, QueueConfig, TicketId, UserId};

/// Notes every call, then runs it.
#[derive(Default)]
struct Record(Mutex<Vec<(Op, Option<EventId>)>>);

impl Interceptor for Record {
    async fn around<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> Result<T, StoreError> {
        self.0.lock().unwrap().push((op, event));
        call.await
    }
}

fn config() -> QueueConfig {
    QueueConfig {
        presales: Vec::new(),
        starts_at_ms: 0,
        grace_ms: 60_000,
        admission: AdmissionSettings {
            rate_per_minute: 60,
            max_active: 10,
            session_ttl_secs: 600,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    }
}

#[tokio::test]
async fn every_queue_method_is_forwarded_under_its_own_op() {
    let store = Intercepted::new(Arc::new(MemoryStore::default()), Record::default());
    let (e, user) = (EventId::new(), UserId::new());
    let ticket = TicketId::issued_at(0);
    let restore = Restore {
        config: &config(),
        opened: false,
        seq_floor: 0,
        log_ordinal: 0,
        fans: &[],
    };
    // In the order of `QueueOp::ALL`; answers do not matter here.
    let _ = store.restore(e, &restore).await;
    let _ = store.configure(e, &config(), false).await;
    let _ = store.config(e).await;
    let _ = store.update_admission(e, &config().admission).await;
    let _ = store.join(e, user, &ticket, None).await;
    let _ = store
        .join_gated(e, user, &ticket, None, &PowGate::Missing)
        .await;
    let _ = store.status(e, user).await;
    let _ = store.statuses(e, &[user]).await;
    let _ = store.poll(e, user).await;
    let _ = store.leave(e, user).await;
    let replica = crate::store::ReplicaId::random();
    let _ = store
        .presence(
            e,
            &crate::store::PresenceUpdate {
                replica: &replica,
                cover: &[user],
                uncover: &[],
                lease_ms: 1_000,
            },
        )
        .await;
    let _ = store.open(e, &ShuffleSeed::from_bytes([7; 32])).await;
    let _ = store.draw(e, 0, 10).await;
    let _ = store.admit(e, None).await;
    let _ = QueueStore::release(&store, e, user).await;
    let _ = store.changes(e, &Cursor::default(), 10).await;
    let _ = store.purchased(e, user, "order").await;
    let _ = store.snapshot(e).await;
    let _ = store.stats(e).await;
    let _ = store.now_ms().await;
    let _ = store.ping().await;
    let _ = store.snapshot_page(e, 0, 10).await;
    let limit = std::time::Duration::from_millis(1);
    let _ = store.wait_changes(e, &Cursor::default(), limit).await;
    let _ = store.remove_line(e).await;
    let _ = store
        .open_step(e, &ShuffleSeed::from_bytes([7; 32]), 10)
        .await;
    // Methods that share another's op: a presale join is a join, its draw a draw.
    let _ = store.join_presale(e, user, &ticket, None, None, 1).await;
    let _ = store.presale_draw(e, 1, 0, 10).await;
    let seen = store.interceptor().0.lock().unwrap().clone();
    let ops: Vec<Op> = seen.iter().map(|(op, _)| *op).collect();
    let shared = [QueueOp::Join, QueueOp::Draw];
    let all: Vec<Op> = QueueOp::ALL
        .iter()
        .chain(shared.iter())
        .map(|op| Op::Queue(*op))
        .collect();
    assert_eq!(ops, all, "one call each, in the order made");
    for (op, event) in seen {
        let expected = match op {
            Op::Queue(QueueOp::NowMs | QueueOp::Ping) => None,
            _ => Some(e),
        };
        assert_eq!(event, expected, "{op:?}");
    }
}

#[tokio::test]
async fn every_seat_method_is_forwarded_under_its_own_op() {
    let store = Intercepted::new(Arc::new(MemorySeatStore::default()), Record::default());
    let e = EventId::new();
    let hold = HoldId::new();
    let request = HoldRequest {
        hold: hold.clone(),
        user: UserId::new(),
        jti: "jti".into(),
        max_seats: 4,
        seats: vec![0],
        ttl_ms: 60_000,
    };
    // In the order of `SeatOp::ALL`.
    let _ = store.init_seats(e, 10, &[], &[]).await;
    let _ = store.hold(e, &request).await;
    let _ = store.end_token(e, "other").await;
    let _ = store.hold_info(e, &hold).await;
    let _ = store.begin_confirm(e, &hold, "jti", 1_000).await;
    let _ = store.finish_confirm(e, &hold).await;
    let _ = SeatStore::release(&store, e, &hold, None).await;
    let _ = store.expired_holds(e, 10).await;
    let _ = store.mark_sold(e, &[1]).await;
    let _ = store.seat_counts(e).await;
    let _ = store.seat_changes(e, &Cursor::default(), 10).await;
    let _ = store.seat_snapshot(e).await;
    let _ = store.hold_back(e, &[2]).await;
    let _ = store.release_held_back(e, &[2]).await;
    let _ = store.unsell(e, &[1]).await;
    let _ = store.holders(e).await;
    let _ = store.holds(e, 10).await;
    let _ = store.replace_seats(e, 20).await;
    let seen = store.interceptor().0.lock().unwrap().clone();
    let all: Vec<(Op, Option<EventId>)> = SeatOp::ALL
        .iter()
        .map(|op| (Op::Seats(*op), Some(e)))
        .collect();
    assert_eq!(seen, all, "one call each, in the order made");
}

/// The trait's default refuses every gated join: the wrapper reaches the memory
/// store's own `join_gated`, which gives a fan its ticket back without proof.
#[tokio::test]
async fn methods_with_a_default_reach_the_stores_own() {
    let store = Intercepted::new(Arc::new(MemoryStore::default()), Record::default());
    let (e, user) = (EventId::new(), UserId::new());
    let ticket = TicketId::issued_at(0);
    store.configure(e, &config(), false).await.unwrap();
    store.join(e, user, &ticket, None).await.unwrap();
    let again = store
        .join_gated(e, user, &TicketId::issued_at(1), None, &PowGate::Missing)
        .await
        .expect("the fan's own ticket, no proof needed");
    assert_eq!(again.ticket, ticket);
    let calls: Vec<Op> = store
        .interceptor()
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        calls.last(),
        Some(&Op::Queue(QueueOp::JoinGated)),
        "one call, not the default's"
    );
}

/// Answers for `configure` without running it; lets everything else through.
struct Refuse;

impl Interceptor for Refuse {
    async fn before(&self, op: Op, _event: Option<EventId>) -> Result<(), StoreError> {
        if op == Op::Queue(QueueOp::Configure) {
            return Err(StoreError::Unavailable("refused".into()));
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_interceptor_may_answer_instead_of_the_store() {
    let store = Intercepted::new(Arc::new(MemoryStore::default()), Arc::new(Refuse));
    let e = EventId::new();
    assert!(matches!(
        store.configure(e, &config(), false).await,
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(store.config(e).await.unwrap(), None, "nothing was written");
    assert_eq!(store.inner().config(e).await.unwrap(), None);
}

#[test]
fn ops_are_indexed_by_their_discriminant_and_named_once() {
    for (i, op) in QueueOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i, "{op:?}");
    }
    for (i, op) in SeatOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i, "{op:?}");
    }
    let mut names: Vec<&str> = QueueOp::ALL.iter().map(|op| op.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), QueueOp::ALL.len());
    let mut names: Vec<&str> = SeatOp::ALL.iter().map(|op| op.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), SeatOp::ALL.len());
    assert_eq!(Op::from(QueueOp::JoinGated).name(), "join_gated");
    assert_eq!(Op::from(SeatOp::ReplaceSeats).name(), "replace_seats");
}
