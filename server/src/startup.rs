//! Start-up: [`Application::build`] opens the database (running migrations), the
//! stores and the signing keys, makes the services and the shared state, binds the
//! listener and bootstraps the admin (and the demo event, if asked).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
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
use crate::{
    auth, backpressure, bootstrap, events, limits, observe, proof_of_work, revocations, stats,
};

/// The shared state an application runs on: the queue store and the seat store.
pub struct Stores {
    pub queue: Arc<dyn QueueStore>,
    pub seats: Arc<dyn SeatStore>,
}

/// A built, bound, not yet serving application.
pub struct Application {
    pub(crate) listener: TcpListener,
    pub(crate) state: AppState,
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
        let faults = config
            .test_faults
            .as_deref()
            .map(|spec| crate::test_faults::TestFaults::parse(spec, config.test_faults_in_release))
            .transpose()?
            .map(Arc::new);
        if let Some(faults) = &faults {
            tracing::warn!(?faults, "test faults are on (FLOODGATE_TEST_FAULTS)");
        }
        let db = Db::connect(&db_url).await?.with_test_faults(faults);
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
        tracing::info!(replica = %hub.replica(), "presence replica id");
        let hub = Arc::new(hub.with_step_hook({
            let metrics = Arc::clone(&metrics);
            Arc::new(move |_event, took, ok| {
                metrics.admission_step.observe(took);
                if !ok {
                    crate::metrics::Metrics::inc(&metrics.admission_step_errors);
                }
            })
        }));
        let webhooks = Arc::new(crate::webhooks::Webhooks::new(
            db.clone(),
            Arc::clone(hub.clock()),
            config.webhook_allow_private,
            crate::webhooks::Pacing {
                retry_base: Duration::from_millis(config.webhook_retry_base_ms),
                poll: Duration::from_secs(1),
                timeout: Duration::from_secs(config.webhook_timeout_secs),
            },
        ));
        let events = Arc::new(events::Events::new(
            &config,
            db.clone(),
            Arc::clone(&hub),
            Arc::clone(&checkout),
            Arc::clone(&webhooks),
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
        webhooks
            .reload()
            .await
            .context("reading webhook endpoints")?;
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
            webhooks,
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
