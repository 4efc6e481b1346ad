//! The room's seat state from the [`crate::seats::ledger::OrderLedger`]: the store's
//! state created when it has none (sold = seats in orders, held back = the held-back
//! records), seats a refund left sold freed, and the view reloaded from the store.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::{SeatEncoder, SeatRoom};
use crate::seats::ledger::LedgerError;
use crate::seats::store::SeatState;
use crate::seats::view::SeatView;
use crate::store::StoreError;

impl<E: SeatEncoder> SeatRoom<E> {
    /// Creates the store's seat state from the ledger (sold = seats in orders, held
    /// back = the held-back records) if the store has none.
    pub async fn ensure_store(&self) -> Result<(), StoreError> {
        let sold = self
            .ledger
            .sold_seats(self.event)
            .await
            .map_err(ledger_error)?;
        let held_back = self
            .ledger
            .held_back_seats(self.event)
            .await
            .map_err(ledger_error)?;
        if self
            .seats
            .init_seats(self.event, self.layout.capacity(), &sold, &held_back)
            .await?
        {
            tracing::info!(event_id = %self.event, sold = sold.len(), held_back = held_back.len(), "seat state built from the database");
        }
        Ok(())
    }

    /// Frees seats the store has sold that no order holds in the ledger: what a
    /// refund left behind when its process died between its commit and the store's
    /// `unsell` (refunds write the database first). The ledger is read before the
    /// store: a seat being bought meanwhile is held in the store (left alone by
    /// `unsell`) until its order committed, so only a sale that both commits and is
    /// marked sold between the two reads (milliseconds, at a room's load) could be
    /// freed in the store by mistake; the database's key still refuses to sell it
    /// again (that confirm answers 409 and resyncs the store from the database).
    pub(super) async fn free_refunded(&self) -> Result<(), StoreError> {
        let sold: HashSet<u32> = self
            .ledger
            .sold_seats(self.event)
            .await
            .map_err(ledger_error)?
            .into_iter()
            .collect();
        let snapshot = self.seats.seat_snapshot(self.event).await?;
        let stray: Vec<u32> = (0u32..)
            .zip(&snapshot.states)
            .filter(|(seat, state)| {
                SeatState::from_u8(**state) == SeatState::Sold && !sold.contains(seat)
            })
            .map(|(seat, _)| seat)
            .collect();
        if !stray.is_empty() {
            let freed = self.seats.unsell(self.event, &stray).await?;
            tracing::warn!(event_id = %self.event, freed, "refunded seats were still sold in the store; freed");
        }
        Ok(())
    }

    /// Replaces the view with the store's snapshot.
    pub(super) async fn reload(&self) -> Result<(), StoreError> {
        let mut snapshot = self.seats.seat_snapshot(self.event).await?;
        let capacity = self.layout.capacity() as usize;
        if snapshot.states.len() != capacity {
            // The event's sections were edited (the store's seats replaced, all free):
            // this room shows its own layout until it is restarted with the new one at
            // the next event refresh.
            tracing::info!(event_id = %self.event, seats = snapshot.states.len(), "the store has a new seat layout; the room restarts at the next event refresh");
            snapshot.states.resize(capacity, SeatState::Free as u8);
        }
        self.lock_claims().row_hint.fill(1); // seats anywhere may be free again
        let mut view = self.view.write().unwrap_or_else(|e| e.into_inner());
        *view = SeatView::from_snapshot(snapshot);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

fn ledger_error(e: LedgerError) -> StoreError {
    StoreError::backend("database", e)
}
