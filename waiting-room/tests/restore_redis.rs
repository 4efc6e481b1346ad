//! A restore of many batches through two rooms on a real Redis (issue 19): after Redis
//! loses the event, each replica puts its own fans back a bounded batch per call (one
//! log entry per batch) and reloads the line in pages; every fan keeps its ticket and
//! its place in one FIFO line, and nobody's people-ahead rises. Needs
//! `FLOODGATE_TEST_REDIS_URL` (scripts/lib/services.sh); skipped without it unless
//! `FLOODGATE_TEST_REQUIRE_SERVICES=1`.

mod redis_support;

use redis_support::{lose_prefix, redis_url};
use std::sync::Arc;

use waiting_room::clock::{Clock, SystemClock};
use waiting_room::fan::FanPhase;
use waiting_room::room::{Room, RoomInfo};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::{QueueStore, StoreError, TicketState};
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, UserId};

/// A replica's room on its own connection, restoring 2 fans a call and reading the
/// line 3 seqs a page.
async fn replica(url: &str, prefix: &str, event: EventId, config: QueueConfig) -> Arc<Room> {
    let store = RedisStore::connect(url, prefix)
        .await
        .unwrap()
        .with_restore_batch(2)
        .with_snapshot_page(3);
    let store: Arc<dyn QueueStore> = Arc::new(store);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (keys, _) = SigningKeys::generate();
    let info = RoomInfo {
        event,
        max_seats: 4,
        shuffle_seed: None,
    };
    Arc::new(Room::new(info, Some(config), store, None, keys, clock))
}

fn ahead(phase: &FanPhase) -> u64 {
    match phase {
        FanPhase::Queued { ahead, .. } => *ahead,
        other => panic!("not queued: {other:?}"),
    }
}

#[tokio::test]
async fn two_replicas_restore_their_fans_in_batches_and_keep_the_line() {
    let Some(url) = redis_url() else {
        eprintln!("skipping: FLOODGATE_TEST_REDIS_URL not set");
        return;
    };
    let prefix = format!("restore-{}", UserId::new());
    let store = RedisStore::connect(&url, &prefix).await.unwrap();
    let clock = SystemClock;
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: clock.now_ms() - 1_000,
        grace_ms: 60_000,
        // No active slot: nobody is admitted.
        admission: AdmissionSettings {
            rate_per_minute: 60,
            max_active: 0,
            session_ttl_secs: 600,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    };
    store.configure(event, &config, false).await.unwrap();
    let rooms = [
        replica(&url, &prefix, event, config.clone()).await,
        replica(&url, &prefix, event, config).await,
    ];
    rooms[0].sync().await.unwrap();
    rooms[0].step().await.unwrap(); // opens the sale
    rooms[1].sync().await.unwrap();
    // Ten fans joining alternately on the two replicas: seqs 1..=10, interleaved.
    let mut fans = Vec::new();
    for i in 0..10 {
        let room = &rooms[i % 2];
        let fan = room.connect(UserId::new()).await.unwrap();
        room.join(fan.user(), None).await.unwrap();
        fans.push(fan);
    }
    let mut before = Vec::new();
    for room in &rooms {
        room.sync().await.unwrap();
        room.push_positions();
    }
    for (i, fan) in fans.iter().enumerate() {
        let status = store.status(event, fan.user()).await.unwrap().unwrap();
        assert_eq!(
            status.state,
            TicketState::Queued {
                seq: i as u64 + 1,
                ahead: i as u64
            }
        );
        before.push((status.ticket, ahead(&fan.views().borrow().phase)));
    }

    // Redis loses everything of the event.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let lost = lose_prefix(&mut conn, &prefix).await;
    for room in &rooms {
        assert!(matches!(room.sync().await, Err(StoreError::UnknownEvent)));
    }
    // Each replica re-seeds (the first) and puts its five fans back, 2 a call; the
    // first then reads the second's batches from the log.
    rooms[0].sync().await.unwrap();
    rooms[1].sync().await.unwrap();
    rooms[0].sync().await.unwrap();

    // One R entry per batch: 3 per replica, no J entry per fan.
    let log: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
        .arg(lost.iter().find(|k| k.ends_with(":log")).unwrap())
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    let kinds: Vec<&str> = log
        .iter()
        .filter_map(|(_, fields)| fields.iter().find(|(f, _)| f == "k"))
        .map(|(_, k)| k.as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "R").count(), 6, "{kinds:?}");
    assert!(!kinds.contains(&"J"), "{kinds:?}");

    for room in &rooms {
        room.push_positions();
    }
    for (i, fan) in fans.iter().enumerate() {
        let status = store.status(event, fan.user()).await.unwrap().unwrap();
        assert_eq!(status.ticket, before[i].0, "fan {i} keeps its ticket");
        assert_eq!(
            status.state,
            TicketState::Queued {
                seq: i as u64 + 1,
                ahead: i as u64
            },
            "fan {i} keeps its place"
        );
        let shown = ahead(&fan.views().borrow().phase);
        assert_eq!(shown, i as u64, "fan {i}'s replica sees the whole line");
        assert!(shown <= before[i].1, "fan {i}: people-ahead rose");
    }
    drop(fans);
    let gone: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: i64 = redis::cmd("DEL")
        .arg(&gone)
        .query_async(&mut conn)
        .await
        .unwrap();
}
