//! What the hold and confirm operations answer.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::openapi::Ref;
use utoipa::ToSchema;
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

/// An order as the API answers it (confirm, the fan's orders, a refund).
#[derive(Debug, Serialize)]
pub struct OrderAnswer {
    pub order_id: String,
    pub event_id: String,
    pub seats: Vec<String>,
    /// Each seat with the price paid for it (its section's price), in seat order.
    pub lines: Vec<OrderLine>,
    pub total_cents: i64,
    /// What the order cost (`total_cents`); a refund does not change it.
    pub amount_cents: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `confirmed` or `refunded`.
    pub status: &'static str,
    /// How much was refunded (0 while confirmed).
    pub refunded_cents: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub refunded_at: Option<OffsetDateTime>,
    /// Whether the fan may cancel it now (confirmed, inside the refund window).
    pub refundable: bool,
    /// Until when the fan may cancel it (`null`: the event offers no self-service
    /// refunds).
    #[serde(with = "time::serde::rfc3339::option")]
    pub refundable_until: Option<OffsetDateTime>,
}

/// One seat of an order and its price.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    #[schema(schema_with = seat_id)]
    pub seat: String,
    #[schema(minimum = 0)]
    pub price_cents: i64,
}

/// A reference to the `SeatId` schema.
fn seat_id() -> Ref {
    Ref::from_schema_name("SeatId")
}

impl OrderAnswer {
    /// The order as of `now_ms` (whether it is still refundable depends on it).
    pub fn new(order: &Order, event: &Event, now_ms: i64) -> Self {
        let layout = event.layout();
        let until = event.refunds_until_ms();
        let refund = order.refund.as_ref();
        Self {
            order_id: order.id.clone(),
            event_id: order.event.to_string(),
            seats: order.seats.iter().map(|s| layout.name(*s)).collect(),
            lines: order
                .seats
                .iter()
                .map(|s| OrderLine {
                    seat: layout.name(*s),
                    price_cents: layout.price(*s),
                })
                .collect(),
            total_cents: order.total_cents,
            amount_cents: order.total_cents,
            created_at: datetime_ms(order.created_at_ms),
            status: order.status().as_str(),
            refunded_cents: refund.map_or(0, |r| r.cents),
            refunded_at: refund.map(|r| datetime_ms(r.at_ms)),
            refundable: refund.is_none() && !event.closed && until.is_some_and(|u| now_ms <= u),
            refundable_until: until.map(datetime_ms),
        }
    }
}
