//! The storage port: everything the waiting room needs from shared state, as one
//! object-safe trait with two adapters — [`memory::MemoryStore`] (embedded default,
//! one process) and [`redis::RedisStore`] (production, any number of replicas).
//!
//! Every mutation is atomic in the store and is appended to the event's change log in
//! the same step, so the log order is the mutation order. Replicas tail the log
//! ([`QueueStore::changes`]) to keep their local [`crate::position::PositionView`].
//!
//! Time-dependent decisions (opening, token bucket, session and grace deadlines) use
//! the store's clock: Redis' `TIME` for the Redis store, so every replica agrees.

mod draw;
mod error;
pub mod memory;
mod paged;
mod presence;
pub mod redis;

#[cfg(test)]
pub(crate) mod contract;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::shuffle::ShuffleSeed;
use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};
pub(crate) use draw::{draw_order, DrawRecord};
pub use draw::{DrawPage, Opening, DRAW_BATCH};
pub use error::{BackendCause, StoreError};
pub use paged::{read_queue, QueueReader, SnapshotPage, READ_ATTEMPTS};
pub use presence::{Lease, PresenceUpdate, ReplicaId};

/// The cap on places one client address holds in one event, checked and counted by
/// [`QueueStore::join`] in the same atomic step that takes the place, so it holds
/// across every replica. A place is a waiting or pre-queued ticket, or an admitted
/// one while its shopping session runs; it is given back when the ticket leaves, is
/// dropped after its grace period, or its session ends (or is released).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceCap {
    /// What places are counted under: the address as text (an IPv6 address's /64).
    pub holder: String,
    /// Most places `holder` may hold at once.
    pub max: u32,
}

/// What a join that would create a new ticket must bring when the event asks for
/// proof of work ([`crate::pow`]); a join that finds the fan's ticket needs nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PowGate {
    /// No valid solution came with the join: only an existing ticket is given back.
    Missing,
    /// A checked solution: creating a ticket spends its challenge (once; the store
    /// remembers the id until the challenge expires).
    Solved(crate::pow::Solved),
}

/// Where a fan's ticket stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TicketState {
    /// Joined before its line's opening; no sequence number yet. `slot`: the line
    /// (0: the public pre-queue, `1..=`[`crate::MAX_PRESALE_GROUPS`]: a presale
    /// group's, docs/ARCHITECTURE.md "Presales").
    Prequeue {
        #[serde(default)]
        slot: u8,
    },
    /// In line with sequence number `seq`; `ahead` waiting tickets are in front.
    Queued { seq: u64, ahead: u64 },
    /// Admitted; the shopping session runs until `expires_at_ms`.
    Admitted {
        seq: u64,
        admitted_at_ms: i64,
        expires_at_ms: i64,
    },
    /// Left on request, or gone after the reconnect grace period.
    Left,
    /// The shopping session ended with a confirmed order ([`QueueStore::purchased`]):
    /// no purchase token any more. `orders` are the order ids the session confirmed.
    Purchased { seq: u64, orders: Vec<String> },
}

/// A fan's ticket and its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStatus {
    pub ticket: TicketId,
    #[serde(flatten)]
    pub state: TicketState,
}

/// One entry of an event's change log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A ticket joined the queue (after the opening) with this sequence number.
    Joined { seq: u64 },
    /// Line `slot`'s opening is complete (0: the public line; a presale group's
    /// otherwise): its pre-queue's draw is done, and admission runs from the first
    /// opening on. Places `first..first + count` came with it (0 since the draw moves
    /// in batches: its places came with [`Change::Frozen`]). Entries written before
    /// presales carry no slot: 0.
    Opened { first: u64, count: u64, slot: u8 },
    /// These tickets were admitted at `admitted_at_ms`, sessions ending at `expires_at_ms`.
    Admitted {
        seqs: Vec<u64>,
        admitted_at_ms: i64,
        expires_at_ms: i64,
    },
    /// These tickets left the queue (on request or after the grace period).
    Left { seqs: Vec<u64> },
    /// `user`'s shopping session ended with these orders (all its ticket's orders).
    Purchased { user: UserId, orders: Vec<String> },
    /// Admission settings changed; re-read them.
    Settings,
    /// A batch of fans was put back into a store that lost the event
    /// ([`QueueStore::restore`]): these sequence numbers wait again (one entry per
    /// batch, not per fan).
    Restored { seqs: Vec<u64> },
    /// The opening froze the pre-queue (issue 19): its fans own sequence numbers
    /// `first..first + count`, moved into the queue in batches in draw order; a
    /// number whose fan left meanwhile comes back as a [`Change::Left`] when its batch
    /// lands. An [`Change::Opened`] follows when the draw is complete. `slot`: the
    /// line frozen (0 when the entry has none).
    Frozen { first: u64, count: u64, slot: u8 },
}

