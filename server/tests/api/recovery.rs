//! A Redis flush during a sale loses holds, never orders, and never lets a sold seat
//! be held again: replicas rebuild the seat state from the database.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{buyer, start, Options, Shared};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_flush_loses_holds_but_never_orders() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let redis_url = shared.redis_url.clone();
    let prefix = shared.redis_prefix.clone();
    let app = start(Options {
        shared: Some(shared),
        ..Options::default()
    })
    .await;
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 2, "seats_per_row": 5, "price_cents": 900}]),
            300,
            4,
        )
        .await;
    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (_, sold) = app
        .hold(&event, &token, json!({"seats": ["A-1-1", "A-1-2"]}))
        .await;
    let (status, order) = app.confirm(sold["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    // (Another fan's hold: a confirm ends the token's shopping session.)
    let (_, other) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app.hold(&event, &other, json!({"seats": ["A-2-5"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");

    // Lose this deployment's keys (as a FLUSHALL would, without disturbing other tests).
    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();

    // The seat map comes back from the database: sold seats sold, the hold gone.
    app.wait_until("seat state rebuilt", Duration::from_secs(10), || async {
        let (status, body) = app
            .get(&format!("/api/v1/events/{event}/seats"), None)
            .await;
        status == StatusCode::OK
            && body["seats"]["A-1-1"] == "sold"
            && body["seats"]["A-2-5"] == "free"
    })
    .await;
    let map = app.seat_map(&event).await;
    assert_eq!(map["A-1-2"], "sold");
    assert_eq!(map.values().filter(|s| *s == "sold").count(), 2);
    let (_, thief) = buyer(&app, &event, 4, 600_000).await;
    let (status, body) = app.hold(&event, &thief, json!({"seats": ["A-1-1"]})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("seats_unavailable"))
    );
    let (status, _) = app.hold(&event, &thief, json!({"seats": ["A-2-5"]})).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the lost hold's seat is free again"
    );
    // The order is still there, and confirming it again still answers with it.
    let (status, again) = app.confirm(sold["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(
        (status, &again["order_id"]),
        (StatusCode::OK, &order["order_id"])
    );
    // The queue is back too: its configuration is re-seeded from the database, and a
    // fan can join again.
    let fan = app.fan().await;
    let mut joined = None;
    for _ in 0..50 {
        let mut socket = app.connect(&event, &fan).await;
        socket.send(json!({"type": "join"})).await;
        let m = socket
            .next_within(Duration::from_secs(2))
            .await
            .expect("an answer");
        if m["type"] == "queued" || m["type"] == "admitted" {
            joined = Some(m);
            break;
        }
        if m["type"] == "prequeue" {
            // The re-seeded store has not reopened the sale yet: it does within a
            // tick, and the fan is then queued (or, at this rate, admitted at once).
            assert_ne!(m["starts_at"], "1970-01-01T00:00:00Z", "{m}");
            let next = loop {
                let next = socket
                    .next_within(Duration::from_secs(5))
                    .await
                    .expect("queued or admitted");
                if next["type"] == "queued" || next["type"] == "admitted" {
                    break next;
                }
            };
            joined = Some(next);
            break;
        }
        assert_eq!(m["code"], "unavailable", "{m}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(joined.is_some(), "the queue never came back");
    app.stop().await;
}
