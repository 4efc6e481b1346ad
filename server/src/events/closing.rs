//! The end of a sale. Closing an event (an admin's `POST …/close`, or by itself
//! `FLOODGATE_CLOSE_AFTER_SHOW_SECS` after its show) marks it closed in the database
//! with its audit entry; then every replica winds it down: its queue room closes (each
//! waiting fan's socket says `closed` and ends normally), its seat room stops, and the
//! open holds are released, their seats free again. The replica that closed it does
//! this at once, the others at their next event refresh (every 2 s).
//!
//! A minute after the close ([`LINE_KEPT_AFTER_CLOSE`], long after every replica
//! wound it down), one replica saves the queue's figures the report needs into the
//! database (`queue_totals`) and then removes the sale's line from the queue store
//! (`QueueStore::remove_line`: UNLINK on Redis), issue 19.

use waiting_room::EventId;

use super::{EventError, Events};
use waiting_room::store::StoreError;

use crate::db::{Actor, Closing, QueueTotals};
use crate::event::Event;

/// Holds released per store call while winding a sale down.
const RELEASE_BATCH: usize = 500;
/// Batches per wind-down: a bound, far above any venue's open holds (1,000,000 seats).
const RELEASE_ROUNDS: usize = 4_000;
/// How long a closed sale's line stays in the queue store: every replica winds the
/// sale down within its next event refresh (2 s), so none still reads the line.
pub const LINE_KEPT_AFTER_CLOSE_MS: i64 = 60_000;
/// Closed sales' lines removed per call of [`Events::remove_closed_lines`].
const LINES_PER_ROUND: i64 = 10;

impl Events {
    /// Closes the event on behalf of `actor` (an admin: `reason` `admin`; the system
    /// account: `after_show`) and winds it down here. `EventError::AlreadyClosed`
    /// when it was closed before (nothing changes).
    pub async fn close(
        &self,
        id: EventId,
        actor: &Actor,
        reason: &str,
    ) -> Result<Event, EventError> {
        let now = self.hub.clock().now_ms();
        match self.db.close_event(id, actor, now, reason).await? {
            Closing::Closed => {}
            Closing::AlreadyClosed => return Err(EventError::AlreadyClosed),
            Closing::NotFound => return Err(EventError::UnknownEvent),
        }
        let event = self.db.event(id).await?.ok_or(EventError::UnknownEvent)?;
        tracing::info!(event_id = %id, reason, actor = %actor.id, "sale closed");
        self.cache(event.clone());
        self.wind_down(id).await;
        Ok(event)
    }

    /// Closes the events whose show began `close_after_show_secs` ago or more. Safe
    /// on every replica at once: each event closes (and is audited) exactly once.
    pub async fn close_due(&self) -> Result<usize, EventError> {
        let after_ms = i64::try_from(self.settings.close_after_show_secs.saturating_mul(1000))
            .unwrap_or(i64::MAX);
        let due = self
            .db
            .events_due_to_close(self.hub.clock().now_ms().saturating_sub(after_ms))
            .await?;
        let mut closed = 0;
        for id in due {
            match self.close(id, &Actor::system(), "after_show").await {
                Ok(_) => closed += 1,
                // Another replica was first, or the event went: nothing to do.
                Err(EventError::AlreadyClosed | EventError::UnknownEvent) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(closed)
    }

    /// Winds a closed sale down on this replica: the queue room closes (its sockets
    /// tell their fans `closed`), the seat room stops, and open holds are released.
    /// Idempotent; every replica does it once it learns of the close.
    pub(crate) async fn wind_down(&self, id: EventId) {
        self.hub.close(id);
        self.checkout.stop(id);
        if let Err(error) = self.release_holds(id).await {
            tracing::warn!(%error, event_id = %id, "releasing the holds of a closed sale failed; their seats stay held (nothing sells any more)");
        }
    }

    /// Releases every hold of the event not being confirmed (a confirm under way
    /// started before the close and finishes as a sale).
    async fn release_holds(&self, id: EventId) -> Result<(), waiting_room::store::StoreError> {
        let seats = self.checkout.seats();
        for _ in 0..RELEASE_ROUNDS {
            let holds = match seats.holds(id, RELEASE_BATCH).await {
                Err(waiting_room::store::StoreError::UnknownEvent) => return Ok(()),
                other => other?,
            };
            let mut released = 0;
            for hold in holds.iter().filter(|h| !h.confirming) {
                seats.release(id, &hold.id, None).await?;
                released += 1;
            }
            if released == 0 || holds.len() < RELEASE_BATCH {
                break;
            }
        }
        Ok(())
    }

    /// Removes the lines of sales closed at least `kept_ms` ago (a few per call): the
    /// queue's figures for the report go to the database first, then the line leaves
    /// the store. Safe on every replica at once (the first saved figures stay; removing
    /// twice is harmless). Returns how many lines went.
    pub async fn remove_closed_lines(&self, kept_ms: i64) -> Result<usize, EventError> {
        let now = self.hub.clock().now_ms();
        let due = self
            .db
            .lines_to_remove(now.saturating_sub(kept_ms), LINES_PER_ROUND)
            .await?;
        let store = self.hub.store();
        for &id in &due {
            let totals = match store.stats(id).await {
                Ok(s) => QueueTotals {
                    joined: s.joined,
                    admitted: s.admitted_total,
                },
                // The store never had the sale's line (or lost it): nothing to keep.
                Err(StoreError::UnknownEvent) => QueueTotals::default(),
                Err(error) => return Err(error.into()),
            };
            self.db.save_queue_totals(id, totals).await?;
            match store.remove_line(id).await {
                Ok(()) | Err(StoreError::UnknownEvent) => {}
                Err(error) => return Err(error.into()),
            }
            self.db.line_removed(id, now).await?;
            tracing::info!(event_id = %id, joined = totals.joined, admitted = totals.admitted, "closed sale's line removed from the queue store");
        }
        Ok(due.len())
    }
}
