//! What the hold and confirm operations answer.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use waiting_room::seats::store::{HoldId, HoldRequest};
use waiting_room::wire::datetime_ms;

use crate::checkout::seat_messages::SeatId;
use crate::db::{Order, OrderStatus};
use crate::event::Event;

/// A hold placed: its id, its seats, when it lapses and what it costs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldAnswer {
    #[schema(
        value_type = String,
        pattern = "^[0-9a-f]{32}$",
        example = "9b2f4c6d8e0a41b3a5c7d9e1f3a5b7c9"
    )]
    pub hold_id: HoldId,
    #[schema(value_type = Vec<SeatId>, min_items = 1)]
    pub seats: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[schema(minimum = 0)]
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
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Order)]
#[serde(deny_unknown_fields)]
pub struct OrderAnswer {
    #[schema(format = Uuid)]
    pub order_id: String,
    #[schema(format = Uuid)]
    pub event_id: String,
    #[schema(value_type = Vec<SeatId>, min_items = 1)]
    pub seats: Vec<String>,
    /// Each seat with the price paid for it (its section's price), in seat order.
    #[schema(min_items = 1)]
    pub lines: Vec<OrderLine>,
    #[schema(minimum = 0)]
    pub total_cents: i64,
    /// What the order cost (`total_cents`); a refund does not change it.
    #[schema(minimum = 0)]
    pub amount_cents: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `confirmed` or `refunded`.
    pub status: OrderStatus,
    /// How much was refunded (0 while confirmed).
    #[schema(minimum = 0)]
    pub refunded_cents: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub refunded_at: Option<OffsetDateTime>,
    /// Whether the fan may cancel it now (confirmed, inside the refund window).
    pub refundable: bool,
    /// Until when the fan may cancel it (`null`: the event offers no self-service
    /// refunds).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub refundable_until: Option<OffsetDateTime>,
}

/// One seat of an order and its price.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    #[schema(value_type = SeatId)]
    pub seat: String,
    #[schema(minimum = 0)]
    pub price_cents: i64,
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
            status: order.status(),
            refunded_cents: refund.map_or(0, |r| r.cents),
            refunded_at: refund.map(|r| datetime_ms(r.at_ms)),
            refundable: refund.is_none() && !event.closed && until.is_some_and(|u| now_ms <= u),
            refundable_until: until.map(datetime_ms),
        }
    }
}
