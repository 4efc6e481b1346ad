//! Admitted while away, slots freed by checkout, and seats-left on the queue socket.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, Backend};

crate::both_backends!(
    a_fan_admitted_while_disconnected_gets_the_token_on_reconnect,
    confirming_frees_the_shopping_slot_for_the_next_fan,
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
