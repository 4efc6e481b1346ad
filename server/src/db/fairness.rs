//! The queue times the fairness figures read (`crate::stats::fairness`).

use sqlx::Row;
use waiting_room::EventId;

use super::Db;

impl Db {
    /// `(joined_at_ms, admitted_at_ms)` of the event's orders whose buyer joined at or
    /// after `since_ms` (after the opening), once per pair: a fan's several orders in
    /// one shopping session share both times (migration 0012; older orders have none).
    pub async fn queue_times_since(
        &self,
        event: EventId,
        since_ms: i64,
    ) -> Result<Vec<(i64, i64)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT DISTINCT joined_at_ms, admitted_at_ms FROM orders \
             WHERE event_id = $1 AND joined_at_ms >= $2 AND admitted_at_ms IS NOT NULL",
        )
        .bind(event.to_string())
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("joined_at_ms")?, r.try_get("admitted_at_ms")?)))
            .collect()
    }
}
