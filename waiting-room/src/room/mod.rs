//! One event's queue as one replica sees it: a local order-statistics view fed by the
//! store's change log, and the fans whose sockets this replica holds.
//!
//! The room reads the change log when it grew, runs the admission step when it can
//! do something and, once a second, recomputes people-ahead for its own fans — so
//! its store round-trips do not grow with the number of waiting fans ([`driver`]).
//!
//! - `mod.rs`, [`Room`]: the thin async API; store calls happen with no lock held.
//! - `state.rs`, `RoomState`: the pure state machine the store's answers are fed to.
//! - `fan_calls.rs`: a fan's calls: its sockets, join, resume, leave, describe.
//! - `fans.rs`: the local fan registry.
//! - `presence.rs`: which local fans this replica's lease covers in the store.
//! - `admit.rs`: purchase tokens for admitted fans.
//! - `sync.rs`: reading the change log, and putting back what a store lost.
//! - [`driver`]: the loop, on tokio time.
//!
//! The state lock is a `std::sync::Mutex`: critical sections are map and Fenwick
//! operations with no `.await` inside.

mod admit;
pub mod driver;
mod fan_calls;
mod fans;
mod opening;
mod presence;
mod state;
mod sync;

#[cfg(test)]
mod props;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use driver::{Cadence, StepHook};
pub use state::DEFAULT_RATE_PER_MINUTE;

use self::admit::Signer;
use self::driver::{Driven, Pace, Stepped};
use self::state::RoomState;
use crate::clock::Clock;
use crate::fan::FanView;
use crate::seats::SeatStore;
use crate::shuffle::ShuffleSeed;
use crate::store::{Lease, PresenceUpdate, QueueStore, ReplicaId, StoreError, TicketStatus, Wake};
use crate::token::SigningKeys;
use crate::{EventId, QueueConfig, UserId};

/// What the room needs to know about its event besides the store's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    pub event: EventId,
    /// `max_seats` claim of the purchase tokens.
    pub max_seats: u32,
    /// The seed of the opening's draw (docs/FAIRNESS.md); `None` for an event created
    /// before seeds were drawn: a fresh, unpublished one is used.
    pub shuffle_seed: Option<ShuffleSeed>,
}

/// One event's queue on this replica.
pub struct Room {
    event: EventId,
    store: Arc<dyn QueueStore>,
    signer: Signer,
    clock: Arc<dyn Clock>,
    shuffle_seed: Option<ShuffleSeed>,
    /// Seat counts decide whether the event is sold out (no seat free).
    seats: Option<Arc<dyn SeatStore>>,
    state: Mutex<RoomState>,
    /// When the last position push began (µs after `epoch`; 0: never), so sockets can
    /// tell how long a tick took to reach them.
    epoch: Instant,
    pushed_at_us: AtomicU64,
    /// Sockets open here (a fan may have several): one per live [`FanHandle`].
    sockets: AtomicUsize,
    /// Cancelled when the event's sale closes: every socket of the room tells its fan
    /// `closed` and ends.
    closed: CancellationToken,
    /// This replica in the store's presence bookkeeping ([`Self::write_presence`]).
    replica: ReplicaId,
}

/// A replica's lease lasts this many presence heartbeats: two may fail or come late
/// before its fans' grace starts to run.
pub const LEASE_BEATS: u32 = 3;

/// A socket's subscription to its fan's view. Dropping it disconnects the socket; the
/// last socket of a fan to go starts the reconnect grace period.
pub struct FanHandle {
    room: Arc<Room>,
    user: UserId,
    rx: watch::Receiver<FanView>,
}

impl FanHandle {
    pub fn user(&self) -> UserId {
        self.user
    }
    pub fn room(&self) -> &Arc<Room> {
        &self.room
    }
    /// The receiver of the fan's view (clone it to await changes).
    pub fn views(&self) -> watch::Receiver<FanView> {
        self.rx.clone()
    }
}

impl Drop for FanHandle {
    fn drop(&mut self) {
        self.room.disconnect(self.user);
    }
}

impl Room {
    /// A room for `info`, knowing the event's configuration from the start (the store's
    /// copy replaces it at the first sync).
    pub fn new(
        info: RoomInfo,
        config: Option<QueueConfig>,
        store: Arc<dyn QueueStore>,
        seats: Option<Arc<dyn SeatStore>>,
        keys: SigningKeys,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let now = Instant::now();
        Self {
            event: info.event,
            store,
            seats,
            signer: Signer::new(info.event, keys, info.max_seats),
            clock,
            shuffle_seed: info.shuffle_seed,
            state: Mutex::new(RoomState::new(config, now)),
            epoch: now,
            pushed_at_us: AtomicU64::new(0),
            sockets: AtomicUsize::new(0),
            closed: CancellationToken::new(),
            replica: ReplicaId::random(),
        }
    }

