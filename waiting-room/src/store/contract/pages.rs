//! A reload that reads the line in pages (store/paged.rs): the pages and the log
//! replay make the exact line, however it moves between the pages.

use super::harness::join;
use super::{settings, Harness};
use crate::store::{read_queue, QueueReader, TicketState};
use crate::UserId;

/// Pages of the line by sequence number: each bounded by its limit, ascending, above
/// `after`, with the log's cursor as of the page.
pub(crate) async fn snapshot_pages_are_bounded_and_ascending(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    for _ in 0..7 {
        join(&h, event, UserId::new()).await;
    }
    let first = h.store.snapshot_page(event, 0, 3).await.unwrap();
    assert!(first.opened);
    assert_eq!(first.seqs, vec![1, 2, 3]);
    let next = h.store.snapshot_page(event, 3, 3).await.unwrap();
    assert_eq!(next.seqs, vec![4, 5, 6]);
    assert_eq!(next.cursor, first.cursor, "nothing was logged in between");
    let last = h.store.snapshot_page(event, 6, 3).await.unwrap();
    assert_eq!(last.seqs, vec![7]);
    assert!(h
        .store
        .snapshot_page(event, 7, 3)
        .await
        .unwrap()
        .seqs
        .is_empty());
    assert_eq!(
        h.store.snapshot_page(event, 0, 0).await.unwrap().seqs,
        vec![1],
        "a limit of 0 reads one"
    );
    let whole = read_queue(&*h.store, event, 2).await.unwrap();
    assert_eq!(whole.seqs, (1..=7).collect::<Vec<_>>());
    assert_eq!(whole.cursor, first.cursor);
    let unknown = h
        .store
        .snapshot_page(crate::EventId::new(), 0, 3)
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, crate::store::StoreError::UnknownEvent),
        "{unknown:?}"
    );
}

/// Fans join, leave and are admitted between the pages of one reload: the reload
/// still ends with the exact line at its cursor, in FIFO order, and nobody's count of
/// people ahead is higher than the store's before the reload began.
pub(crate) async fn a_paged_reload_is_exact_while_the_line_moves(h: Harness) {
    let event = h.open_event(settings(60_000, 3)).await;
    let mut users: Vec<UserId> = Vec::new();
    for _ in 0..12 {
        let user = UserId::new();
        join(&h, event, user).await;
        users.push(user);
    }
    let mut before = Vec::new();
    for user in &users {
        match h.state(event, *user).await {
            TicketState::Queued { seq, ahead } => before.push((seq, ahead)),
            other => panic!("{other:?}"),
        }
    }

    let mut reader = QueueReader::new(event, 4);
    assert!(
        reader.step(&*h.store).await.unwrap(),
        "seqs 1..=4: more to read"
    );
    // Behind the page just read: one leaves from a later page's range, two join.
    assert!(h.store.leave(event, users[9]).await.unwrap());
    for _ in 0..2 {
        let user = UserId::new();
        join(&h, event, user).await;
        users.push(user);
    }
    // Within the page just read: the head is admitted, one leaves.
    h.advance(100).await;
    let admitted = h.store.admit(event, None).await.unwrap().admitted;
    assert_eq!(
        admitted.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(h.store.leave(event, users[3]).await.unwrap());
    assert!(reader.step(&*h.store).await.unwrap(), "seqs 5..=8");
    // The one who left from the head's page comes back, at the back; one more leaves.
    join(&h, event, users[3]).await;
    assert!(h.store.leave(event, users[5]).await.unwrap());
    let snap = reader.finish(&*h.store).await.unwrap().expect("not lagged");

    let truth = h.store.snapshot_page(event, 0, 1_000).await.unwrap();
    assert_eq!(
        snap.cursor, truth.cursor,
        "the reload read the log to its end"
    );
    assert_eq!(snap.seqs, truth.seqs, "the exact line");
    assert_eq!(snap.seqs, vec![5, 7, 8, 9, 11, 12, 13, 14, 15]);
    assert!(snap.opened);
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!(stats.waiting, snap.seqs.len() as u64);

    // FIFO: each waiting fan's people-ahead from the reloaded line is the store's, and
    // never above what it was before the reload.
    for user in &users {
        let TicketState::Queued { seq, ahead } = h.state(event, *user).await else {
            continue;
        };
        let local = snap.seqs.iter().take_while(|s| **s < seq).count() as u64;
        assert_eq!(local, ahead, "seq {seq}");
        if let Some((_, was)) = before.iter().find(|(s, _)| *s == seq) {
            assert!(
                ahead <= *was,
                "seq {seq}: {was} ahead before, {ahead} after"
            );
        }
    }
}
