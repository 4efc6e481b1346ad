//! Process counters and histograms, rendered as Prometheus text at `/metrics`.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Default)]
pub struct Metrics {
    pub http_errors_5xx: AtomicU64,
    pub queue_joins: AtomicU64,
    pub queue_messages_in: AtomicU64,
    pub queue_bad_messages: AtomicU64,
    pub rate_limited: AtomicU64,
    /// From a room's position push to the `position` message written on a socket.
    pub position_fanout: Histogram,
    /// Time to answer HTTP requests, per route template.
    pub http: RouteTimes,
}

/// Upper bounds (seconds) of every histogram's buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0,
];

/// A Prometheus histogram with fixed buckets, lock-free, plus the largest value seen.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
    max_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        // Counts per bucket are not cumulative here; rendering accumulates them.
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        let us = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        self.render_series(out, name, "");
        let max = self.max_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "# HELP {name}_max Largest value observed.\n# TYPE {name}_max gauge\n{name}_max {max}"
        );
    }
}

impl Histogram {
    /// One series' buckets, sum and count; `labels` is empty or `key="value",` pairs.
    fn render_series(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {count}");
        let set = labels.trim_end_matches(',');
        let set = if set.is_empty() {
            String::new()
        } else {
            format!("{{{set}}}")
        };
        let _ = writeln!(out, "{name}_sum{set} {sum}\n{name}_count{set} {count}");
    }
}

/// A histogram per route template (a bounded set: the router's own paths).
#[derive(Default)]
pub struct RouteTimes {
    routes: RwLock<HashMap<String, Arc<Histogram>>>,
}

impl RouteTimes {
    pub fn observe(&self, route: &str, took: Duration) {
        let known = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .cloned();
        let histogram = known.unwrap_or_else(|| {
            self.routes
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(route.to_owned())
                .or_default()
                .clone()
        });
        histogram.observe(took);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for route in names {
            let labels = format!("route=\"{}\",", route.replace('"', "'"));
            routes[route].render_series(out, name, &labels);
        }
    }
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
        self.position_fanout.render(
            &mut out,
            "floodgate_position_fanout_seconds",
            "From a room's position push to its position message written on a socket.",
        );
        self.http.render(
            &mut out,
            "floodgate_http_request_seconds",
            "Time to answer an HTTP request (WebSockets: the upgrade), by route.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_renders_cumulative_buckets_sum_count_and_max() {
        let m = Metrics::default();
        for ms in [0, 3, 3, 40, 900, 7000] {
            m.position_fanout.observe(Duration::from_millis(ms));
        }
        let text = m.render(&[]);
        let line = |k: &str| {
            text.lines()
                .find(|l| l.starts_with(k))
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_owned()
        };
        let b = "floodgate_position_fanout_seconds_bucket";
        assert_eq!(line(&format!("{b}{{le=\"0.001\"}}")), "1");
        assert_eq!(line(&format!("{b}{{le=\"0.005\"}}")), "3");
        assert_eq!(line(&format!("{b}{{le=\"0.05\"}}")), "4");
        assert_eq!(line(&format!("{b}{{le=\"1\"}}")), "5");
        assert_eq!(line(&format!("{b}{{le=\"5\"}}")), "5");
        assert_eq!(line(&format!("{b}{{le=\"+Inf\"}}")), "6");
        assert_eq!(line("floodgate_position_fanout_seconds_count"), "6");
        assert_eq!(line("floodgate_position_fanout_seconds_sum"), "7.946");
        assert_eq!(line("floodgate_position_fanout_seconds_max "), "7");
    }
}
