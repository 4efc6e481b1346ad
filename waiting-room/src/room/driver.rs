//! A room's loop on tokio time: read the change log every poll, run the admission
//! step, push positions and renew the replica's presence lease each on its own
//! cadence, and write presence changes (fans' sockets opened or closed) every poll,
//! until cancelled. Written against [`Driven`] rather than the room itself, so the cadence
//! is tested with a recording fake under `tokio::time::pause()`.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::store::StoreError;
use crate::EventId;

/// Told how long each admission step ([`super::Room::step`]) took and whether it
/// succeeded, with the event; the server times the step with it (this crate records
/// nothing).
pub type StepHook = std::sync::Arc<dyn Fn(EventId, Duration, bool) + Send + Sync>;

/// How often a room does each part of its work.
#[derive(Clone, Copy, Debug)]
pub struct Cadence {
    /// Reading the change log (admissions reach fans this fast).
    pub poll: Duration,
    /// Running the admission step.
    pub admit: Duration,
    /// Pushing people-ahead (the contract: at most once a second).
    pub position: Duration,
    /// Presence heartbeats: the replica's lease renewals (also capped at a quarter of
    /// the grace period; a lease lasts `LEASE_BEATS` of them).
    pub heartbeat: Duration,
}

impl Default for Cadence {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(100),
            admit: Duration::from_millis(250),
            position: Duration::from_secs(1),
            heartbeat: Duration::from_secs(10),
        }
    }
}

