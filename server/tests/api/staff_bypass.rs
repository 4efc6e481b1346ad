//! Staff bypass (docs/ARCHITECTURE.md, "Staff bypass") over both doors on both
//! backends: an event's staff list edited by an admin (validated, audited), a staff
//! account (or an admin) admitted at once with a line waiting and in `queue_all`,
//! nobody's place changed, a fan still queueing, and every bypass audited.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{slow_admission, spawn_app, uuid_simple, Backend, TestApp};

crate::both_backends!(
    staff_skip_the_line_at_both_doors,
    bad_staff_lists_are_refused_and_change_nothing,
);

async fn put_staff(app: &TestApp, event: &str, body: &Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/admin/events/{event}/staff");
    app.put(&path, Some(&app.admin_token), body).await
}

async fn get_staff(app: &TestApp, event: &str) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/v1/admin/events/{event}/staff"),
            Some(&app.admin_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A new account with a known email, signed in: (email, token).
async fn account(app: &TestApp, name: &str) -> (String, String) {
    let email = format!("{name}-{}@floodgate.test", uuid_simple());
    let (status, body) = app.register(&email, "staff-password").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = app.login(&email, "staff-password").await;
    (email, token)
}

/// The fans' (ticket, ahead) as `queue/me` tells them.
async fn places(app: &TestApp, event: &str, tokens: &[String]) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    for token in tokens {
        let (status, m) = app
            .get(&format!("/api/v1/events/{event}/queue/me"), Some(token))
            .await;
        assert_eq!(
            (status, &m["type"]),
            (StatusCode::OK, &json!("queued")),
            "{m}"
        );
        out.push((m["ticket"].clone(), m["ahead"].clone()));
    }
    out
}

async fn staff_skip_the_line_at_both_doors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(4).await;
    let (staff_email, staff) = account(&app, "staff").await;
    let (_, other_staff) = account(&app, "usher").await;
    let event = app.open_event(slow_admission()).await;
    for token in &tokens[..3] {
        assert_eq!(app.join_over_http(&event, token).await["type"], "queued");
    }
    let before = places(&app, &event, &tokens[..3]).await;
    let aheads: Vec<&Value> = before.iter().map(|p| &p.1).collect();
    assert_eq!(aheads, vec![&json!(0), &json!(1), &json!(2)]);

    // Not staff yet: queues like anyone.
    assert_eq!(
        app.join_over_http(&event, &other_staff).await["type"],
        "queued"
    );
    let (status, body) = put_staff(
        &app,
        &event,
        &json!({"emails": [staff_email.to_uppercase(), staff_email]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["staff"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["staff"][0]["email"], staff_email.as_str());
    assert_eq!(get_staff(&app, &event).await, body);

    // HTTP: admitted at once with three fans waiting; nobody moved.
    let m = app.join_over_http(&event, &staff).await;
    assert_eq!(m["type"], "admitted", "{m}");
    assert!(m["purchase_token"].is_string(), "{m}");
    assert_eq!(places(&app, &event, &tokens[..3]).await, before);
    // Joining again gives the same admission back, and is no second bypass.
    assert_eq!(app.join_over_http(&event, &staff).await["type"], "admitted");

    // queue_all: an admin (staff of every event) gets through over the socket; a fan
    // still queues, behind everyone.
    app.patch_admission(&event, json!({"mode": "queue_all", "message": "Hold on."}))
        .await;
    let mut admin = app.connect(&event, &app.admin_token).await;
    assert_eq!(admin.join().await["type"], "admitted");
    let mut fan = app.connect(&event, &tokens[3]).await;
    let queued = fan.join().await;
    assert_eq!(
        (queued["type"].clone(), queued["ahead"].clone()),
        (json!("queued"), json!(4))
    );
    assert_eq!(places(&app, &event, &tokens[..3]).await, before);

    let stats = app.stats(&event).await;
    assert_eq!(
        (stats["admitted_total"].clone(), stats["active"].clone()),
        (json!(2), json!(2)),
        "{stats}"
    );
    // Every bypass audited, who and through which door; and the list's change.
    let audit = app.audit_entries(&event).await;
    let bypasses: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "staff_bypass")
        .collect();
    assert_eq!(bypasses.len(), 2, "{audit:?}");
    assert_eq!(bypasses[1]["actor"]["email"], staff_email.as_str());
    assert_eq!(bypasses[1]["after"]["door"], "http");
    assert_eq!(bypasses[0]["after"]["door"], "socket");
    assert!(bypasses[0]["at"].is_string());
    let changed: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "staff_changed")
        .collect();
    assert_eq!(changed.len(), 1, "{audit:?}");
    assert_eq!(changed[0]["before"], json!({"staff": []}));
    assert_eq!(changed[0]["after"], json!({"staff": [staff_email]}));
    // The same list again is no change.
    put_staff(&app, &event, &json!({"emails": [staff_email]})).await;
    let again = app.audit_entries(&event).await;
    assert_eq!(
        again
            .iter()
            .filter(|e| e["action"] == "staff_changed")
            .count(),
        1
    );
}

async fn bad_staff_lists_are_refused_and_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (staff_email, _) = account(&app, "staff").await;
    let event = app.open_event(slow_admission()).await;
    put_staff(&app, &event, &json!({"emails": [staff_email]})).await;
    let kept = get_staff(&app, &event).await;

    let (status, body) = put_staff(
        &app,
        &event,
        &json!({"emails": [staff_email, "nobody@floodgate.test", "ghost@floodgate.test"]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "unknown_staff_email");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("nobody@floodgate.test") && message.contains("ghost@floodgate.test"),
        "{message}"
    );
    for (bad, code) in [
        (json!({"emails": ["not an email"]}), "invalid_email"),
        (json!({"emails": "a@b.test"}), "invalid_body"),
        (json!({"emails": [], "extra": 1}), "invalid_body"),
        (json!({}), "invalid_body"),
    ] {
        let (status, body) = put_staff(&app, &event, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], code, "{bad}: {body}");
    }
    let many: Vec<String> = (0..201).map(|i| format!("s{i}@floodgate.test")).collect();
    let (status, body) = put_staff(&app, &event, &json!({"emails": many})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_field"))
    );
    assert_eq!(get_staff(&app, &event).await, kept, "nothing changed");
    // A fan may not read or edit it; an unknown event is 404.
    let fan = app.fan().await;
    let (status, _) = app
        .get(&format!("/api/v1/admin/events/{event}/staff"), Some(&fan))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unknown = uuid::Uuid::new_v4();
    let (status, _) = put_staff(&app, &unknown.to_string(), &json!({"emails": []})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
