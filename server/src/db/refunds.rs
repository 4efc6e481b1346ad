//! Refunds: an order turns `refunded` and lets its seats go, in one transaction.
//! Nothing is deleted but the order's rows in `order_seats` (the seats currently
//! sold); the order and its `order_lines` stay, with who refunded it, when, why and
//! how much. The account's count under `max_seats_per_account` gets the seats back.

use sqlx::Row;
use waiting_room::{EventId, UserId};

use super::audit::{insert_audit, Actor, AuditAction, NewAudit};
use super::order_rows::ORDER_SELECT;
use super::records::{Order, Refund};
use super::Db;
use crate::metrics::DbOp;

/// What a refund did.
#[derive(Debug)]
pub enum Refunded {
    /// Refunded now: the order as it is after the refund.
    Now(Order),
    /// It was refunded before (by this call's twin or an earlier one): as stored.
    Already(Order),
    /// No such order.
    NotFound,
}

/// A refund to record: when, by whom, why; an admin's refund is also audited
/// (`audit`: the admin, and the order's JSON before and after).
pub struct RefundRequest<'a> {
    pub at_ms: i64,
    pub by: UserId,
    pub reason: Option<&'a str>,
    pub audit: Option<&'a Actor>,
    /// Webhook deliveries telling the refund, written in its transaction (only by the
    /// call that refunds the order).
    pub outbox: &'a [super::webhooks::NewDelivery],
}

impl Db {
    /// The order `id` with its seats (refunded or not).
    pub async fn order_by_id(&self, id: &str) -> Result<Option<Order>, sqlx::Error> {
        self.timed(DbOp::OrderById, async {
            let rows = sqlx::query(&format!(
                "{ORDER_SELECT} WHERE o.id = $1 ORDER BY s.seat_index"
            ))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            Ok(super::order_rows::group(&rows)?.into_iter().next())
        })
        .await
    }

    /// Seats the account holds in confirmed orders of the event (refunds given back).
    pub async fn account_seats(&self, event: EventId, user: UserId) -> Result<u32, sqlx::Error> {
        self.timed(DbOp::AccountSeats, async {
            let seats: Option<i64> = sqlx::query_scalar(
                "SELECT seats FROM account_seats WHERE event_id = $1 AND user_id = $2",
            )
            .bind(event.to_string())
            .bind(user.to_string())
            .fetch_optional(self.pool())
            .await?;
            Ok(u32::try_from(seats.unwrap_or(0)).unwrap_or(u32::MAX))
        })
        .await
    }

    /// Refunds order `id` in one transaction: the conditional status change first
    /// (only a `confirmed` order changes, so of concurrent refunds exactly one does
    /// the rest: PostgreSQL's row lock re-checks the condition, SQLite's write lock
    /// runs them one after the other), then the order's `order_seats` rows go (the
    /// seats may be sold again), the account's count gets the seats back, and an
    /// admin's refund is audited. The seat store is the caller's next step.
    pub async fn refund_order(
        &self,
        id: &str,
        refund: &RefundRequest<'_>,
    ) -> Result<Refunded, sqlx::Error> {
        self.timed(DbOp::RefundOrder, self.refund_untimed(id, refund))
            .await
    }

    async fn refund_untimed(
        &self,
        id: &str,
        refund: &RefundRequest<'_>,
    ) -> Result<Refunded, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let changed = sqlx::query(
            "UPDATE orders SET status = 'refunded', refunded_at_ms = $2, refunded_by = $3, \
             refund_reason = $4, refunded_cents = total_cents \
             WHERE id = $1 AND status = 'confirmed'",
        )
        .bind(id)
        .bind(refund.at_ms)
        .bind(refund.by.to_string())
        .bind(refund.reason)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(match self.order_by_id(id).await? {
                Some(order) => Refunded::Already(order),
                None => Refunded::NotFound,
            });
        }
        let row = sqlx::query("SELECT event_id, user_id FROM orders WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let event: String = row.try_get("event_id")?;
        let user: String = row.try_get("user_id")?;
        let released = sqlx::query("DELETE FROM order_seats WHERE order_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "UPDATE account_seats SET seats = seats - $3 WHERE event_id = $1 AND user_id = $2",
        )
        .bind(&event)
        .bind(&user)
        .bind(i64::try_from(released).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        let order = {
            let rows = sqlx::query(&format!(
                "{ORDER_SELECT} WHERE o.id = $1 ORDER BY s.seat_index"
            ))
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            super::order_rows::group(&rows)?
                .into_iter()
                .next()
                .ok_or(sqlx::Error::RowNotFound)?
        };
        if let Some(actor) = refund.audit {
            let entry = NewAudit {
                at_ms: refund.at_ms,
                actor,
                event: order.event,
                action: AuditAction::OrderRefunded,
                before: Some(order_json(&Order {
                    refund: None,
                    ..order.clone()
                })),
                after: Some(order_json(&order)),
            };
            insert_audit(&mut tx, &entry).await?;
        }
        super::webhooks::insert_deliveries(&mut tx, refund.outbox).await?;
        tx.commit().await?;
        Ok(Refunded::Now(order))
    }
}

/// An order as the audit log keeps it (seat indexes; the answer names them).
pub fn order_json(order: &Order) -> serde_json::Value {
    let refund: Option<&Refund> = order.refund.as_ref();
    serde_json::json!({
        "order_id": order.id,
        "user_id": order.user.to_string(),
        "status": order.status().as_str(),
        "seats": order.seats,
        "total_cents": order.total_cents,
        "refunded_cents": refund.map_or(0, |r| r.cents),
        "refunded_by": refund.map(|r| r.by.to_string()),
        "refund_reason": refund.and_then(|r| r.reason.clone()),
        "refunded_at_ms": refund.map(|r| r.at_ms),
    })
}
