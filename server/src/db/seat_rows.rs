//! An event's seat rows, written in bounded transactions at creation, and rewritten
//! with its sections inside an edit's transaction ([`rewrite_layout`]) when they are
//! edited before the opening.
//!
//! SQLite has one writer at a time. A 1,000,000-seat venue written in one transaction
//! held that lock for 20 s, and every confirm behind it waited its whole 10 s busy
//! timeout and failed. Here each transaction writes at most [`SEATS_PER_TX`] rows
//! (a fraction of a second), and on SQLite the writer then pauses for a quarter of
//! the time the transaction took (10 to 100 ms): long enough for a writer that
//! started waiting in SQLite's busy handler during that transaction to poll again
//! (its backoff is under a quarter of the time it has waited). So a confirm waits
//! about one transaction, and creation takes about a quarter longer. PostgreSQL needs no pause (row locks, not a database lock).

use std::time::{Duration, Instant};

use sqlx::AnyConnection;

use super::orders::BATCH_ROWS;
use super::{Backend, Db};
use crate::event::Event;

/// Seat rows per transaction.
pub(super) const SEATS_PER_TX: u32 = 10_000;
const MIN_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(100);

impl Db {
    /// Writes every seat row of `e` (whose event row is committed).
    pub(super) async fn write_seat_rows(&self, e: &Event) -> Result<(), sqlx::Error> {
        let capacity = e.layout().capacity();
        let mut first = 0;
        while first < capacity {
            let end = capacity.min(first.saturating_add(SEATS_PER_TX));
            let started = Instant::now();
            let mut tx = self.pool().begin().await?;
            insert_seat_rows(&mut tx, e, first..end).await?;
            tx.commit().await?;
            first = end;
            if self.backend() == Backend::Sqlite && first < capacity {
                tokio::time::sleep((started.elapsed() / 4).clamp(MIN_PAUSE, MAX_PAUSE)).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
        Ok(())
    }

    /// Deletes a `preparing` event and its seat rows, in bounded transactions too.
    pub(super) async fn remove_unfinished_event(&self, e: &Event) -> Result<(), sqlx::Error> {
        let id = e.id.to_string();
        let capacity = e.layout().capacity();
        let mut first = 0;
        while first < capacity {
            let end = capacity.min(first.saturating_add(SEATS_PER_TX));
            sqlx::query(
                "DELETE FROM seats WHERE event_id = $1 AND seat_index >= $2 AND seat_index < $3",
            )
            .bind(&id)
            .bind(i64::from(first))
            .bind(i64::from(end))
            .execute(self.pool())
            .await?;
            first = end;
            tokio::task::yield_now().await;
        }
        sqlx::query("DELETE FROM events WHERE id = $1 AND preparing = 1")
            .bind(&id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Writes the `event_sections` rows of `e`, in order.
pub(super) async fn insert_sections(
    conn: &mut AnyConnection,
    e: &Event,
) -> Result<(), sqlx::Error> {
    for (position, s) in e.sections.iter().enumerate() {
        sqlx::query(
            "INSERT INTO event_sections (event_id, position, name, rows_count, seats_per_row, price_cents) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.id.to_string())
        .bind(position as i64)
        .bind(&s.name)
        .bind(i64::from(s.rows))
        .bind(i64::from(s.seats_per_row))
        .bind(s.price_cents)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Writes the seat rows `seats` of `e` (label and price from its layout), in
/// multi-row inserts of [`BATCH_ROWS`].
async fn insert_seat_rows(
    conn: &mut AnyConnection,
    e: &Event,
    seats: std::ops::Range<u32>,
) -> Result<(), sqlx::Error> {
    let layout = e.layout();
    let id = e.id.to_string();
    let seats: Vec<u32> = seats.collect();
    for chunk in seats.chunks(BATCH_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, ${}, ${})",
                    4 * i + 1,
                    4 * i + 2,
                    4 * i + 3,
                    4 * i + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO seats (event_id, seat_index, label, price_cents) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for seat in chunk {
            q = q
                .bind(id.clone())
                .bind(i64::from(*seat))
                .bind(layout.name(*seat))
                .bind(layout.price(*seat));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Replaces the sections and seat rows of `e` (whose seats are all free and in no
/// order: its sections were edited before the opening) inside the caller's
/// transaction, so the edit commits all or nothing.
pub(super) async fn rewrite_layout(conn: &mut AnyConnection, e: &Event) -> Result<(), sqlx::Error> {
    let id = e.id.to_string();
    for table in ["event_sections", "seats"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE event_id = $1"))
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    insert_sections(conn, e).await?;
    insert_seat_rows(conn, e, 0..e.layout().capacity()).await
}
