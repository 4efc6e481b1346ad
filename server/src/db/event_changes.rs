//! Changes to an event after its creation: closing it (by an admin, or by itself
//! after its show), each with its audit entry in the same transaction, so the log
//! never shows a change that did not happen nor misses one that did.

use serde_json::json;
use sqlx::Row;
use time::format_description::well_known::Rfc3339;
use waiting_room::wire::datetime_ms;
use waiting_room::EventId;

use super::audit::{insert_audit, Actor, AuditAction, NewAudit};
use super::Db;

/// What closing an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// Closed now, by this call (its audit entry written).
    Closed,
    /// It was closed already; nothing changed.
    AlreadyClosed,
    /// No such event.
    NotFound,
}

impl Db {
    /// Closes the event, recording when, by whom and why (`reason`: `admin` or
    /// `after_show`), with its audit entry. A conditional update (`WHERE closed = 0`):
    /// of replicas closing the same event at once exactly one closes it and writes
    /// the entry; the others learn [`Closing::AlreadyClosed`].
    pub async fn close_event(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        reason: &str,
    ) -> Result<Closing, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE events SET closed = 1, closed_at_ms = $1, closed_by = $2 \
             WHERE id = $3 AND closed = 0 AND preparing = 0",
        )
        .bind(at_ms)
        .bind(actor.id.to_string())
        .bind(event.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let known = sqlx::query("SELECT closed FROM events WHERE id = $1 AND preparing = 0")
                .bind(event.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Ok(match known {
                Some(_) => Closing::AlreadyClosed,
                None => Closing::NotFound,
            });
        }
        let closed_at = datetime_ms(at_ms)
            .format(&Rfc3339)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let entry = NewAudit {
            at_ms,
            actor,
            event,
            action: AuditAction::EventClosed,
            before: Some(json!({"closed": false})),
            after: Some(json!({"closed": true, "closed_at": closed_at, "reason": reason})),
        };
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Closing::Closed)
    }

    /// The open events whose show began at or before `show_before_ms` (Unix ms):
    /// those due to close by themselves.
    pub async fn events_due_to_close(
        &self,
        show_before_ms: i64,
    ) -> Result<Vec<EventId>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id FROM events WHERE closed = 0 AND preparing = 0 \
             AND show_at_ms IS NOT NULL AND show_at_ms <= $1",
        )
        .bind(show_before_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
            })
            .collect()
    }
}
