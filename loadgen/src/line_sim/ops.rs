//! The operations timed at each depth of the line, each through the store's own
//! calls on one replica's connection: a join at the back, position reads deep in the
//! line, a fan leaving, an admission step, the change log, the counters, a replica's
//! reload (snapshot, and one of its pages), a page of the opening's draw record and presence for every
//! replica.

use std::time::{Duration, Instant};

use anyhow::Context;
use waiting_room::store::redis::{RedisConn, RedisStore, SNAPSHOT_PAGE};
use waiting_room::store::{Cursor, QueueStore, TicketState};
use waiting_room::EventId;

use super::fans::{ticket, user};
use super::keys::EventKeys;
use super::measure::{micros, repeat};
use super::presence::{presence_step, Coverage};
use super::redis_info::{settle, Reading};
use super::report::OpFigures;
use crate::report::Hist;

/// The change-log entries a replica reads per call (`READ_BATCH` in
/// waiting-room/src/room/sync.rs).
pub const READ_BATCH: usize = 10_000;
/// Fans re-read in one `statuses` call.
const STATUSES: u64 = 1_000;
/// The room's admission cadence (`Cadence::admit` in waiting-room/src/room/driver.rs).
pub const ADMIT_EVERY: Duration = Duration::from_millis(250);

/// Where the line stands and how to time it.
pub struct Line<'a> {
    pub stores: &'a [RedisStore],
    pub event: EventId,
    pub keys: &'a EventKeys,
    /// Fans `0..joined` have joined (some left or were admitted since).
    pub joined: u64,
    pub reps: u32,
    pub replicas: u64,
    pub concurrency: usize,
    /// Fans the opening drew (the draw record's length).
    pub drawn: u64,
}

