//! The webhooks' outbox, written on the caller's connection so that a fact and the
//! deliveries that tell it commit together (the confirm, the refund, an admission
//! mode's switch). Its own module so that any writer of facts can use it without
//! depending on the webhooks' tables module (db/webhooks.rs reads and claims them).

use sqlx::AnyConnection;

use super::records::NewDelivery;

/// How long a delivery is retried (from its creation, or from "send again").
pub const RETRY_FOR_MS: i64 = 24 * 60 * 60 * 1000;

/// Writes `rows` into the outbox on `conn` (the caller's transaction), one statement
/// per 500 rows.
pub(crate) async fn insert_deliveries(
    conn: &mut AnyConnection,
    rows: &[NewDelivery],
) -> Result<(), sqlx::Error> {
    const BINDS: usize = 7;
    for chunk in rows.chunks(500) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = BINDS * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, 'pending', ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO webhook_deliveries (id, endpoint_id, message_id, event_type, payload, \
             status, created_at_ms, give_up_at_ms, next_attempt_at_ms) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&r.id)
                .bind(&r.endpoint_id)
                .bind(&r.message_id)
                .bind(&r.event_type)
                .bind(&r.payload)
                .bind(r.created_at_ms)
                .bind(r.created_at_ms.saturating_add(RETRY_FOR_MS));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
