//! Process counters, rendered as Prometheus text at `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub http_errors_5xx: AtomicU64,
    pub queue_joins: AtomicU64,
    pub queue_messages_in: AtomicU64,
    pub queue_bad_messages: AtomicU64,
    pub rate_limited: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus exposition text; `gauges` are (name, help, value) read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let counters = [
            (
                "floodgate_queue_joins_total",
                "Join messages handled.",
                &self.queue_joins,
            ),
            (
                "floodgate_queue_messages_in_total",
                "Frames received on queue sockets.",
                &self.queue_messages_in,
            ),
            (
                "floodgate_queue_bad_messages_total",
                "Frames answered with an error.",
                &self.queue_bad_messages,
            ),
            (
                "floodgate_rate_limited_total",
                "Requests refused with 429.",
                &self.rate_limited,
            ),
            (
                "floodgate_http_5xx_total",
                "Responses with a 5xx status.",
                &self.http_errors_5xx,
            ),
        ];
        for (name, help, c) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                c.load(Ordering::Relaxed)
            );
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}
