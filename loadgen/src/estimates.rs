//! The waits fans were told against the waits they had (issue 17): each fan keeps the
//! estimate and range it was shown first (at its join, or at the opening for the
//! pre-queue), then one a minute, and the first shown after a rate change; the report
//! gives, per set, the share of admitted fans whose actual wait (from being shown the
//! estimate to the `admitted` message, both on this machine's clock) fell inside the
//! range, and within ±10% of the point estimate.

use serde::{Deserialize, Serialize};
use waiting_room::estimate::{EtaBasis, EtaRange};

/// One estimate a minute after the first.
const EVERY_US: i64 = 60_000_000;
/// The estimate "after a rate change" is the first shown this long after the PATCH
/// (the server reads the new settings within a poll; positions are pushed once a
/// second).
pub const SETTLE_US: i64 = 2_000_000;

/// One estimate on a fan's screen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shown {
    /// Unix µs the message arrived.
    pub at_us: i64,
    pub ahead: u64,
    pub eta_secs: u64,
    #[serde(flatten)]
    pub range: EtaRange,
}

/// What one fan was told, and when it was admitted.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Track {
    /// The first estimate shown, then the first one each further minute.
    pub shown: Vec<Shown>,
    /// The first estimate shown [`SETTLE_US`] or more after the rate change.
    pub after_change: Option<Shown>,
    /// Unix µs the `admitted` message arrived (0: never).
    pub admitted_us: i64,
}

impl Track {
    /// A `queued` or `position` message arrived at `at_us`.
    pub fn saw(&mut self, shown: Shown, rate_change_at_us: Option<i64>) {
        let due = match self.shown.first() {
            None => true,
            Some(first) => shown.at_us >= first.at_us + EVERY_US * self.shown.len() as i64,
        };
        if due {
            self.shown.push(shown);
        }
        if let Some(change) = rate_change_at_us {
            if self.after_change.is_none() && shown.at_us >= change + SETTLE_US {
                self.after_change = Some(shown);
            }
        }
    }
}

/// How well one set of estimates held.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Admitted fans with an estimate in this set (and a range: `no_estimate` apart).
    pub fans: u64,
    /// Shares of those fans (0–1).
    pub inside_range: f64,
    pub within_10pct: f64,
    /// Within ±10% or ±2 s (the admission tick and the once-a-second push make a few
    /// seconds' wait impossible to hit within 10%).
    pub within_10pct_or_2s: f64,
    /// Median of (estimate − actual) / actual, signed: above 0 is too long.
    pub median_error: f64,
    /// Median of (high − low) / estimate: how wide the ranges were.
    pub median_width: f64,
    /// Median actual wait, seconds.
    pub median_wait_secs: f64,
    /// Estimates shown with `eta_basis` `none` (paused, sold out, waitlist).
    pub no_estimate: u64,
}

/// The report's `estimates` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimates {
    /// The estimate each fan was shown first.
    pub at_join: Accuracy,
    /// Every estimate a fan was shown a whole number of minutes later.
    pub each_minute: Accuracy,
    /// The first estimate shown after the rate change (only with a rate change).
    pub after_rate_change: Option<Accuracy>,
    /// Basis of the estimates shown at join: rate, measured, active_limit, none.
    pub basis_at_join: std::collections::BTreeMap<String, u64>,
}

/// The section, from every fan's track.
pub fn summarise<'a>(tracks: impl Iterator<Item = &'a Track>, rate_changed: bool) -> Estimates {
    let (mut join, mut minute, mut change) = (Vec::new(), Vec::new(), Vec::new());
    let mut basis_at_join = std::collections::BTreeMap::new();
    for t in tracks {
        if let Some(first) = t.shown.first() {
            let basis = first.range.eta_basis.map_or("unknown".to_owned(), |b| {
                serde_json::to_value(b)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            });
            *basis_at_join.entry(basis).or_default() += 1;
        }
        if t.admitted_us == 0 {
            continue;
        }
        join.extend(t.shown.first().map(|s| (*s, t.admitted_us)));
        minute.extend(t.shown.iter().skip(1).map(|s| (*s, t.admitted_us)));
        change.extend(t.after_change.map(|s| (s, t.admitted_us)));
    }
    Estimates {
        at_join: accuracy(&join),
        each_minute: accuracy(&minute),
        after_rate_change: rate_changed.then(|| accuracy(&change)),
        basis_at_join,
    }
}

