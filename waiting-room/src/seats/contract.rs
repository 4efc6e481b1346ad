//! One contract suite for every [`SeatStore`] adapter, on the queue suite's
//! [`Harness`] (`store/contract.rs`): a manual clock for the memory store, real sleeps
//! against Redis (so durations here are kept short). Each test uses fresh events.

use std::collections::HashSet;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::SeedableRng;

use super::memory::MemorySeatStore;
use super::store::{ConfirmStart, Hold, HoldId, HoldOutcome, HoldRequest, SeatState, SeatStore};
use super::view::SeatView;
use crate::store::contract::Harness;
use crate::store::{Cursor, StoreError};
use crate::{EventId, UserId};

type H = Harness<dyn SeatStore>;

impl Harness<dyn SeatStore> {
    pub fn memory_seats() -> Self {
        Self::manual(|clock| Arc::new(MemorySeatStore::new(clock)))
    }

    /// A new event with `capacity` free seats.
    async fn seats(&self, capacity: u32) -> EventId {
        let event = EventId::new();
        assert!(self.store.init_seats(event, capacity, &[]).await.unwrap());
        event
    }

    async fn hold(&self, event: EventId, r: &HoldRequest) -> HoldOutcome {
        self.store.hold(event, r).await.unwrap()
    }

    async fn states(&self, event: EventId) -> Vec<u8> {
        self.store.seat_snapshot(event).await.unwrap().states
    }

    async fn counts(&self, event: EventId) -> (u32, u32) {
        let c = self.store.seat_counts(event).await.unwrap();
        (c.held, c.sold)
    }
}

/// A request for `seats` by token `jti` (4 seats per token), held for a minute.
fn req(jti: &str, seats: &[u32]) -> HoldRequest {
    HoldRequest {
        hold: HoldId::new(),
        user: UserId::new(),
        jti: jti.to_string(),
        max_seats: 4,
        seats: seats.to_vec(),
        ttl_ms: 60_000,
    }
}

fn short(jti: &str, seats: &[u32], ttl_ms: i64) -> HoldRequest {
    HoldRequest {
        ttl_ms,
        ..req(jti, seats)
    }
}

fn is_held(o: &HoldOutcome) -> bool {
    matches!(o, HoldOutcome::Held { .. })
}

fn leased(c: ConfirmStart) -> Hold {
    match c {
        ConfirmStart::Leased(h) => h,
        other => panic!("not leased: {other:?}"),
    }
}

const F: u8 = SeatState::Free as u8;
const HD: u8 = SeatState::Held as u8;
const S: u8 = SeatState::Sold as u8;

pub(crate) async fn holds_are_all_or_nothing(h: H) {
    let event = h.seats(6).await;
    assert!(is_held(&h.hold(event, &req("a", &[1, 2])).await));
    let out = h.hold(event, &req("b", &[2, 3])).await;
    assert_eq!(out, HoldOutcome::Unavailable { seats: vec![2] });
    assert_eq!(
        h.states(event).await,
        vec![F, HD, HD, F, F, F],
        "3 stays free"
    );
    assert_eq!(h.counts(event).await, (2, 0));
    assert!(is_held(&h.hold(event, &req("b", &[3])).await));
}

pub(crate) async fn unavailable_lists_exactly_the_conflicting_seats(h: H) {
    let event = h.seats(10).await;
    h.store.mark_sold(event, &[5]).await.unwrap();
    assert!(is_held(&h.hold(event, &req("a", &[1, 2])).await));
    let wide = HoldRequest {
        max_seats: 10,
        ..req("b", &[0, 1, 3, 5, 2])
    };
    let out = h.hold(event, &wide).await;
    assert_eq!(
        out,
        HoldOutcome::Unavailable {
            seats: vec![1, 5, 2]
        }
    );
    assert_eq!(h.counts(event).await, (2, 1));
}

