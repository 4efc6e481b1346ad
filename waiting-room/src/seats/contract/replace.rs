//! The seat contract suite, sections edited before the opening:
//! [`SeatStore::replace_seats`] replaces the seats only while every one is free, and
//! restarts the seat log so every reader reloads.

use super::held_back::B;
use super::support::*;
use crate::seats::store::{SeatCounts, SeatsReplaced};
use crate::seats::view::SeatView;
use crate::store::Cursor;

pub(super) async fn replace_seats_makes_new_free_seats_and_restarts_the_log(h: H) {
    let event = h.seats(4).await;
    // A hold and its release: a reader at the end of the log, and a token that held.
    let a = req("a", &[0, 1]);
    assert!(is_held(&h.hold(event, &a).await));
    assert!(h.store.release(event, &a.hold, None).await.unwrap());
    let before = h.store.seat_snapshot(event).await.unwrap();

    let done = h.store.replace_seats(event, 6).await.unwrap();
    assert_eq!(done, SeatsReplaced::Replaced);
    assert_eq!(h.states(event).await, vec![F; 6]);
    let c = h.store.seat_counts(event).await.unwrap();
    assert_eq!((c.capacity, c.free()), (6, 6));
    // Every old cursor, even the newest, lags: the reader reloads the new seats.
    let old = h
        .store
        .seat_changes(event, &before.cursor, 16)
        .await
        .unwrap();
    assert!(old.lagged, "a reader of the old log reloads");
    let from_start = h
        .store
        .seat_changes(event, &Cursor::default(), 16)
        .await
        .unwrap();
    assert!(from_start.lagged || from_start.changes.is_empty());

    // The new seats sell, and the log carries them from the new snapshot on.
    let mut view = SeatView::from_snapshot(h.store.seat_snapshot(event).await.unwrap());
    assert_eq!(view.capacity(), 6);
    assert!(is_held(&h.hold(event, &req("b", &[5])).await));
    let batch = h
        .store
        .seat_changes(event, view.cursor(), 16)
        .await
        .unwrap();
    assert!(!batch.lagged);
    for (seat, state) in batch.changes {
        view.apply(seat, state);
    }
    assert_eq!(view.states(), &h.states(event).await[..]);
    assert_eq!(view.state(5), SeatState::Held);

    // Smaller works too (once the seats are free again).
    for hold in h.store.holds(event, 10).await.unwrap() {
        h.store.release(event, &hold.id, None).await.unwrap();
    }
    let done = h.store.replace_seats(event, 2).await.unwrap();
    assert_eq!(done, SeatsReplaced::Replaced);
    assert_eq!(h.states(event).await, vec![F, F]);
}

pub(super) async fn replace_seats_refuses_while_a_seat_is_taken(h: H) {
    let event = h.seats(4).await;
    let in_use = |held, sold, held_back| {
        SeatsReplaced::InUse(SeatCounts {
            capacity: 4,
            held,
            sold,
            held_back,
        })
    };
    // Held (even once its deadline passed: the hold still has its seats).
    let a = short("a", &[1], 1);
    assert!(is_held(&h.hold(event, &a).await));
    h.advance(5).await;
    let refused = h.store.replace_seats(event, 9).await.unwrap();
    assert_eq!(refused, in_use(1, 0, 0));
    assert_eq!(h.states(event).await, vec![F, HD, F, F], "nothing changed");
    h.store.release(event, &a.hold, None).await.unwrap();

    // Held back.
    h.store.hold_back(event, &[3]).await.unwrap();
    let refused = h.store.replace_seats(event, 9).await.unwrap();
    assert_eq!(refused, in_use(0, 0, 1));
    assert_eq!(h.states(event).await, vec![F, F, F, B], "nothing changed");
    h.store.release_held_back(event, &[3]).await.unwrap();

    // Sold.
    h.store.mark_sold(event, &[0]).await.unwrap();
    let refused = h.store.replace_seats(event, 9).await.unwrap();
    assert_eq!(refused, in_use(0, 1, 0));
    assert_eq!(h.states(event).await, vec![S, F, F, F], "nothing changed");

    // An unknown event is an outcome, not an error, and creates nothing.
    let unknown = EventId::new();
    let answer = h.store.replace_seats(unknown, 3).await.unwrap();
    assert_eq!(answer, SeatsReplaced::UnknownEvent);
    assert!(h.store.seat_counts(unknown).await.is_err());
}
