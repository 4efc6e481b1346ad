//! What a waiting fan is shown of its place: people-ahead exact near the head of the
//! line and rounded deep in it, the estimated wait in the steps a person reads it in.
//! A fan is sent a `position` message only when what it is shown changes, so a fan
//! 40,000 deep hears every ten seconds or so instead of every second (issue 19).
//!
//! Both rules keep the promises of the queue:
//! - **people-ahead never rises**: [`about`] is monotone (a never-rising true value gives
//!   a never-rising shown value), and the rounding is to the nearest step, so "about
//!   12,000" is within 5% of the truth;
//! - **the estimate stays honest**: [`settle`] rounds the point to the nearest step and
//!   the range outwards (low down, high up), and keeps what is shown only while it still
//!   holds the estimator's range and its point is within three quarters of a step of
//!   the estimator's. That margin stops a value sitting on a step's edge from flapping
//!   every second.

use crate::estimate::EtaRange;

/// Below this many people ahead a fan is told the exact number: near the head every
/// change counts.
pub const EXACT_BELOW: u64 = 1_000;

/// People-ahead as shown, rounded: `None` below [`EXACT_BELOW`] (the exact number is
/// shown), otherwise `ahead` rounded to two significant figures, to the nearest (a half
/// rounds up; `u64::MAX` saturates). Monotone: `a <= b` gives `about(a) <= about(b)`
/// (where both are rounded), and [`shown_ahead`] is monotone over the whole range.
pub fn about(ahead: u64) -> Option<u64> {
    if ahead < EXACT_BELOW {
        return None;
    }
    let step = ahead_step(ahead);
    let (q, r) = (ahead / step, ahead % step);
    let q = if r * 2 >= step { q + 1 } else { q };
    Some(q.saturating_mul(step))
}

/// The number a fan is shown: exact below [`EXACT_BELOW`], [`about`] above.
pub fn shown_ahead(ahead: u64) -> u64 {
    about(ahead).unwrap_or(ahead)
}

/// The rounding step of people-ahead: 1 below [`EXACT_BELOW`], then the power of ten
/// that leaves two significant figures (100 from 1,000, 1,000 from 10,000, …).
pub fn ahead_step(ahead: u64) -> u64 {
    if ahead < EXACT_BELOW {
        return 1;
    }
    let mut step = 1;
    while ahead / step >= 100 {
        step *= 10;
    }
    step
}

/// `n` to one significant figure, to the nearest (a half rounds up; under 10 exact).
/// What a deep fan's seats left must move by to be sent on its own
/// ([`crate::fan::FanView::seats_coarse`]).
pub fn coarse(n: u64) -> u64 {
    let mut step = 1;
    while n / step >= 10 {
        step *= 10;
    }
    let (q, r) = (n / step, n % step);
    let q = if r >= step - r { q + 1 } else { q };
    q.saturating_mul(step)
}

/// The step a wait of `secs` is shown in (the fan page rounds the same way): 5 s
/// under a minute and a half, whole minutes under half an hour, 5 minutes under three
/// hours, quarter hours beyond.
pub fn wait_step(secs: u64) -> u64 {
    match secs {
        0..90 => 5,
        90..1_800 => 60,
        1_800..10_800 => 300,
        _ => 900,
    }
}

fn nearest(secs: u64) -> u64 {
    let step = wait_step(secs);
    (secs.saturating_add(step / 2) / step).saturating_mul(step)
}

fn down(secs: u64) -> u64 {
    let step = wait_step(secs);
    secs / step * step
}

fn up(secs: u64) -> u64 {
    let step = wait_step(secs);
    secs.div_ceil(step).saturating_mul(step)
}

/// The wait to show, from the estimator's `exact` point and range and what the fan is
/// shown now (`shown`, if anything): each part is kept while still true enough (the
/// range still holds the estimator's and is at most a step and a half too wide, the
/// point within three quarters of a step), otherwise rounded afresh (the point to the
/// nearest step, the range outwards). Always `low <= point <= high`, and the range
/// shown always holds the estimator's. A change of basis takes the new values.
pub fn settle(shown: Option<(u64, EtaRange)>, exact: (u64, EtaRange)) -> (u64, EtaRange) {
    let (e, r) = exact;
    let prev = shown.filter(|(_, s)| s.eta_basis == r.eta_basis);
    let prev_point = prev.map(|(p, _)| p);
    let point = match prev_point {
        Some(p) if p.abs_diff(e).saturating_mul(4) <= wait_step(p) * 3 => p,
        _ => nearest(e),
    };
    let keep = |old: Option<u64>, fresh: u64, fits: &dyn Fn(u64) -> bool| match old {
        Some(o) if fits(o) => o,
        _ => fresh,
    };
    let low = r.eta_low_secs.map(|l| {
        let old = prev.and_then(|(_, s)| s.eta_low_secs);
        keep(old, down(l), &|o| {
            o <= l && (l - o).saturating_mul(2) < wait_step(o) * 3
        })
    });
    let high = r.eta_high_secs.map(|h| {
        let old = prev.and_then(|(_, s)| s.eta_high_secs);
        keep(old, up(h), &|o| {
            o >= h && (o - h).saturating_mul(2) < wait_step(o) * 3
        })
    });
    let point = point.max(low.unwrap_or(0)).min(high.unwrap_or(u64::MAX));
    let range = EtaRange {
        eta_low_secs: low,
        eta_high_secs: high,
        eta_basis: r.eta_basis,
    };
    (point, range)
}

#[cfg(test)]
mod tests;
