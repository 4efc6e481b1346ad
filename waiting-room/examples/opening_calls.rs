//! The opening's largest Redis call (issue 19): fills one event's pre-queue with `n`
//! fans (raw writes of the store's keys, in calls of 10,000, before the measured
//! window), then opens the sale through the Redis store and reads Redis' slow log:
//! every call over 1 ms during the opening, the largest of them, and Redis' CPU over
//! the opening (INFO cpu). Bounded: one opening, on a Redis of the caller's.
//!
//! ```text
//! FLOODGATE_TEST_REDIS_URL=redis://127.0.0.1:6379 \
//!   cargo run -p waiting-room --example opening_calls -- 100000
//! ```

use std::time::Instant;

use redis::Value;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

const FILL: &str = r#"
for i = 2, #ARGV do
  local n = tonumber(ARGV[1]) + i - 1
  redis.call('ZADD', KEYS[1], n, ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], '{"t":"' .. ARGV[i] .. '-t","s":"W"}')
end
redis.call('HSET', KEYS[3], 'arrival', tonumber(ARGV[1]) + #ARGV - 1)
return 0
"#;

/// Redis' CPU so far (used_cpu_sys + used_cpu_user), in seconds.
async fn cpu(conn: &mut redis::aio::MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| *k == "used_cpu_sys" || *k == "used_cpu_user")
        .map(|(_, v)| v.trim().parse::<f64>().unwrap())
        .sum()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().expect("a whole number"));
    let url = std::env::var("FLOODGATE_TEST_REDIS_URL").expect("FLOODGATE_TEST_REDIS_URL");
    let prefix = format!("open-{}", std::process::id());
    let store = RedisStore::connect(&url, &prefix).await.unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let event = EventId::new();
    let now = store.now_ms().await.unwrap();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: now + 86_400_000,
        grace_ms: 86_400_000,
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
    store.configure(event, &config, false).await.unwrap();
    let tag = format!("{{{prefix}:ev:{event}}}");
    let (pre, tk, st) = (
        format!("{tag}:pre"),
        format!("{tag}:tk"),
        format!("{tag}:st"),
    );
    let fill = redis::Script::new(FILL);
    let mut joined = 0;
    while joined < n {
        let k = (n - joined).min(10_000);
        let mut inv = fill.prepare_invoke();
        inv.key(&pre).key(&tk).key(&st).arg(joined + 1);
        for _ in 0..k {
            inv.arg(UserId::new().to_string());
        }
        let _: i64 = inv.invoke_async(&mut conn).await.unwrap();
        joined += k;
    }
    let _ = TicketId::new();
    let stats = store.stats(event).await.unwrap();
    assert_eq!(stats.prequeue as usize, n);
    let due = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: store.now_ms().await.unwrap() - 1,
        ..config
    };
    store.configure(event, &due, false).await.unwrap();
    for (k, v) in [
        ("slowlog-log-slower-than", "1000"),
        ("slowlog-max-len", "100000"),
    ] {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    let _: () = redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async(&mut conn)
        .await
        .unwrap();
    let cpu_before = cpu(&mut conn).await;
    let began = Instant::now();
    let opened = store.open(event, &ShuffleSeed::random()).await;
    let wall = began.elapsed();
    // A call the client gave up on still runs in Redis: wait until it answers.
    loop {
        let ping: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
        if ping.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let cpu_after = cpu(&mut conn).await;
    let log: Vec<Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(100_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut calls: Vec<(u64, String)> = log
        .iter()
        .filter_map(|e| match e {
            Value::Array(fields) => {
                let us: u64 = redis::from_redis_value(&fields[2]).ok()?;
                let args: Vec<String> = redis::from_redis_value(&fields[3]).ok()?;
                let keys: Vec<&String> = args.iter().filter(|a| a.starts_with('{')).collect();
                let what = format!(
                    "{} {}",
                    args[0],
                    keys.iter()
                        .map(|k| k.rsplit(':').next().unwrap_or(""))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                Some((us, what))
            }
            _ => None,
        })
        .collect();
    calls.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
    let waiting = store.stats(event).await.map(|s| s.waiting);
    println!(
        "prequeue {n}: opened {:?} in {:.0} ms; Redis CPU {:.0} ms; calls over 1 ms {}; largest {:.1} ms ({}); next {:?}; waiting after {:?}",
        opened,
        wall.as_secs_f64() * 1000.0,
        (cpu_after - cpu_before) * 1000.0,
        calls.len(),
        calls.first().map_or(0.0, |c| c.0 as f64 / 1000.0),
        calls.first().map_or("", |c| c.1.as_str()),
        calls.iter().skip(1).take(3).map(|c| format!("{:.1} ms {}", c.0 as f64 / 1000.0, c.1)).collect::<Vec<_>>(),
        waiting,
    );
}
