//! The restore after a Redis restart: the event's keys are gone (a restart without
//! persistence), and every replica puts back the waiting fans whose sockets it holds,
//! with their tickets and sequence numbers, in one `restore` each, as `Room::restore`
//! does (waiting-room/src/room/sync.rs) when its reads answer "unknown event". The
//! store splits a replica's restore into calls of at most `RESTORE_BATCH` fans
//! (waiting-room/src/store/redis.rs), one log entry each.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{stream, StreamExt};
use waiting_room::store::redis::{RedisConn, RedisStore};
use waiting_room::store::{QueueStore, Restore, RestoredFan};
use waiting_room::{EventId, QueueConfig};

use super::fans::{index_of, ticket, user};
use super::keys::EventKeys;
use super::measure::micros;
use super::ops::newest_ordinal;
use super::redis_info::{settle, Reading};
use super::report::OpFigures;
use crate::report::Hist;

/// Members read per ZRANGE when taking down what the replicas know.
const READ_CHUNK: u64 = 100_000;
/// What a replica adds to the highest sequence number it saw when the store lost the
/// event (`RESTORE_SEQ_MARGIN` in waiting-room/src/room/state/restore.rs).
const SEQ_MARGIN: u64 = 10_000;
/// How long the line may take to be whole again after the replicas' calls.
const WHOLE_WITHIN: Duration = Duration::from_secs(600);

/// The waiting line as the replicas know it: each fan's sequence number, and the
/// change log's newest ordinal.
pub struct KnownLine {
    /// (fan, seq), in line order.
    pub fans: Vec<(u64, u64)>,
    pub log_ordinal: u64,
}

/// Reads the line from Redis (outside the timed restore: the replicas hold it in
/// memory).
pub async fn known_line(conn: &RedisConn, keys: &EventKeys) -> anyhow::Result<KnownLine> {
    let mut conn = conn.clone();
    let mut fans = Vec::new();
    let mut start = 0u64;
    loop {
        let page: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(keys.key("q"))
            .arg(start)
            .arg(start + READ_CHUNK - 1)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        for (member, seq) in &page {
            let fan =
                index_of(member).with_context(|| format!("{member} is not a simulated fan"))?;
            fans.push((fan, *seq as u64));
        }
        if (page.len() as u64) < READ_CHUNK {
            break;
        }
        start += READ_CHUNK;
    }
    let log_ordinal = newest_ordinal(&mut conn, keys).await?;
    Ok(KnownLine { fans, log_ordinal })
}

/// Loses the event, then lets `replicas` replicas restore their shares at once (at
/// most `concurrency` calls in flight). Returns the whole restore (one repetition,
/// until every fan is back) and one replica's call. A replica's call may fail (its
/// wait is bounded) while Redis still runs it; the restore is whole when every fan is
/// back, and fails the run if that takes over [`WHOLE_WITHIN`].
pub async fn lose_and_restore(
    stores: &[RedisStore],
    event: EventId,
    keys: &EventKeys,
    config: &QueueConfig,
    line: KnownLine,
    replicas: u64,
    concurrency: usize,
) -> anyhow::Result<[OpFigures; 2]> {
    let mut conn = stores[0].connection();
    keys.lose(&mut conn).await?;
    let waiting = line.fans.len() as u64;
    let seq_floor = line.fans.iter().map(|&(_, seq)| seq).max().unwrap_or(0) + SEQ_MARGIN;
    let mut shares: Vec<Vec<(u64, u64)>> = vec![Vec::new(); replicas as usize];
    for (fan, seq) in line.fans {
        shares[(fan % replicas) as usize].push((fan, seq));
    }
    let before = Reading::wait_take(&mut conn).await?;
    let began = Instant::now();
    let results: Vec<anyhow::Result<(u64, Duration)>> =
        stream::iter(shares.into_iter().enumerate())
            .map(|(replica, share)| {
                let store = &stores[replica % stores.len()];
                async move {
                    let fans: Vec<RestoredFan> = share
                        .into_iter()
                        .map(|(fan, seq)| RestoredFan {
                            user: user(fan),
                            ticket: ticket(fan),
                            seq: Some(seq),
                            slot: 0,
                        })
                        .collect();
                    let t = Instant::now();
                    let restore = Restore {
                        config,
                        opened: true,
                        seq_floor,
                        log_ordinal: line.log_ordinal,
                        fans: &fans,
                    };
                    let restored = store.restore(event, &restore).await?;
                    anyhow::Ok((restored, t.elapsed()))
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut calls = Hist::default();
    let (mut restored, mut failed, mut first_error) = (0, 0, None);
    for result in results {
        match result {
            Ok((n, took)) => {
                restored += n;
                calls.record(micros(took));
            }
            Err(error) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{error:#}"));
            }
        }
    }
    // A call its replica gave up on still runs in Redis: the line is back when every
    // fan is.
    let store = &stores[0];
    settle(&mut conn).await?;
    let deadline = Instant::now() + WHOLE_WITHIN;
    let mut back = store.stats(event).await?.waiting;
    while back < waiting && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        back = store.stats(event).await?.waiting;
    }
    let total = began.elapsed();
    let redis = before.until(&Reading::wait_take(&mut conn).await?);
    anyhow::ensure!(
        back == waiting,
        "{back} of {waiting} waiting fans back {WHOLE_WITHIN:?} after the restore"
    );
    let mut whole = Hist::default();
    whole.record(micros(total));
    let mut note = format!(
        "{waiting} fans back in line; {} of {replicas} replicas' restores answered; {} script calls, {} µs of Redis script time each on average",
        replicas - failed,
        redis.script_calls,
        redis.script_us / redis.script_calls.max(1)
    );
    if let Some(error) = first_error {
        note.push_str(&format!(
            ", {failed} failed ({error}; Redis ran them anyway, {restored} fans put back by the answered ones)"
        ));
    }
    let mut one = OpFigures::new(
        "restore, one replica's share (all its calls)",
        replicas as u32,
        &calls,
        redis,
        note.clone(),
    );
    one.errors = failed as u32;
    Ok([
        OpFigures::new(
            &format!("restore, all {replicas} replicas"),
            1,
            &whole,
            redis,
            note.clone(),
        ),
        one,
    ])
}
