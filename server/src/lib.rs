//! floodgate, the server: HTTP + WebSocket API over the waiting-room domain.
//!
//! [`Application::build`] wires configuration to a bound listener and the shared
//! state; [`Application::run_until_stopped`] serves until the shutdown future
//! resolves, then closes every queue socket with a reason and drains them with a
//! deadline (axum does not wait for upgraded WebSockets).

pub mod argon_pool;
pub mod auth;
pub mod backpressure;
pub mod bound_token;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod contract_errors;
pub mod cookie;
pub mod db;
pub mod draw;
pub mod email;
pub mod error;
pub mod event;
pub mod event_edit;
pub mod events;
pub mod export;
pub mod extract;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod observe;
pub mod password_rules;
pub mod proof_of_work;
pub mod queue_session;
pub mod raw_ws;
pub mod report;
pub mod revocations;
pub mod routes;
pub mod security_headers;
pub mod slow_socket;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod verify_shuffle;
pub mod ws;

mod bootstrap;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use waiting_room::clock::SystemClock;
use waiting_room::hub::Hub;
use waiting_room::room::Cadence;
use waiting_room::seats::redis::RedisSeatStore;
use waiting_room::seats::{MemorySeatStore, SeatStore};
use waiting_room::store::memory::MemoryStore;
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::token::SigningKeys;

use crate::checkout::Checkout;
use crate::config::Config;
use crate::db::Db;
use crate::state::{AppState, Shared};

/// How often each replica re-reads the events table.
const EVENT_REFRESH: Duration = Duration::from_secs(2);

/// The shared state an application runs on: the queue store and the seat store.
pub struct Stores {
    pub queue: Arc<dyn QueueStore>,
    pub seats: Arc<dyn SeatStore>,
}

/// A built, bound, not yet serving application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    demo: Option<bootstrap::Demo>,
}

