//! The report: HDR histograms (recorded per worker, shipped as (value, count) pairs and
//! merged by the coordinator), the JSON report and the table for people.

use std::collections::BTreeMap;
use std::fmt::Write;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use waiting_room::fairness::OrderFigures;

/// A latency histogram in microseconds (or any unit), 3 significant digits.
#[derive(Clone, Debug)]
pub struct Hist(Histogram<u64>);

impl Default for Hist {
    fn default() -> Self {
        Self(Histogram::new(3).expect("3 significant digits are valid"))
    }
}

impl Hist {
    pub fn record(&mut self, value: u64) {
        // Auto-resizing: recording cannot fail for any u64 below the top bucket.
        let _ = self.0.record(value.max(1));
    }

    pub fn merge(&mut self, other: &Hist) {
        let _ = self.0.add(&other.0);
    }

    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// The share of values at most `value`; `None` when nothing was recorded.
    pub fn share_at_most(&self, value: u64) -> Option<f64> {
        (!self.0.is_empty()).then(|| self.0.count_between(0, value) as f64 / self.0.len() as f64)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (value, count) of every recorded bucket: enough to rebuild the histogram.
    pub fn to_pairs(&self) -> Vec<(u64, u64)> {
        self.0
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    pub fn from_pairs(pairs: &[(u64, u64)]) -> Self {
        let mut h = Self::default();
        for (value, count) in pairs {
            let _ = h.0.record_n(*value, *count);
        }
        h
    }

    /// Percentiles divided by `scale` (e.g. 1000 for µs → ms).
    pub fn summary(&self, scale: f64) -> Percentiles {
        let q = |q: f64| {
            if self.0.is_empty() {
                0.0
            } else {
                round3(self.0.value_at_quantile(q) as f64 / scale)
            }
        };
        Percentiles {
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: if self.0.is_empty() {
                0.0
            } else {
                round3(self.0.max() as f64 / scale)
            },
            count: self.0.len(),
        }
    }
}

impl Serialize for Hist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_pairs().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Hist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_pairs(&Vec::<(u64, u64)>::deserialize(d)?))
    }
}

pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub count: u64,
}

/// What the server said at the end.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServerView {
    pub sold: u64,
    pub held: u64,
    pub admitted_total: u64,
    pub snapshot_sold: u64,
    pub snapshot_held: u64,
    /// The stats' fairness figures (docs/FAIRNESS.md): the pre-queue's draw, and the
    /// buyers who joined after the opening (the server reads them at most 10 s old).
    #[serde(default)]
    pub fairness_prequeue: Option<OrderFigures>,
    #[serde(default)]
    pub fairness_after_opening: Option<OrderFigures>,
}

