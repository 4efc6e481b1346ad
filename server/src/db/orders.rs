//! Orders: written in one transaction with their seats; the primary key on
//! (event_id, seat_index) refuses a second sale of a seat, and the unique hold id
//! makes a retried confirm find the order it already wrote.

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::Row;
use waiting_room::{EventId, UserId};

use super::order_batch::OrderWriter;
use super::records::{int, Order, Written};
use super::Db;
use crate::metrics::DbOp;

/// Attempts at one order write when the database aborts it (deadlock, serialization).
const WRITE_ATTEMPTS: u32 = 3;

/// SQLSTATEs of a transaction the database aborted and a retry may pass:
/// `40P01` deadlock detected, `40001` serialization failure.
fn retryable(sqlstate: Option<&str>) -> bool {
    matches!(sqlstate, Some("40P01" | "40001"))
}

/// Rows per multi-row INSERT (SQLite allows 32,766 bound values per statement).
pub(super) const BATCH_ROWS: usize = 1_000;

impl Db {
    /// Writes the order and its seats atomically and commits before returning. On
    /// PostgreSQL it goes through the group commit (`order_batch`): orders confirmed
    /// together share a transaction.
    pub async fn write_order(&self, order: &Order) -> Result<Written, sqlx::Error> {
        self.timed(DbOp::WriteOrder, async {
            match &self.batcher {
                Some(batcher) => batcher.write(order.clone()).await,
                None => self.write_order_direct(order).await,
            }
        })
        .await
    }

    /// Writes one order on its own. On PostgreSQL one statement does it (a
    /// data-modifying CTE: one round trip, one commit); SQLite takes a transaction of
    /// two statements.
    ///
    /// A transaction PostgreSQL aborted to break a deadlock (or a serialization
    /// failure) is retried: a confirm batch and a lone retry of the same hold can
    /// wait on each other in the hold id's unique index. The write is idempotent (a
    /// second attempt finds the order by its hold id), so retrying loses nothing.
    async fn write_order_direct(&self, order: &Order) -> Result<Written, sqlx::Error> {
        let mut attempt = 1;
        loop {
            match self.write_order_once(order).await {
                Err(sqlx::Error::Database(e))
                    if attempt < WRITE_ATTEMPTS && retryable(e.code().as_deref()) =>
                {
                    tracing::debug!(error = %e, attempt, "order write aborted by the database; retrying");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn write_order_once(&self, order: &Order) -> Result<Written, sqlx::Error> {
        if self.backend() == super::Backend::Postgres && order.seats.len() <= BATCH_ROWS {
            return self.write_order_in_one_statement(order).await;
        }
        let mut tx = self.pool().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms, \
             joined_at_ms, admitted_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&order.id)
        .bind(order.event.to_string())
        .bind(order.user.to_string())
        .bind(&order.hold_id)
        .bind(order.total_cents)
        .bind(order.created_at_ms)
        .bind(order.joined_at_ms)
        .bind(order.admitted_at_ms)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                tx.rollback().await?;
                return match self.order_by_hold(&order.hold_id).await? {
                    Some(existing) => Ok(Written::Existing(existing)),
                    None => Err(sqlx::Error::Database(e)),
                };
            }
            Err(e) => return Err(e),
        }
        let event = order.event.to_string();
        let rows: Vec<SeatRow> = order
            .seats
            .iter()
            .map(|s| (event.as_str(), i64::from(*s), order.id.as_str()))
            .collect();
        match insert_order_seats(&mut tx, &rows).await {
            Ok(()) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                tx.rollback().await?;
                return Ok(Written::SeatTaken);
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(Written::Created(order.clone()))
    }

    async fn write_order_in_one_statement(&self, order: &Order) -> Result<Written, sqlx::Error> {
        let values: Vec<String> = (0..order.seats.len())
            .map(|i| format!("($2, ${}, $1)", i + 9))
            .collect();
        let sql = format!(
            "WITH o AS (INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms, \
             joined_at_ms, admitted_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)) \
             INSERT INTO order_seats (event_id, seat_index, order_id) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(&order.id)
            .bind(order.event.to_string())
            .bind(order.user.to_string())
            .bind(&order.hold_id)
            .bind(order.total_cents)
            .bind(order.created_at_ms)
            .bind(order.joined_at_ms)
            .bind(order.admitted_at_ms);
        for seat in &order.seats {
            q = q.bind(i64::from(*seat));
        }
        match q.execute(self.pool()).await {
            Ok(_) => Ok(Written::Created(order.clone())),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                // Either this hold was confirmed already, or a seat is sold.
                match self.order_by_hold(&order.hold_id).await? {
                    Some(existing) => Ok(Written::Existing(existing)),
                    None => Ok(Written::SeatTaken),
                }
            }
            Err(e) => Err(e),
        }
    }

    pub async fn order_by_hold(&self, hold_id: &str) -> Result<Option<Order>, sqlx::Error> {
        self.timed(DbOp::OrderByHold, async {
            let rows = sqlx::query(&format!(
                "{ORDER_SELECT} WHERE o.hold_id = $1 ORDER BY s.seat_index"
            ))
            .bind(hold_id)
            .fetch_all(self.pool())
            .await?;
            Ok(group(&rows)?.into_iter().next())
        })
        .await
    }

    /// The account's orders, newest first.
    pub async fn orders_of(&self, user: UserId) -> Result<Vec<Order>, sqlx::Error> {
        self.timed(DbOp::OrdersOf, async {
            let rows = sqlx::query(&format!(
            "{ORDER_SELECT} WHERE o.user_id = $1 ORDER BY o.created_at_ms DESC, o.id, s.seat_index"
        ))
            .bind(user.to_string())
            .fetch_all(self.pool())
            .await?;
            group(&rows)
        })
        .await
    }

    /// The sum of the event's confirmed orders' totals (every stored order is
    /// confirmed). One aggregate over the `orders_by_event` index.
    pub async fn revenue_cents(&self, event: EventId) -> Result<i64, sqlx::Error> {
        self.timed(DbOp::Revenue, async {
            // PostgreSQL's SUM(bigint) is NUMERIC, which the Any driver cannot decode.
            sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) FROM orders WHERE event_id = $1",
        )
        .bind(event.to_string())
        .fetch_one(self.pool())
        .await
        })
        .await
    }

