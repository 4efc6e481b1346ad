//! One event's queue as one replica sees it: a local order-statistics view fed by the
//! store's change log, and the fans whose sockets this replica holds.
//!
//! Per tick the room reads the change log once, runs the admission step once and,
//! once a second, recomputes people-ahead for its own fans — so the store round-trips
//! per tick do not grow with the number of waiting fans.
//!
//! The state lock is a `std::sync::Mutex`: critical sections are map and Fenwick
//! operations with no `.await` inside; every store call happens with the lock released.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::clock::Clock;
use crate::fan::{FanPhase, FanView};
use crate::pace::{eta_secs, PaceMeter};
use crate::position::PositionView;
use crate::seats::SeatStore;
use crate::store::{
    Change, Cursor, QueueStore, Restore, RestoredFan, StoreError, TicketState, TicketStatus,
};
use crate::token::{PurchaseClaims, SigningKeys};
use crate::{EventId, QueueConfig, TicketId, UserId};

/// Change-log entries read per store call.
const READ_BATCH: usize = 10_000;

/// When the store lost the event, new joins are numbered from this far above the
/// highest sequence number this replica saw: other replicas may have seen a few more
/// joins (their views lag by up to a poll), and those fans must stay in front.
const RESTORE_SEQ_MARGIN: u64 = 10_000;

/// What the room needs to know about its event besides the store's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomInfo {
    pub event: EventId,
    /// `max_seats` claim of the purchase tokens.
    pub max_seats: u32,
}

/// One event's queue on this replica.
pub struct Room {
    event: EventId,
    store: Arc<dyn QueueStore>,
    keys: SigningKeys,
    clock: Arc<dyn Clock>,
    /// Seat counts decide whether the event is sold out (no seat free).
    seats: Option<Arc<dyn SeatStore>>,
    max_seats: AtomicU32,
    state: Mutex<RoomState>,
    /// When the last position push began (µs after `epoch`; 0: never), so sockets can
    /// tell how long a tick took to reach them.
    epoch: Instant,
    pushed_at_us: AtomicU64,
    /// Sockets open here (a fan may have several): one per live [`FanHandle`].
    sockets: AtomicUsize,
}

#[derive(Default)]
struct RoomState {
    view: PositionView,
    cursor: Cursor,
    synced: bool,
    opened: bool,
    sold_out: bool,
    /// Free seats as of the last admission step (None: no seat store, or unknown yet).
    available: Option<u32>,
    config: Option<QueueConfig>,
    pace: PaceMeter,
    fans: HashMap<UserId, LocalFan>,
    by_seq: HashMap<u64, UserId>,
    /// Fans whose status may have moved on before we registered them (a join that
    /// raced the opening or its own admission): re-read on the next sync.
    recheck: Vec<UserId>,
    /// The store lost the event (it answered "unknown event" after we had read it):
    /// the next reload re-seeds it and puts our waiting fans back.
    lost: bool,
}

