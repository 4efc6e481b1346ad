//! Signed webhooks: admins register endpoints; facts of a sale (opened, sold out,
//! paused, resumed, mode changed) and of orders (confirmed, refunded) become rows of
//! an outbox, one per subscribed endpoint, written in the transaction of the fact
//! where there is one (a confirm, a refund); the delivery worker ([`worker`]) POSTs
//! them signed as Standard Webhooks says ([`signing`]), retries with back-off for a
//! day, and records every attempt. [`guard`] keeps deliveries off internal addresses.
//!
//! The hot path (a confirm) asks [`Webhooks::prepare`], which reads an in-memory copy
//! of the subscriptions: with no endpoint subscribed to a type it answers nothing and
//! costs one read lock. The copy is reloaded on every change made here and every few
//! seconds (changes made on other replicas).

pub mod guard;
pub mod sale_watch;
pub mod signing;
pub mod worker;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;
use waiting_room::clock::Clock;

use crate::db::{Db, EndpointRow, NewDelivery};

/// The event types a webhook may subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    SaleOpened,
    SaleSoldOut,
    SalePaused,
    SaleResumed,
    SaleModeChanged,
    OrderConfirmed,
    OrderRefunded,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        Self::SaleOpened,
        Self::SaleSoldOut,
        Self::SalePaused,
        Self::SaleResumed,
        Self::SaleModeChanged,
        Self::OrderConfirmed,
        Self::OrderRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SaleOpened => "sale.opened",
            Self::SaleSoldOut => "sale.sold_out",
            Self::SalePaused => "sale.paused",
            Self::SaleResumed => "sale.resumed",
            Self::SaleModeChanged => "sale.mode_changed",
            Self::OrderConfirmed => "order.confirmed",
            Self::OrderRefunded => "order.refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// How the delivery worker paces itself (from the configuration; tests shorten it).
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// The first retry's delay; each next one doubles, up to [`worker::MAX_BACKOFF`].
    pub retry_base: Duration,
    /// How often the worker looks for due deliveries when nothing woke it.
    pub poll: Duration,
    /// One attempt's time limit.
    pub timeout: Duration,
}

/// The webhooks service of a replica: the subscriptions' copy, emitting, and the
/// worker's wake-up.
pub struct Webhooks {
    db: Db,
    clock: Arc<dyn Clock>,
    /// The endpoints, as last read. A `std` lock: read on every confirm, never held
    /// across `.await`; replaced whole on reload.
    endpoints: RwLock<Arc<Vec<EndpointRow>>>,
    /// Wakes the worker when this replica wrote deliveries.
    wake: Notify,
    pub allow_private: bool,
    pub pacing: Pacing,
}

impl Webhooks {
    pub fn new(db: Db, clock: Arc<dyn Clock>, allow_private: bool, pacing: Pacing) -> Self {
        Self {
            db,
            clock,
            endpoints: RwLock::default(),
            wake: Notify::new(),
            allow_private,
            pacing,
        }
    }

    /// Re-reads the endpoints from the database.
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let endpoints = self.db.webhook_endpoints().await?;
        *self.endpoints.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(endpoints);
        Ok(())
    }

    /// The endpoints as last read.
    pub fn endpoints(&self) -> Arc<Vec<EndpointRow>> {
        Arc::clone(&self.endpoints.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether any endpoint listens to `kind` (no I/O).
    pub fn wanted(&self, kind: EventType) -> bool {
        self.endpoints().iter().any(|e| subscribes(e, kind))
    }

    /// The outbox rows telling `kind` with `data` to every endpoint subscribed to it:
    /// nothing, and `data` never called, when none is.
    pub fn prepare(&self, kind: EventType, data: impl FnOnce() -> Value) -> Vec<NewDelivery> {
        let endpoints = self.endpoints();
        let mut to = endpoints.iter().filter(|e| subscribes(e, kind)).peekable();
        if to.peek().is_none() {
            return Vec::new();
        }
        let now = self.clock.now_ms();
        let payload = serde_json::json!({
            "type": kind.as_str(),
            "timestamp": rfc3339(now),
            "data": data(),
        })
        .to_string();
        let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        to.map(|e| NewDelivery {
            id: uuid::Uuid::now_v7().to_string(),
            endpoint_id: e.id.clone(),
            message_id: message_id.clone(),
            event_type: kind.as_str().to_owned(),
            payload: payload.clone(),
            created_at_ms: now,
        })
        .collect()
    }

    /// Tells `kind` now, on its own (for facts with no transaction to join). The one
    /// line to call where a fact happens, e.g. an admission mode switched:
    /// `state.webhooks.emit(EventType::SaleModeChanged, || json!({"event_id": id, "mode": m})).await;`
    pub async fn emit(&self, kind: EventType, data: impl FnOnce() -> Value) {
        let rows = self.prepare(kind, data);
        if rows.is_empty() {
            return;
        }
        match self.db.insert_webhook_deliveries(&rows).await {
            Ok(()) => self.written(),
            Err(error) => {
                tracing::warn!(%error, kind = kind.as_str(), "writing webhook deliveries failed")
            }
        }
    }

    /// Deliveries were committed here: the worker looks now.
    pub fn written(&self) {
        self.wake.notify_one();
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }
}

fn subscribes(e: &EndpointRow, kind: EventType) -> bool {
    e.events.iter().any(|t| t == "*" || t == kind.as_str())
}

/// Unix ms as RFC 3339 (UTC).
pub fn rfc3339(ms: i64) -> String {
    waiting_room::wire::datetime_ms(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An order as webhooks tell it (`data` of `order.confirmed` and `order.refunded`).
pub fn order_data(order: &crate::db::Order, event: &crate::event::Event) -> serde_json::Value {
    let layout = event.layout();
    serde_json::json!({
        "order_id": order.id,
        "event_id": order.event.to_string(),
        "user_id": order.user.to_string(),
        "seats": order.seats.iter().map(|s| layout.name(*s)).collect::<Vec<_>>(),
        "total_cents": order.total_cents,
        "created_at": rfc3339(order.created_at_ms),
    })
}
