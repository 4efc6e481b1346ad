//! The wait a fan is told: a point estimate and a range meant to hold about nine fans'
//! actual waits in ten.
//!
//! The outflow of the line is bounded by one of three things, and the estimate says
//! which it used ([`EtaBasis`]):
//! - the configured **rate** (the token bucket of [`crate::admission`]): while the
//!   shopping slots are not the limit, the bucket admits exactly `rate` fans a minute,
//!   so the configured rate is the truth from the first second — at the opening and at
//!   once after an admin changes it. Fans ahead who give up shorten the wait: the point
//!   takes off half the share of departures measured among the line's outflow over the
//!   last minute (at most 5%), and the range reaches down further ([`MIN_DEPARTING`]);
//! - the **measured** outflow, once it is trustworthy ([`TRUST_SPAN`] of admission
//!   steps since the opening or the last change of the settings, every one of them
//!   with fans still waiting after it) and clearly below the rate (shopping slots,
//!   seats or replicas bound it). Its range widens with the no-show share: admitted
//!   fans who never buy hold their slot for the whole session;
//! - the **active limit**, while slots bind but too little has been measured: between
//!   the rate (slots free fast) and `max_active` per session length (every slot held
//!   to the end of its session).
//!
//! No estimate ([`EtaBasis::None`]) while admission is paused, no seat is free, or the
//! line is the waitlist (admissions then follow seats coming back, not a pace).
//!
//! Pure: time comes in as [`Instant`] arguments, so tests drive it with any clock.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// The measured outflow is trusted after this much of admission steps with fans
/// waiting, since the first admission after the opening or a change of the settings.
pub const TRUST_SPAN: Duration = Duration::from_secs(10);
/// The window the outflow and the departures are measured over.
const WINDOW: Duration = Duration::from_secs(60);
/// Below this share of the configured rate, the measured outflow replaces it; once it
/// has, the rate comes back only above [`BACK_TO_RATE`]. An outflow hovering near 90%
/// of the rate (issue 19's crowd: 91%) otherwise flipped the basis, and with it every
/// waiting fan's range, every few seconds: a message to every fan each time.
const BELOW_RATE: f64 = 0.9;
const BACK_TO_RATE: f64 = 0.95;
/// Added to the high end for the admission tick, the position push and delivery, with
/// [`HIGH_MARGIN`] of the wait for a line served a little below its rate.
const SLACK_SECS: f64 = 1.5;
const HIGH_MARGIN: f64 = 1.05;
/// The low end allows for at least this share of the fans ahead leaving before their
/// turn, and this much more than the share measured: departures come in waves (at an
/// opening none has been seen yet; loadgen's crowd, one fan in ten giving up within
/// half a minute, took 7–8% off the waits).
const MIN_DEPARTING: f64 = 0.15;
const MORE_DEPARTING: f64 = 0.05;
/// The point takes off at most this share for departures.
const MAX_POINT_DEPARTING: f64 = 0.05;

/// How a wait was estimated (`eta_basis` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EtaBasis {
    /// The configured admission rate.
    Rate,
    /// The outflow measured since the opening or the last change of the settings.
    Measured,
    /// Shopping slots bind and too little is measured: between the rate and
    /// `max_active` per session length.
    ActiveLimit,
    /// No estimate: paused, no seat free, or the line is the waitlist.
    None,
}

/// The range beside `eta_secs` in `queued` and `position` messages. All three fields
/// are omitted by older servers; the range is omitted when `eta_basis` is `none`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EtaRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub eta_low_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub eta_high_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub eta_basis: Option<EtaBasis>,
}

/// What bounds admission right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub rate_per_minute: u32,
    pub max_active: u32,
    pub session_ttl_secs: u32,
    pub paused: bool,
    pub sold_out: bool,
    pub waitlist: bool,
}

/// The line's outflow, as one replica sees it in the change log and its own steps.
#[derive(Debug, Default)]
pub struct Estimator {
    /// The limits last estimated with; a change restarts the measurement.
    limits: Option<Limits>,
    /// First admission since the last restart.
    epoch: Option<Instant>,
    admitted: VecDeque<(Instant, u64)>,
    /// Admissions and departures over the window, whatever the limits: who leaves the
    /// line is the crowd's doing, not the settings'.
    flow: VecDeque<(Instant, u64, u64)>,
    /// This replica's admission steps: when, fans still waiting after it, slots full.
    steps: VecDeque<(Instant, bool, bool)>,
    admitted_total: u64,
    purchased_total: u64,
    /// The last reading was from the measured outflow (see [`BACK_TO_RATE`]).
    measuring: bool,
}

/// The estimator's reading at one moment, applied to each fan's people-ahead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outlook {
    pub basis: EtaBasis,
    /// Fans admitted per second: the point, the fastest and the slowest plausible.
    pace: f64,
    fast: f64,
    slow: f64,
    /// Share of the outflow that leaves instead of being admitted.
    departing: f64,
}

impl Estimator {
    /// `n` fans admitted at `at` (a `Change::Admitted`).
    pub fn admitted(&mut self, at: Instant, n: u64) {
        if n == 0 {
            return;
        }
        self.epoch.get_or_insert(at);
        self.admitted.push_back((at, n));
        self.flow.push_back((at, n, 0));
        self.admitted_total += n;
    }

    /// `n` fans left the line at `at` (gave up, or their grace period ran out).
    pub fn departed(&mut self, at: Instant, n: u64) {
        self.flow.push_back((at, 0, n));
    }

    /// An admitted fan bought (its shopping slot came back before its session ended).
    pub fn purchased(&mut self) {
        self.purchased_total += 1;
    }

