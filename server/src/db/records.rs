//! Plain records and column decoding shared by the table modules and the group
//! commit (kept below both, so neither reaches into the other).

use sqlx::any::AnyRow;
use sqlx::Row;
use waiting_room::{EventId, UserId};

/// An order: confirmed, or refunded (then `refund` says when, by whom and why). A
/// refunded order keeps its seats (`order_lines`); only `order_seats` lets them go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub event: EventId,
    pub user: UserId,
    pub hold_id: String,
    pub total_cents: i64,
    /// Seat indexes, ascending.
    pub seats: Vec<u32>,
    pub created_at_ms: i64,
    /// When the buyer joined the line and was admitted (Unix ms), as their purchase
    /// token tells (the report's queue times); `None` when it does not.
    pub joined_at_ms: Option<i64>,
    pub admitted_at_ms: Option<i64>,
    /// `None` while the order is confirmed.
    pub refund: Option<Refund>,
}

/// An order's refund, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub at_ms: i64,
    /// The fan themselves or an admin.
    pub by: UserId,
    /// An admin's reason (fans give none).
    pub reason: Option<String>,
    pub cents: i64,
}

/// An order's state, as stored in `orders.status` and answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Confirmed,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Refunded => "refunded",
        }
    }
}

impl Order {
    pub fn status(&self) -> OrderStatus {
        if self.refund.is_some() {
            OrderStatus::Refunded
        } else {
            OrderStatus::Confirmed
        }
    }
}

/// What writing an order did.
#[derive(Debug)]
pub enum Written {
    /// Committed now.
    Created(Order),
    /// This hold was confirmed before: the order written then.
    Existing(Order),
    /// A seat is already in another order; nothing was written.
    SeatTaken,
    /// The account would pass the event's `max_seats_per_account`: it holds `bought`
    /// seats in confirmed orders of the event; nothing was written.
    OverAccountCap { bought: u32 },
}

/// A delivery to write into the outbox (status `pending`, due at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: String,
    pub endpoint_id: String,
    /// The `webhook-id` header: the same for every endpoint told this message.
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    pub created_at_ms: i64,
}

/// A non-negative integer column.
pub(super) fn int(r: &AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    let v: i64 = r.try_get(column)?;
    u32::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A nullable non-negative integer column.
pub(super) fn opt_int(r: &AnyRow, column: &str) -> Result<Option<u32>, sqlx::Error> {
    let v: Option<i64> = r.try_get(column)?;
    v.map(|v| u32::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

/// The safety net's columns (both NULL when it is off).
pub(super) fn net_shoppers(s: &waiting_room::AdmissionSettings) -> Option<i64> {
    s.safety_net.map(|n| i64::from(n.max_shoppers))
}

pub(super) fn net_arrivals(s: &waiting_room::AdmissionSettings) -> Option<i64> {
    s.safety_net.map(|n| i64::from(n.max_arrivals_per_minute))
}
