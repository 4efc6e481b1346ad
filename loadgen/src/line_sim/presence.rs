//! Presence for the replicas: the one step the simulation times as "presence", kept
//! behind [`presence_step`] so it can be re-pointed when the store's presence design
//! changes (issue 19 part 1 replaces per-fan heartbeats with per-replica leases).
//!
//! Today (main at issue 19's start) each replica's heartbeat is `touch` of every fan
//! whose socket it holds (`Room::heartbeat`), every 10 s: per-fan work in Redis.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::EventId;

use super::fans::{share, user};

/// One heartbeat round of `replicas` replicas, each for its share of fans `fans`
/// (fan `i` on replica `i % replicas`), at most `concurrency` replicas at once over the
/// connections. Returns each replica's call time, or its error (a call that outlasts
/// its bound fails while Redis still runs it).
pub async fn presence_step(
    stores: &[RedisStore],
    event: EventId,
    fans: std::ops::Range<u64>,
    replicas: u64,
    concurrency: usize,
) -> Vec<anyhow::Result<Duration>> {
    stream::iter(0..replicas)
        .map(|replica| {
            let store = &stores[(replica % stores.len() as u64) as usize];
            let fans = fans.clone();
            async move {
                let users: Vec<_> = share(fans, replica, replicas)
                    .into_iter()
                    .map(user)
                    .collect();
                let began = Instant::now();
                store.touch(event, &users).await?;
                anyhow::Ok(began.elapsed())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}
