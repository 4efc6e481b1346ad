//! Plain records and column decoding shared by the table modules and the group
//! commit (kept below both, so neither reaches into the other).

use sqlx::any::AnyRow;
use sqlx::Row;
use waiting_room::{EventId, UserId};

/// A confirmed order.
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
