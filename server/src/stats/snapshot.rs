//! The stats snapshot: ONE type for an event's counters at one moment, serialised as
//! the stats API's body (and each stats socket frame), sampled for the history and
//! read by the metrics. Every field is declared once: the history's [`Sample`] is the
//! part of the [`Snapshot`] the console charts (flattened into it), and the API's
//! [`Stats`] is the snapshot (flattened) plus the figures only the API reads (the
//! database's revenue and fairness, the sockets on this replica, the time to clear).

use serde::Serialize;
use utoipa::ToSchema;

use super::fairness::Fairness;
use crate::metrics::EventSeries;

/// One sample of an event's counters in the stats history: what the console charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StatsSample)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// Server time of the sample, Unix milliseconds.
    pub at_ms: i64,
    /// Fans in the queue.
    pub waiting: u64,
    /// Fans in the pre-queue (joined before the opening).
    pub prequeue: u64,
    pub admitted_last_minute: u64,
    /// Admitted fans whose shopping session is running.
    pub active: u64,
    /// Seats held right now (0 while the seat store has not loaded the event's seats).
    pub held: u32,
    /// Seats sold (0 while the seat store has not loaded the event's seats).
    pub sold: u32,
    pub rate_per_minute: u32,
    pub max_active: u32,
    pub paused: bool,
    /// The admission mode (docs/ARCHITECTURE.md, "Admission modes").
    pub mode: waiting_room::AdmissionMode,
}

/// An event's counters at one moment, from one store read of each kind (no
/// database): the sample the history keeps, plus the totals and settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = StatsSnapshot)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    #[serde(flatten)]
    pub sample: Sample,
    pub admitted_total: u64,
    /// Seats an admin held back from sale (`holdBackSeats`); not for sale, so the sale
    /// is sold out when held + sold + held back reach `capacity`.
    pub held_back: u32,
    pub capacity: u64,
    /// Whether the opening has happened (the pre-queue was shuffled into the queue).
    pub opened: bool,
}

/// The per-event series `/metrics` shows of each open event's snapshot (gauges, and
/// the admitted counter).
pub const METRIC_SERIES: [EventSeries<Snapshot>; 6] = [
    (
        "floodgate_event_waiting",
        "Fans in the queue, not yet admitted (stats API `waiting`).",
        |e| e.sample.waiting,
    ),
    (
        "floodgate_event_prequeue",
        "Fans in the pre-queue before the sale opens (stats API `prequeue`).",
        |e| e.sample.prequeue,
    ),
    (
        "floodgate_event_active",
        "Admitted fans whose shopping session is live (stats API `active`).",
        |e| e.sample.active,
    ),
    (
        "floodgate_event_held",
        "Seats held, not yet confirmed (stats API `held`).",
        |e| u64::from(e.sample.held),
    ),
    (
        "floodgate_event_sold",
        "Seats sold (stats API `sold`).",
        |e| u64::from(e.sample.sold),
    ),
    (
        "floodgate_event_admitted_total",
        "Fans admitted since the sale opened (stats API `admitted_total`).",
        |e| e.admitted_total,
    ),
];

/// An event's queue and admission counters (also the frame of the stats WebSocket).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    /// Sum of the totals of the event's confirmed orders (holds are not revenue).
    #[schema(minimum = 0)]
    pub revenue_cents: i64,
    /// Queue WebSocket sockets open for this event on this replica (a fan with two
    /// tabs counts twice; each replica behind a load balancer answers its own share).
    pub connected: usize,
    /// Seconds to admit everyone in the queue (`waiting`, not the pre-queue) at the
    /// pace of `admitted_last_minute` per minute, or at `rate_per_minute` when that is
    /// 0. 0 when nobody waits; null when paused or when both paces are 0.
    #[schema(required = true)]
    pub eta_clear_secs: Option<u64>,
    pub fairness: Fairness,
    /// What the safety net does now (docs/ARCHITECTURE.md, "The safety net").
    pub safety_net: NetState,
    /// Joins (new places) in the last minute, as the safety net counts them (only
    /// while it is set in mode `queue`; 0 otherwise).
    pub arrivals_last_minute: u64,
}

/// What the safety net does now: `off` (not set, or the mode is not `queue`),
/// `through` (nobody waits, shoppers and arrivals under its levels, not paused: a join
/// is admitted at once) or `queueing` (a level passed, or fans wait: joins queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetState {
    Off,
    Through,
    Queueing,
}

impl NetState {
    /// The net's state from the settings and the counters.
    pub fn of(
        settings: &waiting_room::AdmissionSettings,
        waiting: u64,
        active: u64,
        arrivals: u64,
    ) -> Self {
        let Some(net) = settings.safety_net else {
            return Self::Off;
        };
        if settings.mode != waiting_room::AdmissionMode::Queue {
            return Self::Off;
        }
        let shoppers = u64::from(net.max_shoppers.min(settings.max_active));
        if settings.paused
            || waiting > 0
            || active >= shoppers
            || arrivals >= u64::from(net.max_arrivals_per_minute)
        {
            Self::Queueing
        } else {
            Self::Through
        }
    }
}

/// The last 15 minutes of an event's stats as sampled by this replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsHistory {
    /// Seconds between samples (5).
    pub interval_secs: u64,
    /// Oldest first; empty until the first sample.
    #[schema(max_items = 180)]
    pub samples: Vec<Sample>,
}

/// Sent on the stats WebSocket instead of `Stats` when a tick fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsError {
    #[schema(inline)]
    pub r#type: FrameType,
    #[schema(example = "internal")]
    pub code: &'static str,
    pub message: String,
}

/// The `type` of a [`StatsError`] frame (a `Stats` frame has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FrameType {
    Error,
}

#[cfg(test)]
mod tests {
    use waiting_room::EventId;

    use super::*;
    use crate::metrics::Metrics;

    /// Each `floodgate_event_*` series shows its own figure of the snapshot.
    #[test]
    fn the_metric_series_show_the_snapshot() {
        let snapshot = Snapshot {
            sample: Sample {
                at_ms: 0,
                waiting: 7,
                prequeue: 1,
                admitted_last_minute: 5,
                active: 2,
                held: 3,
                sold: 4,
                rate_per_minute: 60,
                max_active: 10,
                paused: false,
                mode: Default::default(),
            },
            admitted_total: 9,
            held_back: 6,
            capacity: 100,
            opened: true,
        };
        let id = EventId::new();
        let text = Metrics::new().render_with_events(&[], &METRIC_SERIES, &[(id, snapshot)]);
        for (name, value) in [
            ("waiting", 7),
            ("prequeue", 1),
            ("active", 2),
            ("held", 3),
            ("sold", 4),
            ("admitted_total", 9),
        ] {
            let line = format!("floodgate_event_{name}{{event_id=\"{id}\"}} {value}\n");
            assert!(text.contains(&line), "{line} in {text}");
        }
    }
}
