//! A room's loop on tokio time: read the change log every poll, run the admission
//! step, push positions and send presence heartbeats each on its own cadence, until
//! cancelled. Written against [`Driven`] rather than the room itself, so the cadence
//! is tested with a recording fake under `tokio::time::pause()`.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::store::StoreError;
use crate::EventId;

/// How often a room does each part of its work.
#[derive(Clone, Copy, Debug)]
pub struct Cadence {
    /// Reading the change log (admissions reach fans this fast).
    pub poll: Duration,
    /// Running the admission step.
    pub admit: Duration,
    /// Pushing people-ahead (the contract: at most once a second).
    pub position: Duration,
    /// Presence heartbeats (also capped at a quarter of the grace period).
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
    /// Presence heartbeat for the local waiting fans.
    fn heartbeat(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A quarter of the reconnect grace period, once known: heartbeats come at
    /// least this often.
    fn heartbeat_cap(&self) -> Option<Duration>;
}

/// Runs `room`'s loop until `cancel` is cancelled. The first admission step and the
/// first position push come on the first tick; the first heartbeat one heartbeat
/// period after the start.
pub async fn run<R: Driven>(room: &R, cadence: Cadence, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(cadence.poll);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut last_admit, mut last_push, mut last_beat) = (None, None, Some(Instant::now()));
    let due =
        |last: Option<Instant>, every: Duration| last.is_none_or(|t: Instant| t.elapsed() >= every);
    let event = room.event();
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
        let beat = room.heartbeat_cap().unwrap_or(cadence.heartbeat);
        if due(last_beat, cadence.heartbeat.min(beat)) {
            last_beat = Some(Instant::now());
            if let Err(error) = room.heartbeat().await {
                tracing::warn!(%error, %event, "presence heartbeat failed");
            }
        }
    }
}