/// An opaque position in the change log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cursor(pub String);

/// Changes after a cursor.
#[derive(Clone, Debug, Default)]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
    /// Where to read from next.
    pub cursor: Cursor,
    /// The log was trimmed past the cursor: the reader missed entries and must reload a
    /// [`QueueSnapshot`].
    pub lagged: bool,
}

/// The waiting queue as of a log cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueSnapshot {
    pub cursor: Cursor,
    pub opened: bool,
    /// Sequence numbers of waiting tickets, ascending.
    pub seqs: Vec<u64>,
}

/// What one admission step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdmitOutcome {
    /// Sequence numbers and accounts admitted, in admission order.
    pub admitted: Vec<(u64, UserId)>,
    /// Tickets dropped because their grace period passed with no socket.
    pub dropped: u64,
    /// Active shoppers after the step.
    pub active: u64,
    /// The event has run out of seats at least once: the fans still in line are its
    /// waitlist (see [`QueueStore::admit`]).
    pub waitlist: bool,
    /// How long the next step could do nothing, when the store knows (milliseconds
    /// until the next token, lease end, presence deadline or session end, with fans
    /// waiting for a token or none waiting; `None`: a step could admit any time). A
    /// room may skip steps until then; what the store cannot foresee (a join into an
    /// empty line, new settings) the room sees in its change log.
    pub idle_ms: Option<u64>,
}

/// Counters for the admin console.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    pub waiting: u64,
    pub prequeue: u64,
    pub admitted_total: u64,
    pub active: u64,
    pub admitted_last_minute: u64,
    pub opened: bool,
    /// Accounts that ever took a ticket (each counted once, however often it left
    /// and joined again): the first step of the report's funnel.
    #[serde(default)]
    pub joined: u64,
    /// Joins (new places) in the last minute as the safety net counts them: counted
    /// only while the net is set in mode `queue` (0 otherwise).
    #[serde(default)]
    pub arrivals_last_minute: u64,
}

/// A waiting fan as one replica knows it, to put back into a store that lost the
/// event ([`QueueStore::restore`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredFan {
    pub user: UserId,
    pub ticket: TicketId,
    /// The fan's sequence number; `None` while pre-queued.
    pub seq: Option<u64>,
    /// The line a pre-queued fan waits in (0: the public one; see
    /// [`TicketState::Prequeue`]).
    pub slot: u8,
}

/// What a replica knows of an event it must re-seed into a store that lost it.
#[derive(Clone, Debug)]
pub struct Restore<'a> {
    pub config: &'a QueueConfig,
    /// The sale was open (admission ran): the re-seeded queue is open too (no second
    /// shuffle). With presales, every line then counts as opened: a restored
    /// pre-queued fan, and a later join into any line, queue at the back at once.
    pub opened: bool,
    /// New joins get sequence numbers above this one, behind every restored fan.
    pub seq_floor: u64,
    /// The replica's change-log position (an ordinal; 0: none); a new log starts
    /// beyond it so every replica notices the loss.
    pub log_ordinal: u64,
    pub fans: &'a [RestoredFan],
}

