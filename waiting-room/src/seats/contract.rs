//! One contract suite for every [`SeatStore`] adapter, on the queue suite's
//! [`Harness`] (`store/contract.rs`): a manual clock for the memory store, real sleeps
//! against Redis (so durations here are kept short). Each test uses fresh events.

use std::collections::HashSet;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::SeedableRng;

use super::memory::MemorySeatStore;
use super::redis::RedisSeatStore;
use super::store::{ConfirmStart, Hold, HoldId, HoldOutcome, HoldRequest, SeatState, SeatStore};
use crate::store::contract::{test_prefix, test_redis_url, Harness};
use crate::{EventId, UserId};

mod lifecycle;
use lifecycle::*;

type H = Harness<dyn SeatStore>;

impl Harness<dyn SeatStore> {
    pub fn memory_seats() -> Self {
        Self::manual(|clock| Arc::new(MemorySeatStore::new(clock)))
    }

    /// The Redis harness, or `None` when no test Redis is configured.
    pub async fn redis_seats() -> Option<Self> {
        let url = test_redis_url()?;
        let store = RedisSeatStore::connect(&url, &test_prefix())
            .await
            .expect("connect to test redis");
        Some(Self::real_time(Arc::new(store)))
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
            other @ (HoldOutcome::TokenExhausted { .. } | HoldOutcome::SessionEnded) => {
                panic!("{other:?}")
            }
        }
    }
    assert!(held >= 12, "only {held} holds");
    let states = h.states(event).await;
    for (seat, state) in states.iter().enumerate() {
        assert_eq!(*state == HD, taken.contains(&(seat as u32)), "seat {seat}");
    }
    assert_eq!(h.counts(event).await, (2 * held, 0));
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
                ended_tokens_neither_hold_nor_confirm,
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
seat_contract!(redis, H::redis_seats());
