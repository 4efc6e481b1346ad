//! `spawn_app` and one helper per endpoint. Each app gets a fresh data dir; on the
//! Redis + PostgreSQL backend also a fresh key prefix and a fresh database.
//!
//! Backends: `Embedded` always runs. `Scaled` needs `FLOODGATE_TEST_REDIS_URL` and
//! `FLOODGATE_TEST_DATABASE_URL` (a PostgreSQL URL whose user may create databases);
//! `Cluster` needs `FLOODGATE_TEST_REDIS_CLUSTER_URL` (a `redis+cluster://` URL) and
//! the database. Without them the test is skipped, unless
//! `FLOODGATE_TEST_REQUIRE_SERVICES=1` (scripts/test.sh sets it), which makes their
//! absence a failure.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::Config;
use server::state::AppState;
use server::{Application, Stores};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub const ADMIN_EMAIL: &str = "admin@floodgate.test";
pub const ADMIN_PASSWORD: &str = "admin-password";
/// The bearer token test apps read `/metrics` with ([`TestApp::metrics`]).
pub const METRICS_TOKEN: &str = "test-metrics-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// In-memory store + SQLite file.
    Embedded,
    /// Redis store + PostgreSQL.
    Scaled,
    /// Redis Cluster store + PostgreSQL (only the suites declared with `on_cluster!`).
    Cluster,
}

/// Where a scaled app keeps shared state, so several instances can share it.
#[derive(Clone, Debug)]
pub struct Shared {
    pub redis_url: String,
    pub redis_prefix: String,
    pub database_url: String,
    pub signing_key: PathBuf,
    /// On the test cluster: this test's turn on it (see [`CLUSTER_TURN`]).
    turn: Option<Arc<Turn>>,
}

/// Every cluster test of this binary shares one test cluster: a test that breaks a
/// node (fails a master over, or kills it) takes it for writing, so no other cluster
/// test runs then; the others take it for reading, and run together.
static CLUSTER_TURN: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A held turn on the test cluster (a guard of [`CLUSTER_TURN`]), released on drop.
type Turn = dyn std::any::Any + Send + Sync;

impl Shared {
    /// Fresh shared state for a scaled deployment, or `None` when skipping.
    pub async fn fresh() -> Option<Self> {
        Self::fresh_on("FLOODGATE_TEST_REDIS_URL").await
    }

    /// Fresh shared state on the test Redis Cluster, or `None` when skipping.
    pub async fn fresh_cluster() -> Option<Self> {
        let mut shared = Self::fresh_on("FLOODGATE_TEST_REDIS_CLUSTER_URL").await?;
        shared.turn = Some(Arc::new(CLUSTER_TURN.read().await));
        Some(shared)
    }

    /// As [`Self::fresh_cluster`], for a test that breaks a node: no other cluster
    /// test runs until every clone of it is dropped.
    pub async fn fresh_cluster_alone() -> Option<Self> {
        let mut shared = Self::fresh_on("FLOODGATE_TEST_REDIS_CLUSTER_URL").await?;
        shared.turn = Some(Arc::new(CLUSTER_TURN.write().await));
        Some(shared)
    }

    /// Fresh shared state for `backend` (`None` for the embedded one, or when skipping).
    pub async fn for_backend(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Embedded => None,
            Backend::Scaled => Self::fresh().await,
            Backend::Cluster => Self::fresh_cluster().await,
        }
    }

    async fn fresh_on(redis_var: &str) -> Option<Self> {
        let (Ok(redis_url), Ok(pg)) = (
            std::env::var(redis_var),
            std::env::var("FLOODGATE_TEST_DATABASE_URL"),
        ) else {
            assert!(
                std::env::var("FLOODGATE_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "{redis_var} and FLOODGATE_TEST_DATABASE_URL are required"
            );
            eprintln!("skipping: no test Redis/PostgreSQL configured");
            return None;
        };
        let name = format!("fg_test_{}", uuid_simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg)
            .await
            .expect("connect to test PostgreSQL");
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let base = pg.rsplit_once('/').expect("database URL has a path").0;
        let dir = temp_dir("shared");
        let key = dir.join("signing.pem");
        let (_, pem) = waiting_room::token::SigningKeys::generate();
        std::fs::write(&key, pem).unwrap();
        Some(Self {
            redis_url,
            redis_prefix: format!("t{}", uuid_simple()),
            database_url: format!("{base}/{name}"),
            signing_key: key,
            turn: None,
        })
    }
}

