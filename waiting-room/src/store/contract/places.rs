//! The contract on places per address ([`PlaceCap`]): counted in the join's own
//! atomic step, refused at the cap with nothing changed, and given back when a ticket
//! leaves, is dropped, or its shopping session ends.

use super::{join, settings, Harness};
use crate::store::{PlaceCap, StoreError, TicketState};
use crate::{TicketId, UserId};

fn cap(holder: &str, max: u32) -> PlaceCap {
    PlaceCap {
        holder: holder.into(),
        max,
    }
}

pub(crate) async fn one_address_holds_at_most_its_cap(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    let here = cap("203.0.113.7", 2);
    let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
    for user in [a, b] {
        h.store
            .join(event, user, &TicketId::new(), Some(&here))
            .await
            .unwrap();
    }
    // A second tab of a fan who holds a place is not a new place.
    let again = h.store.join(event, a, &TicketId::new(), Some(&here)).await;
    assert!(matches!(again.unwrap().state, TicketState::Queued { .. }));
    match h.store.join(event, c, &TicketId::new(), Some(&here)).await {
        Err(StoreError::TooManyPlaces { max: 2 }) => {}
        other => panic!("a third place from one address: {other:?}"),
    }
    assert_eq!(
        h.store.status(event, c).await.unwrap(),
        None,
        "nothing changed"
    );
    assert_eq!(h.store.stats(event).await.unwrap().waiting, 2);
    // Another address, and a join without a cap, are not counted against it.
    h.store
        .join(
            event,
            c,
            &TicketId::new(),
            Some(&cap("2001:db8:1:2::/64", 2)),
        )
        .await
        .unwrap();
    join(&h, event, UserId::new()).await;
    // Leaving gives the place back.
    assert!(h.store.leave(event, a).await.unwrap());
    let d = UserId::new();
    h.store
        .join(event, d, &TicketId::new(), Some(&here))
        .await
        .unwrap();
    let e = UserId::new();
    let full = h.store.join(event, e, &TicketId::new(), Some(&here)).await;
    assert!(matches!(full, Err(StoreError::TooManyPlaces { .. })));
}

pub(crate) async fn places_come_back_when_dropped_or_sessions_end(h: Harness) {
    let mut s = settings(60_000, 10);
    s.session_ttl_secs = 1;
    let event = h.open_event_with_grace(s, 400).await;
    let here = cap("198.51.100.1", 2);
    let (gone, shopper, late) = (UserId::new(), UserId::new(), UserId::new());
    h.store
        .join(event, shopper, &TicketId::new(), Some(&here))
        .await
        .unwrap();
    h.advance(100).await;
    // The shopper is admitted: the session still holds the place.
    assert_eq!(
        h.store.admit(event, None).await.unwrap().admitted,
        vec![(1, shopper)]
    );
    h.store
        .join(event, gone, &TicketId::new(), Some(&here))
        .await
        .unwrap();
    let full = h
        .store
        .join(event, late, &TicketId::new(), Some(&here))
        .await;
    assert!(matches!(full, Err(StoreError::TooManyPlaces { .. })));
    // `gone` keeps no socket and is dropped after its grace; its place comes back.
    h.advance(500).await;
    let dropped = h.store.admit(event, Some(0)).await.unwrap().dropped;
    assert_eq!(dropped, 1);
    h.store
        .join(event, late, &TicketId::new(), Some(&here))
        .await
        .unwrap();
    let other = UserId::new();
    let full = h
        .store
        .join(event, other, &TicketId::new(), Some(&here))
        .await;
    assert!(matches!(full, Err(StoreError::TooManyPlaces { .. })));
    // The shopper's session ends (1 s): its place comes back at the next step
    // (`late` keeps a socket open meanwhile).
    let replica = crate::store::ReplicaId::random();
    h.presence(event, &replica, &[late], &[], 60_000).await;
    h.advance(700).await;
    h.store.admit(event, Some(0)).await.unwrap();
    h.store
        .join(event, other, &TicketId::new(), Some(&here))
        .await
        .unwrap();
    // Ending a session early gives its place back too.
    let released = h.store.admit(event, None).await.unwrap().admitted;
    assert_eq!(released.len(), 2, "late and other admitted: {released:?}");
    assert!(h.store.release(event, late).await.unwrap());
    let last = UserId::new();
    h.store
        .join(event, last, &TicketId::new(), Some(&here))
        .await
        .unwrap();
    let full = h
        .store
        .join(event, gone, &TicketId::new(), Some(&here))
        .await;
    assert!(matches!(full, Err(StoreError::TooManyPlaces { .. })));
}
