//! The Redis keys of the simulated event, for the reads the store has no call for
//! (the line's members with their sequence numbers, the newest log entry, each key's
//! memory) and for the loss a restart without persistence causes. The names follow
//! `waiting-room/src/store/redis/keys.rs`; [`EventKeys::check`] fails the run if they
//! drift apart.

use redis::aio::ConnectionLike;
use waiting_room::EventId;

/// The suffixes of an event's keys, as the store names them.
pub const SUFFIXES: [&str; 15] = [
    "cfg",
    "st",
    "q",
    "pre",
    "tk",
    "act",
    "pres",
    "bkt",
    "rec",
    "log",
    "held",
    "drj",
    "dro",
    "view",
    "view-lock",
];

/// The keys of one event under one prefix.
pub struct EventKeys {
    tag: String,
}

impl EventKeys {
    pub fn new(prefix: &str, event: EventId) -> Self {
        Self {
            tag: format!("{{{prefix}:ev:{event}}}"),
        }
    }

    /// The key with this suffix (one of [`SUFFIXES`]).
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.tag)
    }

    /// Fails unless the key `suffix` exists: the store was just seen writing it.
    pub async fn check<C: ConnectionLike>(&self, conn: &mut C, suffix: &str) -> anyhow::Result<()> {
        let key = self.key(suffix);
        let exists: bool = redis::cmd("EXISTS").arg(&key).query_async(conn).await?;
        anyhow::ensure!(
            exists,
            "{key} is missing: the store's key names changed (waiting-room/src/store/redis/keys.rs)"
        );
        Ok(())
    }

    /// Deletes every key of the event and forgets the store's scripts: what the event
    /// loses when its Redis restarts without persistence. UNLINK, then a wait until
    /// Redis has freed them in the background: a DEL of a ten-million-fan line blocks
    /// Redis for about 30 s, which a restart does not.
    pub async fn lose<C: ConnectionLike>(&self, conn: &mut C) -> redis::RedisResult<()> {
        let mut del = redis::cmd("UNLINK");
        for suffix in SUFFIXES {
            del.arg(self.key(suffix));
        }
        del.query_async::<i64>(conn).await?;
        for _ in 0..1_200 {
            let info: String = redis::cmd("INFO").arg("memory").query_async(conn).await?;
            let pending = info
                .lines()
                .find_map(|l| l.trim_end().strip_prefix("lazyfree_pending_objects:"))
                .unwrap_or("0");
            if pending == "0" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query_async::<()>(conn)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_share_the_events_hash_tag() {
        let event = EventId::new();
        let keys = EventKeys::new("linesim", event);
        assert_eq!(keys.key("q"), format!("{{linesim:ev:{event}}}:q"));
    }
}
