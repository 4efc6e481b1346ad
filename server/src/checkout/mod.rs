//! Checkout on this replica: one [`SeatRoom`] per event — the local seat view fed by
//! the seat log, the seat stream's batched deltas, and the sweeper of expired holds —
//! plus the hold / confirm / release operations ([`holds`]).

pub mod holds;
pub mod render;
mod seat_room;
pub mod seat_stream;

pub use seat_room::{SeatEvent, SeatRoom};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use waiting_room::seats::SeatStore;
use waiting_room::store::StoreError;
use waiting_room::EventId;

use crate::db::Db;
use crate::event::Event;

/// A running room and its loop.
type Running = (Arc<SeatRoom>, JoinHandle<()>);

/// The seat rooms of this replica.
pub struct Checkout {
    seats: Arc<dyn SeatStore>,
    db: Db,
    /// A `std` mutex: held to look up or insert a room, never across `.await`.
    rooms: Mutex<HashMap<EventId, Running>>,
    stop: CancellationToken,
}

impl Checkout {
    pub fn new(seats: Arc<dyn SeatStore>, db: Db) -> Self {
        Self {
            seats,
            db,
            rooms: Mutex::default(),
            stop: CancellationToken::new(),
        }
    }

    pub fn seats(&self) -> &Arc<dyn SeatStore> {
        &self.seats
    }

    /// The event's seat room, loaded (and its seat state rebuilt from the database if
    /// the store lost it) and running.
    pub async fn room(&self, event: &Event) -> Result<Arc<SeatRoom>, StoreError> {
        if let Some((room, _)) = self.lock().get(&event.id) {
            return Ok(Arc::clone(room));
        }
        let room = SeatRoom::load(event, Arc::clone(&self.seats), self.db.clone()).await?;
        let mut rooms = self.lock();
        if let Some((existing, _)) = rooms.get(&event.id) {
            return Ok(Arc::clone(existing)); // another request loaded it meanwhile
        }
        let task = tokio::spawn(Arc::clone(&room).run(self.stop.child_token()));
        rooms.insert(event.id, (Arc::clone(&room), task));
        Ok(room)
    }

    /// Runs rooms for `events` and stops the others.
    pub async fn sync_events(&self, events: &[Event]) -> Result<(), StoreError> {
        for event in events {
            // One event failing to load must not keep the others from running.
            if let Err(error) = self.room(event).await {
                tracing::warn!(%error, event_id = %event.id, "seat room did not load; retrying next refresh");
            }
        }
        let keep: HashSet<EventId> = events.iter().map(|e| e.id).collect();
        self.lock().retain(|id, (_, task)| {
            let keep = keep.contains(id);
            if !keep {
                task.abort();
            }
            keep
        });
        Ok(())
    }

    pub fn shutdown(&self) {
        self.stop.cancel();
        for (_, task) in self.lock().values() {
            task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, Running>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }
}
