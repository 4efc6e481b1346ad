//! Redis-specific tests beyond the contract suite: log trimming and `lagged`, and the
//! cluster-safe key layout. Like the contract suite they need `FLOODGATE_TEST_REDIS_URL`.

use redis::AsyncCommands;

use super::keys::EventKeys;
use super::*;
use crate::store::contract::{test_prefix, test_redis_url};
use crate::store::{Change, PresenceUpdate, ReplicaId, TicketState};

/// The store on the test Redis and a plain client beside it (`None`: no test Redis).
pub(super) async fn connect() -> Option<(RedisStore, redis::Client)> {
    let url = test_redis_url()?;
    let store = RedisStore::connect(&url, &test_prefix())
        .await
        .expect("connect to test redis");
    Some((store, redis::Client::open(url).unwrap()))
}

/// The settings of the Redis tests' events: 60 admitted a minute, 10 shopping at once,
/// 60 s of grace, opening at `starts_at_ms`.
pub(super) fn test_config(starts_at_ms: i64) -> QueueConfig {
    QueueConfig {
        presales: Vec::new(),
        starts_at_ms,
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
    }
}

/// A new event, configured and opened a second ago ([`test_config`]).
pub(super) async fn open_event(store: &RedisStore) -> EventId {
    let event = EventId::new();
    let config = test_config(store.now_ms().await.unwrap() - 1_000);
    store.configure(event, &config, false).await.unwrap();
    assert!(store
        .open(event, &crate::shuffle::ShuffleSeed::from_bytes([1; 32]))
        .await
        .unwrap());
    event
}

/// Reads the log one entry at a time, returning each entry's cursor.
async fn cursors(store: &RedisStore, event: EventId) -> Vec<Cursor> {
    let mut out = Vec::new();
    let mut cursor = Cursor::default();
    loop {
        let batch = store.changes(event, &cursor, 1).await.unwrap();
        assert!(!batch.lagged);
        if batch.changes.is_empty() {
            return out;
        }
        cursor = batch.cursor;
        out.push(cursor.clone());
    }
}

#[tokio::test]
async fn lagged_only_when_unread_entries_were_trimmed() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = open_event(&store).await;
    for _ in 0..3 {
        store
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
    }
    // Settings, Opened, 3 × Joined.
    let ids = cursors(&store, event).await;
    assert_eq!(ids.len(), 5);

    // Trim the two oldest entries exactly (MINID keeps ids >= the third).
    let log = EventKeys::new(&store.prefix, event).log;
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let trimmed: i64 = redis::cmd("XTRIM")
        .arg(&log)
        .arg("MINID")
        .arg(&ids[2].0)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(trimmed, 2);

    // The reader at the second entry had read everything trimmed: not lagged.
    let batch = store.changes(event, &ids[1], 10).await.unwrap();
    assert!(!batch.lagged);
    assert_eq!(batch.changes.len(), 3);
    assert_eq!(batch.cursor, ids[4]);

    // The reader at the first entry missed the second one.
    let batch = store.changes(event, &ids[0], 10).await.unwrap();
    assert!(batch.lagged);
    assert!(batch.changes.is_empty());
    let snap = store.snapshot(event).await.unwrap();
    assert_eq!(batch.cursor, snap.cursor, "a lagged read points at the end");

    // So did a reader replaying from the start (as with the memory store).
    let batch = store.changes(event, &Cursor::default(), 10).await.unwrap();
    assert!(batch.lagged);
    assert_eq!(batch.cursor, snap.cursor);

    // Even a log trimmed empty still tells lagged readers from current ones.
    let _: i64 = redis::cmd("XTRIM")
        .arg(&log)
        .arg("MAXLEN")
        .arg(0)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(store.changes(event, &ids[3], 10).await.unwrap().lagged);
    let snap = store.snapshot(event).await.unwrap();
    assert_eq!(snap.cursor, ids[4]);
    let batch = store.changes(event, &snap.cursor, 10).await.unwrap();
    assert!(!batch.lagged && batch.changes.is_empty());
    assert_eq!(batch.cursor, snap.cursor);
}

