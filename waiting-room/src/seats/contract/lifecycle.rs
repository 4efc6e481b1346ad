//! The seat contract suite, continued: confirms, releases, recovery (`mark_sold`,
//! `init_seats`), malformed requests, the seat log and unknown events.

use super::support::*;
use crate::seats::store::SeatSnapshot;
use crate::seats::view::SeatView;
use crate::store::{Cursor, StoreError};

pub(super) async fn begin_confirm_outcomes(h: H) {
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

pub(super) async fn ended_tokens_neither_hold_nor_confirm(h: H) {
    let event = h.seats(6).await;
    let store = &h.store;
    let (confirming, other) = (req("t", &[0]), req("t", &[1]));
    assert!(is_held(&h.hold(event, &confirming).await));
    assert!(is_held(&h.hold(event, &other).await));
    leased(
        store
            .begin_confirm(event, &confirming.hold, "t", 1_000)
            .await
            .unwrap(),
    );
    store.end_token(event, "t").await.unwrap();
    store.end_token(event, "t").await.unwrap(); // idempotent
    assert_eq!(
        h.hold(event, &req("t", &[2])).await,
        HoldOutcome::SessionEnded
    );
    // A confirm already under way is leased again (a retry); a new one is refused.
    leased(
        store
            .begin_confirm(event, &confirming.hold, "t", 1_000)
            .await
            .unwrap(),
    );
    let late = store.begin_confirm(event, &other.hold, "t", 1_000).await;
    assert_eq!(late.unwrap(), ConfirmStart::SessionEnded);
    // Other tokens are untouched, and the ended token may still give seats back.
    assert!(is_held(&h.hold(event, &req("u", &[2])).await));
    assert!(store.release(event, &other.hold, Some("t")).await.unwrap());
    assert_eq!(h.states(event).await, vec![HD, F, HD, F, F, F]);
    let unknown = store.end_token(EventId::new(), "t").await;
    assert!(
        matches!(unknown, Err(StoreError::UnknownEvent)),
        "{unknown:?}"
    );
}

pub(super) async fn finish_confirm_sells_and_is_idempotent(h: H) {
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

pub(super) async fn release_checks_the_token(h: H) {
    let event = h.seats(3).await;
    let a = req("a", &[0, 2]);
    assert!(is_held(&h.hold(event, &a).await));
    assert!(!h.store.release(event, &a.hold, Some("b")).await.unwrap());
    assert_eq!(h.counts(event).await, (2, 0));
    assert!(h.store.release(event, &a.hold, Some("a")).await.unwrap());
    assert_eq!(h.counts(event).await, (0, 0));
    assert_eq!(h.states(event).await, vec![F, F, F]);
}

pub(super) async fn mark_sold_takes_seats_from_holds(h: H) {
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

pub(super) async fn init_seats_only_if_missing(h: H) {
    let event = EventId::new();
    assert!(h.store.init_seats(event, 4, &[3, 0], &[]).await.unwrap());
    assert!(!h.store.init_seats(event, 10, &[], &[]).await.unwrap());
    let counts = h.store.seat_counts(event).await.unwrap();
    assert_eq!((counts.capacity, counts.held, counts.sold), (4, 0, 2));
    assert_eq!(counts.free(), 2);
    assert_eq!(h.states(event).await, vec![S, F, F, S]);
    let empty = h.seats(0).await;
    assert_eq!(h.states(empty).await, Vec::<u8>::new());
}

pub(super) async fn malformed_requests_are_refused(h: H) {
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
    let other = EventId::new();
    assert!(h.store.init_seats(other, 2, &[5], &[]).await.is_err());
    let err = h.store.seat_counts(other).await.unwrap_err();
    assert!(matches!(err, StoreError::UnknownEvent), "nothing created");
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

pub(super) async fn the_seat_log_replays_into_the_snapshot(h: H) {
    let event = EventId::new();
    assert!(h.store.init_seats(event, 12, &[11], &[]).await.unwrap());
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
    let mut view = SeatView::from_snapshot(SeatSnapshot {
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

pub(super) async fn unknown_events_are_errors(h: H) {
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
