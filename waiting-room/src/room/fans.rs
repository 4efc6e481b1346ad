//! The fans whose sockets this replica holds: each one's ticket, sequence number, the
//! people-ahead last reported and the `watch` channel its sockets read their view from;
//! plus the index from sequence number to fan that admissions and departures use.
//!
//! Plain data with no lock of its own: it lives inside the room's state.

use std::collections::HashMap;

use tokio::sync::watch;

use crate::fan::{FanPhase, FanView};
use crate::{TicketId, UserId};

/// One fan with at least one socket on this replica.
pub(crate) struct LocalFan {
    /// Sockets open for this fan here (tabs).
    pub sockets: usize,
    pub ticket: Option<TicketId>,
    /// Sequence number while queued.
    pub seq: Option<u64>,
    /// The last people-ahead reported; positions only ever fall from here.
    pub ahead: u64,
    pub admitted_until: Option<i64>,
    pub tx: watch::Sender<FanView>,
}

impl LocalFan {
    /// A fan whose view starts as `flags` (the event-wide flags, no phase yet).
    fn new(flags: FanView) -> Self {
        Self {
            sockets: 0,
            ticket: None,
            seq: None,
            ahead: u64::MAX,
            admitted_until: None,
            tx: watch::Sender::new(flags),
        }
    }

    /// Pre-queued or queued: the store keeps a place for this fan.
    pub fn waiting(&self) -> bool {
        matches!(
            self.tx.borrow().phase,
            FanPhase::Prequeue { .. } | FanPhase::Queued { .. }
        )
    }

    /// Pre-queued in line `slot` (0: the public one).
    pub fn prequeued_in(&self, slot: u8) -> bool {
        matches!(self.tx.borrow().phase, FanPhase::Prequeue { slot: s, .. } if s == slot)
    }

    pub fn set_phase(&self, phase: FanPhase) {
        self.tx.send_modify(|v| v.phase = phase);
    }

    /// Lowers the reported people-ahead to `ahead` if that is fewer; returns the
    /// (never rising) value to report.
    pub fn lower_ahead(&mut self, ahead: u64) -> u64 {
        self.ahead = self.ahead.min(ahead);
        self.ahead
    }
}

/// The local fans, by account and by sequence number.
#[derive(Default)]
pub(crate) struct Fans {
    by_user: HashMap<UserId, LocalFan>,
    by_seq: HashMap<u64, UserId>,
}

impl Fans {
    pub fn len(&self) -> usize {
        self.by_user.len()
    }

    pub fn get(&self, user: &UserId) -> Option<&LocalFan> {
        self.by_user.get(user)
    }

    pub fn get_mut(&mut self, user: &UserId) -> Option<&mut LocalFan> {
        self.by_user.get_mut(user)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&UserId, &LocalFan)> {
        self.by_user.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut LocalFan> {
        self.by_user.values_mut()
    }

    /// Adds a socket for `user` (a new fan's view starts with the event's flags);
    /// the receiver for that socket, and whether it is the fan's only one.
    pub fn attach(&mut self, user: UserId, flags: FanView) -> (watch::Receiver<FanView>, bool) {
        let fan = self
            .by_user
            .entry(user)
            .or_insert_with(|| LocalFan::new(flags));
        fan.sockets += 1;
        (fan.tx.subscribe(), fan.sockets == 1)
    }

    /// Removes a socket of `user`. When it was the fan's last, the fan is forgotten
    /// here and the answer is whether it was still waiting (its grace period starts);
    /// `None` while other sockets remain.
    pub fn detach(&mut self, user: UserId) -> Option<bool> {
        let fan = self.by_user.get_mut(&user)?;
        fan.sockets -= 1;
        if fan.sockets > 0 {
            return None;
        }
        let fan = self.by_user.remove(&user)?;
        if let Some(seq) = fan.seq {
            self.by_seq.remove(&seq);
        }
        Some(fan.waiting())
    }

    /// Records that `user` is queued with sequence number `seq`.
    pub fn set_seq(&mut self, user: UserId, seq: u64) {
        if let Some(fan) = self.by_user.get_mut(&user) {
            if let Some(old) = fan.seq.replace(seq) {
                self.by_seq.remove(&old);
            }
            self.by_seq.insert(seq, user);
        }
    }

    /// Forgets the sequence number of `user` (no longer queued).
    pub fn clear_seq(&mut self, user: UserId) {
        if let Some(seq) = self.by_user.get_mut(&user).and_then(|f| f.seq.take()) {
            self.by_seq.remove(&seq);
        }
    }

    /// The fan queued here with `seq`, taken out of the queue index.
    pub fn take_seq(&mut self, seq: u64) -> Option<(UserId, &mut LocalFan)> {
        let user = self.by_seq.remove(&seq)?;
        let fan = self.by_user.get_mut(&user)?;
        fan.seq = None;
        Some((user, fan))
    }

    /// Local fans in line `slot`'s pre-queue.
    pub fn prequeued(&self, slot: u8) -> impl Iterator<Item = UserId> + '_ {
        self.by_user
            .iter()
            .filter(move |(_, f)| f.prequeued_in(slot))
            .map(|(u, _)| *u)
    }
}
