//! Key naming. Every key of one event carries the hash tag `{<prefix>:ev:<event>}`, so
//! an event lives on one Redis Cluster slot and its scripts are cluster-safe.

use crate::store::ReplicaId;
use crate::EventId;

/// The keys of one event.
pub(super) struct EventKeys {
    /// Hash: the configuration (starts_at, grace, rate, max_active, ttl, paused).
    pub cfg: String,
    /// Hash: counters (seq = last sequence number, arrival, admitted, opened).
    pub st: String,
    /// Zset user → sequence number: the waiting queue.
    pub q: String,
    /// Zset user → arrival number: the pre-queue.
    pub pre: String,
    /// Hash user → ticket record (JSON, see lua/lib.lua).
    pub tk: String,
    /// Zset user → session deadline: running shopping sessions.
    pub act: String,
    /// Zset user → presence deadline: waiting and pre-queued fans.
    pub pres: String,
    /// Hash: the token bucket (tokens, at).
    pub bkt: String,
    /// Zset "<first seq>:<count>" → time: admission steps, for admitted_last_minute.
    pub rec: String,
    /// Hash second → joins (new places) in it: the safety net's arrivals, the last
    /// minute's only (older seconds trimmed by the join; the key expires when idle).
    pub arr: String,
    /// Stream: the change log.
    pub log: String,
    /// Hash address → places it holds (see `PlaceCap`).
    pub held: String,
    /// Zset user → arrival number: the pre-queue frozen by the opening while its
    /// draw runs (lua/open.lua).
    pub prf: String,
    /// Hash user → ticket id: frozen tickets that left during the draw (lua/lib.lua).
    pub drt: String,
    /// List: the opening's draw record, pseudonyms in join order.
    pub drj: String,
    /// List: the opening's draw record, pseudonyms in draw order.
    pub dro: String,
    /// Zset replica → lease deadline (presence per replica, lua/presence.lua).
    pub leases: String,
    /// The start of each replica's set of the fans it covers (`<rep><replica>`, see
    /// [`Self::replica`]).
    pub rep: String,
    /// String: a reload's view shared with the other replicas (redis/shared_view.rs).
    pub view: String,
    /// String: held by the replica reading the pages for that view.
    pub view_lock: String,
    /// The start of the spent proof-of-work challenge keys (`<pow>:<id>`, see
    /// [`Self::pow_spent`]).
    pub pow: String,
    /// Presale groups' lines (issue 20; docs/ARCHITECTURE.md "Presales"), slots 1..=8
    /// at index slot - 1, fixed so a script can be passed all of them: zsets user →
    /// arrival number (`pre<slot>`, each group's pre-queue) and the lists of each
    /// group's draw record (`drj<slot>`, `dro<slot>`, as `drj`/`dro`).
    pub pre_groups: [String; 8],
    pub drj_groups: [String; 8],
    pub dro_groups: [String; 8],
}

impl EventKeys {
    pub fn new(prefix: &str, event: EventId) -> Self {
        let tag = event_tag(prefix, event);
        let key = |suffix: &str| format!("{tag}:{suffix}");
        Self {
            cfg: key("cfg"),
            st: key("st"),
            q: key("q"),
            pre: key("pre"),
            tk: key("tk"),
            act: key("act"),
            pres: key("pres"),
            bkt: key("bkt"),
            rec: key("rec"),
            arr: key("arr"),
            log: key("log"),
            held: key("held"),
            prf: key("prf"),
            drt: key("drt"),
            drj: key("drj"),
            dro: key("dro"),
            pow: key("pow"),
            leases: key("leases"),
            view: key("view"),
            view_lock: key("view-lock"),
            rep: key("rep:"),
            pre_groups: std::array::from_fn(|i| key(&format!("pre{}", i + 1))),
            drj_groups: std::array::from_fn(|i| key(&format!("drj{}", i + 1))),
            dro_groups: std::array::from_fn(|i| key(&format!("dro{}", i + 1))),
        }
    }

    /// Line `slot`'s draw record, join order and draw order (0: `drj`, `dro`).
    pub fn draw_of(&self, slot: u8) -> (&str, &str) {
        match slot {
            0 => (&self.drj, &self.dro),
            s => (
                &self.drj_groups[usize::from(s - 1)],
                &self.dro_groups[usize::from(s - 1)],
            ),
        }
    }

    /// The key marking the challenge `id` spent (a string with a TTL).
    pub fn pow_spent(&self, id: &str) -> String {
        format!("{}:{id}", self.pow)
    }

    /// The set of the fans `replica` covers.
    pub fn replica(&self, replica: &ReplicaId) -> String {
        format!("{}{replica}", self.rep)
    }

    #[cfg(test)]
    pub(super) fn all(&self) -> Vec<&str> {
        let groups = self
            .pre_groups
            .iter()
            .chain(&self.drj_groups)
            .chain(&self.dro_groups)
            .map(String::as_str);
        let fixed = [
            &self.cfg,
            &self.st,
            &self.q,
            &self.pre,
            &self.tk,
            &self.act,
            &self.pres,
            &self.bkt,
            &self.rec,
            &self.arr,
            &self.log,
            &self.held,
            &self.drj,
            &self.dro,
            &self.leases,
            &self.prf,
            &self.drt,
            &self.view,
            &self.view_lock,
        ];
        fixed
            .into_iter()
            .map(|k| k.as_str())
            .chain(groups)
            .collect()
    }
}

/// The hash tag `{<prefix>:ev:<event>}` every key of the event starts with (the seat
/// store's keys too).
pub(crate) fn event_tag(prefix: &str, event: EventId) -> String {
    format!("{{{prefix}:ev:{event}}}")
}

/// Whether `prefix` can sit inside a hash tag (no braces).
pub(super) fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty() && !prefix.contains(['{', '}'])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redis Cluster hashes only what is between the first `{` and the next `}`.
    fn hash_tag(key: &str) -> &str {
        let open = key.find('{').expect("a hash tag");
        let close = open + key[open..].find('}').expect("a closed hash tag");
        &key[open + 1..close]
    }

    #[test]
    fn every_key_of_an_event_shares_one_hash_tag() {
        let event = EventId::new();
        let keys = EventKeys::new("fg", event);
        let expected = format!("fg:ev:{event}");
        let all = keys.all();
        assert_eq!(all.len(), 19 + 24);
        for key in &all {
            assert_eq!(hash_tag(key), expected, "{key}");
        }
        let rep = keys.replica(&ReplicaId::random());
        assert_eq!(hash_tag(&rep), expected, "{rep}");
        let mut distinct = all.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len(), "keys are distinct");
        assert_eq!(keys.q, format!("{{fg:ev:{event}}}:q"));
        let other = EventKeys::new("fg", EventId::new());
        assert_ne!(hash_tag(&other.q), expected);
    }

    #[test]
    fn prefixes_with_braces_are_rejected() {
        assert!(valid_prefix("fg"));
        assert!(valid_prefix("test-1:a"));
        assert!(!valid_prefix(""));
        assert!(!valid_prefix("f{g"));
        assert!(!valid_prefix("fg}"));
    }
}
