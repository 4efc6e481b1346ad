//! One event's queue as one replica sees it, as a pure state machine: the local
//! order-statistics view, the event's flags, the admission pace and the local fans.
//!
//! Nothing here is async or reads a clock: store answers come in as [`Change`]s and
//! [`TicketStatus`](crate::store::TicketStatus)es, time as arguments (`now_ms`, the
//! wall clock, for session expiry; `at`, tokio's monotonic clock, for the pace), and
//! purchase tokens from an [`Admit`]. The room ([`super::Room`]) owns it behind a lock
//! and does the I/O. Ticket statuses become phases in `status.rs`; what to put back
//! into a store that lost the event is planned in `restore.rs`.

mod restore;
mod status;

use std::sync::Arc;

use tokio::time::Instant;

use super::admit::Admit;
use super::fans::Fans;
use super::presence::Presence;
use crate::estimate::{Estimator, EtaRange, Limits, Outlook};
use crate::fan::{FanPhase, FanView};
use crate::position::PositionView;
use crate::shown;
use crate::store::{Change, Cursor, QueueSnapshot};
use crate::{AdmissionMode, QueueConfig, UserId};

/// The admission rate assumed for the estimated wait before the room has read the
/// event's configuration.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 60;

/// How far the store's clock may be behind this replica's, for the openings: a line
/// whose opening time passed longer ago than this, and that the store says is not the
/// next due, has opened.
const CLOCK_SKEW_MS: i64 = 5_000;

/// Whether `view` has read the log as far as the join of `seq`.
fn covers(view: &PositionView, seq: u64) -> bool {
    view.max_seq() >= seq
}

/// People ahead of the ticket `seq`, of whom the store or an earlier report counted
/// `known`: the local view's count once it has caught up with `seq` (it no longer
/// holds admitted or departed fans), and never more than `known`. The one place
/// people-ahead is computed.
fn people_ahead(view: &PositionView, seq: u64, known: u64) -> u64 {
    if covers(view, seq) {
        known.min(view.ahead(seq))
    } else {
        known
    }
}

/// Puts the exact `ahead` and the estimator's `exact` wait into a queued fan's
/// `phase`, and what it is shown ([`shown`]) from them: whether what is shown changed
/// (then `shown_at_ms` becomes `now_ms`). Any other phase is left alone.
fn show(phase: &mut FanPhase, ahead: u64, exact: (u64, EtaRange), now_ms: i64) -> bool {
    let before = phase.shown();
    let FanPhase::Queued {
        ahead: a,
        eta_secs,
        range,
        about,
        shown_at_ms,
        ..
    } = phase
    else {
        return false;
    };
    *a = ahead;
    (*eta_secs, *range) = shown::settle(Some((*eta_secs, *range)), exact);
    *about = shown::about(ahead);
    let changed = Some((shown::shown_ahead(ahead), *eta_secs, *range)) != before;
    if changed {
        *shown_at_ms = now_ms;
    }
    changed
}

pub(crate) struct RoomState {
    view: PositionView,
    pub cursor: Cursor,
    /// The view was loaded from a snapshot and follows the log.
    pub synced: bool,
    /// Admission runs: the first line's opening is complete.
    pub opened: bool,
    /// The lines whose opening this replica read in the log, bit `slot` (0: public).
    pub lines_open: u16,
    /// The store answered that every line opened ([`crate::store::Opening::Open`]):
    /// no more opening steps until the configuration changes.
    pub openings_done: bool,
    /// The store answered "not due" ([`crate::store::Opening::NotDue`]): no opening
    /// step before this time (Unix ms), the next line's opening.
    pub opening_not_before_ms: i64,
    pub sold_out: bool,
    /// The event sold out once: the fans in line are its waitlist (from the store).
    pub waitlist: bool,
    /// Free seats as of the last admission step (None: no seat store, or unknown yet).
    pub available: Option<u32>,
    pub config: Option<QueueConfig>,
    /// The mode's message of `config`, shared by every fan's view ([`Self::set_config`]).
    message: Option<Arc<str>>,
    /// The line's outflow, for the estimated wait.
    pub estimator: Estimator,
    pub fans: Fans,
    /// Which local fans this replica's lease covers in the store.
    pub presence: Presence,
    /// Fans whose status may have moved on before we registered them (a join that
    /// raced the opening or its own admission): re-read on the next sync.
    recheck: Vec<UserId>,
    /// The store lost the event (it answered "unknown event" after we had read it):
    /// the next reload re-seeds it and puts our waiting fans back.
    pub lost: bool,
}

