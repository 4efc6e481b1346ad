//! Webhooks' tables: the endpoints, the outbox of deliveries with their attempts, the
//! sale states the poller told, and the endpoints' audit. The outbox is written by
//! [`insert_deliveries`] (db/outbox.rs) on the caller's connection, so a fact and the deliveries that
//! tell it commit together (the confirm, the refund). Claiming due deliveries is safe
//! with several replicas: a lease column, taken with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL and by the one-writer lock of a single UPDATE on SQLite.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use waiting_room::EventId;

use super::audit::Actor;
pub(crate) use super::outbox::insert_deliveries;
pub use super::outbox::RETRY_FOR_MS;
pub use super::records::NewDelivery;
use super::{Backend, Db};

/// A registered endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    /// Event type names, or `["*"]`.
    pub events: Vec<String>,
    /// `whsec_…`.
    pub secret: String,
    pub description: Option<String>,
    pub created_at_ms: i64,
}

/// A delivery as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub created_at_ms: i64,
    /// After a failed attempt past this time, the delivery is marked failed.
    pub give_up_at_ms: i64,
    pub next_attempt_at_ms: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at_ms: Option<i64>,
}

/// One attempt at a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub attempt: i64,
    pub at_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What an attempt ended with, and what becomes of the delivery.
#[derive(Clone, Debug)]
pub struct AttemptOutcome {
    pub at_ms: i64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// `delivered`, `failed`, or `pending` (then due again at `next_attempt_at_ms`).
    pub status: &'static str,
    pub next_attempt_at_ms: i64,
}

/// One entry of the webhooks' audit log.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookAuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor: Actor,
    pub endpoint_id: String,
    pub action: String,
    pub detail: Option<serde_json::Value>,
}

/// A sale's states as last told to webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaleState {
    pub opened: bool,
    pub sold_out: bool,
    pub paused: bool,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, message_id, event_type, payload, status, \
     attempts, created_at_ms, give_up_at_ms, next_attempt_at_ms, last_status_code, last_error, delivered_at_ms";

