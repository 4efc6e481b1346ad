//! Staff bypass's rows (docs/ARCHITECTURE.md, "Staff bypass"): each event's staff
//! accounts (`event_staff`, migration 0020), edited as a whole list with its audit
//! entry, and the `staff_bypass` entry each bypass writes.

use serde_json::json;
use sqlx::Row;
use waiting_room::{EventId, UserId};

use super::audit::{insert_audit, Actor, AuditAction, NewAudit};
use super::Db;

/// One staff account of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub user: UserId,
    pub email: String,
}

/// What [`Db::set_event_staff`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffChange {
    /// No such event.
    NoEvent,
    /// Emails with no account (in the order given): nothing changed.
    Unknown(Vec<String>),
    /// The list as stored now (by email).
    Set(Vec<StaffMember>),
}

fn parse_id<T>(raw: &str) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    raw.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

async fn staff_in(
    conn: &mut sqlx::AnyConnection,
    event: EventId,
) -> Result<Vec<StaffMember>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.user_id, u.email FROM event_staff s JOIN users u ON u.id = s.user_id \
         WHERE s.event_id = $1 ORDER BY u.email",
    )
    .bind(event.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StaffMember {
                user: parse_id(&r.try_get::<String, _>("user_id")?)?,
                email: r.try_get("email")?,
            })
        })
        .collect()
}

fn emails(list: &[StaffMember]) -> serde_json::Value {
    json!({ "staff": list.iter().map(|m| m.email.as_str()).collect::<Vec<_>>() })
}

impl Db {
    /// The event's staff accounts, by email.
    pub async fn event_staff(&self, event: EventId) -> Result<Vec<StaffMember>, sqlx::Error> {
        let mut conn = self.pool().acquire().await?;
        staff_in(&mut conn, event).await
    }

    /// Every event's staff accounts (the replicas' cache, refreshed every few seconds).
    pub async fn all_event_staff(&self) -> Result<Vec<(EventId, UserId)>, sqlx::Error> {
        let rows = sqlx::query("SELECT event_id, user_id FROM event_staff")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id(&r.try_get::<String, _>("event_id")?)?,
                    parse_id(&r.try_get::<String, _>("user_id")?)?,
                ))
            })
            .collect()
    }

    /// Replaces the event's staff with the accounts of `emails` (normalised, without
    /// repeats), in one transaction with its `staff_changed` entry (none when the list
    /// stays the same). An email with no account changes nothing
    /// ([`StaffChange::Unknown`]).
    pub async fn set_event_staff(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        emails_in: &[String],
    ) -> Result<StaffChange, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        // The event's row lock (as admission changes take it): edits apply one by one.
        let locked = sqlx::query("UPDATE events SET paused = paused WHERE id = $1")
            .bind(event.to_string())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Ok(StaffChange::NoEvent);
        }
        let mut ids = Vec::with_capacity(emails_in.len());
        let mut unknown = Vec::new();
        for email in emails_in {
            let row = sqlx::query("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                Some(r) => ids.push(parse_id::<UserId>(&r.try_get::<String, _>("id")?)?),
                None => unknown.push(email.clone()),
            }
        }
        if !unknown.is_empty() {
            tx.rollback().await?;
            return Ok(StaffChange::Unknown(unknown));
        }
        let before = staff_in(&mut tx, event).await?;
        sqlx::query("DELETE FROM event_staff WHERE event_id = $1")
            .bind(event.to_string())
            .execute(&mut *tx)
            .await?;
        for id in &ids {
            sqlx::query("INSERT INTO event_staff (event_id, user_id) VALUES ($1, $2)")
                .bind(event.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let after = staff_in(&mut tx, event).await?;
        if after != before {
            let entry = NewAudit {
                at_ms,
                actor,
                event,
                action: AuditAction::StaffChanged,
                before: Some(emails(&before)),
                after: Some(emails(&after)),
            };
            insert_audit(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(StaffChange::Set(after))
    }

    /// The `staff_bypass` entry of one bypass: `staff` joined `event`'s line and was
    /// `admitted` (its sequence number) at `at_ms`, through `door` (`socket`, `http`).
    pub async fn record_staff_bypass(
        &self,
        event: EventId,
        staff: &Actor,
        at_ms: i64,
        detail: serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        let mut conn = self.pool().acquire().await?;
        let entry = NewAudit {
            at_ms,
            actor: staff,
            event,
            action: AuditAction::StaffBypass,
            before: None,
            after: Some(detail),
        };
        insert_audit(&mut conn, &entry).await
    }
}
