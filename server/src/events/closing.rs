//! The end of a sale. Closing an event (an admin's `POST …/close`, or by itself
//! `FLOODGATE_CLOSE_AFTER_SHOW_SECS` after its show) marks it closed in the database
//! with its audit entry; then every replica winds it down: its queue room closes (each
//! waiting fan's socket says `closed` and ends normally), its seat room stops, and the
//! open holds are released, their seats free again. The replica that closed it does
//! this at once, the others at their next event refresh (every 2 s).

use waiting_room::EventId;

use super::{EventError, Events};
use crate::db::{Actor, Closing};
use crate::event::Event;

/// Holds released per store call while winding a sale down.
const RELEASE_BATCH: usize = 500;
/// Batches per wind-down: a bound, far above any venue's open holds (1,000,000 seats).
const RELEASE_ROUNDS: usize = 4_000;

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
}
