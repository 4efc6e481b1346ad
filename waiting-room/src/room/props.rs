//! Property tests of the pure [`RoomState`], fed the changes and ticket statuses a real
//! store produces: the in-memory store on a [`ManualClock`] answers generated
//! sequences of joins, departures, reconnects, admission steps, partial log reads
//! (a replica's view lagging behind) and position pushes, and the harness plays the
//! room's part, as [`super::Room`] does, with the state alone.
//!
//! - admission order equals join order after the opening;
//! - a fan's people-ahead never rises;
//! - the pre-queue is admitted before anyone who joined later.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use tokio::sync::watch;
use tokio::time::Instant;

use super::admit::Admit;
use super::state::{Followups, RoomState};
use crate::clock::{Clock, ManualClock};
use crate::fan::{FanPhase, FanView};
use crate::store::memory::MemoryStore;
use crate::store::{QueueStore, TicketState};
use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

#[derive(Clone, Debug)]
enum Op {
    Join,
    Leave(usize),
    /// The fan's last socket closes and a new one opens (a resume).
    Reconnect(usize),
    /// Time passes, then one admission step.
    Admit(u16),
    /// Reads at most this many change-log entries.
    Sync(usize),
    Push,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Join),
        1 => any::<usize>().prop_map(Op::Leave),
        2 => any::<usize>().prop_map(Op::Reconnect),
        3 => (0u16..1_500).prop_map(Op::Admit),
        3 => (1usize..4).prop_map(Op::Sync),
        2 => Just(Op::Push),
    ]
}

/// How each admission reached the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    /// Applying the change log: the order the room learns admissions in.
    Log,
    /// A ticket status read (a reconnect, a recheck).
    Status,
}

/// Stands in for the signer and records every admission the state hands out, with
/// how it came and in which operation of the scenario (a sync with its follow-ups is
/// one: fans learn of admissions a sync at a time).
struct Recorder {
    via: Cell<Via>,
    round: Cell<usize>,
    admitted: RefCell<Vec<Admission>>,
}

#[derive(Clone, Copy, Debug)]
struct Admission {
    user: UserId,
    via: Via,
    round: usize,
}

impl Admit for Recorder {
    fn purchase_phase(
        &self,
        user: UserId,
        _ticket: &TicketId,
        _admitted_at_ms: i64,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> FanPhase {
        if expires_at_ms <= now_ms {
            return FanPhase::Expired;
        }
        self.admitted.borrow_mut().push(Admission {
            user,
            via: self.via.get(),
            round: self.round.get(),
        });
        FanPhase::Admitted {
            purchase_token: user.to_string(),
            expires_at_ms,
        }
    }
}

struct Fan {
    user: UserId,
    /// Joined once the sale had opened (not from the pre-queue).
    after_opening: bool,
    left: bool,
    rx: watch::Receiver<FanView>,
    /// The last `(ticket, ahead, ahead shown)` the fan was shown.
    last: Option<(TicketId, u64, u64)>,
}

struct Harness {
    store: MemoryStore,
    clock: ManualClock,
    event: EventId,
    state: RoomState,
    admit: Recorder,
    fans: Vec<Fan>,
    opened: bool,
    started: Instant,
}

impl Harness {
    async fn new() -> Self {
        let clock = ManualClock::new(1_000_000);
        let store = MemoryStore::new(Arc::new(clock.clone()));
        let event = EventId::new();
        let config = QueueConfig {
            presales: Vec::new(),
            starts_at_ms: clock.now_ms() + 1,
            grace_ms: 3_600_000,
            admission: AdmissionSettings {
                rate_per_minute: 240, // four a second, burst four
                max_active: 1_000_000,
                session_ttl_secs: 24 * 3600,
                paused: false,
                mode: Default::default(),
                message: None,
                safety_net: None,
            },
        };
        store.configure(event, &config, false).await.unwrap();
        let started = Instant::now();
        let mut state = RoomState::new(Some(config.clone()), started);
        state.load(config, store.snapshot(event).await.unwrap());
        Self {
            store,
            clock,
            event,
            state,
            admit: Recorder {
                via: Cell::new(Via::Status),
                round: Cell::new(0),
                admitted: RefCell::default(),
            },
            fans: Vec::new(),
            opened: false,
            started,
        }
    }