/// Store reads a batch of changes calls for, done by the room with the lock released.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Followups {
    /// The admission settings changed: re-read the configuration.
    pub reload_config: bool,
    /// Fans whose ticket status to re-read and apply.
    pub statuses: Vec<UserId>,
}

impl RoomState {
    /// A state knowing `config` (if any) and nothing of the queue yet (`at`: kept for
    /// callers; the outflow is measured from the first admission).
    pub fn new(config: Option<QueueConfig>, _at: Instant) -> Self {
        Self {
            view: PositionView::default(),
            cursor: Cursor::default(),
            synced: false,
            opened: false,
            lines_open: 0,
            openings_done: false,
            opening_not_before_ms: 0,
            sold_out: false,
            waitlist: false,
            available: None,
            message: Self::message_of(config.as_ref()),
            config,
            estimator: Estimator::default(),
            fans: Fans::default(),
            presence: Presence::default(),
            recheck: Vec::new(),
            lost: false,
        }
    }

    /// Takes a configuration read from the store (the mode's message shared from now).
    pub fn set_config(&mut self, config: Option<QueueConfig>) {
        self.message = Self::message_of(config.as_ref());
        let openings = |c: &Option<QueueConfig>| c.as_ref().map(QueueConfig::openings);
        if openings(&config) != openings(&self.config) {
            // New openings (a group added or moved): step them again, and learn
            // again which lines opened (the log and the store's answers say).
            self.openings_done = false;
            self.opening_not_before_ms = 0;
            if self.config.is_some() {
                self.lines_open = 0;
            }
        }
        self.config = config;
    }

    /// The opening of line `slot` as configured (0 before the configuration is known).
    pub fn opening_of(&self, slot: u8) -> i64 {
        let config = self.config.as_ref();
        config
            .and_then(|c| c.opening_of(slot))
            .or(config.map(|c| c.starts_at_ms))
            .unwrap_or(0)
    }

    /// Whether an opening step is due at `now_ms`: a line this replica has not seen
    /// open is due by the configuration, and the store has not said every line opened
    /// or that the next one is not due before a later time.
    pub fn opening_due(&self, now_ms: i64) -> bool {
        if self.openings_done || now_ms < self.opening_not_before_ms {
            return false;
        }
        self.config.as_ref().is_some_and(|c| {
            c.openings()
                .into_iter()
                .any(|(slot, at)| self.lines_open & (1 << slot) == 0 && at <= now_ms)
        })
    }

    /// The store said the next opening is not due at `now_ms`: wait for the next
    /// configured opening among the lines not seen open. A line whose time passed
    /// [`CLOCK_SKEW_MS`] ago is open in the store (this replica loaded a snapshot
    /// after its opening and never read its entry); one whose time passed since is
    /// retried in a quarter second (the store's clock is behind ours).
    pub fn opening_not_due(&mut self, now_ms: i64) {
        let Some(openings) = self.config.as_ref().map(QueueConfig::openings) else {
            return;
        };
        for &(slot, at) in &openings {
            if at <= now_ms - CLOCK_SKEW_MS {
                self.lines_open |= 1 << slot;
            }
        }
        let unopened = openings
            .iter()
            .filter(|&&(slot, _)| self.lines_open & (1 << slot) == 0);
        self.opening_not_before_ms = match unopened.map(|&(_, at)| at).min() {
            Some(at) if at > now_ms => at,
            Some(_) => now_ms + 250,
            // The store's configuration differs from ours: look again soon.
            None => now_ms + 1_000,
        };
    }

    fn message_of(config: Option<&QueueConfig>) -> Option<Arc<str>> {
        config.and_then(|c| c.admission.message.as_deref().map(Arc::from))
    }

    /// The event-wide flags of every fan's view (paused, sold out, waitlist, the
    /// admission mode and its message), as a view with no phase.
    pub fn flags(&self) -> FanView {
        FanView {
            paused: self.config.as_ref().is_some_and(|c| c.admission.paused),
            sold_out: self.sold_out,
            waitlist: self.waitlist,
            mode: self
                .config
                .as_ref()
                .map(|c| c.admission.mode)
                .unwrap_or_default(),
            message: self.message.clone(),
            ..FanView::default()
        }
    }