#[tokio::test]
async fn approximate_trimming_reports_lagged_readers() {
    let Some((store, _)) = connect().await else {
        return;
    };
    let store = store.with_log_capacity(10);
    let event = open_event(&store).await;
    let first = store.changes(event, &Cursor::default(), 1).await.unwrap();
    assert_eq!(first.changes, vec![Change::Settings]);
    // Well past one stream node (100 entries), so MAXLEN ~ trims whole nodes.
    for _ in 0..350 {
        store
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
    }
    let batch = store.changes(event, &first.cursor, 100).await.unwrap();
    assert!(batch.lagged);
    let snap = store.snapshot(event).await.unwrap();
    assert_eq!(batch.cursor, snap.cursor);
    assert_eq!(snap.seqs.len(), 350);

    // A reader that reloads the snapshot continues without lag.
    store
        .join(event, UserId::new(), &TicketId::new(), None)
        .await
        .unwrap();
    let batch = store.changes(event, &snap.cursor, 100).await.unwrap();
    assert!(!batch.lagged);
    assert_eq!(batch.changes, vec![Change::Joined { seq: 351 }]);
}

#[tokio::test]
async fn every_key_written_carries_the_event_hash_tag() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = open_event(&store).await;
    let (a, b) = (UserId::new(), UserId::new());
    store.join(event, a, &TicketId::new(), None).await.unwrap();
    store.join(event, b, &TicketId::new(), None).await.unwrap();
    let replica = ReplicaId::random();
    let cover = PresenceUpdate {
        replica: &replica,
        cover: &[a, b],
        uncover: &[],
        lease_ms: 60_000,
    };
    store.presence(event, &cover).await.unwrap();
    store.admit(event, None).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(
        store.admit(event, None).await.unwrap().admitted,
        vec![(1, a)]
    );
    store.leave(event, b).await.unwrap();
    store.stats(event).await.unwrap();

    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pattern = format!("*{}*", store.prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(&pattern)
        .query_async(&mut conn)
        .await
        .unwrap();
    let tag = format!("{{{}:ev:{event}}}:", store.prefix);
    assert!(keys.len() >= 5, "{keys:?}");
    for key in &keys {
        assert!(key.starts_with(&tag), "{key} lacks {tag}");
    }
}

#[tokio::test]
async fn every_operation_on_an_unknown_event_is_an_error() {
    let Some((store, _)) = connect().await else {
        return;
    };
    let (event, user) = (EventId::new(), UserId::new());
    let unknown = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::UnknownEvent)), "{r:?}");
    };
    let settings = AdmissionSettings {
        rate_per_minute: 60,
        max_active: 1,
        session_ttl_secs: 60,
        paused: false,
        mode: Default::default(),
        message: None,
        safety_net: None,
    };
    unknown(store.update_admission(event, &settings).await);
    unknown(
        store
            .join(event, user, &TicketId::new(), None)
            .await
            .map(drop),
    );
    unknown(store.statuses(event, &[user]).await.map(drop));
    unknown(store.leave(event, user).await.map(drop));
    let replica = ReplicaId::random();
    let update = PresenceUpdate {
        replica: &replica,
        cover: &[user],
        uncover: &[user],
        lease_ms: 1_000,
    };
    unknown(store.presence(event, &update).await.map(drop));
    unknown(
        store
            .open(event, &crate::shuffle::ShuffleSeed::from_bytes([1; 32]))
            .await
            .map(drop),
    );
    unknown(store.admit(event, None).await.map(drop));
    unknown(store.release(event, user).await.map(drop));
    unknown(store.changes(event, &Cursor::default(), 10).await.map(drop));
    unknown(store.snapshot(event).await.map(drop));
    unknown(store.stats(event).await.map(drop));
    assert!(store.config(event).await.unwrap().is_none());
    store.ping().await.unwrap();
}

#[tokio::test]
async fn bad_and_foreign_cursors() {
    let Some((store, _)) = connect().await else {
        return;
    };
    let event = open_event(&store).await;
    let err = store
        .changes(event, &Cursor("42".into()), 10)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    // A cursor beyond the log's end (the log was reset under the reader) is lagged.
    let batch = store
        .changes(event, &Cursor("0-999".into()), 10)
        .await
        .unwrap();
    assert!(batch.lagged);
    assert_eq!(batch.cursor, store.snapshot(event).await.unwrap().cursor);
}

