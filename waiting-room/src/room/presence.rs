//! Which local fans this replica's lease covers in the store (docs/ARCHITECTURE.md,
//! "Presence"), and the changes not written yet. Plain data inside the room's state:
//! a fan's first socket here marks it covered, its last socket closing uncovered, and
//! the room's loop writes the changes in one store call per tick
//! ([`super::Room::write_presence`]), in order, so a close is never overtaken by an
//! older open.

use std::collections::{HashMap, HashSet};

use crate::UserId;

/// One presence write: the fans to cover and to uncover.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PresenceBatch {
    pub cover: Vec<UserId>,
    pub uncover: Vec<UserId>,
    /// `cover` is every covered fan (the store may have lost them).
    pub whole: bool,
}

/// The covered fans and the changes the store has not seen.
pub(crate) struct Presence {
    covered: HashSet<UserId>,
    /// Fan → covered (true) or not, as last changed here and not yet written.
    changed: HashMap<UserId, bool>,
    /// The next write sends every covered fan (the first one, and after the store
    /// said our lease had lapsed or lost the event).
    whole: bool,
}

impl Default for Presence {
    fn default() -> Self {
        Self {
            covered: HashSet::new(),
            changed: HashMap::new(),
            whole: true,
        }
    }
}

impl Presence {
    /// `user` has a socket here and a place in line.
    pub fn cover(&mut self, user: UserId) {
        if self.covered.insert(user) {
            self.changed.insert(user, true);
        }
    }

    /// `user`'s last socket here closed.
    pub fn uncover(&mut self, user: UserId) {
        if self.covered.remove(&user) {
            self.changed.insert(user, false);
        }
    }

    /// Whether a write has something to say beyond renewing the lease.
    pub fn pending(&self) -> bool {
        !self.changed.is_empty() || (self.whole && !self.covered.is_empty())
    }

    /// The store must be sent every covered fan again.
    pub fn resend(&mut self) {
        self.whole = true;
    }

    /// Takes what to write now.
    pub fn take(&mut self) -> PresenceBatch {
        let changed = std::mem::take(&mut self.changed);
        let uncover = changed
            .iter()
            .filter(|(_, covered)| !**covered)
            .map(|(user, _)| *user)
            .collect();
        let whole = std::mem::take(&mut self.whole);
        let cover = if whole {
            self.covered.iter().copied().collect()
        } else {
            changed
                .into_iter()
                .filter(|(_, covered)| *covered)
                .map(|(user, _)| user)
                .collect()
        };
        PresenceBatch {
            cover,
            uncover,
            whole,
        }
    }

    /// A write failed: its changes are written with the next one (changes made
    /// since win).
    pub fn put_back(&mut self, batch: PresenceBatch) {
        self.whole |= batch.whole;
        for user in batch.cover {
            self.changed.entry(user).or_insert(true);
        }
        for user in batch.uncover {
            self.changed.entry(user).or_insert(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_written_once_and_the_latest_wins() {
        let mut p = Presence::default();
        let (a, b, c) = (UserId::new(), UserId::new(), UserId::new());
        assert!(!p.pending());
        p.cover(a);
        p.cover(b);
        let first = p.take();
        assert!(first.whole, "the first write sends everyone");
        assert_eq!(first.cover.len(), 2);
        assert!(!p.pending());
        p.uncover(a);
        p.cover(c);
        p.uncover(c); // opened and closed between two writes: nothing to cover
        p.uncover(UserId::new()); // never covered here
        let next = p.take();
        assert!(!next.whole);
        assert!(next.cover.is_empty());
        let mut uncover = next.uncover.clone();
        uncover.sort();
        let mut expected = vec![a, c];
        expected.sort();
        assert_eq!(uncover, expected);
    }

    #[test]
    fn a_failed_write_is_retried_and_a_resend_sends_everyone() {
        let mut p = Presence::default();
        let (a, b) = (UserId::new(), UserId::new());
        p.cover(a);
        let _ = p.take();
        p.cover(b);
        let batch = p.take();
        p.uncover(b); // after the failed write: the close wins
        p.put_back(batch);
        let retry = p.take();
        assert_eq!((retry.cover, retry.uncover), (vec![], vec![b]));
        p.resend();
        let all = p.take();
        assert!(all.whole);
        assert_eq!(all.cover, vec![a]);
    }
}