/// Knobs a test may turn before the app starts.
#[derive(Clone, Debug)]
pub struct Options {
    pub grace_secs: u64,
    pub auth_rate_per_sec: u32,
    pub join_rate_per_sec: u32,
    pub slow_socket_secs: u64,
    pub max_sockets_per_ip: usize,
    pub max_places_per_ip: u32,
    pub poll_rate_per_sec: u32,
    pub poll_ip_rate_per_sec: u32,
    /// `FLOODGATE_METRICS_TOKEN` ([`METRICS_TOKEN`] unless a test turns it off).
    pub metrics_token: Option<String>,
    pub shared: Option<Shared>,
    pub request_timeout_secs: u64,
    /// Back-pressure threshold (FLOODGATE_SHED_LATENCY_MS).
    pub shed_latency_ms: u64,
    pub seat_map_rate_per_sec: u32,
    pub max_connections_per_ip: Option<usize>,
    pub http_write_timeout_secs: u64,
    /// Wraps the app's stores (e.g. behind [`crate::faulty::Faults`]).
    pub wrap_stores: Option<StoreWrap>,
    /// The signing key (overrides the shared one) and verify-only keys.
    pub signing_key: Option<PathBuf>,
    pub verify_keys: Vec<PathBuf>,
    /// Another app's database (e.g. its embedded SQLite file), shared.
    pub database_url: Option<String>,
    /// `FLOODGATE_SECURE_COOKIES`: the site is served over HTTPS.
    pub secure_cookies: bool,
    /// Sign-ups per address per minute, and at once (lifted by default: every test
    /// fan comes from 127.0.0.1).
    pub signup_per_minute: u32,
    pub signup_burst: u32,
    /// `FLOODGATE_CLOSE_AFTER_SHOW_SECS` (the default, a day, unless a test shortens it).
    pub close_after_show_secs: u64,
    /// Hold attempts per account per minute, and at once (lifted by default).
    pub hold_attempts_per_minute: u32,
    pub hold_attempts_burst: u32,
    /// `FLOODGATE_MAX_SOCKETS`: sockets this process holds at once.
    pub max_sockets: usize,
    /// `FLOODGATE_WEBHOOK_ALLOW_PRIVATE`, and the first retry's delay.
    pub webhook_allow_private: bool,
    pub webhook_retry_base_ms: u64,

    /// `FLOODGATE_TEST_FAULTS` (`Some("")`: on, none yet; changed through
    /// `state.db.test_faults()`).
    pub test_faults: Option<String>,
    /// Autotune's tick and window (FLOODGATE_AUTOTUNE_INTERVAL_MS, _WINDOW_MS).
    pub autotune_interval_ms: u64,
    pub autotune_window_ms: u64,
}

/// A decorator for the app's stores.
#[derive(Clone)]
pub struct StoreWrap(pub std::sync::Arc<dyn Fn(Stores) -> Stores + Send + Sync>);

