//! Redis-specific seat-store tests beyond the contract suite: the key layout, sharing
//! the queue store's connection, large events, log trimming and a re-created state.
//! Like the contract suite they need `FLOODGATE_TEST_REDIS_URL`.

use super::*;
use crate::seats::store::SeatState;
use crate::store::contract::{test_prefix, test_redis_url};
use crate::store::QueueStore;
use crate::{AdmissionSettings, QueueConfig, UserId};

async fn connect() -> Option<(RedisSeatStore, redis::Client)> {
    let url = test_redis_url()?;
    let store = RedisSeatStore::connect(&url, &test_prefix())
        .await
        .expect("connect to test redis");
    Some((store, redis::Client::open(url).unwrap()))
}

fn request(jti: &str, seats: &[u32]) -> HoldRequest {
    HoldRequest {
        hold: HoldId::new(),
        user: UserId::new(),
        jti: jti.into(),
        max_seats: 10,
        seats: seats.to_vec(),
        ttl_ms: 60_000,
    }
}

async fn keys(client: &redis::Client, prefix: &str) -> Vec<String> {
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(format!("*{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[test]
fn seat_keys_share_the_queue_hash_tag() {
    let event = EventId::new();
    let keys = SeatKeys::new("fg", event);
    let tag = format!("{{fg:ev:{event}}}:seat:");
    let mut all = keys.all().to_vec();
    for key in &all {
        assert!(key.starts_with(&tag), "{key}");
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 7, "keys are distinct");
}

#[tokio::test]
async fn a_shared_connection_keeps_queue_and_seats_on_one_slot() {
    let Some(url) = test_redis_url() else {
        return;
    };
    let prefix = test_prefix();
    let queue = RedisStore::connect(&url, &prefix).await.unwrap();
    let seats = RedisSeatStore::sharing(&queue).await.unwrap();
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: 0,
        grace_ms: 60_000,
        admission: AdmissionSettings {
            rate_per_minute: 60,
            max_active: 10,
            session_ttl_secs: 600,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    };
    queue.configure(event, &config, false).await.unwrap();
    assert!(seats.init_seats(event, 8, &[7], &[]).await.unwrap());
    let a = request("a", &[0, 1]);
    assert!(matches!(
        seats.hold(event, &a).await.unwrap(),
        HoldOutcome::Held { .. }
    ));
    leased(
        seats
            .begin_confirm(event, &a.hold, "a", 1_000)
            .await
            .unwrap(),
    );
    seats.finish_confirm(event, &a.hold).await.unwrap();
    let b = request("b", &[2]);
    seats.hold(event, &b).await.unwrap();
    seats.mark_sold(event, &[2]).await.unwrap();
    seats.hold(event, &request("c", &[3])).await.unwrap();

    let client = redis::Client::open(url).unwrap();
    let found = keys(&client, &prefix).await;
    let tag = format!("{{{prefix}:ev:{event}}}:");
    assert!(found.len() >= 8, "{found:?}");
    for key in &found {
        assert!(key.starts_with(&tag), "{key} lacks {tag}");
    }
}

fn leased(c: ConfirmStart) -> Hold {
    match c {
        ConfirmStart::Leased(h) => h,
        other => panic!("not leased: {other:?}"),
    }
}

#[tokio::test]
async fn large_events_initialise_and_snapshot_in_one_call() {
    let Some((store, _)) = connect().await else {
        return;
    };
    let event = EventId::new();
    let sold: Vec<u32> = (0..50_000).step_by(3).collect();
    assert!(store.init_seats(event, 50_000, &sold, &[]).await.unwrap());
    let snap = store.seat_snapshot(event).await.unwrap();
    assert_eq!(snap.states.len(), 50_000);
    for (seat, state) in snap.states.iter().enumerate() {
        let expected = if seat % 3 == 0 {
            SeatState::Sold
        } else {
            SeatState::Free
        };
        assert_eq!(*state, expected as u8, "seat {seat}");
    }
    let counts = store.seat_counts(event).await.unwrap();
    assert_eq!((counts.capacity, counts.sold), (50_000, sold.len() as u32));

    // The sold seats were logged (in several entries): replaying gives the same.
    let mut replayed = vec![SeatState::Free as u8; 50_000];
    let batch = store
        .seat_changes(event, &Cursor::default(), 100)
        .await
        .unwrap();
    for (seat, state) in batch.changes {
        replayed[seat as usize] = state as u8;
    }
    assert_eq!(batch.cursor, snap.cursor);
    assert_eq!(replayed, snap.states);
}

#[tokio::test]
async fn trimmed_seat_logs_report_lagged_readers() {
    let Some((store, _)) = connect().await else {
        return;
    };
    let store = store.with_log_capacity(10);
    let event = EventId::new();
    store.init_seats(event, 400, &[], &[]).await.unwrap();
    store.hold(event, &request("first", &[0])).await.unwrap();
    let first = store
        .seat_changes(event, &Cursor::default(), 1)
        .await
        .unwrap();
    assert_eq!(first.changes, vec![(0, SeatState::Held)]);
    // Well past one stream node (100 entries), so MAXLEN ~ trims whole nodes.
    for seat in 1..350 {
        let r = request(&format!("t{seat}"), &[seat]);
        store.hold(event, &r).await.unwrap();
    }
    let batch = store.seat_changes(event, &first.cursor, 100).await.unwrap();
    assert!(batch.lagged && batch.changes.is_empty());
    let snap = store.seat_snapshot(event).await.unwrap();
    assert_eq!(batch.cursor, snap.cursor);
    store.mark_sold(event, &[399]).await.unwrap();
    let batch = store.seat_changes(event, &snap.cursor, 100).await.unwrap();
    assert!(!batch.lagged);
    assert_eq!(batch.changes, vec![(399, SeatState::Sold)]);
}

#[tokio::test]
async fn a_recreated_state_makes_old_cursors_lag() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = EventId::new();
    store.init_seats(event, 4, &[], &[]).await.unwrap();
    store.hold(event, &request("a", &[1])).await.unwrap();
    let seen = store.seat_snapshot(event).await.unwrap().cursor;

    // The meta hash is lost (as after a partial flush): init starts over.
    let k = SeatKeys::new(&store.prefix, event);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("DEL")
        .arg(&k.meta)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(store.init_seats(event, 4, &[2], &[]).await.unwrap());
    assert_eq!(
        store.seat_snapshot(event).await.unwrap().states,
        [0, 0, 2, 0]
    );
    assert_eq!(store.hold_info(event, &HoldId::new()).await.unwrap(), None);
    let batch = store.seat_changes(event, &seen, 10).await.unwrap();
    assert!(batch.lagged, "the old log's reader must reload");
    let batch = store.seat_changes(event, &batch.cursor, 10).await.unwrap();
    assert!(!batch.lagged && batch.changes.is_empty());
    let counts = store.seat_counts(event).await.unwrap();
    assert_eq!((counts.held, counts.sold), (0, 1));
}
