//! The seat room's contract, without a database: over an in-memory [`MemoryLedger`]
//! and each seat store (embedded, Redis, Redis Cluster, as the seat store's own
//! suite), the room tails the log into its view and one delta per read, sweeps
//! expired holds (settling lapsed confirms by the ledger), and rebuilds a store that
//! lost its seats from the ledger's sold and held-back seats.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::broadcast::Receiver;

use super::{SeatEncoder, SeatEvent, SeatRoom};
use crate::seats::layout::SectionLayout;
use crate::seats::memory::MemorySeatStore;
use crate::seats::redis::RedisSeatStore;
use crate::seats::store::{ConfirmStart, HoldId, HoldOutcome, HoldRequest, SeatState, SeatStore};
use crate::seats::{MemoryLedger, SeatLayout};
use crate::store::contract::{test_prefix, test_redis_cluster_url, test_redis_url, Harness};
use crate::store::StoreError;
use crate::{EventId, UserId};

/// A test encoder: `snapshot:` or `compact:` then one letter per seat, and
/// `delta:` then `name=state` per changed seat.
pub(super) struct Text;

impl SeatEncoder for Text {
    type Message = Arc<str>;

    fn snapshot(_layout: &SeatLayout, states: &[u8], compact: bool) -> Arc<str> {
        let letters: String = states
            .iter()
            .map(|s| letter(SeatState::from_u8(*s)))
            .collect();
        let kind = if compact { "compact" } else { "snapshot" };
        format!("{kind}:{letters}").into()
    }

    fn delta(layout: &SeatLayout, changes: &[(u32, SeatState)]) -> Arc<str> {
        let changes: Vec<String> = changes
            .iter()
            .map(|(seat, state)| format!("{}={}", layout.name(*seat), letter(*state)))
            .collect();
        format!("delta:{}", changes.join(",")).into()
    }
}

fn letter(state: SeatState) -> char {
    match state {
        SeatState::Free => 'f',
        SeatState::Held => 'h',
        SeatState::Sold => 's',
        SeatState::HeldBack => 'b',
    }
}

type Forget = Box<dyn Fn(EventId) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A seat store under test, a way to make it lose an event's seats, and a ledger.
struct R {
    h: Harness<dyn SeatStore>,
    forget: Forget,
    ledger: MemoryLedger,
}

impl R {
    fn memory() -> Self {
        let mut made = None;
        let h = Harness::manual(|clock| {
            let store = MemorySeatStore::new(clock);
            made = Some(store.clone());
            Arc::new(store) as Arc<dyn SeatStore>
        });
        let store = made.expect("the harness made the store");
        Self::with(
            h,
            Box::new(move |event| {
                store.forget(event);
                Box::pin(async {})
            }),
        )
    }

    async fn redis(url: Option<String>) -> Option<Self> {
        let store = RedisSeatStore::connect(&url?, &test_prefix())
            .await
            .expect("connect to test redis");
        let h = Harness::real_time(Arc::new(store.clone()) as Arc<dyn SeatStore>);
        Some(Self::with(
            h,
            Box::new(move |event| {
                let store = store.clone();
                Box::pin(async move { store.forget(event).await })
            }),
        ))
    }

    fn with(h: Harness<dyn SeatStore>, forget: Forget) -> Self {
        Self {
            h,
            forget,
            ledger: MemoryLedger::default(),
        }
    }

    /// The room of a new event with one section of `seats` seats in a row.
    async fn room(&self, seats: u32) -> Result<Arc<SeatRoom<Text>>, StoreError> {
        let layout = SeatLayout::new(vec![SectionLayout {
            name: "A".into(),
            rows: 1,
            seats_per_row: seats,
            price_cents: 100,
        }]);
        let ledger = Arc::new(self.ledger.clone());
        SeatRoom::load(EventId::new(), layout, Arc::clone(&self.h.store), ledger).await
    }

