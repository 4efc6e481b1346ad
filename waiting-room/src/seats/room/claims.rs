//! Best-available on this replica: blocks claimed by requests in flight and seats
//! seen taken that the view may not show yet, so requests arriving faster than the log
//! is tailed do not all chase the same seats.

use std::collections::{HashMap, HashSet};

use crate::seats::store::SeatState;
use crate::seats::view::SeatView;
use crate::seats::SeatLayout;

/// What best-available must skip besides the view, and per section the first row that
/// may have a free seat (rows in front of it were full, so best-available does not
/// rescan them on every request).
#[derive(Default)]
pub(super) struct Claims {
    /// Seats in blocks claimed by requests still in flight.
    claimed: HashSet<u32>,
    /// Seats seen taken, with the log read they were noted in: a seat is forgotten only
    /// once a log read that started after it was noted has been applied, so the view
    /// shows it by then. (Forgetting them when a read merely starts would free them
    /// for best-available while that read is still under way — a whole row of seats
    /// held here, tried one by one until the attempts run out.)
    seen: HashMap<u32, u64>,
    /// Log reads started so far.
    reads: u64,
    /// Log reads applied so far (reads run one at a time, in the order they start).
    applied: u64,
    pub(super) row_hint: Vec<u32>,
}

impl Claims {
    /// Nothing claimed, every section's hint at its first row.
    pub(super) fn new(sections: usize) -> Self {
        Self {
            row_hint: vec![1; sections],
            ..Self::default()
        }
    }

    fn blocks(&self, seat: u32) -> bool {
        self.claimed.contains(&seat) || self.seen.contains_key(&seat)
    }

    /// Counts a log read starting: returns its number for [`Self::read_applied`].
    pub(super) fn read_started(&mut self) -> u64 {
        self.reads += 1;
        self.reads - 1
    }

    /// Read `read` is applied: seats noted before it started are in the view now.
    pub(super) fn read_applied(&mut self, read: u64) {
        self.seen.retain(|_, noted| *noted > read);
        self.applied = self.applied.max(read + 1);
    }

    /// The number the next log read to start will have.
    pub(super) fn next_read(&self) -> u64 {
        self.reads
    }

    /// Whether read `read` (or a later one) has been applied.
    pub(super) fn applied_since(&self, read: u64) -> bool {
        self.applied > read
    }

    /// Claims a block of `quantity` adjacent seats of `layout` that looks free (free in
    /// `view`, not seen taken or claimed, not in `exclude`): the best one when `spread`
    /// is 1, else one of the `spread` best picked at random.
    pub(super) fn claim(
        &mut self,
        layout: &SeatLayout,
        view: &SeatView,
        quantity: u32,
        section: Option<usize>,
        exclude: &HashSet<u32>,
        spread: usize,
    ) -> Option<Vec<u32>> {
        let open = |i: u32| view.state(i) == SeatState::Free && !self.blocks(i);
        let mut row_hint = self.row_hint.clone();
        // Move each hint past rows that have no free seat at all (amortised: a row is
        // skipped once until a seat in front of the hint frees up again).
        for (si, s) in layout.sections().iter().enumerate() {
            while row_hint[si] <= s.rows && !layout.row_seats(si, row_hint[si]).any(open) {
                row_hint[si] += 1;
            }
        }
        let usable = |i: u32| open(i) && !exclude.contains(&i);
        let mut blocks =
            layout.best_available_from(quantity, section, spread.max(1), |si| row_hint[si], usable);
        self.row_hint = row_hint;
        if blocks.is_empty() {
            return None;
        }
        let pick = if blocks.len() == 1 {
            0
        } else {
            rand::Rng::gen_range(&mut rand::thread_rng(), 0..blocks.len())
        };
        let block = blocks.swap_remove(pick);
        self.claimed.extend(&block);
        Some(block)
    }

    /// Hands back a claimed block: seats noted taken stay skipped until the view shows
    /// them; the others may be tried again.
    pub(super) fn unclaim(&mut self, layout: &SeatLayout, block: &[u32]) {
        for seat in block {
            self.claimed.remove(seat);
            if !self.seen.contains_key(seat) {
                self.lower_hint(layout, *seat);
            }
        }
    }

    /// Records seats seen taken (held by us, or reported unavailable by the store).
    pub(super) fn note_taken(&mut self, seats: &[u32]) {
        let read = self.reads;
        self.seen.extend(seats.iter().map(|s| (*s, read)));
    }

    /// A seat is free again: best-available must look at its row.
    pub(super) fn lower_hint(&mut self, layout: &SeatLayout, seat: u32) {
        let p = layout.position(seat);
        self.row_hint[p.section] = self.row_hint[p.section].min(p.row);
    }
}