impl Db {
    /// Stores a new endpoint, with its audit entry, in one transaction.
    pub async fn insert_webhook_endpoint(
        &self,
        endpoint: &EndpointRow,
        actor: &Actor,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, events_json, secret, description, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&endpoint.id)
        .bind(&endpoint.url)
        .bind(serde_json::to_string(&endpoint.events).unwrap_or_default())
        .bind(&endpoint.secret)
        .bind(&endpoint.description)
        .bind(endpoint.created_at_ms)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({"url": endpoint.url, "events": endpoint.events});
        let change = EndpointChange::new(actor, endpoint.created_at_ms, &endpoint.id);
        change
            .commit(tx, 1, "webhook_created", detail)
            .await
            .map(drop)
    }

    /// The webhooks' audit log, newest first, at most `limit` entries.
    pub async fn webhook_audit(&self, limit: u32) -> Result<Vec<WebhookAuditRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, at_ms, actor_id, actor_email, endpoint_id, action, detail_json \
             FROM webhook_audit ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let actor: String = r.try_get("actor_id")?;
                let detail: Option<String> = r.try_get("detail_json")?;
                Ok::<_, sqlx::Error>(WebhookAuditRow {
                    id: r.try_get("id")?,
                    at_ms: r.try_get("at_ms")?,
                    actor: Actor {
                        id: actor
                            .parse()
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                        email: r.try_get("actor_email")?,
                    },
                    endpoint_id: r.try_get("endpoint_id")?,
                    action: r.try_get("action")?,
                    detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
                })
            })
            .collect()
    }

    /// Every endpoint, oldest first.
    pub async fn webhook_endpoints(&self) -> Result<Vec<EndpointRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, url, events_json, secret, description, created_at_ms \
             FROM webhook_endpoints ORDER BY created_at_ms, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    /// Deletes an endpoint and its deliveries; false when there was none.
    pub async fn delete_webhook_endpoint(
        &self,
        id: &str,
        actor: &Actor,
        at_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        // SQLite's foreign keys cascade; said explicitly so that both do the same.
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let change = EndpointChange::new(actor, at_ms, id);
        change
            .commit(tx, gone, "webhook_deleted", Value::Null)
            .await
    }

    /// Replaces an endpoint's secret; false when there is no such endpoint.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: &str,
        actor: &Actor,
        at_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query("UPDATE webhook_endpoints SET secret = $2 WHERE id = $1")
            .bind(id)
            .bind(secret)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let change = EndpointChange::new(actor, at_ms, id);
        change
            .commit(tx, changed, "webhook_secret_rotated", Value::Null)
            .await
    }

    /// Writes deliveries on their own (facts with no transaction of their own).
    pub async fn insert_webhook_deliveries(&self, rows: &[NewDelivery]) -> Result<(), sqlx::Error> {
        let mut conn = self.pool().acquire().await?;
        insert_deliveries(&mut conn, rows).await
    }

    /// Leases up to `limit` due deliveries until `lease_until_ms`: pending, due, and not
    /// leased by another worker (or their lease lapsed: that worker died).
    pub async fn claim_webhook_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>, sqlx::Error> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET lease_until_ms = $2 WHERE id IN \
             (SELECT id FROM webhook_deliveries WHERE status = 'pending' \
             AND next_attempt_at_ms <= $1 AND lease_until_ms <= $1 \
             ORDER BY next_attempt_at_ms LIMIT $3{lock}) RETURNING {DELIVERY_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(now_ms)
            .bind(lease_until_ms)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// Records one attempt and the delivery's new state, if the worker still holds
    /// its lease (`lease_until_ms`); false when it lost it (or the endpoint went).
    pub async fn record_webhook_attempt(
        &self,
        delivery: &str,
        lease_until_ms: i64,
        outcome: &AttemptOutcome,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $3, \
             next_attempt_at_ms = $4, lease_until_ms = 0, last_status_code = $5, \
             last_error = $6, delivered_at_ms = $7 \
             WHERE id = $1 AND lease_until_ms = $2 AND status = 'pending' RETURNING attempts",
        )
        .bind(delivery)
        .bind(lease_until_ms)
        .bind(outcome.status)
        .bind(outcome.next_attempt_at_ms)
        .bind(outcome.status_code.map(i64::from))
        .bind(&outcome.error)
        .bind((outcome.status == "delivered").then_some(outcome.at_ms))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = changed else {
            tx.rollback().await?;
            return Ok(false);
        };
        let attempt: i64 = row.try_get("attempts")?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at_ms, status_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(delivery)
        .bind(attempt)
        .bind(outcome.at_ms)
        .bind(outcome.status_code.map(i64::from))
        .bind(&outcome.error)
        .bind(outcome.duration_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// An endpoint's newest deliveries, at most `limit`.
    pub async fn webhook_deliveries(
        &self,
        endpoint: &str,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
             ORDER BY created_at_ms DESC, id DESC LIMIT $2"
        ))
        .bind(endpoint)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// The attempts at `deliveries`, in attempt order.
    pub async fn webhook_attempts(
        &self,
        deliveries: &[String],
    ) -> Result<Vec<AttemptRow>, sqlx::Error> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=deliveries.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT delivery_id, attempt, at_ms, status_code, error, duration_ms \
             FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, attempt",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for d in deliveries {
            q = q.bind(d);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(attempt_from_row).collect()
    }

    /// Makes a delivery of `endpoint` due now again ("send again"), whatever its state;
    /// its attempts are kept and it gets a fresh day of retries from now. `None`: no
    /// such delivery.
    pub async fn retry_webhook_delivery(
        &self,
        endpoint: &str,
        delivery: &str,
        now_ms: i64,
        actor: &Actor,
    ) -> Result<Option<DeliveryRow>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at_ms = $3, \
             lease_until_ms = 0, give_up_at_ms = $4 WHERE id = $2 AND endpoint_id = $1 \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(endpoint)
        .bind(delivery)
        .bind(now_ms)
        .bind(now_ms.saturating_add(RETRY_FOR_MS))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let detail = serde_json::json!({"delivery_id": delivery});
        let change = EndpointChange::new(actor, now_ms, endpoint);
        change
            .commit(tx, 1, "webhook_delivery_retried", detail)
            .await?;
        delivery_from_row(&row).map(Some)
    }

    /// The sale states last told for `event` (`None`: never looked at).
    pub async fn webhook_sale_state(
        &self,
        event: EventId,
    ) -> Result<Option<SaleState>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT opened, sold_out, paused FROM webhook_sale_states WHERE event_id = $1",
        )
        .bind(event.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(sale_state_from_row).transpose()
    }

    /// Records `event`'s first seen states (no delivery: nothing changed).
    pub async fn init_webhook_sale_state(
        &self,
        event: EventId,
        s: SaleState,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO webhook_sale_states (event_id, opened, sold_out, paused) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event.to_string())
        .bind(i64::from(s.opened))
        .bind(i64::from(s.sold_out))
        .bind(i64::from(s.paused))
        .execute(self.pool())
        .await
        .map(|_| ())
    }

    /// Moves `event`'s state from `from` to `to` and writes `deliveries`, in one
    /// transaction, if the stored state is still `from`: of replicas that saw the same
    /// change, exactly one tells it. True when this call did.
    pub async fn change_webhook_sale_state(
        &self,
        event: EventId,
        from: SaleState,
        to: SaleState,
        deliveries: &[NewDelivery],
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE webhook_sale_states SET opened = $5, sold_out = $6, paused = $7 \
             WHERE event_id = $1 AND opened = $2 AND sold_out = $3 AND paused = $4",
        )
        .bind(event.to_string())
        .bind(i64::from(from.opened))
        .bind(i64::from(from.sold_out))
        .bind(i64::from(from.paused))
        .bind(i64::from(to.opened))
        .bind(i64::from(to.sold_out))
        .bind(i64::from(to.paused))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_deliveries(&mut tx, deliveries).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// A change of one endpoint by an admin, for its entry in the webhooks' audit log.
