//! Redis restarts empty mid-sale (no persistence): three replicas on it come back
//! within about a second of it, answer 503 quickly while it is down, keep every
//! waiting fan's place in the original order, and lose no confirmed order.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{buyer, start, temp_dir, Options, Shared, TestApp};

/// A throwaway `redis-server` on a fixed loopback port, without persistence.
struct RedisProcess {
    port: u16,
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl RedisProcess {
    fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut redis = Self {
            port,
            dir: temp_dir("redis"),
            child: None,
        };
        redis.spawn().ok()?;
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        // Bounded wait until it answers.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(std::io::Error::other("redis-server did not start"))
    }

    /// Kills the server (as a crash or a pod restart would: nothing saved).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A call that must answer within `limit` (no request may hang).
async fn bounded<T>(what: &str, limit: Duration, call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {limit:?}"))
}

const CALL: Duration = Duration::from_secs(4);

async fn ready(app: &TestApp) -> StatusCode {
    let resp = app.http.get(app.url("/readyz")).send().await;
    resp.map_or(StatusCode::REQUEST_TIMEOUT, |r| r.status())
}

async fn join_http(app: &TestApp, event: &str, token: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/events/{event}/queue/join"),
        Some(token),
        &json!({}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_restart_keeps_replicas_responsive_and_fans_in_line() {
    const FANS: usize = 30;
    let Some(mut shared) = Shared::fresh().await else {
        return;
    };
    let Some(mut redis) = RedisProcess::start() else {
        panic!("redis-server could not be started");
    };
    shared.redis_url = redis.url();
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let apps = [
        start(options.clone()).await,
        start(options.clone()).await,
        start(options).await,
    ];
    let event = apps[0]
        .open_event(json!({"rate_per_minute": 60_000, "max_active": 100_000, "session_ttl_secs": 600, "paused": true}))
        .await;
    // Every replica knows the event before the outage.
    for app in &apps {
        app.wait_until(
            "replica knows the event",
            Duration::from_secs(10),
            || async {
                app.get(&format!("/api/v1/events/{event}"), None).await.0 == StatusCode::OK
            },
        )
        .await;
    }

    // A confirmed order and an open hold.
    let (_, sold_token) = buyer(&apps[0], &event, 4, 600_000).await;
    let (status, sold) = apps[0]
        .hold(&event, &sold_token, json!({"seats": ["A-1-1", "A-1-2"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    let (status, order) = apps[1]
        .confirm(sold["hold_id"].as_str().unwrap(), &sold_token)
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (_, held_token) = buyer(&apps[0], &event, 4, 600_000).await;
    let (status, held) = apps[2]
        .hold(&event, &held_token, json!({"seats": ["A-2-1"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");

    // FANS waiting, spread over the replicas, joined one after another.
    let tokens = apps[0].fans(FANS + 3).await;
    let (waiting, late) = tokens.split_at(FANS);
    let mut sockets = Vec::new();
    let mut tickets = Vec::new();
    for (i, token) in waiting.iter().enumerate() {
        let app = &apps[i % 3];
        let mut fan = bounded("connect", CALL, app.connect(&event, token)).await;
        let m = bounded("join", Duration::from_secs(12), fan.join()).await;
        assert_eq!(m["type"], "queued", "{m}");
        assert_eq!(m["ahead"], json!(i), "{m}");
        tickets.push(m["ticket"].clone());
        sockets.push(fan);
    }

    // Redis goes away for 5 s.
    redis.stop();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (i, app) in apps.iter().enumerate() {
        let t = Instant::now();
        let status = bounded("readyz while down", CALL, ready(app)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "replica {i}");
        eprintln!("while down: readyz 503 on replica {i} in {:?}", t.elapsed());
        assert!(
            t.elapsed() < Duration::from_millis(1500),
            "readyz took {:?} on replica {i}",
            t.elapsed()
        );
        let t = Instant::now();
        let (status, body) =
            bounded("join while down", CALL, join_http(app, &event, &late[0])).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
            "replica {i}: {body}"
        );
        eprintln!("while down: join 503 on replica {i} in {:?}", t.elapsed());
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "join took {:?}",
            t.elapsed()
        );
    }
    let t = Instant::now();
    let (status, body) = bounded(
        "confirm while down",
        CALL,
        apps[1].confirm(held["hold_id"].as_str().unwrap(), &held_token),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
        "{body}"
    );
    eprintln!("while down: confirm 503 in {:?}", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "confirm took {:?}",
        t.elapsed()
    );
    if let Some(left) = Duration::from_secs(5).checked_sub(down_at.elapsed()) {
        tokio::time::sleep(left).await;
    }

    // Redis is back, empty, on the same port.
    redis.spawn().expect("redis-server restarts");
    let back = Instant::now();
    let mut ready_after = Vec::new();
    let mut join_after = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        loop {
            let status = bounded("readyz after restart", CALL, ready(app)).await;
            if status == StatusCode::OK {
                ready_after.push(back.elapsed());
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(10),
                "replica {i} never ready"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        loop {
            let (status, body) =
                bounded("join after restart", CALL, join_http(app, &event, &late[i])).await;
            if status == StatusCode::OK {
                assert_eq!(body["type"], "queued", "{body}");
                join_after.push(back.elapsed());
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(10),
                "replica {i} never took a join: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    eprintln!("after redis returned: ready {ready_after:?}, joins {join_after:?}");
    for (i, t) in join_after.iter().enumerate() {
        assert!(
            *t < Duration::from_secs(2),
            "replica {i} took joins after {t:?}"
        );
    }

    // Every waiting fan keeps the ticket and the place, in the original order (or was
    // told the place was lost).
    let mut told_lost = vec![false; FANS];
    for (i, fan) in sockets.iter_mut().enumerate() {
        while let Some(m) = fan.next_within(Duration::from_millis(5)).await {
            if m["type"] == "left" || m["code"] == "place_lost" {
                told_lost[i] = true;
            }
        }
    }
    let mut places = Vec::new();
    let limit = Instant::now() + Duration::from_secs(5);
    loop {
        places.clear();
        for (i, token) in waiting.iter().enumerate() {
            let app = &apps[(i + 1) % 3];
            let (status, m) = bounded(
                "queue/me",
                CALL,
                app.get(&format!("/api/v1/events/{event}/queue/me"), Some(token)),
            )
            .await;
            places.push((status, m));
        }
        let kept = places.iter().enumerate().all(|(i, (s, m))| {
            told_lost[i]
                || (*s == StatusCode::OK && m["type"] == "queued" && m["ticket"] == tickets[i])
        });
        let ordered = places
            .iter()
            .enumerate()
            .filter(|(i, _)| !told_lost[*i])
            .map(|(_, (_, m))| m["ahead"].as_u64().unwrap_or(u64::MAX))
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| w[0] < w[1]);
        if kept && ordered {
            break;
        }
        assert!(
            Instant::now() < limit,
            "places not kept in order after the restart: {places:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        told_lost.iter().all(|t| !t),
        "places could be kept, yet fans were told they were lost: {told_lost:?}"
    );
    // The original fans are ahead of those who joined after the restart.
    for (i, token) in late.iter().enumerate() {
        let (status, m) = bounded(
            "queue/me of a late fan",
            CALL,
            apps[i].get(&format!("/api/v1/events/{event}/queue/me"), Some(token)),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{m}");
        assert!(m["ahead"].as_u64().unwrap() >= FANS as u64, "{m}");
    }

    // No confirmed order lost, no sold seat offered again.
    for app in &apps {
        app.wait_until("seat state rebuilt", Duration::from_secs(10), || async {
            let (status, body) = bounded(
                "seats",
                CALL,
                app.get(&format!("/api/v1/events/{event}/seats"), None),
            )
            .await;
            status == StatusCode::OK && body["seats"]["A-1-1"] == "sold"
        })
        .await;
        let map = app.seat_map(&event).await;
        assert_eq!(map["A-1-2"], "sold");
    }
    let (_, thief) = buyer(&apps[2], &event, 4, 600_000).await;
    let (status, body) = bounded(
        "hold of a sold seat",
        CALL,
        apps[2].hold(&event, &thief, json!({"seats": ["A-1-1"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("seats_unavailable")),
        "{body}"
    );
    // Confirming the sold hold again answers the same order from the database.
    let (status, again) = bounded(
        "confirm retried",
        CALL,
        apps[0].confirm(sold["hold_id"].as_str().unwrap(), &sold_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["order_id"], order["order_id"]);

    for fan in sockets {
        fan.close().await;
    }
    for app in apps {
        app.stop().await;
    }
}
