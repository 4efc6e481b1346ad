//! Reading the change log into the room's state ([`Room::sync`]), reloading from a
//! snapshot when the reader fell behind, and putting the event and this replica's
//! waiting fans back when the store lost them (a Redis flush or restart). Every store
//! call happens with the state lock released.

use tokio::time::Instant;

use super::state::Followups;
use super::Room;
use crate::store::{Restore, StoreError};

/// Change-log entries read per store call.
const READ_BATCH: usize = 10_000;

impl Room {
    /// Reads the change log up to its end and applies it to the local view.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let result = self.sync_inner().await;
        if let Err(StoreError::UnknownEvent) = result {
            // The store lost the event (a Redis flush or restart): its log restarts, so
            // our view and cursor are stale. The reload re-seeds the event and puts
            // our waiting fans back in their places.
            let mut st = self.lock();
            st.synced = false;
            st.lost = true;
        }
        result
    }

    /// Re-seeds the event if the store lost it and puts this replica's waiting fans
    /// back with their tickets and sequence numbers ([`crate::store::QueueStore::restore`]); the
    /// store skips fans it still knows, so this is safe after any reload.
    pub(super) async fn restore(&self) -> Result<(), StoreError> {
        let plan = self.lock().restore_plan().ok_or(StoreError::UnknownEvent)?;
        let restored = self
            .store
            .restore(
                self.event,
                &Restore {
                    config: &plan.config,
                    opened: plan.opened,
                    seq_floor: plan.seq_floor,
                    log_ordinal: plan.log_ordinal,
                    fans: &plan.fans,
                },
            )
            .await?;
        if restored > 0 {
            tracing::warn!(event = %self.event, restored, "store had lost waiting fans; put them back in their places");
        }
        let mut st = self.lock();
        st.lost = false;
        // The store may have lost what our lease covered too (a flush, or a
        // snapshot from before some of our fans came): send it all again.
        st.presence.resend();
        Ok(())
    }

    async fn sync_inner(&self) -> Result<(), StoreError> {
        if !self.lock().synced {
            self.reload().await?;
        }
        loop {
            let cursor = self.lock().cursor.clone();
            let batch = self.store.changes(self.event, &cursor, READ_BATCH).await?;
            if batch.lagged {
                tracing::warn!(event = %self.event, "change log trimmed past our cursor; reloading");
                self.reload().await?;
                continue;
            }
            let n = batch.changes.len();
            let mut followups = Followups::default();
            {
                let (now_ms, at) = (self.clock.now_ms(), Instant::now());
                let mut st = self.lock();
                followups.statuses = st.take_rechecks();
                st.cursor = batch.cursor;
                for change in batch.changes {
                    st.apply(change, now_ms, at, &self.signer, &mut followups);
                }
            }
            self.follow_up(followups).await?;
            if n < READ_BATCH {
                return Ok(());
            }
        }
    }

    async fn reload(&self) -> Result<(), StoreError> {
        // A reload after we had read the log (a loss, or a gap: another replica may
        // have re-seeded a lost event) first puts our waiting fans back if the store
        // forgot them.
        let (read_before, lost) = {
            let st = self.lock();
            (!st.cursor.0.is_empty(), st.lost)
        };
        if read_before || lost {
            self.restore().await?;
        }
        // Read the config before the snapshot: a store being re-seeded after a flush
        // may have one without the other.
        let config = match self.store.config(self.event).await? {
            Some(config) => config,
            None => {
                self.lock().lost = true;
                self.restore().await?;
                self.store
                    .config(self.event)
                    .await?
                    .ok_or(StoreError::UnknownEvent)?
            }
        };
        let snap = self.store.snapshot(self.event).await?;
        tracing::debug!(event = %self.event, opened = snap.opened, waiting = snap.seqs.len(), "reloaded");
        self.lock().load(config, snap);
        Ok(())
    }

    async fn follow_up(&self, f: Followups) -> Result<(), StoreError> {
        if f.reload_config {
            let config = self.store.config(self.event).await?;
            let mut st = self.lock();
            st.set_config(config);
            st.refresh_flags();
        }
        if !f.statuses.is_empty() {
            let statuses = self.store.statuses(self.event, &f.statuses).await?;
            for (user, status) in f.statuses.into_iter().zip(statuses) {
                if let Some(status) = status {
                    self.apply_status(user, status);
                }
            }
        }
        Ok(())
    }
}