    async fn hold(&self, room: &SeatRoom<Text>, jti: &str, seats: &[u32], ttl_ms: i64) -> HoldId {
        let request = HoldRequest {
            hold: HoldId::new(),
            user: UserId::new(),
            jti: jti.into(),
            max_seats: 10,
            seats: seats.to_vec(),
            ttl_ms,
        };
        let outcome = self.h.store.hold(room.event(), &request).await.unwrap();
        assert!(matches!(outcome, HoldOutcome::Held { .. }), "{outcome:?}");
        request.hold
    }

    /// The store's states as the test encoder's letters.
    async fn store_letters(&self, room: &SeatRoom<Text>) -> String {
        let states = self
            .h
            .store
            .seat_snapshot(room.event())
            .await
            .unwrap()
            .states;
        letters(&states)
    }
}

fn letters(states: &[u8]) -> String {
    states
        .iter()
        .map(|s| letter(SeatState::from_u8(*s)))
        .collect()
}

fn next(rx: &mut Receiver<SeatEvent<Arc<str>>>) -> Option<SeatEvent<Arc<str>>> {
    match rx.try_recv() {
        Ok(event) => Some(event),
        Err(TryRecvError::Empty) => None,
        Err(other) => panic!("{other:?}"),
    }
}

async fn the_view_tails_the_log_with_one_delta_per_read(r: R) {
    let room = r.room(6).await.unwrap();
    let mut rx = room.subscribe();
    let mut other = room.subscribe();
    assert_eq!(&*room.snapshot_message(false).await, "snapshot:ffffff");
    r.hold(&room, "a", &[1, 2], 60_000).await;
    r.hold(&room, "b", &[4], 60_000).await;
    r.h.store.mark_sold(room.event(), &[5]).await.unwrap();
    room.sync().await.unwrap();
    assert_eq!(letters(&room.states()), "fhhfhs");
    assert_eq!(letters(&room.states()), r.store_letters(&room).await);
    assert_eq!((room.counts().held, room.counts().sold), (3, 1));
    let delta = match next(&mut rx) {
        Some(SeatEvent::Delta(text)) => text,
        other => panic!("one delta for the read: {other:?}"),
    };
    assert_eq!(&*delta, "delta:A-1-2=h,A-1-3=h,A-1-5=h,A-1-6=s");
    assert!(next(&mut rx).is_none(), "one delta per read");
    // Every subscriber gets the same buffer, encoded once.
    match next(&mut other) {
        Some(SeatEvent::Delta(text)) => assert!(Arc::ptr_eq(&text, &delta), "a copy"),
        event => panic!("{event:?}"),
    }
    // A read with nothing new sends nothing; the snapshot follows the view.
    room.sync().await.unwrap();
    assert!(next(&mut rx).is_none());
    assert_eq!(&*room.snapshot_message(false).await, "snapshot:fhhfhs");
    assert_eq!(&*room.snapshot_message(true).await, "compact:fhhfhs");
    let encodings = room.encodings();
    let (one, two) = (
        room.snapshot_message(true).await,
        room.snapshot_message(true).await,
    );
    assert_eq!(room.encodings(), encodings, "unchanged: the shared copy");
    assert!(Arc::ptr_eq(&one, &two), "one buffer for every subscriber");
}

