//! A line of millions, simulated: the Redis queue store's own calls and Lua scripts
//! (`waiting_room::store::redis::RedisStore`) driven on a real Redis without sockets or
//! servers, to 1 M and 10 M waiting tickets in one event. Fans join in batches (a
//! pre-queue, the opening's draw, then joins after the opening up to each depth); at
//! each depth every operation a replica makes is timed over a few repetitions, with
//! Redis' memory and CPU, and optionally the restore after the event is lost.
//!
//! The binary is `line_sim` (loadgen/src/bin/line_sim.rs); `scripts/lib/bench_line.sh`
//! starts a Redis for it. Figures and their reading: BENCHMARKS.md, issue 19.

mod fans;
mod joins;
mod keys;
mod measure;
mod ops;
mod presence;
mod redis_info;
pub mod report;
mod restore;
mod slow_calls;
mod steady;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::{AdmissionSettings, EventId, QueueConfig};

use joins::{join_fans, JoinPlan};
use keys::{EventKeys, SUFFIXES};
use ops::{Line, ADMIT_EVERY};
use redis_info::{key_bytes, Reading};
use report::{DepthFigures, Memory, OpFigures, Report};

/// The simulation's settings.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "line_sim",
    version,
    about = "Drives the Redis queue store's scripts to millions of waiting fans in one event and times every operation at each depth.",
    long_about = "Drives the Redis queue store's scripts (the real store, no server, no sockets) \
        to millions of waiting fans in one event: a pre-queue, the opening's draw, joins after \
        the opening up to each depth; at each depth it times a join, position reads deep in the \
        line, a fan leaving, an admission step, the change log, the counters, a replica's reload, \
        presence for every replica, a steady window of real rooms' loops (Redis CPU per waiting \
        fan per second) and (optionally) the restore after the event is lost, with \
        Redis' memory and CPU. Use a Redis of its own: the restore deletes the event's keys and \
        flushes the script cache.\n\nExample: line_sim --redis-url redis://127.0.0.1:6379 \
        --depths 10000,100000,1000000"
)]
pub struct Args {
    /// The Redis to use (its own: the restore flushes the script cache).
    #[arg(long, env = "LINE_SIM_REDIS_URL")]
    pub redis_url: String,
    /// Key prefix of the simulated event.
    #[arg(long, default_value = "linesim")]
    pub prefix: String,
    /// The depths (waiting fans) at which every operation is timed, ascending.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    pub depths: Vec<u64>,
    /// Fans who join before the opening (the opening draws them).
    #[arg(long, default_value_t = 10_000)]
    pub prequeue: u64,
    /// Depths at which the event is lost and restored by the replicas (default: every
    /// depth; `--restore-at ''` for none).
    #[arg(long, value_delimiter = ',')]
    pub restore_at: Option<Vec<String>>,
    /// Fans per batch of joins (a batch is issued, then awaited).
    #[arg(long, default_value_t = 10_000)]
    pub batch: u64,
    /// Calls in flight at once, over all connections (joins, presence, restore).
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Connections to Redis, one per simulated replica process that joins fans.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Replicas sharing the fans' sockets (presence and restore).
    #[arg(long, default_value_t = 100)]
    pub replicas: u64,
    /// Repetitions of each operation at each depth.
    #[arg(long, default_value_t = 7)]
    pub reps: u32,
    /// Seconds of the steady window at each depth: Redis CPU per waiting fan per
    /// second while real rooms run their loops against the line (0: none).
    #[arg(long, default_value_t = 30)]
    pub steady_secs: u64,
    /// Real rooms (replicas' loops) running in the steady window.
    #[arg(long, default_value_t = 10)]
    pub steady_rooms: usize,
    /// Write the JSON summary here (default: after the tables on stdout).
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

/// The event's queue settings: a grace long enough that nobody is dropped during the
/// run, room for every admitted fan, and an admission rate that admits about 100 fans
/// per step at the room's cadence.
fn queue_config(starts_at_ms: i64) -> QueueConfig {
    QueueConfig {
        presales: Vec::new(),
        starts_at_ms,
        grace_ms: 6 * 3_600_000,
        admission: AdmissionSettings {
            rate_per_minute: (100 * 60_000 / ADMIT_EVERY.as_millis()) as u32,
            max_active: 10_000_000,
            session_ttl_secs: 86_400,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    }
}

/// Runs the simulation and returns its report.
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let mut depths = args.depths.clone();
    depths.sort_unstable();
    depths.dedup();
    let restore_at: Vec<u64> = match &args.restore_at {
        None => depths.clone(),
        Some(list) => list
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse()
                    .with_context(|| format!("--restore-at {s:?}"))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    anyhow::ensure!(
        args.connections > 0 && args.replicas > 0 && args.reps > 0,
        "--connections, --replicas and --reps must be at least 1"
    );
    let mut stores = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        stores.push(
            RedisStore::connect(&args.redis_url, &args.prefix)
                .await
                .with_context(|| format!("connecting to {}", args.redis_url))?,
        );
    }
    let store = stores[0].clone();
    let mut conn = store.connection();
    let event = EventId::new();
    let keys = EventKeys::new(&args.prefix, event);
    let plan = JoinPlan {
        batch: args.batch,
        concurrency: args.concurrency,
    };
    let mut report = Report {
        settings: settings(args),
        ..Report::default()
    };
    let baseline = Reading::wait_take(&mut conn).await?;
    let now = store.now_ms().await?;
    store
        .configure(event, &queue_config(now + 86_400_000), false)
        .await?;

    eprintln!("line_sim: pre-queue of {} fans", args.prequeue);
    report
        .joins
        .push(join_fans(&stores, event, "pre-queue", 0, args.prequeue, plan).await?);
    if args.prequeue > 0 {
        keys.check(&mut conn, "pre").await?;
        let used = baseline
            .until(&Reading::wait_take(&mut conn).await?)
            .memory_bytes;
        report.prequeue_memory = Some(Memory::new(
            used,
            args.prequeue,
            key_sizes(&mut conn, &keys).await?,
        ));
    }
    let config = queue_config(store.now_ms().await? - 1_000);
    store.configure(event, &config, false).await?;
    eprintln!("line_sim: the opening draws {} fans", args.prequeue);
    slow_calls::reset(&mut conn).await?;
    let mut opening = measure::repeat(
        &conn,
        "open (freeze, draw in batches)",
        1,
        Duration::ZERO,
        |_| {
            let store = store.clone();
            async move {
                let opened = store.open(event, &ShuffleSeed::random()).await?;
                anyhow::ensure!(opened, "the opening did not open the event");
                Ok(format!("{} pre-queued fans drawn", args.prequeue))
            }
        },
    )
    .await?;
    if opening.errors > 0 {
        // The caller gave up; Redis still runs the script to its end.
        eprintln!(
            "line_sim: the opening failed ({}); waiting for Redis to finish it",
            opening.note
        );
        wait_opened(&store, event).await?;
    }
    let largest = slow_calls::largest(&mut conn).await?;
    opening.note = format!("{}; {}", opening.note, slow_calls::note(largest));
    report.opening = Some(opening);

    let mut joined = args.prequeue;
    for &depth in &depths {
        let waiting = store.stats(event).await?.waiting;
        if depth > waiting {
            eprintln!("line_sim: joining up to {depth} waiting fans");
            let to = joined + (depth - waiting);
            report
                .joins
                .push(join_fans(&stores, event, "after the opening", joined, to, plan).await?);
            joined = to;
        }
        keys.check(&mut conn, "q").await?;
        let began = Instant::now();
        let stats = store.stats(event).await?;
        let used = baseline
            .until(&Reading::wait_take(&mut conn).await?)
            .memory_bytes;
        let memory = Memory::new(used, stats.waiting, key_sizes(&mut conn, &keys).await?);
        let mut line = Line {
            stores: &stores,
            event,
            keys: &keys,
            joined,
            reps: args.reps,
            replicas: args.replicas,
            concurrency: args.concurrency,
            drawn: args.prequeue,
        };
        let mut ops = line.measure().await?;
        joined = line.joined;
        if args.steady_secs > 0 {
            let window = steady::Window {
                redis_url: &args.redis_url,
                prefix: &args.prefix,
                stores: &stores,
                event,
                config: config.clone(),
                joined,
                replicas: args.replicas,
                concurrency: args.concurrency,
                rooms: args.steady_rooms.max(1),
                secs: args.steady_secs,
            };
            ops.push(window.measure().await?);
        }
        if restore_at.contains(&depth) {
            match lose_and_restore(&stores, event, &keys, &config, args).await {
                Ok(restored) => ops.extend(restored),
                Err(error) => {
                    // Report what was measured; the line is not whole any more.
                    eprintln!("line_sim: the restore failed: {error:#}");
                    ops.push(OpFigures {
                        name: "restore, all replicas".to_owned(),
                        errors: 1,
                        note: format!("failed: {error:#}"),
                        ..OpFigures::default()
                    });
                    report.depths.push(DepthFigures {
                        waiting: stats.waiting,
                        memory,
                        ops,
                    });
                    break;
                }
            }
        }
        eprintln!(
            "line_sim: {} waiting: measured in {:.0} s",
            stats.waiting,
            began.elapsed().as_secs_f64()
        );
        report.depths.push(DepthFigures {
            waiting: stats.waiting,
            memory,
            ops,
        });
    }
    report.close = match close(&store, event, &keys).await {
        Ok(figures) => Some(figures),
        Err(error) => {
            eprintln!("line_sim: the close failed: {error:#}");
            None
        }
    };
    Ok(report)
}

/// The close step (issue 19): the sale's line removed from the store with `UNLINK`,
/// timed; Redis frees the keys in its background thread.
async fn close(store: &RedisStore, event: EventId, keys: &EventKeys) -> anyhow::Result<OpFigures> {
    let waiting = store.stats(event).await?.waiting;
    eprintln!("line_sim: the close removes a line of {waiting} fans");
    let conn = store.connection();
    let figures = measure::repeat(&conn, "close (remove the line)", 1, Duration::ZERO, |_| {
        let store = store.clone();
        async move {
            store.remove_line(event).await?;
            Ok(format!("a line of {waiting} waiting fans removed"))
        }
    })
    .await?;
    let mut conn = store.connection();
    anyhow::ensure!(
        keys.check(&mut conn, "q").await.is_err(),
        "the queue key is still there after the close"
    );
    Ok(figures)
}

/// Waits (up to ten minutes) until the event is open.
async fn wait_opened(store: &RedisStore, event: EventId) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(stats) = store.stats(event).await {
            if stats.opened {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    anyhow::bail!("the event did not open within ten minutes")
}

/// Loses the event and restores it, checking that the line came back as it was.
async fn lose_and_restore(
    stores: &[RedisStore],
    event: EventId,
    keys: &EventKeys,
    config: &QueueConfig,
    args: &Args,
) -> anyhow::Result<[OpFigures; 2]> {
    let store = &stores[0];
    let known = restore::known_line(&store.connection(), keys).await?;
    let waiting = known.fans.len() as u64;
    let last = known.fans.last().map(|&(fan, _)| fan);
    let before = match last {
        Some(fan) => store.status(event, fans::user(fan)).await?,
        None => None,
    };
    eprintln!("line_sim: losing the event and restoring {waiting} waiting fans");
    let figures = restore::lose_and_restore(
        stores,
        event,
        keys,
        config,
        known,
        args.replicas,
        args.concurrency,
    )
    .await?;
    let after = match last {
        Some(fan) => store.status(event, fans::user(fan)).await?,
        None => None,
    };
    anyhow::ensure!(
        before == after,
        "the last fan's ticket changed in the restore: {before:?} → {after:?}"
    );
    let back = store.stats(event).await?.waiting;
    anyhow::ensure!(
        back == waiting,
        "{back} waiting after the restore, {waiting} before"
    );
    Ok(figures)
}

/// `MEMORY USAGE` of each of the event's keys that exists.
async fn key_sizes(
    conn: &mut waiting_room::store::redis::RedisConn,
    keys: &EventKeys,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut sizes = BTreeMap::new();
    for suffix in SUFFIXES {
        let bytes = key_bytes(conn, &keys.key(suffix)).await?;
        if bytes > 0 {
            sizes.insert(suffix.to_owned(), bytes);
        }
    }
    Ok(sizes)
}

/// The settings as the report shows them.
fn settings(args: &Args) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("depths".to_owned(), format!("{:?}", args.depths)),
        ("prequeue".to_owned(), args.prequeue.to_string()),
        ("batch".to_owned(), args.batch.to_string()),
        ("concurrency".to_owned(), args.concurrency.to_string()),
        ("connections".to_owned(), args.connections.to_string()),
        ("replicas".to_owned(), args.replicas.to_string()),
        ("reps".to_owned(), args.reps.to_string()),
        ("restore_at".to_owned(), format!("{:?}", args.restore_at)),
    ])
}