    /// Every sold seat of an event (to rebuild the store's seat state).
    pub async fn sold_seats(&self, event: EventId) -> Result<Vec<u32>, sqlx::Error> {
        self.timed(DbOp::SoldSeats, async {
            let rows = sqlx::query(
                "SELECT seat_index FROM order_seats WHERE event_id = $1 ORDER BY seat_index",
            )
            .bind(event.to_string())
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(|r| int(r, "seat_index")).collect()
        })
        .await
    }
}

/// The group commit's writers write through the database directly.
impl OrderWriter for Db {
    async fn write_batch(&self, orders: &[&Order]) -> Result<HashSet<String>, sqlx::Error> {
        self.timed(DbOp::OrderBatch, self.write_batch_untimed(orders))
            .await
    }

    fn batch_taken(&self, orders: usize) {
        self.observe_batch(orders);
    }

    async fn write_one(&self, order: &Order) -> Result<Written, sqlx::Error> {
        self.write_order_direct(order).await
    }
}

impl Db {
    async fn write_batch_untimed(&self, orders: &[&Order]) -> Result<HashSet<String>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let values: Vec<String> = (0..orders.len())
            .map(|i| {
                let p = 8 * i;
                let n: Vec<String> = (1..=8).map(|k| format!("${}", p + k)).collect();
                format!("({})", n.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms, \
             joined_at_ms, admitted_at_ms) VALUES {} ON CONFLICT (hold_id) DO NOTHING RETURNING id",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for o in orders {
            q = q
                .bind(&o.id)
                .bind(o.event.to_string())
                .bind(o.user.to_string())
                .bind(&o.hold_id)
                .bind(o.total_cents)
                .bind(o.created_at_ms)
                .bind(o.joined_at_ms)
                .bind(o.admitted_at_ms);
        }
        let created: HashSet<String> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        let events: Vec<String> = orders.iter().map(|o| o.event.to_string()).collect();
        let rows: Vec<SeatRow> = orders
            .iter()
            .zip(&events)
            .filter(|(o, _)| created.contains(&o.id))
            .flat_map(|(o, event)| {
                o.seats
                    .iter()
                    .map(move |s| (event.as_str(), i64::from(*s), o.id.as_str()))
            })
            .collect();
        insert_order_seats(&mut tx, &rows).await?;
        tx.commit().await?;
        Ok(created)
    }
}

/// One row of `order_seats`: event id, seat index, order id.
type SeatRow<'a> = (&'a str, i64, &'a str);

/// Inserts seat rows in multi-row statements of [`BATCH_ROWS`] (a taken seat fails
/// with the primary key's unique violation).
async fn insert_order_seats(
    conn: &mut sqlx::AnyConnection,
    rows: &[SeatRow<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO order_seats (event_id, seat_index, order_id) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (event, seat, order) in chunk {
            q = q.bind(*event).bind(*seat).bind(*order);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

const ORDER_SELECT: &str =
    "SELECT o.id, o.event_id, o.user_id, o.hold_id, o.total_cents, o.created_at_ms, \
     o.joined_at_ms, o.admitted_at_ms, s.seat_index FROM orders o JOIN order_seats s ON s.order_id = o.id";

/// Folds (order × seat) rows into orders, keeping the rows' order of first appearance.
fn group(rows: &[AnyRow]) -> Result<Vec<Order>, sqlx::Error> {
    let mut orders: Vec<Order> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let id: String = r.try_get("id")?;
        let seat = int(r, "seat_index")?;
        if let Some(i) = at.get(&id) {
            orders[*i].seats.push(seat);
            continue;
        }
        let event: String = r.try_get("event_id")?;
        let user: String = r.try_get("user_id")?;
        at.insert(id.clone(), orders.len());
        orders.push(Order {
            id,
            event: event
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            user: user.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            hold_id: r.try_get("hold_id")?,
            total_cents: r.try_get("total_cents")?,
            seats: vec![seat],
            created_at_ms: r.try_get("created_at_ms")?,
            joined_at_ms: r.try_get("joined_at_ms")?,
            admitted_at_ms: r.try_get("admitted_at_ms")?,
        });
    }
    Ok(orders)
}

#[cfg(test)]
mod tests {
    use super::retryable;

    #[test]
    fn only_aborted_transactions_are_retried() {
        assert!(retryable(Some("40P01")));
        assert!(retryable(Some("40001")));
        assert!(
            !retryable(Some("23505")),
            "a unique violation is an answer, not a retry"
        );
        assert!(!retryable(None));
    }
}