    /// The room as part of `replica` (the hub's, one per process) rather than a
    /// replica of its own.
    pub fn with_replica(mut self, replica: ReplicaId) -> Self {
        self.replica = replica;
        self
    }

    /// This replica's id in the store's presence bookkeeping.
    pub fn replica(&self) -> &ReplicaId {
        &self.replica
    }

    /// Marks the room closed (its sale ended, or its event is gone): its sockets
    /// learn it through [`Self::closed`]. Idempotent.
    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Completes once the room is closed.
    pub async fn closed(&self) {
        self.closed.cancelled().await;
    }

    /// Time since the last position push began (`None` before the first): a socket
    /// that has just written its `position` message learns how long the tick took to
    /// reach it.
    pub fn since_push(&self) -> Option<Duration> {
        let at = self.pushed_at_us.load(Ordering::Relaxed);
        (at != 0).then(|| {
            self.epoch
                .elapsed()
                .saturating_sub(Duration::from_micros(at))
        })
    }

    pub fn event(&self) -> EventId {
        self.event
    }

    pub fn set_max_seats(&self, max_seats: u32) {
        self.signer.set_max_seats(max_seats);
    }

    /// The configuration last read from the store.
    pub fn config(&self) -> Option<QueueConfig> {
        self.lock().config.clone()
    }

    /// Number of fans with a socket on this replica.
    pub fn local_fans(&self) -> usize {
        self.lock().fans.len()
    }

    /// Number of queue sockets open on this replica (a fan with two tabs counts
    /// twice). Lock-free: admin stats read it every second.
    pub fn local_sockets(&self) -> usize {
        self.sockets.load(Ordering::Relaxed)
    }

    /// Fans waiting in line (and pre-queued), as this replica last read the store.
    pub fn waiting(&self) -> u64 {
        self.lock().waiting()
    }

    /// Whether the sale has opened (admission runs: the first line's pre-queue was
    /// drawn, the public one's or a presale group's), as this replica last read the
    /// store's change log.
    pub fn opened(&self) -> bool {
        self.lock().opened
    }

    /// Whether line `slot`'s opening is complete (0: the public line, whose draw
    /// publishes the event's seed; a presale group's otherwise), as this replica last
    /// read the store's change log (or the store said every line opened).
    pub fn line_opened(&self, slot: u8) -> bool {
        self.lock().lines_open & 1u16.checked_shl(u32::from(slot)).unwrap_or(0) != 0
    }

    /// Whether the event has no free seat, as of the last admission step.
    pub fn sold_out(&self) -> bool {
        self.lock().sold_out
    }

    /// Whether the event sold out once, so its line is the waitlist, as of the last
    /// admission step.
    pub fn waitlist(&self) -> bool {
        self.lock().waitlist
    }

    fn lock(&self) -> MutexGuard<'_, RoomState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a ticket status from the store into the fan's view (a local fan with a
    /// place in line is covered by this replica's lease from now on).
    fn apply_status(&self, user: UserId, status: TicketStatus) {
        let now_ms = self.clock.now_ms();
        self.lock()
            .apply_status(user, status, now_ms, Instant::now(), &self.signer);
    }

    /// Recomputes people-ahead and the estimated wait of every local waiting fan and
    /// pushes the ones that changed; ends sessions whose time ran out.
    pub fn push_positions(&self) {
        let began = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.pushed_at_us.store(began.max(1), Ordering::Relaxed);
        let now_ms = self.clock.now_ms();
        self.lock().push(now_ms, Instant::now());
    }

    /// Presence heartbeat: renews this replica's lease (for [`LEASE_BEATS`] default
    /// heartbeat periods) with the fans covered and uncovered since the last write.
    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        let beat = Cadence::default().heartbeat;
        let beat = self.heartbeat_cap().map_or(beat, |cap| beat.min(cap));
        self.write_presence(true, beat).await
    }

