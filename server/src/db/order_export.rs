//! Every order of an event, row by row as the database sends them (a sqlx `fetch`
//! stream), for the CSV export (`crate::export`): one row per order and seat (its
//! order lines, so a refunded order keeps its seats), in
//! order of sale, so a reader folds consecutive rows into orders without ever holding
//! more than one.

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use sqlx::Row;
use waiting_room::EventId;

use super::records::int;
use super::Db;

/// One (order, seat) row of the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    pub order_id: String,
    pub created_at_ms: i64,
    pub email: String,
    pub total_cents: i64,
    pub seat_index: u32,
    /// `confirmed` or `refunded`.
    pub status: String,
    pub refunded_at_ms: Option<i64>,
    /// The email of the account that refunded it (the fan or an admin).
    pub refunded_by: Option<String>,
    pub refund_reason: Option<String>,
    pub refunded_cents: i64,
}

impl Db {
    /// The event's orders as (order, seat) rows, oldest order first, an order's seats
    /// together and ascending. Streamed: the rows are decoded as they arrive.
    pub fn export_rows(&self, event: EventId) -> BoxStream<'_, Result<ExportRow, sqlx::Error>> {
        sqlx::query(
            "SELECT o.id, o.created_at_ms, u.email, o.total_cents, s.seat_index, o.status, \
             o.refunded_at_ms, r.email AS refunded_by, o.refund_reason, o.refunded_cents \
             FROM orders o JOIN users u ON u.id = o.user_id \
             JOIN order_lines s ON s.order_id = o.id \
             LEFT JOIN users r ON r.id = o.refunded_by \
             WHERE o.event_id = $1 ORDER BY o.created_at_ms, o.id, s.seat_index",
        )
        .bind(event.to_string())
        .fetch(self.pool())
        .map(|row| {
            let r = row?;
            Ok(ExportRow {
                order_id: r.try_get("id")?,
                created_at_ms: r.try_get("created_at_ms")?,
                email: r.try_get("email")?,
                total_cents: r.try_get("total_cents")?,
                seat_index: int(&r, "seat_index")?,
                status: r.try_get("status")?,
                refunded_at_ms: r.try_get("refunded_at_ms")?,
                refunded_by: r.try_get("refunded_by")?,
                refund_reason: r.try_get("refund_reason")?,
                refunded_cents: r.try_get("refunded_cents")?,
            })
        })
        .boxed()
    }
}
