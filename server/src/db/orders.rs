//! Orders: written in one transaction with their seats; the primary key on
//! (event_id, seat_index) refuses a second sale of a seat, and the unique hold id
//! makes a retried confirm find the order it already wrote.

use sqlx::Row;
use waiting_room::{EventId, UserId};

use super::order_rows::{group, ORDER_SELECT};
use super::records::{int, Order, Written};
use super::webhooks::{insert_deliveries, NewDelivery};
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
        self.write_order_with(order, Vec::new()).await
    }

    /// [`Db::write_order`], with `outbox`: webhook deliveries telling the order,
    /// written in its transaction when (and only when) the order is created. Empty,
    /// the write is exactly [`Db::write_order`]'s.
    pub async fn write_order_with(
        &self,
        order: &Order,
        outbox: Vec<NewDelivery>,
    ) -> Result<Written, sqlx::Error> {
        self.timed(DbOp::WriteOrder, async {
            match &self.batcher {
                Some(batcher) => batcher.write(order.clone(), outbox).await,
                None => self.write_order_direct(order, &outbox).await,
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
    pub(super) async fn write_order_direct(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
    ) -> Result<Written, sqlx::Error> {
        let mut attempt = 1;
        loop {
            match self.write_order_once(order, outbox).await {
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

    async fn write_order_once(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
    ) -> Result<Written, sqlx::Error> {
        if self.backend() == super::Backend::Postgres && order.seats.len() <= BATCH_ROWS {
            return self.write_order_in_one_statement(order, outbox).await;
        }
        // Whether the event counts seats per account cannot change once its sale has
        // opened (`event_edit`), so it is read before the transaction: a read first
        // in it would make SQLite's deferred transaction fail to take the write lock
        // when another write committed in between.
        let capped = self.has_account_cap(order.event).await?;
        let mut tx = self.pool().begin().await?;
        let seats = u32::try_from(order.seats.len()).unwrap_or(u32::MAX);
        if capped && !raise_account_seats(&mut tx, order.event, order.user, seats).await? {
            tx.rollback().await?;
            return self.refused_by_cap(order).await;
        }
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
        insert_order_lines(&mut tx, &[order.id.as_str()]).await?;
        insert_deliveries(&mut tx, outbox).await?;
        tx.commit().await?;
        Ok(Written::Created(order.clone()))
    }

    /// Whether the event has a `max_seats_per_account` (its confirms count each
    /// account's seats in `account_seats`; without one nothing is counted).
    async fn has_account_cap(&self, event: EventId) -> Result<bool, sqlx::Error> {
        let cap: Option<Option<i64>> =
            sqlx::query_scalar("SELECT max_seats_per_account FROM events WHERE id = $1")
                .bind(event.to_string())
                .fetch_optional(self.pool())
                .await?;
        Ok(cap.flatten().is_some())
    }

    /// What a write the account's cap refused answers: the order this hold already
    /// wrote (a retried confirm), else how many seats the account holds.
    async fn refused_by_cap(&self, order: &Order) -> Result<Written, sqlx::Error> {
        if let Some(existing) = self.order_by_hold(&order.hold_id).await? {
            return Ok(Written::Existing(existing));
        }
        let bought = self.account_seats(order.event, order.user).await?;
        Ok(Written::OverAccountCap { bought })
    }

    /// One statement: where the event has a cap, the account's seat count raised
    /// under it (`cap`, no row when refused), then the order, its lines and its seats,
    /// all conditional on `ok` (no cap, or raised). PostgreSQL runs every
    /// data-modifying CTE exactly once; the foreign keys are checked at the
    /// statement's end.
    ///
    /// With an `outbox`, the statement and the deliveries' insert share a transaction
    /// (the deliveries written only when the order was).
    async fn write_order_in_one_statement(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
    ) -> Result<Written, sqlx::Error> {
        let first = 10;
        let list: Vec<String> = (0..order.seats.len())
            .map(|i| format!("${}", i + first))
            .collect();
        let list = list.join(", ");
        let sql = format!(
            "WITH ev AS (SELECT max_seats_per_account AS m FROM events WHERE id = $2), \
             cap AS ({RAISE_ACCOUNT_SEATS} RETURNING seats), \
             ok AS (SELECT 1 AS one FROM ev WHERE m IS NULL UNION ALL SELECT 1 FROM cap), \
             o AS (INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms, \
             joined_at_ms, admitted_at_ms) SELECT $1, $2, $3, $4, $5, $6, $8, $9 FROM ok), \
             l AS (INSERT INTO order_lines (order_id, event_id, seat_index, price_cents) \
             SELECT $1, s.event_id, s.seat_index, s.price_cents FROM seats s, ok \
             WHERE s.event_id = $2 AND s.seat_index IN ({list})), \
             os AS (INSERT INTO order_seats (event_id, seat_index, order_id) \
             SELECT s.event_id, s.seat_index, $1 FROM seats s, ok \
             WHERE s.event_id = $2 AND s.seat_index IN ({list})) \
             SELECT COUNT(*) AS n FROM ok"
        )
        .replace("$RAISE_EVENT", "$2")
        .replace("$RAISE_USER", "$3")
        .replace("$RAISE_SEATS", "$7");
        let mut q = sqlx::query(&sql)
            .bind(&order.id)
            .bind(order.event.to_string())
            .bind(order.user.to_string())
            .bind(&order.hold_id)
            .bind(order.total_cents)
            .bind(order.created_at_ms)
            .bind(order.seats.len() as i64)
            .bind(order.joined_at_ms)
            .bind(order.admitted_at_ms);
        for seat in &order.seats {
            q = q.bind(i64::from(*seat));
        }
        let answer = if outbox.is_empty() {
            q.fetch_one(self.pool()).await
        } else {
            let mut tx = self.pool().begin().await?;
            match q.fetch_one(&mut *tx).await {
                Ok(row) if row.try_get::<i64, _>("n")? > 0 => {
                    insert_deliveries(&mut tx, outbox).await?;
                    tx.commit().await?;
                    Ok(row)
                }
                other => {
                    tx.rollback().await?;
                    other
                }
            }
        };
        match answer {
            Ok(row) if row.try_get::<i64, _>("n")? > 0 => Ok(Written::Created(order.clone())),
            Ok(_) => self.refused_by_cap(order).await,
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

    /// The sum of the event's orders' totals, net of refunds. One aggregate over
    /// the `orders_by_event` index.
    pub async fn revenue_cents(&self, event: EventId) -> Result<i64, sqlx::Error> {
        self.timed(DbOp::Revenue, async {
            // PostgreSQL's SUM(bigint) is NUMERIC, which the Any driver cannot decode.
            sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(total_cents - refunded_cents), 0) AS BIGINT) FROM orders WHERE event_id = $1",
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

/// Raises the account's count of seats in confirmed orders of the event by `seats`,
/// unless that would pass the event's `max_seats_per_account` (no row written then,
/// nor when the event has no cap: its confirms count nothing).
/// The upsert's row lock (PostgreSQL) or the write lock (SQLite) orders concurrent
/// confirms of one account, and each sees the count the previous one left.
/// Placeholders `$RAISE_EVENT`, `$RAISE_USER`, `$RAISE_SEATS` are renumbered by callers.
const RAISE_ACCOUNT_SEATS: &str = "INSERT INTO account_seats (event_id, user_id, seats) \
     SELECT $RAISE_EVENT, $RAISE_USER, CAST($RAISE_SEATS AS BIGINT) \
     WHERE CAST($RAISE_SEATS AS BIGINT) <= (SELECT max_seats_per_account FROM events \
     WHERE id = $RAISE_EVENT) \
     ON CONFLICT (event_id, user_id) DO UPDATE SET seats = account_seats.seats + excluded.seats \
     WHERE account_seats.seats + excluded.seats <= (SELECT e.max_seats_per_account \
     FROM events e WHERE e.id = account_seats.event_id)";

/// [`RAISE_ACCOUNT_SEATS`] on `conn`: false when the cap refused it.
async fn raise_account_seats(
    conn: &mut sqlx::AnyConnection,
    event: EventId,
    user: UserId,
    seats: u32,
) -> Result<bool, sqlx::Error> {
    let sql = RAISE_ACCOUNT_SEATS
        .replace("$RAISE_EVENT", "$1")
        .replace("$RAISE_USER", "$2")
        .replace("$RAISE_SEATS", "$3");
    let done = sqlx::query(&sql)
        .bind(event.to_string())
        .bind(user.to_string())
        .bind(i64::from(seats))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Copies the orders' seats, with the prices the seats table gives them, into
/// `order_lines` (the history a refund keeps).
async fn insert_order_lines(
    conn: &mut sqlx::AnyConnection,
    orders: &[&str],
) -> Result<(), sqlx::Error> {
    for chunk in orders.chunks(BATCH_ROWS) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO order_lines (order_id, event_id, seat_index, price_cents) \
             SELECT os.order_id, os.event_id, os.seat_index, s.price_cents FROM order_seats os \
             JOIN seats s ON s.event_id = os.event_id AND s.seat_index = os.seat_index \
             WHERE os.order_id IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
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