    /// Writes the presence changes since the last write (fans whose first socket
    /// opened here or whose last one closed), in one store call that also renews the
    /// lease to [`LEASE_BEATS`] × `beat`; with no change and `renew` false, nothing.
    /// A store that had lost the lease (it ran out, or the store lost the event) is
    /// sent every covered fan again (docs/ARCHITECTURE.md, "Presence").
    pub async fn write_presence(&self, renew: bool, beat: Duration) -> Result<(), StoreError> {
        let lease_ms = u64::try_from((beat * LEASE_BEATS).as_millis()).unwrap_or(u64::MAX);
        for _ in 0..2 {
            let batch = {
                let mut st = self.lock();
                if !renew && !st.presence.pending() {
                    return Ok(());
                }
                st.presence.take()
            };
            let update = PresenceUpdate {
                replica: &self.replica,
                cover: &batch.cover,
                uncover: &batch.uncover,
                lease_ms: lease_ms.max(1),
            };
            match self.store.presence(self.event, &update).await {
                Ok(Lease::Held) => return Ok(()),
                Ok(Lease::Lapsed) if batch.whole => return Ok(()),
                Ok(Lease::Lapsed) => {
                    tracing::warn!(event = %self.event, replica = %self.replica, "presence lease had lapsed; covering every local fan again");
                    self.lock().presence.resend();
                }
                Err(error) => {
                    self.lock().presence.put_back(batch);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Opens the sale when due, then runs one admission step.
    pub async fn step(&self) -> Result<(), StoreError> {
        self.step_paced().await.map(drop)
    }

    /// [`Self::step`], telling the loop whether the step wrote to the change log and
    /// how long the next one could do nothing.
    async fn step_paced(&self) -> Result<Stepped, StoreError> {
        let due = {
            let st = self.lock();
            if st.config.is_none() {
                return Ok(Stepped::default());
            }
            st.opening_due(self.clock.now_ms())
        };
        let opening = if due {
            self.advance_opening().await?
        } else {
            Default::default()
        };
        let wrote = opening.wrote;
        let counts = match &self.seats {
            Some(seats) => match seats.seat_counts(self.event).await {
                Ok(c) => Some(c),
                Err(StoreError::UnknownEvent) => None, // seats not loaded yet
                Err(e) => return Err(e),
            },
            None => None,
        };
        let sold_out = counts.is_some_and(|c| c.capacity > 0 && c.free() == 0);
        {
            let mut st = self.lock();
            st.available = counts.map(|c| c.free());
            if st.sold_out != sold_out {
                tracing::info!(event = %self.event, sold_out, "availability changed");
                st.sold_out = sold_out;
                st.refresh_flags();
            }
        }
        // The store admits nobody while no seat is free and, once the event has sold
        // out, only as many fans as there are free seats for (the waitlist).
        let free_seats = counts
            .filter(|c| c.capacity > 0)
            .map(|c| u64::from(c.free()));
        let outcome = self.store.admit(self.event, free_seats).await?;
        let mut st = self.lock();
        let max_active = st
            .config
            .as_ref()
            .map_or(u64::MAX, |c| u64::from(c.admission.max_active));
        let waiting = st.waiting() > outcome.admitted.len() as u64;
        st.estimator
            .step(Instant::now(), waiting, outcome.active >= max_active);
        if st.waitlist != outcome.waitlist {
            st.waitlist = outcome.waitlist;
            st.refresh_flags();
        }
        Ok(Stepped {
            wrote: wrote || outcome.dropped > 0 || !outcome.admitted.is_empty(),
            // While the draw goes on the next step continues it, on cadence.
            idle: outcome
                .idle_ms
                .filter(|_| !opening.drawing)
                .map(Duration::from_millis),
        })
    }

    /// The room's loop ([`driver::run`]): sync, admit and push positions on their
    /// cadences until `cancel`.
    pub async fn run(self: Arc<Self>, cadence: Cadence, cancel: CancellationToken) {
        self.run_with(cadence, None, cancel).await;
    }

    /// [`Self::run`], telling `hook` (if any) how long each admission step took.
    pub async fn run_with(
        self: Arc<Self>,
        cadence: Cadence,
        hook: Option<StepHook>,
        cancel: CancellationToken,
    ) {
        match hook {
            None => driver::run(&*self, cadence, cancel).await,
            Some(hook) => {
                let timed = driver::TimedStep { room: &*self, hook };
                driver::run(&timed, cadence, cancel).await;
            }
        }
    }
}

impl Driven for Room {
    fn event(&self) -> EventId {
        self.event
    }
    async fn sync(&self) -> Result<(), StoreError> {
        Room::sync(self).await
    }
    async fn step(&self) -> Result<Stepped, StoreError> {
        Room::step_paced(self).await
    }
    fn push_positions(&self) {
        Room::push_positions(self);
    }
    async fn presence(&self, renew: bool, beat: Duration) -> Result<(), StoreError> {
        Room::write_presence(self, renew, beat).await
    }
    fn heartbeat_cap(&self) -> Option<Duration> {
        let grace_ms = self.lock().config.as_ref().map(|c| c.grace_ms);
        grace_ms.map(|g| Duration::from_millis(g / 4))
    }
    async fn wait_change(&self, limit: Duration) -> Result<Wake, StoreError> {
        let cursor = self.lock().cursor.clone();
        self.store.wait_changes(self.event, &cursor, limit).await
    }
    fn pace(&self) -> Pace {
        let now_ms = self.clock.now_ms();
        let st = self.lock();
        Pace {
            waiting: st.waiting() > 0,
            config: st.config.clone(),
            opened: st.opened,
            open_due: st.opening_due(now_ms),
        }
    }
}