/// What the loop drives: one event's room.
pub trait Driven: Send + Sync {
    fn event(&self) -> EventId;
    /// Reads the change log up to its end.
    fn sync(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Opens the sale when due, then runs one admission step.
    fn step(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Recomputes and pushes people-ahead.
    fn push_positions(&self);
    /// Writes the presence changes since the last write, if any, renewing the
    /// replica's lease for `LEASE_BEATS` × `beat`; with `renew`, renews it even with
    /// no change (the heartbeat).
    fn presence(
        &self,
        renew: bool,
        beat: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A quarter of the reconnect grace period, once known: heartbeats come at
    /// least this often.
    fn heartbeat_cap(&self) -> Option<Duration>;
}

/// A [`Driven`] whose admission steps are timed and reported to a hook.
pub struct TimedStep<'a, R> {
    pub room: &'a R,
    pub hook: StepHook,
}

impl<R: Driven> Driven for TimedStep<'_, R> {
    fn event(&self) -> EventId {
        self.room.event()
    }
    async fn sync(&self) -> Result<(), StoreError> {
        self.room.sync().await
    }
    async fn step(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let result = self.room.step().await;
        (self.hook)(self.room.event(), started.elapsed(), result.is_ok());
        result
    }
    fn push_positions(&self) {
        self.room.push_positions();
    }
    async fn presence(&self, renew: bool, beat: Duration) -> Result<(), StoreError> {
        self.room.presence(renew, beat).await
    }
    fn heartbeat_cap(&self) -> Option<Duration> {
        self.room.heartbeat_cap()
    }
}

/// Runs `room`'s loop until `cancel` is cancelled. The first admission step and the
/// first position push come on the first tick; the first heartbeat one heartbeat
/// period after the start (presence changes are written every tick; the drain's last
/// ones by [`crate::hub::Hub::flush_presence`]).
pub async fn run<R: Driven>(room: &R, cadence: Cadence, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(cadence.poll);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut last_admit, mut last_push, mut last_beat) = (None, None, Some(Instant::now()));
    let due =
        |last: Option<Instant>, every: Duration| last.is_none_or(|t: Instant| t.elapsed() >= every);
    let event = room.event();
    let beat = || {
        room.heartbeat_cap()
            .map_or(cadence.heartbeat, |cap| cadence.heartbeat.min(cap))
    };
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = cancel.cancelled() => return,
        }
        if let Err(error) = room.sync().await {
            tracing::warn!(%error, %event, "change log read failed");
            continue;
        }
        if due(last_admit, cadence.admit) {
            last_admit = Some(Instant::now());
            if let Err(error) = room.step().await {
                tracing::warn!(%error, %event, "admission step failed");
            }
            if let Err(error) = room.sync().await {
                tracing::warn!(%error, %event, "change log read failed");
            }
        }
        if due(last_push, cadence.position) {
            last_push = Some(Instant::now());
            room.push_positions();
        }
        let renew = due(last_beat, beat());
        if renew {
            last_beat = Some(Instant::now());
        }
        if let Err(error) = room.presence(renew, beat()).await {
            tracing::warn!(%error, %event, renew, "presence write failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records when each part of the loop ran, in virtual time since the start.
    struct Fake {
        start: Instant,
        cap: Option<Duration>,
        /// Change-log reads fail (the store is down).
        failing: AtomicBool,
        calls: Mutex<Vec<(&'static str, Duration)>>,
    }

    impl Fake {
        fn new(cap: Option<Duration>) -> Arc<Self> {
            Arc::new(Self {
                start: Instant::now(),
                cap,
                failing: AtomicBool::new(false),
                calls: Mutex::default(),
            })
        }
        fn record(&self, what: &'static str) {
            let at = self.start.elapsed();
            self.calls.lock().unwrap().push((what, at));
        }
        /// When `what` ran.
        fn times(&self, what: &str) -> Vec<Duration> {
            let calls = self.calls.lock().unwrap();
            calls.iter().filter(|c| c.0 == what).map(|c| c.1).collect()
        }
    }

    impl Driven for Fake {
        fn event(&self) -> EventId {
            EventId::new()
        }
        async fn sync(&self) -> Result<(), StoreError> {
            self.record("sync");
            if self.failing.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("down".into()));
            }
            Ok(())
        }
        async fn step(&self) -> Result<(), StoreError> {
            self.record("step");
            Ok(())
        }
        fn push_positions(&self) {
            self.record("push");
        }
        async fn presence(&self, renew: bool, _beat: Duration) -> Result<(), StoreError> {
            if renew {
                self.record("beat");
            }
            Ok(())
        }
        fn heartbeat_cap(&self) -> Option<Duration> {
            self.cap
        }
    }

    fn gaps(times: &[Duration]) -> Vec<Duration> {
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn spawn(fake: &Arc<Fake>, cancel: &CancellationToken) -> tokio::task::JoinHandle<()> {
        let (fake, cancel) = (Arc::clone(fake), cancel.clone());
        tokio::spawn(async move { run(&*fake, Cadence::default(), cancel).await })
    }

    #[tokio::test(start_paused = true)]
    async fn positions_are_pushed_once_a_second_and_admission_runs_on_its_cadence() {
        let fake = Fake::new(None);
        let cancel = CancellationToken::new();
        let task = spawn(&fake, &cancel);
        tokio::time::sleep(Duration::from_millis(10_050)).await;
        cancel.cancel();
        task.await.unwrap();

        let second = Duration::from_secs(1);
        let pushes = fake.times("push");
        assert_eq!(pushes.len(), 11, "at 0 s, 1 s, … 10 s: {pushes:?}");
        assert!(gaps(&pushes).iter().all(|g| *g == second), "{pushes:?}");

        // Every 250 ms at the most, on the 100 ms poll grid: every 300 ms.
        let steps = fake.times("step");
        assert_eq!(steps.len(), 34, "{steps:?}");
        assert!(gaps(&steps)
            .iter()
            .all(|g| *g == Duration::from_millis(300)));

        // The log is read every poll, and again after each admission step.
        assert_eq!(fake.times("sync").len(), 101 + 34);
        // Heartbeats every 10 s, the first 10 s after the start.
        assert_eq!(fake.times("beat"), vec![Duration::from_secs(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_come_four_times_per_grace_period() {
        let fake = Fake::new(Some(Duration::from_secs(2)));
        let cancel = CancellationToken::new();
        let task = spawn(&fake, &cancel);
        tokio::time::sleep(Duration::from_millis(8_050)).await;
        cancel.cancel();
        task.await.unwrap();
        let beats = fake.times("beat");
        assert_eq!(beats.len(), 4, "{beats:?}");
        assert!(gaps(&beats).iter().all(|g| *g == Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_log_read_skips_the_rest_of_the_tick() {
        let fake = Fake::new(None);
        fake.failing.store(true, Ordering::SeqCst);
        let cancel = CancellationToken::new();
        let task = spawn(&fake, &cancel);
        tokio::time::sleep(Duration::from_millis(2_050)).await;
        fake.failing.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        cancel.cancel();
        task.await.unwrap();
        assert_eq!(fake.times("step")[0], Duration::from_millis(2_100));
        assert_eq!(fake.times("push")[0], Duration::from_millis(2_100));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_stops_the_loop_at_once() {
        let fake = Fake::new(None);
        let cancel = CancellationToken::new();
        let task = spawn(&fake, &cancel);
        tokio::time::sleep(Duration::from_millis(450)).await;
        cancel.cancel();
        task.await.unwrap();
        let n = fake.calls.lock().unwrap().len();
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(fake.calls.lock().unwrap().len(), n);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_step_reports_each_step_to_the_hook() {
        let fake = Fake::new(None);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hook: StepHook = {
            let seen = Arc::clone(&seen);
            Arc::new(move |_, took, ok| seen.lock().unwrap().push((took, ok)))
        };
        let cancel = CancellationToken::new();
        let task = {
            let (fake, cancel) = (Arc::clone(&fake), cancel.clone());
            tokio::spawn(async move {
                let timed = TimedStep { room: &*fake, hook };
                run(&timed, Cadence::default(), cancel).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(950)).await;
        cancel.cancel();
        task.await.unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), fake.times("step").len());
        assert_eq!(seen.len(), 4, "at 0, 300, 600 and 900 ms");
        assert!(seen.iter().all(|(_, ok)| *ok));
    }
}
