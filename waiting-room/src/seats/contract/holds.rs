//! The seat contract suite: holds (all or nothing, conflicts, the token budget,
//! expiry, takeover, confirming holds, concurrency).

use super::support::*;

pub(super) async fn holds_are_all_or_nothing(h: H) {
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

pub(super) async fn unavailable_lists_exactly_the_conflicting_seats(h: H) {
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

pub(super) async fn tokens_count_seats_across_holds_without_refunds(h: H) {
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
    assert_eq!(
        h.store.holders(event).await.unwrap(),
        1,
        "one token held (three times); one that was refused did not"
    );
    assert!(is_held(&h.hold(event, &req("v", &[5])).await));
    assert_eq!(h.store.holders(event).await.unwrap(), 2);
}

pub(super) async fn expired_holds_are_listed_oldest_first_and_released(h: H) {
    let event = h.seats(6).await;
    let (a, b) = (short("a", &[0, 1], 200), short("b", &[2], 300));
    let HoldOutcome::Held { expires_at_ms } = h.hold(event, &a).await else {
        panic!("not held")
    };
    assert!(is_held(&h.hold(event, &b).await));
    assert!(is_held(&h.hold(event, &req("c", &[3])).await));
    assert!(h.store.expired_holds(event, 10).await.unwrap().is_empty());
    let live = h.store.holds(event, 10).await.unwrap();
    assert_eq!(live.len(), 3, "every live hold, due or not: {live:?}");
    assert_eq!(live[0].id, a.hold, "soonest deadline first");
    assert_eq!(h.store.holds(event, 2).await.unwrap().len(), 2);
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

pub(super) async fn a_new_hold_takes_over_an_expired_hold(h: H) {
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

pub(super) async fn confirming_holds_are_never_taken(h: H) {
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

pub(super) async fn concurrent_holds_never_share_a_seat(h: H) {
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