impl std::fmt::Debug for StoreWrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreWrap")
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            grace_secs: 60,
            auth_rate_per_sec: 100_000,
            join_rate_per_sec: 100_000,
            slow_socket_secs: 10,
            max_sockets_per_ip: 100_000,
            max_places_per_ip: 100_000,
            poll_rate_per_sec: 100_000,
            poll_ip_rate_per_sec: 100_000,
            metrics_token: Some(METRICS_TOKEN.into()),
            shared: None,
            request_timeout_secs: 30,
            shed_latency_ms: 5_000,
            seat_map_rate_per_sec: 100_000,
            max_connections_per_ip: None,
            http_write_timeout_secs: 20,
            wrap_stores: None,
            signing_key: None,
            verify_keys: Vec::new(),
            database_url: None,
            secure_cookies: false,
            signup_per_minute: 1_000_000,
            signup_burst: 1_000_000,
            close_after_show_secs: 24 * 3600,
            hold_attempts_per_minute: 1_000_000,
            hold_attempts_burst: 1_000_000,
            max_sockets: 50_000,
            webhook_allow_private: false,
            webhook_retry_base_ms: 5_000,

            test_faults: None,
            autotune_interval_ms: 5_000,
            autotune_window_ms: 30_000,
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub http: reqwest::Client,
    pub state: AppState,
    pub admin_token: String,
    stop: CancellationToken,
    server: tokio::task::JoinHandle<()>,
    /// Its turn on the test cluster, held while it lives.
    _turn: Option<Arc<Turn>>,
}

/// An app on `backend`, or `None` when that backend is not available here.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, Options::default()).await
}

pub async fn spawn_with(backend: Backend, mut options: Options) -> Option<TestApp> {
    if backend != Backend::Embedded && options.shared.is_none() {
        options.shared = Some(Shared::for_backend(backend).await?);
    }
    Some(start(options).await)
}

