//! Admin stats: an event's counters as of now (from the queue and seat stores), the
//! live object the console reads every second (plus revenue, sockets on this replica
//! and the time to clear the queue), and the sampler that keeps the last 15 minutes
//! per event on each replica so a console opened mid-sale can draw history.

pub mod fairness;
mod history;

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use waiting_room::store::{QueueStats, StoreError};
use waiting_room::EventId;

pub use history::{History, Sample, HISTORY_LEN};

use crate::state::{AppState, StateError};

/// How often the sampler takes each open event's counters.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// An event's counters at one moment (one store read of each kind, no database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub at_ms: i64,
    pub queue: QueueStats,
    pub held: u32,
    pub sold: u32,
    /// Seats an admin held back from sale.
    pub held_back: u32,
    pub capacity: u64,
    pub rate_per_minute: u32,
    pub max_active: u32,
    pub paused: bool,
}

impl Snapshot {
    pub fn sample(&self) -> Sample {
        Sample {
            at_ms: self.at_ms,
            waiting: self.queue.waiting,
            prequeue: self.queue.prequeue,
            admitted_last_minute: self.queue.admitted_last_minute,
            active: self.queue.active,
            held: self.held,
            sold: self.sold,
            rate_per_minute: self.rate_per_minute,
            max_active: self.max_active,
            paused: self.paused,
        }
    }
}

/// The event's counters now. Settings come from the store (what admission runs on),
/// falling back to the database's while the store has none.
pub async fn snapshot(state: &AppState, id: EventId) -> Result<Snapshot, StateError> {
    let event = state.event(id).await?;
    let queue = match state.hub.store().stats(id).await {
        Err(StoreError::UnknownEvent) => QueueStats::default(),
        other => other?,
    };
    let seats = state.seat_counts(id).await?.unwrap_or_default();
    let settings = state
        .hub
        .store()
        .config(id)
        .await?
        .map_or(event.admission, |c| c.admission);
    Ok(Snapshot {
        at_ms: state.clock().now_ms(),
        queue,
        held: seats.held,
        sold: seats.sold,
        held_back: seats.held_back,
        capacity: event.capacity(),
        rate_per_minute: settings.rate_per_minute,
        max_active: settings.max_active,
        paused: settings.paused,
    })
}

/// The object of `GET …/stats` and of each `…/stats/ws` frame.
pub async fn stats_value(state: &AppState, id: EventId) -> Result<Value, StateError> {
    let s = snapshot(state, id).await?;
    let revenue_cents = state.db.revenue_cents(id).await?;
    let connected = state.hub.room(id).map_or(0, |r| r.local_sockets());
    let fairness = fairness::figures(state, id, s.queue.opened).await?;
    Ok(json!({
        "waiting": s.queue.waiting,
        "prequeue": s.queue.prequeue,
        "admitted_total": s.queue.admitted_total,
        "active": s.queue.active,
        "held": s.held,
        "sold": s.sold,
        "held_back": s.held_back,
        "capacity": s.capacity,
        "rate_per_minute": s.rate_per_minute,
        "max_active": s.max_active,
        "admitted_last_minute": s.queue.admitted_last_minute,
        "paused": s.paused,
        "opened": s.queue.opened,
        "at_ms": s.at_ms,
        "revenue_cents": revenue_cents,
        "connected": connected,
        "eta_clear_secs": eta_clear_secs(
            s.queue.waiting,
            s.queue.admitted_last_minute,
            s.rate_per_minute,
            s.paused
        ),
        "fairness": fairness,
    }))
}

/// Seconds to admit the `waiting` fans at the pace achieved over the last minute, or
/// at the configured rate when nobody was admitted in it. `None` when no pace can be
/// told (paused, or both are 0); 0 when nobody waits.
pub fn eta_clear_secs(
    waiting: u64,
    admitted_last_minute: u64,
    rate_per_minute: u32,
    paused: bool,
) -> Option<u64> {
    if waiting == 0 {
        return Some(0);
    }
    if paused {
        return None;
    }
    let per_minute = match admitted_last_minute {
        0 => u64::from(rate_per_minute),
        n => n,
    };
    if per_minute == 0 {
        return None;
    }
    Some((waiting.saturating_mul(60)).div_ceil(per_minute))
}

/// Samples every open event into `state.history` every [`SAMPLE_INTERVAL`] until
/// `stop` is cancelled. Each replica keeps its own history (the counters are the
/// shared store's, so any replica's history is the same but for when it started).
pub fn spawn_sampler(state: &AppState, stop: CancellationToken) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            sample_open_events(&state).await;
        }
    });
}

async fn sample_open_events(state: &AppState) {
    let open: Vec<EventId> = state.open_event_ids();
    state.history.retain(|id| open.contains(id));
    for id in open {
        match snapshot(state, id).await {
            Ok(s) => state.history.record(id, s.sample()),
            Err(error) => tracing::warn!(%error, event_id = %id, "stats sample failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_uses_the_achieved_pace_then_the_configured_rate() {
        // 300 waiting at 120 admitted in the last minute: 150 s; 301 rounds up.
        assert_eq!(eta_clear_secs(300, 120, 60, false), Some(150));
        assert_eq!(eta_clear_secs(301, 120, 60, false), Some(151));
        // Nobody admitted yet: the configured rate (60/min).
        assert_eq!(eta_clear_secs(301, 0, 60, false), Some(301));
        // Nobody waits: done, even when paused.
        assert_eq!(eta_clear_secs(0, 0, 60, true), Some(0));
        // Paused, or no pace at all: unknown.
        assert_eq!(eta_clear_secs(10, 120, 60, true), None);
        assert_eq!(eta_clear_secs(10, 0, 0, false), None);
    }
}
