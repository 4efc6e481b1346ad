//! The admin order search: an event's orders by buyer email (a case-insensitive
//! substring), by order id, or by seat, newest first, a page at a time.

use std::collections::HashMap;

use sqlx::Row;
use waiting_room::{EventId, UserId};

use super::records::int;
use super::Db;
use crate::metrics::DbOp;

/// What to look for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderQuery {
    /// Every order.
    All,
    /// Emails containing this text (already lower-case, as emails are stored).
    Email(String),
    OrderId(String),
    /// The order holding this seat index.
    Seat(u32),
}

/// An order found, with its buyer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundOrder {
    pub id: String,
    pub user: UserId,
    pub email: String,
    pub total_cents: i64,
    pub created_at_ms: i64,
    /// Seat indexes, ascending (a refunded order keeps its seats).
    pub seats: Vec<u32>,
    /// `confirmed` or `refunded`.
    pub status: String,
    pub refunded_at_ms: Option<i64>,
    /// The email of the account that refunded it.
    pub refunded_by: Option<String>,
    pub refund_reason: Option<String>,
}

impl Db {
    /// Up to `limit` orders matching `query` after skipping `offset`, newest first.
    pub async fn search_orders(
        &self,
        event: EventId,
        query: &OrderQuery,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<FoundOrder>, sqlx::Error> {
        self.timed(DbOp::OrderSearch, async {
            let filter = match query {
                OrderQuery::All => "",
                OrderQuery::Email(_) => " AND u.email LIKE $2 ESCAPE '\\'",
                OrderQuery::OrderId(_) => " AND o.id = $2",
                OrderQuery::Seat(_) => {
                    " AND o.id IN (SELECT order_id FROM order_lines WHERE event_id = $1 AND seat_index = $2)"
                }
            };
            let sql = format!(
                "SELECT o.id, o.user_id, u.email, o.total_cents, o.created_at_ms, o.status, \
                 o.refunded_at_ms, r.email AS refunded_by, o.refund_reason \
                 FROM orders o JOIN users u ON u.id = o.user_id \
                 LEFT JOIN users r ON r.id = o.refunded_by WHERE o.event_id = $1{filter} \
                 ORDER BY o.created_at_ms DESC, o.id DESC LIMIT {limit} OFFSET {offset}"
            );
            let mut q = sqlx::query(&sql).bind(event.to_string());
            q = match query {
                OrderQuery::All => q,
                OrderQuery::Email(text) => q.bind(format!("%{}%", escape_like(text))),
                OrderQuery::OrderId(id) => q.bind(id.clone()),
                OrderQuery::Seat(seat) => q.bind(i64::from(*seat)),
            };
            let mut found = Vec::new();
            for r in q.fetch_all(self.pool()).await? {
                let user: String = r.try_get("user_id")?;
                found.push(FoundOrder {
                    id: r.try_get("id")?,
                    user: user.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    email: r.try_get("email")?,
                    total_cents: r.try_get("total_cents")?,
                    created_at_ms: r.try_get("created_at_ms")?,
                    seats: Vec::new(),
                    status: r.try_get("status")?,
                    refunded_at_ms: r.try_get("refunded_at_ms")?,
                    refunded_by: r.try_get("refunded_by")?,
                    refund_reason: r.try_get("refund_reason")?,
                });
            }
            if found.is_empty() {
                return Ok(found);
            }
            // The page's seats in one query.
            let marks: Vec<String> = (1..=found.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT order_id, seat_index FROM order_lines WHERE order_id IN ({}) \
                 ORDER BY seat_index",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for o in &found {
                q = q.bind(o.id.clone());
            }
            let at: HashMap<String, usize> = found
                .iter()
                .enumerate()
                .map(|(i, o)| (o.id.clone(), i))
                .collect();
            for r in q.fetch_all(self.pool()).await? {
                let order: String = r.try_get("order_id")?;
                if let Some(i) = at.get(&order) {
                    found[*i].seats.push(int(&r, "seat_index")?);
                }
            }
            Ok(found)
        })
        .await
    }
}

/// `text` with LIKE's wildcards and the escape character escaped (`ESCAPE '\'`).
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_are_searched_for_as_themselves() {
        assert_eq!(super::escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
        assert_eq!(super::escape_like("fan@x.com"), "fan@x.com");
    }
}