impl Application {
    /// Opens the database (running migrations), the store and the signing key, binds
    /// the listener and bootstraps the admin (and the demo event, if asked).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_stores(config, |stores| stores).await
    }

    /// [`Application::build`], with the stores the configuration names passed
    /// through `wrap` first: tests wrap them in decorators that count or fail.
    pub async fn build_with_stores(
        config: Config,
        wrap: impl FnOnce(Stores) -> Stores,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        let db_url = config
            .database_url
            .clone()
            .unwrap_or_else(|| Db::sqlite_url(&config.data_dir));
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let db = Db::connect(&db_url).await?;
        db.observe_with(Arc::clone(&metrics.db));
        let (store, seats): (Arc<dyn QueueStore>, Arc<dyn SeatStore>) = match &config.redis_url {
            Some(url) => {
                let queue = RedisStore::connect(url, &config.redis_prefix)
                    .await
                    .context("connecting to Redis")?;
                let seats = RedisSeatStore::sharing(&queue)
                    .await
                    .context("loading the seat scripts")?;
                (Arc::new(queue), Arc::new(seats))
            }
            None => (
                Arc::new(MemoryStore::default()),
                Arc::new(MemorySeatStore::default()),
            ),
        };
        let Stores {
            queue: store,
            seats,
        } = wrap(Stores {
            queue: store,
            seats,
        });
        // Timed outside any test decorator, so the failures it injects are counted.
        let store_load = Arc::new(backpressure::StoreLoad::new(Duration::from_millis(
            config.shed_latency_ms,
        )));
        let (store, seats) =
            observe::store::observed(store, seats, &metrics, Arc::clone(&store_load));
        let keys = match &config.signing_key {
            Some(path) => SigningKeys::load_or_create(path, false)?,
            None => SigningKeys::load_or_create(&config.data_dir.join("signing-key.pem"), true)?,
        }
        .with_verify_only(SigningKeys::load_verify_only(&config.verify_keys)?);
        tracing::info!(
            signing = keys.kid(),
            verify_only = ?keys.verify_only_kids().collect::<Vec<_>>(),
            "token keys"
        );
        let checkout = Arc::new(Checkout::new(Arc::clone(&seats), db.clone()));
        let hub = Hub::new(
            store,
            Some(seats),
            keys.clone(),
            Arc::new(SystemClock),
            Cadence::default(),
        );
        let hub = Arc::new(hub.with_step_hook({
            let metrics = Arc::clone(&metrics);
            Arc::new(move |_event, took, ok| {
                metrics.admission_step.observe(took);
                if !ok {
                    crate::metrics::Metrics::inc(&metrics.admission_step_errors);
                }
            })
        }));
        let events = Arc::new(events::Events::new(
            &config,
            db.clone(),
            Arc::clone(&hub),
            Arc::clone(&checkout),
        ));
        let stats = Arc::new(stats::StatsService::new(
            Arc::clone(&events),
            Arc::clone(&hub),
            Arc::clone(&checkout),
            db.clone(),
        ));
        let passwords = auth::Passwords::new(config.argon2_memory_kib, config.argon2_pool())?;
        // Made now, so that no login pays for it (see `Passwords::dummy_hash`).
        passwords.dummy_hash().await?;
        // The revocations known so far, before the first session is served.
        let revocations = Arc::new(revocations::Revocations::default());
        revocations
            .refresh(&db, waiting_room::clock::now_ms())
            .await
            .context("reading session revocations")?;
        let listener = bind(config.listen).with_context(|| format!("binding {}", config.listen))?;
        let state = AppState::new(Shared {
            revocations,
            passwords,
            auth_limit: limits::IpLimiter::new(config.auth_rate_per_sec),
            signup_limit: limits::IpLimiter::per_minute(
                config.signup_per_minute,
                config.signup_burst,
            ),
            join_limit: limits::IpLimiter::new(config.join_rate_per_sec),
            poll_limit: limits::IpLimiter::new(config.poll_ip_rate_per_sec),
            poll_account_limit: limits::AccountLimiter::new(config.poll_rate_per_sec),
            seat_map_limit: limits::IpLimiter::new(config.seat_map_rate_per_sec),
            hold_limit: (config.hold_attempts_per_minute > 0).then(|| {
                limits::AccountLimiter::per_minute(
                    config.hold_attempts_per_minute,
                    config.hold_attempts_burst,
                )
            }),
            sockets: limits::SocketGate::new(config.max_sockets, config.max_sockets_per_ip),
            pow: proof_of_work::PowGuard::new(&config),
            store_load,
            metrics,
            events,
            stats,
            sessions: TaskTracker::new(),
            draining: CancellationToken::new(),
            shutdown: CancellationToken::new(),
            config,
            db,
            hub,
            checkout,
            keys,
        });
        let demo = bootstrap::run(&state).await?;
        Ok(Self {
            listener,
            state,
            demo,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// With `--demo`: what to print once bound (see [`bootstrap::banner`]).
    pub fn demo_banner(&self) -> Option<String> {
        let addr = self.listener.local_addr().ok()?;
        Some(bootstrap::banner(addr, self.demo.as_ref()?))
    }

    /// Serves until `shutdown` resolves, then drains (see
    /// [`Application::run_until_signalled`]; here nothing cuts the delay short).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.run_until_signalled(shutdown, std::future::pending())
            .await
    }

    /// Serves until `shutdown` resolves, then stops in the order a load balancer
    /// expects, all within `FLOODGATE_SHUTDOWN_GRACE_SECS` of the signal:
    ///
    /// 1. `/readyz` answers 503 at once, while everything else is served as before
    ///    for `FLOODGATE_SHUTDOWN_DELAY_SECS` (cut short when `hurry` resolves), so
    ///    balancers take this replica out before anything closes;
    /// 2. the drain: every socket is closed with 1012 and a reason (fans reconnect,
    ///    to another replica, and keep their place), the listener stops accepting,
    ///    and the requests in flight (holds, confirms) finish;
    /// 3. the background loops and the rooms stop.
    ///
    /// Requests and sockets still open at the deadline are left to close with the
    /// process.
    pub async fn run_until_signalled(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        hurry: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use std::future::IntoFuture;
        use tokio::time::Instant;

        let Self {
            listener, state, ..
        } = self;
        let background = spawn_background(&state);
        let app = app(state.clone());
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let delay = Duration::from_secs(state.config.shutdown_delay_secs).min(grace);
        let (signalled, mut deadline_rx) = tokio::sync::oneshot::channel::<Instant>();
        let signal = {
            let state = state.clone();
            async move {
                shutdown.await;
                let _ = signalled.send(Instant::now() + grace);
                state.draining.cancel();
                tracing::info!(
                    delay_secs = delay.as_secs(),
                    grace_secs = grace.as_secs(),
                    "shutting down: /readyz answers 503; draining after the delay"
                );
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = hurry => {}
                }
                tracing::info!("draining: closing sockets (1012), finishing requests in flight");
                state.shutdown.cancel();
            }
        };
        tracing::info!(addr = %listener.local_addr()?, role = ?state.config.role, "floodgate listening");
        let listener = listener::GuardedListener::new(
            listener,
            listener::connection_cap(&state.config),
            listener::write_timeout(&state.config),
            state.metrics.rate_limited.clone(),
        )
        // A no-op tap: it is what lets axum's `ConnectInfo<SocketAddr>` (which
        // `routes::client` reads) apply to a listener of our own.
        .tap_io(|_| {});
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .into_future();
        tokio::pin!(serve);
        // Serve until the requests in flight at the drain are answered, or until the
        // deadline (known once the signal came).
        let mut deadline: Option<Instant> = None;
        let mut waiting_for_signal = true;
        let served = loop {
            tokio::select! {
                served = &mut serve => break Some(served),
                at = &mut deadline_rx, if waiting_for_signal => {
                    waiting_for_signal = false;
                    deadline = at.ok();
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => break None,
            }
        };
        let deadline = deadline
            .or_else(|| deadline_rx.try_recv().ok())
            .unwrap_or_else(|| Instant::now() + grace);
        match served {
            Some(served) => served.context("serving")?,
            None => tracing::warn!("requests still in flight at the shutdown deadline"),
        }
        // Sessions saw the cancellation and are closing their sockets; wait for them.
        state.sessions.close();
        if tokio::time::timeout_at(deadline, state.sessions.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = state.sessions.len(),
                "sockets still open at the shutdown deadline"
            );
        }
        background.cancel();
        state.hub.shutdown();
        state.checkout.shutdown();
        tracing::info!("floodgate stopped");
        Ok(())
    }
}