pub(crate) async fn tokens_count_seats_across_holds_without_refunds(h: H) {
    let event = h.seats(10).await;
    let first = req("t", &[0, 1]);
    assert!(is_held(&h.hold(event, &first).await));
    assert!(is_held(&h.hold(event, &req("t", &[2])).await));
    let out = h.hold(event, &req("t", &[3, 4])).await;
    assert_eq!(out, HoldOutcome::TokenExhausted { used: 3 });
    assert!(is_held(&h.hold(event, &req("t", &[3])).await), "up to 4");
    assert!(h
        .store
        .release(event, &first.hold, Some("t"))
        .await
        .unwrap());
    let out = h.hold(event, &req("t", &[0])).await;
    assert_eq!(out, HoldOutcome::TokenExhausted { used: 4 }, "no refund");
    // Exhaustion is checked first, whatever the seats.
    h.store.mark_sold(event, &[9]).await.unwrap();
    let out = h.hold(event, &req("t", &[9])).await;
    assert_eq!(out, HoldOutcome::TokenExhausted { used: 4 });
    let out = h.hold(event, &req("u", &[5, 6, 7, 8, 0])).await;
    assert_eq!(out, HoldOutcome::TokenExhausted { used: 0 });
    assert_eq!(h.counts(event).await, (2, 1));
}

pub(crate) async fn expired_holds_are_listed_oldest_first_and_released(h: H) {
    let event = h.seats(6).await;
    let (a, b) = (short("a", &[0, 1], 200), short("b", &[2], 300));
    let HoldOutcome::Held { expires_at_ms } = h.hold(event, &a).await else {
        panic!("not held")
    };
    assert!(is_held(&h.hold(event, &b).await));
    assert!(is_held(&h.hold(event, &req("c", &[3])).await));
    assert!(h.store.expired_holds(event, 10).await.unwrap().is_empty());
    h.advance(450).await;
    let expired = h.store.expired_holds(event, 10).await.unwrap();
    let ids: Vec<&HoldId> = expired.iter().map(|x| &x.id).collect();
    assert_eq!(ids, vec![&a.hold, &b.hold], "oldest deadline first");
    assert_eq!(
        expired[0],
        Hold {
            id: a.hold.clone(),
            user: a.user,
            jti: "a".into(),
            seats: vec![0, 1],
            expires_at_ms,
            confirming: false,
        }
    );
    assert_eq!(h.store.expired_holds(event, 1).await.unwrap().len(), 1);
    assert!(h.store.release(event, &a.hold, None).await.unwrap());
    assert!(!h.store.release(event, &a.hold, None).await.unwrap());
    assert_eq!(h.states(event).await, vec![F, F, HD, HD, F, F]);
    let expired = h.store.expired_holds(event, 10).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, b.hold);
}

pub(crate) async fn a_new_hold_takes_over_an_expired_hold(h: H) {
    let event = h.seats(6).await;
    let old = short("a", &[1, 2], 200);
    assert!(is_held(&h.hold(event, &old).await));
    let snap = h.store.seat_snapshot(event).await.unwrap();
    h.advance(300).await;
    assert!(is_held(&h.hold(event, &req("b", &[2, 3])).await));
    assert_eq!(h.store.hold_info(event, &old.hold).await.unwrap(), None);
    assert_eq!(h.states(event).await, vec![F, F, HD, HD, F, F]);
    assert_eq!(h.counts(event).await, (2, 0));
    assert!(h.store.expired_holds(event, 10).await.unwrap().is_empty());
    let start = h.store.begin_confirm(event, &old.hold, "a", 1_000).await;
    assert_eq!(start.unwrap(), ConfirmStart::NotFound);
    // The log says: the old hold's seats were freed, then the new ones held.
    let batch = h.store.seat_changes(event, &snap.cursor, 10).await.unwrap();
    let free = SeatState::Free;
    let held = SeatState::Held;
    assert_eq!(
        batch.changes,
        vec![(1, free), (2, free), (2, held), (3, held)]
    );
}

pub(crate) async fn confirming_holds_are_never_taken(h: H) {
    let event = h.seats(4).await;
    let a = short("a", &[0, 1], 200);
    assert!(is_held(&h.hold(event, &a).await));
    let lease = leased(
        h.store
            .begin_confirm(event, &a.hold, "a", 250)
            .await
            .unwrap(),
    );
    assert!(lease.confirming);
    h.advance(400).await; // the lease passed too
    let out = h.hold(event, &req("b", &[1, 2])).await;
    assert_eq!(out, HoldOutcome::Unavailable { seats: vec![1] });
    let expired = h.store.expired_holds(event, 10).await.unwrap();
    assert_eq!(expired, vec![lease], "left to the sweeper");
    // A retried confirm by the same token still gets the lease.
    leased(
        h.store
            .begin_confirm(event, &a.hold, "a", 1_000)
            .await
            .unwrap(),
    );
    h.store.finish_confirm(event, &a.hold).await.unwrap();
    assert_eq!(h.states(event).await, vec![S, S, F, F]);
}

