//! Live admission changes: the database records the change (with its audit entry),
//! then, under the same row lock, the queue store (what admission runs on) takes it,
//! so that concurrent changes reach the store in the order the database applied them.

use waiting_room::{AdmissionSettings, EventId};

use super::{EventError, Events};
use crate::db::{Actor, AdmissionChange};
use crate::event::AdmissionPatch;

impl Events {
    /// Applies `patch` to the event's admission settings on behalf of `actor`,
    /// records and publishes the result, and answers the settings now in force.
    pub async fn change_admission(
        &self,
        id: EventId,
        actor: &Actor,
        patch: &AdmissionPatch,
    ) -> Result<AdmissionSettings, EventError> {
        Ok(self.change_admission_seen(id, actor, patch).await?.after)
    }

    /// [`Self::change_admission`], answering the settings before the change as well
    /// (read under the event's row lock, so exact even with concurrent changes).
    pub async fn change_admission_seen(
        &self,
        id: EventId,
        actor: &Actor,
        patch: &AdmissionPatch,
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
            .change_admission(
                id,
                actor,
                self.hub.clock().now_ms(),
                |s| patch.apply(s).map_err(EventError::from),
                publish,
            )
            .await?
            .ok_or(EventError::UnknownEvent)?;
        tracing::info!(event_id = %id, settings = ?change.after, "admission settings changed");
        Ok(change)
    }
}