fn accuracy(shown: &[(Shown, i64)]) -> Accuracy {
    let mut a = Accuracy::default();
    let (mut inside, mut close, mut near) = (0u64, 0u64, 0u64);
    let (mut errors, mut widths, mut waits) = (Vec::new(), Vec::new(), Vec::new());
    for (s, admitted_us) in shown {
        if s.range.eta_basis == Some(EtaBasis::None) {
            a.no_estimate += 1;
            continue;
        }
        let actual = (admitted_us - s.at_us).max(0) as f64 / 1e6;
        let eta = s.eta_secs as f64;
        a.fans += 1;
        if let (Some(lo), Some(hi)) = (s.range.eta_low_secs, s.range.eta_high_secs) {
            inside += u64::from(lo as f64 <= actual && actual <= hi as f64);
            widths.push((hi - lo) as f64 / eta.max(1.0));
        }
        let off = (eta - actual).abs();
        close += u64::from(off <= 0.1 * eta);
        near += u64::from(off <= (0.1 * eta).max(2.0));
        errors.push((eta - actual) / actual.max(0.001));
        waits.push(actual);
    }
    let share = |n: u64| {
        if a.fans == 0 {
            0.0
        } else {
            round3(n as f64 / a.fans as f64)
        }
    };
    a.inside_range = share(inside);
    a.within_10pct = share(close);
    a.within_10pct_or_2s = share(near);
    a.median_error = median(&mut errors);
    a.median_width = median(&mut widths);
    a.median_wait_secs = median(&mut waits);
    a
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    round3(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(at_s: i64, eta: u64, lo: u64, hi: u64) -> Shown {
        Shown {
            at_us: at_s * 1_000_000,
            ahead: eta * 10,
            eta_secs: eta,
            range: EtaRange {
                eta_low_secs: Some(lo),
                eta_high_secs: Some(hi),
                eta_basis: Some(EtaBasis::Rate),
            },
        }
    }

    #[test]
    fn keeps_the_first_estimate_one_a_minute_and_the_first_after_the_change() {
        let mut t = Track::default();
        for s in 0..150 {
            t.saw(shown(s, 200 - s as u64, 0, 999), Some(30_000_000));
        }
        let at: Vec<i64> = t.shown.iter().map(|s| s.at_us / 1_000_000).collect();
        assert_eq!(at, [0, 60, 120]);
        assert_eq!(t.after_change.unwrap().at_us, 32_000_000);
    }

    #[test]
    fn shares_count_inside_the_range_and_within_ten_percent() {
        let admitted = |t: Shown, wait_s: f64| Track {
            shown: vec![t],
            after_change: None,
            admitted_us: t.at_us + (wait_s * 1e6) as i64,
        };
        let tracks = [
            admitted(shown(0, 100, 90, 110), 105.0), // inside, within 10%
            admitted(shown(0, 100, 90, 110), 115.0), // outside, not within
            admitted(shown(0, 100, 80, 130), 89.0),  // inside, not within
            admitted(shown(0, 10, 9, 12), 11.5),     // inside, within 2 s only
            Track {
                shown: vec![shown(0, 5, 4, 6)],
                ..Track::default() // never admitted: not counted
            },
        ];
        let e = summarise(tracks.iter(), false);
        assert_eq!(e.at_join.fans, 4);
        assert_eq!(e.at_join.inside_range, 0.75);
        assert_eq!(e.at_join.within_10pct, 0.25);
        assert_eq!(e.at_join.within_10pct_or_2s, 0.5);
        assert_eq!(e.basis_at_join["rate"], 5);
        assert!(e.after_rate_change.is_none());
    }
}
