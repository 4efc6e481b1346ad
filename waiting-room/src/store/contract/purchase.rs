//! The contract on purchases ([`QueueStore::purchased`]) and on the waitlist after
//! sell-out ([`QueueStore::admit`] with free seats).

use super::{join, settings, Harness};
use crate::store::{Change, Cursor, QueueStore, TicketState};
use crate::{TicketId, UserId};

/// A confirmed order ends the session (slot and place back), the ticket says
/// purchased with its orders and no longer admitted, replicas learn it from the log,
/// and a later join gives a new ticket at the back.
pub(crate) async fn a_purchase_ends_the_session_for_good(h: Harness) {
    let event = h.open_event(settings(60_000, 1)).await;
    let (buyer, next, never) = (UserId::new(), UserId::new(), UserId::new());
    let first = join(&h, event, buyer).await.ticket;
    join(&h, event, next).await;
    h.advance(200).await;
    assert_eq!(
        h.store.admit(event, None).await.unwrap().admitted,
        vec![(1, buyer)]
    );
    let (_, cursor) = drain(&*h.store, event, Cursor::default()).await;

    assert!(h.store.purchased(event, buyer, "order-1").await.unwrap());
    assert!(
        h.store.purchased(event, buyer, "order-1").await.unwrap(),
        "idempotent"
    );
    assert!(h.store.purchased(event, buyer, "order-2").await.unwrap());
    assert!(
        !h.store.purchased(event, never, "order-3").await.unwrap(),
        "no ticket"
    );
    assert!(
        !h.store.purchased(event, next, "order-4").await.unwrap(),
        "not admitted"
    );
    let status = h.store.status(event, buyer).await.unwrap().unwrap();
    assert_eq!(status.ticket, first);
    assert_eq!(
        status.state,
        TicketState::Purchased {
            seq: 1,
            orders: vec!["order-1".into(), "order-2".into()]
        }
    );
    assert!(
        !h.store.release(event, buyer).await.unwrap(),
        "the session already ended"
    );
    let (changes, _) = drain(&*h.store, event, cursor).await;
    assert_eq!(
        changes,
        vec![
            Change::Purchased {
                user: buyer,
                orders: vec!["order-1".into()]
            },
            Change::Purchased {
                user: buyer,
                orders: vec!["order-1".into(), "order-2".into()]
            },
        ]
    );
    // The slot came back: the next fan is admitted at once.
    h.advance(200).await;
    assert_eq!(
        h.store.admit(event, None).await.unwrap().admitted,
        vec![(2, next)]
    );
    // Joining again is a new ticket at the back, not the purchased one.
    let again = h
        .store
        .join(event, buyer, &TicketId("again".into()), None)
        .await
        .unwrap();
    assert_eq!(again.ticket, TicketId("again".into()));
    assert!(matches!(again.state, TicketState::Queued { seq: 3, .. }));
}

/// Before the event sells out, free seats do not limit admission; once a step sees
/// none free, the line is the waitlist: a step admits at most free seats minus the
/// fans shopping, in queue order, and the mark stays when seats come back.
pub(crate) async fn the_waitlist_gets_only_the_seats_that_came_back(h: Harness) {
    let mut s = settings(60_000, 100);
    s.session_ttl_secs = 1;
    let event = h.open_event(s).await;
    let users: Vec<UserId> = (0..10).map(|_| UserId::new()).collect();
    for u in &users[..3] {
        join(&h, event, *u).await;
    }
    h.advance(200).await;
    let out = h.store.admit(event, Some(1)).await.unwrap();
    assert_eq!(
        out.admitted.len(),
        3,
        "not sold out yet: seats do not limit"
    );
    assert!(!out.waitlist);
    for u in &users[3..] {
        join(&h, event, *u).await;
    }
    h.advance(200).await;
    let out = h.store.admit(event, Some(0)).await.unwrap();
    assert!(out.admitted.is_empty(), "sold out: nobody");
    assert!(out.waitlist);
    // 5 seats come back while 3 fans still shop: 2 more, the next in line.
    h.advance(200).await;
    let out = h.store.admit(event, Some(5)).await.unwrap();
    assert!(out.waitlist, "the mark stays");
    let seqs: Vec<u64> = out.admitted.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, vec![4, 5]);
    assert_eq!(out.active, 5);
    h.advance(100).await;
    assert!(h
        .store
        .admit(event, Some(5))
        .await
        .unwrap()
        .admitted
        .is_empty());
    // A shopper buys one seat (4 free, 4 shopping): nobody new.
    assert!(h.store.purchased(event, users[0], "o").await.unwrap());
    assert!(h
        .store
        .admit(event, Some(4))
        .await
        .unwrap()
        .admitted
        .is_empty());
    // The offers lapse (sessions end unused): the seats pass down the line.
    h.advance(1_100).await;
    let out = h.store.admit(event, Some(2)).await.unwrap();
    let seqs: Vec<u64> = out.admitted.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, vec![6, 7]);
    assert_eq!(h.store.stats(event).await.unwrap().waiting, 3);
}

/// Every change after `cursor`, and the cursor after them.
async fn drain(
    store: &dyn QueueStore,
    event: crate::EventId,
    mut cursor: Cursor,
) -> (Vec<Change>, Cursor) {
    let mut out = Vec::new();
    loop {
        let batch = store.changes(event, &cursor, 100).await.unwrap();
        if batch.changes.is_empty() {
            return (out, cursor);
        }
        cursor = batch.cursor;
        out.extend(batch.changes);
    }
}