pub(crate) async fn begin_confirm_outcomes(h: H) {
    let event = h.seats(6).await;
    let store = &h.store;
    let a = req("a", &[0]);
    let HoldOutcome::Held { expires_at_ms } = h.hold(event, &a).await else {
        panic!("not held")
    };
    let unknown = store.begin_confirm(event, &HoldId::new(), "a", 1_000).await;
    assert_eq!(unknown.unwrap(), ConfirmStart::NotFound);
    let theirs = store.begin_confirm(event, &a.hold, "b", 1_000).await;
    assert_eq!(theirs.unwrap(), ConfirmStart::NotYours);
    let lease = leased(
        store
            .begin_confirm(event, &a.hold, "a", 1_000)
            .await
            .unwrap(),
    );
    assert!(lease.confirming);
    assert_eq!(lease.expires_at_ms, expires_at_ms, "a lease never shortens");
    let again = leased(
        store
            .begin_confirm(event, &a.hold, "a", 1_000)
            .await
            .unwrap(),
    );
    assert_eq!(again, lease, "a retried confirm");
    assert_eq!(store.hold_info(event, &a.hold).await.unwrap(), Some(lease));

    // A short hold is extended to the lease.
    let b = short("b", &[1], 100);
    let HoldOutcome::Held { expires_at_ms } = h.hold(event, &b).await else {
        panic!("not held")
    };
    let lease = leased(
        store
            .begin_confirm(event, &b.hold, "b", 60_000)
            .await
            .unwrap(),
    );
    assert!(lease.expires_at_ms >= expires_at_ms + 59_000, "{lease:?}");

    let c = short("c", &[2], 100);
    assert!(is_held(&h.hold(event, &c).await));
    h.advance(200).await;
    let late = store.begin_confirm(event, &c.hold, "c", 1_000).await;
    assert_eq!(late.unwrap(), ConfirmStart::Expired);
    let theirs = store.begin_confirm(event, &c.hold, "x", 1_000).await;
    assert_eq!(theirs.unwrap(), ConfirmStart::NotYours);
    let kept = store.hold_info(event, &c.hold).await.unwrap().unwrap();
    assert!(!kept.confirming, "an expired hold is left to the sweeper");
}

pub(crate) async fn finish_confirm_sells_and_is_idempotent(h: H) {
    let event = h.seats(5).await;
    let a = req("a", &[1, 3]);
    assert!(is_held(&h.hold(event, &a).await));
    assert!(is_held(&h.hold(event, &req("b", &[4])).await));
    leased(
        h.store
            .begin_confirm(event, &a.hold, "a", 1_000)
            .await
            .unwrap(),
    );
    h.store.finish_confirm(event, &a.hold).await.unwrap();
    assert_eq!(h.counts(event).await, (1, 2));
    h.store.finish_confirm(event, &a.hold).await.unwrap();
    h.store.finish_confirm(event, &HoldId::new()).await.unwrap();
    assert_eq!(h.counts(event).await, (1, 2));
    assert_eq!(h.states(event).await, vec![F, S, F, S, HD]);
    assert_eq!(h.store.hold_info(event, &a.hold).await.unwrap(), None);
    assert!(!h.store.release(event, &a.hold, None).await.unwrap());
    let again = h.store.begin_confirm(event, &a.hold, "a", 1_000).await;
    assert_eq!(again.unwrap(), ConfirmStart::NotFound);
}

pub(crate) async fn release_checks_the_token(h: H) {
    let event = h.seats(3).await;
    let a = req("a", &[0, 2]);
    assert!(is_held(&h.hold(event, &a).await));
    assert!(!h.store.release(event, &a.hold, Some("b")).await.unwrap());
    assert_eq!(h.counts(event).await, (2, 0));
    assert!(h.store.release(event, &a.hold, Some("a")).await.unwrap());
    assert_eq!(h.counts(event).await, (0, 0));
    assert_eq!(h.states(event).await, vec![F, F, F]);
}

