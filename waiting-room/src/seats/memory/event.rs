//! One event's seats in the embedded store: states and counts, holds and their
//! owners and deadlines, each token's seats held so far, and the seat log; the
//! operations the store runs on them under its lock.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::seats::store::{Hold, HoldId, HoldOutcome, HoldRequest, SeatState};
use crate::seats::view::SeatView;
use crate::store::memory::{MemoryLog, LOG_CAPACITY};
use crate::store::StoreError;

/// One seat-log entry: the seats one operation changed, all to this state.
pub(super) type LogEntry = (SeatState, Vec<u32>);

pub(super) struct EventSeats {
    /// Seat states and their counts (the same bookkeeping replicas keep locally).
    pub(super) seats: SeatView,
    pub(super) holds: HashMap<HoldId, Hold>,
    /// The hold owning each held seat.
    pub(super) owner: HashMap<u32, HoldId>,
    /// (deadline, hold) for every hold: expired holds, oldest deadline first.
    pub(super) deadlines: BTreeSet<(i64, HoldId)>,
    /// Seats held so far per purchase token; never refunded.
    pub(super) used: HashMap<String, u32>,
    /// Purchase tokens whose shopping session ended (confirmed).
    pub(super) ended: HashSet<String>,
    pub(super) log: MemoryLog<LogEntry>,
}

impl EventSeats {
    pub(super) fn new(capacity: u32) -> Self {
        Self {
            seats: SeatView::new(capacity),
            holds: HashMap::new(),
            owner: HashMap::new(),
            deadlines: BTreeSet::new(),
            used: HashMap::new(),
            ended: HashSet::new(),
            log: MemoryLog::new(LOG_CAPACITY),
        }
    }

    pub(super) fn state(&self, seat: u32) -> SeatState {
        self.seats.state(seat)
    }

    /// Sets a seat's state, keeping the counts; returns whether it changed.
    pub(super) fn set(&mut self, seat: u32, state: SeatState) -> bool {
        self.seats.apply(seat, state)
    }

    pub(super) fn append(&mut self, state: SeatState, seats: Vec<u32>) {
        if !seats.is_empty() {
            self.log.push((state, seats));
        }
    }

    pub(super) fn check_range(&self, seats: &[u32]) -> Result<(), StoreError> {
        match seats.iter().find(|s| **s >= self.seats.capacity()) {
            Some(seat) => Err(invalid(format!("seat {seat} is out of range"))),
            None => Ok(()),
        }
    }

    pub(super) fn hold(&mut self, r: &HoldRequest, now: i64) -> Result<HoldOutcome, StoreError> {
        self.check_range(&r.seats)?;
        let distinct: HashSet<u32> = r.seats.iter().copied().collect();
        if r.seats.is_empty() || distinct.len() != r.seats.len() {
            return Err(invalid("a hold needs distinct seats".into()));
        }
        if self.holds.contains_key(&r.hold) {
            return Err(invalid(format!("hold {} exists already", r.hold)));
        }
        if self.ended.contains(&r.jti) {
            return Ok(HoldOutcome::SessionEnded);
        }
        let used = self.used.get(&r.jti).copied().unwrap_or(0);
        if u64::from(used) + r.seats.len() as u64 > u64::from(r.max_seats) {
            return Ok(HoldOutcome::TokenExhausted { used });
        }
        let mut busy = Vec::new();
        let mut stale: Vec<HoldId> = Vec::new();
        for &seat in &r.seats {
            match self.state(seat) {
                SeatState::Free => {}
                SeatState::Sold | SeatState::HeldBack => busy.push(seat),
                SeatState::Held => match self.owner.get(&seat).and_then(|id| self.holds.get(id)) {
                    Some(h) if !h.confirming && h.expires_at_ms <= now => {
                        if !stale.contains(&h.id) {
                            stale.push(h.id.clone());
                        }
                    }
                    _ => busy.push(seat),
                },
            }
        }
        if !busy.is_empty() {
            return Ok(HoldOutcome::Unavailable { seats: busy });
        }
        for id in &stale {
            self.settle(id, SeatState::Free);
        }
        let expires_at_ms = now + r.ttl_ms;
        for &seat in &r.seats {
            self.set(seat, SeatState::Held);
            self.owner.insert(seat, r.hold.clone());
        }
        self.holds.insert(
            r.hold.clone(),
            Hold {
                id: r.hold.clone(),
                user: r.user,
                jti: r.jti.clone(),
                seats: r.seats.clone(),
                expires_at_ms,
                confirming: false,
            },
        );
        self.deadlines.insert((expires_at_ms, r.hold.clone()));
        *self.used.entry(r.jti.clone()).or_default() += r.seats.len() as u32;
        self.append(SeatState::Held, r.seats.clone());
        Ok(HoldOutcome::Held { expires_at_ms })
    }

    /// Forgets a hold, moving its seats to `state` (free or sold) in one log entry.
    /// Returns false if there was no such hold.
    pub(super) fn settle(&mut self, id: &HoldId, state: SeatState) -> bool {
        let Some(hold) = self.holds.remove(id) else {
            return false;
        };
        self.deadlines
            .remove(&(hold.expires_at_ms, hold.id.clone()));
        for &seat in &hold.seats {
            self.owner.remove(&seat);
            self.set(seat, state);
        }
        self.append(state, hold.seats);
        true
    }

    /// Marks seats sold whatever they were; a hold loses those seats (and is forgotten
    /// when none are left).
    pub(super) fn mark_sold(&mut self, seats: &[u32]) {
        let mut changed = Vec::new();
        for &seat in seats {
            if let Some(id) = self.owner.remove(&seat) {
                if let Some(h) = self.holds.get_mut(&id) {
                    h.seats.retain(|s| *s != seat);
                    if h.seats.is_empty() {
                        self.deadlines.remove(&(h.expires_at_ms, id.clone()));
                        self.holds.remove(&id);
                    }
                }
            }
            if self.set(seat, SeatState::Sold) {
                changed.push(seat);
            }
        }
        self.append(SeatState::Sold, changed);
    }
}

// --- held-back seats ---
impl EventSeats {
    /// Refuses an empty list or a seat out of range.
    pub(super) fn check_some(&self, seats: &[u32]) -> Result<(), StoreError> {
        if seats.is_empty() {
            return Err(invalid("no seats given".into()));
        }
        self.check_range(seats)
    }

    /// Holds back the free seats among `seats` (others are left alone), logged as one
    /// entry; returns those that changed.
    pub(super) fn hold_back_free(&mut self, seats: &[u32]) -> Vec<u32> {
        let mut changed = Vec::new();
        for &seat in seats {
            if self.state(seat) == SeatState::Free && self.set(seat, SeatState::HeldBack) {
                changed.push(seat);
            }
        }
        self.append(SeatState::HeldBack, changed.clone());
        changed
    }
}
// --- end of held-back seats ---

// --- refunds ---
impl EventSeats {
    /// Frees the sold seats among `seats` in one log entry; returns how many.
    pub(super) fn unsell(&mut self, seats: &[u32]) -> u32 {
        let mut changed = Vec::new();
        for &seat in seats {
            if self.seats.state(seat) == SeatState::Sold && self.set(seat, SeatState::Free) {
                changed.push(seat);
            }
        }
        let n = changed.len() as u32;
        self.append(SeatState::Free, changed);
        n
    }
}
// --- end refunds ---

/// A request the store refuses (the caller should have checked it).
fn invalid(msg: String) -> StoreError {
    StoreError::Backend(format!("invalid seat request: {msg}").into())
}
