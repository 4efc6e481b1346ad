//! Admission modes (docs/ARCHITECTURE.md, "Admission modes") over both doors (the
//! queue socket and HTTP) on both backends: fans in line keep their places and order
//! through queue → queue_all → reject → passthrough → queue, reject refuses new
//! places with 503 / an error frame, passthrough admits a joiner at once, and bad
//! input changes nothing.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{slow_admission, spawn_app, Backend, Fan, TestApp};

crate::both_backends!(
    every_fan_keeps_its_place_through_every_mode,
    passthrough_admits_a_joiner_at_once_whatever_the_rate,
    bad_mode_input_is_refused_and_changes_nothing,
);

const WAIT: Duration = Duration::from_secs(5);

/// Reads `fan`'s socket until a `mode` frame, which it answers.
async fn mode_frame(fan: &mut Fan) -> Value {
    fan.expect("mode", WAIT).await
}

/// The fan's place as `queue/me` tells it: (ticket, ahead).
async fn place(app: &TestApp, event: &str, token: &str) -> (String, u64) {
    let (status, m) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["type"], "queued", "{m}");
    (
        m["ticket"].as_str().unwrap().to_owned(),
        m["ahead"].as_u64().unwrap(),
    )
}

/// A join over HTTP: status, body and `Retry-After`.
async fn http_join(app: &TestApp, event: &str, token: &str) -> (StatusCode, Value, Option<String>) {
    let resp = app
        .http
        .post(app.url(&format!("/api/v1/events/{event}/queue/join")))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, resp.json().await.unwrap(), retry)
}

async fn every_fan_keeps_its_place_through_every_mode(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(8).await;
    let event = app.open_event(slow_admission()).await;
    let mut fans = Vec::new();
    for token in &tokens[..4] {
        let mut fan = app.connect(&event, token).await;
        assert_eq!(fan.join().await["type"], "queued");
        fans.push(fan);
    }
    let mut places = Vec::new();
    for token in &tokens[..4] {
        places.push(place(&app, &event, token).await);
    }
    let aheads: Vec<u64> = places.iter().map(|p| p.1).collect();
    assert_eq!(aheads, vec![0, 1, 2, 3]);
    // Every place is the same, or closer to the head: people-ahead never rises.
    let kept = |now: &[(String, u64)]| {
        for (before, after) in places.iter().zip(now) {
            assert_eq!(before.0, after.0, "the same ticket");
            assert!(
                after.1 <= before.1,
                "people-ahead rose: {before:?} → {after:?}"
            );
        }
    };

    // queue_all: every fan is told, with the message; a join over HTTP still queues.
    let answer = app
        .patch_admission(
            &event,
            json!({"mode": "queue_all", "message": "Hold tight."}),
        )
        .await;
    assert_eq!(
        (answer["mode"].clone(), answer["message"].clone()),
        (json!("queue_all"), json!("Hold tight."))
    );
    for fan in &mut fans {
        let m = mode_frame(fan).await;
        assert_eq!(
            m,
            json!({"type": "mode", "mode": "queue_all", "message": "Hold tight."})
        );
    }
    let (status, m, _) = http_join(&app, &event, &tokens[4]).await;
    assert_eq!(
        (status, m["type"].clone(), m["ahead"].clone()),
        (StatusCode::OK, json!("queued"), json!(4))
    );
    let mut now = Vec::new();
    for token in &tokens[..4] {
        now.push(place(&app, &event, token).await);
    }
    kept(&now);

    // reject: told too; a new place is refused at both doors; a fan in line
    // reconnecting keeps its ticket and hears the mode on connect.
    app.patch_admission(
        &event,
        json!({"mode": "reject", "message": "Down until 10:30."}),
    )
    .await;
    for fan in &mut fans {
        let m = mode_frame(fan).await;
        assert_eq!(
            (m["mode"].clone(), m["message"].clone()),
            (json!("reject"), json!("Down until 10:30."))
        );
    }
    let (status, body, retry) = http_join(&app, &event, &tokens[5]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "event_rejecting");
    assert_eq!(body["error"]["message"], "Down until 10:30.");
    assert_eq!(retry.as_deref(), Some("30"));
    let mut stranger = app.connect(&event, &tokens[6]).await;
    assert_eq!(
        mode_frame(&mut stranger).await["mode"],
        "reject",
        "told on connect"
    );
    stranger.send(json!({"type": "join"})).await;
    let refused = stranger.expect("error", WAIT).await;
    assert_eq!(refused["code"], "event_rejecting");
    let (status, m) = app
        .get(
            &format!("/api/v1/events/{event}/queue/me"),
            Some(&tokens[6]),
        )
        .await;
    assert_eq!(
        (status, m["code"].clone()),
        (StatusCode::OK, json!("not_in_queue")),
        "nothing taken"
    );
    let reconnected = fans.remove(0);
    reconnected.close().await;
    let mut back = app.connect(&event, &tokens[0]).await;
    assert_eq!(mode_frame(&mut back).await["mode"], "reject");
    let again = back.join().await;
    assert_eq!(
        (
            again["ticket"].as_str().unwrap(),
            again["ahead"].as_u64().unwrap()
        ),
        (places[0].0.as_str(), 0)
    );
    fans.insert(0, back);
    let mut now = Vec::new();
    for token in &tokens[..4] {
        now.push(place(&app, &event, token).await);
    }
    kept(&now);
    let public = app.get(&format!("/api/v1/events/{event}"), None).await.1;
    assert_eq!(public["admission"]["mode"], "reject");
    assert_eq!(public["admission"]["message"], "Down until 10:30.");
    assert_eq!(
        app.stats(&event).await["admitted_total"],
        0,
        "nobody admitted"
    );

    // passthrough: the line drains in order (the rate is 1 a minute), then a new fan
    // is admitted at once over either door.
    app.patch_admission(&event, json!({"mode": "passthrough", "message": ""}))
        .await;
    for fan in &mut fans {
        let m = mode_frame(fan).await;
        assert_eq!(
            m,
            json!({"type": "mode", "mode": "passthrough", "message": null})
        );
        fan.expect("admitted", WAIT).await;
    }
    app.wait_until("the line drains", WAIT, || async {
        app.stats(&event).await["waiting"] == 0
    })
    .await;
    let (status, m, _) = http_join(&app, &event, &tokens[7]).await;
    assert_eq!(
        (status, m["type"].clone()),
        (StatusCode::OK, json!("admitted")),
        "{m}"
    );
    let mut late = app.connect(&event, &tokens[5]).await;
    assert_eq!(mode_frame(&mut late).await["mode"], "passthrough");
    assert_eq!(late.join().await["type"], "admitted");
    assert_eq!(
        app.stats(&event).await["admitted_total"],
        7,
        "every admission counted"
    );

    // Back to queue: told once more; every switch is in the audit log, oldest first.
    app.patch_admission(&event, json!({"mode": "queue"})).await;
    assert_eq!(mode_frame(&mut late).await["mode"], "queue");
    let modes: Vec<Value> = app
        .audit_entries(&event)
        .await
        .iter()
        .rev()
        .filter(|e| e["action"] == "admission_changed")
        .map(|e| {
            json!([
                e["before"]["mode"],
                e["after"]["mode"],
                e["after"]["message"]
            ])
        })
        .collect();
    assert_eq!(
        modes,
        vec![
            json!(["queue", "queue_all", "Hold tight."]),
            json!(["queue_all", "reject", "Down until 10:30."]),
            json!(["reject", "passthrough", null]),
            json!(["passthrough", "queue", null]),
        ]
    );
    app.stop().await;
}

