//! Admission under load: FIFO, the rate bound, the active-shopper cap, live PATCH of
//! the rate, pause and resume.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{ms, spawn_app, Backend, Fan};

crate::both_backends!(
    thousand_fans_fifo_within_rate_and_cap,
    patching_the_rate_changes_the_pace_within_a_second,
    pause_stops_admission_and_tells_every_waiting_fan,
);

/// What one fan saw: when it was admitted (server time, from its token's expiry), its
/// session end, the token, and whether its people-ahead ever rose.
struct Seen {
    admitted_at_ms: i64,
    expires_at_ms: i64,
    token: String,
    ahead_rose: bool,
    admitted_messages: usize,
    positions: u64,
}

/// Reads a fan's socket until admitted, then for `linger` more (to catch duplicates).
async fn watch_until_admitted(
    mut fan: Fan,
    first_ahead: u64,
    ttl_ms: i64,
    linger: Duration,
) -> Seen {
    let mut last_ahead = first_ahead;
    let mut ahead_rose = false;
    let mut admitted = None;
    let mut admitted_messages = 0;
    let mut positions = 0;
    loop {
        let limit = if admitted.is_some() {
            linger
        } else {
            Duration::from_secs(120)
        };
        let Some(m) = fan.next_within(limit).await else {
            break;
        };
        match m["type"].as_str().unwrap() {
            "position" => {
                let ahead = m["ahead"].as_u64().unwrap();
                ahead_rose |= ahead > last_ahead;
                last_ahead = ahead;
                positions += 1;
            }
            "admitted" => {
                admitted_messages += 1;
                let exp = ms(&m["expires_at"]);
                admitted = Some((
                    exp - ttl_ms,
                    exp,
                    m["purchase_token"].as_str().unwrap().to_owned(),
                ));
            }
            _ => {}
        }
    }
    let (admitted_at_ms, expires_at_ms, token) = admitted.expect("every fan is admitted");
    fan.close().await;
    Seen {
        admitted_at_ms,
        expires_at_ms,
        token,
        ahead_rose,
        admitted_messages,
        positions,
    }
}

