//! The replicas' presence leases of one event in the embedded store, and the fans
//! each covers (the rules are in `presence.rs`).

use std::collections::{HashMap, HashSet};

use crate::store::ReplicaId;
use crate::UserId;

/// The replicas' leases and the fans each covers, for one event.
#[derive(Default)]
pub(super) struct Leases {
    /// Replica → lease deadline.
    pub(super) until: HashMap<ReplicaId, i64>,
    /// Replica → the fans it covers.
    pub(super) covers: HashMap<ReplicaId, HashSet<UserId>>,
}

impl Leases {
    /// Whether a replica other than `except` covers `user` (a lease that ran out but
    /// is not expired yet still counts: its expiry gives the fan its deadline).
    pub(super) fn covered(&self, user: &UserId, except: Option<&ReplicaId>) -> bool {
        self.covers
            .iter()
            .any(|(r, fans)| Some(r) != except && fans.contains(user))
    }
}