struct EndpointChange<'a> {
    actor: &'a Actor,
    at_ms: i64,
    endpoint: &'a str,
}

impl<'a> EndpointChange<'a> {
    fn new(actor: &'a Actor, at_ms: i64, endpoint: &'a str) -> Self {
        Self {
            actor,
            at_ms,
            endpoint,
        }
    }

    /// Ends the change made in `tx`, which touched `rows` rows: none (no such
    /// endpoint or delivery) rolls it back and answers false; else its entry `action`
    /// (with `detail`, `null` for none) is written in the same transaction, which
    /// commits.
    async fn commit(
        &self,
        mut tx: Transaction<'_, Any>,
        rows: u64,
        action: &str,
        detail: Value,
    ) -> Result<bool, sqlx::Error> {
        if rows == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_audit (at_ms, actor_id, actor_email, endpoint_id, action, detail_json) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.at_ms)
        .bind(self.actor.id.to_string())
        .bind(self.actor.email.clone())
        .bind(self.endpoint)
        .bind(action)
        .bind((!detail.is_null()).then(|| detail.to_string()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn endpoint_from_row(r: &AnyRow) -> Result<EndpointRow, sqlx::Error> {
    let events: String = r.try_get("events_json")?;
    Ok(EndpointRow {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        events: serde_json::from_str(&events).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        secret: r.try_get("secret")?,
        description: r.try_get("description")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<DeliveryRow, sqlx::Error> {
    Ok(DeliveryRow {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        message_id: r.try_get("message_id")?,
        event_type: r.try_get("event_type")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        created_at_ms: r.try_get("created_at_ms")?,
        give_up_at_ms: r.try_get("give_up_at_ms")?,
        next_attempt_at_ms: r.try_get("next_attempt_at_ms")?,
        last_status_code: r.try_get("last_status_code")?,
        last_error: r.try_get("last_error")?,
        delivered_at_ms: r.try_get("delivered_at_ms")?,
    })
}

fn attempt_from_row(r: &AnyRow) -> Result<AttemptRow, sqlx::Error> {
    Ok(AttemptRow {
        delivery_id: r.try_get("delivery_id")?,
        attempt: r.try_get("attempt")?,
        at_ms: r.try_get("at_ms")?,
        status_code: r.try_get("status_code")?,
        error: r.try_get("error")?,
        duration_ms: r.try_get("duration_ms")?,
    })
}

fn sale_state_from_row(r: &AnyRow) -> Result<SaleState, sqlx::Error> {
    Ok(SaleState {
        opened: r.try_get::<i64, _>("opened")? != 0,
        sold_out: r.try_get::<i64, _>("sold_out")? != 0,
        paused: r.try_get::<i64, _>("paused")? != 0,
    })
}
