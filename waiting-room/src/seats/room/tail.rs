//! The room's loop body: the seat log read to its end and applied to the view, one
//! delta broadcast per read (or a reset after a reload, and a rebuild from the ledger
//! when the store lost the event), and the sweep of expired holds.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::{SeatEncoder, SeatEvent, SeatRoom};
use crate::seats::store::SeatState;
use crate::store::StoreError;

/// Seat-log entries read per store call.
const READ_BATCH: usize = 10_000;
/// Expired holds released per sweep.
const SWEEP_BATCH: usize = 256;

impl<E: SeatEncoder> SeatRoom<E> {
    /// Reads the seat log to its end, applies it, and broadcasts one delta.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let _turn = self.reading.lock().await;
        self.sync_in_turn().await
    }

    /// [`Self::sync`], the caller holding the reading turn (reads must not overlap: an
    /// older read applied after a newer one would set seats and the cursor back).
    pub(super) async fn sync_in_turn(&self) -> Result<(), StoreError> {
        // Seats noted before this read starts are in the log it reads: once it is
        // applied, the view shows them and they need not be remembered.
        let read = self.lock_claims().read_started();
        self.sync_log().await?;
        self.lock_claims().read_applied(read);
        Ok(())
    }

    async fn sync_log(&self) -> Result<(), StoreError> {
        let mut touched = BTreeMap::new();
        loop {
            let cursor = self.read().cursor().clone();
            let batch = match self
                .seats
                .seat_changes(self.event, &cursor, READ_BATCH)
                .await
            {
                Err(StoreError::UnknownEvent) => {
                    tracing::warn!(event_id = %self.event, "the store lost this event's seats; rebuilding");
                    self.ensure_store().await?;
                    return self.reload_and_announce().await;
                }
                other => other?,
            };
            if batch.lagged {
                return self.reload_and_announce().await;
            }
            let n = batch.changes.len();
            {
                let mut claims = self.lock_claims();
                let mut v = self.view.write().unwrap_or_else(|e| e.into_inner());
                let mut changed = false;
                for (seat, state) in batch.changes {
                    if v.apply(seat, state) {
                        changed = true;
                        touched.insert(seat, state);
                        if state == SeatState::Free {
                            claims.lower_hint(&self.layout, seat);
                        }
                    }
                }
                if changed {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                }
                v.set_cursor(batch.cursor);
            }
            if n < READ_BATCH {
                break;
            }
        }
        if !touched.is_empty() && self.deltas.receiver_count() > 0 {
            let v = self.read();
            let changes: Vec<(u32, SeatState)> =
                touched.keys().map(|s| (*s, v.state(*s))).collect();
            drop(v);
            let _ = self
                .deltas
                .send(SeatEvent::Delta(E::delta(&self.layout, &changes)));
        }
        Ok(())
    }

    async fn reload_and_announce(&self) -> Result<(), StoreError> {
        self.reload().await?;
        if self.deltas.receiver_count() > 0 {
            let _ = self.deltas.send(SeatEvent::Reset);
        }
        Ok(())
    }

    /// Releases expired holds. A hold caught mid-confirm (its lease ran out) is sold if
    /// the ledger has its order, released if not, and left alone if the ledger cannot
    /// be asked.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let expired = self.seats.expired_holds(self.event, SWEEP_BATCH).await?;
        let mut released = 0;
        for hold in expired {
            if hold.confirming {
                match self.ledger.order_seats(&hold.id).await {
                    Ok(Some(seats)) => {
                        self.seats.mark_sold(self.event, &seats).await?;
                        continue;
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%error, hold = %hold.id, "cannot tell whether a lapsed confirm committed; keeping the hold");
                        continue;
                    }
                }
            }
            if self.seats.release(self.event, &hold.id, None).await? {
                released += 1;
            }
        }
        Ok(released)
    }
}
