//! Configuration: command-line flags, each also read from the environment. Secrets are
//! redacted from `Debug` so the config can be logged at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Which parts of the API this process serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Everything (the default, and the only sensible choice for one process).
    All,
    /// Queue tier: accounts, events, queue sockets and admission.
    Queue,
    /// Checkout tier: events, holds and orders (no queue sockets).
    Checkout,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, with the current span and the list of spans (a
    /// request's `request_id`, method and path) as fields: for a log pipeline.
    Json,
}

#[derive(Clone, Parser)]
#[command(
    name = "floodgate",
    version,
    about = "A fair virtual waiting room and seat checkout for flash sales."
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "FLOODGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the embedded SQLite database and the generated signing key.
    #[arg(long, env = "FLOODGATE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// PostgreSQL (postgres://…) or SQLite (sqlite://…) URL; default: SQLite in the data dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis URL (redis://host:port), or a Redis Cluster's seed nodes
    /// (redis+cluster://host:port,host:port,...; credentials before the first host apply
    /// to all); default: the in-memory store (one process only).
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key (several deployments can share one Redis).
    #[arg(long, env = "FLOODGATE_REDIS_PREFIX", default_value = "fg")]
    pub redis_prefix: String,

    #[arg(long, env = "FLOODGATE_ROLE", value_enum, default_value = "all")]
    pub role: Role,

    /// Ed25519 PKCS#8 PEM that signs tokens; default: generated once in the data dir.
    /// Every replica of a deployment must use the same key.
    #[arg(long, env = "FLOODGATE_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// Verify-only keys, for rotating the signing key: comma-separated Ed25519 PKCS#8
    /// PEM files or directories (every `*.pem` in them, e.g. a mounted Kubernetes
    /// Secret). Tokens signed by any of them are still accepted, and all are in the
    /// JWKS; only FLOODGATE_SIGNING_KEY signs. See "Rotating the signing key".
    #[arg(long, env = "FLOODGATE_VERIFY_KEYS", value_delimiter = ',')]
    pub verify_keys: Vec<PathBuf>,

    /// Bootstrap admin account, created (or promoted) at start.
    #[arg(long, env = "FLOODGATE_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    #[arg(long, env = "FLOODGATE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Create a demo event that opens a minute after start.
    #[arg(long)]
    pub demo: bool,

    /// Session token lifetime, seconds.
    #[arg(long, env = "FLOODGATE_SESSION_TTL_SECS", default_value_t = 24 * 3600)]
    pub session_ttl_secs: u64,

    /// Session token lifetime of admin accounts, seconds (shorter than fans').
    #[arg(long, env = "FLOODGATE_ADMIN_SESSION_TTL_SECS", default_value_t = 8 * 3600)]
    pub admin_session_ttl_secs: u64,

    /// Seconds a ticket keeps its place with no socket open.
    #[arg(long, env = "FLOODGATE_RECONNECT_GRACE_SECS", default_value_t = 60)]
    pub reconnect_grace_secs: u64,

    /// Per-IP limit on register/login requests per second (burst 4× this).
    #[arg(long, env = "FLOODGATE_AUTH_RATE_PER_SEC", default_value_t = 5)]
    pub auth_rate_per_sec: u32,

    /// Per-IP limit on queue socket connections per second (burst 4× this).
    #[arg(long, env = "FLOODGATE_JOIN_RATE_PER_SEC", default_value_t = 10)]
    pub join_rate_per_sec: u32,

    /// Proxies in front of floodgate that append the client's address to
    /// X-Forwarded-For; the client is that many entries from the right. 0: the peer.
    #[arg(long, env = "FLOODGATE_TRUSTED_PROXY_HOPS", default_value_t = 0)]
    pub trusted_proxy_hops: usize,

    /// Most queue sockets this process holds at once; beyond, upgrades get 503.
    #[arg(long, env = "FLOODGATE_MAX_SOCKETS", default_value_t = 50_000)]
    pub max_sockets: usize,

    /// Most sockets (queue, seat and stats together) one client address holds at once;
    /// beyond, upgrades get 429 `rate_limited`. Behind proxies, set
    /// FLOODGATE_TRUSTED_PROXY_HOPS so the client, not the proxy, is counted.
    #[arg(long, env = "FLOODGATE_MAX_SOCKETS_PER_IP", default_value_t = 200)]
    pub max_sockets_per_ip: usize,

    /// Back-pressure: while the store takes longer than this on average (ms) to answer
    /// new fans' joins, new queue sockets and HTTP joins get 503 `overloaded` with
    /// `Retry-After`, and fans already in line are served as before. 0 never sheds.
    #[arg(long, env = "FLOODGATE_SHED_LATENCY_MS", default_value_t = 5_000)]
    pub shed_latency_ms: u64,

    /// Most places (waiting, pre-queued, or shopping while admitted) one client
    /// address holds in one event, counted in the store across every replica; an
    /// IPv6 address counts by its /64. Beyond, a join gets 429 `too_many_places`.
    /// 0: no cap. Fans behind one carrier NAT share an address (docs/OPERATIONS.md).
    #[arg(long, env = "FLOODGATE_MAX_PLACES_PER_IP", default_value_t = 200)]
    pub max_places_per_ip: u32,

    /// Per-account limit on `queue/me` and `queue/leave` requests per second (burst
    /// 4× this); the fan page polls every 3 s. Beyond, 429 `rate_limited`.
    #[arg(long, env = "FLOODGATE_POLL_RATE_PER_SEC", default_value_t = 2)]
    pub poll_rate_per_sec: u32,

    /// Per-address limit on the same requests (burst 4×); IPv6 counts by its /64.
    #[arg(long, env = "FLOODGATE_POLL_IP_RATE_PER_SEC", default_value_t = 100)]
    pub poll_ip_rate_per_sec: u32,

    /// Bearer token that reads `/metrics` (`Authorization: Bearer <token>`). Unset,
    /// `/metrics` answers 404 to everyone: the figures are not public.
    #[arg(long, env = "FLOODGATE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Seconds a socket may take to take in one message (or one frame of a seat
    /// snapshot), and to answer a ping on the seat stream; a slower one is closed
    /// with 1013 ("try again later") and resyncs from a fresh snapshot on reconnect.
    #[arg(long, env = "FLOODGATE_SLOW_SOCKET_SECS", default_value_t = 10)]
    pub slow_socket_secs: u64,

    /// Per-IP limit on `GET …/seats` (the seat map) per second (burst 4× this).
    #[arg(long, env = "FLOODGATE_SEAT_MAP_RATE_PER_SEC", default_value_t = 5)]
    pub seat_map_rate_per_sec: u32,

    /// Most HTTP connections (WebSockets included) one peer address holds at once;
    /// beyond, a new one gets 429 and is closed. 0: no cap. Default: the socket cap
    /// plus 64, or no cap when FLOODGATE_TRUSTED_PROXY_HOPS is set (the peer is then
    /// the proxy: cap connections per client there).
    #[arg(long, env = "FLOODGATE_MAX_CONNECTIONS_PER_IP")]
    pub max_connections_per_ip: Option<usize>,

    /// Seconds a write to a client may make no progress before its connection is cut
    /// (any HTTP answer; at least the slow-socket time + 3, so a slow WebSocket is
    /// closed with 1013 first).
    #[arg(long, env = "FLOODGATE_HTTP_WRITE_TIMEOUT_SECS", default_value_t = 20)]
    pub http_write_timeout_secs: u64,

    /// Argon2id memory cost in KiB (OWASP's minimum is 19456).
    #[arg(long, env = "FLOODGATE_ARGON2_MEMORY_KIB", default_value_t = 19_456)]
    pub argon2_memory_kib: u32,

    /// Threads that run argon2 (the most password checks at once; each holds the
    /// memory cost above while the process lives). Default: the number of cores.
    #[arg(long, env = "FLOODGATE_ARGON2_THREADS")]
    pub argon2_threads: Option<usize>,

    /// Password checks that may wait for an argon2 thread; beyond, sign-ups and
    /// logins get 503 `overloaded` with `Retry-After`. Default: 8 per thread.
    #[arg(long, env = "FLOODGATE_ARGON2_QUEUE")]
    pub argon2_queue: Option<usize>,

    /// Password checks one client address (IPv6: one /64) may have waiting or running
    /// at once; beyond, 429 `rate_limited`.
    #[arg(long, env = "FLOODGATE_ARGON2_PER_IP", default_value_t = 4)]
    pub argon2_per_ip: usize,

    /// Sign-ups (`POST /auth/register`) per client address (IPv6: per /64) per
    /// minute; beyond, 429 `rate_limited` with `Retry-After`.
    #[arg(long, env = "FLOODGATE_SIGNUP_PER_MINUTE", default_value_t = 5)]
    pub signup_per_minute: u32,

    /// Sign-ups one address may make at once before FLOODGATE_SIGNUP_PER_MINUTE paces it.
    #[arg(long, env = "FLOODGATE_SIGNUP_BURST", default_value_t = 3)]
    pub signup_burst: u32,

    /// Serve the web pages from this folder (a `web/` build) instead of the copy
    /// embedded in the binary; for working on the pages.
    #[arg(long, env = "FLOODGATE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    /// The site is served over HTTPS (a TLS proxy in front): the session cookie is
    /// `__Host-floodgate_session` with `Secure`, a cookie request's `Origin` must be
    /// `https://…`, and HSTS is sent. Without it, HTTPS is known only from a trusted
    /// proxy's `X-Forwarded-Proto` (FLOODGATE_TRUSTED_PROXY_HOPS > 0).
    #[arg(long, env = "FLOODGATE_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Seconds a request (reading its body included) may take before 408 `timeout`.
    #[arg(long, env = "FLOODGATE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Log lines as `text` or `json` (one object per line, spans included). The
    /// filter is RUST_LOG's (default `info`).
    #[arg(long, env = "FLOODGATE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Seconds between SIGTERM and the start of the drain: `/readyz` answers 503 at
    /// once, but everything is served as before, so load balancers take this replica
    /// out before its sockets close. SIGINT (Ctrl-C) skips it. Counted within
    /// FLOODGATE_SHUTDOWN_GRACE_SECS (and cut to it).
    #[arg(long, env = "FLOODGATE_SHUTDOWN_DELAY_SECS", default_value_t = 5)]
    pub shutdown_delay_secs: u64,

    /// Seconds from SIGTERM to exit, the delay above included: after the delay,
    /// sockets close with 1012 and in-flight requests finish; what is still open at
    /// the deadline is closed. Kubernetes' `terminationGracePeriodSeconds` should be
    /// above this (plus any preStop).
    #[arg(long, env = "FLOODGATE_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// Seconds after an event's show time (`show_at`) when its sale closes by itself
    /// (0: at the show time). Events without a show time never close by themselves.
    #[arg(long, env = "FLOODGATE_CLOSE_AFTER_SHOW_SECS", default_value_t = 24 * 3600)]
    pub close_after_show_secs: u64,

    /// Hold attempts (`POST /events/{id}/holds`, refused ones included) per account per
    /// minute; beyond, 429 `rate_limited` with `Retry-After`. 0 turns the limit off.
    #[arg(long, env = "FLOODGATE_HOLD_ATTEMPTS_PER_MINUTE", default_value_t = 30)]
    pub hold_attempts_per_minute: u32,

    /// Hold attempts one account may make at once before
    /// FLOODGATE_HOLD_ATTEMPTS_PER_MINUTE paces it.
    #[arg(long, env = "FLOODGATE_HOLD_ATTEMPTS_BURST", default_value_t = 10)]
    pub hold_attempts_burst: u32,

    /// Wrong presale codes one account may try in FLOODGATE_PRESALE_GUESS_WINDOW_SECS
    /// (every replica together); beyond, 429 `too_many_code_attempts`. 0: no limit.
    #[arg(
        long,
        env = "FLOODGATE_PRESALE_GUESSES_PER_ACCOUNT",
        default_value_t = 10
    )]
    pub presale_guesses_per_account: u32,
    /// Wrong presale codes one client address (IPv4, or an IPv6 /64) may try in the
    /// window, every account together. 0: no limit.
    #[arg(long, env = "FLOODGATE_PRESALE_GUESSES_PER_IP", default_value_t = 30)]
    pub presale_guesses_per_ip: u32,
    /// The window the presale guess limits count in, in seconds.
    #[arg(long, env = "FLOODGATE_PRESALE_GUESS_WINDOW_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub presale_guess_window_secs: u64,
    /// Proof of work on join for new events that do not say (leading zero bits of
    /// SHA-256, 0..=28; 0: none). 14 costs a phone about half a second (OPERATIONS.md).
    #[arg(long, env = "FLOODGATE_POW_DEFAULT_DIFFICULTY", default_value_t = 14,
          value_parser = clap::value_parser!(u8).range(0..=28))]
    pub pow_default_difficulty: u8,
    /// How long a proof-of-work challenge may be solved and used, seconds.
    #[arg(long, env = "FLOODGATE_POW_CHALLENGE_TTL_SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(10..=3600))]
    pub pow_challenge_ttl_secs: u64,
    /// Joins per second (per event, on this replica) above which its proof of work
    /// gets harder: +2 bits per busy interval, -1 per calm one; 0: never adapts.
    #[arg(
        long,
        env = "FLOODGATE_POW_BURST_JOINS_PER_SEC",
        default_value_t = 1000
    )]
    pub pow_burst_joins_per_sec: u32,
    /// The interval the join rate is measured over, seconds.
    #[arg(long, env = "FLOODGATE_POW_INTERVAL_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub pow_interval_secs: u64,
    /// The most bits load may add to an event's own difficulty (never above 28).
    #[arg(long, env = "FLOODGATE_POW_MAX_EXTRA_BITS", default_value_t = 6)]
    pub pow_max_extra_bits: u8,

    /// Let webhook deliveries go to loopback, link-local and private addresses (for
    /// tests and private networks); by default they are refused at registration and
    /// at delivery (docs/SECURITY.md).
    #[arg(long, env = "FLOODGATE_WEBHOOK_ALLOW_PRIVATE",
          value_parser = clap::builder::BoolishValueParser::new(),
          action = clap::ArgAction::SetTrue)]
    pub webhook_allow_private: bool,
    /// The wait before a failed webhook delivery's first retry, milliseconds; each next
    /// one doubles (with up to 25 % jitter), up to an hour, for a day.
    #[arg(long, env = "FLOODGATE_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_retry_base_ms: u64,
    /// One webhook delivery attempt's time limit (connect and answer), seconds.
    #[arg(long, env = "FLOODGATE_WEBHOOK_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=120))]
    pub webhook_timeout_secs: u64,

    /// How often autotune looks at the checkout and may change an event's rate
    /// (every replica publishes its figures this often; one of them decides), ms.
    #[arg(long, env = "FLOODGATE_AUTOTUNE_INTERVAL_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(50..=600_000))]
    pub autotune_interval_ms: u64,
    /// The recent window autotune judges the checkout's p99 and error rate over, ms.
    #[arg(long, env = "FLOODGATE_AUTOTUNE_WINDOW_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub autotune_window_ms: u64,
    /// Faults for tests (`db_write_delay_ms=300`): see `server/src/test_faults.rs`.
    /// Refused by a release build unless FLOODGATE_TEST_FAULTS_IN_RELEASE=1.
    #[arg(long, env = "FLOODGATE_TEST_FAULTS")]
    pub test_faults: Option<String>,
    /// Lets a release build run with FLOODGATE_TEST_FAULTS.
    #[arg(long, env = "FLOODGATE_TEST_FAULTS_IN_RELEASE")]
    pub test_faults_in_release: bool,

    /// The shops this Floodgate is the line in front of (docs/OPERATIONS.md, "Putting
    /// Floodgate in front of another shop"): comma-separated origins,
    /// `scheme://host[:port]`. An admitted visitor is sent back with the purchase token
    /// only to a `?return_to=` URL on one of them; any other is refused. Empty: none.
    #[arg(long, env = "FLOODGATE_GATE_ORIGINS", default_value = "")]
    pub gate_origins: crate::gate::GateOrigins,
}