async fn the_sweep_releases_expired_holds_and_settles_lapsed_confirms(r: R) {
    let room = r.room(8).await.unwrap();
    let kept = r.hold(&room, "a", &[0], 60_000).await;
    r.hold(&room, "b", &[1], 50).await;
    // Three confirms whose leases lapse: one committed, one not, one unknown.
    let mut confirms = Vec::new();
    for (jti, seat) in [("c", 2), ("d", 3), ("e", 4)] {
        let hold = r.hold(&room, jti, &[seat], 1_000).await;
        let start = r.h.store.begin_confirm(room.event(), &hold, jti, 50).await;
        assert!(matches!(start.unwrap(), ConfirmStart::Leased(_)));
        confirms.push(hold);
    }
    r.ledger.record_order(room.event(), &confirms[0], &[2]);
    r.h.advance(1_200).await;
    // Unknown while the ledger cannot answer: those holds are kept.
    r.ledger.fail(true);
    assert_eq!(room.sweep().await.unwrap(), 1, "the lapsed hold only");
    assert_eq!(r.store_letters(&room).await, "hfhhhfff");
    r.ledger.fail(false);
    assert_eq!(room.sweep().await.unwrap(), 2, "the uncommitted confirms");
    assert_eq!(
        r.store_letters(&room).await,
        "hfsfffff",
        "the committed one sold"
    );
    assert!(r
        .h
        .store
        .hold_info(room.event(), &kept)
        .await
        .unwrap()
        .is_some());
    room.sync().await.unwrap();
    assert_eq!(letters(&room.states()), "hfsfffff");
}

async fn a_lost_store_is_rebuilt_from_the_ledger(r: R) {
    let room = r.room(6).await.unwrap();
    let event = room.event();
    let mut rx = room.subscribe();
    r.hold(&room, "a", &[3], 60_000).await;
    // Meanwhile in the ledger: an order of seats 0 and 1, and seat 5 held back.
    r.ledger.record_order(event, &HoldId::new(), &[0, 1]);
    r.ledger.hold_back(event, &[5]);
    // The store loses the event: the hold is lost, the order and held-back seat not.
    (r.forget)(event).await;
    room.sync().await.unwrap();
    assert!(matches!(next(&mut rx), Some(SeatEvent::Reset)));
    assert!(next(&mut rx).is_none());
    assert_eq!(r.store_letters(&room).await, "ssfffb");
    assert_eq!(letters(&room.states()), "ssfffb");
    assert_eq!(&*room.snapshot_message(false).await, "snapshot:ssfffb");
    // The rebuilt store's log is tailed as before.
    r.hold(&room, "b", &[2], 60_000).await;
    room.sync().await.unwrap();
    assert_eq!(letters(&room.states()), "sshffb");
    assert!(matches!(next(&mut rx), Some(SeatEvent::Delta(_))));
}

async fn a_load_frees_seats_refunded_in_the_ledger_only(r: R) {
    let room = r.room(4).await.unwrap();
    let event = room.event();
    let (bought, refunded) = (HoldId::new(), HoldId::new());
    r.ledger.record_order(event, &bought, &[0]);
    r.ledger.record_order(event, &refunded, &[1, 2]);
    r.h.store.mark_sold(event, &[0, 1, 2]).await.unwrap();
    r.ledger.refund(&refunded);
    let again = SeatRoom::<Text>::load(
        event,
        room.layout().clone(),
        Arc::clone(&r.h.store),
        Arc::new(r.ledger.clone()),
    )
    .await
    .unwrap();
    assert_eq!(letters(&again.states()), "sfff");
    assert_eq!(r.store_letters(&again).await, "sfff");
}

async fn a_ledger_that_cannot_answer_fails_the_load(r: R) {
    r.ledger.fail(true);
    let error = r.room(3).await.err().expect("no room without the ledger");
    assert!(matches!(error, StoreError::Backend(_)), "{error:?}");
    assert!(
        error.to_string().contains("the ledger is unavailable"),
        "{error}"
    );
}

macro_rules! room_contract {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            room_contract!(@tests $make;
                the_view_tails_the_log_with_one_delta_per_read,
                the_sweep_releases_expired_holds_and_settles_lapsed_confirms,
                a_lost_store_is_rebuilt_from_the_ledger,
                a_load_frees_seats_refunded_in_the_ledger_only,
                a_ledger_that_cannot_answer_fails_the_load,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(r) = $make.await {
                    super::$name(r).await;
                }
            }
        )*
    };
}

room_contract!(memory, async { Some(R::memory()) });
room_contract!(redis, R::redis(test_redis_url()));
room_contract!(redis_cluster, R::redis(test_redis_cluster_url()));
