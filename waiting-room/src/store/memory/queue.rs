//! One event's queue in the embedded store: the pre-queue and the queue proper, the
//! tickets, presence deadlines, running sessions, the token bucket and the change log.
//! Plain data with the bookkeeping every store operation shares; the operations
//! themselves are in the parent's `QueueStore` impl.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::log::{MemoryLog, LOG_CAPACITY};
use crate::admission::TokenBucket;
use crate::position::PositionView;
use crate::store::{Change, DrawRecord, PlaceCap, TicketState, TicketStatus};
use crate::{QueueConfig, TicketId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// Pre-queued in line `slot` (0: public; a presale group's), by arrival.
    Prequeue {
        slot: u8,
        arrival: u64,
    },
    Queued(u64),
    Admitted {
        seq: u64,
        admitted_at_ms: i64,
        expires_at_ms: i64,
    },
    Left,
    /// The session ended with the ticket's `orders` (kept beside the place).
    Purchased {
        seq: u64,
    },
}

pub(super) struct Ticket {
    pub(super) id: TicketId,
    pub(super) place: Place,
    /// Orders the ticket's session confirmed (empty unless purchased).
    pub(super) orders: Vec<String>,
    /// The address whose place this ticket counts as (see `PlaceCap`), if capped.
    pub(super) holder: Option<String>,
}

pub(super) struct EventQueue {
    pub(super) config: QueueConfig,
    /// Admission runs: the first line's opening is complete (docs/ARCHITECTURE.md
    /// "Presales").
    pub(super) opened: bool,
    /// The lines whose opening is complete, bit `slot` (0: the public line).
    pub(super) lines_open: u16,
    pub(super) next_seq: u64,
    pub(super) next_arrival: u64,
    /// The pre-queues, one per line (index = slot; 0 the public one), by arrival.
    pub(super) prequeues: [BTreeMap<u64, UserId>; 9],
    pub(super) queue: BTreeMap<u64, UserId>,
    pub(super) view: PositionView,
    pub(super) tickets: HashMap<UserId, Ticket>,
    /// Presence deadlines of waiting fans: (deadline, user), and the reverse index.
    pub(super) presence: BTreeSet<(i64, UserId)>,
    pub(super) presence_of: HashMap<UserId, i64>,
    /// Running sessions: (deadline, user).
    pub(super) active: BTreeSet<(i64, UserId)>,
    pub(super) bucket: TokenBucket,
    pub(super) admitted_total: u64,
    /// (time, admitted) per admission step within the last minute.
    pub(super) recent: VecDeque<(i64, u64)>,
    /// (second, joins) within the last minute: the safety net's arrivals (counted only
    /// while it is set).
    pub(super) arrivals: VecDeque<(i64, u64)>,
    pub(super) log: MemoryLog<Change>,
    /// Places held per address (only addresses holding at least one).
    pub(super) held: HashMap<String, u32>,
    /// The event ran out of seats once: admission offers only seats that come back.
    pub(super) waitlist: bool,
    /// Each opened line's draw record, by slot (see `QueueStore::draw`,
    /// `QueueStore::presale_draw`).
    pub(super) draws: BTreeMap<u8, DrawRecord>,
    /// The opening's draw while it runs (`opening.rs`).
    pub(super) drawing: Option<MemoryDraw>,
    /// Proof-of-work challenges spent by joins, until they expire.
    pub(super) spent: super::spent::Spent,
    /// The replicas' leases and the fans they cover (`presence.rs`).
    pub(super) leases: super::leases::Leases,
}

impl EventQueue {
    pub(super) fn new(config: QueueConfig, now: i64) -> Self {
        Self {
            config,
            opened: false,
            lines_open: 0,
            next_seq: 1,
            next_arrival: 1,
            prequeues: Default::default(),
            queue: BTreeMap::new(),
            view: PositionView::new(),
            tickets: HashMap::new(),
            presence: BTreeSet::new(),
            presence_of: HashMap::new(),
            active: BTreeSet::new(),
            bucket: TokenBucket::new(now),
            admitted_total: 0,
            recent: VecDeque::new(),
            arrivals: VecDeque::new(),
            log: MemoryLog::new(LOG_CAPACITY),
            held: HashMap::new(),
            waitlist: false,
            draws: BTreeMap::new(),
            drawing: None,
            spent: Default::default(),
            leases: Default::default(),
        }
    }

    /// The joins of the last minute (the safety net's arrivals), older seconds pruned.
    pub(super) fn arrivals_last_minute(&mut self, now: i64) -> u64 {
        let second = now.div_euclid(1000);
        while self
            .arrivals
            .front()
            .is_some_and(|(s, _)| *s <= second - 60)
        {
            self.arrivals.pop_front();
        }
        self.arrivals.iter().map(|(_, n)| n).sum()
    }

