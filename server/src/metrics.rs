//! Process counters and histograms, rendered as Prometheus text at `/metrics`.
//!
//! Backed by the `metrics` facade and `metrics-exporter-prometheus`, with a recorder per
//! app rather than the process-global one: every [`Metrics`] (one per `AppState`) owns
//! its own [`PrometheusRecorder`] and registers its handles on it directly, so several
//! servers in one process (the API tests start many) never count into each other. The
//! global `metrics::counter!` macros are not used for that reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use metrics::{Counter, Key, KeyName, Label, Recorder, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use waiting_room::EventId;

mod backends;
pub mod checkout_window;
mod per_event;
mod recording;

use recording::Recording;

pub use backends::{store_error_kind, DbOp, DbTimes, StoreTimes};
pub use per_event::EventSeries;

/// Upper bounds (seconds) of every histogram's buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0,
];

const FANOUT: &str = "floodgate_position_fanout_seconds";
const FANOUT_MAX: &str = "floodgate_position_fanout_seconds_max";
const HTTP_SECONDS: &str = "floodgate_http_request_seconds";
const STEP_SECONDS: &str = "floodgate_admission_step_seconds";

pub struct Metrics {
    recorder: Arc<Recording>,
    pub http_errors_5xx: Counter,
    pub queue_joins: Counter,
    pub queue_messages_in: Counter,
    /// Messages sent on queue sockets, and the writes (flushes) that carried them: the
    /// messages of one view change go out in one write.
    pub queue_messages_out: Counter,
    pub queue_writes: Counter,
    pub queue_bad_messages: Counter,
    pub rate_limited: Counter,
    /// New queue sockets and HTTP joins turned away while the store is slow.
    pub queue_shed: Counter,
    /// From a room's position push to the `position` message written on a socket.
    pub position_fanout: Histogram,
    /// Time to answer HTTP requests, per route template and status code.
    pub http: RouteTimes,
    /// How long each room's admission step (`Room::step`) took, every event together.
    pub admission_step: Histogram,
    pub admission_step_errors: Counter,
    /// Calls of the queue store (`store="queue"`), timed by `observe::store`.
    pub queue_store: Arc<StoreTimes>,
    /// Calls of the seat store (`store="seats"`).
    pub seat_store: Arc<StoreTimes>,
    /// Database calls, timed by `db` itself.
    pub db: Arc<DbTimes>,
    /// Holds and confirms: the cumulative counts autotune reads its window from.
    pub checkout: checkout_window::CheckoutWindow,
}

/// The recorder's builder: the default buckets, and the backends' own.
fn builder() -> PrometheusBuilder {
    let buckets = |builder: PrometheusBuilder, name: &str, values: &[f64]| {
        builder
            .set_buckets_for_metric(Matcher::Full(name.to_owned()), values)
            .expect("the bucket list is not empty")
    };
    let builder = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .expect("the bucket list is not empty");
    let builder = buckets(
        builder,
        backends::STORE_OP_SECONDS,
        &backends::STORE_BUCKETS,
    );
    let builder = buckets(builder, backends::DB_OP_SECONDS, &backends::DB_BUCKETS);
    buckets(builder, backends::DB_BATCH_SIZE, &backends::BATCH_BUCKETS)
}

/// A Prometheus histogram with fixed buckets, plus the largest value seen (rendered as
/// its own `_max` gauge).
pub struct Histogram {
    recorder: Arc<Recording>,
    inner: metrics::Histogram,
    max_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, value: Duration) {
        self.inner.record(value.as_secs_f64());
        let us = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.max_us.fetch_max(us, Ordering::Relaxed);
        self.recorder.sampled();
    }
}

/// A histogram per route template and status code (a bounded set: the router's own
/// paths times the few codes each answers).
pub struct RouteTimes {
    recorder: Arc<Recording>,
    /// Route template, then status code (nested so a lookup allocates nothing).
    routes: RwLock<HashMap<String, HashMap<u16, metrics::Histogram>>>,
}