    /// Puts the event-wide flags (paused, sold out, waitlist) into every local fan's
    /// view, and the opening into pre-queued fans' (an admin may move it before it
    /// comes).
    pub fn refresh_flags(&self) {
        let f = self.flags();
        let flags = (f.paused, f.sold_out, f.waitlist, f.mode);
        for (_, fan) in self.fans.iter() {
            fan.tx.send_if_modified(|v| {
                let mut changed =
                    (v.paused, v.sold_out, v.waitlist, v.mode) != flags || v.message != f.message;
                (v.paused, v.sold_out, v.waitlist, v.mode) = flags;
                if v.message != f.message {
                    v.message.clone_from(&f.message);
                }
                if let (
                    FanPhase::Prequeue {
                        starts_at_ms, slot, ..
                    },
                    Some(_),
                ) = (&mut v.phase, self.config.as_ref())
                {
                    let opening = self.opening_of(*slot);
                    changed |= *starts_at_ms != opening;
                    *starts_at_ms = opening;
                }
                changed
            });
        }
    }

    /// Adds a socket for `user`: its receiver, and whether it is the fan's only one.
    /// Only this fan's view takes the event's flags, so a connect stays O(1) in the
    /// number of fans here (refreshing every view made a crowd O(n²)).
    pub fn attach(&mut self, user: UserId) -> (tokio::sync::watch::Receiver<FanView>, bool) {
        let flags = self.flags();
        self.fans.attach(user, flags)
    }

    /// What bounds admission now, for the estimated wait.
    fn limits(&self) -> Limits {
        let a = self.config.as_ref().map(|c| &c.admission);
        // Passthrough has no rate (the cap alone bounds admission); queue_all and
        // reject admit nobody, as a pause does: no estimate.
        let rate = |a: &crate::AdmissionSettings| match a.mode {
            AdmissionMode::Passthrough => crate::AdmissionSettings::MAX_RATE_PER_MINUTE,
            _ => a.rate_per_minute,
        };
        Limits {
            rate_per_minute: a.map_or(DEFAULT_RATE_PER_MINUTE, rate),
            max_active: a.map_or(u32::MAX, |a| a.max_active),
            session_ttl_secs: a.map_or(600, |a| a.session_ttl_secs),
            paused: a.is_some_and(|a| a.paused || !a.mode.admits()),
            sold_out: self.sold_out,
            waitlist: self.waitlist,
        }
    }

    /// The estimator's reading as of `at`.
    fn outlook(&mut self, at: Instant) -> Outlook {
        let limits = self.limits();
        self.estimator.outlook(at, limits)
    }

    /// The estimated wait in seconds and its range with `ahead` fans in front.
    fn eta(&mut self, ahead: u64, at: Instant) -> (u64, EtaRange) {
        self.outlook(at).estimate(ahead)
    }

    /// Fans waiting, as this replica's view has them.
    pub fn waiting(&self) -> u64 {
        self.view.len()
    }

    /// Takes the store's snapshot as the view (a first load, a lagged reader, a loss).
    pub fn load(&mut self, config: QueueConfig, snap: QueueSnapshot) {
        self.view.clear();
        for seq in snap.seqs {
            self.view.insert(seq);
        }
        self.cursor = snap.cursor;
        self.opened = snap.opened;
        if !snap.opened {
            self.lines_open = 0;
        }
        self.set_config(Some(config));
        self.synced = true;
        self.refresh_flags();
    }

    /// Takes the fans to re-read before the next batch of changes.
    pub fn take_rechecks(&mut self) -> Vec<UserId> {
        std::mem::take(&mut self.recheck)
    }

    /// Applies one change-log entry; store reads it calls for go to `followups`.
    pub fn apply(
        &mut self,
        change: Change,
        now_ms: i64,
        at: Instant,
        admit: &impl Admit,
        followups: &mut Followups,
    ) {
        match change {
            Change::Joined { seq } => {
                self.view.insert(seq);
            }
            Change::Opened { first, count, slot } => {
                self.view.insert_range(first, count);
                self.opened = true;
                self.lines_open |= 1u16.checked_shl(u32::from(slot)).unwrap_or(0);
                // Only the fans of the line that opened: the others still wait.
                followups.statuses.extend(self.fans.prequeued(slot));
            }
            Change::Admitted {
                seqs,
                admitted_at_ms,
                expires_at_ms,
            } => {
                self.estimator.admitted(at, seqs.len() as u64);
                for seq in seqs {
                    self.view.remove(seq);
                    let Some((user, fan)) = self.fans.take_seq(seq) else {
                        continue;
                    };
                    let Some(ticket) = &fan.ticket else {
                        fan.set_phase(FanPhase::Idle);
                        continue;
                    };
                    let phase =
                        admit.purchase_phase(user, ticket, admitted_at_ms, expires_at_ms, now_ms);
                    if matches!(phase, FanPhase::Admitted { .. }) {
                        fan.admitted_until = Some(expires_at_ms);
                    }
                    fan.set_phase(phase);
                }
            }
            Change::Left { seqs } => {
                self.estimator.departed(at, seqs.len() as u64);
                for seq in seqs {
                    self.view.remove(seq);
                    if let Some((_, fan)) = self.fans.take_seq(seq) {
                        fan.set_phase(FanPhase::Left);
                    }
                }
            }
            Change::Purchased { user, orders } => {
                self.estimator.purchased();
                if let Some(fan) = self.fans.get_mut(&user) {
                    fan.admitted_until = None;
                    fan.set_phase(FanPhase::Purchased { orders });
                }
            }
            Change::Settings => followups.reload_config = true,
            Change::Frozen { first, count, .. } => self.view.insert_range(first, count),
            Change::Restored { seqs } => {
                for seq in seqs {
                    self.view.insert(seq);
                }
            }
        }
    }

