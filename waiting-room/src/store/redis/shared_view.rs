//! One reload shared by every replica (issue 19, docs/SCALE.md). A reload reads the
//! whole line in pages ([`read_queue`]): ~1.4 µs of Redis CPU per waiting fan, ~14 s at
//! 10 M, and after a Redis restart every replica reloads at once, so 100 replicas kept
//! the event's one master busy for ~23 minutes. Now the first replica to reload takes
//! a lock (`SET NX PX`), reads the pages and publishes what it read as one value: the
//! waiting sequence numbers as a compressed bitmap (`roaring`), with the log cursor
//! they are exact at. Every other replica reads that value in one `GET` (~1.2 MB at
//! 10 M) and replays the change log from its cursor ([`replay`]), which makes it exact
//! at the log's end whatever happened since.
//!
//! A view is used only while the log still holds every entry after its cursor (a
//! replay that finds the log trimmed past it, or restarted, ignores it); it expires
//! after [`VIEW_TTL_MS`] and goes with a closed sale's line. A replica that finds the
//! lock taken and no view waits for one, polling, for at most its share wait, then
//! reads the pages itself: a lock holder that died costs the others that wait, not
//! their reload. The lock is deleted when its holder is done (also after a failed
//! read); a holder slower than the lock's lifetime may let a second replica read the
//! pages too, which costs Redis time, never correctness.

use std::time::Duration;

use redis::Value;
use roaring::RoaringTreemap;

use super::keys::EventKeys;
use super::RedisStore;
use crate::store::paged::replay;
use crate::store::{read_queue, Cursor, QueueSnapshot, StoreError};
use crate::EventId;

/// How long a published view stays: long enough for every replica to reload from it
/// after a restart, short enough that a forgotten one frees its memory.
pub const VIEW_TTL_MS: u64 = 60_000;
/// How long the replica reading the pages holds the lock at most (a 10 M line reads in
/// ~14 s of Redis time); the others wait as long by default ([`super::SHARE_WAIT`]).
const LOCK_TTL_MS: u64 = 60_000;
/// How often a waiting replica looks for the view.
const POLL: Duration = Duration::from_millis(200);
/// The format of a published view (its first byte).
const VERSION: u8 = 1;