/// The outcome of a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub passed: bool,
    pub failures: Vec<String>,
    /// The presale audit, line by line (`--presale-groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presale: Option<crate::presale::figures::PresaleReport>,
    pub event_id: String,
    pub urls: Vec<String>,
    pub seed: u64,
    pub workers: u32,
    pub fans: u64,
    pub behaviours: BTreeMap<String, u64>,
    pub outcomes: BTreeMap<String, u64>,
    pub duration_secs: f64,
    pub connections_peak: u64,
    /// Fans who joined after the opening, over the span from the first one's arrival
    /// to the last one's `queued` (all fans when every one pre-queued): the rate at
    /// which the server takes an arriving crowd, socket opening included.
    pub joins_per_sec: f64,
    /// That span, unix ms from the first arrival to the last `queued` (to read other
    /// processes' CPU over the same window; `[0, 0]` without joins).
    #[serde(default)]
    pub joins_span_unix_ms: [i64; 2],
    /// Per fan: opening the socket (TCP + upgrade), and `join` to its answer.
    pub connect_latency_ms: Percentiles,
    pub join_latency_ms: Percentiles,
    /// Between one waiting fan's successive `position` messages (the server pushes
    /// once a second while the queue moves): count is the updates received after each
    /// fan's first.
    pub position_gap_ms: Percentiles,
    /// The same between messages that were both within 1,000 of the head (`ahead`),
    /// where the exact number is shown and every change is sent; deeper, the server
    /// sends only a change of the rounded number or of the wait shown, so the gap
    /// there is by design longer. Means the same against older servers.
    #[serde(default)]
    pub position_gap_head_ms: Percentiles,
    /// How stale what a fan sees is: from the server's change (`changed_at_ms`, its
    /// wall clock; the same machine's in the benchmarks) to the fan reading the
    /// `position` message, ms. A socket that fell behind skips to the newest view, and
    /// its lateness then counts from the newest change.
    #[serde(default)]
    pub position_staleness_ms: Percentiles,
    /// Share of those messages read within 1 s of the change (`None`: no message
    /// carried `changed_at_ms`, as from older servers).
    #[serde(default)]
    pub position_within_1s: Option<f64>,
    /// Solving the proof of work, per fan that solved one (native SHA-256).
    #[serde(default)]
    pub pow_solve_ms: Percentiles,
    /// Joins refused for want of a valid proof of work.
    #[serde(default)]
    pub pow_required: u64,
    pub prequeued: u64,
    pub admitted: u64,
    pub sold: u64,
    pub capacity: u64,
    pub oversold_seats: u64,
    pub duplicate_seats: u64,
    pub confirmed_not_sold: u64,
    pub counts_agree: bool,
    /// Free seats when the sale ended, and those of them in runs shorter than
    /// `--quantity` (no buyer of this run could use them).
    #[serde(default)]
    pub free_at_end: u64,
    #[serde(default)]
    pub stranded_seats: u64,
    pub fifo_inversions: u64,
    pub fifo_pairs_checked: u64,
    pub prequeue_violations: u64,
    pub positions_rose: u64,
    pub admission_rate_achieved_per_min: f64,
    pub admission_rate_configured_per_min: f64,
    pub time_to_admission_ms: Percentiles,
    pub hold_latency_ms: Percentiles,
    pub confirm_latency_ms: Percentiles,
    pub holds: u64,
    pub holds_per_sec: f64,
    pub server_5xx: u64,
    pub errors: BTreeMap<String, u64>,
    pub expected_errors: BTreeMap<String, u64>,
    pub unexpected_errors: BTreeMap<String, u64>,
    pub server: ServerView,
    /// The wait estimates shown against the waits had (issue 17).
    #[serde(default)]
    pub estimates: crate::estimates::Estimates,
}