pub(crate) async fn mark_sold_takes_seats_from_holds(h: H) {
    let event = h.seats(6).await;
    let a = req("a", &[1, 2]);
    assert!(is_held(&h.hold(event, &a).await));
    h.store.mark_sold(event, &[2, 5]).await.unwrap();
    let info = h.store.hold_info(event, &a.hold).await.unwrap().unwrap();
    assert_eq!(info.seats, vec![1]);
    assert_eq!(h.counts(event).await, (1, 2));
    h.store.mark_sold(event, &[1, 5]).await.unwrap();
    assert_eq!(h.store.hold_info(event, &a.hold).await.unwrap(), None);
    assert!(h.store.expired_holds(event, 10).await.unwrap().is_empty());
    assert_eq!(h.counts(event).await, (0, 3));
    assert_eq!(h.states(event).await, vec![F, S, S, F, F, S]);
    assert!(is_held(&h.hold(event, &req("b", &[0, 3])).await));
}

pub(crate) async fn init_seats_only_if_missing(h: H) {
    let event = EventId::new();
    assert!(h.store.init_seats(event, 4, &[3, 0]).await.unwrap());
    assert!(!h.store.init_seats(event, 10, &[]).await.unwrap());
    let counts = h.store.seat_counts(event).await.unwrap();
    assert_eq!((counts.capacity, counts.held, counts.sold), (4, 0, 2));
    assert_eq!(counts.free(), 2);
    assert_eq!(h.states(event).await, vec![S, F, F, S]);
    let empty = h.seats(0).await;
    assert_eq!(h.states(empty).await, Vec::<u8>::new());
}

pub(crate) async fn malformed_requests_are_refused(h: H) {
    let event = h.seats(4).await;
    for seats in [vec![], vec![1, 1], vec![4]] {
        let err = h.store.hold(event, &req("a", &seats)).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{seats:?}: {err:?}");
    }
    let err = h.store.mark_sold(event, &[0, 9]).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    let a = req("a", &[0]);
    assert!(is_held(&h.hold(event, &a).await));
    let dup = HoldRequest {
        seats: vec![1],
        ..a
    };
    assert!(
        h.store.hold(event, &dup).await.is_err(),
        "hold ids are unique"
    );
    assert_eq!(h.states(event).await, vec![HD, F, F, F]);
    assert_eq!(h.counts(event).await, (1, 0));
}

/// Reads the seat log from `cursor` to its end into `view`, in batches of two.
async fn replay(h: &H, event: EventId, view: &mut SeatView) {
    loop {
        let batch = h.store.seat_changes(event, view.cursor(), 2).await.unwrap();
        assert!(!batch.lagged);
        if batch.changes.is_empty() {
            assert_eq!(
                &batch.cursor,
                view.cursor(),
                "an empty read keeps the cursor"
            );
            return;
        }
        for (seat, state) in batch.changes {
            view.apply(seat, state);
        }
        view.set_cursor(batch.cursor);
    }
}

async fn assert_view_matches(h: &H, event: EventId, view: &SeatView) {
    let snap = h.store.seat_snapshot(event).await.unwrap();
    assert_eq!(view.states(), &snap.states[..]);
    assert_eq!(view.cursor(), &snap.cursor);
    let counts = h.store.seat_counts(event).await.unwrap();
    assert_eq!(
        (counts.capacity, counts.held, counts.sold),
        (view.capacity(), view.held(), view.sold())
    );
}