    /// This replica ran an admission step at `at`: fans still `waiting` after it, and
    /// whether the shopping slots were all taken.
    pub fn step(&mut self, at: Instant, waiting: bool, slots_full: bool) {
        self.steps.push_back((at, waiting, slots_full));
    }

    /// The reading at `at` under `limits`. A change of the limits (rate, slots,
    /// session length, pause, seats) starts a new measurement: the new rate applies at
    /// once.
    pub fn outlook(&mut self, at: Instant, limits: Limits) -> Outlook {
        if self.limits.is_some_and(|l| l != limits) {
            self.epoch = None;
            self.admitted.clear();
            self.steps.clear();
            self.measuring = false;
        }
        self.limits = Some(limits);
        self.prune(at);
        let rate = f64::from(limits.rate_per_minute.max(1)) / 60.0;
        // In steady state every slot comes back within one session.
        let slot_floor = (f64::from(limits.max_active.max(1))
            / f64::from(limits.session_ttl_secs.max(1)))
        .min(rate);
        let departing = self.departing();
        if limits.paused || limits.sold_out || limits.waitlist {
            return Outlook {
                basis: EtaBasis::None,
                pace: rate,
                fast: rate,
                slow: rate,
                departing,
            };
        }
        let no_show = if self.admitted_total == 0 {
            0.0
        } else {
            1.0 - (self.purchased_total as f64 / self.admitted_total as f64).min(1.0)
        };
        let below = if self.measuring {
            BACK_TO_RATE
        } else {
            BELOW_RATE
        };
        let measured = self.measured(at);
        self.measuring = measured.is_some_and(|pace| pace < rate * below);
        match measured {
            Some(pace) if pace < rate * below => {
                let pace = pace.max(slot_floor);
                Outlook {
                    basis: EtaBasis::Measured,
                    pace,
                    fast: (pace * 1.3).min(rate),
                    slow: (pace / (1.2 + 0.5 * no_show)).max(slot_floor),
                    departing,
                }
            }
            _ if self.slot_bound() && measured.is_none() => Outlook {
                basis: EtaBasis::ActiveLimit,
                pace: (rate * slot_floor).sqrt(),
                fast: rate,
                slow: slot_floor,
                departing,
            },
            _ => Outlook {
                basis: EtaBasis::Rate,
                pace: rate,
                fast: rate,
                slow: rate,
                departing,
            },
        }
    }

    /// Admissions per second since the first admission of this measurement (over the
    /// last [`WINDOW`] at most), once [`TRUST_SPAN`] of steps all left fans waiting.
    fn measured(&self, at: Instant) -> Option<f64> {
        let epoch = self.epoch?;
        let start = epoch.max(at.checked_sub(WINDOW).unwrap_or(epoch));
        let span = at.saturating_duration_since(start);
        if span < TRUST_SPAN {
            return None;
        }
        let steps: Vec<_> = self.steps.iter().filter(|s| s.0 >= start).collect();
        if steps.is_empty() || steps.iter().any(|s| !s.1) {
            return None; // the line ran dry: admissions said nothing of the pace
        }
        let n: u64 = self
            .admitted
            .iter()
            .filter(|(t, _)| *t > start)
            .map(|(_, n)| n)
            .sum();
        Some(n as f64 / span.as_secs_f64())
    }

    /// Most of the recent steps found every shopping slot taken.
    fn slot_bound(&self) -> bool {
        let recent: Vec<_> = self.steps.iter().rev().take(8).collect();
        !recent.is_empty() && recent.iter().filter(|s| s.2).count() * 2 >= recent.len()
    }

    /// Departures as a share of the line's outflow over the window.
    fn departing(&self) -> f64 {
        let admitted: u64 = self.flow.iter().map(|f| f.1).sum();
        let left: u64 = self.flow.iter().map(|f| f.2).sum();
        if left + admitted == 0 {
            0.0
        } else {
            left as f64 / (left + admitted) as f64
        }
    }

    fn prune(&mut self, at: Instant) {
        let old = |t: &Instant| at.saturating_duration_since(*t) > WINDOW;
        while self.admitted.front().is_some_and(|(t, _)| old(t)) {
            self.admitted.pop_front();
        }
        while self.flow.front().is_some_and(|(t, ..)| old(t)) {
            self.flow.pop_front();
        }
        while self.steps.front().is_some_and(|(t, ..)| old(t)) {
            self.steps.pop_front();
        }
    }
}

impl Outlook {
    /// The point estimate in seconds and its range, with `ahead` fans in front.
    pub fn estimate(&self, ahead: u64) -> (u64, EtaRange) {
        // The fan is admitted after those ahead who stay, in the step that admits it.
        let turn = ahead as f64 + 1.0;
        // Half the measured share, and at most 5%: departures come in waves (most who
        // give up do so soon after joining), so more overcorrected once a wave passed.
        let off = (self.departing / 2.0).min(MAX_POINT_DEPARTING);
        let point = (turn * (1.0 - off) / self.pace).ceil() as u64;
        if self.basis == EtaBasis::None {
            let range = EtaRange {
                eta_basis: Some(EtaBasis::None),
                ..EtaRange::default()
            };
            return (point, range);
        }
        let leaving = (self.departing + MORE_DEPARTING).max(MIN_DEPARTING);
        let low = (turn * (1.0 - leaving) / self.fast - 1.0).max(0.0).floor() as u64;
        let high = (turn / self.slow * HIGH_MARGIN + SLACK_SECS).ceil() as u64;
        let range = EtaRange {
            eta_low_secs: Some(low.min(point)),
            eta_high_secs: Some(high.max(point)),
            eta_basis: Some(self.basis),
        };
        (point, range)
    }
}

#[cfg(test)]
mod tests;
