//! A replica's waiting-room runtime: one [`Room`] per event, each with its own loop.
//! The server tells the hub which events exist ([`Hub::sync_events`]); the hub makes
//! sure each has a configured queue in the store and a running room.

use std::sync::Arc;

use crate::clock::Clock;
use crate::room::{Cadence, Room, RoomInfo};
use crate::runtime::Runtime;
use crate::seats::SeatStore;
use crate::store::{QueueStore, StoreError};
use crate::token::SigningKeys;
use crate::{EventId, QueueConfig};

/// The rooms of this replica.
pub struct Hub {
    store: Arc<dyn QueueStore>,
    seats: Option<Arc<dyn SeatStore>>,
    keys: SigningKeys,
    clock: Arc<dyn Clock>,
    rooms: Runtime<Room>,
}

impl Hub {
    pub fn new(
        store: Arc<dyn QueueStore>,
        seats: Option<Arc<dyn SeatStore>>,
        keys: SigningKeys,
        clock: Arc<dyn Clock>,
        cadence: Cadence,
    ) -> Self {
        Self {
            store,
            seats,
            keys,
            clock,
            rooms: Runtime::new("room", move |room: Arc<Room>, stop| room.run(cadence, stop)),
        }
    }

    pub fn store(&self) -> &Arc<dyn QueueStore> {
        &self.store
    }

    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// The clock rooms read (server time for stats and samples).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The running room of `event`, if any.
    pub fn room(&self, event: EventId) -> Option<Arc<Room>> {
        self.rooms.get(event)
    }

    /// Makes sure `event` has a queue in the store (seeding `config` only where the
    /// store has none, e.g. after a Redis flush or an embedded restart) and a running
    /// room on this replica.
    pub async fn ensure(
        &self,
        info: RoomInfo,
        config: &QueueConfig,
    ) -> Result<Arc<Room>, StoreError> {
        // A running room re-seeds its event itself if the store loses it (with its
        // view of the queue and its fans' places, `Room::restore`); re-seeding it
        // here from the bare configuration could open an empty queue first.
        let room = self
            .rooms
            .ensure(info.event, || async {
                self.store.configure(info.event, config, true).await?;
                Ok::<_, StoreError>(Arc::new(Room::new(
                    info,
                    Some(*config),
                    Arc::clone(&self.store),
                    self.seats.clone(),
                    self.keys.clone(),
                    Arc::clone(&self.clock),
                )))
            })
            .await?;
        room.set_max_seats(info.max_seats);
        Ok(room)
    }

    /// Ensures a room for each listed event and stops the rooms of events no longer
    /// listed (closed or deleted). One event failing does not keep the others from
    /// running.
    pub async fn sync_events(&self, events: &[(RoomInfo, QueueConfig)]) -> Result<(), StoreError> {
        // Collected first: a lazy iterator's closure in the future trips the
        // compiler's `Send` check for spawned callers.
        let wanted: Vec<_> = events
            .iter()
            .map(|(info, config)| (info.event, self.ensure(*info, config)))
            .collect();
        self.rooms.sync(wanted).await;
        Ok(())
    }

    /// Stops every room loop.
    pub fn shutdown(&self) {
        self.rooms.shutdown();
    }
}
