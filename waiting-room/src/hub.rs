//! A replica's waiting-room runtime: one [`Room`] per event, each with its own loop.
//! The server tells the hub which events exist ([`Hub::sync_events`]); the hub makes
//! sure each has a configured queue in the store and a running room.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::room::{Cadence, Room, RoomInfo};
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
    cadence: Cadence,
    /// A `std` mutex: held only to look up or insert a room, never across `.await`.
    rooms: Mutex<HashMap<EventId, RoomEntry>>,
    stop: watch::Sender<bool>,
}

struct RoomEntry {
    room: Arc<Room>,
    task: JoinHandle<()>,
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
            cadence,
            rooms: Mutex::default(),
            stop: watch::Sender::new(false),
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
        self.lock().get(&event).map(|e| Arc::clone(&e.room))
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
        if let Some(entry) = self.lock().get(&info.event) {
            entry.room.set_max_seats(info.max_seats);
            return Ok(Arc::clone(&entry.room));
        }
        self.store.configure(info.event, config, true).await?;
        let mut rooms = self.lock();
        if let Some(entry) = rooms.get(&info.event) {
            entry.room.set_max_seats(info.max_seats);
            return Ok(Arc::clone(&entry.room));
        }
        let room = Arc::new(Room::new(
            info,
            Some(*config),
            Arc::clone(&self.store),
            self.seats.clone(),
            self.keys.clone(),
            Arc::clone(&self.clock),
        ));
        let task = tokio::spawn(Arc::clone(&room).run(self.cadence, self.stop.subscribe()));
        rooms.insert(
            info.event,
            RoomEntry {
                room: Arc::clone(&room),
                task,
            },
        );
        Ok(room)
    }

    /// Ensures a room for each listed event and stops the rooms of events no longer
    /// listed (closed or deleted).
    pub async fn sync_events(&self, events: &[(RoomInfo, QueueConfig)]) -> Result<(), StoreError> {
        for (info, config) in events {
            // One event failing must not keep the others from running.
            if let Err(error) = self.ensure(*info, config).await {
                tracing::warn!(%error, event = %info.event, "room did not start; retrying next refresh");
            }
        }
        let keep: HashSet<EventId> = events.iter().map(|(i, _)| i.event).collect();
        self.lock().retain(|event, entry| {
            let keep = keep.contains(event);
            if !keep {
                entry.task.abort();
            }
            keep
        });
        Ok(())
    }

    /// Stops every room loop.
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
        for entry in self.lock().values() {
            entry.task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, RoomEntry>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.shutdown();
    }
}
