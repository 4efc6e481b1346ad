//! Live admission changes: the database records the change (with its audit entry),
//! then, under the same row lock, the queue store (what admission runs on) takes it,
//! so that concurrent changes reach the store in the order the database applied them.

use waiting_room::{AdmissionSettings, EventId};

use super::{EventError, Events};
use crate::db::Actor;
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
        let settings = self
            .db
            .change_admission(
                id,
                actor,
                self.hub.clock().now_ms(),
                |s| patch.apply(s).map_err(EventError::from),
                publish,
            )
            .await?
            .ok_or(EventError::UnknownEvent)?
            .after;
        tracing::info!(event_id = %id, ?settings, "admission settings changed");
        Ok(settings)
    }
}
