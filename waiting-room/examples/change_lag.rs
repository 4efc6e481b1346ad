//! How long a change in an event's line takes to reach a replica's room (issue 19):
//! a room runs its loop on Redis as in production; another connection (another
//! replica) opens the sale at a random moment, and the room's `opened()` is watched
//! every millisecond until it flips. The opening is a change-log entry like any other
//! (a join, an admission), read by the room's log read. The room's own clock is held
//! at 0, so it never opens the sale itself. Bounded: `rounds` events, one after
//! another, each given at most 5 s.
//!
//! ```text
//! FLOODGATE_TEST_REDIS_URL=redis://127.0.0.1:6379 \
//!   cargo run -p waiting-room --example change_lag -- 40
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use waiting_room::clock::{Clock, ManualClock};
use waiting_room::room::{Cadence, Room, RoomInfo};
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig};

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(40, |a| a.parse().expect("a whole number"));
    let url = std::env::var("FLOODGATE_TEST_REDIS_URL").expect("FLOODGATE_TEST_REDIS_URL");
    let prefix = format!("lag-{}", std::process::id());
    let writer = RedisStore::connect(&url, &prefix).await.unwrap();
    let reader: Arc<dyn QueueStore> = Arc::new(RedisStore::connect(&url, &prefix).await.unwrap());
    let mut lags = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let event = EventId::new();
        let config = QueueConfig {
            presales: Vec::new(),
            starts_at_ms: writer.now_ms().await.unwrap() - 1,
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
        writer.configure(event, &config, false).await.unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
        let room = Arc::new(Room::new(
            RoomInfo {
                event,
                max_seats: 4,
                shuffle_seed: None,
            },
            Some(config),
            Arc::clone(&reader),
            None,
            SigningKeys::generate().0,
            clock,
        ));
        let cancel = CancellationToken::new();
        let running = tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));
        // Past the room's first ticks, at a moment spread over the 100 ms poll.
        let jitter = (round as u64 * 37) % 100;
        tokio::time::sleep(Duration::from_millis(1_000 + jitter)).await;
        let opened_at = Instant::now();
        assert!(writer
            .open(event, &ShuffleSeed::from_bytes([1; 32]))
            .await
            .unwrap());
        while !room.opened() && opened_at.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        lags.push(opened_at.elapsed());
        cancel.cancel();
        running.await.unwrap();
    }
    lags.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| ms(lags[((lags.len() - 1) as f64 * q).round() as usize]);
    println!(
        "rounds={rounds} change→room lag ms: p50={:.1} p90={:.1} max={:.1} mean={:.1}",
        at(0.5),
        at(0.9),
        at(1.0),
        lags.iter().map(|d| ms(*d)).sum::<f64>() / lags.len() as f64
    );
}
