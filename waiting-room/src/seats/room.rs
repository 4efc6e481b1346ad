//! One event's seats on this replica: a local [`SeatView`] tailing the seat log every
//! 100 ms, each batch of changes broadcast once as a delta to every seat-stream
//! subscriber, and a sweeper that releases expired holds every second.
//!
//! The store may lose its seat state (a Redis flush): the room notices (the event is
//! unknown to the store) and rebuilds it from the [`OrderLedger`], where every
//! confirmed order's seats are sold and every held-back seat is recorded. Holds are
//! lost; orders and held-back seats never are.
//!
//! The room knows no wire format: a [`SeatEncoder`] turns its states into the
//! messages subscribers receive, each encoded once and shared (see [`encode`]).

mod claims;
pub mod encode;
mod rebuild;
mod snapshots;
mod tail;

#[cfg(test)]
mod contract;
#[cfg(test)]
mod tests;

pub use encode::{SeatEncoder, Snapshot, MAX_STALE, REUSE_FACTOR};

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::ledger::OrderLedger;
use super::store::SeatCounts;
use super::view::SeatView;
use super::{SeatLayout, SeatStore};
use crate::store::StoreError;
use crate::EventId;
use claims::Claims;

/// A room's latest snapshot in one format, if it made one.
type Cached<M> = tokio::sync::Mutex<Option<Arc<Snapshot<M>>>>;

/// What the seat stream's subscribers receive; `M` is the encoder's message.
#[derive(Clone, Debug)]
pub enum SeatEvent<M> {
    /// A serialised `{"type":"delta",…}` message, the same for every format, shared
    /// by every socket (a cheap clone of one buffer).
    Delta(M),
    /// The view was reloaded: send a fresh snapshot (in the subscriber's format).
    Reset,
    /// This room was replaced by one with a new layout (the event's sections were
    /// edited): follow the event's new room.
    Replaced,
}

pub struct SeatRoom<E: SeatEncoder> {
    event: EventId,
    layout: SeatLayout,
    seats: Arc<dyn SeatStore>,
    ledger: Arc<dyn OrderLedger>,
    /// A `std` RwLock: read by every snapshot and best-available search, written by
    /// the tail loop; never held across `.await`.
    view: RwLock<SeatView>,
    /// Serialised deltas shared by all subscribers, or a reset after a reload.
    deltas: broadcast::Sender<SeatEvent<E::Message>>,
    /// Blocks claimed by requests in flight, and seats this replica saw taken (its own
    /// holds, conflicts the store reported) that the view may not show yet:
    /// best-available skips them, so requests arriving faster than the log is tailed
    /// do not all chase the same seats. Snapshots come from the view alone.
    /// Lock order: this before the view.
    claims: std::sync::Mutex<Claims>,
    /// Held by each log read: reads run one at a time, in the order they start (the
    /// loop's, and those a hold asks for after meeting seats the view still shows
    /// free; see [`Self::refresh`]).
    reading: tokio::sync::Mutex<()>,
    /// Bumped whenever the view changes (written under the view's write lock).
    generation: AtomicU64,
    /// The latest snapshot per format (full, compact), encoded once and shared by
    /// every socket and HTTP answer. A `tokio` mutex: held while a stale one is
    /// rebuilt (on the blocking pool), so a crowd connecting at once builds it once,
    /// not once each. The view changes at most every 100 ms, so neither is rebuilt
    /// more often.
    snapshots: [Cached<E::Message>; 2],
    /// Random, so that ETags from another replica, or from this room before a
    /// restart, never match this one's.
    nonce: u64,
    /// Snapshots encoded so far (both formats).
    encodings: AtomicU64,
    /// Cancelled when the sale closes: the seat streams say `closed` and end.
    closed: CancellationToken,
    encoder: PhantomData<fn() -> E>,
}

impl<E: SeatEncoder> SeatRoom<E> {
    /// Loads the room of `event`'s seats laid out as `layout`, rebuilding the store's
    /// seat state from the ledger if missing.
    pub async fn load(
        event: EventId,
        layout: SeatLayout,
        seats: Arc<dyn SeatStore>,
        ledger: Arc<dyn OrderLedger>,
    ) -> Result<Arc<Self>, StoreError> {
        let room = Self {
            event,
            claims: std::sync::Mutex::new(Claims::new(layout.sections().len())),
            layout,
            seats,
            ledger,
            view: RwLock::default(),
            deltas: broadcast::channel(256).0,
            reading: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            snapshots: Default::default(),
            nonce: rand::random(),
            encodings: AtomicU64::new(0),
            closed: CancellationToken::new(),
            encoder: PhantomData,
        };
        room.ensure_store().await?;
        room.free_refunded().await?;
        room.reload().await?;
        Ok(Arc::new(room))
    }

