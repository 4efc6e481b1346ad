//! Waiting for an event's change log (issue 19): `XREAD BLOCK` on the log stream after
//! a room's cursor, so a room reads the log when it changed instead of ten times a
//! second. A blocked `XREAD` holds its connection until it answers, so waits never
//! share the store's multiplexed connection: each takes a connection of its own from
//! a small pool (one per event a replica waits on at once) and puts it back after a
//! clean answer. Every replica blocked on the stream wakes on the same `XADD`, so
//! several replicas of one event all hear every change; on a Redis Cluster the stream
//! is on the event's slot and the cluster client routes `XREAD` by its key.

use std::sync::Mutex;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::Value;

use super::conn::{cluster_seeds, CALL_TIMEOUT, CONNECT_TIMEOUT, RESPONSE_TIMEOUT};
use super::decode::store_err;
use crate::store::{Cursor, StoreError, Wake};

/// The longest one wait blocks in Redis: below the cluster client's per-command
/// response timeout, which would otherwise fail a quiet wait.
pub(super) const MAX_BLOCK: Duration = Duration::from_millis(2_000);

/// Connections kept for waits (more waiting at once open more, then close them).
const POOL: usize = 64;

enum Client {
    Single(redis::Client),
    Cluster(ClusterClient),
}

enum Conn {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// The pool of connections for blocked reads.
pub(super) struct Waiters {
    client: Client,
    idle: Mutex<Vec<Conn>>,
}

impl Waiters {
    /// For `url` (the store's URL; connections are opened on first use).
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = match cluster_seeds(url)? {
            Some(seeds) => Client::Cluster(
                ClusterClientBuilder::new(seeds)
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(RESPONSE_TIMEOUT)
                    .retries(2)
                    .build()
                    .map_err(store_err)?,
            ),
            None => Client::Single(redis::Client::open(url).map_err(store_err)?),
        };
        Ok(Self {
            client,
            idle: Mutex::default(),
        })
    }

    /// `XREAD BLOCK` on `log` after `after` for up to `limit` (at most
    /// [`MAX_BLOCK`]).
    pub async fn wait(
        &self,
        log: &str,
        after: &Cursor,
        limit: Duration,
    ) -> Result<Wake, StoreError> {
        let id = if after.0.is_empty() { "0-0" } else { &after.0 };
        let block = limit.clamp(Duration::from_millis(1), MAX_BLOCK);
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(u64::try_from(block.as_millis()).unwrap_or(u64::MAX))
            .arg("STREAMS")
            .arg(log)
            .arg(id);
        let mut conn = self.take().await?;
        let call = async {
            match &mut conn {
                Conn::Single(c) => cmd.query_async::<Value>(c).await,
                Conn::Cluster(c) => cmd.query_async::<Value>(c).await,
            }
        };
        let reply = match tokio::time::timeout(block + CALL_TIMEOUT, call).await {
            Ok(reply) => reply.map_err(store_err)?,
            Err(_) => {
                return Err(StoreError::Unavailable(
                    "no answer from redis to a change-log wait".into(),
                ))
            }
        };
        self.put_back(conn);
        Ok(match reply {
            Value::Nil => Wake::Quiet,
            Value::Array(streams) if streams.is_empty() => Wake::Quiet,
            Value::Map(streams) if streams.is_empty() => Wake::Quiet,
            _ => Wake::Changed,
        })
    }

