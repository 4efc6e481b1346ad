//! Admin stats: an event's counters as of now (from the queue and seat stores), the
//! live object the console reads every second (plus revenue, sockets on this replica
//! and the time to clear the queue), and the sampler that keeps the last 15 minutes
//! per event on each replica so a console opened mid-sale can draw history.
//!
//! [`StatsService`] owns all of it (the history and the fairness figures' cache
//! included); it reads events through [`crate::events::Events`] and knows nothing of
//! the application state.

pub mod fairness;
mod history;
mod snapshot;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use waiting_room::hub::Hub;
use waiting_room::store::{QueueStats, StoreError};
use waiting_room::EventId;

pub use history::{History, HISTORY_LEN};
pub use snapshot::{
    FrameType, NetState, Sample, Snapshot, Stats, StatsError, StatsHistory, METRIC_SERIES,
};

use crate::checkout::Checkout;
use crate::db::Db;
use crate::events::{EventError, Events};

/// How often the sampler takes each open event's counters.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// The stats of this replica's events: snapshots, the API's figures, the history.
pub struct StatsService {
    events: Arc<Events>,
    hub: Arc<Hub>,
    checkout: Arc<Checkout>,
    db: Db,
    /// The last 15 minutes of each open event's stats, for the admin console's charts.
    history: History,
    fairness: fairness::Cache,
}

impl StatsService {
    pub fn new(events: Arc<Events>, hub: Arc<Hub>, checkout: Arc<Checkout>, db: Db) -> Self {
        Self {
            events,
            hub,
            checkout,
            db,
            history: History::default(),
            fairness: fairness::Cache::default(),
        }
    }

    /// The event's counters now. Settings come from the store (what admission runs
    /// on), falling back to the database's while the store has none.
    pub async fn snapshot(&self, id: EventId) -> Result<Snapshot, EventError> {
        self.read(id).await.map(|(snapshot, _, _)| snapshot)
    }

    /// [`Self::snapshot`], with what the safety net's state is judged by.
    async fn read(&self, id: EventId) -> Result<(Snapshot, NetState, u64), EventError> {
        let event = self.events.get(id).await?;
        let store = self.hub.store();
        let queue = match store.stats(id).await {
            Err(StoreError::UnknownEvent) => QueueStats::default(),
            other => other?,
        };
        let seats = self.checkout.seat_counts(id).await?.unwrap_or_default();
        let settings = store
            .config(id)
            .await?
            .map_or_else(|| event.admission.clone(), |c| c.admission);
        let net = NetState::of(
            &settings,
            queue.waiting,
            queue.active,
            queue.arrivals_last_minute,
        );
        let snapshot = Snapshot {
            sample: Sample {
                at_ms: self.hub.clock().now_ms(),
                waiting: queue.waiting,
                prequeue: queue.prequeue,
                admitted_last_minute: queue.admitted_last_minute,
                active: queue.active,
                held: seats.held,
                sold: seats.sold,
                rate_per_minute: settings.rate_per_minute,
                max_active: settings.max_active,
                paused: settings.paused,
                mode: settings.mode,
            },
            admitted_total: queue.admitted_total,
            held_back: seats.held_back,
            capacity: event.capacity(),
            opened: queue.opened,
        };
        Ok((snapshot, net, queue.arrivals_last_minute))
    }

    /// The body of `GET …/stats` and of each `…/stats/ws` frame.
    pub async fn stats(&self, id: EventId) -> Result<Stats, EventError> {
        let (snapshot, safety_net, arrivals_last_minute) = self.read(id).await?;
        let s = &snapshot.sample;
        Ok(Stats {
            revenue_cents: self.db.revenue_cents(id).await?,
            connected: self.hub.room(id).map_or(0, |r| r.local_sockets()),
            eta_clear_secs: eta_clear_secs(
                s.waiting,
                s.admitted_last_minute,
                s.rate_per_minute,
                s.paused || !s.mode.admits(),
            ),
            fairness: self
                .fairness
                .figures(
                    fairness::Sources {
                        events: &self.events,
                        hub: &self.hub,
                        db: &self.db,
                    },
                    id,
                    snapshot.opened,
                )
                .await?,
            safety_net,
            arrivals_last_minute,
            snapshot,
        })
    }

    /// The body of `GET …/stats/history`: this replica's samples of the event.
    pub async fn history(&self, id: EventId) -> Result<StatsHistory, EventError> {
        self.events.get(id).await?;
        Ok(StatsHistory {
            interval_secs: SAMPLE_INTERVAL.as_secs(),
            samples: self.history.samples(id),
        })
    }

    /// Samples every open event into the history every [`SAMPLE_INTERVAL`] until
    /// `stop` is cancelled. Each replica keeps its own history (the counters are the
    /// shared store's, so any replica's history is the same but for when it started).
    pub fn spawn_sampler(self: &Arc<Self>, stop: CancellationToken) {
        let stats = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                stats.sample_open_events().await;
            }
        });
    }

    async fn sample_open_events(&self) {
        let open: Vec<EventId> = self.events.open_ids();
        self.history.retain(|id| open.contains(id));
        for id in open {
            match self.snapshot(id).await {
                Ok(s) => self.history.record(id, s.sample),
                Err(error) => tracing::warn!(%error, event_id = %id, "stats sample failed"),
            }
        }
    }
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
