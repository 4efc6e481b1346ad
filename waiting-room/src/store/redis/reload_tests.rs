//! Redis-specific tests of a reload and a restore in bounded calls (issue 19): a paged
//! read the change log outran starts again, and a restore of many batches writes one
//! log entry per batch. Like the contract suite they need `FLOODGATE_TEST_REDIS_URL`.

use redis::AsyncCommands;

use super::keys::EventKeys;
use super::tests::{connect, open_event};
use super::*;
use crate::store::{Change, QueueReader, RestoredFan, TicketState};

/// A paged read whose first cursor the log trimmed away meanwhile does not answer a
/// line it cannot vouch for: the reader says so and `snapshot` reads again.
#[tokio::test]
async fn a_paged_read_the_log_outran_reads_again() {
    let Some((store, _)) = connect().await else {
        return;
    };
    let store = store.with_log_capacity(10).with_snapshot_page(50);
    let event = open_event(&store).await;
    for _ in 0..120 {
        store
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
    }
    let mut reader = QueueReader::new(event, 50);
    assert!(reader.step(&store).await.unwrap());
    // Well past one stream node (100 entries), so MAXLEN ~ trims past the cursor.
    for _ in 0..350 {
        store
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
    }
    assert!(
        reader.finish(&store).await.unwrap().is_none(),
        "the log was trimmed past the first page's cursor"
    );
    let snap = store.snapshot(event).await.unwrap();
    assert_eq!(snap.seqs, (1..=470).collect::<Vec<_>>());
    let batch = store.changes(event, &snap.cursor, 10).await.unwrap();
    assert!(!batch.lagged && batch.changes.is_empty(), "{batch:?}");
}

/// A restore puts a replica's fans back in batches, one call and one log entry per
/// batch (its seqs, ascending), skipping the fans another replica already put back;
/// every fan keeps its ticket, its sequence number and its place, and a second run
/// changes nothing.
#[tokio::test]
async fn a_restore_of_many_batches_logs_one_entry_per_batch() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = open_event(&store).await;
    let mut fans = Vec::new();
    for _ in 0..7 {
        let (user, ticket) = (UserId::new(), TicketId::new());
        let status = store.join(event, user, &ticket, None).await.unwrap();
        let TicketState::Queued { seq, .. } = status.state else {
            panic!("{status:?}");
        };
        fans.push(RestoredFan {
            user,
            ticket,
            seq: Some(seq),
            slot: 0,
        });
    }
    let config = store.config(event).await.unwrap().unwrap();
    let ordinal: u64 = store.snapshot(event).await.unwrap().cursor.0[2..]
        .parse()
        .unwrap();

    // Redis restarts empty.
    let keys = EventKeys::new(&store.prefix, event);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = conn.del(&keys.all()[..]).await.unwrap();

    let restore = |fans| crate::store::Restore {
        config: &config,
        opened: true,
        seq_floor: 100,
        log_ordinal: ordinal,
        fans,
    };
    // One replica re-seeds the event with the head of the line.
    assert_eq!(store.restore(event, &restore(&fans[..1])).await.unwrap(), 1);
    let cursor = store.snapshot(event).await.unwrap().cursor;
    // Another one knows them all, in no particular order: batches of 3 by seq.
    let batched = store.clone().with_restore_batch(3);
    let mut shuffled = fans.clone();
    shuffled.reverse();
    assert_eq!(
        batched.restore(event, &restore(&shuffled)).await.unwrap(),
        6
    );
    let batch = store.changes(event, &cursor, 100).await.unwrap();
    assert!(!batch.lagged);
    assert_eq!(
        batch.changes,
        vec![
            Change::Restored { seqs: vec![2, 3] },
            Change::Restored {
                seqs: vec![4, 5, 6]
            },
            Change::Restored { seqs: vec![7] },
        ],
        "one entry per batch of 3 (seq 1 was back already)"
    );
    assert_eq!(
        batched.restore(event, &restore(&shuffled)).await.unwrap(),
        0
    );
    let again = store.changes(event, &batch.cursor, 100).await.unwrap();
    assert!(again.changes.is_empty(), "{again:?}");

    for (i, fan) in fans.iter().enumerate() {
        let status = store.status(event, fan.user).await.unwrap().unwrap();
        assert_eq!(status.ticket, fan.ticket);
        assert_eq!(
            status.state,
            TicketState::Queued {
                seq: fan.seq.unwrap(),
                ahead: i as u64
            }
        );
    }
    let snap = store.snapshot(event).await.unwrap();
    assert_eq!(snap.seqs, (1..=7).collect::<Vec<_>>());
    let late = store
        .join(event, UserId::new(), &TicketId::new(), None)
        .await
        .unwrap();
    assert_eq!(late.state, TicketState::Queued { seq: 101, ahead: 7 });
}
