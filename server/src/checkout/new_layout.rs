//! An event's sections edited before its opening, on the checkout side: the seat
//! store's seats replaced by the new layout's (only while every seat is free, the
//! store's own check, so an admin's hold-back racing the edit either lands first and
//! refuses the edit, or finds the new seats), and the seat rooms restarted with the
//! new layout — here at once, on other replicas at their next event refresh
//! ([`Checkout::sync_events`]). Sockets of the seat stream follow the new room.

use std::sync::Arc;

use waiting_room::seats::store::SeatsReplaced;
use waiting_room::store::StoreError;

use super::{Checkout, SeatRoom};
use crate::event::{Event, Section};

/// Why the seat store did not take the new layout.
#[derive(Debug, thiserror::Error)]
pub enum ReseatError {
    /// Some seats are held, sold or held back; nothing changed.
    #[error("seats of this event are held, sold or held back: its sections can no longer change")]
    InUse,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Checkout {
    /// Replaces the event's seats in the store with `event`'s layout, all free. A
    /// store that has no seats for it (lost them) gets them built anew.
    pub async fn replace_seats(&self, event: &Event) -> Result<(), ReseatError> {
        let capacity = event.layout().capacity();
        for _ in 0..2 {
            match self.seats().replace_seats(event.id, capacity).await? {
                SeatsReplaced::Replaced => return Ok(()),
                SeatsReplaced::InUse(counts) => {
                    tracing::info!(event_id = %event.id, held = counts.held, sold = counts.sold, held_back = counts.held_back, "sections not replaced: seats in use");
                    return Err(ReseatError::InUse);
                }
                // Built from scratch: the database has no order nor held-back seat
                // for it (checked under the row lock before this call).
                SeatsReplaced::UnknownEvent => {
                    if self
                        .seats()
                        .init_seats(event.id, capacity, &[], &[])
                        .await?
                    {
                        return Ok(());
                    }
                }
            }
        }
        Err(StoreError::UnknownEvent.into())
    }

    /// Restarts the event's seat room here with its current layout (its sections
    /// changed): the old room stops, and its seat-stream sockets move to the new one.
    pub async fn restart(&self, event: &Event) -> Result<(), StoreError> {
        let old = self.rooms.stop(event.id);
        let started = self.room(event).await.map(drop);
        if let Some(old) = old {
            old.retire();
        }
        started
    }

    /// The rooms running here whose layout is not `events`' any more, stopped (to be
    /// started anew by the caller, then retired).
    pub(super) fn stop_outdated(&self, events: &[Event]) -> Vec<Arc<SeatRoom>> {
        events
            .iter()
            .filter(|e| {
                self.rooms
                    .get(e.id)
                    .is_some_and(|room| !same_layout(&room, &e.sections))
            })
            .filter_map(|e| {
                tracing::info!(event_id = %e.id, "sections changed: restarting the seat room");
                self.rooms.stop(e.id)
            })
            .collect()
    }

    /// The room running here for `event`, if any (a seat-stream socket whose room was
    /// replaced looks for its successor).
    pub fn running(&self, event: waiting_room::EventId) -> Option<Arc<SeatRoom>> {
        self.rooms.get(event)
    }
}

/// Whether the room's layout is made of `sections`.
fn same_layout(room: &SeatRoom, sections: &[Section]) -> bool {
    let ours = room.layout().sections();
    ours.len() == sections.len()
        && ours.iter().zip(sections).all(|(a, b)| {
            (a.name.as_str(), a.rows, a.seats_per_row, a.price_cents)
                == (b.name.as_str(), b.rows, b.seats_per_row, b.price_cents)
        })
}