    pub fn layout(&self) -> &SeatLayout {
        &self.layout
    }

    pub fn event(&self) -> EventId {
        self.event
    }

    /// Tells this (stopped) room's subscribers that a new room replaced it.
    pub fn retire(&self) {
        let _ = self.deltas.send(SeatEvent::Replaced);
    }

    /// Seat states as this replica last saw them (within ~100 ms of the store).
    pub fn states(&self) -> Vec<u8> {
        self.read().states().to_vec()
    }

    pub fn counts(&self) -> SeatCounts {
        self.read().counts()
    }

    /// Marks the room closed (its sale closed): its seat streams learn it through
    /// [`Self::closed`]. Idempotent.
    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Completes once the room is closed (at once if it is already).
    pub async fn closed(&self) {
        self.closed.cancelled().await;
    }

    /// Deltas from now on (subscribe before taking a snapshot: deltas carry absolute
    /// states, so one already in the snapshot is harmless to apply again).
    pub fn subscribe(&self) -> broadcast::Receiver<SeatEvent<E::Message>> {
        self.deltas.subscribe()
    }

    /// Tails the seat log every 100 ms and sweeps every second, until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n = 0u64;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(error) = self.sync().await {
                tracing::warn!(%error, event_id = %self.event, "seat log read failed");
                continue;
            }
            n += 1;
            if n.is_multiple_of(10) {
                match self.sweep().await {
                    Ok(0) => {}
                    Ok(released) => {
                        tracing::debug!(event_id = %self.event, released, "expired holds released")
                    }
                    Err(error) => {
                        tracing::warn!(%error, event_id = %self.event, "hold sweep failed")
                    }
                }
            }
        }
    }

    /// Claims a block of `quantity` adjacent seats that looks free here (free in the
    /// view, not seen taken or claimed by another request on this replica, not in
    /// `exclude`), so concurrent requests on this replica never try the same seats:
    /// the best one when `spread` is 1, else one of the `spread` best at random (a
    /// request retrying after another replica took its seats, which that replica's
    /// next requests are about to take too, looks past them).
    /// The store still decides: note what it reported taken with [`Self::note_taken`],
    /// then hand the block back with [`Self::unclaim`], whatever the outcome.
    pub fn claim(
        &self,
        quantity: u32,
        section: Option<usize>,
        exclude: &HashSet<u32>,
        spread: usize,
    ) -> Option<Vec<u32>> {
        let mut claims = self.lock_claims();
        let view = self.read();
        claims.claim(&self.layout, &view, quantity, section, exclude, spread)
    }

    /// A mark for [`Self::refresh`]: the number of the next log read to start.
    pub fn read_mark(&self) -> u64 {
        self.lock_claims().next_read()
    }

    /// Brings the view up to the store as of `mark` (from [`Self::read_mark`]): returns
    /// once a log read that started at or after the mark has been applied, reading the
    /// log now unless one is under way (then waiting for it, and reading again only if
    /// it started before the mark). Requests that found the view stale at once share
    /// one read. A hold that met seats the view shows free (another replica took them
    /// within the last loop read) calls this before choosing again.
    pub async fn refresh(&self, mark: u64) -> Result<(), StoreError> {
        let _turn = self.reading.lock().await;
        if self.lock_claims().applied_since(mark) {
            return Ok(());
        }
        self.sync_in_turn().await
    }

    /// Hands back a block from [`Self::claim`] once its attempt is over. Seats noted
    /// taken stay skipped until the view shows them; the others may be tried again.
    pub fn unclaim(&self, block: &[u32]) {
        self.lock_claims().unclaim(&self.layout, block);
    }

    /// Records seats seen taken (held by us, or reported unavailable by the store).
    pub fn note_taken(&self, seats: &[u32]) {
        self.lock_claims().note_taken(seats);
    }

    fn lock_claims(&self) -> std::sync::MutexGuard<'_, Claims> {
        self.claims.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, SeatView> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }
}
