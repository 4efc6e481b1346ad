//! Orders read back: the select every order read shares and the grouping of its rows
//! (one per seat) into orders with their refunds.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::records::{int, Order, OrderStatus, Refund};

/// Orders with their seats from `order_lines` (refunded orders keep theirs).
pub(super) const ORDER_SELECT: &str =
    "SELECT o.id, o.event_id, o.user_id, o.hold_id, o.total_cents, o.created_at_ms, \
     o.joined_at_ms, o.admitted_at_ms, o.status, o.refunded_at_ms, o.refunded_by, o.refund_reason, o.refunded_cents, \
     s.seat_index FROM orders o JOIN order_lines s ON s.order_id = o.id";

/// Folds (order × seat) rows into orders, keeping the rows' order of first appearance.
pub(super) fn group(rows: &[AnyRow]) -> Result<Vec<Order>, sqlx::Error> {
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
            refund: refund_from_row(r)?,
        });
    }
    Ok(orders)
}

/// The refund columns of an order row (`None` while confirmed).
fn refund_from_row(r: &AnyRow) -> Result<Option<Refund>, sqlx::Error> {
    let status: String = r.try_get("status")?;
    if status != OrderStatus::Refunded.as_str() {
        return Ok(None);
    }
    let by: String = r.try_get("refunded_by")?;
    Ok(Some(Refund {
        at_ms: r.try_get("refunded_at_ms")?,
        by: by.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        reason: r.try_get("refund_reason")?,
        cents: r.try_get("refunded_cents")?,
    }))
}
