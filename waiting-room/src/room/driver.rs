//! A room's loop on tokio time: read the change log when it changed, run the admission
//! step when it can do something, push positions and renew the replica's presence
//! lease each on its own cadence, and write presence changes (fans' sockets opened or
//! closed) every poll, until cancelled. Written against [`Driven`] rather than the
//! room itself, so the cadence is tested with a recording fake under
//! `tokio::time::pause()`.
//!
//! Issue 19: a room's fixed Redis work. Beside the ticks, the loop waits on the store
//! for the log to grow ([`Driven::wait_change`], Redis' `XREAD BLOCK`) and reads it
//! at once when it did (at most once a poll: else the next tick reads it); a tick
//! reads it too after a failed store call or when [`FALLBACK_SYNC`] passed. A store
//! that cannot wait, or whose waits fail, is read every tick, as before.
//! An admission step tells how long the next one could do nothing ([`Stepped::idle`]);
//! the loop skips steps until then (at most [`IDLE_STEP_CAP`]), unless the room's own
//! view changed what a step could do ([`Driven::pace`]: a fan waiting in an empty
//! line, new settings, the opening due).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::store::{StoreError, Wake};
use crate::{EventId, QueueConfig};

/// Told how long each admission step ([`super::Room::step`]) took and whether it
/// succeeded, with the event; the server times the step with it (this crate records
/// nothing).
pub type StepHook = std::sync::Arc<dyn Fn(EventId, Duration, bool) + Send + Sync>;

/// How long a wait that saw the log grow gives a read already under way (the room's
/// own, after its admission step) before it asks the next tick for one.
const READ_SOON: Duration = Duration::from_millis(10);
/// How long one wait for the change log lasts before it is made again.
pub const WAIT: Duration = Duration::from_secs(2);
/// A room that waits for its log still reads it this often, whatever the wait says.
pub const FALLBACK_SYNC: Duration = Duration::from_secs(5);
/// The longest a room goes without an admission step (what a step's idle hint cannot
/// foresee, such as a released session under the active cap, waits at most this).
pub const IDLE_STEP_CAP: Duration = Duration::from_secs(1);

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

/// What one admission step did, for the loop's pacing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stepped {
    /// It wrote to the change log (opened the sale, admitted or dropped fans): the
    /// loop reads the log at once.
    pub wrote: bool,
    /// How long the next step could do nothing (`None`: unknown, step on cadence).
    pub idle: Option<Duration>,
}

/// What the room knows that changes what a step could do, and the store's idle hint
/// could not foresee: compared with its value at the last step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pace {
    /// Some fan waits (a join into an empty line).
    pub waiting: bool,
    /// The settings (rate, cap, pause).
    pub config: Option<QueueConfig>,
    /// The sale has opened, or its opening is due.
    pub opened: bool,
    pub open_due: bool,
}