impl Report {
    /// The table for people.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let mut row = |k: &str, v: String| {
            let _ = writeln!(t, "  {k:<34} {v}");
        };
        row(
            "result",
            if self.passed {
                "PASS".into()
            } else {
                format!("FAIL: {}", self.failures.join("; "))
            },
        );
        row("event", self.event_id.clone());
        row(
            "fans / workers",
            format!("{} / {}", self.fans, self.workers),
        );
        row("duration", format!("{:.1} s", self.duration_secs));
        row("connections peak", self.connections_peak.to_string());
        row("joins per second", format!("{:.0}", self.joins_per_sec));
        row(
            "pre-queued / admitted",
            format!("{} / {}", self.prequeued, self.admitted),
        );
        row(
            "admission rate (achieved / set)",
            format!(
                "{:.0} / {:.0} per min",
                self.admission_rate_achieved_per_min, self.admission_rate_configured_per_min
            ),
        );
        row(
            "sold / capacity",
            format!(
                "{} / {} (server {})",
                self.sold, self.capacity, self.server.sold
            ),
        );
        row("oversold seats", self.oversold_seats.to_string());
        row(
            "free at end (stranded)",
            format!("{} ({})", self.free_at_end, self.stranded_seats),
        );
        row(
            "FIFO inversions (pairs checked)",
            format!("{} ({})", self.fifo_inversions, self.fifo_pairs_checked),
        );
        row("pre-queue violations", self.prequeue_violations.to_string());
        let tau = |f: &Option<OrderFigures>| match f {
            Some(f) => format!(
                "{} ({} inversions, {} fans)",
                f.kendall_tau.map_or("-".into(), |t| format!("{t:.3}")),
                f.inversions,
                f.fans
            ),
            None => "not reported".into(),
        };
        row(
            "Kendall tau, pre-queue (fair ~0.5)",
            tau(&self.server.fairness_prequeue),
        );
        row(
            "Kendall tau, after opening (FIFO 0)",
            tau(&self.server.fairness_after_opening),
        );
        row("positions that rose", self.positions_rose.to_string());
        if let Some(presale) = &self.presale {
            for l in &presale.lines {
                row(
                    &format!("line {} ({})", l.line, l.name),
                    format!(
                        "fans {} pre-queued {} drawn {} (placed {}–{} ms after) admitted {}; early {} join-order {} ({}) draw-order {} ({}) lost {}",
                        l.fans,
                        l.prequeued,
                        l.drawn,
                        l.first_placed_after_ms.map_or("—".into(), |m| m.to_string()),
                        l.last_placed_after_ms.map_or("—".into(), |m| m.to_string()),
                        l.admitted,
                        l.opened_early,
                        l.join_order_inversions,
                        l.join_order_pairs,
                        l.draw_order_inversions,
                        l.draw_order_checked,
                        l.lost
                    ),
                );
            }
            row(
                "order across lines (inv / pairs)",
                format!(
                    "{} ({})",
                    presale.fifo_inversions, presale.fifo_pairs_checked
                ),
            );
        }
        let p = |p: &Percentiles| {
            format!(
                "p50 {} p90 {} p99 {} p99.9 {} max {} ms (n={})",
                p.p50, p.p90, p.p99, p.p999, p.max, p.count
            )
        };
        row("connect latency", p(&self.connect_latency_ms));
        row("join latency", p(&self.join_latency_ms));
        row("position update gap", p(&self.position_gap_ms));
        row("position gap near the head", p(&self.position_gap_head_ms));
        row("position staleness", p(&self.position_staleness_ms));
        row(
            "positions within 1 s of change",
            self.position_within_1s
                .map_or("—".into(), |s| format!("{:.1}%", s * 100.0)),
        );
        row("proof-of-work solve", p(&self.pow_solve_ms));
        row("pow_required refusals", self.pow_required.to_string());
        row("time to admission", p(&self.time_to_admission_ms));
        row("hold latency", p(&self.hold_latency_ms));
        row("confirm latency", p(&self.confirm_latency_ms));
        row("holds per second", format!("{:.1}", self.holds_per_sec));
        row("server 5xx", self.server_5xx.to_string());
        let map = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "none".to_owned()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let e = |a: &crate::estimates::Accuracy| {
            format!(
                "{:.1}% in range, {:.1}% within ±10% ({:.1}% within ±10% or 2 s), median error {:+.1}%, width {:.0}% (n={}, none={})",
                a.inside_range * 100.0,
                a.within_10pct * 100.0,
                a.within_10pct_or_2s * 100.0,
                a.median_error * 100.0,
                a.median_width * 100.0,
                a.fans,
                a.no_estimate
            )
        };
        row("wait estimate at join", e(&self.estimates.at_join));
        row("wait estimate each minute", e(&self.estimates.each_minute));
        if let Some(a) = &self.estimates.after_rate_change {
            row("wait estimate after rate change", e(a));
        }
        row("expected errors", map(&self.expected_errors));
        row("unexpected errors", map(&self.unexpected_errors));
        row("behaviours", map(&self.behaviours));
        row("outcomes", map(&self.outcomes));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_merge_across_the_wire() {
        let mut a = Hist::default();
        let mut b = Hist::default();
        for v in 1..=1000 {
            a.record(v * 1000);
        }
        for _ in 0..1000 {
            b.record(2_000_000);
        }
        let wire = serde_json::to_string(&b).unwrap();
        let b2: Hist = serde_json::from_str(&wire).unwrap();
        assert_eq!(b2.len(), 1000);
        let mut merged = Hist::default();
        merged.merge(&a);
        merged.merge(&b2);
        let s = merged.summary(1000.0);
        assert_eq!(s.count, 2000);
        assert!((s.p50 - 1000.0).abs() <= 1.0, "{s:?}");
        assert!((s.max - 2000.0).abs() <= 2.0, "{s:?}");
        assert!((s.p90 - 2000.0).abs() <= 2.0, "{s:?}");
        assert_eq!(Hist::default().summary(1.0), Percentiles::default());
    }
}
