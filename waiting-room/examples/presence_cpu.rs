//! Redis CPU per waiting fan (issue 19): N fans wait on one replica's room (sockets
//! registered with `Room::attach`, as the queue socket does, without a network),
//! the room's loop runs as in production (change log, admission, positions,
//! presence), and Redis' `INFO cpu` and `INFO commandstats` are read over a steady
//! window. Bounded: it joins N fans, waits, measures once and exits.
//!
//! ```text
//! FLOODGATE_TEST_REDIS_URL=redis://127.0.0.1:6379 \
//!   cargo run -p waiting-room --example presence_cpu -- 20000 30
//! ```
//! Arguments: fans (default 20,000), window seconds (default 30), warm-up seconds
//! (default 12: past the first presence heartbeat).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use waiting_room::clock::{Clock, SystemClock};
use waiting_room::room::{Cadence, Room, RoomInfo};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, UserId};

/// Fans joined at once.
const JOIN_CONCURRENCY: usize = 64;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map_or(default, |a| a.parse().expect("a whole number"))
}

/// `used_cpu_sys + used_cpu_user` in seconds, and each command's calls and µs.
async fn info(conn: &mut redis::aio::MultiplexedConnection) -> (f64, HashMap<String, (u64, u64)>) {
    let cpu: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(conn)
        .await
        .unwrap();
    let field = |name: &str| -> f64 {
        cpu.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map_or(0.0, |v| v.trim().parse().unwrap())
    };
    let used = field("used_cpu_sys") + field("used_cpu_user");
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    let mut commands = HashMap::new();
    for line in stats.lines() {
        let Some((name, rest)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        let get = |key: &str| -> u64 {
            rest.split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .map_or(0, |v| v.parse().unwrap_or(0))
        };
        commands.insert(name.to_owned(), (get("calls"), get("usec")));
    }
    (used, commands)
}

#[tokio::main]
async fn main() {
    let fans = arg(1, 20_000) as usize;
    let window = arg(2, 30);
    let warm_up = arg(3, 12);
    let url = std::env::var("FLOODGATE_TEST_REDIS_URL").expect("FLOODGATE_TEST_REDIS_URL");
    let prefix = format!("cpu-{}", std::process::id());
    let store: Arc<dyn QueueStore> = Arc::new(RedisStore::connect(&url, &prefix).await.unwrap());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: clock.now_ms() - 1,
        grace_ms: 60_000,
        // Admission runs (one fan a second), so the line stays about N long.
        admission: AdmissionSettings {
            rate_per_minute: 60,
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
        Arc::clone(&store),
        None,
        keys,
        clock,
    ));
    room.sync().await.unwrap();
    room.step().await.unwrap(); // opens the sale
    let cancel = CancellationToken::new();
    let running = tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));

    let started = std::time::Instant::now();
    let mut handles = Vec::with_capacity(fans);
    let mut joins = JoinSet::new();
    for _ in 0..fans {
        let user = UserId::new();
        let (handle, _) = room.attach(user);
        handles.push(handle);
        let room = Arc::clone(&room);
        joins.spawn(async move { room.join(user, None).await.unwrap() });
        if joins.len() >= JOIN_CONCURRENCY {
            joins.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = joins.join_next().await {
        done.unwrap();
    }
    eprintln!("{fans} fans joined in {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_secs(warm_up)).await;

    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (cpu0, cmd0) = info(&mut conn).await;
    tokio::time::sleep(Duration::from_secs(window)).await;
    let (cpu1, cmd1) = info(&mut conn).await;
    let waiting = store.stats(event).await.unwrap().waiting;

    let used_us = (cpu1 - cpu0) * 1e6;
    let per_fan = used_us / window as f64 / waiting.max(1) as f64;
    println!(
        "fans={fans} waiting={waiting} window={window}s redis_cpu={used_us:.0}us \
         per_fan_per_s={per_fan:.4}us local_fans={}",
        room.local_fans()
    );
    let mut rows: Vec<(String, u64, u64)> = cmd1
        .iter()
        .map(|(name, (calls, usec))| {
            let (c0, u0) = cmd0.get(name).copied().unwrap_or((0, 0));
            (name.clone(), calls - c0, usec - u0)
        })
        .filter(|(_, calls, _)| *calls > 0)
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    for (name, calls, usec) in rows.iter().take(12) {
        println!("  {name:<16} calls={calls:<8} usec={usec}");
    }
    cancel.cancel();
    running.await.unwrap();
    drop(handles);
    // Leaves the Redis as found: this run's keys only.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    for key in keys {
        let _: i64 = redis::cmd("UNLINK")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}
