//! Autotune's rows (migration 0018): each event's setting (with its audit entry, in
//! the transaction of the change), each replica's published checkout figures, and the
//! controller's lease.

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use waiting_room::EventId;

use super::audit::{insert_audit, Actor, AuditAction, NewAudit};
use super::events::parse_id;
use super::Db;

/// An event's autotune setting as stored (the error-rate target in basis points).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutotuneRow {
    pub enabled: bool,
    pub min_rate: u32,
    pub max_rate: u32,
    pub p99_target_ms: u32,
    pub error_target_bp: u32,
}

impl AutotuneRow {
    fn json(&self) -> serde_json::Value {
        json!({
            "enabled": self.enabled,
            "min_rate_per_minute": self.min_rate,
            "max_rate_per_minute": self.max_rate,
            "p99_target_ms": self.p99_target_ms,
            "error_rate_target": f64::from(self.error_target_bp) / 10_000.0,
        })
    }
}

/// One replica's figures as it published them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutFigureRow {
    pub replica: String,
    pub at_ms: i64,
    pub requests: u64,
    pub errors: u64,
    pub buckets: Vec<u64>,
}

/// The name of the controller's one lease row.
const LEASE: &str = "autotune";

impl Db {
    /// The event's autotune setting, `None` if none was ever stored.
    pub async fn autotune(&self, event: EventId) -> Result<Option<AutotuneRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT enabled, min_rate, max_rate, p99_target_ms, error_target_bp \
             FROM event_autotune WHERE event_id = $1",
        )
        .bind(event.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(autotune_from_row).transpose()
    }

    /// The open events with autotune on, and their settings.
    pub async fn autotuned_events(&self) -> Result<Vec<(EventId, AutotuneRow)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT a.event_id, a.enabled, a.min_rate, a.max_rate, a.p99_target_ms, \
             a.error_target_bp FROM event_autotune a JOIN events e ON e.id = a.event_id \
             WHERE a.enabled = 1 AND e.closed = 0 AND e.preparing = 0",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((parse_id(r, "event_id")?, autotune_from_row(r)?)))
            .collect()
    }

    /// Stores the event's setting, with its audit entry (`autotune_changed`) when it
    /// changed, under the event's row lock (as admission changes take it). `Ok(None)`:
    /// no such event; else the setting before (`None`: never set) and now.
    pub async fn put_autotune(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        setting: AutotuneRow,
    ) -> Result<Option<Option<AutotuneRow>>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let locked = sqlx::query("UPDATE events SET paused = paused WHERE id = $1")
            .bind(event.to_string())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Ok(None);
        }
        let before = sqlx::query(
            "SELECT enabled, min_rate, max_rate, p99_target_ms, error_target_bp \
             FROM event_autotune WHERE event_id = $1",
        )
        .bind(event.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(autotune_from_row)
        .transpose()?;
        sqlx::query(
            "INSERT INTO event_autotune (event_id, enabled, min_rate, max_rate, p99_target_ms, \
             error_target_bp, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (event_id) DO UPDATE SET enabled = excluded.enabled, \
             min_rate = excluded.min_rate, max_rate = excluded.max_rate, \
             p99_target_ms = excluded.p99_target_ms, error_target_bp = excluded.error_target_bp, \
             updated_at_ms = excluded.updated_at_ms",
        )
        .bind(event.to_string())
        .bind(i64::from(setting.enabled))
        .bind(i64::from(setting.min_rate))
        .bind(i64::from(setting.max_rate))
        .bind(i64::from(setting.p99_target_ms))
        .bind(i64::from(setting.error_target_bp))
        .bind(at_ms)
        .execute(&mut *tx)
        .await?;
        if before != Some(setting) {
            let entry = NewAudit {
                at_ms,
                actor,
                event,
                action: AuditAction::AutotuneChanged,
                before: before.as_ref().map(AutotuneRow::json),
                after: Some(setting.json()),
            };
            insert_audit(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(Some(before))
    }

    /// Writes this replica's figures (its row replaced).
    pub async fn publish_checkout_figures(
        &self,
        row: &CheckoutFigureRow,
    ) -> Result<(), sqlx::Error> {
        let buckets =
            serde_json::to_string(&row.buckets).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        sqlx::query(
            "INSERT INTO checkout_figures (replica, at_ms, requests, errors, buckets_json) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (replica) DO UPDATE SET \
             at_ms = excluded.at_ms, requests = excluded.requests, errors = excluded.errors, \
             buckets_json = excluded.buckets_json",
        )
        .bind(&row.replica)
        .bind(row.at_ms)
        .bind(i64::try_from(row.requests).unwrap_or(i64::MAX))
        .bind(i64::try_from(row.errors).unwrap_or(i64::MAX))
        .bind(buckets)
        .execute(self.pool())
        .await
        .map(|_| ())
    }

    /// Every replica's figures published at or after `since_ms`; older rows (of
    /// replicas gone) are deleted on the way.
    pub async fn checkout_figures(
        &self,
        since_ms: i64,
    ) -> Result<Vec<CheckoutFigureRow>, sqlx::Error> {
        sqlx::query("DELETE FROM checkout_figures WHERE at_ms < $1")
            .bind(since_ms.saturating_sub(600_000))
            .execute(self.pool())
            .await?;
        let rows = sqlx::query(
            "SELECT replica, at_ms, requests, errors, buckets_json FROM checkout_figures \
             WHERE at_ms >= $1",
        )
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(figure_from_row).collect()
    }

    /// Takes or renews the controller's lease for `holder` until `until_ms`: taken if
    /// free, expired (before `now_ms`) or already `holder`'s. Answers whether
    /// `holder` holds it now. One conditional upsert: of replicas racing for an
    /// expired lease, the database lets one win.
    pub async fn take_autotune_lease(
        &self,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO autotune_lease (name, holder, expires_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_ms = excluded.expires_ms \
             WHERE autotune_lease.holder = excluded.holder OR autotune_lease.expires_ms < $4",
        )
        .bind(LEASE)
        .bind(holder)
        .bind(until_ms)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn number(r: &AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    let v: i64 = r.try_get(column)?;
    u32::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn autotune_from_row(r: &AnyRow) -> Result<AutotuneRow, sqlx::Error> {
    Ok(AutotuneRow {
        enabled: r.try_get::<i64, _>("enabled")? == 1,
        min_rate: number(r, "min_rate")?,
        max_rate: number(r, "max_rate")?,
        p99_target_ms: number(r, "p99_target_ms")?,
        error_target_bp: number(r, "error_target_bp")?,
    })
}

fn figure_from_row(r: &AnyRow) -> Result<CheckoutFigureRow, sqlx::Error> {
    let count = |c: &str| -> Result<u64, sqlx::Error> {
        let v: i64 = r.try_get(c)?;
        u64::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    };
    let text: String = r.try_get("buckets_json")?;
    Ok(CheckoutFigureRow {
        replica: r.try_get("replica")?,
        at_ms: r.try_get("at_ms")?,
        requests: count("requests")?,
        errors: count("errors")?,
        buckets: serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
    })
}
