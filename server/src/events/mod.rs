//! The events service: the one place events are created, started, looked up,
//! refreshed from the database, closed and wound down, and where admission changes
//! are published to the store. Handlers and the background loops call it; it answers
//! [`EventError`], which `crate::error::from_domain` maps to the API's errors.
//!
//! Each replica keeps the events not closed in a cache, refreshed every few seconds
//! by the poller ([`Events::refresh`]) and on every admin change made here.

mod admission;
mod closing;
mod presale;
mod staff;
pub use closing::LINE_KEPT_AFTER_CLOSE_MS;
pub use presale::{GuessLimits, PresaleError, Redeemed};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use waiting_room::hub::Hub;
use waiting_room::room::Room;
use waiting_room::store::StoreError;
use waiting_room::EventId;

use crate::checkout::Checkout;
use crate::config::{Config, Role};
use crate::db::{Actor, AuditAction, Db, NewAudit};
use crate::event::{Event, InvalidEvent, NewEvent};
use crate::webhooks::Webhooks;

/// Why an event could not be looked up, created, changed or started. The routes map
/// it to the API's errors (`crate::error::from_domain`).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
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

/// The settings the service reads (a copy of the configuration's, taken at start).
#[derive(Clone, Debug)]
struct Settings {
    role: Role,
    pow_default_difficulty: u8,
    reconnect_grace_secs: u32,
    close_after_show_secs: u64,
}

/// Every event's presale bindings seen by this replica (`presale.rs`): account → the
/// slot of its group's line.
type PresaleCache = HashMap<EventId, HashMap<waiting_room::UserId, u8>>;

/// Every event's staff accounts (staff bypass, `staff.rs`).
type StaffCache = HashMap<EventId, HashSet<waiting_room::UserId>>;

/// The events of this replica: the cache, and the rooms they run in.
pub struct Events {
    db: Db,
    hub: Arc<Hub>,
    checkout: Arc<Checkout>,
    settings: Settings,
    /// Events by id, refreshed from the database every few seconds and on every admin
    /// change. A `std` RwLock: read on every socket connect, never held across `.await`.
    cache: RwLock<HashMap<EventId, Event>>,
    /// Each event's staff accounts (staff bypass), refreshed with `cache`.
    staff: RwLock<StaffCache>,
    /// The presale bindings this replica has seen (`presale.rs`). A `std` RwLock:
    /// read on every join of an event with presale groups, never held across `.await`.
    presale_fans: RwLock<PresaleCache>,
    /// Tells admission mode switches (`sale.mode_changed`) in the change's transaction.
    webhooks: Arc<Webhooks>,
}

impl Events {
    pub fn new(
        config: &Config,
        db: Db,
        hub: Arc<Hub>,
        checkout: Arc<Checkout>,
        webhooks: Arc<Webhooks>,
    ) -> Self {
        Self {
            webhooks,
            db,
            hub,
            checkout,
            settings: Settings {
                role: config.role,
                pow_default_difficulty: config.pow_default_difficulty,
                reconnect_grace_secs: u32::try_from(config.reconnect_grace_secs)
                    .unwrap_or(u32::MAX),
                close_after_show_secs: config.close_after_show_secs,
            },
            cache: RwLock::default(),
            staff: RwLock::default(),
            presale_fans: RwLock::default(),
        }
    }

    /// An event by id: from the cache, else from the database.
    pub async fn get(&self, id: EventId) -> Result<Event, EventError> {
        if let Some(e) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(e.clone());
        }
        let event = self.db.event(id).await?.ok_or(EventError::UnknownEvent)?;
        self.cache(event.clone());
        Ok(event)
    }

    /// The events known here that are not closed (from the cached list; no I/O).
    pub fn open_ids(&self) -> Vec<EventId> {
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|e| !e.closed)
            .map(|e| e.id)
            .collect()
    }

    /// Puts `event` in the cache as it is now (after a change this replica made).
    pub fn cache(&self, event: Event) {
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event.id, event);
    }

    /// Validates and stores a new event (with an audit entry naming `actor`, if
    /// given), seeds its queue in the store and starts its room here (queue tier). The
    /// one path for admin-created and demo events.
    pub async fn create(
        &self,
        mut request: NewEvent,
        actor: Option<&Actor>,
    ) -> Result<Event, EventError> {
        request
            .pow_difficulty
            .get_or_insert(u32::from(self.settings.pow_default_difficulty));
        let event = request.into_event(self.settings.reconnect_grace_secs)?;
        let now = self.hub.clock().now_ms();
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
        if let Err(error) = self.start(&event).await {
            if let Err(cleanup) = self.db.delete_event(event.id).await {
                tracing::error!(error = %cleanup, event_id = %event.id, "could not delete an event whose creation failed");
            }
            return Err(error);
        }
        tracing::info!(event_id = %event.id, name = %event.name, capacity = event.capacity(), "event created");
        self.cache(event.clone());
        Ok(event)
    }

    /// Seeds a new event's queue in the store and starts its rooms here.
    async fn start(&self, event: &Event) -> Result<(), EventError> {
        self.hub
            .store()
            .configure(event.id, &event.queue_config(), false)
            .await?;
        if self.settings.role != Role::Checkout {
            self.room(event).await?;
        }
        if self.settings.role != Role::Queue {
            self.checkout.room(event).await?;
        }
        Ok(())
    }

    /// The event's queue room on this replica, started if needed.
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
    /// longer listed) are wound down here (`Events::wind_down`: fans told
    /// `closed`, rooms stopped, holds released). Closed events are not read: a
    /// thousand past sales cost the refresh nothing (BENCHMARKS.md); the cache drops
    /// what it held of them as open, and [`Self::get`] reads them again on demand.
    ///
    /// The rooms running *before* the read are the only ones it may stop: a sale
    /// created while the read is under way has its rooms started after it, is not in
    /// the list, and is not closed (stopping it told its fans `closed`).
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let mut known: HashSet<EventId> = self.hub.running_events().into_iter().collect();
        known.extend(self.checkout.running_events());
        let open = self.db.open_events().await?;
        let listed: HashSet<EventId> = open.iter().map(|e| e.id).collect();
        let mut gone: Vec<EventId> = known.difference(&listed).copied().collect();
        gone.sort_unstable();
        {
            let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
            cache.retain(|id, e| e.closed || listed.contains(id));
            cache.extend(open.iter().map(|e| (e.id, e.clone())));
        }
        self.refresh_staff().await?;
        self.retain_presale_fans(&listed);
        for id in gone {
            self.wind_down(id).await;
        }
        if self.settings.role != Role::Checkout {
            let rooms: Vec<_> = open
                .iter()
                .map(|e| (e.room_info(), e.queue_config()))
                .collect();
            self.hub.sync_events(&rooms, &known).await?;
        }
        if self.settings.role != Role::Queue {
            self.checkout.sync_events(&open, &known).await?;
        }
        Ok(())
    }
}
