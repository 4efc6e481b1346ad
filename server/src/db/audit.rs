//! The admin audit log: who changed what about an event, and when, with the value
//! before and after as JSON. Entries are written in the transaction of the change they
//! record (see [`Db::change_admission`] and [`Db::insert_event`]), so the log never
//! shows a change that did not happen, nor misses one that did.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use waiting_room::{AdmissionSettings, EventId, UserId};

use super::records::NewDelivery;
use super::Db;
use crate::metrics::DbOp;

/// The admin who made a change. The email is looked up when the change is made and
/// kept with the entry (`None` if the account has gone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub email: Option<String>,
}

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    EventCreated,
    AdmissionChanged,
    SeatsHeldBack,
    SeatsReleased,
    OrderRefunded,
    EventClosed,
    EventEdited,
    AutotuneChanged,
    AutotuneAdjusted,
    StaffChanged,
    StaffBypass,
    PresaleGroupCreated,
    PresaleGroupChanged,
    PresaleGroupDeleted,
    PresaleCodesAdded,
    PresaleCodeRevoked,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventCreated => "event_created",
            Self::AdmissionChanged => "admission_changed",
            Self::SeatsHeldBack => "seats_held_back",
            Self::SeatsReleased => "seats_released",
            Self::OrderRefunded => "order_refunded",
            Self::EventClosed => "event_closed",
            Self::EventEdited => "event_edited",
            Self::AutotuneChanged => "autotune_changed",
            Self::AutotuneAdjusted => "autotune_adjusted",
            Self::StaffChanged => "staff_changed",
            Self::StaffBypass => "staff_bypass",
            Self::PresaleGroupCreated => "presale_group_created",
            Self::PresaleGroupChanged => "presale_group_changed",
            Self::PresaleGroupDeleted => "presale_group_deleted",
            Self::PresaleCodesAdded => "presale_codes_added",
            Self::PresaleCodeRevoked => "presale_code_revoked",
        }
    }
}

impl Actor {
    /// The autotune account (migration 0018): who makes autotune's rate changes.
    pub fn autotune() -> Self {
        Self {
            id: UserId(uuid::Uuid::from_u128(0xa070)),
            email: Some("autotune@floodgate.invalid".into()),
        }
    }

    /// The system account (migration 0010): who closes an event after its show.
    pub fn system() -> Self {
        Self {
            id: UserId(uuid::Uuid::nil()),
            email: Some("system@floodgate.invalid".into()),
        }
    }
}

/// An entry to write; the database numbers it.
#[derive(Clone, Debug)]
pub struct NewAudit<'a> {
    pub at_ms: i64,
    pub actor: &'a Actor,
    pub event: EventId,
    pub action: AuditAction,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A stored entry. `action` stays a string so entries written by a newer version
/// still read.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor: Actor,
    pub event: EventId,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Who makes an admission change, for [`Db::change_admission_noted`].
#[derive(Clone, Debug, PartialEq)]
pub enum AdmissionNote {
    /// An admin: a change of the rate switches autotune off.
    Manual,
    /// Autotune, having judged the checkout at `judged_rate`; the entry is
    /// `autotune_adjusted`, and `reason` (the sentence) and `detail` (its figures, for
    /// the console to word) go in its `after` as `reason` and `autotune`.
    Autotune {
        judged_rate: u32,
        reason: String,
        detail: Value,
    },
}

/// An admission change as made: the settings before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmissionChange {
    pub before: AdmissionSettings,
    pub after: AdmissionSettings,
}

impl Db {
    /// The admin `user` as the audit log names them (email looked up now).
    pub async fn actor(&self, user: UserId) -> Result<Actor, sqlx::Error> {
        let email = self.user_by_id(user).await?.map(|u| u.email);
        Ok(Actor { id: user, email })
    }