impl Config {
    /// The argon2 pool's size (see [`crate::argon_pool`]).
    pub fn argon2_pool(&self) -> crate::argon_pool::PoolSize {
        let threads = self.argon2_threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        });
        crate::argon_pool::PoolSize {
            threads,
            queue: self.argon2_queue.unwrap_or(8 * threads),
            per_client: self.argon2_per_ip,
        }
    }

    /// Defaults for tests and embedding: loopback on a random port, no secrets.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        let mut c = Self::parse_from(["floodgate"]);
        c.listen = "127.0.0.1:0".parse().expect("valid address");
        c.data_dir = data_dir;
        c.database_url = None;
        c.redis_url = None;
        c.signing_key = None;
        c.verify_keys = Vec::new();
        c.admin_email = None;
        c.admin_password = None;
        c.web_dir = None;
        c.metrics_token = None;
        c.shutdown_delay_secs = 0;
        // Tests ask for proof of work where they test it.
        c.pow_default_difficulty = 0;
        c
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("role", &self.role)
            .field("signing_key", &self.signing_key)
            .field("verify_keys", &self.verify_keys)
            .field("admin_email", &self.admin_email)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<redacted>"),
            )
            .field("demo", &self.demo)
            .field("shutdown_delay_secs", &self.shutdown_delay_secs)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("test_faults", &self.test_faults)
            .finish_non_exhaustive()
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_url("postgres://fg:hunter2@db/fg"),
            "postgres://fg:***@db/fg"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(
            redact_url("redis+cluster://fg:hunter2@r0:6379,r1:6379"),
            "redis+cluster://fg:***@r0:6379,r1:6379"
        );
        let mut c = Config::for_tests("/tmp".into());
        c.admin_password = Some("hunter2".into());
        c.metrics_token = Some("scrape-secret".into());
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{c:?}").contains("scrape-secret"));
    }

    #[test]
    fn verify_keys_are_a_comma_separated_list() {
        let c = Config::parse_from(["floodgate", "--verify-keys", "/keys/a.pem,/keys"]);
        assert_eq!(
            c.verify_keys,
            [PathBuf::from("/keys/a.pem"), PathBuf::from("/keys")]
        );
        assert!(Config::parse_from(["floodgate"]).verify_keys.is_empty());
    }
}
