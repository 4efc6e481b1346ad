//! The reads behind an event's report (`crate::report`): order totals, seats sold per
//! section, sales per minute and the buyers' queue times. Aggregates run in the
//! database; only the queue times come back one row per order (three integers).

use sqlx::Row;
use waiting_room::EventId;

use super::Db;
use crate::metrics::DbOp;

/// An event's orders in sum (refunded ones included: they were sales).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderTotals {
    pub orders: u64,
    pub refunded_orders: u64,
    /// Distinct accounts with an order: the funnel's last step.
    pub buyers: u64,
    pub gross_cents: i64,
    pub refunded_cents: i64,
}

/// One section's seats in orders: sold now (confirmed orders) and refunded, with
/// what they were paid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SectionSales {
    pub sold: u64,
    pub sold_cents: i64,
    pub refunded: u64,
    pub refunded_cents: i64,
}

/// Sales in one minute (`minute` = Unix ms / 60,000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinuteSales {
    pub minute: i64,
    pub orders: u64,
    pub seats: u64,
    pub gross_cents: i64,
}

/// One order's times on the way to it (Unix ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderTimes {
    pub joined_at_ms: Option<i64>,
    pub admitted_at_ms: i64,
    pub created_at_ms: i64,
}

impl Db {
    pub async fn order_totals(&self, event: EventId) -> Result<OrderTotals, sqlx::Error> {
        self.timed(DbOp::Report, async {
            let r = sqlx::query(
                "SELECT COUNT(*) AS orders, COUNT(DISTINCT user_id) AS buyers, \
                 CAST(COALESCE(SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END), 0) AS BIGINT) AS refunded, \
                 CAST(COALESCE(SUM(total_cents), 0) AS BIGINT) AS gross, \
                 CAST(COALESCE(SUM(refunded_cents), 0) AS BIGINT) AS refunded_cents FROM orders \
                 WHERE event_id = $1",
            )
            .bind(event.to_string())
            .fetch_one(self.pool())
            .await?;
            Ok(OrderTotals {
                orders: count(&r, "orders")?,
                refunded_orders: count(&r, "refunded")?,
                buyers: count(&r, "buyers")?,
                gross_cents: r.try_get("gross")?,
                refunded_cents: r.try_get("refunded_cents")?,
            })
        })
        .await
    }

    /// Seats sold and refunded per section, with what they were paid, given each
    /// section's first seat index (ascending, the first 0): one grouped count over the
    /// order lines (every seat every order had), however many seats are sold.
    pub async fn sales_per_section(
        &self,
        event: EventId,
        section_starts: &[u32],
    ) -> Result<Vec<SectionSales>, sqlx::Error> {
        self.timed(DbOp::Report, async {
            // CASE WHEN seat_index < start(1) THEN 0 WHEN … ELSE last END
            let arms: String = (1..section_starts.len())
                .map(|i| format!("WHEN l.seat_index < ${} THEN {} ", i + 1, i - 1))
                .collect();
            let last = section_starts.len().saturating_sub(1);
            // (CASE needs a WHEN: one section is section 0.)
            let section = if arms.is_empty() {
                "0".to_owned()
            } else {
                format!("CASE {arms}ELSE {last} END")
            };
            let sql = format!(
                "SELECT {section} AS section, o.status AS status, COUNT(*) AS seats, \
                 CAST(SUM(l.price_cents) AS BIGINT) AS cents \
                 FROM order_lines l JOIN orders o ON o.id = l.order_id \
                 WHERE l.event_id = $1 GROUP BY section, o.status"
            );
            let mut q = sqlx::query(&sql).bind(event.to_string());
            for start in &section_starts[1.min(section_starts.len())..] {
                q = q.bind(i64::from(*start));
            }
            let mut sales = vec![SectionSales::default(); section_starts.len()];
            for r in q.fetch_all(self.pool()).await? {
                let section: i64 = r.try_get("section")?;
                let status: String = r.try_get("status")?;
                let Some(slot) = usize::try_from(section).ok().and_then(|i| sales.get_mut(i))
                else {
                    continue;
                };
                let (seats, cents) = (count(&r, "seats")?, r.try_get::<i64, _>("cents")?);
                if status == "refunded" {
                    (slot.refunded, slot.refunded_cents) = (seats, cents);
                } else {
                    (slot.sold, slot.sold_cents) = (seats, cents);
                }
            }
            Ok(sales)
        })
        .await
    }

    /// Orders, seats and takings per minute with a sale (refunded orders included:
    /// they sold then), oldest first.
    pub async fn sales_per_minute(&self, event: EventId) -> Result<Vec<MinuteSales>, sqlx::Error> {
        self.timed(DbOp::Report, async {
            let orders = sqlx::query(
                "SELECT created_at_ms / 60000 AS minute, COUNT(*) AS orders, \
                 CAST(SUM(total_cents) AS BIGINT) AS gross FROM orders WHERE event_id = $1 \
                 GROUP BY minute ORDER BY minute",
            )
            .bind(event.to_string())
            .fetch_all(self.pool())
            .await?;
            let seats = sqlx::query(
                "SELECT o.created_at_ms / 60000 AS minute, COUNT(*) AS seats FROM order_lines s \
                 JOIN orders o ON o.id = s.order_id WHERE s.event_id = $1 GROUP BY minute",
            )
            .bind(event.to_string())
            .fetch_all(self.pool())
            .await?;
            let mut seats_at = std::collections::HashMap::new();
            for r in &seats {
                seats_at.insert(r.try_get::<i64, _>("minute")?, count(r, "seats")?);
            }
            orders
                .iter()
                .map(|r| {
                    let minute: i64 = r.try_get("minute")?;
                    Ok(MinuteSales {
                        minute,
                        orders: count(r, "orders")?,
                        seats: seats_at.get(&minute).copied().unwrap_or(0),
                        gross_cents: r.try_get("gross")?,
                    })
                })
                .collect()
        })
        .await
    }

    /// The queue times of every order whose purchase token told them.
    pub async fn order_times(&self, event: EventId) -> Result<Vec<OrderTimes>, sqlx::Error> {
        self.timed(DbOp::Report, async {
            let rows = sqlx::query(
                "SELECT joined_at_ms, admitted_at_ms, created_at_ms FROM orders \
                 WHERE event_id = $1 AND admitted_at_ms IS NOT NULL",
            )
            .bind(event.to_string())
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(OrderTimes {
                        joined_at_ms: r.try_get("joined_at_ms")?,
                        admitted_at_ms: r.try_get("admitted_at_ms")?,
                        created_at_ms: r.try_get("created_at_ms")?,
                    })
                })
                .collect()
        })
        .await
    }
}

/// A COUNT column (BIGINT on PostgreSQL, INTEGER on SQLite).
fn count(r: &sqlx::any::AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    let v: i64 = r.try_get(column)?;
    u64::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
