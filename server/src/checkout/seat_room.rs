//! One event's seats on this replica: a local [`SeatView`] tailing the seat log every
//! 100 ms, each batch of changes broadcast once as a delta to every seat-stream
//! subscriber, and a sweeper that releases expired holds every second.
//!
//! The store may lose its seat state (a Redis flush): the room notices (the event is
//! unknown to the store) and rebuilds it from the database, where every confirmed
//! order's seats are sold and every held-back seat is recorded. Holds are lost; orders
//! and held-back seats never are.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use waiting_room::seats::store::{SeatCounts, SeatState};
use waiting_room::seats::view::SeatView;
use waiting_room::seats::{SeatLayout, SeatStore};
use waiting_room::store::StoreError;
use waiting_room::EventId;
use ws_protocol::tungstenite::Utf8Bytes;

use super::render;
use crate::db::Db;
use crate::event::Event;

/// Seat-log entries read per store call.
const READ_BATCH: usize = 10_000;
/// Expired holds released per sweep.
const SWEEP_BATCH: usize = 256;

/// An HTTP snapshot is reused, though the view moved on, while younger than this many
/// times its build time...
pub const REUSE_FACTOR: u32 = 4;
/// ...and at most this long (the seat map's `Cache-Control: max-age`).
pub const MAX_STALE: Duration = Duration::from_secs(1);

/// What the seat stream's subscribers receive.
#[derive(Clone, Debug)]
pub enum SeatEvent {
    /// A serialised `{"type":"delta",…}` message, the same for every format, shared
    /// by every socket (a cheap clone of one buffer).
    Delta(Utf8Bytes),
    /// The view was reloaded: send a fresh snapshot (in the subscriber's format).
    Reset,
    /// This room was replaced by one with a new layout (the event's sections were
    /// edited): follow the event's new room.
    Replaced,
}

pub struct SeatRoom {
    event: EventId,
    layout: SeatLayout,
    seats: Arc<dyn SeatStore>,
    db: Db,
    /// A `std` RwLock: read by every snapshot and best-available search, written by
    /// the tail loop; never held across `.await`.
    view: RwLock<SeatView>,
    /// Serialised deltas shared by all subscribers, or a reset after a reload.
    deltas: broadcast::Sender<SeatEvent>,
    /// Blocks claimed by requests in flight, and seats this replica saw taken (its own
    /// holds, conflicts the store reported) that the view may not show yet:
    /// best-available skips them, so requests arriving faster than the log is tailed
    /// do not all chase the same seats. Snapshots come from the view alone.
    /// Lock order: this before the view.
    claims: std::sync::Mutex<Claims>,
    /// Bumped whenever the view changes (written under the view's write lock).
    generation: AtomicU64,
    /// The latest snapshot per format (full, compact), encoded once and shared by
    /// every socket and HTTP answer. A `tokio` mutex: held while a stale one is
    /// rebuilt (on the blocking pool), so a crowd connecting at once builds it once,
    /// not once each. The view changes at most every 100 ms, so neither is rebuilt
    /// more often.
    snapshots: [tokio::sync::Mutex<Option<Arc<Snapshot>>>; 2],
    /// Random, so that ETags from another replica, or from this room before a
    /// restart, never match this one's.
    nonce: u64,
    /// Snapshots encoded so far (both formats).
    encodings: AtomicU64,
    /// Cancelled when the sale closes: the seat streams say `closed` and end.
    closed: CancellationToken,
}

/// One encoded snapshot of the seats.
pub struct Snapshot {
    /// The view generation it shows.
    pub generation: u64,
    built: std::time::Instant,
    /// How long it took to build.
    took: Duration,
    /// The seat stream's snapshot message (see [`render::http_body`] for HTTP's).
    pub message: Utf8Bytes,
    /// [`render::http_body`] gzipped, made at the first request that accepts gzip.
    gzip: tokio::sync::OnceCell<bytes::Bytes>,
}

impl Snapshot {
    /// The HTTP body, gzipped (once per snapshot, on the blocking pool).
    pub async fn gzip(&self) -> bytes::Bytes {
        let message = bytes::Bytes::from(self.message.clone());
        self.gzip
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || render::gzip(&render::http_body(&message)))
                    .await
                    .expect("the blocking pool runs while the server does")
            })
            .await
            .clone()
    }
}

