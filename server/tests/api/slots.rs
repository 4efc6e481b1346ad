//! Admitted while away, slots freed by checkout, and seats-left on the queue socket.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, Bound};

crate::both_backends!(
    a_fan_admitted_while_disconnected_gets_the_token_on_reconnect,
    confirming_frees_the_shopping_slot_for_the_next_fan,
    a_fan_who_confirmed_cannot_hold_once_the_next_is_admitted,
    releasing_keeps_the_session_and_its_slot,
    waiting_fans_see_seats_left_fall,
);

async fn waiting_fans_see_seats_left_fall(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let token = app.fan().await;
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 2, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    app.patch_admission(&event, json!({"paused": true})).await;
    let mut fan = app.connect(&event, &token).await;
    fan.join().await;
    let first = fan.expect("availability", Duration::from_secs(5)).await;
    assert_eq!(first["available"], json!(20));
    let (_, buyer_token) = crate::helpers::buyer(&app, &event, 4, 600_000).await;
    let (status, _) = app.hold(&event, &buyer_token, json!({"quantity": 3})).await;
    assert_eq!(status, StatusCode::CREATED);
    let next = fan.expect("availability", Duration::from_secs(5)).await;
    assert_eq!(next["available"], json!(17));
    app.stop().await;
}

async fn a_fan_admitted_while_disconnected_gets_the_token_on_reconnect(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let token = app.fan().await;
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 10, "session_ttl_secs": 600, "paused": true}))
        .await;
    let mut fan = app.connect(&event, &token).await;
    let joined = fan.join().await;
    fan.close().await;
    app.patch_admission(&event, json!({"paused": false})).await;
    app.wait_until("admitted while away", Duration::from_secs(5), || async {
        app.stats(&event).await["admitted_total"] == json!(1)
    })
    .await;
    let mut back = app.connect(&event, &token).await;
    let admitted = back.expect("admitted", Duration::from_secs(5)).await;
    let purchase = admitted["purchase_token"].as_str().unwrap();
    let claims = app
        .state
        .keys
        .verify_purchase(purchase, event.parse().unwrap())
        .unwrap();
    assert_eq!(json!(claims.tkt), joined["ticket"]);
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(&token))
        .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (StatusCode::OK, Some("admitted"))
    );
    app.stop().await;
}

async fn confirming_frees_the_shopping_slot_for_the_next_fan(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(2).await;
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 1, "session_ttl_secs": 600}))
        .await;
    let mut first = app.connect(&event, &tokens[0]).await;
    first.join().await;
    let admitted = first.expect("admitted", Duration::from_secs(5)).await;
    let mut second = app.connect(&event, &tokens[1]).await;
    assert_eq!(second.join().await["type"], "queued");
    // One slot, held by the first fan for ten minutes — unless the first fan buys.
    assert!(second
        .next_within(Duration::from_millis(800))
        .await
        .is_none_or(|m| m["type"] != "admitted"));
    let purchase = admitted["purchase_token"].as_str().unwrap();
    let (status, held) = app.hold(&event, purchase, json!({"quantity": 2})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app
        .confirm(held["hold_id"].as_str().unwrap(), purchase)
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    second.expect("admitted", Duration::from_secs(5)).await;
    let (status, orders) = app.get("/api/v1/orders", Some(&tokens[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(orders[0]["order_id"], order["order_id"]);
    app.stop().await;
}

/// Issue 9: with `max_active = 1`, the fan whose confirm freed the slot must not keep
/// shopping beside the fan admitted into it.
async fn a_fan_who_confirmed_cannot_hold_once_the_next_is_admitted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(2).await;
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 1, "session_ttl_secs": 600}))
        .await;
    let mut a = app.connect(&event, &tokens[0]).await;
    a.join().await;
    let a_token = a.expect("admitted", Duration::from_secs(5)).await["purchase_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = app.connect(&event, &tokens[1]).await;
    assert_eq!(b.join().await["type"], "queued");
    let (status, held) = app.hold(&event, &a_token, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, other) = app.hold(&event, &a_token, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let (status, order) = app
        .confirm(held["hold_id"].as_str().unwrap(), &a_token)
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let b_token = b.expect("admitted", Duration::from_secs(5)).await["purchase_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app.hold(&event, &a_token, json!({"quantity": 1})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_ended")),
        "{body}"
    );
    let (status, body) = app.hold(&event, &b_token, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(app.stats(&event).await["active"], json!(1));
    // The session's other hold cannot be bought any more (it lapses, or is released).
    let (status, body) = app
        .confirm(other["hold_id"].as_str().unwrap(), &a_token)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_ended")),
        "{body}"
    );
    // A retried confirm still answers the same order.
    let (status, again) = app
        .confirm(held["hold_id"].as_str().unwrap(), &a_token)
        .await;
    assert_eq!(
        (status, &again["order_id"]),
        (StatusCode::OK, &order["order_id"])
    );
    app.stop().await;
}

/// A release gives the seats back but not the slot: the fan may pick again, and the
/// next fan waits (the slot and the token's rights end together, at a confirm or the
/// session's end).
async fn releasing_keeps_the_session_and_its_slot(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(2).await;
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 1, "session_ttl_secs": 600}))
        .await;
    let mut a = app.connect(&event, &tokens[0]).await;
    a.join().await;
    let a_token = a.expect("admitted", Duration::from_secs(5)).await["purchase_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = app.connect(&event, &tokens[1]).await;
    assert_eq!(b.join().await["type"], "queued");
    let (status, held) = app.hold(&event, &a_token, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let resp = app
        .http
        .delete(app.url(&format!(
            "/api/v1/holds/{}",
            held["hold_id"].as_str().unwrap()
        )))
        .bound(&app, &a_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(b
        .next_within(Duration::from_millis(1_200))
        .await
        .is_none_or(|m| m["type"] != "admitted"));
    let (status, body) = app.hold(&event, &a_token, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(app.stats(&event).await["active"], json!(1));
    app.stop().await;
}
