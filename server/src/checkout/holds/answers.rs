//! What the hold and confirm operations answer.

use serde::Serialize;
use time::OffsetDateTime;
use waiting_room::seats::store::{HoldId, HoldRequest};
use waiting_room::wire::datetime_ms;

use crate::db::Order;
use crate::event::Event;

#[derive(Debug, Serialize)]
pub struct HoldAnswer {
    pub hold_id: HoldId,
    pub seats: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub total_cents: i64,
}

impl HoldAnswer {
    pub(super) fn new(event: &Event, request: HoldRequest, expires_at_ms: i64) -> Self {
        let layout = event.layout();
        Self {
            total_cents: request.seats.iter().map(|s| layout.price(*s)).sum(),
            seats: request.seats.iter().map(|s| layout.name(*s)).collect(),
            hold_id: request.hold,
            expires_at: datetime_ms(expires_at_ms),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OrderAnswer {
    pub order_id: String,
    pub event_id: String,
    pub seats: Vec<String>,
    pub total_cents: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl OrderAnswer {
    pub fn new(order: &Order, event: &Event) -> Self {
        let layout = event.layout();
        Self {
            order_id: order.id.clone(),
            event_id: order.event.to_string(),
            seats: order.seats.iter().map(|s| layout.name(*s)).collect(),
            total_cents: order.total_cents,
            created_at: datetime_ms(order.created_at_ms),
        }
    }
}