/// Starts one instance with `options` (a second instance passes the same `shared`).
pub async fn start(options: Options) -> TestApp {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    // Logs only when asked for (RUST_LOG=…), captured per test.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let mut config = Config::for_tests(temp_dir("app"));
    config.reconnect_grace_secs = options.grace_secs;
    config.auth_rate_per_sec = options.auth_rate_per_sec;
    config.join_rate_per_sec = options.join_rate_per_sec;
    config.slow_socket_secs = options.slow_socket_secs;
    config.max_sockets_per_ip = options.max_sockets_per_ip;
    config.max_places_per_ip = options.max_places_per_ip;
    config.poll_rate_per_sec = options.poll_rate_per_sec;
    config.poll_ip_rate_per_sec = options.poll_ip_rate_per_sec;
    config.metrics_token = options.metrics_token.clone();
    config.signup_per_minute = options.signup_per_minute;
    config.signup_burst = options.signup_burst;
    config.close_after_show_secs = options.close_after_show_secs;
    config.hold_attempts_per_minute = options.hold_attempts_per_minute;
    config.hold_attempts_burst = options.hold_attempts_burst;
    config.max_sockets = options.max_sockets;
    config.webhook_allow_private = options.webhook_allow_private;
    config.webhook_retry_base_ms = options.webhook_retry_base_ms;

    config.test_faults = options.test_faults.clone();
    config.autotune_interval_ms = options.autotune_interval_ms;
    config.autotune_window_ms = options.autotune_window_ms;
    // Every test fan is 127.0.0.1, and `fans()` registers 32 at once.
    config.argon2_queue = Some(100_000);
    config.argon2_per_ip = 100_000;
    config.argon2_memory_kib = 1024; // keep 1,000 registrations quick in debug builds
    config.admin_email = Some(ADMIN_EMAIL.into());
    config.admin_password = Some(ADMIN_PASSWORD.into());
    config.shutdown_grace_secs = 2;
    config.request_timeout_secs = options.request_timeout_secs;
    config.shed_latency_ms = options.shed_latency_ms;
    config.seat_map_rate_per_sec = options.seat_map_rate_per_sec;
    config.max_connections_per_ip = options.max_connections_per_ip;
    config.http_write_timeout_secs = options.http_write_timeout_secs;
    if let Some(s) = &options.shared {
        config.redis_url = Some(s.redis_url.clone());
        config.redis_prefix = s.redis_prefix.clone();
        config.database_url = Some(s.database_url.clone());
        config.signing_key = Some(s.signing_key.clone());
    }
    if let Some(key) = &options.signing_key {
        config.signing_key = Some(key.clone());
    }
    config.verify_keys = options.verify_keys.clone();
    if let Some(url) = &options.database_url {
        config.database_url = Some(url.clone());
    }
    config.secure_cookies = options.secure_cookies;
    let wrap = options.wrap_stores.clone();
    let app = Application::build_with_stores(config, |stores| match wrap {
        Some(wrap) => (wrap.0)(stores),
        None => stores,
    })
    .await
    .expect("app builds");
    let port = app.port();
    let state = app.state().clone();
    let stop = CancellationToken::new();
    let token = stop.clone();
    let server = tokio::spawn(async move {
        app.run_until_stopped(async move { token.cancelled().await })
            .await
            .expect("app runs");
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        port,
        http,
        state,
        admin_token: String::new(),
        stop,
        server,
        _turn: options.shared.as_ref().and_then(|s| s.turn.clone()),
    };
    app.admin_token = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /metrics` as the scraper asks it (with [`METRICS_TOKEN`]).
    pub fn metrics(&self) -> reqwest::RequestBuilder {
        self.http
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
    }

    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.server.await;
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request sent")).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = self.http.put(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request sent")).await
    }

    /// `POST …/queue/join` as the fan of `token`, which must answer 200: its body.
    pub async fn join_over_http(&self, event: &str, token: &str) -> Value {
        let path = format!("/api/v1/events/{event}/queue/join");
        let (status, body) = self.post(&path, Some(token), &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn patch(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut req = self.http.patch(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request sent")).await
    }

    pub async fn register(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/register",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// A new fan account, signed in: its session token.
    pub async fn fan(&self) -> String {
        let email = format!("fan-{}@floodgate.test", uuid_simple());
        let (status, body) = self.register(&email, "fan-password").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.login(&email, "fan-password").await
    }

    /// `n` signed-in fans, registered concurrently.
    pub async fn fans(&self, n: usize) -> Vec<String> {
        futures_util::stream::iter(0..n)
            .map(|_| self.fan())
            .buffered(32)
            .collect()
            .await
    }

    /// Creates an event opening `opens_in_ms` from now (negative: already open).
    pub async fn create_event(&self, opens_in_ms: i64, admission: Value) -> String {
        self.create_event_with(opens_in_ms, admission, json!({}))
            .await
    }

    /// [`Self::create_event`] with `extra`'s fields laid over the request (e.g.
    /// `show_at`, `refund_window_secs`, `max_seats_per_account`, other `sections`).
    pub async fn create_event_with(
        &self,
        opens_in_ms: i64,
        admission: Value,
        extra: Value,
    ) -> String {
        let starts_at = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(opens_in_ms);
        let mut body = json!({
            "name": "Test sale",
            "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "sections": [{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 5000}],
            "max_seats_per_order": 4,
            "hold_ttl_secs": 300,
            "admission": admission,
        });
        for (key, value) in extra.as_object().expect("extra fields are an object") {
            body[key] = value.clone();
        }
        let (status, event) = self
            .post("/api/v1/admin/events", Some(&self.admin_token), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{event}");
        event["id"].as_str().unwrap().to_owned()
    }

    /// The seat store's counts for `event` (an id as the API gives it).
    pub async fn store_counts(&self, event: &str) -> waiting_room::seats::store::SeatCounts {
        let id = event.parse().expect("an event id");
        self.state.checkout.seats().seat_counts(id).await.unwrap()
    }

    /// The seat store's states for `event`, one byte per seat.
    pub async fn store_snapshot(&self, event: &str) -> waiting_room::seats::store::SeatSnapshot {
        let id = event.parse().expect("an event id");
        self.state.checkout.seats().seat_snapshot(id).await.unwrap()
    }

    /// Creates an already-due event and waits until the sale is open.
    pub async fn open_event(&self, admission: Value) -> String {
        let id = self.create_event(-1_000, admission).await;
        self.wait_until("sale opens", Duration::from_secs(10), || async {
            self.stats(&id).await["opened"] == json!(true)
        })
        .await;
        id
    }

    /// The event's admin audit entries, newest first.
    pub async fn audit_entries(&self, event: &str) -> Vec<Value> {
        let path = format!("/api/v1/admin/events/{event}/audit");
        let (status, body) = self.get(&path, Some(&self.admin_token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().expect("a list of entries").clone()
    }

    pub async fn stats(&self, event: &str) -> Value {
        let (status, body) = self
            .get(
                &format!("/api/v1/admin/events/{event}/stats"),
                Some(&self.admin_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub async fn patch_admission(&self, event: &str, body: Value) -> Value {
        let (status, out) = self
            .patch(
                &format!("/api/v1/admin/events/{event}/admission"),
                Some(&self.admin_token),
                &body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        out
    }

    pub fn queue_url(&self, event: &str, token: &str) -> String {
        format!(
            "ws://127.0.0.1:{}/api/v1/events/{event}/queue/ws?access_token={token}",
            self.port
        )
    }

    /// Opens a queue socket for the fan with session `token`.
    pub async fn connect(&self, event: &str, token: &str) -> Fan {
        let (ws, _) = tokio_tungstenite::connect_async(self.queue_url(event, token))
            .await
            .expect("queue socket opens");
        Fan { ws }
    }

    /// Polls `check` every 50 ms until it holds; panics after `limit`.
    pub async fn wait_until<F, Fut>(&self, what: &str, limit: Duration, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = Instant::now();
        while !check().await {
            assert!(start.elapsed() < limit, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Admission settings that admit nobody while a test runs: rate 1 a minute (the
/// bucket's first token comes a minute after the opening).
pub fn slow_admission() -> Value {
    json!({"rate_per_minute": 1, "max_active": 100, "session_ttl_secs": 600})
}

async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// One fan's queue socket.
pub struct Fan {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Fan {
    pub async fn send(&mut self, value: Value) {
        self.ws
            .send(Message::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next JSON message, or `None` if none arrives within `limit`.
    pub async fn next_within(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match msg {
                Message::Text(t) => return Some(serde_json::from_str(t.as_str()).unwrap()),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Reads until a message of type `kind`; panics after `limit`.
    pub async fn expect(&mut self, kind: &str, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_within(left).await {
                Some(m) if m["type"] == kind => return m,
                Some(_) => continue,
                None => panic!("no {kind:?} message within {limit:?}"),
            }
        }
    }

    /// Joins and returns the first answer (`queued` or `prequeue`).
    pub async fn join(&mut self) -> Value {
        self.send(json!({"type": "join"})).await;
        loop {
            let m = self
                .next_within(Duration::from_secs(10))
                .await
                .expect("an answer to join");
            if m["type"] == "queued" || m["type"] == "prequeue" || m["type"] == "admitted" {
                return m;
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Reads (skipping messages) until the server closes the socket, within `limit`:
    /// the close frame's code, or `None` if no close frame came.
    pub async fn closed_within(&mut self, limit: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??
            {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}

pub fn uuid_simple() -> String {
    waiting_room::TicketId::new().0
}

pub fn temp_dir(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floodgate-test-{kind}-{}", uuid_simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Milliseconds since the epoch of an RFC 3339 timestamp.
pub fn ms(rfc3339: &Value) -> i64 {
    let t = time::OffsetDateTime::parse(
        rfc3339.as_str().expect("a timestamp"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Declares one test per backend from an `async fn(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Embedded).await;
                }
            )*
        }
        mod scaled {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Scaled).await;
                }
            )*
        }
    };
}

