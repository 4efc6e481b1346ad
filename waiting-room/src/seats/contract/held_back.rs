//! The seat contract suite, continued: seats held back from sale by an admin
//! ([`SeatStore::hold_back`], [`SeatStore::release_held_back`]) and rebuilt held back
//! by `init_seats`.

use super::support::*;
use crate::seats::store::{HoldBackOutcome, SeatSnapshot};
use crate::seats::view::SeatView;
use crate::store::{Cursor, StoreError};

pub(super) const B: u8 = SeatState::HeldBack as u8;

pub(super) async fn hold_back_is_all_or_nothing_and_idempotent(h: H) {
    let event = h.seats(6).await;
    let a = req("a", &[1]);
    assert!(is_held(&h.hold(event, &a).await));
    leased(
        h.store
            .begin_confirm(event, &a.hold, "a", 1_000)
            .await
            .unwrap(),
    );
    h.store.finish_confirm(event, &a.hold).await.unwrap(); // 1 sold
    assert!(is_held(&h.hold(event, &req("b", &[2])).await)); // 2 held

    let refused = h.store.hold_back(event, &[0, 2, 3, 1]).await.unwrap();
    assert_eq!(refused, HoldBackOutcome::Unavailable { seats: vec![2, 1] });
    assert_eq!(
        h.states(event).await,
        vec![F, S, HD, F, F, F],
        "nothing changed"
    );

    let done = h.store.hold_back(event, &[4, 0]).await.unwrap();
    assert_eq!(
        done,
        HoldBackOutcome::HeldBack {
            changed: vec![4, 0]
        }
    );
    let again = h.store.hold_back(event, &[0, 5, 4]).await.unwrap();
    assert_eq!(
        again,
        HoldBackOutcome::HeldBack { changed: vec![5] },
        "idempotent"
    );
    assert_eq!(h.states(event).await, vec![B, S, HD, F, B, B]);
    let c = h.store.seat_counts(event).await.unwrap();
    assert_eq!((c.held, c.sold, c.held_back, c.free()), (1, 1, 3, 1));
}

pub(super) async fn held_back_seats_are_never_held(h: H) {
    let event = h.seats(4).await;
    h.store.hold_back(event, &[1, 2]).await.unwrap();
    let r = h.hold(event, &req("a", &[0, 1, 2])).await;
    assert_eq!(r, HoldOutcome::Unavailable { seats: vec![1, 2] });
    assert_eq!(h.states(event).await, vec![F, B, B, F]);
    // Released, they sell like any free seat.
    assert_eq!(h.store.release_held_back(event, &[1]).await.unwrap(), 1);
    assert!(is_held(&h.hold(event, &req("b", &[0, 1])).await));
    assert_eq!(h.states(event).await, vec![HD, HD, B, F]);
}

pub(super) async fn release_held_back_frees_only_held_back_seats(h: H) {
    let event = h.seats(5).await;
    assert!(is_held(&h.hold(event, &req("a", &[0])).await));
    h.store.mark_sold(event, &[1]).await.unwrap();
    h.store.hold_back(event, &[2, 3]).await.unwrap();
    let n = h
        .store
        .release_held_back(event, &[0, 1, 2, 4])
        .await
        .unwrap();
    assert_eq!(n, 1, "only seat 2 was held back");
    assert_eq!(h.states(event).await, vec![HD, S, F, B, F]);
    assert_eq!(h.store.release_held_back(event, &[2]).await.unwrap(), 0);
    let c = h.store.seat_counts(event).await.unwrap();
    assert_eq!((c.held, c.sold, c.held_back, c.free()), (1, 1, 1, 2));
    // Recovery may sell a held-back seat (an order in the database wins).
    h.store.mark_sold(event, &[3]).await.unwrap();
    let c = h.store.seat_counts(event).await.unwrap();
    assert_eq!((c.sold, c.held_back), (2, 0));
}

pub(super) async fn init_seats_rebuilds_held_back_seats(h: H) {
    let event = EventId::new();
    assert!(h
        .store
        .init_seats(event, 5, &[0, 1], &[1, 3, 4])
        .await
        .unwrap());
    assert_eq!(h.states(event).await, vec![S, S, F, B, B], "sold wins");
    let c = h.store.seat_counts(event).await.unwrap();
    assert_eq!(
        (c.capacity, c.held, c.sold, c.held_back, c.free()),
        (5, 0, 2, 2, 1)
    );
    // The log replays into the same states.
    let mut view = SeatView::new(5);
    let batch = h
        .store
        .seat_changes(event, &Cursor::default(), 100)
        .await
        .unwrap();
    for (seat, state) in batch.changes {
        view.apply(seat, state);
    }
    assert_eq!(view.states(), &h.states(event).await[..]);
    let bad = h.store.init_seats(EventId::new(), 2, &[], &[2]).await;
    assert!(bad.is_err(), "out of range");
}

pub(super) async fn held_back_changes_are_logged(h: H) {
    let event = h.seats(6).await;
    let start = h.store.seat_snapshot(event).await.unwrap();
    h.store.hold_back(event, &[0, 1, 2]).await.unwrap();
    h.store.hold_back(event, &[2]).await.unwrap(); // nothing to log
    h.store.release_held_back(event, &[1, 5]).await.unwrap();
    let mut view = SeatView::from_snapshot(SeatSnapshot {
        cursor: start.cursor,
        states: start.states,
    });
    let batch = h
        .store
        .seat_changes(event, view.cursor(), 100)
        .await
        .unwrap();
    let (back, free) = (SeatState::HeldBack, SeatState::Free);
    assert_eq!(
        batch.changes,
        vec![(0, back), (1, back), (2, back), (1, free)]
    );
    for (seat, state) in batch.changes {
        view.apply(seat, state);
    }
    let snap = h.store.seat_snapshot(event).await.unwrap();
    assert_eq!(view.states(), &snap.states[..]);
    assert_eq!(view.states(), &[B, F, B, F, F, F]);
    assert_eq!(view.counts(), h.store.seat_counts(event).await.unwrap());
}

pub(super) async fn held_back_requests_are_checked(h: H) {
    let event = h.seats(3).await;
    for seats in [vec![], vec![3]] {
        let err = h.store.hold_back(event, &seats).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{seats:?}: {err:?}");
        let err = h.store.release_held_back(event, &seats).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{seats:?}: {err:?}");
    }
    assert_eq!(h.states(event).await, vec![F, F, F]);
    let unknown = EventId::new();
    let err = h.store.hold_back(unknown, &[0]).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownEvent), "{err:?}");
    let err = h.store.release_held_back(unknown, &[0]).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownEvent), "{err:?}");
}