    async fn take(&self) -> Result<Conn, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(conn) = idle {
            return Ok(conn);
        }
        let open = async {
            match &self.client {
                Client::Single(c) => c.get_multiplexed_async_connection().await.map(Conn::Single),
                Client::Cluster(c) => c.get_async_connection().await.map(Conn::Cluster),
            }
        };
        match tokio::time::timeout(CALL_TIMEOUT, open).await {
            Ok(conn) => conn.map_err(store_err),
            Err(_) => Err(StoreError::Unavailable(
                "no connection to redis for a change-log wait".into(),
            )),
        }
    }

    fn put_back(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::clock::{Clock, SystemClock};
    use crate::intercept::{Intercepted, Interceptor, Op};
    use crate::room::{Cadence, Room, RoomInfo};
    use crate::store::contract::{test_prefix, test_redis_cluster_url, test_redis_url};
    use crate::store::redis::RedisStore;
    use crate::store::{QueueOp, QueueStore};
    use crate::token::SigningKeys;
    use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

    fn config(now_ms: i64, rate_per_minute: u32, max_active: u32) -> QueueConfig {
        QueueConfig {
            presales: Vec::new(),
            starts_at_ms: now_ms - 1_000,
            grace_ms: 60_000,
            admission: AdmissionSettings {
                rate_per_minute,
                max_active,
                session_ttl_secs: 600,
                paused: false,
                mode: Default::default(),
                message: None,
                safety_net: None,
            },
        }
    }

    /// The log's end, as a reader that read everything holds it.
    async fn end(store: &RedisStore, event: EventId) -> Cursor {
        store
            .changes(event, &Cursor::default(), 1_000)
            .await
            .unwrap()
            .cursor
    }

    async fn waits_on(url: &str) {
        let prefix = test_prefix();
        let (a, b, writer) = (
            RedisStore::connect(url, &prefix).await.unwrap(),
            RedisStore::connect(url, &prefix).await.unwrap(),
            RedisStore::connect(url, &prefix).await.unwrap(),
        );
        let event = EventId::new();
        let now = writer.now_ms().await.unwrap();
        writer
            .configure(event, &config(now, 60, 10), false)
            .await
            .unwrap();
        let seed = crate::shuffle::ShuffleSeed::from_bytes([2; 32]);
        assert!(writer.open(event, &seed).await.unwrap());
        let cursor = end(&a, event).await;
        // Nothing new: quiet after the limit.
        let quiet = a
            .wait_changes(event, &cursor, Duration::from_millis(200))
            .await;
        assert_eq!(quiet.unwrap(), Wake::Quiet);
        // Unread entries: at once, and from the start.
        assert_eq!(
            a.wait_changes(event, &Cursor::default(), MAX_BLOCK)
                .await
                .unwrap(),
            Wake::Changed
        );
        // Two replicas blocked on the log both wake on one append (well before their
        // limit: a quiet wait would answer Quiet).
        let wait = |store: RedisStore, cursor: Cursor| {
            tokio::spawn(async move { store.wait_changes(event, &cursor, MAX_BLOCK).await })
        };
        let (wa, wb) = (
            wait(a.clone(), cursor.clone()),
            wait(b.clone(), cursor.clone()),
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        writer
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
        assert_eq!(wa.await.unwrap().unwrap(), Wake::Changed);
        assert_eq!(wb.await.unwrap().unwrap(), Wake::Changed);
        // A cursor this store never hands out is refused.
        let bad = Cursor("nope".into());
        assert!(a.wait_changes(event, &bad, MAX_BLOCK).await.is_err());
    }

    #[tokio::test]
    async fn a_wait_wakes_every_replica_on_an_append_and_is_quiet_otherwise() {
        let Some(url) = test_redis_url() else {
            return;
        };
        waits_on(&url).await;
    }

    #[tokio::test]
    async fn a_wait_wakes_every_replica_on_a_cluster_too() {
        let Some(url) = test_redis_cluster_url() else {
            return;
        };
        waits_on(&url).await;
    }

    #[tokio::test]
    async fn an_admission_step_says_how_long_the_next_could_do_nothing() {
        let Some(url) = test_redis_url() else {
            return;
        };
        let store = RedisStore::connect(&url, &test_prefix()).await.unwrap();
        let seed = crate::shuffle::ShuffleSeed::from_bytes([3; 32]);
        let event = EventId::new();
        let now = store.now_ms().await.unwrap();
        store
            .configure(event, &config(now, 60, 1), false)
            .await
            .unwrap();
        store.open(event, &seed).await.unwrap();
        // Nobody waits: until the earliest deadline, and there is none.
        let empty = store.admit(event, None).await.unwrap();
        assert!(empty.idle_ms.is_some_and(|ms| ms >= 60_000), "{empty:?}");
        for _ in 0..3 {
            let user = UserId::new();
            store
                .join(event, user, &TicketId::new(), None)
                .await
                .unwrap();
        }
        // The bucket fills (one token at 60 a minute).
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        // One token (60 a minute): one admitted, the next token in at most a second;
        // and then the active cap (1) is full: a release is not logged, so no hint.
        let first = store.admit(event, None).await.unwrap();
        assert_eq!(first.admitted.len(), 1);
        assert_eq!(first.idle_ms, None, "{first:?}");
        let user = first.admitted[0].1;
        assert!(store.release(event, user).await.unwrap());
        let short = store.admit(event, None).await.unwrap();
        assert!(short.admitted.is_empty());
        assert!(short.idle_ms.is_some_and(|ms| ms <= 1_000), "{short:?}");
        // Seats hold the line back (sold out): no hint.
        let sold_out = store.admit(event, Some(0)).await.unwrap();
        assert_eq!(sold_out.idle_ms, None, "{sold_out:?}");
    }

    /// Counts change-log reads.
    #[derive(Default)]
    struct Reads(AtomicUsize);

    impl Interceptor for Reads {
        fn before(
            &self,
            op: Op,
            _: Option<EventId>,
        ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
            if op == Op::Queue(QueueOp::Changes) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            std::future::ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_quiet_room_reads_its_log_only_when_it_grew_and_every_replica_sees_each_change() {
        let Some(url) = test_redis_url() else {
            return;
        };
        let prefix = test_prefix();
        let writer = RedisStore::connect(&url, &prefix).await.unwrap();
        let event = EventId::new();
        let now = writer.now_ms().await.unwrap();
        // Paused: nobody is admitted, so the line only changes by the joins below.
        let mut config = config(now, 60, 10);
        config.admission.paused = true;
        writer.configure(event, &config, false).await.unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut rooms = Vec::new();
        let cancel = tokio_util::sync::CancellationToken::new();
        for _ in 0..2 {
            let inner = Arc::new(RedisStore::connect(&url, &prefix).await.unwrap());
            let store = Arc::new(Intercepted::new(inner, Reads::default()));
            let room = Arc::new(Room::new(
                RoomInfo {
                    event,
                    max_seats: 4,
                    shuffle_seed: None,
                },
                Some(config.clone()),
                Arc::clone(&store) as Arc<dyn QueueStore>,
                None,
                SigningKeys::generate().0,
                Arc::clone(&clock),
            ));
            tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));
            rooms.push((room, store));
        }
        let seen = |n: u64| {
            let rooms = &rooms;
            async move {
                for _ in 0..100 {
                    if rooms.iter().all(|(room, _)| room.waiting() == n) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                panic!("both rooms see {n} waiting");
            }
        };
        seen(0).await;
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let reads = |i: usize| rooms[i].1.interceptor().0.load(Ordering::SeqCst);
        let before: Vec<usize> = (0..2).map(reads).collect();
        // 1.5 s of a quiet line: a loop polling every 100 ms reads about 15 times.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        for (i, was) in before.iter().enumerate() {
            assert!(
                reads(i) - was <= 1,
                "room {i}: {} reads while quiet",
                reads(i) - was
            );
        }
        for n in 1..=3 {
            writer
                .join(event, UserId::new(), &TicketId::new(), None)
                .await
                .unwrap();
            seen(n).await;
        }
        cancel.cancel();
    }
}