impl RouteTimes {
    pub fn observe(&self, route: &str, status: u16, took: Duration) {
        let known = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .and_then(|codes| codes.get(&status))
            .cloned();
        let histogram = known.unwrap_or_else(|| {
            let key = Key::from_parts(
                HTTP_SECONDS,
                vec![
                    Label::new("route", route.to_owned()),
                    Label::new("status", status.to_string()),
                ],
            );
            self.routes
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(route.to_owned())
                .or_default()
                .entry(status)
                .or_insert_with(|| self.recorder.histogram(&key))
                .clone()
        });
        histogram.record(took.as_secs_f64());
        self.recorder.sampled();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = Arc::new(Recording::new(builder()));
        let r = &recorder;
        let fanout = Key::from_static_name(FANOUT);
        r.recorder.describe_histogram(
            KeyName::from_const_str(FANOUT),
            None,
            SharedString::const_str(
                "From a room's position push to its position message written on a socket.",
            ),
        );
        r.recorder.describe_histogram(
            KeyName::from_const_str(HTTP_SECONDS),
            None,
            SharedString::const_str(
                "Time to answer an HTTP request (WebSockets: the upgrade), by route template and status code.",
            ),
        );
        for (name, help) in [
            (
                backends::STORE_OP_SECONDS,
                "Time of one call of the queue or seat store, by store and op (method).",
            ),
            (
                backends::DB_OP_SECONDS,
                "Time of one database call, by op (write_order: a confirm's order write to its commit).",
            ),
            (
                backends::DB_BATCH_SIZE,
                "Orders written in one group-commit transaction (PostgreSQL).",
            ),
        ] {
            r.recorder.describe_histogram(
                KeyName::from_const_str(name),
                None,
                SharedString::const_str(help),
            );
        }
        for (name, help) in [
            (
                backends::STORE_ERRORS,
                "Store calls that failed, by store, op and kind (unavailable: unreachable or too slow; backend: an error answer).",
            ),
            (
                backends::DB_ERRORS,
                "Database calls that failed, by op (a unique-constraint conflict the code answers is not counted).",
            ),
        ] {
            r.recorder.describe_counter(
                KeyName::from_const_str(name),
                None,
                SharedString::const_str(help),
            );
        }
        r.recorder.describe_histogram(
            KeyName::from_const_str(STEP_SECONDS),
            None,
            SharedString::const_str(
                "Time of one admission step (open when due, then admit), all events.",
            ),
        );
        Self {
            admission_step: Histogram {
                recorder: recorder.clone(),
                inner: r.histogram(&Key::from_static_name(STEP_SECONDS)),
                max_us: AtomicU64::new(0),
            },
            admission_step_errors: r.counter(
                "floodgate_admission_step_errors_total",
                "Admission steps that failed (the store refused or was unreachable).",
            ),
            http_errors_5xx: r.counter("floodgate_http_5xx_total", "Responses with a 5xx status."),
            queue_joins: r.counter("floodgate_queue_joins_total", "Join messages handled."),
            queue_messages_in: r.counter(
                "floodgate_queue_messages_in_total",
                "Frames received on queue sockets.",
            ),
            queue_messages_out: r.counter(
                "floodgate_queue_messages_out_total",
                "Messages sent on queue sockets.",
            ),
            queue_writes: r.counter(
                "floodgate_queue_writes_total",
                "Writes to queue sockets (the messages of one view change go out in one write).",
            ),
            queue_bad_messages: r.counter(
                "floodgate_queue_bad_messages_total",
                "Frames answered with an error.",
            ),
            rate_limited: r.counter("floodgate_rate_limited_total", "Requests refused with 429."),
            queue_shed: r.counter(
                "floodgate_queue_shed_total",
                "New queue sockets and HTTP joins refused with 503 while the store answered slowly.",
            ),
            position_fanout: Histogram {
                recorder: recorder.clone(),
                inner: r.histogram(&fanout),
                max_us: AtomicU64::new(0),
            },
            http: RouteTimes {
                recorder: recorder.clone(),
                routes: RwLock::default(),
            },
            queue_store: Arc::new(StoreTimes::new(
                recorder.clone(),
                "queue",
                backends::queue_labels(),
            )),
            seat_store: Arc::new(StoreTimes::new(
                recorder.clone(),
                "seats",
                backends::seat_labels(),
            )),
            db: Arc::new(DbTimes::new(recorder.clone())),
            checkout: checkout_window::CheckoutWindow::default(),
            recorder,
        }
    }

    pub fn inc(counter: &Counter) {
        counter.increment(1);
    }

    /// Prometheus exposition text; `gauges` are (name, help, value) read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        self.render_with_events::<()>(gauges, &[], &[])
    }

    /// [`Self::render`] plus the per-event `series` of `events` (each event's figures,
    /// read at scrape time). Those go through a recorder made for this scrape alone, so
    /// an event that is closed or gone leaves no stale series behind.
    pub fn render_with_events<T>(
        &self,
        gauges: &[(&str, &str, f64)],
        series: &[EventSeries<T>],
        events: &[(EventId, T)],
    ) -> String {
        for (name, help, value) in gauges {
            self.recorder.gauge(name, help).set(*value);
        }
        let max = self.position_fanout.max_us.load(Ordering::Relaxed) as f64 / 1e6;
        self.recorder
            .gauge(FANOUT_MAX, "Largest value observed.")
            .set(max);
        let mut text = self.recorder.handle.render();
        if !events.is_empty() {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&per_event::render(series, events));
        }
        text
    }
}

#[cfg(test)]
mod tests;
