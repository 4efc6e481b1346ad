//! Changes to an event after its creation: editing its settings, and closing it (by
//! an admin, or by itself after its show), each with its audit entry in the same transaction, so the log
//! never shows a change that did not happen nor misses one that did.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use waiting_room::wire::datetime_ms;
use waiting_room::EventId;

use super::audit::{insert_audit, Actor, AuditAction, NewAudit};
use super::events::parse_id;
use super::records::NewDelivery;
use super::Db;
use crate::event::Event;

/// An edit as made: the event before and after.
pub struct Edit {
    pub before: Event,
    pub after: Event,
}

/// Why an event's sections cannot change: a seat of it is held back, or an order was
/// written for it (refunded ones too: their lines name its seats).
#[derive(Clone, Copy, Debug, thiserror::Error)]
#[error("seats of this event are held back or were ordered: its sections can no longer change")]
pub struct SeatsInUse;

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
    /// Reads the event, applies `apply` to it, stores the result with its audit entry
    /// (`changes` gives the entry's before and after; `None`: nothing changed, no
    /// entry; `tell` the webhook deliveries it writes) — in one transaction, with the event's row locked from the read on, so
    /// concurrent edits (and admission changes) apply one after the other. `publish`
    /// runs after the writes, before the commit, still under the lock (the queue
    /// store's copy is then ordered like the changes). `Ok(None)`: no such event.
    ///
    /// An edit of the sections is refused ([`SeatsInUse`]) if a seat is held back or an
    /// order was written for the event; else `reseat` (the seat store's conditional
    /// replacement, which may refuse too) runs before the writes, and the sections and
    /// seat rows are rewritten in the same transaction.
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_event<E, F, Fut, R, RFut>(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        apply: impl FnOnce(&Event) -> Result<Event, E>,
        changes: impl FnOnce(&Event, &Event) -> Result<Option<(Value, Value)>, E>,
        tell: impl FnOnce(&Event, &Event) -> Vec<NewDelivery>,
        reseat: R,
        publish: F,
    ) -> Result<Option<Edit>, E>
    where
        E: From<sqlx::Error> + From<SeatsInUse>,
        F: FnOnce(Event) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
        R: FnOnce(Event) -> RFut,
        RFut: std::future::Future<Output = Result<(), E>>,
    {
        let mut tx = self.pool().begin().await?;
        // The lock, as in `change_admission`: a write that changes nothing.
        let locked =
            sqlx::query("UPDATE events SET paused = paused WHERE id = $1 AND preparing = 0")
                .bind(event.to_string())
                .execute(&mut *tx)
                .await?;
        if locked.rows_affected() == 0 {
            return Ok(None);
        }
        let Some(before) = self.event_in(&mut tx, event).await? else {
            return Ok(None);
        };
        let after = apply(&before)?;
        let resectioned = after.sections != before.sections;
        if resectioned {
            if seats_in_use(&mut tx, event).await? {
                return Err(SeatsInUse.into());
            }
            reseat(after.clone()).await?;
            super::seat_rows::rewrite_layout(&mut tx, &after).await?;
        }
        sqlx::query(
            "UPDATE events SET name = $1, starts_at_ms = $2, show_at_ms = $3, \
             refund_window_secs = $4, max_seats_per_account = $5, max_seats_per_order = $6, \
             hold_ttl_secs = $7, rate_per_minute = $8, max_active = $9, session_ttl_secs = $10, \
             paused = $11, pow_difficulty = $13, admission_mode = $14, admission_message = $15, \
             safety_net_max_shoppers = $16, safety_net_max_arrivals = $17 \
             WHERE id = $12",
        )
        .bind(&after.name)
        .bind(after.starts_at_ms)
        .bind(after.show_at_ms)
        .bind(after.refund_window_secs.map(i64::from))
        .bind(after.max_seats_per_account.map(i64::from))
        .bind(i64::from(after.max_seats_per_order))
        .bind(i64::from(after.hold_ttl_secs))
        .bind(i64::from(after.admission.rate_per_minute))
        .bind(i64::from(after.admission.max_active))
        .bind(i64::from(after.admission.session_ttl_secs))
        .bind(i64::from(after.admission.paused))
        .bind(event.to_string())
        .bind(i64::from(after.pow_difficulty))
        .bind(after.admission.mode.as_str())
        .bind(after.admission.message.clone())
        .bind(super::records::net_shoppers(&after.admission))
        .bind(super::records::net_arrivals(&after.admission))
        .execute(&mut *tx)
        .await?;
        if let Some((old, new)) = changes(&before, &after)? {
            let entry = NewAudit {
                at_ms,
                actor,
                event,
                action: AuditAction::EventEdited,
                before: Some(old),
                after: Some(new),
            };
            insert_audit(&mut tx, &entry).await?;
        }
        super::outbox::insert_deliveries(&mut tx, &tell(&before, &after)).await?;
        // An admin's rate wins over autotune's, as in `change_admission`.
        if after.admission.rate_per_minute != before.admission.rate_per_minute {
            super::audit::switch_off_in(&mut tx, event, actor, at_ms).await?;
        }
        publish(after.clone()).await?;
        tx.commit().await?;
        Ok(Some(Edit { before, after }))
    }

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
        rows.iter().map(|r| parse_id(r, "id")).collect()
    }
}

/// Whether a seat of `event` is held back or an order was ever written for it.
async fn seats_in_use(conn: &mut sqlx::AnyConnection, event: EventId) -> Result<bool, sqlx::Error> {
    let found = sqlx::query(
        "SELECT 1 FROM held_back_seats WHERE event_id = $1 \
         UNION ALL SELECT 1 FROM order_lines WHERE event_id = $1 LIMIT 1",
    )
    .bind(event.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}