/// Declares one test on the Redis Cluster backend per `async fn(Backend)`: only for
/// the suites that exercise the store's cluster path (checkout races, a sale), so the
/// test count grows by a few, not by every API test.
#[macro_export]
macro_rules! on_cluster {
    ($($name:ident),* $(,)?) => {
        mod cluster {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Cluster).await;
                }
            )*
        }
    };
}

/// A buyer: an account in the database and a purchase token for `event`, as an
/// admitted fan would hold (minted with the app's key; the tests of the queue show
/// the real path to it).
pub async fn buyer(
    app: &TestApp,
    event: &str,
    max_seats: u32,
    ttl_ms: i64,
) -> (waiting_room::UserId, String) {
    let email = format!("buyer-{}@floodgate.test", uuid_simple());
    let user = match app
        .state
        .db
        .create_user(&email, "not-a-hash", false, 0)
        .await
        .unwrap()
    {
        server::db::Created::Ok(id) => id,
        server::db::Created::EmailTaken => unreachable!("fresh email"),
    };
    (user, purchase_token(app, event, user, max_seats, ttl_ms))
}

pub fn purchase_token(
    app: &TestApp,
    event: &str,
    user: waiting_room::UserId,
    max_seats: u32,
    ttl_ms: i64,
) -> String {
    let now = waiting_room::clock::now_ms();
    let claims = waiting_room::token::PurchaseClaims::new(
        user,
        event.parse().unwrap(),
        &waiting_room::TicketId::new(),
        now,
        now + ttl_ms,
        max_seats,
    );
    app.state.keys.sign(&claims)
}

