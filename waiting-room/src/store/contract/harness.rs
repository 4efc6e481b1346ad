//! The contract suites' harness: a store under test on a clock the test moves (or
//! Redis on its own), the test services' URLs, and helpers shared by the tests.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{now_ms, ManualClock};
use crate::store::memory::MemoryStore;
use crate::store::{Lease, PresenceUpdate, QueueStore, ReplicaId, TicketState, TicketStatus};
use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

/// A store under test and the way its time moves. Generic over the port: the seat
/// contract suite (`seats/contract.rs`) uses `Harness<dyn SeatStore>`.
pub(crate) struct Harness<S: ?Sized = dyn QueueStore> {
    pub store: Arc<S>,
    clock: Option<ManualClock>,
    /// Redis' URL and key prefix, for another replica's store on the same data.
    redis: Option<(String, String)>,
}

/// The opening draw's lease the Redis harness' stores hold past each call: a test
/// waits this long for another replica to take an interrupted draw over.
pub(crate) const TEST_DRAW_LEASE_MS: u64 = 300;

/// The test Redis' URL, or `None` when none is configured. With
/// `FLOODGATE_TEST_REQUIRE_SERVICES=1` (set by scripts/test.sh) a missing Redis is a
/// failure, not a skip.
pub(crate) fn test_redis_url() -> Option<String> {
    test_url("FLOODGATE_TEST_REDIS_URL")
}

/// The test Redis Cluster's URL (`redis+cluster://…`, scripts/lib/services.sh), under
/// the same rule as [`test_redis_url`].
pub(crate) fn test_redis_cluster_url() -> Option<String> {
    test_url("FLOODGATE_TEST_REDIS_CLUSTER_URL")
}

fn test_url(var: &str) -> Option<String> {
    let Ok(url) = std::env::var(var) else {
        assert!(
            std::env::var("FLOODGATE_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "{var} is required"
        );
        eprintln!("skipping: {var} not set");
        return None;
    };
    Some(url)
}

/// A key prefix of its own for one Redis test.
pub(crate) fn test_prefix() -> String {
    format!("test-{}", TicketId::new())
}

impl<S: ?Sized> Harness<S> {
    /// A store on a manual clock (the in-memory adapters): `make` builds it on it.
    pub fn manual(make: impl FnOnce(Arc<ManualClock>) -> Arc<S>) -> Self {
        let clock = ManualClock::new(now_ms());
        Self {
            store: make(Arc::new(clock.clone())),
            clock: Some(clock),
            redis: None,
        }
    }

    /// A store on its own clock (Redis): [`Self::advance`] sleeps.
    pub fn real_time(store: Arc<S>) -> Self {
        Self {
            store,
            clock: None,
            redis: None,
        }
    }

    /// Whether [`Self::advance`] moves a manual clock (else it sleeps for real).
    pub fn manual_clock(&self) -> bool {
        self.clock.is_some()
    }

    pub async fn advance(&self, ms: i64) {
        match &self.clock {
            Some(c) => c.advance(ms),
            None => tokio::time::sleep(Duration::from_millis(ms as u64)).await,
        }
    }
}

impl Harness {
    pub fn memory() -> Self {
        Self::manual(|clock| Arc::new(MemoryStore::new(clock)))
    }

    /// The Redis harness, or `None` when no test Redis is configured.
    pub async fn redis() -> Option<Self> {
        Self::redis_at(test_redis_url()?).await
    }

    /// The Redis Cluster harness, or `None` when no test cluster is configured.
    pub async fn redis_cluster() -> Option<Self> {
        Self::redis_at(test_redis_cluster_url()?).await
    }

    async fn redis_at(url: String) -> Option<Self> {
        let prefix = test_prefix();
        let mut h = Self::real_time(Self::redis_store(&url, &prefix).await);
        h.redis = Some((url, prefix));
        Some(h)
    }

    async fn redis_store(url: &str, prefix: &str) -> Arc<dyn QueueStore> {
        let store = crate::store::redis::RedisStore::connect(url, prefix)
            .await
            .expect("connect to test redis")
            .with_draw_lease_ms(TEST_DRAW_LEASE_MS);
        Arc::new(store)
    }

    /// Another replica's store on the same data (Redis: a new connection, with its own
    /// draw token and no draw computed; memory, one process: the same store).
    pub async fn other_replica(&self) -> Arc<dyn QueueStore> {
        match &self.redis {
            Some((url, prefix)) => Self::redis_store(url, prefix).await,
            None => self.store.clone(),
        }
    }

    /// A configured event, opened `open_offset_ms` from now (negative: already due).
    pub async fn event(&self, open_offset_ms: i64, admission: AdmissionSettings) -> EventId {
        self.event_with_grace(open_offset_ms, admission, 60_000)
            .await
    }

    pub async fn event_with_grace(
        &self,
        open_offset_ms: i64,
        admission: AdmissionSettings,
        grace_ms: u64,
    ) -> EventId {
        let event = EventId::new();
        let now = self.store.now_ms().await.unwrap();
        let config = QueueConfig {
            presales: Vec::new(),
            starts_at_ms: now + open_offset_ms,
            grace_ms,
            admission,
        };
        self.store.configure(event, &config, false).await.unwrap();
        event
    }

    pub async fn open_event(&self, admission: AdmissionSettings) -> EventId {
        self.open_event_with_grace(admission, 60_000).await
    }

    pub async fn open_event_with_grace(&self, admission: AdmissionSettings, grace: u64) -> EventId {
        let event = self.event_with_grace(-1_000, admission, grace).await;
        assert!(self
            .store
            .open(event, &crate::shuffle::ShuffleSeed::from_bytes([7; 32]))
            .await
            .unwrap());
        event
    }
}

impl Harness {
    /// `replica`'s presence write: covers `cover`, uncovers `uncover`, and renews its
    /// lease for `lease_ms`.
    pub async fn presence(
        &self,
        event: EventId,
        replica: &ReplicaId,
        cover: &[UserId],
        uncover: &[UserId],
        lease_ms: u64,
    ) -> Lease {
        let update = PresenceUpdate {
            replica,
            cover,
            uncover,
            lease_ms,
        };
        self.store.presence(event, &update).await.unwrap()
    }

    /// The state of `user`'s ticket.
    pub async fn state(&self, event: EventId, user: UserId) -> TicketState {
        self.store.status(event, user).await.unwrap().unwrap().state
    }
}

pub(crate) fn settings(rate_per_minute: u32, max_active: u32) -> AdmissionSettings {
    AdmissionSettings {
        rate_per_minute,
        max_active,
        session_ttl_secs: 600,
        paused: false,
        mode: Default::default(),
        message: None,
        safety_net: None,
    }
}

pub(crate) fn seq_of(state: &TicketState) -> u64 {
    match state {
        TicketState::Queued { seq, .. } | TicketState::Admitted { seq, .. } => *seq,
        other => panic!("no sequence number in {other:?}"),
    }
}

pub(super) async fn join(h: &Harness, event: EventId, user: UserId) -> TicketStatus {
    h.store
        .join(event, user, &TicketId::new(), None)
        .await
        .unwrap()
}
