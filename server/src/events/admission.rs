//! Live admission changes: the database records the change (with its audit entry),
//! then, under the same row lock, the queue store (what admission runs on) takes it,
//! so that concurrent changes reach the store in the order the database applied them.

use waiting_room::{AdmissionSettings, EventId};

use super::{EventError, Events};
use crate::db::{Actor, AdmissionChange, AdmissionNote};
use crate::event::AdmissionPatch;
use crate::webhooks::sale_watch::mode_changed;

impl Events {
    /// Applies `patch` to the event's admission settings on behalf of `actor` (an
    /// admin: a new rate switches the event's autotune off), records and publishes
    /// the result, and answers the settings now in force.
    pub async fn change_admission(
        &self,
        id: EventId,
        actor: &Actor,
        patch: &AdmissionPatch,
    ) -> Result<AdmissionSettings, EventError> {
        let change = self
            .change_admission_noted(id, actor, patch, &AdmissionNote::Manual)
            .await?;
        Ok(change.after)
    }

    /// [`Self::change_admission`] made by `note`'s author: for autotune, only if it is
    /// still on and the rate still the one it judged (else the answer's `after` is
    /// its `before`, and nothing changed).
    pub async fn change_admission_noted(
        &self,
        id: EventId,
        actor: &Actor,
        patch: &AdmissionPatch,
        note: &AdmissionNote,
    ) -> Result<AdmissionChange, EventError> {
        // Read before the transaction: publishing must not wait for a second connection.
        let mut event = self.get(id).await?;
        let publish = |settings| async move {
            let store = self.hub.store();
            store.configure(id, &event.queue_config(), true).await?;
            store.update_admission(id, &settings).await?;
            event.admission = settings;
            self.cache(event);
            Ok::<_, EventError>(())
        };
        let change = self
            .db
            .change_admission_noted(
                id,
                actor,
                self.hub.clock().now_ms(),
                |s| patch.apply(s).map_err(EventError::from),
                note,
                |before, after| self.webhooks.mode_change_rows(id, before, after),
                publish,
            )
            .await?
            .ok_or(EventError::UnknownEvent)?;
        if mode_changed(&change.before, &change.after) {
            self.webhooks.written();
        }
        if change.after != change.before {
            tracing::info!(event_id = %id, settings = ?change.after, ?note, "admission settings changed");
        }
        Ok(change)
    }
}