struct LocalFan {
    sockets: usize,
    ticket: Option<TicketId>,
    /// Sequence number while queued.
    seq: Option<u64>,
    /// The last people-ahead reported; positions only ever fall from here.
    ahead: u64,
    admitted_until: Option<i64>,
    tx: watch::Sender<FanView>,
}

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
        Self {
            event: info.event,
            store,
            seats,
            keys,
            clock,
            max_seats: AtomicU32::new(info.max_seats),
            state: Mutex::new(RoomState {
                config,
                ..RoomState::default()
            }),
            epoch: Instant::now(),
            pushed_at_us: AtomicU64::new(0),
            sockets: AtomicUsize::new(0),
        }
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
        self.max_seats.store(max_seats, Ordering::Relaxed);
    }

    /// The configuration last read from the store.
    pub fn config(&self) -> Option<QueueConfig> {
        self.lock().config
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

    /// Registers a socket for `user`. The first socket of a fan who already holds a
    /// waiting ticket resumes it (same ticket, same place, fresh grace); an admitted
    /// fan gets the purchase token again.
    pub async fn connect(self: &Arc<Self>, user: UserId) -> Result<FanHandle, StoreError> {
        let (handle, first) = self.attach(user);
        if first {
            self.resume(user).await?;
        }
        Ok(handle)
    }

    /// Registers a socket for `user` without reading the store; `true` when it is the
    /// fan's only socket here, which should then either [`Self::resume`] or
    /// [`Self::join`] (a join answers everything a resume would, in one store call).
    pub fn attach(self: &Arc<Self>, user: UserId) -> (FanHandle, bool) {
        let (rx, first) = {
            let mut st = self.lock();
            // Only this fan's view takes the event's flags: a connect stays O(1) in
            // the number of fans here (refreshing every view made a crowd O(n²)).
            let (paused, sold_out) = flags(&st);
            let fan = st.fans.entry(user).or_insert_with(|| LocalFan {
                sockets: 0,
                ticket: None,
                seq: None,
                ahead: u64::MAX,
                admitted_until: None,
                tx: watch::Sender::new(FanView {
                    paused,
                    sold_out,
                    ..FanView::default()
                }),
            });
            fan.sockets += 1;
            (fan.tx.subscribe(), fan.sockets == 1)
        };
        self.sockets.fetch_add(1, Ordering::Relaxed);
        let handle = FanHandle {
            room: Arc::clone(self),
            user,
            rx,
        };
        (handle, first)
    }

    /// Picks up the ticket `user` may already hold: a waiting one is resumed (same
    /// ticket, same place, fresh grace), an admitted fan gets its purchase token again.
    pub async fn resume(&self, user: UserId) -> Result<(), StoreError> {
        match self.store.status(self.event, user).await? {
            Some(TicketStatus {
                state: TicketState::Prequeue | TicketState::Queued { .. },
                ..
            }) => self.join(user).await,
            Some(status) if status.state != TicketState::Left => {
                self.apply_status(user, status);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Joins the queue (idempotent: a second tab or a reconnect gets the same ticket).
    pub async fn join(&self, user: UserId) -> Result<(), StoreError> {
        let ticket = TicketId::new();
        let status = match self.store.join(self.event, user, &ticket).await {
            Err(StoreError::UnknownEvent) => {
                // The store lost the event (Redis restarted empty): put it and our
                // waiting fans back before this fan joins behind them.
                self.lock().lost = true;
                self.restore().await?;
                self.lock().synced = false;
                self.store.join(self.event, user, &ticket).await?
            }
            other => other?,
        };
        tracing::debug!(event = %self.event, %user, ?status, "joined");
        self.apply_status(user, status);
        Ok(())
    }

    /// Leaves the queue on request. An admitted fan is not affected.
    pub async fn leave(&self, user: UserId) -> Result<(), StoreError> {
        if self.store.leave(self.event, user).await? {
            let mut st = self.lock();
            if let Some(seq) = st.fans.get_mut(&user).and_then(|f| f.seq.take()) {
                st.by_seq.remove(&seq);
            }
            if let Some(fan) = st.fans.get(&user) {
                fan.tx.send_modify(|v| v.phase = FanPhase::Left);
            }
        }
        Ok(())
    }

    fn disconnect(&self, user: UserId) {
        self.sockets.fetch_sub(1, Ordering::Relaxed);
        let waiting = {
            let mut st = self.lock();
            let Some(fan) = st.fans.get_mut(&user) else {
                return;
            };
            fan.sockets -= 1;
            if fan.sockets > 0 {
                return;
            }
            let fan = st.fans.remove(&user).expect("present above");
            if let Some(seq) = fan.seq {
                st.by_seq.remove(&seq);
            }
            let waiting = matches!(
                fan.tx.borrow().phase,
                FanPhase::Prequeue { .. } | FanPhase::Queued { .. }
            );
            waiting
        };
        if waiting {
            // The grace period runs from the moment the last socket closed.
            let (store, event) = (Arc::clone(&self.store), self.event);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(error) = store.touch(event, &[user]).await {
                        tracing::warn!(%error, %event, "presence update on disconnect failed");
                    }
                });
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, RoomState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a ticket status from the store into the fan's view.
    fn apply_status(&self, user: UserId, status: TicketStatus) {
        let now = self.clock.now_ms();
        let mut st = self.lock();
        let st = &mut *st;
        let starts_at_ms = st.config.map_or(0, |c| c.starts_at_ms);
        let rate = st.config.map_or(60, |c| c.admission.rate_per_minute);
        let pace = st.pace.per_sec(Instant::now());
        let Some(fan) = st.fans.get_mut(&user) else {
            return;
        };
        if let Some(seq) = fan.seq.take() {
            st.by_seq.remove(&seq);
        }
        if fan.ticket.as_ref() != Some(&status.ticket) {
            fan.ahead = u64::MAX; // a new ticket starts a new place
        }
        fan.ticket = Some(status.ticket.clone());
        let phase = match status.state {
            TicketState::Prequeue => {
                if st.opened {
                    st.recheck.push(user); // the opening's follow-up did not include us
                }
                FanPhase::Prequeue {
                    ticket: status.ticket,
                    starts_at_ms,
                }
            }
            TicketState::Queued { seq, ahead } => {
                fan.seq = Some(seq);
                st.by_seq.insert(seq, user);
                if st.view.max_seq() >= seq && !st.view.contains(seq) {
                    st.recheck.push(user); // admitted or gone before we registered
                }
                let ahead = if st.view.max_seq() >= seq {
                    ahead.min(st.view.ahead(seq))
                } else {
                    ahead
                };
                fan.ahead = fan.ahead.min(ahead);
                FanPhase::Queued {
                    ticket: status.ticket,
                    ahead: fan.ahead,
                    eta_secs: eta_secs(fan.ahead, pace, rate),
                }
            }
            TicketState::Admitted {
                admitted_at_ms,
                expires_at_ms,
                ..
            } => self.admitted_phase(fan, user, admitted_at_ms, expires_at_ms, now),
            TicketState::Left => FanPhase::Left,
        };
        fan.tx.send_modify(|v| v.phase = phase);
    }

    fn admitted_phase(
        &self,
        fan: &mut LocalFan,
        user: UserId,
        admitted_at_ms: i64,
        expires_at_ms: i64,
        now: i64,
    ) -> FanPhase {
        let Some(ticket) = &fan.ticket else {
            return FanPhase::Idle;
        };
        let phase = self.purchase_phase(user, ticket, admitted_at_ms, expires_at_ms, now);
        if matches!(phase, FanPhase::Admitted { .. }) {
            fan.admitted_until = Some(expires_at_ms);
        }
        phase
    }

    /// `Admitted` with a freshly signed (deterministic) purchase token, or `Expired`.
    fn purchase_phase(
        &self,
        user: UserId,
        ticket: &TicketId,
        admitted_at_ms: i64,
        expires_at_ms: i64,
        now: i64,
    ) -> FanPhase {
        if expires_at_ms <= now {
            return FanPhase::Expired;
        }
        let claims = PurchaseClaims::new(
            user,
            self.event,
            ticket,
            admitted_at_ms,
            expires_at_ms,
            self.max_seats.load(Ordering::Relaxed),
        );
        FanPhase::Admitted {
            purchase_token: self.keys.sign(&claims),
            expires_at_ms,
        }
    }

    /// The fan's phase straight from the store (the polling fallback), without
    /// registering a socket.
    pub async fn describe(&self, user: UserId) -> Result<FanPhase, StoreError> {
        let Some(status) = self.store.status(self.event, user).await? else {
            return Ok(FanPhase::Idle);
        };
        let now = self.clock.now_ms();
        let mut st = self.lock();
        let rate = st.config.map_or(60, |c| c.admission.rate_per_minute);
        Ok(match status.state {
            TicketState::Prequeue => FanPhase::Prequeue {
                ticket: status.ticket,
                starts_at_ms: st.config.map_or(0, |c| c.starts_at_ms),
            },
            TicketState::Queued { seq, ahead } => {
                let ahead = if st.view.max_seq() >= seq {
                    ahead.min(st.view.ahead(seq))
                } else {
                    ahead
                };
                let pace = st.pace.per_sec(Instant::now());
                FanPhase::Queued {
                    ticket: status.ticket,
                    ahead,
                    eta_secs: eta_secs(ahead, pace, rate),
                }
            }
            TicketState::Admitted {
                admitted_at_ms,
                expires_at_ms,
                ..
            } => self.purchase_phase(user, &status.ticket, admitted_at_ms, expires_at_ms, now),
            TicketState::Left => FanPhase::Left,
        })
    }

    /// Puts the event-wide flags (paused, sold out) into every local fan's view.
    fn refresh_flags(&self, st: &mut RoomState) {
        let (paused, sold_out) = flags(st);
        for fan in st.fans.values() {
            fan.tx.send_if_modified(|v| {
                let changed = (v.paused, v.sold_out) != (paused, sold_out);
                (v.paused, v.sold_out) = (paused, sold_out);
                changed
            });
        }
    }

    /// Whether the event has no free seat, as of the last admission step.
    pub fn sold_out(&self) -> bool {
        self.lock().sold_out
    }

    /// Reads the change log up to its end and applies it to the local view.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let result = self.sync_inner().await;
        if let Err(StoreError::UnknownEvent) = result {
            // The store lost the event (a Redis flush or restart): its log restarts, so
            // our view and cursor are stale. The reload re-seeds the event and puts
            // our waiting fans back in their places.
            let mut st = self.lock();
            st.synced = false;
            st.lost = true;
        }
        result
    }

    /// Re-seeds the event if the store lost it and puts this replica's waiting fans
    /// back with their tickets and sequence numbers ([`QueueStore::restore`]); the
    /// store skips fans it still knows, so this is safe after any reload.
    async fn restore(&self) -> Result<(), StoreError> {
        let (config, opened, seq_floor, log_ordinal, fans) = {
            let st = self.lock();
            let Some(config) = st.config else {
                return Err(StoreError::UnknownEvent);
            };
            let fans: Vec<RestoredFan> = st
                .fans
                .iter()
                .filter_map(|(user, fan)| {
                    let ticket = fan.ticket.clone()?;
                    let waiting = match &fan.tx.borrow().phase {
                        FanPhase::Queued { .. } => fan.seq.is_some(),
                        FanPhase::Prequeue { .. } => true,
                        _ => false,
                    };
                    waiting.then_some(RestoredFan {
                        user: *user,
                        ticket,
                        seq: fan.seq,
                    })
                })
                .collect();
            let seen = fans
                .iter()
                .filter_map(|f| f.seq)
                .max()
                .unwrap_or(0)
                .max(st.view.max_seq());
            let floor = if st.lost && seen > 0 {
                seen + RESTORE_SEQ_MARGIN
            } else {
                seen
            };
            let ordinal = st
                .cursor
                .0
                .strip_prefix("0-")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (config, st.opened, floor, ordinal, fans)
        };
        let restored = self
            .store
            .restore(
                self.event,
                &Restore {
                    config: &config,
                    opened,
                    seq_floor,
                    log_ordinal,
                    fans: &fans,
                },
            )
            .await?;
        if restored > 0 {
            tracing::warn!(event = %self.event, restored, "store had lost waiting fans; put them back in their places");
        }
        self.lock().lost = false;
        Ok(())
    }

    async fn sync_inner(&self) -> Result<(), StoreError> {
        if !self.lock().synced {
            self.reload().await?;
        }
        loop {
            let cursor = self.lock().cursor.clone();
            let batch = self.store.changes(self.event, &cursor, READ_BATCH).await?;
            if batch.lagged {
                tracing::warn!(event = %self.event, "change log trimmed past our cursor; reloading");
                self.reload().await?;
                continue;
            }
            let n = batch.changes.len();
            let mut followups = Followups::default();
            {
                let mut st = self.lock();
                followups.statuses = std::mem::take(&mut st.recheck);
                st.cursor = batch.cursor;
                for change in batch.changes {
                    self.apply(&mut st, change, &mut followups);
                }
            }
            self.follow_up(followups).await?;
            if n < READ_BATCH {
                return Ok(());
            }
        }
    }

    async fn reload(&self) -> Result<(), StoreError> {
        // A reload after we had read the log (a loss, or a gap: another replica may
        // have re-seeded a lost event) first puts our waiting fans back if the store
        // forgot them.
        let (read_before, lost) = {
            let st = self.lock();
            (!st.cursor.0.is_empty(), st.lost)
        };
        if read_before || lost {
            self.restore().await?;
        }
        // Read the config before the snapshot: a store being re-seeded after a flush
        // may have one without the other.
        let config = match self.store.config(self.event).await? {
            Some(config) => config,
            None => {
                self.lock().lost = true;
                self.restore().await?;
                self.store
                    .config(self.event)
                    .await?
                    .ok_or(StoreError::UnknownEvent)?
            }
        };
        let snap = self.store.snapshot(self.event).await?;
        tracing::debug!(event = %self.event, opened = snap.opened, waiting = snap.seqs.len(), "reloaded");
        let mut st = self.lock();
        st.view.clear();
        for seq in snap.seqs {
            st.view.insert(seq);
        }
        st.cursor = snap.cursor;
        st.opened = snap.opened;
        st.config = Some(config);
        st.synced = true;
        self.refresh_flags(&mut st);
        Ok(())
    }

    fn apply(&self, st: &mut RoomState, change: Change, followups: &mut Followups) {
        match change {
            Change::Joined { seq } => {
                st.view.insert(seq);
            }
            Change::Opened { first, count } => {
                st.view.insert_range(first, count);
                st.opened = true;
                followups
                    .statuses
                    .extend(st.fans.iter().filter_map(|(user, fan)| {
                        matches!(fan.tx.borrow().phase, FanPhase::Prequeue { .. }).then_some(*user)
                    }));
            }
            Change::Admitted {
                seqs,
                admitted_at_ms,
                expires_at_ms,
            } => {
                st.pace.record(Instant::now(), seqs.len() as u64);
                let now = self.clock.now_ms();
                for seq in seqs {
                    st.view.remove(seq);
                    let Some(user) = st.by_seq.remove(&seq) else {
                        continue;
                    };
                    if let Some(fan) = st.fans.get_mut(&user) {
                        fan.seq = None;
                        let phase =
                            self.admitted_phase(fan, user, admitted_at_ms, expires_at_ms, now);
                        fan.tx.send_modify(|v| v.phase = phase);
                    }
                }
            }
            Change::Left { seqs } => {
                for seq in seqs {
                    st.view.remove(seq);
                    if let Some(user) = st.by_seq.remove(&seq) {
                        if let Some(fan) = st.fans.get_mut(&user) {
                            fan.seq = None;
                            fan.tx.send_modify(|v| v.phase = FanPhase::Left);
                        }
                    }
                }
            }
            Change::Settings => followups.reload_config = true,
        }
    }

    async fn follow_up(&self, f: Followups) -> Result<(), StoreError> {
        if f.reload_config {
            let config = self.store.config(self.event).await?;
            let mut st = self.lock();
            st.config = config;
            self.refresh_flags(&mut st);
        }
        if !f.statuses.is_empty() {
            let statuses = self.store.statuses(self.event, &f.statuses).await?;
            for (user, status) in f.statuses.into_iter().zip(statuses) {
                if let Some(status) = status {
                    self.apply_status(user, status);
                }
            }
        }
        Ok(())
    }

    /// Recomputes people-ahead and the estimated wait of every local waiting fan and
    /// pushes the ones that changed; ends sessions whose time ran out.
    pub fn push_positions(&self) {
        let began = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.pushed_at_us.store(began.max(1), Ordering::Relaxed);
        let now = self.clock.now_ms();
        let mut st = self.lock();
        let st = &mut *st;
        let rate = st.config.map_or(60, |c| c.admission.rate_per_minute);
        let pace = st.pace.per_sec(Instant::now());
        let available = st.available;
        for fan in st.fans.values_mut() {
            fan.tx.send_if_modified(|v| {
                let changed = v.available != available;
                v.available = available;
                changed
            });
            if let Some(seq) = fan.seq {
                if st.view.max_seq() < seq {
                    continue; // our view has not caught up with this join yet
                }
                fan.ahead = fan.ahead.min(st.view.ahead(seq));
                let (ahead, eta) = (fan.ahead, eta_secs(fan.ahead, pace, rate));
                fan.tx.send_if_modified(|v| match &mut v.phase {
                    FanPhase::Queued {
                        ahead: a,
                        eta_secs: e,
                        ..
                    } if (*a, *e) != (ahead, eta) => {
                        (*a, *e) = (ahead, eta);
                        true
                    }
                    _ => false,
                });
            } else if fan.admitted_until.is_some_and(|t| t <= now) {
                fan.admitted_until = None;
                fan.tx.send_modify(|v| v.phase = FanPhase::Expired);
            }
        }
    }

    /// Presence heartbeat for every local fan still waiting.
    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        let users: Vec<UserId> = {
            let st = self.lock();
            st.fans
                .iter()
                .filter(|(_, f)| {
                    matches!(
                        f.tx.borrow().phase,
                        FanPhase::Prequeue { .. } | FanPhase::Queued { .. }
                    )
                })
                .map(|(u, _)| *u)
                .collect()
        };
        if users.is_empty() {
            return Ok(());
        }
        self.store.touch(self.event, &users).await
    }

    /// Opens the sale when due, then runs one admission step.
    pub async fn step(&self) -> Result<(), StoreError> {
        let (opened, starts_at) = {
            let st = self.lock();
            (st.opened, st.config.map(|c| c.starts_at_ms))
        };
        let Some(starts_at) = starts_at else {
            return Ok(());
        };
        let due = !opened && self.clock.now_ms() >= starts_at;
        if due && self.store.open(self.event, rand::random()).await? {
            tracing::info!(event = %self.event, "sale opened; pre-queue shuffled");
        }
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
                self.refresh_flags(&mut st);
            }
        }
        // Sold out: keep the housekeeping, admit nobody until holds lapse.
        self.store.admit(self.event, sold_out.then_some(0)).await?;
        Ok(())
    }

    /// The room's loop: sync, admit and push positions on their cadences until `stop`.
    pub async fn run(self: Arc<Self>, cadence: Cadence, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(cadence.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut last_admit, mut last_push, mut last_beat) = (None, None, Some(Instant::now()));
        let due = |last: Option<Instant>, every: Duration| {
            last.is_none_or(|t: Instant| t.elapsed() >= every)
        };
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            if let Err(error) = self.sync().await {
                tracing::warn!(%error, event = %self.event, "change log read failed");
                continue;
            }
            if due(last_admit, cadence.admit) {
                last_admit = Some(Instant::now());
                if let Err(error) = self.step().await {
                    tracing::warn!(%error, event = %self.event, "admission step failed");
                }
                if let Err(error) = self.sync().await {
                    tracing::warn!(%error, event = %self.event, "change log read failed");
                }
            }
            if due(last_push, cadence.position) {
                last_push = Some(Instant::now());
                self.push_positions();
            }
            let grace = self
                .config()
                .map_or(cadence.heartbeat, |c| Duration::from_millis(c.grace_ms / 4));
            if due(last_beat, cadence.heartbeat.min(grace)) {
                last_beat = Some(Instant::now());
                if let Err(error) = self.heartbeat().await {
                    tracing::warn!(%error, event = %self.event, "presence heartbeat failed");
                }
            }
        }
    }
}

/// How often a room does each part of its work.
#[derive(Clone, Copy, Debug)]
pub struct Cadence {
    /// Reading the change log (admissions reach fans this fast).
    pub poll: Duration,
    /// Running the admission step.
    pub admit: Duration,
    /// Pushing people-ahead (the contract: at most once a second).
    pub position: Duration,
    /// Presence heartbeats (also capped at a quarter of the grace period).
    pub heartbeat: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(100),
            admit: Duration::from_millis(250),
            position: Duration::from_secs(1),
            heartbeat: Duration::from_secs(10),
        }
    }
}

#[derive(Default)]
struct Followups {
    reload_config: bool,
    statuses: Vec<UserId>,
}
/// The event-wide flags of every fan's view: paused, sold out.
fn flags(st: &RoomState) -> (bool, bool) {
    (st.config.is_some_and(|c| c.admission.paused), st.sold_out)
}
