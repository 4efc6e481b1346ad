//! The group commit's statement (PostgreSQL): a batch of orders, their seats, their
//! lines and the accounts' seat counts written in one statement inside one
//! transaction ([`super::order_batch`] gathers the batches; the single-order path is
//! [`super::orders`]).

use std::collections::HashSet;

use sqlx::Row;

use super::order_batch::OrderWriter;
use super::records::{Order, Written};
use super::webhooks::{insert_deliveries, NewDelivery};
use super::Db;
use crate::metrics::DbOp;

/// The group commit's writers write through the database directly.
impl OrderWriter for Db {
    async fn write_batch(
        &self,
        orders: &[&Order],
        outbox: &[&[NewDelivery]],
    ) -> Result<HashSet<String>, sqlx::Error> {
        self.timed(DbOp::OrderBatch, self.write_batch_untimed(orders, outbox))
            .await
    }

    fn batch_taken(&self, orders: usize) {
        self.observe_batch(orders);
    }

    async fn write_one(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
    ) -> Result<Written, sqlx::Error> {
        self.write_order_direct(order, outbox).await
    }
}

impl Db {
    /// The batch in one statement inside its transaction (PostgreSQL): the orders
    /// (`ON CONFLICT (hold_id) DO NOTHING`), then, for the orders inserted, their seats,
    /// their lines (priced from `seats`) and, where the event has a cap, each
    /// account's seats raised under it. A seat sold fails the statement; a cap refused
    /// rolls the transaction back. Either way the batch is then written one by one.
    /// The inserted orders' webhook deliveries (`outbox`, by position) are written in
    /// the same transaction, by one more statement when there are any.
    async fn write_batch_untimed(
        &self,
        orders: &[&Order],
        outbox: &[&[NewDelivery]],
    ) -> Result<HashSet<String>, sqlx::Error> {
        let sql = batch_sql(orders);
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
        for o in orders {
            for seat in &o.seats {
                q = q.bind(&o.id).bind(i64::from(*seat));
            }
        }
        let mut tx = self.pool().begin().await?;
        let rows = q.fetch_all(&mut *tx).await?;
        let mut created = HashSet::with_capacity(rows.len());
        for row in &rows {
            match row.try_get::<Option<String>, _>("id")? {
                Some(id) => {
                    created.insert(id);
                }
                None => {
                    tx.rollback().await?;
                    return Err(sqlx::Error::Protocol(
                        "an order in the batch would pass its account's cap".into(),
                    ));
                }
            }
        }
        let deliveries: Vec<NewDelivery> = orders
            .iter()
            .zip(outbox)
            .filter(|(o, _)| created.contains(&o.id))
            .flat_map(|(_, d)| d.iter().cloned())
            .collect();
        insert_deliveries(&mut tx, &deliveries).await?;
        tx.commit().await?;
        Ok(created)
    }
}

/// Bound values per order in [`batch_sql`]'s `v`, and per seat in its `sv`.
const ORDER_BINDS: usize = 8;
const SEAT_BINDS: usize = 2;
// The largest batch (every order at the 50-seat limit) stays under PostgreSQL's
// 65,535 bound values per statement.
const _: () = assert!(super::order_batch::MAX_BATCH * (ORDER_BINDS + 50 * SEAT_BINDS) < 65_535);

/// The group commit's statement for `orders` (see [`Db::write_batch_untimed`]): one
/// row per order inserted, plus a row with a NULL id if a cap refused an account.
/// Accounts are raised in (event, user) order, the one lock order of every batch, so
/// two batches never wait on each other.
fn batch_sql(orders: &[&Order]) -> String {
    let placeholders = |first: usize, n: usize| {
        let list: Vec<String> = (first..first + n).map(|k| format!("${k}")).collect();
        format!("({})", list.join(", "))
    };
    let v: Vec<String> = (0..orders.len())
        .map(|i| placeholders(ORDER_BINDS * i + 1, ORDER_BINDS))
        .collect();
    let mut next = ORDER_BINDS * orders.len() + 1;
    let mut sv = Vec::new();
    for o in orders {
        for _ in &o.seats {
            sv.push(placeholders(next, SEAT_BINDS));
            next += SEAT_BINDS;
        }
    }
    format!(
        "WITH v (id, event_id, user_id, hold_id, total_cents, created_at_ms, joined_at_ms, \
         admitted_at_ms) AS (VALUES {v}), \
         o AS (INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms, \
         joined_at_ms, admitted_at_ms) SELECT * FROM v ON CONFLICT (hold_id) DO NOTHING \
         RETURNING id, event_id, user_id), \
         sv (order_id, seat_index) AS (VALUES {sv}), \
         sn AS (SELECT o.event_id, sv.seat_index, o.id AS order_id, o.user_id \
         FROM sv JOIN o ON o.id = sv.order_id), \
         os AS (INSERT INTO order_seats (event_id, seat_index, order_id) \
         SELECT event_id, seat_index, order_id FROM sn), \
         l AS (INSERT INTO order_lines (order_id, event_id, seat_index, price_cents) \
         SELECT sn.order_id, sn.event_id, sn.seat_index, s.price_cents FROM sn \
         JOIN seats s ON s.event_id = sn.event_id AND s.seat_index = sn.seat_index), \
         acc AS (SELECT sn.event_id AS e, sn.user_id AS u, COUNT(*) AS n, \
         MIN(ev.max_seats_per_account) AS m FROM sn JOIN events ev ON ev.id = sn.event_id \
         WHERE ev.max_seats_per_account IS NOT NULL GROUP BY sn.event_id, sn.user_id), \
         up AS (INSERT INTO account_seats (event_id, user_id, seats) \
         SELECT e, u, n FROM acc WHERE n <= m ORDER BY e, u \
         ON CONFLICT (event_id, user_id) DO UPDATE SET seats = account_seats.seats + excluded.seats \
         WHERE account_seats.seats + excluded.seats <= (SELECT e.max_seats_per_account \
         FROM events e WHERE e.id = account_seats.event_id) RETURNING 1) \
         SELECT id FROM o UNION ALL SELECT CAST(NULL AS TEXT) \
         WHERE (SELECT COUNT(*) FROM acc) <> (SELECT COUNT(*) FROM up)",
        v = v.join(", "),
        sv = sv.join(", "),
    )
}
