//! Checkout on this replica: one [`SeatRoom`] per event — the local seat view fed by
//! the seat log, the seat stream's batched deltas, and the sweeper of expired holds —
//! plus the hold / confirm / release operations ([`holds`]), refunds ([`refunds`]) and
//! the admins' held-back seats ([`held_back`]).

pub mod held_back;
pub mod holds;
pub mod new_layout;
pub mod refunds;
pub mod render;
pub mod seat_map;
pub mod seat_messages;

pub use waiting_room::seats::room::{MAX_STALE, REUSE_FACTOR};

use std::sync::Arc;

use waiting_room::runtime::Runtime;
use waiting_room::seats::room;
use waiting_room::seats::store::SeatCounts;
use waiting_room::seats::{OrderLedger, SeatStore};
use waiting_room::store::StoreError;
use waiting_room::EventId;
use ws_protocol::tungstenite::Utf8Bytes;

use crate::db::Db;
use crate::event::Event;
use render::JsonSeats;

/// One event's seats on this replica (the domain's room, speaking this server's JSON).
pub type SeatRoom = room::SeatRoom<JsonSeats>;
/// What a [`SeatRoom`]'s seat-stream subscribers receive.
pub type SeatEvent = room::SeatEvent<Utf8Bytes>;
/// A [`SeatRoom`]'s shared snapshot.
pub type Snapshot = room::Snapshot<Utf8Bytes>;

/// The seat rooms of this replica, each running its loop in the shared per-event
/// [`Runtime`] (the queue rooms use the same one).
pub struct Checkout {
    seats: Arc<dyn SeatStore>,
    /// The database, as the rooms' order ledger.
    ledger: Arc<dyn OrderLedger>,
    rooms: Runtime<SeatRoom>,
}

impl Checkout {
    pub fn new(seats: Arc<dyn SeatStore>, db: Db) -> Self {
        Self {
            seats,
            ledger: Arc::new(db),
            rooms: Runtime::new("seat room", |room: Arc<SeatRoom>, stop| room.run(stop)),
        }
    }

    pub fn seats(&self) -> &Arc<dyn SeatStore> {
        &self.seats
    }

    /// Seat counts from the store (`None` if the store has no seats for the event yet).
    pub async fn seat_counts(&self, event: EventId) -> Result<Option<SeatCounts>, StoreError> {
        match self.seats.seat_counts(event).await {
            Ok(c) => Ok(Some(c)),
            Err(StoreError::UnknownEvent) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The event's seat room, loaded (and its seat state rebuilt from the database if
    /// the store lost it) and running.
    pub async fn room(&self, event: &Event) -> Result<Arc<SeatRoom>, StoreError> {
        self.rooms
            .ensure(event.id, || {
                SeatRoom::load(
                    event.id,
                    event.layout(),
                    Arc::clone(&self.seats),
                    Arc::clone(&self.ledger),
                )
            })
            .await
    }

    /// Runs rooms for `events` and stops the others. One event failing to load does
    /// not keep the others from running.
    /// A room whose event's sections changed is restarted with the new layout.
    /// Only rooms in `known` (running before the caller read `events`) are stopped: a
    /// room started since, for an event created meanwhile, is not stale.
    pub async fn sync_events(
        &self,
        events: &[Event],
        known: &std::collections::HashSet<EventId>,
    ) -> Result<(), StoreError> {
        let outdated = self.stop_outdated(events);
        let wanted: Vec<_> = events.iter().map(|e| (e.id, self.room(e))).collect();
        // Rooms of events no longer listed stop: their seat streams end as a closed
        // sale's do.
        for room in self.rooms.sync(wanted, known).await {
            room.close();
        }
        for room in outdated {
            room.retire();
        }
        Ok(())
    }

    /// Stops the seat room of `event` here, if one runs (its sale closed); its seat
    /// streams say `closed` and end.
    pub fn stop(&self, event: EventId) {
        if let Some(room) = self.rooms.stop(event) {
            room.close();
        }
    }

    /// Whether a seat room runs here for `event`.
    pub fn is_running(&self, event: EventId) -> bool {
        self.rooms.get(event).is_some()
    }

    /// The events whose seat rooms run here.
    pub fn running_events(&self) -> Vec<EventId> {
        self.rooms.events().into_iter().collect()
    }

    /// How many seat rooms run on this replica.
    pub fn running_rooms(&self) -> usize {
        self.rooms.len()
    }

    pub fn shutdown(&self) {
        self.rooms.shutdown();
    }
}
