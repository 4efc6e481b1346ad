//! Presence for the replicas: the one step the simulation times as "presence", kept
//! behind [`presence_step`] so it follows the store's presence design.
//!
//! Presence per replica (issue 19, docs/ARCHITECTURE.md "Presence per replica"): a
//! replica's fans are *covered* by its lease once (a first socket: per-fan work when
//! a fan arrives), then each heartbeat is one lease renewal per replica and event,
//! however many fans it holds. [`Coverage::Register`] is that first write of each
//! replica's share; [`Coverage::Renew`] the steady heartbeat the simulation times.
//! (Before, each heartbeat was a `touch` of every fan: per-fan work every 10 s.)

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::{PresenceUpdate, QueueStore, ReplicaId};
use waiting_room::EventId;

use super::fans::{share, user};

/// A lease of three 10 s heartbeats, as the server's rooms hold.
const LEASE_MS: u64 = 30_000;

/// What each replica's call carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Covers the replica's whole share (its sockets opened).
    Register,
    /// Renews the lease only.
    Renew,
}

/// One presence round of `replicas` replicas, each for its share of fans `fans`
/// (fan `i` on replica `i % replicas`), at most `concurrency` replicas at once over the
/// connections. Returns each replica's call time, or its error (a call that outlasts
/// its bound fails while Redis still runs it).
pub async fn presence_step(
    stores: &[RedisStore],
    event: EventId,
    fans: std::ops::Range<u64>,
    replicas: u64,
    concurrency: usize,
    coverage: Coverage,
) -> Vec<anyhow::Result<Duration>> {
    stream::iter(0..replicas)
        .map(|replica| {
            let store = &stores[(replica % stores.len() as u64) as usize];
            let fans = fans.clone();
            async move {
                let id = ReplicaId::parse(&format!("sim-{replica}"))
                    .expect("a replica id of letters, digits and dashes");
                let users: Vec<_> = match coverage {
                    Coverage::Register => share(fans, replica, replicas)
                        .into_iter()
                        .map(user)
                        .collect(),
                    Coverage::Renew => Vec::new(),
                };
                let update = PresenceUpdate {
                    replica: &id,
                    cover: &users,
                    uncover: &[],
                    lease_ms: LEASE_MS,
                };
                let began = Instant::now();
                store.presence(event, &update).await?;
                anyhow::Ok(began.elapsed())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}
