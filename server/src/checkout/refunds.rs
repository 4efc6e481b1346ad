//! Refunding an order: a fan their own inside the event's refund window, an admin any
//! order until the event is closed (with a reason, audited).
//!
//! Write order, so that nothing is lost and no seat is sold twice: the database
//! transaction first (`Db::refund_order`: the order's status, who, when, why and how
//! much; its `order_seats` rows go, the account's cap gets the seats back), then the
//! seat store's [`SeatStore::unsell`]. Until the store has unsold them the seats
//! still show sold, so no one can hold them: a refund never races a sale of its own
//! seats. Should the store fail, the unsell is retried in the background; should the
//! process die in between, the seats stay sold in the store (not for sale, never sold
//! twice) until a seat room next loads the event (`SeatRoom::load` frees seats the
//! store has sold that no order holds in the database).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use waiting_room::clock::Clock;
use waiting_room::seats::SeatStore;
use waiting_room::store::StoreError;
use waiting_room::{EventId, UserId};

use super::Checkout;
use crate::db::{Actor, Db, Order, RefundRequest, Refunded};
use crate::event::Event;

/// The longest reason an admin may give, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// How long a failed unsell is retried in the background.
const UNSELL_RETRY_FOR: Duration = Duration::from_secs(60);

/// `POST /orders/{order_id}/refund`: an admin's reason (required from an admin
/// refunding another account's order; a fan may send `{}`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Why the order is refunded (1 to 500 characters; kept with the order and in
    /// the audit log).
    #[schema(pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    pub reason: Option<String>,
}

/// Who asks for the refund.
#[derive(Clone, Copy, Debug)]
pub struct Refunder {
    pub user: UserId,
    pub admin: bool,
}

/// Why a refund was refused: one variant per rule, no HTTP.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    /// No such order, or another account's (a fan is not told which).
    #[error("order not found")]
    NotFound,
    #[error("this event does not offer self-service refunds; contact the box office")]
    NotOffered,
    #[error("refunds for this event closed at {until}")]
    WindowClosed { until: String },
    #[error("this event is closed; its orders can no longer be refunded")]
    EventClosed,
    #[error("an admin's refund needs a reason (1 to {MAX_REASON_CHARS} characters)")]
    ReasonRequired,
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("the reason cannot contain control characters other than tabs and line breaks")]
    ReasonInvalid,
    #[error("seat store: {0}")]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The refund path's dependencies, borrowed (`AppState::refunds` lends the app's).
#[derive(Clone, Copy)]
pub struct RefundService<'a> {
    pub checkout: &'a Checkout,
    pub db: &'a Db,
    pub clock: &'a dyn Clock,
    /// Where a refund is told to webhooks (`None`: nowhere).
    pub webhooks: Option<&'a crate::webhooks::Webhooks>,
}

impl RefundService<'_> {
    /// The order `id` as `who` may see it: their own, or any for an admin.
    pub async fn order(&self, id: &str, who: Refunder) -> Result<Order, RefundError> {
        match self.db.order_by_id(id).await? {
            Some(order) if who.admin || order.user == who.user => Ok(order),
            _ => Err(RefundError::NotFound),
        }
    }

    /// Refunds `order` (of `event`), or answers it as it is if it was refunded
    /// before. `actor` is the admin when `who` is one (for the audit log).
    pub async fn refund(
        &self,
        order: Order,
        event: &Event,
        who: Refunder,
        actor: Option<&Actor>,
        body: RefundBody,
    ) -> Result<Order, RefundError> {
        if order.refund.is_some() {
            return Ok(order);
        }
        let reason = match body.reason.as_deref().map(str::trim) {
            Some(r) if r.chars().count() > MAX_REASON_CHARS => {
                return Err(RefundError::ReasonTooLong)
            }
            Some(r) if crate::text_rules::free_text_has_control(r) => {
                return Err(RefundError::ReasonInvalid)
            }
            Some("") | None => None,
            Some(r) => Some(r.to_owned()),
        };
        // An admin refunding their own order without a reason is a fan cancelling.
        let as_admin = who.admin && (order.user != who.user || reason.is_some());
        let now = self.clock.now_ms();
        if event.closed {
            return Err(RefundError::EventClosed);
        }
        if as_admin {
            if reason.is_none() {
                return Err(RefundError::ReasonRequired);
            }
        } else {
            let until = event.refunds_until_ms().ok_or(RefundError::NotOffered)?;
            if now > until {
                return Err(RefundError::WindowClosed {
                    until: waiting_room::wire::datetime_ms(until)
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                });
            }
        }
        // Written in the refund's transaction, only if this call refunds it.
        let outbox = self.webhooks.map_or_else(Vec::new, |w| {
            w.prepare(crate::webhooks::EventType::OrderRefunded, || {
                let mut data = crate::webhooks::order_data(&order, event);
                data["refunded_cents"] = order.total_cents.into();
                data["refunded_at"] = crate::webhooks::rfc3339(now).into();
                data["by_admin"] = as_admin.into();
                data["reason"] = reason.clone().into();
                data
            })
        });
        let told = !outbox.is_empty();
        let request = RefundRequest {
            at_ms: now,
            by: who.user,
            reason: reason.as_deref(),
            audit: actor.filter(|_| as_admin),
            outbox: &outbox,
        };
        let order = match self.db.refund_order(&order.id, &request).await? {
            Refunded::Now(order) => order,
            Refunded::Already(order) => return Ok(order),
            Refunded::NotFound => return Err(RefundError::NotFound),
        };
        tracing::info!(order_id = %order.id, event_id = %order.event, seats = order.seats.len(), admin = as_admin, "order refunded");
        if let (true, Some(w)) = (told, self.webhooks) {
            w.written();
        }
        let store = self.checkout.seats();
        if let Err(error) = store.unsell(order.event, &order.seats).await {
            tracing::warn!(%error, order_id = %order.id, "freeing refunded seats failed; retrying");
            tokio::spawn(unsell_later(
                Arc::clone(store),
                order.event,
                order.seats.clone(),
            ));
        }
        Ok(order)
    }
}

/// Frees a refunded order's seats after the refund could not: tries again after
/// 100 ms, doubling the wait up to 5 s, for [`UNSELL_RETRY_FOR`]; after that a seat
/// room's next load does it (`SeatRoom::load`). Until then the seats show sold.
async fn unsell_later(store: Arc<dyn SeatStore>, event: EventId, seats: Vec<u32>) {
    let mut wait = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < UNSELL_RETRY_FOR {
        tokio::time::sleep(wait).await;
        waited += wait;
        match store.unsell(event, &seats).await {
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%error, event_id = %event, "freeing refunded seats failed again")
            }
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    tracing::error!(event_id = %event, seats = seats.len(), "refunded seats still sold in the seat store; a seat room's next load frees them");
}
