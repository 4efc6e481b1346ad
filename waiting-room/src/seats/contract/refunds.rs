//! The seat contract suite, refunds: `unsell` frees sold seats only, in one logged
//! step, and a repeat changes nothing.

use super::support::*;
use crate::seats::store::SeatSnapshot;
use crate::seats::view::SeatView;
use crate::store::{Cursor, StoreError};

pub(super) async fn unsell_frees_sold_seats_only(h: H) {
    let event = h.seats(6).await;
    h.store.mark_sold(event, &[0, 1, 2]).await.unwrap();
    let a = req("a", &[3]);
    assert!(is_held(&h.hold(event, &a).await));
    let start = h.store.seat_snapshot(event).await.unwrap();

    // Sold 1 and 2 turn free; held 3 and free 5 are left alone; a repeat is harmless.
    assert_eq!(h.store.unsell(event, &[1, 2, 3, 5, 2]).await.unwrap(), 2);
    assert_eq!(h.states(event).await, vec![S, F, F, HD, F, F]);
    assert_eq!(h.counts(event).await, (1, 1));
    assert!(h.store.hold_info(event, &a.hold).await.unwrap().is_some());
    assert_eq!(
        h.store.unsell(event, &[1, 2]).await.unwrap(),
        0,
        "idempotent"
    );
    assert_eq!(h.states(event).await, vec![S, F, F, HD, F, F]);

    // The seat log carries it: a replica's view replays to the store's snapshot.
    let mut view = SeatView::from_snapshot(start);
    loop {
        let batch = h
            .store
            .seat_changes(event, view.cursor(), 16)
            .await
            .unwrap();
        if batch.changes.is_empty() {
            break;
        }
        for (seat, state) in batch.changes {
            view.apply(seat, state);
        }
        view.set_cursor(batch.cursor);
    }
    let snap: SeatSnapshot = h.store.seat_snapshot(event).await.unwrap();
    assert_eq!(view.states(), &snap.states[..]);
    assert_ne!(view.cursor(), &Cursor::default());

    // A freed seat sells again.
    let b = req("b", &[1, 2]);
    assert!(is_held(&h.hold(event, &b).await));
}

pub(super) async fn unsell_refuses_bad_seats_and_unknown_events(h: H) {
    let event = h.seats(3).await;
    h.store.mark_sold(event, &[0]).await.unwrap();
    let err = h.store.unsell(event, &[0, 3]).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert_eq!(h.states(event).await, vec![S, F, F], "nothing changed");
    let err = h.store.unsell(EventId::new(), &[0]).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownEvent), "{err:?}");
}
