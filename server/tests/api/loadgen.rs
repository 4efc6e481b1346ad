//! Smoke test of `loadgen`: a small sale played in-process against a real server,
//! with every kind of fan (misbehaving ones too) and a pre-queue; and its presale
//! scenario (two groups and the public line), on one server and on two replicas.
//! Asserts the audit's verdicts and the report's shape, not speed.

use serde_json::json;

use crate::helpers::{spawn_app, start, Backend, Options, Shared, ADMIN_EMAIL, ADMIN_PASSWORD};

crate::both_backends!(
    loadgen_plays_a_small_sale_and_audits_it,
    loadgen_solves_the_proof_of_work_or_counts_its_refusals,
    loadgen_plays_a_presale_and_audits_each_line,
);

async fn loadgen_plays_a_small_sale_and_audits_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut config = loadgen::Config::new(app.base.clone());
    config.admin_email = Some(ADMIN_EMAIL.into());
    config.admin_password = Some(ADMIN_PASSWORD.into());
    config.fans = 300;
    config.seats = Some(200);
    config.quantity = 2;
    config.workers = 1;
    config.quiet = true;
    config.seed = 42;
    config.prequeue = 0.2;
    config.opens_in_secs = Some(3.0);
    config.ramp_secs = 3.0;
    config.rate_per_minute = Some(6_000);
    config.patient = 40.0;
    config.abandon = 15.0;
    config.reconnect = 15.0;
    config.tabs = 10.0;
    config.misbehave = 20.0;
    config.abandon_after_secs = 3.0;
    config.reconnect_after_secs = 1.5;
    config.storm_at_secs = Some(1.0);
    config.duration_secs = 40.0;

    let report = loadgen::run(config).await.expect("the run completes");
    let text = serde_json::to_string_pretty(&report).unwrap();
    eprintln!("{}", report.table());
    assert!(report.passed, "{text}");
    assert_eq!(report.oversold_seats, 0, "{text}");
    assert_eq!(report.fifo_inversions, 0, "{text}");
    assert_eq!(report.prequeue_violations, 0, "{text}");
    assert_eq!(report.server_5xx, 0, "{text}");
    assert!(report.admitted > 0, "{text}");
    assert!(report.prequeued > 0, "{text}");
    assert!(report.fifo_pairs_checked > 0, "{text}");

    let stats = app.stats(&report.event_id).await;
    assert_eq!(json!(report.sold), stats["sold"], "{text}");
    assert!(report.sold > 0 && report.sold <= report.capacity, "{text}");
    assert!(report.capacity < 300);

    // Misbehaving fans were refused with the codes they provoke, and counted apart.
    for code in ["invalid_token", "wrong_event", "token_account_mismatch"] {
        assert!(report.expected_errors.contains_key(code), "{code}: {text}");
    }

    // Every admitted fan joined first, over a socket it opened. (This sale admits too
    // fast for position gaps; the Crowd benchmark reports them.)
    assert!(report.joins_per_sec > 0.0, "{text}");
    assert!(report.join_latency_ms.count >= report.admitted, "{text}");
    assert!(
        report.connect_latency_ms.count >= report.join_latency_ms.count,
        "{text}"
    );

    let value = serde_json::to_value(&report).unwrap();
    for field in [
        "fans",
        "connections_peak",
        "joins_per_sec",
        "admitted",
        "sold",
        "capacity",
        "oversold_seats",
        "fifo_inversions",
        "admission_rate_achieved_per_min",
        "admission_rate_configured_per_min",
        "holds_per_sec",
        "connect_latency_ms",
        "join_latency_ms",
        "position_gap_ms",
        "errors",
        "unexpected_errors",
    ] {
        assert!(value.get(field).is_some(), "no {field}: {text}");
    }
    for hist in [
        "time_to_admission_ms",
        "hold_latency_ms",
        "confirm_latency_ms",
    ] {
        for p in ["p50", "p90", "p99", "p999", "max"] {
            assert!(value[hist][p].is_number(), "no {hist}.{p}: {text}");
        }
    }
    app.stop().await;
}

