//! The application state handed to every handler: a cheap clone of an `Arc`.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use waiting_room::clock::Clock;
use waiting_room::hub::Hub;
use waiting_room::room::Room;
use waiting_room::seats::store::SeatCounts;
use waiting_room::store::StoreError;
use waiting_room::token::SigningKeys;
use waiting_room::{EventId, UserId};

use crate::auth::Passwords;
use crate::checkout::holds::HoldService;
use crate::checkout::Checkout;
use crate::config::Config;
use crate::config::Role;
use crate::db::{Actor, AuditAction, Db, NewAudit};
use crate::event::{Event, InvalidEvent, NewEvent};
use crate::limits::{AccountLimiter, IpLimiter, SocketGate};
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// Why an event could not be looked up, created or started. The routes map it to
/// the API's errors (`crate::routes::domain_errors`).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("event not found")]
    UnknownEvent,
    #[error(transparent)]
    InvalidEvent(#[from] InvalidEvent),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("summarising the event for the audit log: {0}")]
    AuditSummary(#[from] serde_json::Error),
    #[error("the event-writing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("this sale is closed already")]
    AlreadyClosed,
}

pub struct Shared {
    pub config: Config,
    pub db: Db,
    pub hub: Hub,
    pub checkout: Checkout,
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
    /// The sessions ended by sign-out, a password change or "sign out everywhere".
    pub revocations: Arc<crate::revocations::Revocations>,
    /// Events by id, refreshed from the database every few seconds and on every admin
    /// change. A `std` RwLock: read on every socket connect, never held across `.await`.
    pub events: RwLock<HashMap<EventId, Event>>,
    /// The last 15 minutes of each open event's stats, for the admin console's charts.
    pub history: crate::stats::History,
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
        }
    }

    /// An event by id: from the cache, else from the database.
    pub async fn event(&self, id: EventId) -> Result<Event, StateError> {
        if let Some(e) = self
            .events
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(e.clone());
        }
        let event = self.db.event(id).await?.ok_or(StateError::UnknownEvent)?;
        self.cache_event(event.clone());
        Ok(event)
    }

    /// The events known here that are not closed (from the cached list; no I/O).
    pub fn open_event_ids(&self) -> Vec<EventId> {
        self.events
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|e| !e.closed)
            .map(|e| e.id)
            .collect()
    }

    pub fn cache_event(&self, event: Event) {
        self.events
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event.id, event);
    }

    /// Validates and stores a new event (with an audit entry naming `actor`, if
    /// given), seeds its queue in the store and starts its room here (queue tier). The
    /// one path for admin-created and demo events.
    pub async fn create_event(
        &self,
        mut request: NewEvent,
        actor: Option<&Actor>,
    ) -> Result<Event, StateError> {
        request
            .pow_difficulty
            .get_or_insert(u32::from(self.config.pow_default_difficulty));
        let grace = u32::try_from(self.config.reconnect_grace_secs).unwrap_or(u32::MAX);
        let event = request.into_event(grace)?;
        let now = self.clock().now_ms();
        let summary = event.audit_summary()?;
        // Its own task: a big venue's seat rows take a while, and a request that times
        // out or is dropped must not stop the writing halfway (the event would stay
        // invisible, `preparing`, for good).
        let (db, stored, actor) = (self.db.clone(), event.clone(), actor.cloned());
        tokio::spawn(async move {
            let audit = actor.as_ref().map(|actor| NewAudit {
                at_ms: now,
                actor,
                event: stored.id,
                action: AuditAction::EventCreated,
                before: None,
                after: Some(summary),
            });
            db.insert_event(&stored, now, audit.as_ref()).await
        })
        .await??;
        // All or nothing: an event the stores refused is deleted again, so the 500
        // leaves no row behind for the list and the rooms to stumble on. (Rooms
        // already started for it here or elsewhere stop at their next refresh, when
        // the event is no longer in the database.)
        if let Err(error) = self.start_event(&event).await {
            if let Err(cleanup) = self.db.delete_event(event.id).await {
                tracing::error!(error = %cleanup, event_id = %event.id, "could not delete an event whose creation failed");
            }
            return Err(error);
        }
        tracing::info!(event_id = %event.id, name = %event.name, capacity = event.capacity(), "event created");
        self.cache_event(event.clone());
        Ok(event)
    }

    /// Seeds a new event's queue in the store and starts its rooms here.
    async fn start_event(&self, event: &Event) -> Result<(), StateError> {
        self.hub
            .store()
            .configure(event.id, &event.queue_config(), false)
            .await?;
        if self.config.role != Role::Checkout {
            self.room(event).await?;
        }
        if self.config.role != Role::Queue {
            self.checkout.room(event).await?;
        }
        Ok(())
    }

    /// The admin `user` as the audit log names them (email looked up now).
    pub async fn actor(&self, user: UserId) -> Result<Actor, sqlx::Error> {
        let email = self.db.user_by_id(user).await?.map(|u| u.email);
        Ok(Actor { id: user, email })
    }

    /// Seat counts from the store (`None` if the store has no seats for the event yet).
    pub async fn seat_counts(&self, event: EventId) -> Result<Option<SeatCounts>, StoreError> {
        match self.checkout.seats().seat_counts(event).await {
            Ok(c) => Ok(Some(c)),
            Err(StoreError::UnknownEvent) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The event's room on this replica, started if needed.
    pub async fn room(&self, event: &Event) -> Result<Arc<Room>, StoreError> {
        if let Some(room) = self.hub.room(event.id) {
            return Ok(room);
        }
        self.hub
            .ensure(event.room_info(), &event.queue_config())
            .await
    }

    /// Re-reads the events not closed and brings the rooms in line (the poller calls
    /// this): the sales closed since the last refresh (rooms still running here, no
    /// longer listed) are wound down here ([`AppState::wind_down`]: fans told
    /// `closed`, rooms stopped, holds released). Closed events are not read: a
    /// thousand past sales cost the refresh nothing (BENCHMARKS.md); the cache drops
    /// what it held of them as open, and [`Self::event`] reads them again on demand.
    ///
    /// The rooms running *before* the read are the only ones it may stop: a sale
    /// created while the read is under way has its rooms started after it, is not in
    /// the list, and is not closed (stopping it told its fans `closed`).
    pub async fn refresh_events(&self) -> anyhow::Result<()> {
        let mut known: std::collections::HashSet<EventId> =
            self.hub.running_events().into_iter().collect();
        known.extend(self.checkout.running_events());
        let open = self.db.open_events().await?;
        let listed: std::collections::HashSet<EventId> = open.iter().map(|e| e.id).collect();
        let mut gone: Vec<EventId> = known.difference(&listed).copied().collect();
        gone.sort_unstable();
        {
            let mut cache = self.events.write().unwrap_or_else(|e| e.into_inner());
            cache.retain(|id, e| e.closed || listed.contains(id));
            cache.extend(open.iter().map(|e| (e.id, e.clone())));
        }
        for id in gone {
            self.wind_down(id).await;
        }
        if self.config.role != Role::Checkout {
            let rooms: Vec<_> = open
                .iter()
                .map(|e| (e.room_info(), e.queue_config()))
                .collect();
            self.hub.sync_events(&rooms, &known).await?;
        }
        if self.config.role != Role::Queue {
            self.checkout.sync_events(&open, &known).await?;
        }
        Ok(())
    }
}