/// What best-available must skip besides the view, and per section the first row that
/// may have a free seat (rows in front of it were full, so best-available does not
/// rescan them on every request).
#[derive(Default)]
struct Claims {
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
    row_hint: Vec<u32>,
}

impl Claims {
    fn blocks(&self, seat: u32) -> bool {
        self.claimed.contains(&seat) || self.seen.contains_key(&seat)
    }
}

impl SeatRoom {
    /// Loads the room, rebuilding the store's seat state from the database if missing.
    pub async fn load(
        event: &Event,
        seats: Arc<dyn SeatStore>,
        db: Db,
    ) -> Result<Arc<Self>, StoreError> {
        let room = Self {
            event: event.id,
            layout: event.layout(),
            seats,
            db,
            view: RwLock::default(),
            deltas: broadcast::channel(256).0,
            claims: std::sync::Mutex::new(Claims {
                row_hint: vec![1; event.sections.len()],
                ..Claims::default()
            }),
            generation: AtomicU64::new(0),
            snapshots: Default::default(),
            nonce: rand::random(),
            encodings: AtomicU64::new(0),
            closed: CancellationToken::new(),
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

    /// The snapshot message in the given format, as of now: the shared copy if the
    /// view has not changed since it was built.
    pub async fn snapshot_message(&self, compact: bool) -> Utf8Bytes {
        self.snapshot(compact, false).await.message.clone()
    }

    /// The shared snapshot in the given format: the cached one if the view has not
    /// changed since it was built, else a new one. With `stale_ok` (HTTP, where the
    /// answer says how old it may be; a socket needs the latest, as its deltas follow),
    /// also the cached one while it is younger than [`REUSE_FACTOR`] times what it
    /// took to build, and at most [`MAX_STALE`]: on a busy sale a big map is then
    /// rebuilt for HTTP at most a fifth of the time, while a small one (built in a
    /// millisecond) stays as fresh as the view.
    pub async fn snapshot(&self, compact: bool, stale_ok: bool) -> Arc<Snapshot> {
        let mut cached = self.snapshots[usize::from(compact)].lock().await;
        let current = self.generation.load(Ordering::Acquire);
        if let Some(snapshot) = &*cached {
            let young = snapshot.built.elapsed() < (snapshot.took * REUSE_FACTOR).min(MAX_STALE);
            if snapshot.generation == current || (stale_ok && young) {
                return Arc::clone(snapshot);
            }
        }
        let started = std::time::Instant::now();
        let (generation, states) = {
            let v = self.read();
            (self.generation.load(Ordering::Acquire), v.states().to_vec())
        };
        let layout = self.layout.clone();
        let message = tokio::task::spawn_blocking(move || {
            if compact {
                render::compact_snapshot(&layout, &states)
            } else {
                render::snapshot_message(&layout, &states)
            }
        })
        .await
        .expect("the blocking pool runs while the server does");
        self.encodings.fetch_add(1, Ordering::Relaxed);
        let snapshot = Arc::new(Snapshot {
            generation,
            built: std::time::Instant::now(),
            took: started.elapsed(),
            message: message.into(),
            gzip: tokio::sync::OnceCell::new(),
        });
        *cached = Some(Arc::clone(&snapshot));
        snapshot
    }

    /// A validator for `snapshot`, unique to this room: its random nonce and the generation.
    pub fn etag(&self, snapshot: &Snapshot) -> String {
        format!("W/\"{:016x}-{}\"", self.nonce, snapshot.generation)
    }

    /// Snapshots encoded so far, both formats (a test's and a profiler's figure).
    pub fn encodings(&self) -> u64 {
        self.encodings.load(Ordering::Relaxed)
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
    pub fn subscribe(&self) -> broadcast::Receiver<SeatEvent> {
        self.deltas.subscribe()
    }

    /// Claims the best block of `quantity` adjacent seats that looks free here (free
    /// in the view, not seen taken or claimed by another request on this replica, not
    /// in `exclude`), so concurrent requests on this replica never try the same seats.
    /// The store still decides: note what it reported taken with [`Self::note_taken`],
    /// then hand the block back with [`Self::unclaim`], whatever the outcome.
    pub fn claim(
        &self,
        quantity: u32,
        section: Option<usize>,
        exclude: &HashSet<u32>,
    ) -> Option<Vec<u32>> {
        let mut guard = self.lock_claims();
        let claims = &mut *guard;
        let v = self.read();
        let open = |i: u32| v.state(i) == SeatState::Free && !claims.blocks(i);
        let mut row_hint = claims.row_hint.clone();
        // Move each hint past rows that have no free seat at all (amortised: a row is
        // skipped once until a seat in front of the hint frees up again).
        for (si, s) in self.layout.sections().iter().enumerate() {
            while row_hint[si] <= s.rows && !self.layout.row_seats(si, row_hint[si]).any(open) {
                row_hint[si] += 1;
            }
        }
        let usable = |i: u32| open(i) && !exclude.contains(&i);
        let block = self
            .layout
            .best_available_from(quantity, section, 1, |si| row_hint[si], usable)
            .pop();
        drop(v);
        claims.row_hint = row_hint;
        let block = block?;
        claims.claimed.extend(&block);
        Some(block)
    }

    /// Hands back a block from [`Self::claim`] once its attempt is over. Seats noted
    /// taken stay skipped until the view shows them; the others may be tried again.
    pub fn unclaim(&self, block: &[u32]) {
        let mut guard = self.lock_claims();
        for seat in block {
            guard.claimed.remove(seat);
            if !guard.seen.contains_key(seat) {
                self.lower_hint(&mut guard, *seat);
            }
        }
    }

    /// Records seats seen taken (held by us, or reported unavailable by the store).
    pub fn note_taken(&self, seats: &[u32]) {
        let mut guard = self.lock_claims();
        let read = guard.reads;
        guard.seen.extend(seats.iter().map(|s| (*s, read)));
    }

    fn lock_claims(&self) -> std::sync::MutexGuard<'_, Claims> {
        self.claims.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A seat is free again: best-available must look at its row.
    fn lower_hint(&self, claims: &mut Claims, seat: u32) {
        let p = self.layout.position(seat);
        claims.row_hint[p.section] = claims.row_hint[p.section].min(p.row);
    }

    /// Creates the store's seat state from the database (sold = seats in orders, held
    /// back = the held-back records) if the store has none.
    pub async fn ensure_store(&self) -> Result<(), StoreError> {
        let sold = self.db.sold_seats(self.event).await.map_err(db_error)?;
        let held_back = self
            .db
            .held_back_seats(self.event)
            .await
            .map_err(db_error)?;
        if self
            .seats
            .init_seats(self.event, self.layout.capacity(), &sold, &held_back)
            .await?
        {
            tracing::info!(event_id = %self.event, sold = sold.len(), held_back = held_back.len(), "seat state built from the database");
        }
        Ok(())
    }

    // --- refunds ---
    /// Frees seats the store has sold that no order holds in the database: what a
    /// refund left behind when its process died between its commit and the store's
    /// `unsell` (refunds write the database first). The database is read before the
    /// store: a seat being bought meanwhile is held in the store (left alone by
    /// `unsell`) until its order committed, so only a sale that both commits and is
    /// marked sold between the two reads (milliseconds, at a room's load) could be
    /// freed in the store by mistake; the database's key still refuses to sell it
    /// again (that confirm answers 409 and resyncs the store from the database).
    async fn free_refunded(&self) -> Result<(), StoreError> {
        let sold: std::collections::HashSet<u32> = self
            .db
            .sold_seats(self.event)
            .await
            .map_err(db_error)?
            .into_iter()
            .collect();
        let snapshot = self.seats.seat_snapshot(self.event).await?;
        let stray: Vec<u32> = (0u32..)
            .zip(&snapshot.states)
            .filter(|(seat, state)| {
                SeatState::from_u8(**state) == SeatState::Sold && !sold.contains(seat)
            })
            .map(|(seat, _)| seat)
            .collect();
        if !stray.is_empty() {
            let freed = self.seats.unsell(self.event, &stray).await?;
            tracing::warn!(event_id = %self.event, freed, "refunded seats were still sold in the store; freed");
        }
        Ok(())
    }
    // --- end refunds ---

    async fn reload(&self) -> Result<(), StoreError> {
        let mut snapshot = self.seats.seat_snapshot(self.event).await?;
        let capacity = self.layout.capacity() as usize;
        if snapshot.states.len() != capacity {
            // The event's sections were edited (the store's seats replaced, all free):
            // this room shows its own layout until it is restarted with the new one at
            // the next event refresh.
            tracing::info!(event_id = %self.event, seats = snapshot.states.len(), "the store has a new seat layout; the room restarts at the next event refresh");
            snapshot.states.resize(capacity, SeatState::Free as u8);
        }
        self.lock_claims().row_hint.fill(1); // seats anywhere may be free again
        let mut view = self.view.write().unwrap_or_else(|e| e.into_inner());
        *view = SeatView::from_snapshot(snapshot);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Reads the seat log to its end, applies it, and broadcasts one delta.
    pub async fn sync(&self) -> Result<(), StoreError> {
        // Seats noted before this read starts are in the log it reads: once it is
        // applied, the view shows them and they need not be remembered.
        let read = {
            let mut claims = self.lock_claims();
            claims.reads += 1;
            claims.reads - 1
        };
        self.sync_log().await?;
        self.lock_claims().seen.retain(|_, noted| *noted > read);
        Ok(())
    }

    async fn sync_log(&self) -> Result<(), StoreError> {
        let mut touched = BTreeMap::new();
        loop {
            let cursor = self.read().cursor().clone();
            let batch = match self
                .seats
                .seat_changes(self.event, &cursor, READ_BATCH)
                .await
            {
                Err(StoreError::UnknownEvent) => {
                    tracing::warn!(event_id = %self.event, "the store lost this event's seats; rebuilding");
                    self.ensure_store().await?;
                    return self.reload_and_announce().await;
                }
                other => other?,
            };
            if batch.lagged {
                return self.reload_and_announce().await;
            }
            let n = batch.changes.len();
            {
                let mut claims = self.lock_claims();
                let mut v = self.view.write().unwrap_or_else(|e| e.into_inner());
                let mut changed = false;
                for (seat, state) in batch.changes {
                    if v.apply(seat, state) {
                        changed = true;
                        touched.insert(seat, state);
                        if state == SeatState::Free {
                            self.lower_hint(&mut claims, seat);
                        }
                    }
                }
                if changed {
                    self.generation.fetch_add(1, Ordering::AcqRel);
                }
                v.set_cursor(batch.cursor);
            }
            if n < READ_BATCH {
                break;
            }
        }
        if !touched.is_empty() && self.deltas.receiver_count() > 0 {
            let v = self.read();
            let changes: Vec<(u32, SeatState)> =
                touched.keys().map(|s| (*s, v.state(*s))).collect();
            drop(v);
            let _ = self.deltas.send(SeatEvent::Delta(
                render::delta_message(&self.layout, &changes).into(),
            ));
        }
        Ok(())
    }

    async fn reload_and_announce(&self) -> Result<(), StoreError> {
        self.reload().await?;
        if self.deltas.receiver_count() > 0 {
            let _ = self.deltas.send(SeatEvent::Reset);
        }
        Ok(())
    }

    /// Releases expired holds. A hold caught mid-confirm (its lease ran out) is sold if
    /// the database has its order, released if not, and left alone if the database
    /// cannot be asked.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let expired = self.seats.expired_holds(self.event, SWEEP_BATCH).await?;
        let mut released = 0;
        for hold in expired {
            if hold.confirming {
                match self.db.order_by_hold(&hold.id.0).await {
                    Ok(Some(order)) => {
                        self.seats.mark_sold(self.event, &order.seats).await?;
                        continue;
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(%error, hold = %hold.id, "cannot tell whether a lapsed confirm committed; keeping the hold");
                        continue;
                    }
                }
            }
            if self.seats.release(self.event, &hold.id, None).await? {
                released += 1;
            }
        }
        Ok(released)
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

    fn read(&self) -> std::sync::RwLockReadGuard<'_, SeatView> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn db_error(e: sqlx::Error) -> StoreError {
    StoreError::backend("database", e)
}

#[cfg(test)]
mod tests;