#[tokio::test]
async fn large_batches_stay_within_lua_stack_limits() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = EventId::new();
    let now = store.now_ms().await.unwrap();
    let mut config = test_config(now + 60_000); // not open yet
    store.configure(event, &config, false).await.unwrap();
    // Seed a large pre-queue directly (joining one by one would be slow).
    let users: Vec<UserId> = (0..6_000).map(|_| UserId::new()).collect();
    let k = EventKeys::new(&store.prefix, event);
    let mut pipe = redis::pipe();
    for (i, u) in users.iter().enumerate() {
        let rec = format!(r#"{{"t":"t{i}","s":"W"}}"#);
        pipe.zadd(&k.pre, u.to_string(), i + 1).ignore();
        pipe.hset(&k.tk, u.to_string(), rec).ignore();
        pipe.zadd(&k.pres, u.to_string(), i64::MAX / 2).ignore();
    }
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    pipe.query_async::<()>(&mut conn).await.unwrap();

    // Covering and then uncovering them all: one script call each, whatever the count.
    let replica = ReplicaId::random();
    let mut update = PresenceUpdate {
        replica: &replica,
        cover: &users,
        uncover: &[],
        lease_ms: 60_000,
    };
    store.presence(event, &update).await.unwrap();
    let left: u64 = conn.zcard(&k.pres).await.unwrap();
    assert_eq!(left, 0, "covered fans have no deadline");
    (update.cover, update.uncover) = (&[], &users);
    store.presence(event, &update).await.unwrap();
    let deadline: i64 = conn
        .zscore(&k.pres, users[5_999].to_string())
        .await
        .unwrap();
    assert!(deadline < now + 120_000, "touched: {deadline}");
    config.starts_at_ms = now - 1_000;
    store.configure(event, &config, false).await.unwrap();
    assert!(store
        .open(event, &crate::shuffle::ShuffleSeed::from_bytes([42; 32]))
        .await
        .unwrap());
    let statuses = store.statuses(event, &users).await.unwrap();
    let mut seqs: Vec<u64> = statuses
        .iter()
        .map(|s| match s.as_ref().unwrap().state {
            crate::store::TicketState::Queued { seq, ahead } => {
                assert_eq!(ahead, seq - 1);
                seq
            }
            ref other => panic!("{other:?}"),
        })
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=6_000).collect::<Vec<_>>());
    assert_eq!(store.snapshot(event).await.unwrap().seqs.len(), 6_000);
}

/// A lost event comes back from what the replicas know: fans keep tickets and
/// sequence numbers, new joins line up behind them, fans the store knows are left
/// alone, and readers of the old log see a gap.
#[tokio::test]
async fn restore_puts_fans_back_in_their_places() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = open_event(&store).await;
    let users: Vec<UserId> = (0..3).map(|_| UserId::new()).collect();
    let mut fans = Vec::new();
    for user in &users {
        let ticket = TicketId::new();
        let status = store.join(event, *user, &ticket, None).await.unwrap();
        let TicketState::Queued { seq, .. } = status.state else {
            panic!("{status:?}");
        };
        fans.push(crate::store::RestoredFan {
            user: *user,
            ticket,
            seq: Some(seq),
            slot: 0,
        });
    }
    let config = store.config(event).await.unwrap().unwrap();
    let old_cursor = store.snapshot(event).await.unwrap().cursor;
    let ordinal: u64 = old_cursor.0.strip_prefix("0-").unwrap().parse().unwrap();

    // Redis restarts empty.
    let keys = EventKeys::new(&store.prefix, event);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = conn.del(&keys.all()[..]).await.unwrap();

    // Two replicas restore (the second one's fans include one already back).
    let restore = |fans| crate::store::Restore {
        config: &config,
        opened: true,
        seq_floor: 100,
        log_ordinal: ordinal,
        fans,
    };
    assert_eq!(store.restore(event, &restore(&fans[1..])).await.unwrap(), 2);
    assert_eq!(store.restore(event, &restore(&fans[..2])).await.unwrap(), 1);
    let late = UserId::new();
    let status = store
        .join(event, late, &TicketId::new(), None)
        .await
        .unwrap();
    assert!(
        matches!(status.state, TicketState::Queued { seq: 101, ahead: 3 }),
        "{status:?}"
    );
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
    assert!(snap.opened);
    assert_eq!(snap.seqs.len(), 4);
    let batch = store.changes(event, &old_cursor, 10).await.unwrap();
    assert!(batch.lagged, "a reader of the old log sees the gap");
}

