//! Joins as the replicas make them: one join script call per fan, many in flight on
//! each replica's multiplexed connection (redis-rs pipelines them), issued in batches.

use std::time::Instant;

use anyhow::Context;
use futures_util::{stream, StreamExt};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::EventId;

use super::fans::{ticket, user};
use super::measure::micros;
use super::redis_info::Reading;
use super::report::{per, JoinPhase};
use crate::report::Hist;

/// How joins are issued.
#[derive(Clone, Copy, Debug)]
pub struct JoinPlan {
    /// Fans per batch: a batch is issued, then awaited, before the next.
    pub batch: u64,
    /// Joins in flight at once, spread over the connections.
    pub concurrency: usize,
}

/// Joins fans `from..to` (fan `i` on connection `i % stores.len()`) and returns the
/// phase's figures. Any failed join fails the phase.
pub async fn join_fans(
    stores: &[RedisStore],
    event: EventId,
    phase: &str,
    from: u64,
    to: u64,
    plan: JoinPlan,
) -> anyhow::Result<JoinPhase> {
    let mut probe = stores[0].connection();
    let before = Reading::wait_take(&mut probe).await?;
    let began = Instant::now();
    let mut hist = Hist::default();
    let mut reported = Instant::now();
    let mut start = from;
    while start < to {
        let end = (start + plan.batch.max(1)).min(to);
        let mut calls = stream::iter(start..end)
            .map(|i| {
                let store = &stores[(i % stores.len() as u64) as usize];
                async move {
                    let t = Instant::now();
                    store
                        .join(event, user(i), &ticket(i), None)
                        .await
                        .with_context(|| format!("join of fan {i}"))?;
                    anyhow::Ok(micros(t.elapsed()))
                }
            })
            .buffer_unordered(plan.concurrency.max(1));
        while let Some(took) = calls.next().await {
            hist.record(took?);
        }
        start = end;
        if reported.elapsed().as_secs() >= 10 {
            reported = Instant::now();
            eprintln!(
                "line_sim: {phase}: {start} of {to} fans joined, {:.0}/s",
                (start - from) as f64 / began.elapsed().as_secs_f64()
            );
        }
    }
    let secs = began.elapsed().as_secs_f64();
    let redis = before.until(&Reading::wait_take(&mut probe).await?);
    let joins = to - from;
    Ok(JoinPhase {
        phase: phase.to_owned(),
        from,
        to,
        secs,
        joins_per_sec: if secs > 0.0 { joins as f64 / secs } else { 0.0 },
        latency_ms: hist.summary(1000.0),
        redis_us_per_join: per(redis.script_us as f64, joins),
        redis_cpu_us_per_join: per(redis.cpu_us, joins),
        redis,
    })
}
