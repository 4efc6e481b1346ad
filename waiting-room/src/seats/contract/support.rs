//! What the seat contract tests share: the harness for each backend, requests and
//! the seat states' bytes.

pub(super) use std::collections::HashSet;
pub(super) use std::sync::Arc;

pub(super) use rand::rngs::StdRng;
pub(super) use rand::seq::index::sample;
pub(super) use rand::SeedableRng;

pub(super) use crate::seats::memory::MemorySeatStore;
pub(super) use crate::seats::redis::RedisSeatStore;
pub(super) use crate::seats::store::{
    ConfirmStart, Hold, HoldId, HoldOutcome, HoldRequest, SeatState, SeatStore,
};
pub(super) use crate::store::contract::{
    test_prefix, test_redis_cluster_url, test_redis_url, Harness,
};
pub(super) use crate::{EventId, UserId};

pub(super) type H = Harness<dyn SeatStore>;

impl Harness<dyn SeatStore> {
    pub fn memory_seats() -> Self {
        Self::manual(|clock| Arc::new(MemorySeatStore::new(clock)))
    }

    /// The Redis harness, or `None` when no test Redis is configured.
    pub async fn redis_seats() -> Option<Self> {
        Self::redis_seats_at(test_redis_url()?).await
    }

    /// The Redis Cluster harness, or `None` when no test cluster is configured.
    pub async fn redis_cluster_seats() -> Option<Self> {
        Self::redis_seats_at(test_redis_cluster_url()?).await
    }

    async fn redis_seats_at(url: String) -> Option<Self> {
        let store = RedisSeatStore::connect(&url, &test_prefix())
            .await
            .expect("connect to test redis");
        Some(Self::real_time(Arc::new(store)))
    }

    /// A new event with `capacity` free seats.
    pub(super) async fn seats(&self, capacity: u32) -> EventId {
        let event = EventId::new();
        assert!(self
            .store
            .init_seats(event, capacity, &[], &[])
            .await
            .unwrap());
        event
    }

    pub(super) async fn hold(&self, event: EventId, r: &HoldRequest) -> HoldOutcome {
        self.store.hold(event, r).await.unwrap()
    }

    pub(super) async fn states(&self, event: EventId) -> Vec<u8> {
        self.store.seat_snapshot(event).await.unwrap().states
    }

    pub(super) async fn counts(&self, event: EventId) -> (u32, u32) {
        let c = self.store.seat_counts(event).await.unwrap();
        (c.held, c.sold)
    }
}

/// A request for `seats` by token `jti` (4 seats per token), held for a minute.
pub(super) fn req(jti: &str, seats: &[u32]) -> HoldRequest {
    HoldRequest {
        hold: HoldId::new(),
        user: UserId::new(),
        jti: jti.to_string(),
        max_seats: 4,
        seats: seats.to_vec(),
        ttl_ms: 60_000,
    }
}

pub(super) fn short(jti: &str, seats: &[u32], ttl_ms: i64) -> HoldRequest {
    HoldRequest {
        ttl_ms,
        ..req(jti, seats)
    }
}

pub(super) fn is_held(o: &HoldOutcome) -> bool {
    matches!(o, HoldOutcome::Held { .. })
}

pub(super) fn leased(c: ConfirmStart) -> Hold {
    match c {
        ConfirmStart::Leased(h) => h,
        other => panic!("not leased: {other:?}"),
    }
}

pub(super) const F: u8 = SeatState::Free as u8;
pub(super) const HD: u8 = SeatState::Held as u8;
pub(super) const S: u8 = SeatState::Sold as u8;
