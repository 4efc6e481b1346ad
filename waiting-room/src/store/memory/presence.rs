//! Presence per replica in the embedded store (the same rules as the Redis store's
//! `lua/presence.lua` and the first part of `lua/admit.lua`): each replica's lease
//! and the fans it covers (`leases.rs`); fans no lease covers have a grace deadline of
//! their own.

use super::queue::{EventQueue, Place};
use crate::store::{Lease, PresenceUpdate, ReplicaId};
use crate::UserId;

impl EventQueue {
    fn waiting(&self, user: &UserId) -> bool {
        self.tickets
            .get(user)
            .is_some_and(|t| matches!(t.place, Place::Prequeue { .. } | Place::Queued(_)))
    }

    /// [`crate::store::QueueStore::presence`].
    pub(super) fn presence(&mut self, update: &PresenceUpdate<'_>, now: i64) -> Lease {
        let replica = update.replica;
        let held = self
            .leases
            .until
            .insert(replica.clone(), now + update.lease_ms.max(1) as i64)
            .is_some_and(|until| until >= now);
        let covers = self.leases.covers.entry(replica.clone()).or_default();
        covers.extend(update.cover.iter().copied());
        for user in update.uncover {
            covers.remove(user);
        }
        for user in update.cover {
            self.clear_presence(*user);
        }
        let deadline = now + self.config.grace_ms as i64;
        for user in update.uncover {
            if self.waiting(user) && !self.leases.covered(user, Some(replica)) {
                self.set_presence(*user, deadline);
            }
        }
        if held {
            Lease::Held
        } else {
            Lease::Lapsed
        }
    }

    /// Expires the leases that ran out before `now`, earliest first: each covered fan
    /// that is still waiting and that no other replica covers keeps its place until
    /// the lease's end + the grace period.
    pub(super) fn expire_leases(&mut self, now: i64) {
        let mut lapsed: Vec<(i64, ReplicaId)> = self
            .leases
            .until
            .iter()
            .filter(|(_, until)| **until < now)
            .map(|(r, until)| (*until, r.clone()))
            .collect();
        lapsed.sort_unstable();
        for (until, replica) in lapsed {
            self.leases.until.remove(&replica);
            let fans = self.leases.covers.remove(&replica).unwrap_or_default();
            let deadline = until + self.config.grace_ms as i64;
            for user in fans {
                if self.waiting(&user) && !self.leases.covered(&user, None) {
                    let later = self
                        .presence_of
                        .get(&user)
                        .map_or(deadline, |d| (*d).max(deadline));
                    self.set_presence(user, later);
                }
            }
        }
    }
}