    /// The fan left on request: out of the queue here too.
    pub fn left(&mut self, user: UserId) {
        self.fans.clear_seq(user);
        if let Some(fan) = self.fans.get(&user) {
            fan.set_phase(FanPhase::Left);
        }
    }

    /// Recomputes people-ahead and the estimated wait of every local waiting fan and
    /// pushes the ones that changed; ends sessions whose time ran out (`now_ms`).
    pub fn push(&mut self, now_ms: i64, at: Instant) {
        let outlook = self.outlook(at);
        let available = self.available;
        for fan in self.fans.values_mut() {
            fan.tx.send_if_modified(|v| {
                let before = v.seats_wake();
                v.available = available;
                v.seats_wake() != before
            });
            if let Some(seq) = fan.seq {
                if !covers(&self.view, seq) {
                    continue; // our view has not caught up with this join yet
                }
                let ahead = fan.lower_ahead(people_ahead(&self.view, seq, fan.ahead));
                let exact = outlook.estimate(ahead);
                // The exact number is kept fresh without waking the fan's sockets;
                // they are woken only when what the fan is shown changes.
                fan.tx
                    .send_if_modified(|v| show(&mut v.phase, ahead, exact, now_ms));
            } else if fan.admitted_until.is_some_and(|t| t <= now_ms) {
                fan.admitted_until = None;
                fan.set_phase(FanPhase::Expired);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdmissionSettings, PresaleOpening, TicketId};

    /// Admits nobody here (no `Admitted` entry in these tests).
    struct NoAdmit;

    impl Admit for NoAdmit {
        fn purchase_phase(&self, _: UserId, _: &TicketId, _: i64, _: i64, _: i64) -> FanPhase {
            FanPhase::Expired
        }
    }

    fn presale_state() -> RoomState {
        let config = QueueConfig {
            presales: vec![
                PresaleOpening {
                    slot: 2,
                    opens_at_ms: 20_000,
                },
                PresaleOpening {
                    slot: 1,
                    opens_at_ms: 1_000,
                },
            ],
            starts_at_ms: 30_000,
            grace_ms: 60_000,
            admission: AdmissionSettings {
                rate_per_minute: 60,
                max_active: 10,
                session_ttl_secs: 600,
                paused: false,
                mode: Default::default(),
                message: None,
                safety_net: None,
            },
        };
        RoomState::new(Some(config), Instant::now())
    }

    #[test]
    fn openings_are_stepped_until_each_is_done_and_skipped_until_the_next() {
        let mut st = presale_state();
        assert!(!st.opening_due(500), "no line due yet");
        assert!(
            st.opening_due(10_000),
            "group 1's time passed, not seen open"
        );
        // The store says the next line is not due: group 1 opened long ago (this
        // replica loaded after it), group 2 is next.
        st.opening_not_due(10_000);
        assert_eq!(st.lines_open, 1 << 1);
        assert_eq!(st.opening_not_before_ms, 20_000);
        assert!(!st.opening_due(19_999));
        assert!(st.opening_due(20_000));
        // The store's clock is a little behind: look again in a quarter second.
        st.opening_not_due(20_100);
        assert_eq!(st.opening_not_before_ms, 20_350);
        // Group 2's opening read in the log; the public line is next.
        let mut f = Followups::default();
        let admit = NoAdmit;
        st.apply(
            Change::Opened {
                first: 1,
                count: 0,
                slot: 2,
            },
            20_400,
            Instant::now(),
            &admit,
            &mut f,
        );
        assert!(st.opened && !st.opening_due(20_400) && st.opening_due(30_000));
        st.openings_done = true;
        assert!(!st.opening_due(40_000), "the store said every line opened");
    }
}
