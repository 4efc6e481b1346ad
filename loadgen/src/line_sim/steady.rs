//! The steady state at depth (issue 19, part 1's figure at the simulated depths): Redis'
//! CPU per waiting fan per second while the line waits. Real rooms
//! (`waiting_room::room::Room`, one Redis connection each, the production cadence:
//! waiting on the change log, admission steps, presence leases) run against the
//! simulated event while the simulated replicas renew the leases that cover the line's
//! fans every 10 s; `used_cpu_user + used_cpu_sys` from `INFO cpu` over the window,
//! divided by the fans waiting and the seconds, is the figure. The rooms hold no
//! sockets: their work is the per-replica work a replica does whatever its crowd, and
//! the fans' presence is the simulated replicas' leases (one call per replica).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use waiting_room::clock::{Clock, SystemClock};
use waiting_room::room::{Cadence, Room, RoomInfo};
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig};

use super::presence::{presence_step, Coverage};
use super::redis_info::Reading;
use super::report::OpFigures;
use crate::report::Hist;

/// How the steady window runs.
pub struct Window<'a> {
    pub redis_url: &'a str,
    pub prefix: &'a str,
    pub stores: &'a [RedisStore],
    pub event: EventId,
    pub config: QueueConfig,
    /// Fans 0..joined may be waiting (the simulated replicas' leases cover them).
    pub joined: u64,
    pub replicas: u64,
    pub concurrency: usize,
    /// Real rooms (replicas' loops) running against the event.
    pub rooms: usize,
    pub secs: u64,
}

/// The start of the steady window's row name.
const STEADY: &str = "steady window";
/// How long the rooms may take to load the line before the window (a 10 M line's
/// first reload reads the pages; the others take its shared view).
const LOAD_LIMIT: Duration = Duration::from_secs(900);
/// After every room has the line: a heartbeat round and a few admission steps.
const WARM_UP: Duration = Duration::from_secs(12);
/// Admission while the window runs: the crowd benchmark's rate (100 fans a second).
pub const RATE_PER_MINUTE: u32 = 6_000;
/// The simulated replicas' heartbeat, as the server's rooms beat.
const HEARTBEAT: Duration = Duration::from_secs(10);

impl Window<'_> {
    /// Runs the rooms and the heartbeats at [`RATE_PER_MINUTE`], measures the window,
    /// and puts the simulation's own admission rate back.
    pub async fn measure(&self) -> anyhow::Result<OpFigures> {
        let store = &self.stores[0];
        let steady = AdmissionSettings {
            rate_per_minute: RATE_PER_MINUTE,
            ..self.config.admission.clone()
        };
        store.update_admission(self.event, &steady).await?;
        let cancel = CancellationToken::new();
        let result = self.run(&cancel).await;
        cancel.cancel();
        store
            .update_admission(self.event, &self.config.admission)
            .await?;
        result
    }

    async fn run(&self, cancel: &CancellationToken) -> anyhow::Result<OpFigures> {
        let beats = self.heartbeats(cancel.clone());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let mut rooms = Vec::with_capacity(self.rooms);
        for _ in 0..self.rooms {
            let store = RedisStore::connect(self.redis_url, self.prefix).await?;
            let info = RoomInfo {
                event: self.event,
                max_seats: 4,
                shuffle_seed: None,
            };
            let store: Arc<dyn QueueStore> = Arc::new(store);
            let keys = SigningKeys::generate().0;
            let room = Arc::new(Room::new(
                info,
                Some(self.config.clone()),
                store,
                None,
                keys,
                Arc::clone(&clock),
            ));
            tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));
            rooms.push(room);
        }
        let began = Instant::now();
        while rooms.iter().any(|r| r.waiting() == 0) {
            anyhow::ensure!(
                began.elapsed() < LOAD_LIMIT,
                "the rooms did not load the line within {LOAD_LIMIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        eprintln!(
            "line_sim: {} rooms loaded the line in {:.1} s; steady window of {} s",
            rooms.len(),
            began.elapsed().as_secs_f64(),
            self.secs
        );
        tokio::time::sleep(WARM_UP).await;
        let store = &self.stores[0];
        let mut conn = store.connection();
        let waiting_before = store.stats(self.event).await?.waiting;
        let before = Reading::take(&mut conn).await?;
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(self.secs)).await;
        let after = Reading::take(&mut conn).await?;
        let secs = start.elapsed().as_secs_f64();
        let waiting_after = store.stats(self.event).await?.waiting;
        beats.abort();
        let delta = before.until(&after);
        let waiting = (waiting_before + waiting_after) as f64 / 2.0;
        let per_fan = delta.cpu_us / waiting.max(1.0) / secs;
        let note = format!(
            "{per_fan:.4} µs of Redis CPU per waiting fan per second ({:.0} ms/s in all, \
             {:.0} script calls/s; {} rooms, {} replicas' leases, admitting {RATE_PER_MINUTE} a \
             minute; {waiting_before} → {waiting_after} waiting over {secs:.0} s)",
            delta.cpu_us / secs / 1_000.0,
            delta.script_calls as f64 / secs,
            self.rooms,
            self.replicas,
        );
        let mut wall = Hist::default();
        wall.record(start.elapsed().as_micros() as u64);
        let mut figures = OpFigures::new(
            &format!(
                "{STEADY}, {} s: {} rooms' loops + {} replicas' leases",
                self.secs, self.rooms, self.replicas
            ),
            1,
            &wall,
            delta,
            note,
        );
        figures.per_fan_second_us = Some(per_fan);
        Ok(figures)
    }

    /// The simulated replicas renew their leases every [`HEARTBEAT`] until `cancel`.
    fn heartbeats(&self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let stores = self.stores.to_vec();
        let (event, joined, replicas, concurrency) =
            (self.event, self.joined, self.replicas, self.concurrency);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let calls = presence_step(
                    &stores,
                    event,
                    0..joined,
                    replicas,
                    concurrency,
                    Coverage::Renew,
                )
                .await;
                if let Some(Err(error)) = calls.into_iter().find(Result::is_err) {
                    eprintln!("line_sim: a lease renewal failed: {error:#}");
                }
            }
        })
    }
}