    /// Counts one arrival now; answers the arrivals of the last minute before it.
    pub(super) fn arrive(&mut self, now: i64) -> u64 {
        let before = self.arrivals_last_minute(now);
        let second = now.div_euclid(1000);
        match self.arrivals.back_mut() {
            Some((s, n)) if *s == second => *n += 1,
            _ => self.arrivals.push_back((second, 1)),
        }
        before
    }

    /// Takes a place for `cap`'s holder, or `false` at its cap.
    pub(super) fn hold(&mut self, cap: &PlaceCap) -> bool {
        let n = self.held.entry(cap.holder.clone()).or_default();
        if *n >= cap.max {
            if *n == 0 {
                self.held.remove(&cap.holder);
            }
            return false;
        }
        *n += 1;
        true
    }

    /// Gives back the place `user`'s ticket holds for its address, if any.
    fn unhold(&mut self, user: UserId) {
        let Some(holder) = self.tickets.get(&user).and_then(|t| t.holder.as_ref()) else {
            return;
        };
        if let Some(n) = self.held.get_mut(holder) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.held.remove(holder);
            }
        }
    }

    pub(super) fn append(&mut self, change: Change) {
        self.log.push(change);
    }

    pub(super) fn status(&self, user: UserId) -> Option<TicketStatus> {
        let t = self.tickets.get(&user)?;
        let state = match t.place {
            Place::Prequeue { slot, .. } => TicketState::Prequeue { slot },
            Place::Queued(seq) => TicketState::Queued {
                seq,
                ahead: self.view.ahead(seq),
            },
            Place::Admitted {
                seq,
                admitted_at_ms,
                expires_at_ms,
            } => TicketState::Admitted {
                seq,
                admitted_at_ms,
                expires_at_ms,
            },
            Place::Left => TicketState::Left,
            Place::Purchased { seq } => TicketState::Purchased {
                seq,
                orders: t.orders.clone(),
            },
        };
        Some(TicketStatus {
            ticket: t.id.clone(),
            state,
        })
    }

    /// Admits the first `n` fans of the queue now (sessions of the event's TTL), with
    /// one [`Change::Admitted`] entry and the counters: the admission step's, and a
    /// passthrough join's (`join.rs`).
    pub(super) fn admit_head(&mut self, n: u64, now: i64) -> Vec<(u64, UserId)> {
        let mut taken = Vec::with_capacity(n.min(self.queue.len() as u64) as usize);
        for _ in 0..n {
            let Some(entry) = self.queue.pop_first() else {
                break;
            };
            taken.push(entry);
        }
        self.admit_taken(taken, now)
    }

    /// Admits the waiting ticket `seq` alone, now, wherever it stands in line: the
    /// "admit this one fan now" of passthrough's join and staff bypass (one
    /// [`Change::Admitted`], counted as [`Self::admit_head`] counts).
    pub(super) fn admit_now(&mut self, seq: u64, now: i64) {
        if let Some(user) = self.queue.remove(&seq) {
            self.admit_taken(vec![(seq, user)], now);
        }
    }

    /// Marks the fans `taken` out of the queue admitted, with their entry and counters.
    fn admit_taken(&mut self, admitted: Vec<(u64, UserId)>, now: i64) -> Vec<(u64, UserId)> {
        let expires_at_ms = now + i64::from(self.config.admission.session_ttl_secs) * 1000;
        for &(seq, user) in &admitted {
            self.view.remove(seq);
            self.clear_presence(user);
            self.active.insert((expires_at_ms, user));
            if let Some(t) = self.tickets.get_mut(&user) {
                t.place = Place::Admitted {
                    seq,
                    admitted_at_ms: now,
                    expires_at_ms,
                };
            }
        }
        if !admitted.is_empty() {
            self.admitted_total += admitted.len() as u64;
            self.recent.push_back((now, admitted.len() as u64));
            self.admitted_last_minute(now); // prunes samples older than a minute
            self.append(Change::Admitted {
                seqs: admitted.iter().map(|(s, _)| *s).collect(),
                admitted_at_ms: now,
                expires_at_ms,
            });
        }
        admitted
    }

    pub(super) fn set_presence(&mut self, user: UserId, deadline: i64) {
        if let Some(old) = self.presence_of.insert(user, deadline) {
            self.presence.remove(&(old, user));
        }
        self.presence.insert((deadline, user));
    }

    pub(super) fn clear_presence(&mut self, user: UserId) {
        if let Some(old) = self.presence_of.remove(&user) {
            self.presence.remove(&(old, user));
        }
    }

    /// Removes a waiting or pre-queued ticket; returns its sequence number if it was
    /// in the queue proper.
    pub(super) fn remove_waiting(&mut self, user: UserId) -> Option<Option<u64>> {
        let ticket = self.tickets.get_mut(&user)?;
        let removed = match ticket.place {
            Place::Prequeue { slot, arrival } => {
                self.prequeues[usize::from(slot)].remove(&arrival);
                None
            }
            Place::Queued(seq) => {
                self.queue.remove(&seq);
                self.view.remove(seq);
                Some(seq)
            }
            Place::Admitted { .. } | Place::Left | Place::Purchased { .. } => return None,
        };
        ticket.place = Place::Left;
        self.unhold(user);
        self.clear_presence(user);
        Some(removed)
    }

    /// Expires lapsed leases, then drops the waiting fans whose deadline passed and
    /// that no replica covers (a covered one just loses its deadline); returns how
    /// many were dropped.
    pub(super) fn drop_absent(&mut self, now: i64) -> u64 {
        self.expire_leases(now);
        let due: Vec<UserId> = self
            .presence
            .iter()
            .take_while(|(deadline, _)| *deadline < now)
            .map(|(_, user)| *user)
            .collect();
        let mut seqs = Vec::new();
        let mut dropped = 0;
        for user in &due {
            self.clear_presence(*user);
            if self.leases.covered(user, None) {
                continue;
            }
            dropped += 1;
            if let Some(Some(seq)) = self.remove_waiting(*user) {
                seqs.push(seq);
            }
        }
        if !seqs.is_empty() {
            self.append(Change::Left { seqs });
        }
        dropped
    }

    pub(super) fn active_count(&mut self, now: i64) -> u64 {
        while let Some(&(deadline, user)) = self.active.first() {
            if deadline > now {
                break;
            }
            self.active.remove(&(deadline, user));
            self.unhold(user);
        }
        self.active.len() as u64
    }

    /// Ends `user`'s running session early; whether one was running.
    pub(super) fn end_session(&mut self, user: UserId, expires_at_ms: i64) -> bool {
        let ended = self.active.remove(&(expires_at_ms, user));
        if ended {
            self.unhold(user);
        }
        ended
    }

    /// `user`'s session confirmed `order` (see `QueueStore::purchased`).
    pub(super) fn purchased(&mut self, user: UserId, order: &str) -> bool {
        let Some(ticket) = self.tickets.get(&user) else {
            return false;
        };
        match ticket.place {
            Place::Admitted {
                seq, expires_at_ms, ..
            } => {
                self.end_session(user, expires_at_ms);
                let ticket = self.tickets.get_mut(&user).expect("checked above");
                ticket.place = Place::Purchased { seq };
            }
            Place::Purchased { .. } if ticket.orders.iter().any(|o| o == order) => return true,
            Place::Purchased { .. } => {}
            _ => return false,
        }
        let ticket = self.tickets.get_mut(&user).expect("checked above");
        ticket.orders.push(order.to_owned());
        let orders = ticket.orders.clone();
        self.append(Change::Purchased { user, orders });
        true
    }

    /// Whether line `slot`'s opening is complete.
    pub(super) fn line_open(&self, slot: u8) -> bool {
        1u16.checked_shl(u32::from(slot))
            .is_some_and(|bit| self.lines_open & bit != 0)
    }

    /// Whether a join into line `slot` takes a place in the queue now: the line
    /// opened, or its draw runs (the join queues behind it).
    pub(super) fn line_queues(&self, slot: u8) -> bool {
        self.line_open(slot) || self.drawing.as_ref().is_some_and(|d| d.slot == slot)
    }

    /// Gives `user` a place in line `slot` now: the next sequence number at the back
    /// if the line queues ([`Self::line_queues`]), else the line's pre-queue.
    pub(super) fn take_place(&mut self, user: UserId, slot: u8) -> Place {
        if self.line_queues(slot) {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.queue.insert(seq, user);
            self.view.insert(seq);
            self.append(Change::Joined { seq });
            Place::Queued(seq)
        } else {
            let arrival = self.next_arrival;
            self.next_arrival += 1;
            self.prequeues[usize::from(slot)].insert(arrival, user);
            Place::Prequeue { slot, arrival }
        }
    }

    /// Fans pre-queued in every line (the frozen one's not moved yet aside).
    pub(super) fn prequeued(&self) -> u64 {
        self.prequeues.iter().map(|p| p.len() as u64).sum()
    }

    pub(super) fn admitted_last_minute(&mut self, now: i64) -> u64 {
        while self.recent.front().is_some_and(|(t, _)| *t <= now - 60_000) {
            self.recent.pop_front();
        }
        self.recent.iter().map(|(_, n)| n).sum()
    }
}

/// A draw under way: the frozen pre-queue in draw order and its record.
pub(super) struct MemoryDraw {
    /// The line drawn (0: the public one).
    pub(super) slot: u8,
    pub(super) first: u64,
    pub(super) moved: u64,
    pub(super) users: Vec<UserId>,
    pub(super) record: DrawRecord,
}

impl MemoryDraw {
    /// The first sequence number not moved yet, and the first after the draw.
    pub(super) fn unmoved(&self) -> std::ops::Range<u64> {
        self.first + self.moved..self.first + self.users.len() as u64
    }
}
