//! Presence per replica on a real Redis: after Redis loses everything (a restart
//! without persistence, here the event's keys deleted), a room puts its fans back
//! and covers them again, so they keep their places past the grace period while
//! their sockets stay open. Needs `FLOODGATE_TEST_REDIS_URL` (scripts/lib/services.sh);
//! skipped without it unless `FLOODGATE_TEST_REQUIRE_SERVICES=1`.

mod redis_support;

use redis_support::{lose_prefix, redis_url};
use std::sync::Arc;
use std::time::Duration;

use waiting_room::clock::{Clock, SystemClock};
use waiting_room::room::{Room, RoomInfo};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::{QueueStore, StoreError, TicketState};
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, UserId};

const GRACE_MS: u64 = 1_200;

#[tokio::test]
async fn after_redis_loses_the_event_a_room_covers_its_fans_again() {
    let Some(url) = redis_url() else {
        eprintln!("skipping: FLOODGATE_TEST_REDIS_URL not set");
        return;
    };
    let prefix = format!("presence-{}", UserId::new());
    let store: Arc<dyn QueueStore> = Arc::new(RedisStore::connect(&url, &prefix).await.unwrap());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: clock.now_ms() - 1_000,
        grace_ms: GRACE_MS,
        // No active slot: nobody is admitted, only presence decides who stays.
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
    let (keys, _) = SigningKeys::generate();
    let info = RoomInfo {
        event,
        max_seats: 4,
        shuffle_seed: None,
    };
    let room = Arc::new(Room::new(
        info,
        Some(config),
        Arc::clone(&store),
        None,
        keys,
        clock,
    ));
    room.sync().await.unwrap();
    room.step().await.unwrap(); // opens the sale
    let mut fans = Vec::new();
    for _ in 0..3 {
        let fan = room.connect(UserId::new()).await.unwrap();
        room.join(fan.user(), None).await.unwrap();
        fans.push(fan);
    }
    room.sync().await.unwrap();
    room.heartbeat().await.unwrap();

    // Redis loses everything of the event.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let lost: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!lost.is_empty());
    let _: i64 = redis::cmd("DEL")
        .arg(&lost)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(matches!(room.sync().await, Err(StoreError::UnknownEvent)));
    room.sync().await.unwrap(); // re-seeds the event and puts the fans back

    // Two and a half grace periods, the room renewing its lease as its loop would.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(GRACE_MS / 4)).await;
        room.heartbeat().await.unwrap();
        room.step().await.unwrap();
    }
    for fan in &fans {
        let state = store
            .status(event, fan.user())
            .await
            .unwrap()
            .unwrap()
            .state;
        assert!(matches!(state, TicketState::Queued { .. }), "{state:?}");
    }
    // Their sockets close: the grace runs out and their places go.
    drop(fans);
    room.heartbeat().await.unwrap();
    tokio::time::sleep(Duration::from_millis(GRACE_MS + 300)).await;
    room.step().await.unwrap();
    let stats = store.stats(event).await.unwrap();
    assert_eq!(stats.waiting, 0, "{stats:?}");
    lose_prefix(&mut conn, &prefix).await;
}