impl TestApp {
    /// Creates an open event with `sections` and hold TTL, admission wide open.
    pub async fn seated_event(
        &self,
        sections: Value,
        hold_ttl_secs: u32,
        max_seats: u32,
    ) -> String {
        let starts_at = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
        let body = json!({
            "name": "Checkout sale",
            "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "sections": sections,
            "max_seats_per_order": max_seats,
            "hold_ttl_secs": hold_ttl_secs,
            "admission": {"rate_per_minute": 60_000, "max_active": 100_000, "session_ttl_secs": 600},
        });
        let (status, event) = self
            .post("/api/v1/admin/events", Some(&self.admin_token), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{event}");
        event["id"].as_str().unwrap().to_owned()
    }

    /// A hold as the purchase token's own account: the token with a session of its
    /// `sub` (see [`Bound`]).
    pub async fn hold(&self, event: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let req = self
            .http
            .post(self.url(&format!("/api/v1/events/{event}/holds")))
            .json(&body);
        read(req.bound(self, token).send().await.expect("request sent")).await
    }

    /// A confirm as the purchase token's own account.
    pub async fn confirm(&self, hold_id: &str, token: &str) -> (StatusCode, Value) {
        let req = self
            .http
            .post(self.url(&format!("/api/v1/holds/{hold_id}/confirm")))
            .json(&json!({}));
        read(req.bound(self, token).send().await.expect("request sent")).await
    }

    /// The seat map as `seat id → state`.
    pub async fn seat_map(&self, event: &str) -> serde_json::Map<String, Value> {
        let (status, body) = self
            .get(&format!("/api/v1/events/{event}/seats"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["seats"].as_object().unwrap().clone()
    }
}

/// A session of the account a purchase token was issued to (its `sub`, read from the
/// claims without checking the signature, so an expired or foreign token still
/// names its account), as the fan who waited in line holds; `None` for a token whose
/// claims do not decode. Minted with `keys` (the app's, or the deployment's shared).
pub fn session_for(
    keys: &waiting_room::token::SigningKeys,
    purchase_token: &str,
) -> Option<String> {
    use base64::Engine;
    let payload = purchase_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let user: waiting_room::UserId = claims["sub"].as_str()?.parse().ok()?;
    let now = waiting_room::clock::now_ms() / 1000;
    Some(server::auth::issue_session(keys, user, false, 0, now, 3600).0)
}

/// Checkout requests as the purchase token's account: the token in `Authorization:
/// Bearer` and a session of its `sub` in `Floodgate-Session` (the tests of bound
/// tokens send other sessions by hand).
pub trait Bound {
    fn bound(self, app: &TestApp, purchase_token: &str) -> Self;
    fn bound_with(self, keys: &waiting_room::token::SigningKeys, purchase_token: &str) -> Self;
}

impl Bound for reqwest::RequestBuilder {
    fn bound(self, app: &TestApp, purchase_token: &str) -> Self {
        self.bound_with(&app.state.keys, purchase_token)
    }

    fn bound_with(self, keys: &waiting_room::token::SigningKeys, purchase_token: &str) -> Self {
        let req = self.bearer_auth(purchase_token);
        match session_for(keys, purchase_token) {
            Some(session) => req.header("floodgate-session", session),
            None => req,
        }
    }
}

/// A client WebSocket of the tests.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next text message on `ws` as JSON (other frames skipped), within 10 s.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}