pub(crate) async fn the_seat_log_replays_into_the_snapshot(h: H) {
    let event = EventId::new();
    assert!(h.store.init_seats(event, 12, &[11]).await.unwrap());
    let (a, b) = (req("a", &[0, 1, 2]), short("b", &[3, 4], 100));
    h.hold(event, &a).await;
    h.hold(event, &b).await;
    let mid = h.store.seat_snapshot(event).await.unwrap();
    h.store.release(event, &a.hold, None).await.unwrap();
    h.advance(200).await;
    h.hold(event, &req("c", &[4, 5])).await; // takes over b
    let d = req("d", &[6, 7]);
    h.hold(event, &d).await;
    leased(
        h.store
            .begin_confirm(event, &d.hold, "d", 1_000)
            .await
            .unwrap(),
    );
    h.store.finish_confirm(event, &d.hold).await.unwrap();
    h.store.mark_sold(event, &[5, 9]).await.unwrap();

    // From the start, on a view of free seats.
    let mut view = SeatView::from_snapshot(super::store::SeatSnapshot {
        cursor: Cursor::default(),
        states: vec![F; 12],
    });
    replay(&h, event, &mut view).await;
    assert_view_matches(&h, event, &view).await;
    assert_eq!(view.states(), &[F, F, F, F, HD, S, S, S, F, S, F, S]);
    // From a snapshot taken half-way.
    let mut view = SeatView::from_snapshot(mid);
    replay(&h, event, &mut view).await;
    assert_view_matches(&h, event, &view).await;
}

pub(crate) async fn concurrent_holds_never_share_a_seat(h: H) {
    let event = h.seats(50).await;
    let mut rng = StdRng::seed_from_u64(7);
    let requests: Vec<HoldRequest> = (0..200)
        .map(|i| {
            let seats: Vec<u32> = sample(&mut rng, 50, 2).iter().map(|s| s as u32).collect();
            req(&format!("t{i}"), &seats)
        })
        .collect();
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let store = h.store.clone();
            tokio::spawn(async move {
                let out = store.hold(event, &r).await.unwrap();
                (r, out)
            })
        })
        .collect();
    let mut taken = HashSet::new();
    let mut held = 0;
    for task in tasks {
        let (r, out) = task.await.unwrap();
        match out {
            HoldOutcome::Held { .. } => {
                held += 1;
                for seat in &r.seats {
                    assert!(taken.insert(*seat), "seat {seat} held twice");
                }
                let info = h.store.hold_info(event, &r.hold).await.unwrap().unwrap();
                assert_eq!(info.seats, r.seats);
            }
            HoldOutcome::Unavailable { seats } => {
                assert!(!seats.is_empty() && seats.iter().all(|s| r.seats.contains(s)));
            }
            other @ HoldOutcome::TokenExhausted { .. } => panic!("{other:?}"),
        }
    }
    assert!(held >= 12, "only {held} holds");
    let states = h.states(event).await;
    for (seat, state) in states.iter().enumerate() {
        assert_eq!(*state == HD, taken.contains(&(seat as u32)), "seat {seat}");
    }
    assert_eq!(h.counts(event).await, (2 * held, 0));
}

pub(crate) async fn unknown_events_are_errors(h: H) {
    let (event, s, id) = (EventId::new(), &h.store, HoldId::new());
    let unknown = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::UnknownEvent)), "{r:?}");
    };
    unknown(s.hold(event, &req("a", &[0])).await.map(drop));
    unknown(s.hold_info(event, &id).await.map(drop));
    unknown(s.begin_confirm(event, &id, "a", 1).await.map(drop));
    unknown(s.finish_confirm(event, &id).await);
    unknown(s.release(event, &id, None).await.map(drop));
    unknown(s.expired_holds(event, 1).await.map(drop));
    unknown(s.mark_sold(event, &[0]).await);
    unknown(s.seat_counts(event).await.map(drop));
    unknown(s.seat_changes(event, &Cursor::default(), 1).await.map(drop));
    unknown(s.seat_snapshot(event).await.map(drop));
}

macro_rules! seat_contract {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            seat_contract!(@tests $make;
                holds_are_all_or_nothing,
                unavailable_lists_exactly_the_conflicting_seats,
                tokens_count_seats_across_holds_without_refunds,
                expired_holds_are_listed_oldest_first_and_released,
                a_new_hold_takes_over_an_expired_hold,
                confirming_holds_are_never_taken,
                begin_confirm_outcomes,
                finish_confirm_sells_and_is_idempotent,
                release_checks_the_token,
                mark_sold_takes_seats_from_holds,
                init_seats_only_if_missing,
                malformed_requests_are_refused,
                the_seat_log_replays_into_the_snapshot,
                concurrent_holds_never_share_a_seat,
                unknown_events_are_errors,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(h) = $make.await {
                    super::$name(h).await;
                }
            }
        )*
    };
}

seat_contract!(memory, async { Some(H::memory_seats()) });