/// What the loop drives: one event's room.
pub trait Driven: Send + Sync {
    fn event(&self) -> EventId;
    /// Reads the change log up to its end.
    fn sync(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Opens the sale when due, then runs one admission step.
    fn step(&self) -> impl Future<Output = Result<Stepped, StoreError>> + Send;
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
    /// Waits up to `limit` for the change log to grow past what the room has read
    /// ([`crate::store::QueueStore::wait_changes`]).
    fn wait_change(&self, limit: Duration)
        -> impl Future<Output = Result<Wake, StoreError>> + Send;
    /// See [`Pace`].
    fn pace(&self) -> Pace;
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
    async fn step(&self) -> Result<Stepped, StoreError> {
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
    async fn wait_change(&self, limit: Duration) -> Result<Wake, StoreError> {
        self.room.wait_change(limit).await
    }
    fn pace(&self) -> Pace {
        self.room.pace()
    }
}

/// Shared between the ticks and the wait for the log.
struct Signals {
    /// The log may have grown (or a store call failed): read it at the next tick.
    stale: AtomicBool,
    /// The store cannot wait, or the last wait failed: read the log every tick.
    polling: AtomicBool,
    /// Counts completed log reads (the wait resumes after the next one).
    synced: watch::Sender<u64>,
    /// The wait saw the log grow: read it now unless a read came less than a poll
    /// ago (then the next tick does).
    wake: Notify,
}

/// Runs `room`'s loop until `cancel` is cancelled. The first log read, admission step
/// and position push come on the first tick; the first heartbeat one heartbeat
/// period after the start (presence changes are written every tick; the drain's last
/// ones by [`crate::hub::Hub::flush_presence`]).
pub async fn run<R: Driven>(room: &R, cadence: Cadence, cancel: CancellationToken) {
    let signals = Signals {
        stale: AtomicBool::new(true),
        polling: AtomicBool::new(false),
        synced: watch::Sender::new(0),
        wake: Notify::new(),
    };
    tokio::select! {
        () = ticks(room, cadence, &cancel, &signals) => {}
        () = watch_log(room, cadence, &signals) => {}
    }
}

/// Waits for the log to grow past the room's cursor, marks it stale, and waits for the
/// tick that reads it before waiting again. Never returns.
async fn watch_log<R: Driven>(room: &R, cadence: Cadence, signals: &Signals) {
    let mut synced = signals.synced.subscribe();
    loop {
        let before = *synced.borrow_and_update();
        let waited = room.wait_change(WAIT).await;
        if waited.is_ok() {
            signals.polling.store(false, Ordering::SeqCst);
        }
        match waited {
            Ok(Wake::Quiet) => {}
            Ok(Wake::Changed) => {
                // The room's own step read what it wrote right after: a read that
                // completed meanwhile, or within READ_SOON, may have covered the
                // change, and the next wait (from the new cursor) tells.
                let read = *synced.borrow() != before
                    || tokio::time::timeout(READ_SOON, synced.changed())
                        .await
                        .is_ok();
                if !read {
                    signals.stale.store(true, Ordering::SeqCst);
                    signals.wake.notify_one();
                    if synced.changed().await.is_err() {
                        return std::future::pending().await;
                    }
                }
            }
            Ok(Wake::Unsupported) => {
                signals.polling.store(true, Ordering::SeqCst);
                return std::future::pending().await;
            }
            Err(error) => {
                // Read every tick until a wait works again.
                tracing::debug!(%error, event = %room.event(), "change log wait failed");
                signals.polling.store(true, Ordering::SeqCst);
                tokio::time::sleep(cadence.poll).await;
            }
        }
    }
}

async fn ticks<R: Driven>(
    room: &R,
    cadence: Cadence,
    cancel: &CancellationToken,
    signals: &Signals,
) {
    let mut tick = tokio::time::interval(cadence.poll);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut last_admit, mut last_push, mut last_beat) = (None, None, Some(Instant::now()));
    let mut last_sync = None;
    // The earliest the next step could do something, and the room's pace then.
    let (mut step_at, mut paced): (Option<Instant>, Option<Pace>) = (None, None);
    let due =
        |last: Option<Instant>, every: Duration| last.is_none_or(|t: Instant| t.elapsed() >= every);
    let event = room.event();
    let beat = || {
        room.heartbeat_cap()
            .map_or(cadence.heartbeat, |cap| cadence.heartbeat.min(cap))
    };
    let stale = || signals.stale.store(true, Ordering::SeqCst);
    let read = || async {
        let result = room.sync().await;
        match &result {
            Ok(()) => {
                signals.synced.send_modify(|n| *n += 1);
            }
            Err(error) => {
                stale();
                tracing::warn!(%error, %event, "change log read failed");
            }
        }
        result.is_ok()
    };
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = signals.wake.notified() => {
                if due(last_sync, cadence.poll) && signals.stale.swap(false, Ordering::SeqCst) {
                    last_sync = Some(Instant::now());
                    read().await;
                }
                continue;
            }
            _ = cancel.cancelled() => return,
        }
        let polling = signals.polling.load(Ordering::SeqCst);
        if polling || signals.stale.swap(false, Ordering::SeqCst) || due(last_sync, FALLBACK_SYNC) {
            last_sync = Some(Instant::now());
            if !read().await {
                continue;
            }
        }
        let pace = room.pace();
        let worth = step_at.is_none_or(|t| Instant::now() >= t) || paced.as_ref() != Some(&pace);
        if due(last_admit, cadence.admit) && worth {
            last_admit = Some(Instant::now());
            paced = Some(pace);
            match room.step().await {
                Ok(stepped) => {
                    step_at = stepped
                        .idle
                        .map(|idle| Instant::now() + idle.min(IDLE_STEP_CAP));
                    if stepped.wrote || polling {
                        last_sync = Some(Instant::now());
                        read().await;
                    }
                }
                Err(error) => {
                    step_at = None;
                    stale();
                    tracing::warn!(%error, %event, "admission step failed");
                }
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
            stale();
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
        /// The store can wait for its log (else `Unsupported`, read every tick).
        waits: bool,
        /// Log entries appended and not read yet.
        unread: AtomicBool,
        /// What each step answers.
        stepped: Mutex<Stepped>,
        pace: Mutex<Pace>,
    }

    impl Fake {
        fn new(cap: Option<Duration>) -> Arc<Self> {
            Arc::new(Self {
                start: Instant::now(),
                cap,
                failing: AtomicBool::new(false),
                calls: Mutex::default(),
                waits: false,
                unread: AtomicBool::new(false),
                stepped: Mutex::new(Stepped {
                    wrote: true,
                    idle: None,
                }),
                pace: Mutex::default(),
            })
        }
        /// A fake whose store waits for its log, and whose steps write nothing and
        /// say the next could do nothing for `idle`.
        fn waiting(idle: Option<Duration>) -> Arc<Self> {
            let mut fake = Arc::into_inner(Self::new(None)).unwrap();
            fake.waits = true;
            *fake.stepped.get_mut().unwrap() = Stepped { wrote: false, idle };
            Arc::new(fake)
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
            self.unread.store(false, Ordering::SeqCst);
            Ok(())
        }
        async fn step(&self) -> Result<Stepped, StoreError> {
            self.record("step");
            Ok(*self.stepped.lock().unwrap())
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
        async fn wait_change(&self, limit: Duration) -> Result<Wake, StoreError> {
            if !self.waits {
                return Ok(Wake::Unsupported);
            }
            // Wakes within 10 ms of an append, like a blocked XREAD.
            let until = Instant::now() + limit;
            while Instant::now() < until {
                if self.unread.load(Ordering::SeqCst) {
                    return Ok(Wake::Changed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(Wake::Quiet)
        }
        fn pace(&self) -> Pace {
            self.pace.lock().unwrap().clone()
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

    #[tokio::test(start_paused = true)]
    async fn a_store_that_waits_is_read_when_its_log_grew_and_on_the_fallback_only() {
        let fake = Fake::waiting(None);
        let cancel = CancellationToken::new();
        let task = spawn(&fake, &cancel);
        tokio::time::sleep(Duration::from_millis(2_050)).await;
        // Quiet: the first tick's read only (a polling loop reads 21 + 7 times).
        assert_eq!(fake.times("sync"), vec![Duration::ZERO]);
        fake.unread.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        // Seen by the wait within 10 ms and read at once (before the next 100 ms
        // tick), once.
        let syncs = fake.times("sync");
        assert_eq!(syncs.len(), 2, "{syncs:?}");
        assert!(syncs[1] > Duration::from_millis(2_050) && syncs[1] < Duration::from_millis(2_100));
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        // The fallback read, FALLBACK_SYNC after the last.
        tokio::time::sleep(FALLBACK_SYNC - Duration::from_millis(2_900)).await;
        let syncs = fake.times("sync");
        assert_eq!(syncs.len(), 3, "{syncs:?}");
        assert_eq!(syncs[2], Duration::from_millis(7_100), "{syncs:?}");
        cancel.cancel();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_wait_falls_back_to_reading_every_tick() {
        struct Failing(Arc<Fake>);
        impl Driven for Failing {
            fn event(&self) -> EventId {
                self.0.event()
            }
            async fn sync(&self) -> Result<(), StoreError> {
                self.0.sync().await
            }
            async fn step(&self) -> Result<Stepped, StoreError> {
                self.0.step().await
            }
            fn push_positions(&self) {}
            async fn presence(&self, _: bool, _: Duration) -> Result<(), StoreError> {
                Ok(())
            }
            fn heartbeat_cap(&self) -> Option<Duration> {
                None
            }
            async fn wait_change(&self, _: Duration) -> Result<Wake, StoreError> {
                Err(StoreError::Unavailable("down".into()))
            }
            fn pace(&self) -> Pace {
                Pace::default()
            }
        }
        let fake = Fake::waiting(Some(Duration::from_secs(60)));
        let cancel = CancellationToken::new();
        let task = {
            let (fake, cancel) = (Arc::clone(&fake), cancel.clone());
            tokio::spawn(async move { run(&Failing(fake), Cadence::default(), cancel).await })
        };
        tokio::time::sleep(Duration::from_millis(1_050)).await;
        cancel.cancel();
        task.await.unwrap();
        let syncs = fake.times("sync");
        let ticks: std::collections::BTreeSet<_> = syncs.iter().collect();
        assert_eq!(ticks.len(), 11, "every tick: {syncs:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn steps_that_can_do_nothing_are_skipped_until_the_idle_hint_or_a_change_of_pace() {
        // The store says the next step could do nothing for 600 ms.
        let fake = Fake::waiting(Some(Duration::from_millis(600)));
        let cancel = CancellationToken::new();
        let task = spawn(&fake, &cancel);
        tokio::time::sleep(Duration::from_millis(1_450)).await;
        let ms = Duration::from_millis;
        // At 0, then the first 300 ms grid tick at or after 600 ms, and so on.
        assert_eq!(fake.times("step"), vec![ms(0), ms(600), ms(1_200)]);
        // A fan joins an empty line: the next admission tick steps.
        fake.pace.lock().unwrap().waiting = true;
        tokio::time::sleep(ms(300)).await;
        assert_eq!(fake.times("step")[3], ms(1_500));
        // A hint beyond the cap: a step at least every IDLE_STEP_CAP.
        fake.stepped.lock().unwrap().idle = Some(Duration::from_secs(3_600));
        tokio::time::sleep(ms(2_600)).await;
        cancel.cancel();
        task.await.unwrap();
        let steps = fake.times("step");
        // (the step at 1.5 s still said 600 ms)
        assert_eq!(&steps[4..], &[ms(2_100), ms(3_100), ms(4_100)], "{steps:?}");
        // Steps that wrote nothing are not followed by a log read.
        assert_eq!(fake.times("sync"), vec![ms(0)]);
    }
}