/// Connections the kernel may queue for us before we accept them. A flash sale opens
/// with thousands of fans connecting in the same second; with the usual 1,024 the
/// rest see their SYNs dropped and retry after 1 s, 3 s, 7 s. (The kernel caps it at
/// `net.core.somaxconn`.)
const ACCEPT_BACKLOG: u32 = 16_384;

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// The router with its middleware: header and body size limits, request timeout,
/// every error in the contract's JSON shape, compression (for clients that ask for
/// it), the security headers on every response, and outermost a request id
/// (`x-request-id`: the client's, else a new UUID; echoed on the response) and a
/// tracing span per request (see [`request_span`]).
pub fn app(state: AppState) -> Router {
    use axum::http::{header, HeaderName, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let secure = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    routes::router(state.clone())
        .layer(axum::middleware::from_fn(limits::header_limit))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::map_response(
            contract_errors::contract_errors,
        ))
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(compressible)))
        .layer(secure(
            header::CONTENT_SECURITY_POLICY,
            routes::CONTENT_SECURITY_POLICY,
        ))
        .layer(secure(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(secure(header::REFERRER_POLICY, "same-origin"))
        .layer(secure(header::X_FRAME_OPTIONS, "DENY"))
        .layer(secure(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(secure(
            HeaderName::from_static("permissions-policy"),
            security_headers::PERMISSIONS_POLICY,
        ))
        .layer(security_headers::RequestHeadersLayer {
            secure_cookies: state.config.secure_cookies,
            trusted_proxy_hops: state.config.trusted_proxy_hops,
        })
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
}

/// Whether the compression layer may compress a response: not one marked
/// [`checkout::seat_map::Uncompressed`] (already gzipped, or too big to compress per
/// request).
fn compressible(
    _: axum::http::StatusCode,
    _: axum::http::Version,
    _: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> bool {
    extensions
        .get::<checkout::seat_map::Uncompressed>()
        .is_none()
}

/// The span of one request: method, path and request id, so what a handler logs can
/// be told apart and matched with the client's `x-request-id`. Only the path: the
/// query may carry a token (`?access_token=` on WebSockets), and no header is
/// recorded (Authorization, Cookie). The span is at INFO so warnings inside carry it;
/// the layer's own events (request started, finished, failed) stay at DEBUG: a
/// server error is logged with its cause where it happens, and a rush's 429s and
/// 503s would flood the log.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| id.len() <= 128)
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}

/// The event poller, the limiter pruner and the stats sampler; cancelled on shutdown.
fn spawn_background(state: &AppState) -> CancellationToken {
    let stop = CancellationToken::new();
    state.stats.spawn_sampler(stop.clone());
    revocations::spawn_poller(
        Arc::clone(&state.revocations),
        state.db.clone(),
        Arc::clone(state.clock()),
        stop.clone(),
    );
    let (s, token) = (state.clone(), stop.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVENT_REFRESH);
        let mut prune = 0u32;
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tick.tick() => {}
            }
            match s.events.close_due().await {
                Ok(0) => {}
                Ok(closed) => tracing::info!(closed, "sales closed after their show"),
                Err(error) => tracing::warn!(%error, "closing sales after their show failed"),
            }
            if let Err(error) = s.events.refresh().await {
                tracing::warn!(error = %format!("{error:#}"), "refreshing events failed");
            }
            prune += 1;
            if prune.is_multiple_of(30) {
                s.auth_limit.prune();
                s.signup_limit.prune();
                s.join_limit.prune();
                s.poll_limit.prune();
                s.poll_account_limit.prune();
                s.seat_map_limit.prune();
                if let Some(l) = &s.hold_limit {
                    l.prune();
                }
            }
        }
    });
    stop
}
