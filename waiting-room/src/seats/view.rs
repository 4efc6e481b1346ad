//! A replica's local copy of an event's seat states, fed by the seat log: serves
//! snapshots, best-available candidates and counts without store round-trips.

use super::store::{SeatCounts, SeatSnapshot, SeatState};
use crate::store::Cursor;

#[derive(Clone, Debug, Default)]
pub struct SeatView {
    states: Vec<u8>,
    cursor: Cursor,
    held: u32,
    sold: u32,
    held_back: u32,
}

impl SeatView {
    /// `capacity` free seats.
    pub fn new(capacity: u32) -> Self {
        Self {
            states: vec![SeatState::Free as u8; capacity as usize],
            ..Self::default()
        }
    }

    pub fn from_snapshot(snapshot: SeatSnapshot) -> Self {
        let count = |state: SeatState| {
            snapshot
                .states
                .iter()
                .filter(|s| **s == state as u8)
                .count() as u32
        };
        let (held, sold, held_back) = (
            count(SeatState::Held),
            count(SeatState::Sold),
            count(SeatState::HeldBack),
        );
        Self {
            states: snapshot.states,
            cursor: snapshot.cursor,
            held,
            sold,
            held_back,
        }
    }

    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    pub fn set_cursor(&mut self, cursor: Cursor) {
        self.cursor = cursor;
    }

    pub fn capacity(&self) -> u32 {
        self.states.len() as u32
    }

    pub fn state(&self, seat: u32) -> SeatState {
        SeatState::from_u8(self.states.get(seat as usize).copied().unwrap_or(0))
    }

    pub fn states(&self) -> &[u8] {
        &self.states
    }

    pub fn held(&self) -> u32 {
        self.held
    }

    pub fn sold(&self) -> u32 {
        self.sold
    }

    pub fn held_back(&self) -> u32 {
        self.held_back
    }

    /// Seats neither held, sold nor held back.
    pub fn free(&self) -> u32 {
        self.capacity() - self.held - self.sold - self.held_back
    }

    /// The counts as [`SeatCounts`].
    pub fn counts(&self) -> SeatCounts {
        SeatCounts {
            capacity: self.capacity(),
            held: self.held,
            sold: self.sold,
            held_back: self.held_back,
        }
    }

    /// Applies one change; returns whether the seat's state changed.
    pub fn apply(&mut self, seat: u32, state: SeatState) -> bool {
        let Some(slot) = self.states.get_mut(seat as usize) else {
            return false;
        };
        let old = SeatState::from_u8(*slot);
        if old == state {
            return false;
        }
        match old {
            SeatState::Held => self.held -= 1,
            SeatState::Sold => self.sold -= 1,
            SeatState::HeldBack => self.held_back -= 1,
            SeatState::Free => {}
        }
        match state {
            SeatState::Held => self.held += 1,
            SeatState::Sold => self.sold += 1,
            SeatState::HeldBack => self.held_back += 1,
            SeatState::Free => {}
        }
        *slot = state as u8;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_changes() {
        let mut v = SeatView::from_snapshot(SeatSnapshot {
            cursor: Cursor::default(),
            states: vec![0, 1, 2, 0],
        });
        assert_eq!((v.held(), v.sold(), v.free()), (1, 1, 2));
        assert!(v.apply(0, SeatState::Held));
        assert!(!v.apply(0, SeatState::Held));
        assert!(v.apply(1, SeatState::Sold));
        assert!(!v.apply(99, SeatState::Sold));
        assert_eq!((v.held(), v.sold(), v.free()), (1, 2, 1));
        assert!(v.apply(3, SeatState::HeldBack));
        assert_eq!((v.held_back(), v.free()), (1, 0));
        assert!(v.apply(3, SeatState::Free));
        assert_eq!((v.held_back(), v.free()), (0, 1));
        let back = SeatView::from_snapshot(SeatSnapshot {
            cursor: Cursor::default(),
            states: vec![3, 3, 0],
        });
        assert_eq!((back.counts().held_back, back.counts().free()), (2, 1));
    }
}
