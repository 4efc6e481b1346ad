//! Two server instances on one Redis admit at the configured global rate, not twice it.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{ms, start, Options, Shared};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_global_rate() {
    // 30/s, burst 30, over a 4 s window: the same ~120 admissions the assertions below
    // expect of one global rate (twice the rate would admit all 240 fans).
    const RATE: i64 = 1_800;
    const WINDOW: Duration = Duration::from_secs(4);
    const TTL_MS: i64 = 600_000;
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let one = start(options.clone()).await;
    let two = start(options).await;
    let tokens = one.fans(240).await;
    let event = one
        .open_event(json!({"rate_per_minute": RATE, "max_active": 10_000, "session_ttl_secs": TTL_MS / 1000, "paused": true}))
        .await;
    let mut fans = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let app = if i % 2 == 0 { &one } else { &two };
        let mut fan = app.connect(&event, token).await;
        assert_eq!(fan.join().await["type"], "queued");
        fans.push(fan);
    }
    // Both instances see the same queue.
    assert_eq!(two.stats(&event).await["waiting"], json!(240));
    two.patch_admission(&event, json!({"paused": false})).await;
    tokio::time::sleep(WINDOW).await;
    one.patch_admission(&event, json!({"paused": true})).await;

    let mut times = Vec::new();
    let mut per_instance = [0usize; 2];
    for (i, fan) in fans.iter_mut().enumerate() {
        while let Some(m) = fan.next_within(Duration::from_millis(20)).await {
            if m["type"] == "admitted" {
                times.push(ms(&m["expires_at"]) - TTL_MS);
                per_instance[i % 2] += 1;
            }
        }
    }
    times.sort_unstable();
    assert!(
        per_instance[0] > 0 && per_instance[1] > 0,
        "{per_instance:?}"
    );
    let span = times.last().unwrap() - times.first().unwrap();
    let bound = (RATE * span / 60_000 + RATE / 60) as usize;
    assert!(
        times.len() <= bound,
        "{} admitted in {span} ms > {bound}",
        times.len()
    );
    // Twice the rate would be ~240 in the window; one global rate is ~120.
    assert!(
        times.len() >= 80 && times.len() <= 170,
        "{} admitted in ~{WINDOW:?}",
        times.len()
    );
    one.stop().await;
    two.stop().await;
}
