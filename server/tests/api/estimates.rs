//! Issue 17: every place in line carries the estimated wait's range and how it was
//! estimated, on the socket and over HTTP; no range while admission is paused.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};

crate::both_backends!(places_carry_the_wait_range_and_say_when_there_is_none);

fn range(m: &Value) -> (u64, u64, u64) {
    let n = |k: &str| m[k].as_u64().unwrap_or_else(|| panic!("{k} in {m}"));
    (n("eta_low_secs"), n("eta_secs"), n("eta_high_secs"))
}

async fn places_carry_the_wait_range_and_say_when_there_is_none(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(6).await;
    // One a minute: the first fan is admitted, the others wait in line.
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10_000, "session_ttl_secs": 600}))
        .await;
    let mut fans = Vec::new();
    for token in &tokens {
        let mut fan = app.connect(&event, token).await;
        let first = fan.join().await;
        fans.push((fan, first));
    }
    let (last, first) = fans.last_mut().unwrap();
    assert_eq!(first["type"], "queued", "{first}");
    assert_eq!(first["eta_basis"], "rate", "{first}");
    let (low, eta, high) = range(first);
    let ahead = first["ahead"].as_u64().unwrap();
    // One a second at 60 a minute, shown in 5 s steps (to the nearest).
    assert!(eta.abs_diff(ahead + 1) <= 2, "{first}");
    assert!(low <= eta && eta <= high, "{first}");
    // The next position says the same things.
    let position = last.expect("position", Duration::from_secs(5)).await;
    assert_eq!(position["eta_basis"], "rate", "{position}");
    let (low, eta, high) = range(&position);
    assert!(low <= eta && eta <= high, "{position}");

    // Over HTTP too (schemas.rs checks such answers against the served document).
    let me = format!("/api/v1/events/{event}/queue/me");
    let (status, body) = app.get(&me, Some(tokens.last().unwrap())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["eta_basis"], "rate", "{body}");
    range(&body);

    // Paused: no estimate, and no range (the fan page says the wait is on hold).
    app.patch_admission(&event, json!({"paused": true})).await;
    let token = tokens.last().unwrap().clone();
    app.wait_until("no estimate while paused", Duration::from_secs(10), || {
        let (me, token) = (me.clone(), token.clone());
        let app = &app;
        async move {
            let (_, body) = app.get(&me, Some(&token)).await;
            body["eta_basis"] == "none"
        }
    })
    .await;
    let (_, body) = app.get(&me, Some(&token)).await;
    assert!(body.get("eta_low_secs").is_none(), "{body}");
    assert!(body.get("eta_high_secs").is_none(), "{body}");
    assert!(body["eta_secs"].is_u64(), "{body}");
    app.stop().await;
}
