//! The checkout's recent figures for autotune: every hold and confirm answered (or
//! abandoned unanswered: timed out, or its client gone), counted into cumulative
//! atomic counters — the request, its latency bucket, and whether it failed. That is
//! the only work on the request's path (three relaxed atomic additions); the
//! controller's tick reads the counters and keeps their recent differences
//! ([`WindowTracker`]), so the window (the last 30 s, say) is a difference of two
//! readings, not something the hot path rotates.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Upper bounds (ms) of the latency buckets; one more bucket holds the rest.
pub const BOUNDS_MS: [u64; 18] = [
    5, 10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000,
];
const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// Whether a route template is one of the checkout's judged requests: a hold
/// (`…/events/{id}/holds`) or a confirm (`…/holds/{hold_id}/confirm`). Two suffix
/// comparisons on every request.
pub fn is_checkout_route(route: &str) -> bool {
    route.ends_with("/holds") || route.ends_with("/confirm")
}

/// The cumulative counters (since start) the requests add to.
#[derive(Default)]
pub struct CheckoutWindow {
    requests: AtomicU64,
    errors: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
}

impl CheckoutWindow {
    /// One checkout request: its time to answer, and whether it failed (a 5xx, or no
    /// answer at all).
    pub fn observe(&self, took: Duration, failed: bool) {
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_MS.partition_point(|&bound| bound < ms);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters now.
    pub fn read(&self) -> Figures {
        Figures {
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            buckets: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
        }
    }
}

/// Checkout requests, failed ones, and the latency histogram's counts (one per
/// [`BOUNDS_MS`] bound, then the rest): cumulative, a window's difference, or
/// several replicas' windows summed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub requests: u64,
    pub errors: u64,
    pub buckets: Vec<u64>,
}

impl Figures {
    /// `self − earlier` (the requests between two readings).
    pub fn since(&self, earlier: &Figures) -> Figures {
        Figures {
            requests: self.requests.saturating_sub(earlier.requests),
            errors: self.errors.saturating_sub(earlier.errors),
            buckets: (0..self.buckets.len())
                .map(|i| {
                    self.buckets[i].saturating_sub(earlier.buckets.get(i).copied().unwrap_or(0))
                })
                .collect(),
        }
    }

    /// Adds `other`'s counts (another replica's window).
    pub fn add(&mut self, other: &Figures) {
        self.requests += other.requests;
        self.errors += other.errors;
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
    }

    /// The 99th percentile's bucket bound, ms (an upper bound of the true p99: the
    /// bound of the bucket holding it). Beyond the last bound: twice it. `None`
    /// without requests.
    pub fn p99_ms(&self) -> Option<u64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        // The rank of the 99th percentile: the ceiling of 0.99 × total, in integers.
        let rank = (total * 99).div_ceil(100).max(1);
        let mut seen = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(
                    BOUNDS_MS
                        .get(i)
                        .copied()
                        .unwrap_or(2 * BOUNDS_MS[BUCKETS - 2]),
                );
            }
        }
        Some(2 * BOUNDS_MS[BUCKETS - 2])
    }

    /// Failed requests as a fraction of all (0 without requests).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }
}

/// A replica's recent readings, to answer its window: kept by the controller's tick.
pub struct WindowTracker {
    span: Duration,
    /// (reading time, reading), oldest first.
    readings: VecDeque<(std::time::Instant, Figures)>,
}

impl WindowTracker {
    pub fn new(span: Duration) -> Self {
        Self {
            span,
            readings: VecDeque::new(),
        }
    }

    /// Takes `now`'s reading and answers the requests since the newest earlier
    /// reading at least `span` old (the window: `span`, or a little more with the
    /// ticks' jitter; shorter just after start, when no reading is that old yet).
    pub fn window(&mut self, now: std::time::Instant, reading: Figures) -> Figures {
        // Drop the front while the next reading is old enough to take its place.
        while let Some((at, _)) = self.readings.get(1) {
            if now.duration_since(*at) >= self.span {
                self.readings.pop_front();
            } else {
                break;
            }
        }
        let window = match self.readings.front() {
            Some((_, oldest)) => reading.since(oldest),
            None => Figures {
                buckets: vec![0; reading.buckets.len()],
                ..Figures::default()
            },
        };
        self.readings.push_back((now, reading));
        window
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn p99_is_the_bound_of_the_bucket_holding_it() {
        let w = CheckoutWindow::default();
        for _ in 0..98 {
            w.observe(Duration::from_millis(20), false);
        }
        w.observe(Duration::from_millis(450), false);
        w.observe(Duration::from_millis(900), true);
        let f = w.read();
        assert_eq!(f.requests, 100);
        assert_eq!(f.p99_ms(), Some(500));
        assert!((f.error_rate() - 0.01).abs() < 1e-9);
        w.observe(Duration::from_secs(60), false);
        assert_eq!(Figures::default().p99_ms(), None);
    }

    #[test]
    fn the_window_forgets_what_is_older_than_its_span() {
        let w = CheckoutWindow::default();
        let mut tracker = WindowTracker::new(Duration::from_secs(30));
        let t0 = Instant::now();
        assert_eq!(tracker.window(t0, w.read()).requests, 0);
        for _ in 0..10 {
            w.observe(Duration::from_millis(900), true);
        }
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(tracker.window(at(10), w.read()).requests, 10);
        w.observe(Duration::from_millis(1), false);
        assert_eq!(tracker.window(at(20), w.read()).requests, 11);
        // At 40 s the reading of 10 s is the newest at least 30 s old: the slow ten
        // came before it.
        let recent = tracker.window(at(40), w.read());
        assert_eq!((recent.requests, recent.errors), (1, 0));
        assert_eq!(recent.p99_ms(), Some(5));
        // Ticks a little late (jitter) still compare with a reading, not with nothing.
        w.observe(Duration::from_millis(1), false);
        let late = tracker.window(at(50) + Duration::from_millis(10), w.read());
        assert_eq!(late.requests, 1, "since the reading of 20 s");
    }

    #[test]
    fn replicas_windows_add_up() {
        let (a, b) = (CheckoutWindow::default(), CheckoutWindow::default());
        a.observe(Duration::from_millis(1), false);
        b.observe(Duration::from_millis(2_500), true);
        let mut sum = Figures::default();
        sum.add(&a.read());
        sum.add(&b.read());
        assert_eq!((sum.requests, sum.errors), (2, 1));
        assert_eq!(sum.p99_ms(), Some(3_000));
    }

    #[test]
    fn checkout_routes_are_holds_and_confirms() {
        assert!(is_checkout_route("/api/v1/events/{id}/holds"));
        assert!(is_checkout_route("/api/v1/holds/{hold_id}/confirm"));
        assert!(!is_checkout_route("/api/v1/holds/{hold_id}"));
        assert!(!is_checkout_route("/api/v1/events/{id}/seats"));
    }
}
