//! Real `floodgate` processes for the fault tests (`kill -9`, SIGTERM): spawned from
//! the built binary, on a free port, on the shared Redis and PostgreSQL when given.
//!
//! [`deployments`] is where the Redis URL comes from: the single test Redis, and
//! also the Redis Cluster when `FLOODGATE_TEST_REDIS_CLUSTER_URL` is set, so every
//! fault test runs on each.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{temp_dir, Shared, ADMIN_EMAIL, ADMIN_PASSWORD};

/// One `floodgate` process. Killed when dropped (a failed test leaves none behind).
pub struct Floodgate {
    pub child: Child,
    pub base: String,
    pub port: u16,
}

impl Floodgate {
    /// `kill -9`.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// SIGTERM (what Kubernetes sends).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `limit` for the process to exit: its exit status, or `None`.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if start.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Floodgate {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `floodgate` with its data in `data_dir` on `port`, on `shared` when given,
/// with `env` on top (e.g. the shutdown settings). The per-IP limits (requests,
/// sockets, sign-ups, queued password checks) are lifted: every test fan comes from
/// 127.0.0.1.
pub fn spawn(
    data_dir: &std::path::Path,
    port: u16,
    shared: Option<&Shared>,
    env: &[(&str, &str)],
) -> Floodgate {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_floodgate"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FLOODGATE_DATA_DIR", data_dir)
        .env("FLOODGATE_LISTEN", format!("127.0.0.1:{port}"))
        .env("FLOODGATE_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FLOODGATE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("FLOODGATE_ARGON2_MEMORY_KIB", "1024")
        .env("FLOODGATE_AUTH_RATE_PER_SEC", "10000")
        .env("FLOODGATE_JOIN_RATE_PER_SEC", "10000")
        .env("FLOODGATE_MAX_SOCKETS_PER_IP", "100000")
        .env("FLOODGATE_MAX_PLACES_PER_IP", "100000")
        .env("FLOODGATE_POLL_RATE_PER_SEC", "100000")
        .env("FLOODGATE_POLL_IP_RATE_PER_SEC", "100000")
        .env("FLOODGATE_SEAT_MAP_RATE_PER_SEC", "100000")
        .env("FLOODGATE_SIGNUP_PER_MINUTE", "1000000")
        .env("FLOODGATE_SIGNUP_BURST", "1000000")
        .env("FLOODGATE_ARGON2_QUEUE", "100000")
        .env("FLOODGATE_ARGON2_PER_IP", "100000")
        // Events the tests create join without proof of work unless they set it.
        .env("FLOODGATE_POW_DEFAULT_DIFFICULTY", "0")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or("warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(s) = shared {
        cmd.env("DATABASE_URL", &s.database_url)
            .env("REDIS_URL", &s.redis_url)
            .env("FLOODGATE_REDIS_PREFIX", &s.redis_prefix)
            .env("FLOODGATE_SIGNING_KEY", &s.signing_key);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Floodgate {
        child: cmd.spawn().expect("floodgate starts"),
        base: format!("http://127.0.0.1:{port}"),
        port,
    }
}

/// Waits (up to 60 s: three debug builds starting on a loaded machine) for `/readyz`
/// to answer 200.
pub async fn ready(http: &reqwest::Client, base: &str) {
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "floodgate at {base} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `n` replicas of one deployment on `shared`, each with its own data directory (named
/// after `kind`) and `env`, all ready. The first one migrates the database and creates
/// the admin before the others start.
pub async fn replicas(
    http: &reqwest::Client,
    kind: &str,
    n: usize,
    shared: &Shared,
    env: &[(&str, &str)],
) -> Vec<Floodgate> {
    let first = spawn(&temp_dir(kind), free_port(), Some(shared), env);
    ready(http, &first.base).await;
    let mut all = vec![first];
    for _ in 1..n {
        all.push(spawn(&temp_dir(kind), free_port(), Some(shared), env));
    }
    for replica in &all[1..] {
        ready(http, &replica.base).await;
    }
    all
}

pub async fn call(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Signs in as the test admin on the process at `base`: its bearer token.
pub async fn admin_token(http: &reqwest::Client, base: &str) -> String {
    let (status, login) = call(
        http.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    login["token"].as_str().unwrap().to_owned()
}

/// A new fan account registered and signed in on the process at `base`: its session
/// token.
pub async fn fan_session(http: &reqwest::Client, base: &str) -> String {
    let email = format!("fan-{}@floodgate.test", crate::helpers::uuid_simple());
    let body = json!({"email": email, "password": "fan-password"});
    let (status, out) = call(
        http.post(format!("{base}/api/v1/auth/register"))
            .json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, out) = call(http.post(format!("{base}/api/v1/auth/login")).json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    out["token"].as_str().unwrap().to_owned()
}

/// Creates an event from `body` (its `starts_at` set to now plus `starts_in_secs`) as
/// `admin` on the process at `base`: the event's id.
pub async fn create_event(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    starts_in_secs: i64,
    mut body: Value,
) -> String {
    let starts_at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(starts_in_secs))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    body["starts_at"] = json!(starts_at);
    let (status, event) = call(
        http.post(format!("{base}/api/v1/admin/events"))
            .bearer_auth(admin)
            .json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    event["id"].as_str().unwrap().to_owned()
}

/// The shared deployments to run a fault test on, each with a fresh database and key
/// prefix: the single Redis (`FLOODGATE_TEST_REDIS_URL`), and the Redis Cluster when
/// `FLOODGATE_TEST_REDIS_CLUSTER_URL` is set. Empty when the services are not
/// configured (the test is skipped, unless `FLOODGATE_TEST_REQUIRE_SERVICES=1`).
pub async fn deployments() -> Vec<(&'static str, Shared)> {
    let Some(single) = Shared::fresh().await else {
        return Vec::new();
    };
    let mut out = vec![("redis", single)];
    if let Ok(url) = std::env::var("FLOODGATE_TEST_REDIS_CLUSTER_URL") {
        if let Some(mut cluster) = Shared::fresh().await {
            cluster.redis_url = url;
            out.push(("redis-cluster", cluster));
        }
    }
    out
}