    fn now(&self) -> (i64, Instant) {
        let ms = self.clock.now_ms() - 1_000_000;
        (
            self.clock.now_ms(),
            self.started + Duration::from_millis(ms as u64),
        )
    }

    fn pick(&self, i: usize) -> Option<usize> {
        (!self.fans.is_empty()).then(|| i % self.fans.len())
    }

    async fn open(&mut self) {
        self.clock.advance(1);
        assert!(self
            .store
            .open(
                self.event,
                &crate::shuffle::ShuffleSeed::from_bytes([7; 32])
            )
            .await
            .unwrap());
        self.opened = true;
    }

    async fn run(&mut self, op: Op) {
        self.admit.round.set(self.admit.round.get() + 1);
        match op {
            Op::Join => {
                let user = UserId::new();
                let (rx, _) = self.state.attach(user);
                let status = self
                    .store
                    .join(self.event, user, &TicketId::new(), None)
                    .await
                    .unwrap();
                let (now_ms, at) = self.now();
                self.state
                    .apply_status(user, status, now_ms, at, &self.admit);
                self.fans.push(Fan {
                    user,
                    after_opening: self.opened,
                    left: false,
                    rx,
                    last: None,
                });
            }
            Op::Leave(i) => {
                let Some(i) = self.pick(i) else { return };
                let user = self.fans[i].user;
                if !self.fans[i].left && self.store.leave(self.event, user).await.unwrap() {
                    self.state.left(user);
                    self.fans[i].left = true;
                }
            }
            Op::Reconnect(i) => {
                let Some(i) = self.pick(i) else { return };
                if self.fans[i].left {
                    return;
                }
                let user = self.fans[i].user;
                assert!(self.state.fans.detach(user).is_some(), "its last socket");
                let (rx, first) = self.state.attach(user);
                assert!(first);
                self.fans[i].rx = rx;
                // What `Room::resume` does: a waiting ticket is joined again (same
                // ticket, fresh grace), any other status applied as it is.
                let status = self.store.status(self.event, user).await.unwrap().unwrap();
                let status = match status.state {
                    TicketState::Prequeue { .. } | TicketState::Queued { .. } => self
                        .store
                        .join(self.event, user, &TicketId::new(), None)
                        .await
                        .unwrap(),
                    _ => status,
                };
                let (now_ms, at) = self.now();
                self.state
                    .apply_status(user, status, now_ms, at, &self.admit);
            }
            Op::Admit(ms) => {
                self.clock.advance(i64::from(ms));
                self.store.admit(self.event, None).await.unwrap();
            }
            Op::Sync(max) => self.sync(max).await,
            Op::Push => {
                let (now_ms, at) = self.now();
                self.state.push(now_ms, at);
            }
        }
    }

    /// What `Room::sync_inner` does for one batch of at most `max` entries.
    async fn sync(&mut self, max: usize) {
        let batch = self
            .store
            .changes(self.event, &self.state.cursor, max)
            .await
            .unwrap();
        assert!(!batch.lagged);
        let mut followups = Followups {
            statuses: self.state.take_rechecks(),
            ..Followups::default()
        };
        self.state.cursor = batch.cursor;
        let (now_ms, at) = self.now();
        self.admit.via.set(Via::Log);
        for change in batch.changes {
            self.state
                .apply(change, now_ms, at, &self.admit, &mut followups);
        }
        self.admit.via.set(Via::Status);
        assert!(!followups.reload_config);
        let statuses = self
            .store
            .statuses(self.event, &followups.statuses)
            .await
            .unwrap();
        for (user, status) in followups.statuses.into_iter().zip(statuses) {
            if let Some(status) = status {
                self.state
                    .apply_status(user, status, now_ms, at, &self.admit);
            }
        }
    }

