//! A closed sale's line removed (issue 19): the fans' state goes, the settings, the
//! counters and the published draw record stay.

use super::{settings, Harness};
use crate::shuffle::ShuffleSeed;
use crate::store::{Cursor, PresenceUpdate, ReplicaId, StoreError};
use crate::{EventId, TicketId, UserId};

pub(crate) async fn a_removed_line_keeps_only_the_settings_counters_and_draw(h: Harness) {
    let event = h.event(300, settings(6_000, 100)).await;
    let early: Vec<UserId> = (0..5).map(|_| UserId::new()).collect();
    for user in &early {
        h.store
            .join(event, *user, &TicketId::new(), None)
            .await
            .unwrap();
    }
    h.advance(400).await;
    assert!(h
        .store
        .open(event, &ShuffleSeed::from_bytes([9; 32]))
        .await
        .unwrap());
    let late: Vec<UserId> = (0..5).map(|_| UserId::new()).collect();
    for user in &late {
        h.store
            .join(event, *user, &TicketId::new(), None)
            .await
            .unwrap();
    }
    let replica = ReplicaId::random();
    let update = PresenceUpdate {
        replica: &replica,
        cover: &late,
        uncover: &[],
        lease_ms: 60_000,
    };
    h.store.presence(event, &update).await.unwrap();
    h.advance(1_000).await;
    let admitted = h.store.admit(event, None).await.unwrap().admitted.len() as u64;
    assert!(admitted > 0);
    let before = h.store.stats(event).await.unwrap();
    assert_eq!(before.joined, 10);
    let draw = h.store.draw(event, 0, 100).await.unwrap();

    h.store.remove_line(event).await.unwrap();
    h.store.remove_line(event).await.unwrap(); // idempotent

    let after = h.store.stats(event).await.unwrap();
    assert_eq!(
        (after.waiting, after.prequeue, after.active, after.joined),
        (0, 0, 0, 0),
        "nobody is left: {after:?}"
    );
    assert_eq!(
        after.admitted_total, before.admitted_total,
        "the counters stay"
    );
    assert!(after.opened);
    assert_eq!(
        h.store.draw(event, 0, 100).await.unwrap(),
        draw,
        "the draw stays"
    );
    let status = h.store.status(event, early[0]).await.unwrap();
    assert_eq!(status, None, "the tickets went");
    let log = h
        .store
        .changes(event, &Cursor::default(), 100)
        .await
        .unwrap();
    assert!(log.changes.is_empty(), "the log went: {log:?}");
    assert!(matches!(
        h.store.remove_line(EventId::new()).await,
        Err(StoreError::UnknownEvent)
    ));
}
