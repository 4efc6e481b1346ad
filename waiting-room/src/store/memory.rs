//! The embedded store: every event's queue in this process, behind one mutex.
//!
//! The lock is a `std::sync::Mutex`, not a Tokio one: every critical section is a few
//! map operations with no `.await` inside, so a blocking lock is cheaper and cannot be
//! held across a suspension point. State is lost when the process stops — the embedded
//! mode keeps confirmed orders in SQLite, and a restarted process re-seeds each event's
//! configuration from the database (queues start empty again).

mod join;
mod leases;
mod log;
mod opening;
mod presence;
mod queue;
mod spent;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    AdmitOutcome, Change, ChangeBatch, Cursor, DrawPage, Lease, Opening, PlaceCap, PowGate,
    PresenceUpdate, QueueSnapshot, QueueStats, QueueStore, SnapshotPage, StoreError, TicketStatus,
};
use crate::clock::{Clock, SystemClock};
use crate::shuffle::ShuffleSeed;
use crate::{AdmissionMode, AdmissionSettings, EventId, QueueConfig, TicketId, UserId};
pub(crate) use log::{MemoryLog, LOG_CAPACITY};

use queue::{EventQueue, Place};

/// The in-memory [`QueueStore`].
#[derive(Clone)]
pub struct MemoryStore {
    clock: Arc<dyn Clock>,
    events: Arc<Mutex<HashMap<EventId, EventQueue>>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl MemoryStore {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            events: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<EventId, EventQueue>> {
        // A panic while holding the lock leaves consistent-enough maps (every mutation
        // is a few inserts); keep serving rather than poison every later call.
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with_event<T>(
        &self,
        event: EventId,
        f: impl FnOnce(&mut EventQueue, i64) -> T,
    ) -> Result<T, StoreError> {
        let now = self.clock.now_ms();
        let mut events = self.lock();
        let q = events.get_mut(&event).ok_or(StoreError::UnknownEvent)?;
        Ok(f(q, now))
    }
}

#[async_trait]
impl QueueStore for MemoryStore {
    async fn configure(
        &self,
        event: EventId,
        config: &QueueConfig,
        only_if_missing: bool,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let mut events = self.lock();
        match events.get_mut(&event) {
            Some(_) if only_if_missing => {}
            Some(q) => {
                q.config = config.clone();
                q.append(Change::Settings);
            }
            None => {
                let mut q = EventQueue::new(config.clone(), now);
                q.append(Change::Settings);
                events.insert(event, q);
            }
        }
        Ok(())
    }

    async fn config(&self, event: EventId) -> Result<Option<QueueConfig>, StoreError> {
        Ok(self.lock().get(&event).map(|q| q.config.clone()))
    }

    async fn update_admission(
        &self,
        event: EventId,
        settings: &AdmissionSettings,
    ) -> Result<(), StoreError> {
        self.with_event(event, |q, _| {
            q.config.admission = settings.clone();
            q.append(Change::Settings);
        })
    }

    async fn join(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
    ) -> Result<TicketStatus, StoreError> {
        self.join_with(event, user, ticket, cap, None, false)
    }

    async fn join_presale(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        self.join_in(event, user, ticket, cap, pow, false, slot)
    }

    async fn presale_draw(
        &self,
        event: EventId,
        slot: u8,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        self.with_event(event, |q, _| {
            q.line_open(slot).then(|| {
                q.draws
                    .get(&slot)
                    .map_or_else(DrawPage::default, |d| d.page(offset, limit))
            })
        })
    }

    async fn join_staff(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
    ) -> Result<TicketStatus, StoreError> {
        self.join_with(event, user, ticket, None, None, true)
    }

    async fn join_gated(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: &PowGate,
    ) -> Result<TicketStatus, StoreError> {
        self.join_with(event, user, ticket, cap, Some(pow), false)
    }

    async fn status(
        &self,
        event: EventId,
        user: UserId,
    ) -> Result<Option<TicketStatus>, StoreError> {
        self.with_event(event, |q, _| q.status(user))
    }

    async fn statuses(
        &self,
        event: EventId,
        users: &[UserId],
    ) -> Result<Vec<Option<TicketStatus>>, StoreError> {
        self.with_event(event, |q, _| users.iter().map(|u| q.status(*u)).collect())
    }

    async fn poll(&self, event: EventId, user: UserId) -> Result<Option<TicketStatus>, StoreError> {
        self.with_event(event, |q, now| {
            if q.presence_of.contains_key(&user) {
                q.set_presence(user, now + q.config.grace_ms as i64);
            }
            q.status(user)
        })
    }

    async fn leave(&self, event: EventId, user: UserId) -> Result<bool, StoreError> {
        self.with_event(event, |q, _| match q.remove_waiting(user) {
            Some(Some(seq)) => {
                q.append(Change::Left { seqs: vec![seq] });
                true
            }
            Some(None) => true,
            None => false,
        })
    }

    async fn presence(
        &self,
        event: EventId,
        update: &PresenceUpdate<'_>,
    ) -> Result<Lease, StoreError> {
        self.with_event(event, |q, now| q.presence(update, now))
    }

    async fn draw(
        &self,
        event: EventId,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        self.presale_draw(event, 0, offset, limit).await
    }

    async fn admit(
        &self,
        event: EventId,
        free_seats: Option<u64>,
    ) -> Result<AdmitOutcome, StoreError> {
        self.with_event(event, |q, now| {
            let dropped = q.drop_absent(now);
            let active = q.active_count(now);
            let a = &q.config.admission;
            let (paused, mode, rate, max_active) =
                (a.paused, a.mode, a.rate_per_minute, a.max_active);
            if free_seats == Some(0) {
                q.waitlist = true;
            }
            // Admission runs from the first opening on, and waits while a draw runs.
            if !q.opened || q.drawing.is_some() || paused || !mode.admits() {
                return AdmitOutcome {
                    admitted: Vec::new(),
                    dropped,
                    active,
                    waitlist: q.waitlist,
                    idle_ms: None,
                };
            }
            let seats_for = match free_seats {
                Some(seats) if q.waitlist => seats.saturating_sub(active),
                _ => u64::MAX,
            };
            let free = u64::from(max_active).saturating_sub(active).min(seats_for);
            // Passthrough ignores the rate (the bucket is left alone), not the cap.
            let n = if mode == AdmissionMode::Passthrough {
                free.min(q.queue.len() as u64)
            } else {
                q.bucket.refill(now, rate);
                q.bucket.grant(free, q.queue.len() as u64)
            };
            let admitted = q.admit_head(n, now);
            AdmitOutcome {
                active: q.active.len() as u64,
                admitted,
                dropped,
                waitlist: q.waitlist,
                idle_ms: None,
            }
        })
    }

    async fn release(&self, event: EventId, user: UserId) -> Result<bool, StoreError> {
        self.with_event(event, |q, _| {
            let Some(Place::Admitted { expires_at_ms, .. }) = q.tickets.get(&user).map(|t| t.place)
            else {
                return false;
            };
            q.end_session(user, expires_at_ms)
        })
    }

    async fn purchased(
        &self,
        event: EventId,
        user: UserId,
        order: &str,
    ) -> Result<bool, StoreError> {
        self.with_event(event, |q, _| q.purchased(user, order))
    }

    async fn changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<ChangeBatch, StoreError> {
        let from = MemoryLog::<Change>::position(after)?;
        self.with_event(event, |q, _| {
            let read = q.log.read(from, max);
            ChangeBatch {
                changes: read.entries,
                cursor: read.cursor,
                lagged: read.lagged,
            }
        })
    }

    async fn snapshot(&self, event: EventId) -> Result<QueueSnapshot, StoreError> {
        self.with_event(event, |q, _| QueueSnapshot {
            cursor: q.log.end(),
            opened: q.opened,
            seqs: q.waiting_seqs(0).collect(),
        })
    }

    async fn stats(&self, event: EventId) -> Result<QueueStats, StoreError> {
        self.with_event(event, |q, now| QueueStats {
            waiting: q.queue.len() as u64,
            prequeue: q.prequeued()
                + q.drawing.as_ref().map_or(0, |d| {
                    let r = d.unmoved();
                    r.end - r.start
                }),
            admitted_total: q.admitted_total,
            active: q.active_count(now),
            admitted_last_minute: q.admitted_last_minute(now),
            opened: q.opened,
            // Tickets are never forgotten (one who left stays `Left`).
            joined: q.tickets.len() as u64,
            arrivals_last_minute: q.arrivals_last_minute(now),
        })
    }

    async fn now_ms(&self) -> Result<i64, StoreError> {
        Ok(self.clock.now_ms())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    // Issue 19, a line of millions in bounded calls.

    async fn snapshot_page(
        &self,
        event: EventId,
        after: u64,
        limit: usize,
    ) -> Result<SnapshotPage, StoreError> {
        self.with_event(event, |q, _| SnapshotPage {
            cursor: q.log.end(),
            opened: q.opened,
            seqs: q.waiting_seqs(after).take(limit.max(1)).collect(),
        })
    }

    // Issue 19: waiting for the change log; a closed sale's line leaves.

    async fn remove_line(&self, event: EventId) -> Result<(), StoreError> {
        // The event's maps go (their memory with them); a fresh queue keeps the
        // configuration, the counters and the draw record.
        self.with_event(event, |q, now| {
            let mut kept = EventQueue::new(q.config.clone(), now);
            kept.opened = q.opened;
            kept.lines_open = q.lines_open;
            kept.next_seq = q.next_seq;
            kept.next_arrival = q.next_arrival;
            kept.admitted_total = q.admitted_total;
            kept.waitlist = q.waitlist;
            kept.draws = std::mem::take(&mut q.draws);
            *q = kept;
        })
    }

    // Issue 19: the opening's draw in batches.

    async fn open_step(
        &self,
        event: EventId,
        seed: &ShuffleSeed,
        batch: usize,
    ) -> Result<Opening, StoreError> {
        self.with_event(event, |q, now| q.open_step(seed, batch, now))
    }
}
