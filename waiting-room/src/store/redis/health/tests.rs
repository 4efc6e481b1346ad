//! The probe against a Redis of the test's own (a `redis-server` it starts, so it can
//! stop it with SIGSTOP or keep it busy without touching the shared test Redis). Run
//! where the test Redis is (`FLOODGATE_TEST_REDIS_URL`, which says `redis-server` is
//! installed).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::store::contract::{test_prefix, test_redis_url};
use crate::store::redis::{RedisStore, BUSY_CALL_LIMIT};
use crate::store::{QueueStore, StoreError};
use crate::EventId;

/// A `redis-server` of this test's own on a free loopback port; killed on drop.
struct OwnRedis {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl OwnRedis {
    fn start() -> Option<Self> {
        test_redis_url()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("fg-health-{}", test_prefix()));
        std::fs::create_dir_all(&dir).ok()?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed where the test Redis is");
        let redis = Self { child, port, dir };
        for _ in 0..250 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(redis);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill {sig}");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn configured(store: &RedisStore) -> EventId {
    let event = EventId::new();
    let config = crate::store::redis::tests::test_config(store.now_ms().await.unwrap());
    store.configure(event, &config, false).await.unwrap();
    event
}

/// Keeps Redis busy for `ms` with a script (nothing else runs meanwhile).
async fn busy(url: String, ms: u64) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let spin = redis::Script::new(
        "local t = redis.call('TIME') local t0 = t[1] * 1000000 + t[2]
         repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - t0 >= tonumber(ARGV[1]) * 1000
         return 1",
    );
    let _: i64 = spin.arg(ms).invoke_async(&mut conn).await.unwrap();
}

/// A Redis busy for 3.5 s (longer than the old 3 s per-command timeout, shorter than
/// two missed probes) makes a call wait, not fail.
#[tokio::test]
async fn a_busy_redis_slows_a_call_down_but_does_not_fail_it() {
    let Some(redis) = OwnRedis::start() else {
        return;
    };
    let store = RedisStore::connect(&redis.url(), &test_prefix())
        .await
        .unwrap();
    let event = configured(&store).await;
    let spin = tokio::spawn(busy(redis.url(), 3_500));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let config = store.config(event).await;
    let waited = started.elapsed();
    spin.await.unwrap();
    assert!(
        matches!(config, Ok(Some(_))),
        "a busy Redis failed a call after {waited:?}: {config:?}"
    );
    assert!(
        waited >= Duration::from_secs(2),
        "the call waited for the busy Redis ({waited:?}); the test did not keep it busy"
    );
}

/// A Redis that stops answering (SIGSTOP: the connection stays open, nothing comes
/// back) fails calls as `Unavailable` once the probe misses it, long before the busy
/// bound; once it answers again, calls work again.
#[tokio::test]
async fn a_hung_redis_fails_calls_as_unavailable_then_recovers() {
    let Some(redis) = OwnRedis::start() else {
        return;
    };
    let store = RedisStore::connect(&redis.url(), &test_prefix())
        .await
        .unwrap();
    let event = configured(&store).await;
    redis.signal("-STOP");
    let started = Instant::now();
    let waiting = store.config(event).await;
    let waited = started.elapsed();
    assert!(
        matches!(waiting, Err(StoreError::Unavailable(_))),
        "{waiting:?}"
    );
    assert!(
        waited < BUSY_CALL_LIMIT / 2,
        "a call to a hung Redis waited {waited:?}: the probe did not end it"
    );
    // While it is down, calls fail within the probe's bound too.
    let again = store.config(event).await;
    assert!(
        matches!(again, Err(StoreError::Unavailable(_))),
        "{again:?}"
    );

    redis.signal("-CONT");
    let mut recovered = false;
    for _ in 0..100 {
        if matches!(store.config(event).await, Ok(Some(_))) {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "calls did not work again after SIGCONT");
}
