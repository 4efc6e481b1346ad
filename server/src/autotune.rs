//! Admission that tunes itself: per event, the admission rate rises gently while the
//! checkout's recent p99 latency and error rate stay under the admin's targets, and
//! falls fast when either is passed, within the admin's minimum and maximum rate.
//!
//! - [`AutotuneSettings`]: the admin's setting (the API's body), validated;
//! - [`decide`]: the rule, pure (one event, one judgement of the figures);
//! - [`controller`]: the loop every replica runs: publish its checkout figures, and
//!   if it holds the lease, merge every replica's and judge each autotuned event.
//!
//! An admin's change of the rate switches autotune off (`db::autotune`), in the
//! transaction of the change: their rate wins until they switch it on again.

pub mod controller;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use waiting_room::AdmissionSettings;

use crate::db::AutotuneRow;

/// The fewest checkout requests in the window autotune judges by: below, a p99 says
/// little, and the rate is left as it is.
pub const MIN_REQUESTS: u64 = 10;

/// The rate after a target is passed: this fraction of the rate (multiplicative
/// decrease), in tenths.
const DECREASE_TENTHS: u64 = 7;

/// An event's autotune setting (`PUT /admin/events/{id}/autotune`).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutotuneSettings {
    /// Whether autotune changes the event's rate.
    pub enabled: bool,
    /// The rate autotune never goes below, fans per minute.
    #[schema(minimum = 1, maximum = 6_000_000)]
    pub min_rate_per_minute: u32,
    /// The rate autotune never goes above, fans per minute (at least the minimum).
    #[schema(minimum = 1, maximum = 6_000_000)]
    pub max_rate_per_minute: u32,
    /// The checkout's p99 latency (holds and confirms) to stay under, ms.
    #[schema(minimum = 10, maximum = 60_000)]
    pub p99_target_ms: u32,
    /// The fraction of checkout requests answered 5xx or not answered at all (timed
    /// out) to stay under, 0.0001 to 0.5 (in steps of 0.0001).
    #[schema(minimum = 0.0001, maximum = 0.5)]
    pub error_rate_target: f64,
}

/// Why a setting is refused (answered 400 `invalid_field`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidAutotune(pub String);

impl AutotuneSettings {
    /// What an event without a stored setting shows: off, between 60 and its rate
    /// now (or 60), 500 ms, 1 %.
    pub fn default_for(admission: &AdmissionSettings) -> Self {
        Self {
            enabled: false,
            min_rate_per_minute: 60.min(admission.rate_per_minute),
            max_rate_per_minute: admission.rate_per_minute.max(60),
            p99_target_ms: 500,
            error_rate_target: 0.01,
        }
    }

    /// Checks the setting: rates within admission's bounds with the minimum at most
    /// the maximum, targets in their ranges. Answers the row to store.
    pub fn validate(&self) -> Result<AutotuneRow, InvalidAutotune> {
        let bad = |m: &str| Err(InvalidAutotune(m.to_owned()));
        let max = AdmissionSettings::MAX_RATE_PER_MINUTE;
        for (name, v) in [
            ("min_rate_per_minute", self.min_rate_per_minute),
            ("max_rate_per_minute", self.max_rate_per_minute),
        ] {
            if v == 0 || v > max {
                return bad(&format!("{name} must be 1 to {max}"));
            }
        }
        if self.min_rate_per_minute > self.max_rate_per_minute {
            return bad("min_rate_per_minute must not be above max_rate_per_minute");
        }
        if !(10..=60_000).contains(&self.p99_target_ms) {
            return bad("p99_target_ms must be 10 to 60000");
        }
        let e = self.error_rate_target;
        if !e.is_finite() || !(0.0001..=0.5).contains(&e) {
            return bad("error_rate_target must be a fraction from 0.0001 to 0.5");
        }
        Ok(AutotuneRow {
            enabled: self.enabled,
            min_rate: self.min_rate_per_minute,
            max_rate: self.max_rate_per_minute,
            p99_target_ms: self.p99_target_ms,
            // In range, so between 1 and 5,000 basis points.
            error_target_bp: (e * 10_000.0).round() as u32,
        })
    }
}

impl From<AutotuneRow> for AutotuneSettings {
    fn from(r: AutotuneRow) -> Self {
        Self {
            enabled: r.enabled,
            min_rate_per_minute: r.min_rate,
            max_rate_per_minute: r.max_rate,
            p99_target_ms: r.p99_target_ms,
            error_rate_target: f64::from(r.error_target_bp) / 10_000.0,
        }
    }
}