/// Presales (docs/ARCHITECTURE.md "Presales: the store's lines"): a lost event's
/// pre-queued fans go back into their own lines; a line whose opening passed counts
/// as opened (its joiners queue at once), the others keep their pre-queues.
#[tokio::test]
async fn restore_puts_group_fans_back_in_their_own_lines() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = EventId::new();
    let now = store.now_ms().await.unwrap();
    let mut config = test_config(now + 120_000);
    config.presales = vec![
        crate::PresaleOpening {
            slot: 1,
            opens_at_ms: now - 1_000,
        },
        crate::PresaleOpening {
            slot: 2,
            opens_at_ms: now + 60_000,
        },
    ];
    store.configure(event, &config, false).await.unwrap();
    let seed = crate::shuffle::ShuffleSeed::from_bytes([9; 32]);
    assert!(store.open(event, &seed).await.unwrap(), "group 1 opens");
    let mut fans = Vec::new();
    for slot in [1u8, 2, 0] {
        let (user, ticket) = (UserId::new(), TicketId::new());
        let status = store
            .join_presale(event, user, &ticket, None, None, slot)
            .await
            .unwrap();
        let seq = match status.state {
            TicketState::Queued { seq, .. } => Some(seq),
            TicketState::Prequeue { slot: s } if s == slot => None,
            other => panic!("{other:?}"),
        };
        fans.push(crate::store::RestoredFan {
            user,
            ticket,
            seq,
            slot: if seq.is_some() { 0 } else { slot },
        });
    }
    let keys = EventKeys::new(&store.prefix, event);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = conn.del(&keys.all()[..]).await.unwrap();

    let restore = crate::store::Restore {
        config: &config,
        opened: true,
        seq_floor: 10,
        log_ordinal: 1,
        fans: &fans,
    };
    assert_eq!(store.restore(event, &restore).await.unwrap(), 3);
    let states: Vec<TicketState> = store
        .statuses(event, &fans.iter().map(|f| f.user).collect::<Vec<_>>())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().state)
        .collect();
    assert_eq!(
        states,
        [
            TicketState::Queued { seq: 1, ahead: 0 },
            TicketState::Prequeue { slot: 2 },
            TicketState::Prequeue { slot: 0 },
        ]
    );
    assert_eq!(
        store.config(event).await.unwrap().unwrap().presales.len(),
        2
    );
    let stats = store.stats(event).await.unwrap();
    assert_eq!((stats.opened, stats.prequeue), (true, 2));
    // Group 1's line counts as opened: its joiner queues; group 2's still waits.
    let g1 = store
        .join_presale(event, UserId::new(), &TicketId::new(), None, None, 1)
        .await
        .unwrap();
    assert_eq!(g1.state, TicketState::Queued { seq: 11, ahead: 1 });
    let g2 = store
        .join_presale(event, UserId::new(), &TicketId::new(), None, None, 2)
        .await
        .unwrap();
    assert_eq!(g2.state, TicketState::Prequeue { slot: 2 });
}

/// With Redis gone, calls fail quickly as `Unavailable` (503), not after minutes.
#[tokio::test]
async fn calls_to_a_dead_redis_fail_fast_as_unavailable() {
    // Nothing listens on a port we just bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let err = RedisStore::connect(&url, "fg")
        .await
        .err()
        .expect("no redis");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < CALL_TIMEOUT, "{:?}", started.elapsed());
}