    /// Property: people-ahead never rises (for the same ticket), neither the exact
    /// number nor the one the fan is shown (rounded deep in the line).
    fn check_ahead_never_rises(&mut self) {
        for fan in &mut self.fans {
            let phase = fan.rx.borrow().phase.clone();
            if let (FanPhase::Queued { ticket, ahead, .. }, Some((shown, ..))) =
                (&phase, phase.shown())
            {
                if let Some((t, last, last_shown)) = &fan.last {
                    assert!(
                        t != ticket || ahead <= last,
                        "people-ahead of {} rose from {last} to {ahead}",
                        fan.user
                    );
                    assert!(
                        t != ticket || shown <= *last_shown,
                        "people-ahead shown to {} rose from {last_shown} to {shown}",
                        fan.user
                    );
                }
                fan.last = Some((ticket.clone(), *ahead, shown));
            }
        }
    }

    /// Admits until every fan still in line is admitted (or gives up: the
    /// properties say what went wrong).
    async fn drain(&mut self) {
        if !self.opened {
            self.open().await;
        }
        for _ in 0..200 {
            self.run(Op::Admit(1_000)).await;
            self.run(Op::Sync(10_000)).await;
            self.run(Op::Push).await;
            self.check_ahead_never_rises();
            if self.fans.iter().all(|f| f.left || admitted(f)) {
                return;
            }
        }
    }
}

fn admitted(fan: &Fan) -> bool {
    matches!(fan.rx.borrow().phase, FanPhase::Admitted { .. })
}

/// Runs `ops` (the sale opening before op `open_at`), then drains the queue.
fn scenario(ops: Vec<Op>, open_at: usize) -> Harness {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut h = Harness::new().await;
        for (i, op) in ops.into_iter().enumerate() {
            if i == open_at {
                h.open().await;
            }
            h.run(op).await;
            h.check_ahead_never_rises();
        }
        h.drain().await;
        h
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Fans who joined after the opening are admitted in the order they joined.
    #[test]
    fn admission_order_is_join_order_after_the_opening(
        ops in proptest::collection::vec(op(), 0..80),
        open_at in 0usize..40,
    ) {
        let h = scenario(ops, open_at);
        let joined: Vec<UserId> = h
            .fans
            .iter()
            .filter(|f| f.after_opening && !f.left)
            .map(|f| f.user)
            .collect();
        let order = |u: &UserId| joined.iter().position(|j| j == u);
        let via_log: Vec<usize> = h
            .admit
            .admitted
            .borrow()
            .iter()
            .filter(|a| a.via == Via::Log)
            .filter_map(|a| order(&a.user))
            .collect();
        prop_assert!(
            via_log.windows(2).all(|w| w[0] < w[1]),
            "admitted out of join order: {via_log:?}"
        );
    }

    /// People-ahead never rises, whatever the replica's view lags behind (checked
    /// after every operation, in [`Harness::check_ahead_never_rises`]).
    #[test]
    fn people_ahead_never_rises(
        ops in proptest::collection::vec(op(), 0..80),
        open_at in 0usize..40,
    ) {
        let h = scenario(ops, open_at);
        // And the queue drains: every fan still in line was told it is admitted.
        prop_assert!(h.fans.iter().all(|f| f.left || admitted(f)));
    }

    /// When someone who joined after the opening is admitted, every pre-queued fan
    /// still in line has been admitted, in that sync or an earlier one.
    #[test]
    fn the_prequeue_is_admitted_before_later_joiners(
        ops in proptest::collection::vec(op(), 0..80),
        open_at in 0usize..40,
    ) {
        let h = scenario(ops, open_at);
        let later: HashSet<UserId> = h
            .fans
            .iter()
            .filter(|f| f.after_opening)
            .map(|f| f.user)
            .collect();
        let admissions = h.admit.admitted.borrow();
        let first_admitted = |user: UserId| {
            admissions.iter().find(|a| a.user == user).map(|a| a.round)
        };
        for fan in h.fans.iter().filter(|f| !f.after_opening && !f.left) {
            let prequeued = first_admitted(fan.user).unwrap_or(usize::MAX);
            let before = admissions
                .iter()
                .find(|a| a.via == Via::Log && later.contains(&a.user) && a.round < prequeued);
            prop_assert!(
                before.is_none(),
                "a later joiner admitted in op {} before a pre-queued fan (op {prequeued})",
                before.map_or(0, |a| a.round)
            );
        }
    }
}
