//! Reconnecting within the grace period keeps ticket and place; after it the ticket is
//! gone and admission skips it without wasting a slot.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_with, Backend, Options};

crate::both_backends!(reconnect_keeps_the_place_until_the_grace_runs_out);

async fn reconnect_keeps_the_place_until_the_grace_runs_out(backend: Backend) {
    let options = Options {
        grace_secs: 2,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let tokens = app.fans(3).await;
    let (a, b, c) = (&tokens[0], &tokens[1], &tokens[2]);
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 2, "session_ttl_secs": 600, "paused": true}))
        .await;
    let mut fan_a = app.connect(&event, a).await;
    let ticket_a = fan_a.join().await;
    let mut fan_b = app.connect(&event, b).await;
    let ticket_b = fan_b.join().await;
    let mut fan_c = app.connect(&event, c).await;
    let ticket_c = fan_c.join().await;
    assert_eq!(ticket_c["ahead"], json!(2));

    // A drops and comes back quickly: the same ticket and place, without re-joining.
    fan_a.close().await;
    app.wait_until(
        "the server sees A's socket gone",
        Duration::from_secs(5),
        || async { app.stats(&event).await["connected"] == json!(2) },
    )
    .await;
    let mut fan_a = app.connect(&event, a).await;
    let resumed = fan_a.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(resumed["ticket"], ticket_a["ticket"]);
    assert_eq!(resumed["ahead"], json!(0));

    // C drops and comes back joining at once (the join answers for the resume): the
    // same ticket and place too.
    fan_c.close().await;
    let mut fan_c = app.connect(&event, c).await;
    let rejoined = fan_c.join().await;
    assert_eq!(rejoined["ticket"], ticket_c["ticket"]);
    assert_eq!(rejoined["ahead"], json!(2));

    // B drops for longer than the grace period: its ticket leaves the queue.
    fan_b.close().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let m = fan_c
            .next_within(left)
            .await
            .expect("C moves up when B's ticket lapses");
        if m["type"] == "position" && m["ahead"] == json!(1) {
            break;
        }
    }
    let (status, me) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(b))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["type"], "left", "{me}");
    let stats = app.stats(&event).await;
    assert_eq!(stats["waiting"], json!(2));

    // Two slots: A and C get them; B's lapsed ticket wastes none.
    app.patch_admission(&event, json!({"paused": false})).await;
    fan_a.expect("admitted", Duration::from_secs(5)).await;
    fan_c.expect("admitted", Duration::from_secs(5)).await;
    let stats = app.stats(&event).await;
    assert_eq!(
        (stats["active"].clone(), stats["admitted_total"].clone()),
        (json!(2), json!(2))
    );

    // B comes back after the grace: a new ticket, at the back.
    let mut fan_b = app.connect(&event, b).await;
    let again = fan_b.join().await;
    assert_eq!(again["type"], "queued");
    assert_ne!(again["ticket"], ticket_b["ticket"]);
    app.stop().await;
}