/// Two replicas on one Redis race the opening with the event's seed: one opens, and
/// both read the same order, the seed's draw (docs/FAIRNESS.md).
#[tokio::test]
async fn two_replicas_racing_the_opening_agree_on_the_draw() {
    let Some(url) = test_redis_url() else { return };
    let prefix = test_prefix();
    let a = RedisStore::connect(&url, &prefix).await.unwrap();
    let b = RedisStore::connect(&url, &prefix).await.unwrap();
    let event = EventId::new();
    let config = test_config(a.now_ms().await.unwrap() + 300);
    a.configure(event, &config, false).await.unwrap();
    let fans: Vec<(UserId, TicketId)> = (0..60).map(|_| (UserId::new(), TicketId::new())).collect();
    for (i, (user, ticket)) in fans.iter().enumerate() {
        let store = if i % 2 == 0 { &a } else { &b };
        store.join(event, *user, ticket, None).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let seed = crate::shuffle::ShuffleSeed::from_bytes([0xc3; 32]);
    let (x, y) = tokio::join!(a.open(event, &seed), b.open(event, &seed));
    assert_eq!(
        u8::from(x.unwrap()) + u8::from(y.unwrap()),
        1,
        "exactly one replica opens"
    );
    let expected = crate::shuffle::shuffled(
        &seed,
        fans.iter()
            .map(|(u, t)| (crate::shuffle::pseudonym(t), *u))
            .collect(),
    );
    let users: Vec<UserId> = expected.iter().map(|e| e.1).collect();
    for store in [&a, &b] {
        let seqs: Vec<u64> = store
            .statuses(event, &users)
            .await
            .unwrap()
            .iter()
            .map(|s| crate::store::contract::seq_of(&s.as_ref().unwrap().state))
            .collect();
        assert_eq!(seqs, (1..=60).collect::<Vec<_>>(), "the seed's order");
        let page = store.draw(event, 0, 100).await.unwrap().unwrap();
        assert_eq!(
            page.order,
            expected.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
        );
    }
}

/// One admission step drops at most its batch of fans whose grace ran out, earliest
/// deadline first; the rest go at the next steps (a crowd whose grace runs out at
/// once is never walked in one call, which would stall the event's one Redis).
#[tokio::test]
async fn a_step_drops_at_most_its_batch_of_lapsed_fans() {
    let Some((store, _client)) = connect().await else {
        return;
    };
    let store = store.with_step_batch(3);
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: store.now_ms().await.unwrap() - 1_000,
        grace_ms: 1,
        admission: AdmissionSettings {
            rate_per_minute: 1,
            max_active: 1,
            session_ttl_secs: 600,
            paused: true,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    };
    store.configure(event, &config, false).await.unwrap();
    assert!(store
        .open(event, &crate::shuffle::ShuffleSeed::from_bytes([1; 32]))
        .await
        .unwrap());
    let mut fans = Vec::new();
    for _ in 0..5 {
        let fan = UserId::new();
        store
            .join(event, fan, &TicketId::new(), None)
            .await
            .unwrap();
        fans.push(fan);
        // Distinct deadlines, in join order.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let first = store.admit(event, None).await.unwrap();
    assert_eq!(first.dropped, 3);
    let left = |fan: &UserId| {
        let (store, fan) = (store.clone(), *fan);
        async move {
            store.status(event, fan).await.unwrap().map(|s| s.state) == Some(TicketState::Left)
        }
    };
    for (i, fan) in fans.iter().enumerate() {
        assert_eq!(left(fan).await, i < 3, "fan {i} after the first step");
    }
    let second = store.admit(event, None).await.unwrap();
    assert_eq!(second.dropped, 2);
    for fan in &fans {
        assert!(left(fan).await);
    }
    assert_eq!(store.admit(event, None).await.unwrap().dropped, 0);
}

// Issue 19: a closed sale's line removed.

/// The keys under an event's tag, without it, sorted.
async fn event_keys(conn: &mut redis::aio::MultiplexedConnection, tag: &str) -> Vec<String> {
    let pattern = format!("{tag}*").replace('{', "\\{").replace('}', "\\}");
    let mut keys: Vec<String> = conn.keys(pattern).await.unwrap();
    keys.sort();
    keys.into_iter()
        .map(|k| k[tag.len() + 1..].to_owned())
        .collect()
}
#[tokio::test]
async fn removing_a_line_unlinks_every_key_but_the_settings_counters_and_draw() {
    let Some((store, client)) = connect().await else {
        return;
    };
    let event = open_event(&store).await;
    let replica = ReplicaId::random();
    let users: Vec<UserId> = (0..3).map(|_| UserId::new()).collect();
    for user in &users {
        store
            .join(event, *user, &TicketId::new(), None)
            .await
            .unwrap();
    }
    let update = PresenceUpdate {
        replica: &replica,
        cover: &users[..1],
        uncover: &users[1..2],
        lease_ms: 60_000,
    };
    store.presence(event, &update).await.unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let tag = super::event_tag(&store.prefix, event);
    let before = event_keys(&mut conn, &tag).await;
    assert!(before.iter().any(|k| k.starts_with("rep:")), "{before:?}");
    for key in ["q", "tk", "pres", "log", "leases", "bkt"] {
        assert!(before.iter().any(|k| k == key), "{key} in {before:?}");
    }
    store.remove_line(event).await.unwrap();
    let kept: Vec<String> = before
        .iter()
        .filter(|k| ["cfg", "st", "drj", "dro"].contains(&k.as_str()))
        .cloned()
        .collect();
    assert_eq!(event_keys(&mut conn, &tag).await, kept);
}
