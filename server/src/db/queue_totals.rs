//! A closed sale's queue figures (issue 19): the report's `joined` and `admitted`,
//! saved before the sale's line is removed from the queue store, and which closed
//! sales still have a line there.

use sqlx::Row;
use waiting_room::EventId;

use super::events::parse_id;
use super::Db;

/// What the queue store counted for a sale when its line was removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueTotals {
    /// Accounts that took a ticket.
    pub joined: u64,
    /// Fans admitted.
    pub admitted: u64,
}

impl Db {
    /// Saves `totals` for `event` unless some were saved before (the first save is
    /// the one taken before the line went).
    pub async fn save_queue_totals(
        &self,
        event: EventId,
        totals: QueueTotals,
    ) -> Result<(), sqlx::Error> {
        let big = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO queue_totals (event_id, joined, admitted) VALUES ($1, $2, $3) \
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.to_string())
        .bind(big(totals.joined))
        .bind(big(totals.admitted))
        .execute(self.pool())
        .await
        .map(drop)
    }

    /// The totals saved for `event`, if any.
    pub async fn queue_totals(&self, event: EventId) -> Result<Option<QueueTotals>, sqlx::Error> {
        let row = sqlx::query("SELECT joined, admitted FROM queue_totals WHERE event_id = $1")
            .bind(event.to_string())
            .fetch_optional(self.pool())
            .await?;
        let count = |r: &sqlx::any::AnyRow, column: &str| -> Result<u64, sqlx::Error> {
            let v: i64 = r.try_get(column)?;
            u64::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        row.map(|r| {
            Ok(QueueTotals {
                joined: count(&r, "joined")?,
                admitted: count(&r, "admitted")?,
            })
        })
        .transpose()
    }

    /// Up to `limit` sales closed at or before `closed_before_ms` whose line has not
    /// been removed yet.
    pub async fn lines_to_remove(
        &self,
        closed_before_ms: i64,
        limit: i64,
    ) -> Result<Vec<EventId>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT e.id FROM events e LEFT JOIN queue_totals t ON t.event_id = e.id \
             WHERE e.closed = 1 AND e.closed_at_ms <= $1 AND t.removed_at_ms IS NULL \
             ORDER BY e.closed_at_ms LIMIT $2",
        )
        .bind(closed_before_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| parse_id(r, "id")).collect()
    }

    /// Notes that `event`'s line was removed at `at_ms`.
    pub async fn line_removed(&self, event: EventId, at_ms: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE queue_totals SET removed_at_ms = $1 WHERE event_id = $2")
            .bind(at_ms)
            .bind(event.to_string())
            .execute(self.pool())
            .await
            .map(drop)
    }
}
