//! The seat-state port. Every operation on one event is atomic in the store and
//! appends the seats it changed to the event's seat log in the same step, so replicas
//! can tail the log into a local [`super::view::SeatView`] and stream deltas.
//!
//! Seat states: free, held (by one hold, until its deadline), sold, and held back (kept
//! off sale by an admin: no hold takes it; [`SeatStore::hold_back`] and
//! [`SeatStore::release_held_back`] move seats between free and held back). A hold whose
//! deadline passed still occupies its seats until it is released (by the sweeper, or
//! implicitly when a later hold takes an expired hold's seat); a hold being confirmed
//! is leased so the sweeper leaves it alone while the order is written.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::{Cursor, StoreError};
use crate::{EventId, UserId};

/// One byte per seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum SeatState {
    Free = 0,
    Held = 1,
    Sold = 2,
    /// Kept off sale by an admin.
    HeldBack = 3,
}

impl SeatState {
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Held,
            2 => Self::Sold,
            3 => Self::HeldBack,
            _ => Self::Free,
        }
    }
}

/// A hold's id: opaque, random, unguessable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HoldId(pub String);

impl HoldId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl Default for HoldId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for HoldId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request to hold seats, authorised by a purchase token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRequest {
    pub hold: HoldId,
    pub user: UserId,
    /// The purchase token's `jti`: counted against `max_seats` over its whole life.
    pub jti: String,
    pub max_seats: u32,
    /// Seat indexes, distinct, within capacity (checked by the caller).
    pub seats: Vec<u32>,
    /// How long the hold lasts from now (the store's clock).
    pub ttl_ms: i64,
}

/// What a hold attempt did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    /// All seats held until `expires_at_ms`.
    Held { expires_at_ms: i64 },
    /// Nothing held: these requested seats are held by others or sold.
    Unavailable { seats: Vec<u32> },
    /// Nothing held: the token already held `used` seats; `used + requested` would
    /// exceed its `max_seats`.
    TokenExhausted { used: u32 },
    /// Nothing held: the token's shopping session ended ([`SeatStore::end_token`]).
    SessionEnded,
}

/// A live hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: HoldId,
    pub user: UserId,
    pub jti: String,
    pub seats: Vec<u32>,
    pub expires_at_ms: i64,
    /// A confirm is in progress (leased until `expires_at_ms`).
    pub confirming: bool,
}

/// Outcome of starting a confirm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmStart {
    /// The hold is leased for the confirm until its (extended) deadline.
    Leased(Hold),
    /// No such hold (never existed, released, or already confirmed).
    NotFound,
    /// The hold's deadline passed.
    Expired,
    /// The hold belongs to another token.
    NotYours,
    /// The hold's token ended its session ([`SeatStore::end_token`]) before this
    /// confirm started; the hold is left to lapse or be released.
    SessionEnded,
}

/// Counts for stats and availability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCounts {
    pub capacity: u32,
    pub held: u32,
    pub sold: u32,
    /// Seats kept off sale by an admin.
    #[serde(default)]
    pub held_back: u32,
}

impl SeatCounts {
    /// Seats on sale and not taken: neither held, sold nor held back.
    pub fn free(&self) -> u32 {
        self.capacity
            .saturating_sub(self.held + self.sold + self.held_back)
    }
}

/// What [`SeatStore::hold_back`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldBackOutcome {
    /// Every seat is held back now; `changed` were free before (the others were held
    /// back already), in request order.
    HeldBack { changed: Vec<u32> },
    /// Nothing changed: these requested seats are held or sold (in request order).
    Unavailable { seats: Vec<u32> },
}

/// What [`SeatStore::replace_seats`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatsReplaced {
    /// The event's seats are now the new capacity's, all free; every cursor into the
    /// old seat log reads as lagged (readers reload a snapshot).
    Replaced,
    /// Nothing changed: some seats are held, sold or held back (the counts now).
    InUse(SeatCounts),
    /// Nothing changed: the store has no seats for the event.
    UnknownEvent,
}

/// Seat-log entries after a cursor: each entry is the seats one operation changed.
#[derive(Clone, Debug, Default)]
pub struct SeatBatch {
    pub changes: Vec<(u32, SeatState)>,
    pub cursor: Cursor,
    /// The log was trimmed past the cursor: reload a snapshot.
    pub lagged: bool,
}

/// Every seat's state as of a log cursor.
#[derive(Clone, Debug, Default)]
pub struct SeatSnapshot {
    pub cursor: Cursor,
    /// One [`SeatState`] byte per seat index.
    pub states: Vec<u8>,
}

