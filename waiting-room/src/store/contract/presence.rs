//! Presence per replica (docs/ARCHITECTURE.md, "Presence"): a replica's lease covers
//! the fans with a socket on it; a fan no lease covers keeps its place for one grace
//! period. Admission steps run with no free seat (`Some(0)`), so nobody is admitted
//! and only presence decides who stays.

use super::harness::join;
use super::{settings, Harness};
use crate::store::{Lease, ReplicaId, TicketState};
use crate::UserId;

fn queued(state: &TicketState) -> bool {
    matches!(state, TicketState::Queued { .. })
}

pub(crate) async fn a_covered_fan_outlives_grace_while_its_lease_is_renewed(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 300).await;
    let (covered, alone) = (UserId::new(), UserId::new());
    join(&h, event, covered).await;
    join(&h, event, alone).await;
    let replica = ReplicaId::random();
    let first = h.presence(event, &replica, &[covered], &[], 400).await;
    assert_eq!(first, Lease::Lapsed, "a new lease");
    for _ in 0..4 {
        h.advance(250).await;
        let renewed = h.presence(event, &replica, &[], &[], 400).await;
        assert_eq!(renewed, Lease::Held);
    }
    // A second: over three grace periods.
    let out = h.store.admit(event, Some(0)).await.unwrap();
    assert_eq!(out.dropped, 1);
    assert!(queued(&h.state(event, covered).await));
    assert_eq!(h.state(event, alone).await, TicketState::Left);
}

pub(crate) async fn a_dead_replicas_fans_lose_their_places_after_its_lease_and_grace(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 1_000).await;
    let (on_dead, on_live, on_both) = (UserId::new(), UserId::new(), UserId::new());
    for user in [on_dead, on_live, on_both] {
        join(&h, event, user).await;
    }
    let (dead, live) = (ReplicaId::random(), ReplicaId::random());
    h.presence(event, &dead, &[on_dead, on_both], &[], 300)
        .await;
    h.presence(event, &live, &[on_live, on_both], &[], 300)
        .await;
    // `dead` renews no more: its lease ends at 300 ms, its fans' places at 1.3 s.
    for step in 1..=8 {
        h.advance(200).await;
        h.presence(event, &live, &[], &[], 300).await;
        if step == 2 || step == 4 {
            // 400 and 800 ms: the lease ran out, the grace runs from its end.
            let out = h.store.admit(event, Some(0)).await.unwrap();
            assert_eq!(out.dropped, 0, "at {} ms", step * 200);
            for user in [on_dead, on_live, on_both] {
                assert!(queued(&h.state(event, user).await));
            }
        }
    }
    // 1.6 s.
    let out = h.store.admit(event, Some(0)).await.unwrap();
    assert_eq!(out.dropped, 1);
    assert_eq!(h.state(event, on_dead).await, TicketState::Left);
    assert!(queued(&h.state(event, on_live).await));
    assert!(
        queued(&h.state(event, on_both).await),
        "the live replica still covers it"
    );
}

pub(crate) async fn a_fan_moving_to_another_replica_keeps_its_place(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 300).await;
    let fan = UserId::new();
    let ticket = join(&h, event, fan).await.ticket;
    let (old, new) = (ReplicaId::random(), ReplicaId::random());
    h.presence(event, &old, &[fan], &[], 300).await;
    h.advance(200).await;
    // `old` dies; the fan's socket opens on `new` before its lease ends: the socket's
    // join, then `new`'s cover.
    assert_eq!(join(&h, event, fan).await.ticket, ticket);
    h.presence(event, &new, &[fan], &[], 300).await;
    for _ in 0..5 {
        h.advance(200).await;
        h.presence(event, &new, &[], &[], 300).await;
        h.store.admit(event, Some(0)).await.unwrap();
    }
    // 1.2 s: long past the old lease's end + grace (600 ms).
    let out = h.store.admit(event, Some(0)).await.unwrap();
    assert_eq!(out.dropped, 0);
    assert_eq!(
        h.state(event, fan).await,
        TicketState::Queued { seq: 1, ahead: 0 }
    );
}

pub(crate) async fn the_last_socket_closing_starts_the_grace(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 400).await;
    let (closes, stays, elsewhere) = (UserId::new(), UserId::new(), UserId::new());
    for user in [closes, stays, elsewhere] {
        join(&h, event, user).await;
    }
    let (a, b) = (ReplicaId::random(), ReplicaId::random());
    h.presence(event, &a, &[closes, stays, elsewhere], &[], 10_000)
        .await;
    h.presence(event, &b, &[elsewhere], &[], 10_000).await;
    h.advance(300).await;
    // Their last sockets on `a` close at 300 ms: `closes` has until 700 ms.
    h.presence(event, &a, &[], &[closes, elsewhere], 10_000)
        .await;
    h.advance(300).await;
    assert_eq!(h.store.admit(event, Some(0)).await.unwrap().dropped, 0);
    assert!(queued(&h.state(event, closes).await), "within its grace");
    h.advance(300).await;
    assert_eq!(h.store.admit(event, Some(0)).await.unwrap().dropped, 1);
    assert_eq!(h.state(event, closes).await, TicketState::Left);
    assert!(queued(&h.state(event, stays).await));
    assert!(
        queued(&h.state(event, elsewhere).await),
        "its socket on `b` covers it"
    );
}

pub(crate) async fn a_lapsed_lease_asks_for_the_fans_again(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 300).await;
    let fan = UserId::new();
    join(&h, event, fan).await;
    let replica = ReplicaId::random();
    assert_eq!(
        h.presence(event, &replica, &[fan], &[], 200).await,
        Lease::Lapsed
    );
    assert_eq!(
        h.presence(event, &replica, &[], &[], 200).await,
        Lease::Held
    );
    // The replica stalls past its lease (or the store lost it): the next step expires
    // it, the fan's place now lasts until the lease's end + grace.
    h.advance(300).await;
    assert_eq!(h.store.admit(event, Some(0)).await.unwrap().dropped, 0);
    assert_eq!(
        h.presence(event, &replica, &[], &[], 400).await,
        Lease::Lapsed,
        "the store forgot the lease: the replica must send its fans again"
    );
    assert_eq!(
        h.presence(event, &replica, &[fan], &[], 400).await,
        Lease::Held
    );
    for _ in 0..3 {
        h.advance(200).await;
        h.presence(event, &replica, &[], &[], 400).await;
    }
    // 900 ms: past the expired lease's end + grace (500 ms), covered again.
    assert_eq!(h.store.admit(event, Some(0)).await.unwrap().dropped, 0);
    assert!(queued(&h.state(event, fan).await));
}

pub(crate) async fn a_covered_prequeued_fan_keeps_its_place_before_the_opening(h: Harness) {
    let event = h.event_with_grace(60_000, settings(60, 10), 300).await;
    let (covered, alone) = (UserId::new(), UserId::new());
    assert_eq!(
        join(&h, event, covered).await.state,
        TicketState::Prequeue { slot: 0 }
    );
    join(&h, event, alone).await;
    let replica = ReplicaId::random();
    h.presence(event, &replica, &[covered], &[], 400).await;
    for _ in 0..4 {
        h.advance(250).await;
        h.presence(event, &replica, &[], &[], 400).await;
    }
    let out = h.store.admit(event, None).await.unwrap();
    assert_eq!(out.dropped, 1);
    assert_eq!(
        h.state(event, covered).await,
        TicketState::Prequeue { slot: 0 }
    );
    assert_eq!(h.state(event, alone).await, TicketState::Left);
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 1);
}