    /// Reads the event's admission settings, applies `apply` to them, stores the
    /// result and records the change — all in one transaction, with the event's row
    /// locked from the read on, so concurrent changes apply one after the other and
    /// each entry's `before` is the previous entry's `after`. A change to the same
    /// settings writes no entry. `Ok(None)`: no such event.
    ///
    /// `publish` runs after the writes, before the commit, still under the lock: what
    /// it publishes (the queue store's copy) is then ordered like the changes. An
    /// error from `apply` or `publish` rolls back and is returned as is. (Should the
    /// commit itself fail after `publish`, the store runs settings the database does
    /// not record until the next change; the caller answers an error either way.)
    ///
    /// An admin's change ([`AdmissionNote::Manual`]) of the rate switches the event's
    /// autotune off in the same transaction (with its own entry): the admin's rate
    /// wins until they switch it on again.
    pub async fn change_admission<E, F, Fut>(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        apply: impl FnOnce(AdmissionSettings) -> Result<AdmissionSettings, E>,
        publish: F,
    ) -> Result<Option<AdmissionChange>, E>
    where
        E: From<sqlx::Error>,
        F: FnOnce(AdmissionSettings) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
    {
        let note = AdmissionNote::Manual;
        self.change_admission_noted(
            event,
            actor,
            at_ms,
            apply,
            &note,
            |_, _| Vec::new(),
            publish,
        )
        .await
    }

    /// [`Self::change_admission`], made by `note`: an admin, or autotune (whose change
    /// is made only if autotune is still on and the rate is still the one it judged;
    /// else nothing changes and the answer's `after` is its `before`). A change writes
    /// the webhook deliveries `tell(before, after)` gives in its own transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_admission_noted<E, F, Fut>(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        apply: impl FnOnce(AdmissionSettings) -> Result<AdmissionSettings, E>,
        note: &AdmissionNote,
        tell: impl FnOnce(&AdmissionSettings, &AdmissionSettings) -> Vec<NewDelivery>,
        publish: F,
    ) -> Result<Option<AdmissionChange>, E>
    where
        E: From<sqlx::Error>,
        F: FnOnce(AdmissionSettings) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
    {
        let mut tx = self.pool().begin().await?;
        // A write that changes nothing takes the lock a read would not: the row lock
        // on PostgreSQL (like SELECT … FOR UPDATE), the database write lock on SQLite
        // (whose deferred transactions would otherwise fail to upgrade after a read).
        let locked = sqlx::query("UPDATE events SET paused = paused WHERE id = $1")
            .bind(event.to_string())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Ok(None);
        }
        let before = self.admission_in(&mut tx, event).await?;
        if let AdmissionNote::Autotune { judged_rate, .. } = note {
            let on = autotune_on(&mut tx, event).await?;
            if !on || before.rate_per_minute != *judged_rate {
                tx.rollback().await?;
                return Ok(Some(AdmissionChange {
                    before: before.clone(),
                    after: before,
                }));
            }
        }
        let after = apply(before.clone())?;
        sqlx::query(
            "UPDATE events SET rate_per_minute = $1, max_active = $2, session_ttl_secs = $3, \
             paused = $4, admission_mode = $6, admission_message = $7, \
             safety_net_max_shoppers = $8, safety_net_max_arrivals = $9 WHERE id = $5",
        )
        .bind(i64::from(after.rate_per_minute))
        .bind(i64::from(after.max_active))
        .bind(i64::from(after.session_ttl_secs))
        .bind(i64::from(after.paused))
        .bind(event.to_string())
        .bind(after.mode.as_str())
        .bind(after.message.clone())
        .bind(super::records::net_shoppers(&after))
        .bind(super::records::net_arrivals(&after))
        .execute(&mut *tx)
        .await?;
        // A PATCH that changes nothing (pausing a paused sale) is not a change.
        if after != before {
            // Autotune's entries are its own action: their `after` carries the reason
            // beside the settings (an admin's `after` is exactly the settings).
            let mut after_json = settings_json(&after);
            let mut action = AuditAction::AdmissionChanged;
            if let AdmissionNote::Autotune { reason, detail, .. } = note {
                after_json["reason"] = Value::String(reason.clone());
                after_json["autotune"] = detail.clone();
                action = AuditAction::AutotuneAdjusted;
            }
            let entry = NewAudit {
                at_ms,
                actor,
                event,
                action,
                before: Some(settings_json(&before)),
                after: Some(after_json),
            };
            insert_audit(&mut tx, &entry).await?;
            if matches!(note, AdmissionNote::Manual)
                && after.rate_per_minute != before.rate_per_minute
            {
                switch_off_in(&mut tx, event, actor, at_ms).await?;
            }
            super::outbox::insert_deliveries(&mut tx, &tell(&before, &after)).await?;
        }
        publish(after.clone()).await?;
        tx.commit().await?;
        Ok(Some(AdmissionChange { before, after }))
    }

    /// The event's entries, newest first, at most `limit`.
    pub async fn audit_log(
        &self,
        event: EventId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, sqlx::Error> {
        self.timed(DbOp::AuditLog, async {
            let rows = sqlx::query(
            "SELECT id, at_ms, actor_id, actor_email, event_id, action, before_json, after_json \
             FROM admin_audit WHERE event_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(event.to_string())
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
            rows.iter().map(entry_from_row).collect()
        })
        .await
    }
}

/// Writes one entry on `conn` (the caller's transaction).
pub(crate) async fn insert_audit(
    conn: &mut AnyConnection,
    entry: &NewAudit<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO admin_audit (at_ms, actor_id, actor_email, event_id, action, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.at_ms)
    .bind(entry.actor.id.to_string())
    .bind(entry.actor.email.clone())
    .bind(entry.event.to_string())
    .bind(entry.action.as_str())
    .bind(entry.before.as_ref().map(Value::to_string))
    .bind(entry.after.as_ref().map(Value::to_string))
    .execute(conn)
    .await
    .map(|_| ())
}

// Autotune's rows read and written in an admission change's transaction (here, not in
// `autotune.rs`, which uses this module's `insert_audit`).

/// Whether the event's autotune is on (read in the caller's transaction).
pub(crate) async fn autotune_on(
    conn: &mut AnyConnection,
    event: EventId,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT enabled FROM event_autotune WHERE event_id = $1")
        .bind(event.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64, _>("enabled")? == 1,
        None => false,
    })
}