/// A sale asking proof of work: fans that solve it join (each solve timed); fans
/// told not to are each refused with `pow_required`, counted as expected.
async fn loadgen_solves_the_proof_of_work_or_counts_its_refusals(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for solve in [true, false] {
        let mut config = loadgen::Config::new(app.base.clone());
        config.admin_email = Some(ADMIN_EMAIL.into());
        config.admin_password = Some(ADMIN_PASSWORD.into());
        config.fans = 20;
        config.seats = Some(40);
        config.workers = 1;
        config.quiet = true;
        config.seed = 7 + u64::from(solve);
        config.opens_in_secs = Some(1.0);
        config.ramp_secs = 1.0;
        config.rate_per_minute = Some(6_000);
        config.patient = 100.0;
        config.abandon = 0.0;
        config.reconnect = 0.0;
        config.tabs = 0.0;
        config.misbehave = 0.0;
        config.duration_secs = 20.0;
        config.pow_difficulty = 8;
        config.no_pow_solve = !solve;
        let report = loadgen::run(config).await.expect("the run completes");
        let text = serde_json::to_string_pretty(&report).unwrap();
        if solve {
            assert_eq!(report.pow_required, 0, "{text}");
            assert_eq!(report.pow_solve_ms.count, 20, "{text}");
            assert_eq!(report.admitted, 20, "{text}");
        } else {
            assert_eq!(report.pow_required, 20, "{text}");
            assert_eq!(
                report.expected_errors.get("pow_required"),
                Some(&20),
                "{text}"
            );
            assert_eq!(report.admitted, 0, "{text}");
        }
    }
}

/// loadgen's presale scenario, small: two groups and the public line opening 2 s apart,
/// fans split over them (half pre-queued), each group fan redeeming its generated code
/// before joining; admission slower than the lines fill, so the lines overlap in the
/// queue. Every line passes the audit, and the audit had something to check.
async fn loadgen_plays_a_presale_and_audits_each_line(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    play_a_presale(vec![app.base.clone()], 240, 0.0).await;
    app.stop().await;
}

/// The same on two replicas of one Redis and PostgreSQL, fans spread over both, a
/// fifth of them dropping and reconnecting while they wait (a group fan's rejoin on
/// either replica goes back to its own line).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadgen_plays_a_presale_on_two_replicas() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let one = start(options.clone()).await;
    let two = start(options).await;
    play_a_presale(vec![one.base.clone(), two.base.clone()], 400, 20.0).await;
    one.stop().await;
    two.stop().await;
}

/// Plays a presale of `fans` against `urls`, `reconnect` the weight of reconnecting
/// fans (the others patient), and checks the audit.
async fn play_a_presale(urls: Vec<String>, fans: u32, reconnect: f64) {
    let mut config = loadgen::Config::new(urls[0].clone());
    config.urls = urls;
    config.admin_email = Some(ADMIN_EMAIL.into());
    config.admin_password = Some(ADMIN_PASSWORD.into());
    config.fans = fans;
    config.seats = Some(fans * 5 / 2);
    config.quantity = 2;
    config.workers = 1;
    config.quiet = true;
    config.seed = 20;
    config.prequeue = 0.5;
    config.opens_in_secs = Some(3.0);
    config.ramp_secs = 1.5;
    config.rate_per_minute = Some(fans * 15 / 2);
    config.patient = 100.0 - reconnect;
    config.abandon = 0.0;
    config.reconnect = reconnect;
    config.reconnect_after_secs = 1.0;
    config.tabs = 0.0;
    config.misbehave = 0.0;
    config.duration_secs = 60.0;
    config.presale_groups = 2;
    config.presale_gap_secs = 2.0;
    config.presale_share = 0.7;

    let report = loadgen::run(config).await.expect("the run completes");
    let text = serde_json::to_string_pretty(&report).unwrap();
    eprintln!("{}", report.table());
    assert!(report.passed, "{text}");
    assert_eq!(report.admitted, u64::from(fans), "{text}");
    let presale = report.presale.as_ref().expect("a presale audit");
    assert_eq!(
        presale.lines.iter().map(|l| l.line).collect::<Vec<_>>(),
        [1, 2, 0],
        "{text}"
    );
    for line in &presale.lines {
        assert!(line.fans > 0 && line.prequeued > 0, "{text}");
        assert_eq!(line.drawn, line.prequeued, "{text}");
        assert_eq!(line.draw_order_checked, line.prequeued, "{text}");
        assert!(line.join_order_pairs > 0, "{text}");
    }
    assert!(presale.fifo_pairs_checked > 0, "{text}");
}
