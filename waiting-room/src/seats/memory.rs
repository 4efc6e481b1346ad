//! The embedded seat store: every event's seat states in this process, behind one
//! mutex (a `std::sync::Mutex`, as in [`crate::store::memory`]: critical sections are
//! a few map operations with no `.await`). Time comes from the injected [`Clock`].
//!
//! Per event: one [`SeatState`] byte per seat, the holds, which hold owns each held
//! seat, the seats each purchase token (`jti`) has held so far, the held/sold counts
//! and the seat log (one entry per operation: the seats it changed, all to one state).
//!
//! Taking over an expired hold: when a hold request meets a seat held by a hold whose
//! deadline passed and that is not being confirmed, and every requested seat is
//! available, that whole expired hold is released first (all its seats logged free, the
//! hold forgotten, as the sweeper would have done), then the new hold is made. So a
//! hold never loses some of its seats to another; only [`SeatStore::mark_sold`] can.

mod event;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::store::{
    ConfirmStart, Hold, HoldBackOutcome, HoldId, HoldOutcome, HoldRequest, SeatBatch, SeatCounts,
    SeatSnapshot, SeatState, SeatStore, SeatsReplaced,
};
use super::view::SeatView;
use crate::clock::{Clock, SystemClock};
use crate::store::memory::MemoryLog;
use crate::store::{Cursor, StoreError};
use crate::EventId;
use event::{EventSeats, LogEntry};

/// The in-memory [`SeatStore`].
#[derive(Clone)]
pub struct MemorySeatStore {
    clock: Arc<dyn Clock>,
    events: Arc<Mutex<HashMap<EventId, EventSeats>>>,
}

