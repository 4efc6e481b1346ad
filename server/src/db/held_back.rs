//! Seats held back from sale by an admin: the record a seat store that lost its state
//! is rebuilt from (`SeatRoom::ensure_store`), written with its audit entry in one
//! transaction. The order of these writes against the store's is the caller's
//! (`checkout::held_back`).

use sqlx::AnyConnection;
use waiting_room::EventId;

use super::audit::{insert_audit, Actor, NewAudit};
use super::records::int;
use super::Db;
use crate::event::Section;
use crate::metrics::DbOp;

/// Rows per statement: 4 parameters each stays far below both backends' limits.
const CHUNK: usize = 500;

impl Db {
    /// The event's held-back seats, in index order.
    pub async fn held_back_seats(&self, event: EventId) -> Result<Vec<u32>, sqlx::Error> {
        self.timed(DbOp::HeldBackSeats, async {
            let rows = sqlx::query(
                "SELECT seat_index FROM held_back_seats WHERE event_id = $1 ORDER BY seat_index",
            )
            .bind(event.to_string())
            .fetch_all(self.pool())
            .await?;
            rows.iter().map(|r| int(r, "seat_index")).collect()
        })
        .await
    }

    /// Records `seats` held back by `actor` at `at_ms` (seats recorded already keep
    /// their first record) and writes `entry` if given, in one transaction, with the
    /// event's row locked. `Ok(false)`, nothing written: the event's sections are not
    /// `sections` (the map the seats were named on) any more — edited meanwhile.
    pub async fn hold_back_seats(
        &self,
        event: EventId,
        seats: &[u32],
        (actor, at_ms): (&Actor, i64),
        entry: Option<&NewAudit<'_>>,
        sections: &[Section],
    ) -> Result<bool, sqlx::Error> {
        self.timed(DbOp::HoldBackSeats, async {
            let mut tx = self.pool().begin().await?;
            // The lock edits take (db/event_changes.rs): an edit of the sections comes
            // wholly before or after this.
            sqlx::query("UPDATE events SET paused = paused WHERE id = $1")
                .bind(event.to_string())
                .execute(&mut *tx)
                .await?;
            let now = self.event_in(&mut tx, event).await?;
            if now.is_some_and(|e| e.sections != sections) {
                return Ok(false);
            }
            for chunk in seats.chunks(CHUNK) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let p = 4 * i;
                        format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4)
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO held_back_seats (event_id, seat_index, held_back_at_ms, held_back_by) \
                     VALUES {} ON CONFLICT (event_id, seat_index) DO NOTHING",
                    values.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for seat in chunk {
                    query = query
                        .bind(event.to_string())
                        .bind(i64::from(*seat))
                        .bind(at_ms)
                        .bind(actor.id.to_string());
                }
                query.execute(&mut *tx).await?;
            }
            if let Some(entry) = entry {
                insert_audit(&mut tx, entry).await?;
            }
            tx.commit().await.map(|()| true)
        })
        .await
    }

    /// Deletes the records of those of `seats` that are held back and, if there were
    /// any, writes the entry `audit` makes of them, in one transaction. Returns the
    /// seats that were held back, in index order.
    pub async fn release_held_back_seats<'a>(
        &self,
        event: EventId,
        seats: &[u32],
        audit: impl FnOnce(&[u32]) -> NewAudit<'a>,
    ) -> Result<Vec<u32>, sqlx::Error> {
        self.timed(DbOp::ReleaseHeldBack, async {
            let mut tx = self.pool().begin().await?;
            let mut released = Vec::new();
            for chunk in seats.chunks(CHUNK) {
                released.extend(delete_chunk(&mut tx, event, chunk).await?);
            }
            released.sort_unstable();
            released.dedup();
            if !released.is_empty() {
                insert_audit(&mut tx, &audit(&released)).await?;
            }
            tx.commit().await?;
            Ok(released)
        })
        .await
    }
}

/// Deletes the records of `seats` (at most [`CHUNK`]); returns those that existed.
async fn delete_chunk(
    conn: &mut AnyConnection,
    event: EventId,
    seats: &[u32],
) -> Result<Vec<u32>, sqlx::Error> {
    let list: Vec<String> = (0..seats.len()).map(|i| format!("${}", i + 2)).collect();
    let filter = format!(
        "FROM held_back_seats WHERE event_id = $1 AND seat_index IN ({})",
        list.join(", ")
    );
    let select_sql = format!("SELECT seat_index {filter}");
    let mut select = sqlx::query_scalar::<_, i64>(&select_sql).bind(event.to_string());
    for seat in seats {
        select = select.bind(i64::from(*seat));
    }
    let found = select.fetch_all(&mut *conn).await?;
    if !found.is_empty() {
        let delete_sql = format!("DELETE {filter}");
        let mut delete = sqlx::query(&delete_sql).bind(event.to_string());
        for seat in seats {
            delete = delete.bind(i64::from(*seat));
        }
        delete.execute(&mut *conn).await?;
    }
    found
        .into_iter()
        .map(|s| u32::try_from(s).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .collect()
}