/// The checkout's figures over the recent window, every replica's summed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    pub requests: u64,
    /// `None` without requests.
    pub p99_ms: Option<u64>,
    pub error_rate: f64,
}

/// What one of autotune's rate changes rests on (the audit entry's `autotune`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Judgement {
    /// `p99_over`, `errors_over`, `under_targets` or `out_of_range`.
    #[schema(pattern = "^(p99_over|errors_over|under_targets|out_of_range)$")]
    pub why: String,
    /// The rate before and after, fans per minute.
    pub from: u32,
    pub to: u32,
    /// The checkout's requests in the window, their p99 (ms; null without requests)
    /// and the fraction failed, with the targets they were held to.
    pub requests: u64,
    #[schema(required = true)]
    pub p99_ms: Option<u64>,
    pub p99_target_ms: u32,
    pub error_rate: f64,
    pub error_rate_target: f64,
}

/// What autotune does with one event's rate.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Too few checkout requests to judge by ([`MIN_REQUESTS`]): no change.
    NoTraffic,
    /// No change (at the bound already, or waiting for the window to turn over).
    Keep,
    /// Change the rate to `to`: `reason` the sentence, `detail` what it rests on.
    Change {
        to: u32,
        reason: String,
        detail: Judgement,
    },
}

/// The rule, for an event at `rate` with setting `s`, the checkout `judged` over the
/// window; `may_decrease`: whether the window has turned over since its last decrease
/// (else its slow requests, already answered by one decrease, would be punished
/// again at every tick).
///
/// - outside [min, max] (set by hand before autotune was switched on): to the bound;
/// - fewer than [`MIN_REQUESTS`] requests: no change;
/// - p99 over its target or error rate over its target: × 0.7, not below the minimum;
/// - both under: + 5 % of the maximum (at least 1), not above the maximum.
pub fn decide(s: &AutotuneRow, rate: u32, judged: &Judged, may_decrease: bool) -> Decision {
    let target_err = f64::from(s.error_target_bp) / 10_000.0;
    let detail = |why: &str, to: u32| Judgement {
        why: why.to_owned(),
        from: rate,
        to,
        requests: judged.requests,
        p99_ms: judged.p99_ms,
        p99_target_ms: s.p99_target_ms,
        error_rate: judged.error_rate,
        error_rate_target: target_err,
    };
    let change = |why: &str, to: u32, reason: String| Decision::Change {
        to,
        reason: format!("{reason}: {rate} → {to}/min"),
        detail: detail(why, to),
    };
    if rate < s.min_rate || rate > s.max_rate {
        let to = rate.clamp(s.min_rate, s.max_rate);
        return change(
            "out_of_range",
            to,
            format!("rate outside autotune's {}–{}/min", s.min_rate, s.max_rate),
        );
    }
    let Some(p99) = judged.p99_ms.filter(|_| judged.requests >= MIN_REQUESTS) else {
        return Decision::NoTraffic;
    };
    let slow = p99 > u64::from(s.p99_target_ms);
    let failing = judged.error_rate > target_err;
    if slow || failing {
        if !may_decrease {
            return Decision::Keep;
        }
        let lower = u64::from(rate) * DECREASE_TENTHS / 10;
        let to = u32::try_from(lower).unwrap_or(rate).max(s.min_rate);
        if to == rate {
            return Decision::Keep;
        }
        let reason = if slow {
            format!("p99 {p99} ms > {} ms target", s.p99_target_ms)
        } else {
            format!(
                "errors {:.2}% > {:.2}% target",
                judged.error_rate * 100.0,
                target_err * 100.0
            )
        };
        return change(if slow { "p99_over" } else { "errors_over" }, to, reason);
    }
    let step = (s.max_rate / 20).max(1);
    let to = rate.saturating_add(step).min(s.max_rate);
    if to == rate {
        return Decision::Keep;
    }
    change(
        "under_targets",
        to,
        format!(
            "p99 {p99} ms ≤ {} ms, errors {:.2}% ≤ {:.2}%",
            s.p99_target_ms,
            judged.error_rate * 100.0,
            target_err * 100.0
        ),
    )
}

#[cfg(test)]
mod tests;