impl RedisStore {
    /// The event's waiting queue as of the log's end, from a view another replica
    /// published if there is a usable one, otherwise read in pages and published.
    pub(super) async fn shared_snapshot(
        &self,
        event: EventId,
    ) -> Result<QueueSnapshot, StoreError> {
        let k = self.keys(event);
        let deadline = tokio::time::Instant::now() + self.share_wait;
        loop {
            if let Some(view) = self.published(&k).await? {
                if let Some(snap) = replay(self, event, view).await? {
                    return Ok(snap);
                }
            }
            if self.lock(&k).await? {
                let read = read_queue(self, event, self.snapshot_page).await;
                if let Ok(snap) = &read {
                    if let Err(error) = self.publish(&k, snap).await {
                        tracing::warn!(%event, %error, "could not share a reload's view");
                    }
                }
                self.unlock(&k).await;
                return read;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(%event, "no shared view came in time; reading the line myself");
                return read_queue(self, event, self.snapshot_page).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn published(&self, k: &EventKeys) -> Result<Option<QueueSnapshot>, StoreError> {
        let get = redis::cmd("GET").arg(&k.view).to_owned();
        let reply: Value = self
            .conn
            .bounded(get.query_async(&mut self.conn.clone()))
            .await?;
        match reply {
            Value::BulkString(bytes) => Ok(decode(&bytes)),
            _ => Ok(None),
        }
    }

    async fn lock(&self, k: &EventKeys) -> Result<bool, StoreError> {
        let mut set = redis::cmd("SET");
        set.arg(&k.view_lock)
            .arg(format!("{:016x}", rand::random::<u64>()))
            .arg("NX")
            .arg("PX")
            .arg(LOCK_TTL_MS);
        let reply: Value = self
            .conn
            .bounded(set.query_async(&mut self.conn.clone()))
            .await?;
        Ok(!matches!(reply, Value::Nil))
    }

    async fn unlock(&self, k: &EventKeys) {
        let del = redis::cmd("DEL").arg(&k.view_lock).to_owned();
        let done: Result<i64, _> = self
            .conn
            .bounded(del.query_async(&mut self.conn.clone()))
            .await;
        if let Err(error) = done {
            tracing::debug!(%error, "the reload lock stays until it expires");
        }
    }

    /// Publishes `snap` as the event's shared view, for [`VIEW_TTL_MS`].
    pub(super) async fn publish(
        &self,
        k: &EventKeys,
        snap: &QueueSnapshot,
    ) -> Result<(), StoreError> {
        let mut set = redis::cmd("SET");
        set.arg(&k.view)
            .arg(encode(snap)?)
            .arg("PX")
            .arg(VIEW_TTL_MS);
        self.conn
            .bounded(set.query_async::<Value>(&mut self.conn.clone()))
            .await
            .map(drop)
    }
}

/// `[version][opened][cursor length: u16 LE][cursor][bitmap]`.
fn encode(snap: &QueueSnapshot) -> Result<Vec<u8>, StoreError> {
    let seqs = RoaringTreemap::from_sorted_iter(snap.seqs.iter().copied())
        .map_err(|e| StoreError::Backend(format!("a reload's seqs out of order: {e}").into()))?;
    let cursor = snap.cursor.0.as_bytes();
    let len = u16::try_from(cursor.len())
        .map_err(|_| StoreError::Backend("a log cursor over 64 KiB".into()))?;
    let mut out = Vec::with_capacity(4 + cursor.len() + seqs.serialized_size());
    out.push(VERSION);
    out.push(u8::from(snap.opened));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(cursor);
    seqs.serialize_into(&mut out)
        .map_err(|e| StoreError::Backend(e.to_string().into()))?;
    Ok(out)
}

/// The view in `bytes`; `None` for anything this version did not write (it is read
/// as no view at all, so a replica of another version reads the pages).
fn decode(bytes: &[u8]) -> Option<QueueSnapshot> {
    let (&version, rest) = bytes.split_first()?;
    let (&opened, rest) = rest.split_first()?;
    if version != VERSION || opened > 1 || rest.len() < 2 {
        return None;
    }
    let (len, rest) = rest.split_at(2);
    let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
    if rest.len() < len {
        return None;
    }
    let (cursor, bitmap) = rest.split_at(len);
    let cursor = std::str::from_utf8(cursor).ok()?.to_owned();
    let seqs = RoaringTreemap::deserialize_from(bitmap).ok()?;
    Some(QueueSnapshot {
        cursor: Cursor(cursor),
        opened: opened == 1,
        seqs: seqs.iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use redis::AsyncCommands;

    use super::super::tests::{connect, open_event};
    use super::*;
    use crate::store::QueueStore;
    use crate::{TicketId, UserId};

    async fn line(store: &RedisStore, fans: usize) -> EventId {
        let event = open_event(store).await;
        for _ in 0..fans {
            store
                .join(event, UserId::new(), &TicketId::new(), None)
                .await
                .unwrap();
        }
        event
    }

    /// Another replica's store: the same Redis and prefix.
    async fn replica(store: &RedisStore) -> RedisStore {
        let url = crate::store::contract::test_redis_url().unwrap();
        RedisStore::connect(&url, store.prefix()).await.unwrap()
    }

    /// Takes seq 4 out of the queue behind the log's back: a reload that reads the
    /// pages no longer sees it, one that reads a view published before still does.
    async fn probe(client: &redis::Client, k: &EventKeys) {
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: i64 = conn.zrembyscore(&k.q, 4, 4).await.unwrap();
    }

    /// The first replica's reload reads the pages and publishes its view; a second
    /// replica's reload takes that view and replays the log after it (a join since),
    /// without reading the pages.
    #[tokio::test]
    async fn a_second_replica_reloads_from_the_first_ones_view() {
        let Some((first, client)) = connect().await else {
            return;
        };
        let first = first.with_snapshot_page(3);
        let event = line(&first, 10).await;
        let k = first.keys(event);
        let read = first.snapshot(event).await.unwrap();
        assert_eq!(read.seqs, (1..=10).collect::<Vec<_>>());
        probe(&client, &k).await;
        first
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();

        let second = replica(&first).await;
        let shared = second.snapshot(event).await.unwrap();
        assert_eq!(shared.seqs, (1..=11).collect::<Vec<_>>(), "from the view");
        let after = second.changes(event, &shared.cursor, 10).await.unwrap();
        assert!(!after.lagged && after.changes.is_empty(), "{after:?}");

        // Without the view the pages answer (and seq 4 is gone from them).
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: i64 = conn.del(&k.view).await.unwrap();
        let paged = second.snapshot(event).await.unwrap();
        assert_eq!(paged.seqs.len(), 10);
        assert!(!paged.seqs.contains(&4));
    }

    /// A view whose cursor the log does not cover (trimmed past it, or a log that
    /// restarted) is not used: the reload reads the pages.
    #[tokio::test]
    async fn a_view_the_log_does_not_cover_is_not_used() {
        let Some((store, _)) = connect().await else {
            return;
        };
        let event = line(&store, 5).await;
        let k = store.keys(event);
        let stale = QueueSnapshot {
            cursor: Cursor("0-999999".into()),
            opened: true,
            seqs: vec![1, 2, 999],
        };
        store.publish(&k, &stale).await.unwrap();
        let snap = store.snapshot(event).await.unwrap();
        assert_eq!(snap.seqs, (1..=5).collect::<Vec<_>>());
    }

    /// While another replica holds the lock, a reload waits for its view and takes
    /// it; when none comes within its wait, it reads the pages itself.
    #[tokio::test]
    async fn a_reload_waits_for_the_view_being_read_then_reads_itself() {
        let Some((store, client)) = connect().await else {
            return;
        };
        let event = line(&store, 6).await;
        let k = store.keys(event);
        let exact = read_queue(&store, event, 100).await.unwrap();
        probe(&client, &k).await;
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: () = conn.pset_ex(&k.view_lock, "another", 60_000).await.unwrap();

        let waiter = replica(&store)
            .await
            .with_share_wait(Duration::from_secs(30));
        let reload = tokio::spawn(async move { waiter.snapshot(event).await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!reload.is_finished(), "it waits while the lock is held");
        store.publish(&k, &exact).await.unwrap();
        let snap = reload.await.unwrap().unwrap();
        assert_eq!(snap.seqs, (1..=6).collect::<Vec<_>>(), "the published view");

        // No view comes: after its wait it reads the pages (seq 4 is gone from them),
        // and leaves the other replica's lock alone.
        let _: i64 = conn.del(&k.view).await.unwrap();
        let impatient = store.with_share_wait(Duration::from_millis(300));
        let snap = impatient.snapshot(event).await.unwrap();
        assert_eq!(snap.seqs, vec![1, 2, 3, 5, 6]);
        let holder: Option<String> = conn.get(&k.view_lock).await.unwrap();
        assert_eq!(holder.as_deref(), Some("another"));
    }

    #[test]
    fn a_view_round_trips_and_anything_else_is_no_view() {
        let snap = QueueSnapshot {
            cursor: Cursor("0-1234".into()),
            opened: true,
            seqs: (1..=50_000).chain([70_000, 9_000_000_000]).collect(),
        };
        let bytes = encode(&snap).unwrap();
        assert_eq!(decode(&bytes), Some(snap.clone()));
        // A line of consecutive numbers packs small (a bitmap, not 8 bytes a fan).
        assert!(bytes.len() < 20_000, "{}", bytes.len());
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&bytes[..3]), None);
        let mut other = bytes.clone();
        other[0] = 2;
        assert_eq!(decode(&other), None);
        let mut bad = bytes.clone();
        bad.truncate(bytes.len() - 1);
        assert_eq!(decode(&bad), None);
        let empty = QueueSnapshot::default();
        assert_eq!(decode(&encode(&empty).unwrap()), Some(empty));
    }
}
