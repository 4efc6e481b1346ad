//! The safety net (docs/ARCHITECTURE.md, "The safety net") over both doors on both
//! backends: set and removed with `PATCH …/admission` (validated, audited), joins
//! admitted at once under its levels, queued in order once one is passed, at once
//! again when the line has drained and the levels are under; the stats say which.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{slow_admission, spawn_app, Backend, TestApp};

crate::both_backends!(
    the_net_lets_fans_through_then_queues_them,
    bad_safety_nets_are_refused_and_change_nothing,
);

async fn leave(app: &TestApp, event: &str, token: &str) {
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{event}/queue/leave"),
            Some(token),
            &json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
}

async fn the_net_lets_fans_through_then_queues_them(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(7).await;
    let event = app.open_event(slow_admission()).await;
    assert_eq!(app.stats(&event).await["safety_net"], "off");
    let net = json!({"max_shoppers": 2, "max_arrivals_per_minute": 4});
    let answer = app
        .patch_admission(&event, json!({"safety_net": net}))
        .await;
    assert_eq!(answer["safety_net"], net);
    let public = app.get(&format!("/api/v1/events/{event}"), None).await.1;
    assert_eq!(public["admission"]["safety_net"], net);
    let stats = app.stats(&event).await;
    assert_eq!(stats["safety_net"], "through", "{stats}");

    // Under both levels: admitted at once, over HTTP and over the socket.
    assert_eq!(
        app.join_over_http(&event, &tokens[0]).await["type"],
        "admitted"
    );
    let mut second = app.connect(&event, &tokens[1]).await;
    assert_eq!(second.join().await["type"], "admitted");
    // Two shoppers: the next fans queue, in order.
    let third = app.join_over_http(&event, &tokens[2]).await;
    assert_eq!(
        (third["type"].clone(), third["ahead"].clone()),
        (json!("queued"), json!(0))
    );
    let mut fourth = app.connect(&event, &tokens[3]).await;
    let m = fourth.join().await;
    assert_eq!(
        (m["type"].clone(), m["ahead"].clone()),
        (json!("queued"), json!(1))
    );
    let stats = app.stats(&event).await;
    assert_eq!(
        (
            stats["safety_net"].clone(),
            stats["arrivals_last_minute"].clone(),
            stats["admitted_total"].clone()
        ),
        (json!("queueing"), json!(4), json!(2)),
        "{stats}"
    );

    // The line drains; four arrived this minute: the arrival level still queues.
    leave(&app, &event, &tokens[2]).await;
    fourth.send(json!({"type": "leave"})).await;
    app.wait_until(
        "the line drains",
        std::time::Duration::from_secs(5),
        || async { app.stats(&event).await["waiting"] == 0 },
    )
    .await;
    let m = app.join_over_http(&event, &tokens[4]).await;
    assert_eq!(
        (m["type"].clone(), m["ahead"].clone()),
        (json!("queued"), json!(0))
    );
    leave(&app, &event, &tokens[4]).await;

    // The arrival level raised above this minute's arrivals, a shopper's slot free,
    // nobody waiting: at once again.
    app.patch_admission(
        &event,
        json!({"safety_net": {"max_shoppers": 3, "max_arrivals_per_minute": 100}}),
    )
    .await;
    assert_eq!(app.stats(&event).await["safety_net"], "through");
    assert_eq!(
        app.join_over_http(&event, &tokens[5]).await["type"],
        "admitted"
    );

    // Switched off (null): fans queue at the rate again; audited like every change.
    let answer = app
        .patch_admission(&event, json!({"safety_net": null}))
        .await;
    assert_eq!(answer["safety_net"], Value::Null);
    assert_eq!(
        app.join_over_http(&event, &tokens[6]).await["type"],
        "queued"
    );
    assert_eq!(app.stats(&event).await["safety_net"], "off");
    let audit = app.audit_entries(&event).await;
    let nets: Vec<&Value> = audit
        .iter()
        .filter(|e| e["action"] == "admission_changed")
        .map(|e| &e["after"]["safety_net"])
        .collect();
    assert_eq!(
        nets,
        vec![
            &Value::Null,
            &json!({"max_shoppers": 3, "max_arrivals_per_minute": 100}),
            &net
        ]
    );
}

async fn bad_safety_nets_are_refused_and_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.open_event(slow_admission()).await;
    let net = json!({"max_shoppers": 5, "max_arrivals_per_minute": 60});
    app.patch_admission(&event, json!({"safety_net": net}))
        .await;
    for (bad, code) in [
        (
            json!({"safety_net": {"max_shoppers": 0, "max_arrivals_per_minute": 60}}),
            "invalid_field",
        ),
        (
            json!({"safety_net": {"max_shoppers": 5, "max_arrivals_per_minute": 0}}),
            "invalid_field",
        ),
        (
            json!({"safety_net": {"max_shoppers": 20_000_000, "max_arrivals_per_minute": 60}}),
            "invalid_field",
        ),
        (json!({"safety_net": {"max_shoppers": 5}}), "invalid_body"),
        (
            json!({"safety_net": {"max_shoppers": 5, "max_arrivals_per_minute": 60, "x": 1}}),
            "invalid_body",
        ),
        (json!({"safety_net": 5}), "invalid_body"),
    ] {
        let (status, body) = app
            .patch(
                &format!("/api/v1/admin/events/{event}/admission"),
                Some(&app.admin_token),
                &bad,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], code, "{bad}: {body}");
    }
    let public = app.get(&format!("/api/v1/events/{event}"), None).await.1;
    assert_eq!(public["admission"]["safety_net"], net, "nothing changed");
}