/// Largest number of admissions inside any window of `window_ms` (times sorted).
fn max_in_window(times: &[i64], window_ms: i64) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] > window_ms {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

async fn thousand_fans_fifo_within_rate_and_cap(backend: Backend) {
    const FANS: usize = 1_000;
    const RATE: i64 = 6_000; // per minute: 100/s, burst 100
    const MAX_ACTIVE: usize = 400;
    const TTL_MS: i64 = 10_000;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(FANS).await;
    let event = app
        .open_event(json!({"rate_per_minute": RATE, "max_active": MAX_ACTIVE, "session_ttl_secs": TTL_MS / 1000}))
        .await;

    // Sample the server's own active count while the sale runs.
    let max_active_seen = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (http, url, admin, seen) = (
            app.http.clone(),
            app.url(&format!("/api/v1/admin/events/{event}/stats")),
            app.admin_token.clone(),
            Arc::clone(&max_active_seen),
        );
        tokio::spawn(async move {
            loop {
                let stats: serde_json::Value = http
                    .get(&url)
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                seen.fetch_max(stats["active"].as_u64().unwrap(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };

    // Fans join one after another: join order is known exactly.
    let mut watchers = Vec::new();
    for token in &tokens {
        let mut fan = app.connect(&event, token).await;
        let first = fan.join().await;
        assert_eq!(first["type"], "queued", "{first}");
        let ahead = first["ahead"].as_u64().unwrap();
        let watcher = tokio::spawn(watch_until_admitted(
            fan,
            ahead,
            TTL_MS,
            Duration::from_millis(500),
        ));
        watchers.push(watcher);
    }
    let mut seen = Vec::new();
    for w in watchers {
        seen.push(w.await.unwrap());
    }
    sampler.abort();

    // Each fan admitted exactly once, with its own token.
    assert!(
        seen.iter().all(|s| s.admitted_messages == 1),
        "a fan was admitted twice"
    );
    let distinct: HashSet<&str> = seen.iter().map(|s| s.token.as_str()).collect();
    assert_eq!(distinct.len(), FANS);
    // FIFO: admission times never go backwards in join order.
    for (i, pair) in seen.windows(2).enumerate() {
        assert!(
            pair[0].admitted_at_ms <= pair[1].admitted_at_ms,
            "fan {} admitted after fan {}",
            i,
            i + 1
        );
    }
    // Positions never rose.
    assert!(
        !seen.iter().any(|s| s.ahead_rose),
        "a fan's people-ahead rose"
    );
    // Rate: within any window, at most rate × window + one second's burst.
    let mut times: Vec<i64> = seen.iter().map(|s| s.admitted_at_ms).collect();
    times.sort_unstable();
    for window in [250, 1_000, 3_000, 10_000] {
        let bound = (RATE * window / 60_000 + RATE / 60) as usize;
        let got = max_in_window(&times, window);
        assert!(got <= bound, "{got} admitted within {window} ms > {bound}");
    }
    // Cap: at no admission instant were more than MAX_ACTIVE sessions running.
    for s in &seen {
        let t = s.admitted_at_ms;
        let running = seen
            .iter()
            .filter(|o| o.admitted_at_ms <= t && t < o.expires_at_ms)
            .count();
        assert!(running <= MAX_ACTIVE, "{running} active at {t}");
    }
    let sampled = max_active_seen.load(Ordering::Relaxed) as usize;
    assert!(sampled <= MAX_ACTIVE, "stats showed {sampled} active");
    assert!(
        sampled >= MAX_ACTIVE / 2,
        "the cap never bound (max {sampled} active)"
    );
    let stats = app.stats(&event).await;
    assert_eq!(stats["admitted_total"], json!(FANS));
    assert_eq!(stats["waiting"], json!(0));
    // Every position update a fan read was timed on its way out (tick fan-out metric).
    let received: u64 = seen.iter().map(|s| s.positions).sum();
    assert!(received > 0, "no fan saw its position move");
    let metrics = app.metrics().send().await.unwrap().text().await.unwrap();
    let timed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("floodgate_position_fanout_seconds_count "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no fan-out count in {metrics}"));
    assert!(timed >= received, "{timed} timed < {received} received");
    // Requests are timed by route template (the stats calls above among them).
    assert!(
        metrics.contains("floodgate_http_request_seconds_count{route=\"/api/v1/"),
        "{metrics}"
    );
    app.stop().await;
}

async fn patching_the_rate_changes_the_pace_within_a_second(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(200).await;
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10_000, "session_ttl_secs": 600}))
        .await;
    let mut watchers = Vec::new();
    for token in &tokens {
        let mut fan = app.connect(&event, token).await;
        let first = fan.join().await;
        let ahead = first["ahead"].as_u64().unwrap_or(0);
        if first["type"] == "queued" {
            watchers.push(tokio::spawn(watch_until_admitted(
                fan,
                ahead,
                600_000,
                Duration::from_millis(200),
            )));
        }
    }
    // The old pace at work: its burst (one fan) and one more a second later.
    app.wait_until(
        "two fans admitted at the old pace",
        Duration::from_secs(10),
        || async { app.stats(&event).await["admitted_total"].as_u64().unwrap() >= 2 },
    )
    .await;
    let before = app.stats(&event).await["admitted_total"].as_u64().unwrap();
    assert!(
        before <= 6,
        "1/min per second pace admitted {before} already"
    );
    let patched = app
        .patch_admission(&event, json!({"rate_per_minute": 6_000}))
        .await;
    assert_eq!(patched["rate_per_minute"], json!(6_000));
    let patched_at = waiting_room::clock::now_ms();
    let mut times = Vec::new();
    for w in watchers {
        times.push(w.await.unwrap().admitted_at_ms);
    }
    // At the old pace (1/s) at most ~2 fans fit in the second after the PATCH; at the
    // new one (100/s) dozens do.
    let next_second = times
        .iter()
        .filter(|t| **t >= patched_at && **t < patched_at + 1_000)
        .count();
    assert!(
        next_second >= 30,
        "only {next_second} admitted in the second after the PATCH"
    );
    app.stop().await;
}

async fn pause_stops_admission_and_tells_every_waiting_fan(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(30).await;
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10_000, "session_ttl_secs": 600}))
        .await;
    let mut fans = Vec::new();
    for token in &tokens {
        let mut fan = app.connect(&event, token).await;
        fan.join().await;
        fans.push(fan);
    }
    app.patch_admission(&event, json!({"paused": true})).await;
    let paused_at = Instant::now();
    let mut waiting = Vec::new();
    for mut fan in fans {
        // Fans admitted before the pause landed are not waiting and are not told.
        let mut admitted = false;
        loop {
            let m = fan
                .next_within(Duration::from_secs(3))
                .await
                .expect("paused or admitted");
            match m["type"].as_str().unwrap() {
                "paused" => break,
                "admitted" => {
                    admitted = true;
                    break;
                }
                _ => {}
            }
        }
        if !admitted {
            waiting.push(fan);
        }
    }
    assert!(paused_at.elapsed() < Duration::from_secs(3));
    assert!(waiting.len() >= 25, "{} still waiting", waiting.len());
    let frozen = app.stats(&event).await["admitted_total"].clone();
    // Proves something does not happen, so it waits for real: two and a half admission
    // intervals at the old pace (1/s).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let stats = app.stats(&event).await;
    assert_eq!(
        stats["admitted_total"], frozen,
        "admission continued while paused"
    );
    assert_eq!(stats["paused"], json!(true));

    app.patch_admission(&event, json!({"paused": false, "rate_per_minute": 6_000}))
        .await;
    for fan in &mut waiting {
        fan.expect("resumed", Duration::from_secs(3)).await;
    }
    for fan in &mut waiting {
        fan.expect("admitted", Duration::from_secs(10)).await;
    }
    app.stop().await;
}
