//! The rounding rules at their edges: 0, the boundary of the exact zone, each change
//! of step, huge values; monotonicity over a walk down the whole line; the estimate's
//! range always holding the estimator's, and not flapping on a step's edge.

use super::*;
use crate::estimate::EtaBasis;

#[test]
fn people_ahead_is_exact_near_the_head() {
    assert_eq!(about(0), None);
    assert_eq!(shown_ahead(0), 0);
    assert_eq!(about(1), None);
    assert_eq!(about(EXACT_BELOW - 1), None);
    assert_eq!(shown_ahead(999), 999);
    assert_eq!(ahead_step(999), 1);
}

#[test]
fn people_ahead_is_rounded_to_two_significant_figures_deep_in_the_line() {
    // The boundary: 1,000 is rounded (to itself), in steps of 100.
    assert_eq!(about(1_000), Some(1_000));
    assert_eq!(ahead_step(1_000), 100);
    assert_eq!(about(1_049), Some(1_000));
    assert_eq!(about(1_050), Some(1_100), "a half rounds up");
    assert_eq!(about(9_949), Some(9_900));
    assert_eq!(
        about(9_950),
        Some(10_000),
        "up into the next step's multiples"
    );
    assert_eq!(ahead_step(9_999), 100);
    assert_eq!(ahead_step(10_000), 1_000);
    assert_eq!(about(12_345), Some(12_000));
    assert_eq!(about(99_500), Some(100_000));
    assert_eq!(about(1_234_567), Some(1_200_000));
    assert_eq!(about(10_000_000), Some(10_000_000));
    // Every rounded value is within 5% of the truth.
    for ahead in [1_000, 1_049, 1_050, 1_999, 10_499, 10_500, 123_456_789] {
        let shown = about(ahead).unwrap();
        assert!(
            shown.abs_diff(ahead) * 20 <= ahead,
            "{ahead} shown as {shown}"
        );
    }
}

#[test]
fn huge_values_saturate_instead_of_overflowing() {
    assert_eq!(ahead_step(u64::MAX), 1_000_000_000_000_000_000);
    assert_eq!(about(u64::MAX), Some(18_000_000_000_000_000_000));
    assert_eq!(about(u64::MAX - 1), Some(18_000_000_000_000_000_000));
    assert!(about(u64::MAX / 2).unwrap() >= about(u64::MAX / 2 - 1).unwrap());
    let (point, range) = settle(None, (u64::MAX, rate(u64::MAX - 7, u64::MAX)));
    assert!(range.eta_low_secs.unwrap() <= point && point <= range.eta_high_secs.unwrap());
    let again = settle(
        Some((point, range)),
        (u64::MAX - 3, rate(u64::MAX - 9, u64::MAX)),
    );
    assert_eq!(again.1.eta_high_secs, Some(u64::MAX));
}

/// A walk from 10 million to 0 in uneven strides: the shown value never rises, and
/// only the exact zone moves on every step.
#[test]
fn a_never_rising_line_is_shown_never_rising() {
    let mut ahead = 10_000_000u64;
    let mut last = shown_ahead(ahead);
    let mut stride = 1u64;
    while ahead > 0 {
        ahead = ahead.saturating_sub(stride);
        stride = stride * 7 % 997 + 1;
        let shown = shown_ahead(ahead);
        assert!(shown <= last, "{ahead}: shown {shown} after {last}");
        last = shown;
    }
    assert_eq!(last, 0);
    // Exhaustively across the boundaries of the first three steps.
    for ahead in 1..200_000u64 {
        assert!(shown_ahead(ahead - 1) <= shown_ahead(ahead), "{ahead}");
    }
}

fn rate(low: u64, high: u64) -> EtaRange {
    EtaRange {
        eta_low_secs: Some(low),
        eta_high_secs: Some(high),
        eta_basis: Some(EtaBasis::Rate),
    }
}

#[test]
fn waits_are_rounded_in_the_steps_the_page_shows() {
    assert_eq!(wait_step(0), 5);
    assert_eq!(wait_step(89), 5);
    assert_eq!(wait_step(90), 60);
    assert_eq!(wait_step(1_799), 60);
    assert_eq!(wait_step(1_800), 300);
    assert_eq!(wait_step(10_800), 900);
    assert_eq!(wait_step(u64::MAX), 900);
    // The point to the nearest step, the range outwards.
    let (point, range) = settle(None, (569, rate(500, 620)));
    assert_eq!(point, 540);
    assert_eq!(range, rate(480, 660));
    let (point, range) = settle(None, (0, rate(0, 2)));
    assert_eq!((point, range), (0, rate(0, 5)));
    // No estimate: the point alone, rounded.
    let none = EtaRange {
        eta_basis: Some(EtaBasis::None),
        ..EtaRange::default()
    };
    assert_eq!(settle(None, (571, none)), (600, none));
}

/// The estimator's own figures, a second apart, for a fan moving up at 100 a second
/// with a jittery measured pace: what is shown changes rarely, always holds the
/// estimator's range, and its point is never more than a step from the estimator's.
#[test]
fn the_shown_wait_changes_rarely_and_always_holds_the_estimate() {
    let mut shown = None;
    let mut changes = 0;
    for t in 0..600u64 {
        let jitter = [0, 3, 1, 4, 2][t as usize % 5];
        let point = 700 - t + jitter;
        let exact = (point, rate(point * 85 / 100, point * 105 / 100 + 2));
        let next = settle(shown, exact);
        let (p, r) = next;
        let (lo, hi) = (r.eta_low_secs.unwrap(), r.eta_high_secs.unwrap());
        assert!(
            lo <= exact.1.eta_low_secs.unwrap(),
            "{t}: {next:?} for {exact:?}"
        );
        assert!(
            hi >= exact.1.eta_high_secs.unwrap(),
            "{t}: {next:?} for {exact:?}"
        );
        assert!(lo <= p && p <= hi);
        assert!(p.abs_diff(point) <= wait_step(p), "{t}: {p} for {point}");
        if shown != Some(next) {
            changes += 1;
        }
        shown = Some(next);
    }
    // Ten minutes of a wait falling from 700 s to 100 s: one change a second without
    // the rule; with it, about one per shown minute of each of the three figures.
    assert!(changes <= 40, "{changes} changes");
}

#[test]
fn a_change_of_basis_or_a_range_that_no_longer_holds_is_shown_at_once() {
    let shown = settle(None, (600, rate(540, 660)));
    assert_eq!(shown, (600, rate(540, 660)));
    // The estimator's low end fell below what is shown: lowered at once.
    assert_eq!(
        settle(Some(shown), (600, rate(530, 660))).1.eta_low_secs,
        Some(480)
    );
    // Its high end rose above: raised at once.
    assert_eq!(
        settle(Some(shown), (600, rate(540, 661))).1.eta_high_secs,
        Some(720)
    );
    let measured = EtaRange {
        eta_basis: Some(EtaBasis::Measured),
        ..rate(540, 660)
    };
    assert_eq!(settle(Some(shown), (600, measured)).1, measured);
}

#[test]
fn one_significant_figure_rounds_to_the_nearest() {
    use super::coarse;
    for (n, c) in [
        (0, 0),
        (7, 7),
        (10, 10),
        (14, 10),
        (15, 20),
        (95, 100),
        (949, 900),
        (950, 1_000),
        (37_400, 40_000),
        (34_900, 30_000),
        (35_000, 40_000),
        (u64::MAX, u64::MAX),
    ] {
        assert_eq!(coarse(n), c, "{n}");
    }
}