/// The queue state of all events, shared by every replica.
#[async_trait]
pub trait QueueStore: Send + Sync + 'static {
    /// Re-seeds an event the store lost (Redis restarted without persistence) and
    /// puts `restore.fans` back in line with their tickets and sequence numbers;
    /// fans the store still knows are left alone, so every replica may run it for its
    /// own fans. Returns how many fans were put back. A store that cannot lose an
    /// event only makes sure it is configured.
    async fn restore(&self, event: EventId, restore: &Restore<'_>) -> Result<u64, StoreError> {
        self.configure(event, restore.config, true).await?;
        Ok(0)
    }

    /// Sets an event's configuration, keeping its queue. With `only_if_missing`, an
    /// existing configuration is left alone (a replica re-seeding after a flush).
    /// Appends [`Change::Settings`] when something was written.
    async fn configure(
        &self,
        event: EventId,
        config: &QueueConfig,
        only_if_missing: bool,
    ) -> Result<(), StoreError>;

    /// The event's current configuration, if any.
    async fn config(&self, event: EventId) -> Result<Option<QueueConfig>, StoreError>;

    /// Changes the admission settings (not the schedule) and appends [`Change::Settings`].
    async fn update_admission(
        &self,
        event: EventId,
        settings: &AdmissionSettings,
    ) -> Result<(), StoreError>;

    /// Joins the queue, idempotently: an account that already holds a ticket (waiting,
    /// pre-queued or admitted) gets it back unchanged; one that left or bought
    /// ([`TicketState::Purchased`]) gets a new ticket `ticket` at the back. Marks the fan present for the grace period. With `cap`,
    /// a new ticket counts against its holder's places; a holder at its cap gets
    /// [`StoreError::TooManyPlaces`] and nothing changes (an existing ticket is still
    /// given back).
    async fn join(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
    ) -> Result<TicketStatus, StoreError>;

    /// [`Self::join`] for an event that asks for proof of work: a join that would
    /// create a ticket is refused with [`StoreError::PowRequired`] unless `pow` is a
    /// solution whose challenge was not spent yet, and spends it, all in the same
    /// atomic step (no extra round trip on Redis). A store that cannot check it
    /// refuses every such join.
    async fn join_gated(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: &PowGate,
    ) -> Result<TicketStatus, StoreError> {
        let _ = (event, user, ticket, cap, pow);
        Err(StoreError::Backend(
            "this store cannot check proof of work".into(),
        ))
    }

    /// A staff account's join (docs/ARCHITECTURE.md, "Staff bypass"): [`Self::join`]
    /// with no cap and no proof of work, except that a new ticket, once the sale is
    /// open (not during the opening's draw, not when the line is a waitlist), is
    /// admitted at once whatever the mode (even `reject`), the pause, the rate and the
    /// line: it takes the next sequence number behind everyone and is admitted in the
    /// same step (a [`Change::Joined`] then a [`Change::Admitted`], counted like any
    /// admission), so nobody's place or people-ahead changes. An existing ticket is
    /// given back as [`Self::join`] would.
    async fn join_staff(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
    ) -> Result<TicketStatus, StoreError> {
        let _ = (event, user, ticket);
        Err(StoreError::Backend("this store cannot admit staff".into()))
    }

    /// A presale fan's join (issue 20 part 2; docs/ARCHITECTURE.md "Presales"):
    /// [`Self::join_gated`] (`pow` `None`: [`Self::join`]) into presale group `slot`'s
    /// line (`1..=`[`crate::MAX_PRESALE_GROUPS`], one of the config's `presales`; 0 is
    /// the public line, as a plain join). Before the group's opening a new ticket waits
    /// in the group's own pre-queue ([`TicketState::Prequeue`]), drawn at its opening
    /// and appended behind everyone in line; after it, the ticket queues at the back at
    /// once. A fan pre-queued in another line that has not opened yet (the public one)
    /// moves to this group's (to the back, at once, if the group opened already); any
    /// other existing ticket is given back unchanged. An unknown slot is
    /// [`StoreError::Backend`].
    async fn join_presale(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        let _ = (event, user, ticket, cap, pow, slot);
        Err(StoreError::Backend("this store cannot run presales".into()))
    }

    /// Entries `offset..offset + limit` of presale group `slot`'s draw record, as
    /// [`Self::draw`] for the public one (slot 0 is [`Self::draw`]). `None` before
    /// the group's opening.
    async fn presale_draw(
        &self,
        event: EventId,
        slot: u8,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        let _ = (event, slot, offset, limit);
        Err(StoreError::Backend("this store cannot run presales".into()))
    }

    /// The account's ticket, if it ever joined.
    async fn status(
        &self,
        event: EventId,
        user: UserId,
    ) -> Result<Option<TicketStatus>, StoreError>;

    /// Several accounts' tickets in one round-trip, in the order asked.
    async fn statuses(
        &self,
        event: EventId,
        users: &[UserId],
    ) -> Result<Vec<Option<TicketStatus>>, StoreError>;

    /// A poll of the fan's ticket (the HTTP fallback): [`Self::status`], and for a
    /// waiting or pre-queued ticket that still has a grace deadline (no replica covers
    /// it, see [`Self::presence`]) a fresh one, one grace period from now, in one step
    /// (one round trip on Redis).
    async fn poll(&self, event: EventId, user: UserId) -> Result<Option<TicketStatus>, StoreError>;

    /// Leaves the queue (or pre-queue). Returns false if there was nothing to leave.
    async fn leave(&self, event: EventId, user: UserId) -> Result<bool, StoreError>;

    /// One replica's presence write (docs/ARCHITECTURE.md, "Presence"): renews its
    /// lease to now + `lease_ms`; `cover`ed fans have a socket on it and need no
    /// deadline while the lease lasts; an `uncover`ed fan's grace period starts now
    /// unless another replica covers it. A lease that runs out is expired by
    /// [`Self::admit`]: its fans not covered elsewhere get a deadline of the lease's
    /// end + the grace period. Answers whether the lease was live before the call
    /// ([`Lease::Lapsed`]: send every covered fan again).
    async fn presence(
        &self,
        event: EventId,
        update: &PresenceUpdate<'_>,
    ) -> Result<Lease, StoreError>;

    /// Opens the sale if its time has come and it is not open yet: puts the pre-queue
    /// in the draw order of `seed` ([`crate::shuffle::shuffled`] over the tickets'
    /// pseudonyms) under sequence numbers, and keeps the draw's record ([`Self::draw`]).
    /// Exactly one call ever opens an event, whichever replica makes it (every replica
    /// computes the same order); returns whether this call did. [`Self::open_step`]s of
    /// [`DRAW_BATCH`] fans until every due opening is done (presale groups' lines
    /// too, each with its own seed, [`ShuffleSeed::for_presale`]), or another caller
    /// draws.
    async fn open(&self, event: EventId, seed: &ShuffleSeed) -> Result<bool, StoreError> {
        draw::open_in_steps(|| self.open_step(event, seed, DRAW_BATCH)).await
    }

    /// Entries `offset..offset + limit` of the opening's draw record: the pre-queue's
    /// pseudonyms in join order and in draw order. `None` before the opening.
    async fn draw(
        &self,
        event: EventId,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError>;

    /// One admission step: expires replicas' leases that ran out (see
    /// [`Self::presence`]), drops tickets whose grace ran out and that no replica
    /// covers, expires finished sessions,
    /// refills the token bucket and admits from the head of the queue. `free_seats` is
    /// the event's free seats now (`None`: unknown, no limit). The first step that sees
    /// 0 marks the event sold out for good (its line becomes the waitlist); from then on
    /// a step admits at most `free_seats - active shoppers` (never below 0), so seats
    /// that come back are offered to as many fans as there are seats, in queue order.
    /// Any replica may call it at any time; the bucket and the mark live in the store.
    async fn admit(
        &self,
        event: EventId,
        free_seats: Option<u64>,
    ) -> Result<AdmitOutcome, StoreError>;

    /// Ends an admitted fan's shopping session early, freeing its active slot.
    async fn release(&self, event: EventId, user: UserId) -> Result<bool, StoreError>;

    /// Ends an admitted fan's shopping session because it confirmed `order`: frees the
    /// active slot and the address's place like [`Self::release`], and the ticket
    /// becomes [`TicketState::Purchased`] (no purchase token any more), logged as
    /// [`Change::Purchased`]. Idempotent: a purchased ticket adds `order` if new.
    /// Returns false (nothing changed) for a ticket that is neither admitted nor
    /// purchased. A later [`Self::join`] gives the fan a new ticket at the back.
    async fn purchased(
        &self,
        event: EventId,
        user: UserId,
        order: &str,
    ) -> Result<bool, StoreError>;

    /// Change-log entries after `after` (from the start for the default cursor).
    async fn changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<ChangeBatch, StoreError>;

    /// The waiting queue and the log cursor it corresponds to.
    async fn snapshot(&self, event: EventId) -> Result<QueueSnapshot, StoreError>;

    /// Counters for the admin console.
    async fn stats(&self, event: EventId) -> Result<QueueStats, StoreError>;

    /// The store's clock, in Unix milliseconds.
    async fn now_ms(&self) -> Result<i64, StoreError>;

    /// Whether the store answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    // Issue 19, a line of millions in bounded calls (store/paged.rs).

    /// One page of the waiting queue: sequence numbers above `after`, ascending, at
    /// most `limit`, with the change log's cursor as of the page. A reload reads the
    /// line page by page and replays the log from the first page's cursor
    /// ([`read_queue`]), so no call costs more than a page.
    async fn snapshot_page(
        &self,
        event: EventId,
        after: u64,
        limit: usize,
    ) -> Result<SnapshotPage, StoreError>;

    // Issue 19: a room waits for its change log; a closed sale's line leaves.

    /// Waits up to `limit` for a change-log entry after `after`, without reading it:
    /// [`Wake::Changed`] once one exists (at once if one already does), [`Wake::Quiet`]
    /// when `limit` passed with none. A store that cannot wait answers
    /// [`Wake::Unsupported`] at once: its readers poll [`Self::changes`].
    async fn wait_changes(
        &self,
        event: EventId,
        after: &Cursor,
        limit: std::time::Duration,
    ) -> Result<Wake, StoreError> {
        let _ = (event, after, limit);
        Ok(Wake::Unsupported)
    }

    /// Removes a closed sale's line: its queue, pre-queue, tickets, sessions,
    /// presence and change log, everything that grows with the fans (Redis: with
    /// `UNLINK`, never `DEL`). The configuration, the counters and the draw record
    /// ([`Self::draw`]) stay; [`Self::stats`] then counts no one (`joined` 0), so the
    /// caller saves what its reports need first. Idempotent.
    async fn remove_line(&self, event: EventId) -> Result<(), StoreError>;

    /// One bounded step of the opening (issue 19): when due, freezes the pre-queue
    /// (its fans own the next sequence numbers, [`Change::Frozen`]; later joins queue
    /// behind them), then moves at most `batch` of its fans, in the draw order of
    /// `seed`, into the queue per call. With presale groups (issue 20) each line opens
    /// in turn, in time order ([`QueueConfig::openings`]), one draw at a time: a
    /// group's line with `seed.for_presale(slot)`, the public line with `seed`; the
    /// step answers [`Opening::Opened`] at each line's end, [`Opening::NotDue`] while
    /// the next line's time has not come, [`Opening::Open`] once every line opened. Admission and the record ([`Self::draw`]) wait
    /// for the draw's end. One caller draws at a time (on Redis, a lease another takes
    /// over when the drawer stops); any caller resumes an interrupted draw.
    async fn open_step(
        &self,
        event: EventId,
        seed: &ShuffleSeed,
        batch: usize,
    ) -> Result<Opening, StoreError>;
}

/// What [`QueueStore::wait_changes`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The log has an entry after the cursor.
    Changed,
    /// None came within the limit.
    Quiet,
    /// The store cannot wait; read the log on every poll.
    Unsupported,
}

port_ops! {
    /// The methods of [`QueueStore`], one op each (what [`crate::intercept`] names a
    /// call by). A new method gets its op here and its forwarding there.
    pub enum QueueOp {
        Restore => "restore",
        Configure => "configure",
        Config => "config",
        UpdateAdmission => "update_admission",
        Join => "join",
        JoinGated => "join_gated",
        Status => "status",
        Statuses => "statuses",
        Poll => "poll",
        Leave => "leave",
        Presence => "presence",
        Open => "open",
        Draw => "draw",
        Admit => "admit",
        Release => "release",
        Changes => "changes",
        Purchased => "purchased",
        Snapshot => "snapshot",
        Stats => "stats",
        NowMs => "now_ms",
        Ping => "ping",
        SnapshotPage => "snapshot_page",
        WaitChanges => "wait_changes",
        RemoveLine => "remove_line",
        OpenStep => "open_step",
    }
}
