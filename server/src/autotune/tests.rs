use super::*;

fn setting() -> AutotuneRow {
    AutotuneRow {
        enabled: true,
        min_rate: 100,
        max_rate: 2_000,
        p99_target_ms: 500,
        error_target_bp: 100,
    }
}

fn judged(requests: u64, p99_ms: u64, error_rate: f64) -> Judged {
    Judged {
        requests,
        p99_ms: Some(p99_ms),
        error_rate,
    }
}

fn target(d: Decision) -> Option<u32> {
    match d {
        Decision::Change { to, .. } => Some(to),
        _ => None,
    }
}

#[test]
fn a_slow_checkout_lowers_the_rate_fast_and_says_why() {
    let d = decide(&setting(), 1_200, &judged(500, 750, 0.0), true);
    let Decision::Change { to, reason, detail } = d else {
        panic!("{d:?}")
    };
    assert_eq!(to, 840);
    assert_eq!(reason, "p99 750 ms > 500 ms target: 1200 → 840/min");
    assert_eq!(detail.why, "p99_over");
    // Never below the minimum.
    assert_eq!(
        target(decide(&setting(), 120, &judged(500, 750, 0.0), true)),
        Some(100)
    );
    assert_eq!(
        decide(&setting(), 100, &judged(500, 750, 0.0), true),
        Decision::Keep
    );
}

#[test]
fn errors_over_their_target_lower_the_rate() {
    let d = decide(&setting(), 1_000, &judged(1_000, 50, 0.05), true);
    let Decision::Change { to, reason, .. } = d else {
        panic!("{d:?}")
    };
    assert_eq!(to, 700);
    assert!(
        reason.starts_with("errors 5.00% > 1.00% target"),
        "{reason}"
    );
}

#[test]
fn a_healthy_checkout_raises_the_rate_gently_up_to_the_maximum() {
    assert_eq!(
        target(decide(&setting(), 1_000, &judged(100, 120, 0.0), true)),
        Some(1_100)
    );
    assert_eq!(
        target(decide(&setting(), 1_950, &judged(100, 120, 0.0), true)),
        Some(2_000)
    );
    assert_eq!(
        decide(&setting(), 2_000, &judged(100, 120, 0.0), true),
        Decision::Keep
    );
}

#[test]
fn no_traffic_no_change_and_one_decrease_per_window() {
    assert_eq!(
        decide(&setting(), 1_000, &judged(9, 5_000, 1.0), true),
        Decision::NoTraffic
    );
    let none = Judged {
        requests: 0,
        p99_ms: None,
        error_rate: 0.0,
    };
    assert_eq!(decide(&setting(), 1_000, &none, true), Decision::NoTraffic);
    assert_eq!(
        decide(&setting(), 1_000, &judged(500, 900, 0.0), false),
        Decision::Keep
    );
}

#[test]
fn a_rate_outside_the_range_is_brought_back_to_it() {
    assert_eq!(
        target(decide(&setting(), 5_000, &judged(0, 0, 0.0), true)),
        Some(2_000)
    );
    assert_eq!(
        target(decide(&setting(), 10, &judged(0, 0, 0.0), true)),
        Some(100)
    );
}

#[test]
fn settings_are_validated() {
    let ok = AutotuneSettings {
        enabled: true,
        min_rate_per_minute: 60,
        max_rate_per_minute: 600,
        p99_target_ms: 500,
        error_rate_target: 0.01,
    };
    assert_eq!(ok.validate().unwrap().error_target_bp, 100);
    let bad = [
        AutotuneSettings {
            min_rate_per_minute: 700,
            ..ok
        },
        AutotuneSettings {
            min_rate_per_minute: 0,
            ..ok
        },
        AutotuneSettings {
            max_rate_per_minute: 6_000_001,
            ..ok
        },
        AutotuneSettings {
            p99_target_ms: 5,
            ..ok
        },
        AutotuneSettings {
            error_rate_target: 0.0,
            ..ok
        },
        AutotuneSettings {
            error_rate_target: f64::NAN,
            ..ok
        },
        AutotuneSettings {
            error_rate_target: 0.9,
            ..ok
        },
    ];
    for b in bad {
        assert!(b.validate().is_err(), "{b:?}");
    }
    let back = AutotuneSettings::from(ok.validate().unwrap());
    assert_eq!(back, ok);
}
