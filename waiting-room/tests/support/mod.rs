//! What the room tests share: a clock that follows tokio's (paused) clock, and a
//! running sale's room on the memory store with fans in line.

use std::sync::Arc;

use tokio::time::Instant;
use waiting_room::clock::Clock;
use waiting_room::room::{FanHandle, Room, RoomInfo};
use waiting_room::store::memory::MemoryStore;
use waiting_room::store::QueueStore;
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, UserId};

/// Wall-clock milliseconds that follow tokio's clock, so under `tokio::time::pause()`
/// the store's token bucket and the room's cadence move together in virtual time.
pub struct TokioClock {
    base_ms: i64,
    start: Instant,
}

impl TokioClock {
    pub fn new() -> Self {
        Self {
            base_ms: waiting_room::clock::now_ms(),
            start: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> i64 {
        self.base_ms + self.start.elapsed().as_millis() as i64
    }
}

/// A room on the memory store for a sale admitting `rate_per_minute` (no cap on
/// active fans, a 10-minute grace), opening `opens_in_ms` from now (opened by a first
/// step when already due), with `fans` fans connected and in line in order.
pub async fn room_with_fans(
    rate_per_minute: u32,
    opens_in_ms: i64,
    fans: usize,
) -> (Arc<Room>, Vec<FanHandle>) {
    let clock = Arc::new(TokioClock::new());
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: clock.now_ms() + opens_in_ms,
        grace_ms: 600_000,
        admission: AdmissionSettings {
            rate_per_minute,
            max_active: 1_000_000,
            session_ttl_secs: 600,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    };
    store.configure(event, &config, false).await.unwrap();
    let (keys, _) = SigningKeys::generate();
    let room = Arc::new(Room::new(
        RoomInfo {
            event,
            max_seats: 4,
            shuffle_seed: None,
        },
        Some(config),
        store,
        None,
        keys,
        clock,
    ));
    if opens_in_ms <= 0 {
        room.step().await.unwrap(); // opens the sale
    }
    let mut handles = Vec::with_capacity(fans);
    for _ in 0..fans {
        let fan = room.connect(UserId::new()).await.unwrap();
        room.join(fan.user(), None).await.unwrap();
        handles.push(fan);
    }
    (room, handles)
}