/// Seat state of all events, shared by every replica.
#[async_trait]
pub trait SeatStore: Send + Sync + 'static {
    /// Creates the event's seat state with `capacity` free seats, then marks `sold`
    /// sold and `held_back` held back (a seat in both is sold), unless the store
    /// already has it (returns false then). Used at event creation and to rebuild
    /// after the store lost its state (from the database).
    async fn init_seats(
        &self,
        event: EventId,
        capacity: u32,
        sold: &[u32],
        held_back: &[u32],
    ) -> Result<bool, StoreError>;

    /// Holds all requested seats or none: every seat must be free (or held by a hold
    /// whose deadline passed), and the token's `jti` must have room under
    /// `max_seats`. On success counts the seats against the `jti`.
    async fn hold(&self, event: EventId, request: &HoldRequest) -> Result<HoldOutcome, StoreError>;

    /// Ends the purchase token's shopping session: from now on its holds are refused
    /// ([`HoldOutcome::SessionEnded`]) and its holds not already confirming cannot be
    /// confirmed ([`ConfirmStart::SessionEnded`]). Called before the fan's
    /// active-shopper slot is freed, so the slot and the token's rights end together.
    /// Idempotent.
    async fn end_token(&self, event: EventId, jti: &str) -> Result<(), StoreError>;

    async fn hold_info(&self, event: EventId, hold: &HoldId) -> Result<Option<Hold>, StoreError>;

    /// Leases the hold for a confirm by `jti`: checks it exists, is the token's, has
    /// not expired and (unless already confirming) that the token's session has not
    /// ended, then extends its deadline by `lease_ms` and marks it confirming
    /// so the sweeper leaves it alone while the order is written.
    async fn begin_confirm(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: &str,
        lease_ms: i64,
    ) -> Result<ConfirmStart, StoreError>;

    /// Marks the hold's seats sold and forgets the hold (after the order committed).
    /// Idempotent; a missing hold is fine.
    async fn finish_confirm(&self, event: EventId, hold: &HoldId) -> Result<(), StoreError>;

    /// Frees the hold's seats and forgets the hold. With `jti`, only that token's
    /// hold. Returns false if there was no such hold.
    async fn release(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` holds whose deadline passed (including leases of confirms that
    /// never finished), oldest first.
    async fn expired_holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError>;

    /// Up to `limit` live holds whatever their deadline (confirming ones included),
    /// soonest deadline first: what closing a sale releases.
    async fn holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError>;

    /// Marks seats sold whatever their state (recovery from the database).
    async fn mark_sold(&self, event: EventId, seats: &[u32]) -> Result<(), StoreError>;

    // --- refunds ---
    /// Turns the sold seats among `seats` free, in one atomic step logged in the seat
    /// log (after a refund committed in the database). Seats not sold are left as they
    /// are, so a repeat changes nothing. Returns how many seats turned free.
    async fn unsell(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError>;
    // --- end refunds ---

    async fn seat_counts(&self, event: EventId) -> Result<SeatCounts, StoreError>;

    /// How many purchase tokens held seats at least once (the report's funnel; kept
    /// since the store built the event's seats).
    async fn holders(&self, event: EventId) -> Result<u64, StoreError>;
    // --- held-back seats ---

    /// Holds seats back from sale, all or none: every seat must be free or held back
    /// already (idempotent), else nothing changes and the held or sold ones are named.
    /// The seats that changed are logged held back in the same step.
    async fn hold_back(&self, event: EventId, seats: &[u32])
        -> Result<HoldBackOutcome, StoreError>;

    /// Puts held-back seats back on sale (free, logged); other seats are left as they
    /// are. Returns how many changed.
    async fn release_held_back(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError>;

    // --- end of held-back seats ---

    /// Replaces the event's seats with `capacity` free seats (its sections were
    /// edited before the opening), atomically and only if every current seat is free;
    /// the seat log is restarted so every replica reloads. Tokens' counts are kept.
    async fn replace_seats(
        &self,
        event: EventId,
        capacity: u32,
    ) -> Result<SeatsReplaced, StoreError>;

    async fn seat_changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<SeatBatch, StoreError>;

    async fn seat_snapshot(&self, event: EventId) -> Result<SeatSnapshot, StoreError>;
}

port_ops! {
    /// The methods of [`SeatStore`], one op each (what [`crate::intercept`] names a
    /// call by). A new method gets its op here and its forwarding there.
    pub enum SeatOp {
        InitSeats => "init_seats",
        Hold => "hold",
        EndToken => "end_token",
        HoldInfo => "hold_info",
        BeginConfirm => "begin_confirm",
        FinishConfirm => "finish_confirm",
        Release => "release",
        ExpiredHolds => "expired_holds",
        MarkSold => "mark_sold",
        SeatCounts => "seat_counts",
        SeatChanges => "seat_changes",
        SeatSnapshot => "seat_snapshot",
        HoldBack => "hold_back",
        ReleaseHeldBack => "release_held_back",
        Unsell => "unsell",
        Holders => "holders",
        Holds => "holds",
        ReplaceSeats => "replace_seats",
    }
}