impl Line<'_> {
    fn store(&self) -> &RedisStore {
        &self.stores[0]
    }

    /// Times every operation once per repetition; fans that join here are counted in
    /// `self.joined`.
    pub async fn measure(&mut self) -> anyhow::Result<Vec<OpFigures>> {
        let probe = self.store().connection();
        let (store, event, reps) = (self.store().clone(), self.event, self.reps);
        let first_new = self.joined;
        let mut ops = Vec::new();
        ops.push(
            repeat(
                &probe,
                "join (one fan, at the back)",
                reps,
                Duration::ZERO,
                |rep| {
                    let (store, i) = (store.clone(), first_new + u64::from(rep));
                    async move {
                        let status = store.join(event, user(i), &ticket(i), None).await?;
                        Ok(format!("{:?}", status.state))
                    }
                },
            )
            .await?,
        );
        self.joined += u64::from(reps);
        let last = self.joined - 1;
        ops.push(self.status("status (the last fan)", last).await?);
        ops.push(
            self.status("status (a fan halfway)", self.joined / 2)
                .await?,
        );
        let deep: Vec<_> = (self.joined.saturating_sub(STATUSES + 1)..last)
            .map(user)
            .collect();
        ops.push(
            repeat(
                &probe,
                "statuses (1,000 fans at the back)",
                reps,
                Duration::ZERO,
                |_| {
                    let (store, deep) = (store.clone(), deep.clone());
                    async move {
                        let s = store.statuses(event, &deep).await?;
                        Ok(format!("{} statuses", s.len()))
                    }
                },
            )
            .await?,
        );
        let leaving = self.joined * 3 / 4;
        ops.push(
            repeat(
                &probe,
                "leave (a fan three quarters back)",
                reps,
                Duration::ZERO,
                |rep| {
                    let store = store.clone();
                    async move {
                        let left = store.leave(event, user(leaving + u64::from(rep))).await?;
                        Ok(format!("left: {left}"))
                    }
                },
            )
            .await?,
        );
        ops.push(
            repeat(
                &probe,
                "admit (one step, 250 ms after the last)",
                reps,
                ADMIT_EVERY,
                |_| {
                    let store = store.clone();
                    async move {
                        let outcome = store.admit(event, None).await?;
                        Ok(format!("{} admitted per step", outcome.admitted.len()))
                    }
                },
            )
            .await?,
        );
        ops.extend(self.changes().await?);
        ops.push(
            repeat(&probe, "stats", reps, Duration::ZERO, |_| {
                let store = store.clone();
                async move { Ok(format!("{} waiting", store.stats(event).await?.waiting)) }
            })
            .await?,
        );
        // A reload: the first replica reads the pages and publishes its view (so each
        // repetition first drops the view the last one published); every other
        // replica reads that view and replays the log after it.
        let view = self.keys.key("view");
        ops.push(
            repeat(
                &probe,
                "snapshot, the first replica's reload (every page, the log replay, the view published)",
                reps.min(3),
                Duration::ZERO,
                |_| {
                    let (store, view) = (store.clone(), view.clone());
                    async move {
                        let mut conn = store.connection();
                        redis::cmd("UNLINK")
                            .arg(&view)
                            .query_async::<i64>(&mut conn)
                            .await?;
                        Ok(format!("{} seqs", store.snapshot(event).await?.seqs.len()))
                    }
                },
            )
            .await?,
        );
        ops.push(
            repeat(
                &probe,
                "snapshot, another replica's reload (the shared view and the log replay)",
                reps,
                Duration::ZERO,
                |_| {
                    let store = store.clone();
                    async move { Ok(format!("{} seqs", store.snapshot(event).await?.seqs.len())) }
                },
            )
            .await?,
        );
        // One of the reload's calls: a page from halfway down the line.
        let halfway = self.joined / 2;
        ops.push(
            repeat(
                &probe,
                "snapshot page (one call of a reload, halfway)",
                reps,
                Duration::ZERO,
                |_| {
                    let store = store.clone();
                    async move {
                        let page = store.snapshot_page(event, halfway, SNAPSHOT_PAGE).await?;
                        Ok(format!("{} seqs a page", page.seqs.len()))
                    }
                },
            )
            .await?,
        );
        let middle = self.drawn / 2;
        ops.push(
            repeat(
                &probe,
                "draw record (100 entries, halfway)",
                reps,
                Duration::ZERO,
                |_| {
                    let store = store.clone();
                    async move {
                        let page = store
                            .draw(event, middle, 100)
                            .await?
                            .context("no draw record")?;
                        Ok(format!("{} of {} entries", page.joined.len(), page.total))
                    }
                },
            )
            .await?,
        );
        ops.extend(self.presence().await?);
        Ok(ops)
    }

    /// `status` of fan `fan`, whose people-ahead goes in the note.
    async fn status(&self, name: &str, fan: u64) -> anyhow::Result<OpFigures> {
        let (store, event) = (self.store().clone(), self.event);
        repeat(
            &self.store().connection(),
            name,
            self.reps,
            Duration::ZERO,
            |_| {
                let store = store.clone();
                async move {
                    let status = store.status(event, user(fan)).await?.context("no ticket")?;
                    Ok(match status.state {
                        TicketState::Queued { ahead, .. } => format!("{ahead} ahead"),
                        other => format!("{other:?}"),
                    })
                }
            },
        )
        .await
    }

    /// A caught-up reader's poll, and a read of one full batch.
    async fn changes(&self) -> anyhow::Result<[OpFigures; 2]> {
        let (store, event) = (self.store().clone(), self.event);
        let probe = store.connection();
        let newest = newest_ordinal(&mut store.connection(), self.keys).await?;
        let tail = Cursor(format!("0-{newest}"));
        let behind = Cursor(format!("0-{}", newest.saturating_sub(READ_BATCH as u64)));
        let read = |cursor: Cursor| {
            let store = store.clone();
            move |_| {
                let (store, cursor) = (store.clone(), cursor.clone());
                async move {
                    let batch = store.changes(event, &cursor, READ_BATCH).await?;
                    Ok(format!(
                        "{} entries, lagged: {}",
                        batch.changes.len(),
                        batch.lagged
                    ))
                }
            }
        };
        Ok([
            repeat(
                &probe,
                "changes (caught up: the 100 ms poll)",
                self.reps,
                Duration::ZERO,
                read(tail),
            )
            .await?,
            repeat(
                &probe,
                "changes (10,000 entries behind)",
                self.reps,
                Duration::ZERO,
                read(behind),
            )
            .await?,
        ])
    }

    /// Presence for every replica, `min(reps, 3)` heartbeat rounds (lease renewals),
    /// and one replica's call. The fans' registration (each replica covers its share,
    /// as their sockets would on arrival) runs first, untimed: it is per-fan work once
    /// per arrival, not per heartbeat; covering fans already covered changes nothing.
    async fn presence(&self) -> anyhow::Result<[OpFigures; 2]> {
        let rounds = self.reps.min(3);
        let mut conn = self.store().connection();
        for registered in presence_step(
            self.stores,
            self.event,
            0..self.joined,
            self.replicas,
            self.concurrency,
            Coverage::Register,
        )
        .await
        {
            if let Err(error) = registered {
                eprintln!("line_sim: a replica's registration failed: {error:#}");
            }
        }
        settle(&mut conn).await?;
        let (mut rounds_us, mut calls_us) = (Hist::default(), Hist::default());
        let before = Reading::wait_take(&mut conn).await?;
        let (mut failed, mut first_error) = (0u32, None);
        for _ in 0..rounds {
            let began = Instant::now();
            let calls = presence_step(
                self.stores,
                self.event,
                0..self.joined,
                self.replicas,
                self.concurrency,
                Coverage::Renew,
            )
            .await;
            rounds_us.record(micros(began.elapsed()));
            let mut round_failed = false;
            for call in calls {
                match call {
                    Ok(took) => calls_us.record(micros(took)),
                    Err(error) => {
                        failed += 1;
                        round_failed = true;
                        first_error.get_or_insert_with(|| format!("{error:#}"));
                    }
                }
            }
            if round_failed {
                settle(&mut conn).await?;
            }
        }
        let redis = before.until(&Reading::wait_take(&mut conn).await?);
        let mut note = format!("{} fans over {} replicas", self.joined, self.replicas);
        if let Some(error) = first_error {
            note.push_str(&format!(
                "; {failed} calls failed ({error}; Redis ran them anyway: a round lasts until the last answer or failure)"
            ));
        }
        let name = format!(
            "presence, all {} replicas (one heartbeat round)",
            self.replicas
        );
        let calls = rounds * u32::try_from(self.replicas).unwrap_or(u32::MAX);
        let mut one = OpFigures::new(
            "presence, one replica's call",
            calls,
            &calls_us,
            redis,
            note.clone(),
        );
        one.errors = failed;
        Ok([OpFigures::new(&name, rounds, &rounds_us, redis, note), one])
    }
}

/// The change log's newest ordinal (0 for none).
pub async fn newest_ordinal(conn: &mut RedisConn, keys: &EventKeys) -> anyhow::Result<u64> {
    let newest: Vec<(String, Vec<(String, String)>)> = redis::cmd("XREVRANGE")
        .arg(keys.key("log"))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    Ok(newest
        .first()
        .and_then(|(id, _)| id.strip_prefix("0-")?.parse().ok())
        .unwrap_or(0))
}
