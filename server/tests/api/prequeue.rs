//! The pre-queue: fans who arrive before the opening are shuffled at the opening and
//! all admitted, each once, before anyone who came later.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{ms, spawn_app, Backend};

crate::both_backends!(prequeue_fans_go_first_in_shuffled_order);

async fn prequeue_fans_go_first_in_shuffled_order(backend: Backend) {
    const EARLY: usize = 200;
    const LATE: usize = 100;
    const TTL_MS: i64 = 600_000;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(EARLY + LATE).await;
    let event = app
        .create_event(
            4_000,
            json!({"rate_per_minute": 6_000, "max_active": 10_000, "session_ttl_secs": 600}),
        )
        .await;

    let mut early = Vec::new();
    for token in &tokens[..EARLY] {
        let mut fan = app.connect(&event, token).await;
        let first = fan.join().await;
        assert_eq!(first["type"], "prequeue", "{first}");
        early.push(fan);
    }
    assert_eq!(app.stats(&event).await["prequeue"], json!(EARLY));
    app.wait_until("sale opens", Duration::from_secs(10), || async {
        app.stats(&event).await["opened"] == json!(true)
    })
    .await;
    let mut late = Vec::new();
    for token in &tokens[EARLY..] {
        let mut fan = app.connect(&event, token).await;
        let first = fan.join().await;
        assert_ne!(first["type"], "prequeue", "{first}");
        late.push(fan);
    }

    // Every fan is admitted exactly once; collect server admission times.
    let mut times = Vec::new();
    for mut fan in early.into_iter().chain(late) {
        let m = fan.expect("admitted", Duration::from_secs(30)).await;
        times.push(ms(&m["expires_at"]) - TTL_MS);
        while let Some(extra) = fan.next_within(Duration::from_millis(50)).await {
            assert_ne!(extra["type"], "admitted", "admitted twice");
        }
    }
    let last_early = times[..EARLY].iter().max().unwrap();
    let first_late = times[EARLY..].iter().min().unwrap();
    assert!(
        last_early <= first_late,
        "a later fan went before a pre-queued one"
    );
    // Shuffled: the order of admission is not the order of arrival.
    let mut by_admission: Vec<usize> = (0..EARLY).collect();
    by_admission.sort_by_key(|i| times[*i]);
    assert!(
        by_admission.windows(2).any(|w| w[0] > w[1]),
        "pre-queue admitted in arrival order"
    );
    let stats = app.stats(&event).await;
    assert_eq!(stats["admitted_total"], json!(EARLY + LATE));
    assert_eq!(stats["prequeue"], json!(0));
    app.stop().await;
}
