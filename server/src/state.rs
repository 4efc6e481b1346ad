//! The application state handed to every handler: a cheap clone of an `Arc` holding
//! the services (events, stats, checkout, the rooms) and the shared handles
//! (configuration, database, limiters, metrics, shutdown tokens). The work is the
//! services'; the state only hands them out.

use std::ops::Deref;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use waiting_room::clock::Clock;
use waiting_room::hub::Hub;
use waiting_room::token::SigningKeys;

use crate::auth::Passwords;
use crate::checkout::holds::HoldService;
use crate::checkout::Checkout;
use crate::config::Config;
use crate::db::Db;
use crate::events::Events;
use crate::limits::{AccountLimiter, IpLimiter, SocketGate};
use crate::metrics::Metrics;
use crate::stats::StatsService;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Config,
    pub db: Db,
    pub hub: Arc<Hub>,
    pub checkout: Arc<Checkout>,
    /// Creating, starting, looking up, refreshing and closing events.
    pub events: Arc<Events>,
    /// The stats API's figures and this replica's history of them.
    pub stats: Arc<StatsService>,
    pub keys: SigningKeys,
    pub passwords: Passwords,
    pub auth_limit: IpLimiter,
    /// Sign-ups per client address (IPv6: per /64), on top of `auth_limit`.
    pub signup_limit: IpLimiter,
    pub join_limit: IpLimiter,
    /// `queue/me` and `queue/leave`, per address (an IPv6 /64) and per account.
    pub poll_limit: IpLimiter,
    pub poll_account_limit: AccountLimiter,
    /// `GET …/seats` per client address (`FLOODGATE_SEAT_MAP_RATE_PER_SEC`).
    pub seat_map_limit: IpLimiter,
    /// Hold attempts per account (`FLOODGATE_HOLD_ATTEMPTS_PER_MINUTE`; `None`: off).
    pub hold_limit: Option<AccountLimiter>,
    pub sockets: SocketGate,
    /// Proof of work on join: the difficulty in force per event, the challenges.
    pub pow: crate::proof_of_work::PowGuard,
    /// How quickly the store answers new fans: back-pressure on new sockets and joins.
    pub store_load: Arc<crate::backpressure::StoreLoad>,
    pub metrics: Arc<Metrics>,
    /// Webhook endpoints, the outbox's writer and the delivery worker's wake-up.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// The sessions ended by sign-out, a password change or "sign out everywhere".
    pub revocations: Arc<crate::revocations::Revocations>,
    /// Upgraded WebSocket sessions, which axum's graceful shutdown does not wait for.
    pub sessions: TaskTracker,
    /// Cancelled at the shutdown signal: `/readyz` answers 503 from then on, while
    /// everything else is served as before until [`Shared::shutdown`].
    pub draining: CancellationToken,
    /// Cancelled when the drain starts (after `FLOODGATE_SHUTDOWN_DELAY_SECS`): the
    /// sockets close with 1012 and no new connection is accepted.
    pub shutdown: CancellationToken,
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// How long a socket may take to take in one message (`FLOODGATE_SLOW_SOCKET_SECS`).
    pub fn slow_socket(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.config.slow_socket_secs.max(1))
    }

    /// A session's lifetime for an admin or a fan account, seconds.
    pub fn session_ttl_secs(&self, admin: bool) -> i64 {
        let ttl = if admin {
            self.config.admin_session_ttl_secs
        } else {
            self.config.session_ttl_secs
        };
        i64::try_from(ttl).unwrap_or(i64::MAX / 2_000)
    }

    /// When every session signed now will have expired, Unix ms: how long a
    /// revocation of them all must be kept.
    pub fn sessions_signed_now_expire_ms(&self) -> i64 {
        let longest = self
            .session_ttl_secs(true)
            .max(self.session_ttl_secs(false));
        self.clock()
            .now_ms()
            .saturating_add(longest.saturating_mul(1000))
    }

    /// The server's clock (the one the rooms read).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.hub.clock()
    }

    /// The hold / confirm / release service over this replica's checkout.
    pub fn holds(&self) -> HoldService<'_> {
        HoldService {
            checkout: &self.checkout,
            db: &self.db,
            queue: self.hub.store().as_ref(),
            clock: self.clock().as_ref(),
            webhooks: Some(&self.webhooks),
        }
    }

    /// The admins' held-back seats over this replica's checkout.
    pub fn held_back(&self) -> crate::checkout::held_back::HeldBackService<'_> {
        crate::checkout::held_back::HeldBackService {
            checkout: &self.checkout,
            db: &self.db,
            clock: self.clock().as_ref(),
        }
    }

    /// The refund service over this replica's checkout.
    pub fn refunds(&self) -> crate::checkout::refunds::RefundService<'_> {
        crate::checkout::refunds::RefundService {
            checkout: &self.checkout,
            db: &self.db,
            clock: self.clock().as_ref(),
            webhooks: Some(&self.webhooks),
        }
    }
}