async fn passthrough_admits_a_joiner_at_once_whatever_the_rate(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(3).await;
    let event = app
        .open_event(json!({"rate_per_minute": 1, "max_active": 2, "session_ttl_secs": 600}))
        .await;
    app.patch_admission(&event, json!({"mode": "passthrough"}))
        .await;
    let mut first = app.connect(&event, &tokens[0]).await;
    assert_eq!(first.join().await["type"], "admitted");
    let (status, m, _) = http_join(&app, &event, &tokens[1]).await;
    assert_eq!(
        (status, m["type"].clone()),
        (StatusCode::OK, json!("admitted")),
        "{m}"
    );
    // At the cap (2 shopping): the next fan queues.
    let (status, m, _) = http_join(&app, &event, &tokens[2]).await;
    assert_eq!(
        (status, m["type"].clone(), m["ahead"].clone()),
        (StatusCode::OK, json!("queued"), json!(0))
    );
    let stats = app.stats(&event).await;
    assert_eq!(
        (
            stats["admitted_total"].clone(),
            stats["active"].clone(),
            stats["mode"].clone()
        ),
        (json!(2), json!(2), json!("passthrough"))
    );
    app.stop().await;
}

async fn bad_mode_input_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.open_event(slow_admission()).await;
    let path = format!("/api/v1/admin/events/{event}/admission");
    let long = "x".repeat(501);
    for (body, code) in [
        (json!({"mode": "sideways"}), "invalid_body"),
        (json!({"mode": "reject", "message": long}), "invalid_field"),
        (
            json!({"mode": "reject", "message": "bell\u{7}"}),
            "invalid_field",
        ),
        (json!({"message": 5}), "invalid_body"),
    ] {
        let (status, out) = app.patch(&path, Some(&app.admin_token), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {out}");
        assert_eq!(out["error"]["code"], code, "{body} → {out}");
    }
    let public = app.get(&format!("/api/v1/events/{event}"), None).await.1;
    assert_eq!(public["admission"]["mode"], "queue");
    assert_eq!(public["admission"]["message"], Value::Null);
    assert_eq!(app.stats(&event).await["mode"], "queue");
    assert!(app
        .audit_entries(&event)
        .await
        .iter()
        .all(|e| e["action"] != "admission_changed"));
    // A message of exactly 500 characters is taken (and one with line breaks).
    let ok = app
        .patch_admission(
            &event,
            json!({"mode": "queue_all", "message": "é".repeat(500)}),
        )
        .await;
    assert_eq!(ok["message"].as_str().unwrap().chars().count(), 500);
    app.stop().await;
}