impl Default for MemorySeatStore {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl MemorySeatStore {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            events: Arc::default(),
        }
    }

    /// Loses the event's seats, as a Redis flush would (the seat room's tests).
    #[cfg(test)]
    pub(crate) fn forget(&self, event: EventId) {
        self.lock().remove(&event);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<EventId, EventSeats>> {
        // Every mutation checks before it writes, so a panic leaves consistent state.
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_event<T>(
        &self,
        event: EventId,
        f: impl FnOnce(&mut EventSeats, i64) -> T,
    ) -> Result<T, StoreError> {
        let now = self.clock.now_ms();
        let mut events = self.lock();
        let e = events.get_mut(&event).ok_or(StoreError::UnknownEvent)?;
        Ok(f(e, now))
    }
}

#[async_trait]
impl SeatStore for MemorySeatStore {
    async fn init_seats(
        &self,
        event: EventId,
        capacity: u32,
        sold: &[u32],
        held_back: &[u32],
    ) -> Result<bool, StoreError> {
        let mut events = self.lock();
        if events.contains_key(&event) {
            return Ok(false);
        }
        let mut seats = EventSeats::new(capacity);
        seats.check_range(sold)?;
        seats.check_range(held_back)?;
        seats.mark_sold(sold);
        seats.hold_back_free(held_back);
        events.insert(event, seats);
        Ok(true)
    }

    async fn hold(&self, event: EventId, request: &HoldRequest) -> Result<HoldOutcome, StoreError> {
        self.with_event(event, |e, now| e.hold(request, now))?
    }

    async fn end_token(&self, event: EventId, jti: &str) -> Result<(), StoreError> {
        self.with_event(event, |e, _| {
            e.ended.insert(jti.to_owned());
        })
    }

    async fn hold_info(&self, event: EventId, hold: &HoldId) -> Result<Option<Hold>, StoreError> {
        self.with_event(event, |e, _| e.holds.get(hold).cloned())
    }

    async fn begin_confirm(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: &str,
        lease_ms: i64,
    ) -> Result<ConfirmStart, StoreError> {
        self.with_event(event, |e, now| {
            let Some(h) = e.holds.get_mut(hold) else {
                return ConfirmStart::NotFound;
            };
            if h.jti != jti {
                return ConfirmStart::NotYours;
            }
            if !h.confirming && h.expires_at_ms <= now {
                return ConfirmStart::Expired;
            }
            if !h.confirming && e.ended.contains(jti) {
                return ConfirmStart::SessionEnded;
            }
            let deadline = h.expires_at_ms.max(now + lease_ms);
            e.deadlines.remove(&(h.expires_at_ms, hold.clone()));
            e.deadlines.insert((deadline, hold.clone()));
            h.expires_at_ms = deadline;
            h.confirming = true;
            ConfirmStart::Leased(h.clone())
        })
    }

    async fn finish_confirm(&self, event: EventId, hold: &HoldId) -> Result<(), StoreError> {
        self.with_event(event, |e, _| {
            e.settle(hold, SeatState::Sold);
        })
    }

    async fn release(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.with_event(event, |e, _| match e.holds.get(hold) {
            Some(h) if jti.is_none() || jti == Some(h.jti.as_str()) => {
                e.settle(hold, SeatState::Free)
            }
            _ => false,
        })
    }

    async fn expired_holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        self.with_event(event, |e, now| {
            e.deadlines
                .iter()
                .take_while(|(deadline, _)| *deadline <= now)
                .take(limit)
                .filter_map(|(_, id)| e.holds.get(id).cloned())
                .collect()
        })
    }

    async fn holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        self.with_event(event, |e, _| {
            e.deadlines
                .iter()
                .take(limit)
                .filter_map(|(_, id)| e.holds.get(id).cloned())
                .collect()
        })
    }

    async fn mark_sold(&self, event: EventId, seats: &[u32]) -> Result<(), StoreError> {
        self.with_event(event, |e, _| {
            e.check_range(seats)?;
            e.mark_sold(seats);
            Ok(())
        })?
    }

    // --- refunds ---
    async fn unsell(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        self.with_event(event, |e, _| {
            e.check_range(seats)?;
            Ok(e.unsell(seats))
        })?
    }
    // --- end refunds ---

    async fn seat_counts(&self, event: EventId) -> Result<SeatCounts, StoreError> {
        self.with_event(event, |e, _| e.seats.counts())
    }

    async fn holders(&self, event: EventId) -> Result<u64, StoreError> {
        // A token enters `used` at its first hold and never leaves.
        self.with_event(event, |e, _| e.used.len() as u64)
    }

    // --- held-back seats ---

    async fn hold_back(
        &self,
        event: EventId,
        seats: &[u32],
    ) -> Result<HoldBackOutcome, StoreError> {
        self.with_event(event, |e, _| {
            e.check_some(seats)?;
            let busy: Vec<u32> = seats
                .iter()
                .copied()
                .filter(|s| !matches!(e.state(*s), SeatState::Free | SeatState::HeldBack))
                .collect();
            if !busy.is_empty() {
                return Ok(HoldBackOutcome::Unavailable { seats: busy });
            }
            Ok(HoldBackOutcome::HeldBack {
                changed: e.hold_back_free(seats),
            })
        })?
    }

    async fn release_held_back(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        self.with_event(event, |e, _| {
            e.check_some(seats)?;
            let mut changed = Vec::new();
            for &seat in seats {
                if e.state(seat) == SeatState::HeldBack && e.set(seat, SeatState::Free) {
                    changed.push(seat);
                }
            }
            let n = changed.len() as u32;
            e.append(SeatState::Free, changed);
            Ok(n)
        })?
    }

    // --- end of held-back seats ---

    async fn replace_seats(
        &self,
        event: EventId,
        capacity: u32,
    ) -> Result<SeatsReplaced, StoreError> {
        let mut events = self.lock();
        let Some(e) = events.get_mut(&event) else {
            return Ok(SeatsReplaced::UnknownEvent);
        };
        let counts = e.seats.counts();
        if counts.held + counts.sold + counts.held_back > 0 {
            return Ok(SeatsReplaced::InUse(counts));
        }
        // No seat is held, so there is no hold, owner or deadline to forget.
        e.seats = SeatView::new(capacity);
        e.log.restart();
        Ok(SeatsReplaced::Replaced)
    }

    async fn seat_changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<SeatBatch, StoreError> {
        let from = MemoryLog::<LogEntry>::position(after)?;
        self.with_event(event, |e, _| {
            let read = e.log.read(from, max);
            SeatBatch {
                changes: read
                    .entries
                    .into_iter()
                    .flat_map(|(state, seats)| seats.into_iter().map(move |s| (s, state)))
                    .collect(),
                cursor: read.cursor,
                lagged: read.lagged,
            }
        })
    }

    async fn seat_snapshot(&self, event: EventId) -> Result<SeatSnapshot, StoreError> {
        self.with_event(event, |e, _| SeatSnapshot {
            cursor: e.log.end(),
            states: e.seats.states().to_vec(),
        })
    }
}