/// Switches the event's autotune off, if on, with its entry: an admin set the rate by
/// hand (in the caller's transaction, the admission change's).
pub(crate) async fn switch_off_in(
    conn: &mut AnyConnection,
    event: EventId,
    actor: &Actor,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    let done = sqlx::query(
        "UPDATE event_autotune SET enabled = 0, updated_at_ms = $2 \
         WHERE event_id = $1 AND enabled = 1",
    )
    .bind(event.to_string())
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        let entry = NewAudit {
            at_ms,
            actor,
            event,
            action: AuditAction::AutotuneChanged,
            before: Some(serde_json::json!({"enabled": true})),
            after: Some(serde_json::json!({"enabled": false, "reason": "manual_rate_change"})),
        };
        insert_audit(conn, &entry).await?;
    }
    Ok(())
}

/// The settings as the admission PATCH answers them.
pub fn settings_json(s: &AdmissionSettings) -> Value {
    serde_json::json!({
        "rate_per_minute": s.rate_per_minute,
        "max_active": s.max_active,
        "session_ttl_secs": s.session_ttl_secs,
        "paused": s.paused,
        "mode": s.mode,
        "message": s.message,
        "safety_net": s.safety_net,
    })
}

fn entry_from_row(r: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at_ms: r.try_get("at_ms")?,
        actor: Actor {
            id: parse(r, "actor_id")?,
            email: r.try_get("actor_email")?,
        },
        event: parse(r, "event_id")?,
        action: r.try_get("action")?,
        before: json_column(r, "before_json")?,
        after: json_column(r, "after_json")?,
    })
}

fn parse<T>(r: &AnyRow, column: &str) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = r.try_get(column)?;
    s.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn json_column(r: &AnyRow, column: &str) -> Result<Option<Value>, sqlx::Error> {
    let text: Option<String> = r.try_get(column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_json_is_the_patch_answer() {
        let s = AdmissionSettings {
            rate_per_minute: 120,
            max_active: 50,
            session_ttl_secs: 600,
            paused: true,
            mode: Default::default(),
            message: None,
            safety_net: None,
        };
        // The PATCH answers the settings serialized; the audit must show the same.
        assert_eq!(settings_json(&s), serde_json::to_value(s).unwrap());
    }
}
