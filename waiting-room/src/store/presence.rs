//! Presence per replica (docs/ARCHITECTURE.md, "Presence"): a waiting fan with a
//! socket on a replica is *covered* by that replica's lease, which the replica renews
//! with one store call per event however many fans it holds; only a fan that is not
//! covered has a grace deadline of its own. Per-fan writes happen when a fan's first
//! socket opens on a replica, when its last one there closes, and when a replica's
//! lease runs out (its fans' grace then runs from the lease's end).

use std::fmt;

use crate::UserId;

/// A replica's identity in the store's presence bookkeeping: random per process
/// (a restarted replica is a new one; its old lease runs out).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplicaId(String);

impl ReplicaId {
    /// A fresh random id (16 hex digits).
    pub fn random() -> Self {
        Self(format!("{:016x}", rand::random::<u64>()))
    }

    /// An id from text: 1 to 64 characters of `[0-9A-Za-z_-]` (it is part of a key
    /// name), or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One replica's presence write for one event ([`super::QueueStore::presence`]),
/// which also renews the replica's lease.
#[derive(Clone, Copy, Debug)]
pub struct PresenceUpdate<'a> {
    pub replica: &'a ReplicaId,
    /// Fans with a socket on this replica now: covered by its lease (no deadline of
    /// their own while it lasts).
    pub cover: &'a [UserId],
    /// Fans whose last socket on this replica closed: a waiting one that no other
    /// replica covers keeps its place for one grace period from now.
    pub uncover: &'a [UserId],
    /// The lease runs until now + this many milliseconds (at least 1).
    pub lease_ms: u64,
}

/// Whether the replica's lease was live when a presence write arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lease {
    /// It was: the store holds what the replica covered.
    Held,
    /// It was not (the replica's first write, a lease that ran out, or a store that
    /// lost it): the store may have forgotten fans this replica covers, which must be
    /// sent again.
    Lapsed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_ids_are_key_safe() {
        let id = ReplicaId::random();
        assert_eq!(id.as_str().len(), 16);
        assert_eq!(ReplicaId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(ReplicaId::random(), id);
        assert!(ReplicaId::parse("pod-7_a").is_some());
        for bad in ["", "a}b", "a{b", "a:b", "a b", &"x".repeat(65)] {
            assert_eq!(ReplicaId::parse(bad), None, "{bad:?}");
        }
    }
}
