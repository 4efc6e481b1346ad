//! The seat keys of one event, under the queue's hash tag.

use crate::store::redis::event_tag;
use crate::EventId;

/// The seat keys of one event, in the order every seat script takes them.
pub(super) struct SeatKeys {
    pub meta: String,
    pub states: String,
    pub owner: String,
    pub holds: String,
    pub deadlines: String,
    pub jti: String,
    pub log: String,
}

impl SeatKeys {
    pub fn new(prefix: &str, event: EventId) -> Self {
        let tag = event_tag(prefix, event);
        let key = |suffix: &str| format!("{tag}:seat:{suffix}");
        Self {
            meta: key("meta"),
            states: key("states"),
            owner: key("owner"),
            holds: key("holds"),
            deadlines: key("deadlines"),
            jti: key("jti"),
            log: key("log"),
        }
    }

    pub fn all(&self) -> [&str; 7] {
        [
            &self.meta,
            &self.states,
            &self.owner,
            &self.holds,
            &self.deadlines,
            &self.jti,
            &self.log,
        ]
    }
}
