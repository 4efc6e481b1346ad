//! A queue socket whose handshake says `?join=1` joins as it opens: one `join` store
//! call and no `status` (no wait for a first frame, no resume first), in line order,
//! the same ticket on a reconnect; the proof of work asked as for a `join` frame; a
//! `join` value other than 0 or 1 refused with 400 `invalid_query` in the contract's
//! shape; `join=0` (or none) keeps the frame protocol.

use std::time::Duration;

use prom_text_format_parser::Scrape;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite;

use crate::helpers::{spawn_app, Backend, Fan, TestApp};

crate::both_backends!(
    a_handshake_join_is_one_store_call_in_line_order,
    a_handshake_join_asks_for_the_proof_of_work,
    a_join_value_other_than_0_or_1_is_refused,
);

/// Opens fan `token`'s queue socket with `?join=1` and `extra` query parameters.
async fn connect_joining(app: &TestApp, event: &str, token: &str, extra: &str) -> Fan {
    let url = format!("{}&join=1{extra}", app.queue_url(event, token));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("queue socket opens");
    Fan { ws }
}

/// How many times the queue store ran `op` so far (`/metrics`).
async fn queue_store_calls(app: &TestApp, op: &str) -> f64 {
    let resp = app.metrics().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    let scrape = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
    crate::ops::queue_store_calls(&scrape, op)
}

async fn a_handshake_join_is_one_store_call_in_line_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 1, "paused": true}))
        .await;
    let fans = app.fans(3).await;
    let (joins, statuses) = (
        queue_store_calls(&app, "join").await,
        queue_store_calls(&app, "status").await,
    );

    // No frame sent: the handshake's join is answered with `queued`, in arrival order.
    let mut a = connect_joining(&app, &event, &fans[0], "").await;
    let queued_a = a.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(queued_a["ahead"], json!(0), "{queued_a}");
    let mut b = connect_joining(&app, &event, &fans[1], "").await;
    let queued_b = b.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(queued_b["ahead"], json!(1), "{queued_b}");
    assert_ne!(queued_a["ticket"], queued_b["ticket"]);
    assert_eq!(queued_store_delta(&app, "join", joins).await, 2.0);
    assert_eq!(
        queued_store_delta(&app, "status", statuses).await,
        0.0,
        "a socket that joined in its handshake also read the store to resume"
    );

    // A comes back the same way: the join answers for the resume (same ticket, place).
    a.close().await;
    app.wait_until(
        "the server sees A's socket gone",
        Duration::from_secs(5),
        || async { app.stats(&event).await["connected"] == json!(1) },
    )
    .await;
    let mut a = connect_joining(&app, &event, &fans[0], "").await;
    let back = a.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(
        (&back["ticket"], &back["ahead"]),
        (&queued_a["ticket"], &json!(0)),
        "{back}"
    );
    assert_eq!(app.stats(&event).await["waiting"], json!(2));

    // `join=0` keeps the frame protocol: a `join` frame joins, behind A and B.
    let url = format!("{}&join=0", app.queue_url(&event, &fans[2]));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("queue socket opens");
    let mut c = Fan { ws };
    let queued_c = c.join().await;
    assert_eq!(queued_c["ahead"], json!(2), "{queued_c}");
    app.stop().await;
}

async fn queued_store_delta(app: &TestApp, op: &str, before: f64) -> f64 {
    queue_store_calls(app, op).await - before
}

async fn a_handshake_join_asks_for_the_proof_of_work(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .create_event_with(
            -1_000,
            json!({"rate_per_minute": 1, "max_active": 1}),
            json!({"pow_difficulty": 8}),
        )
        .await;
    app.wait_until("sale opens", Duration::from_secs(10), || async {
        app.stats(&event).await["opened"] == json!(true)
    })
    .await;
    let fans = app.fans(1).await;

    // Without a solution: the handshake's join is refused on the socket, with a
    // challenge, and takes no place; the socket stays.
    let mut fan = connect_joining(&app, &event, &fans[0], "").await;
    let refused = fan.expect("error", Duration::from_secs(5)).await;
    assert_eq!(refused["code"], "pow_required", "{refused}");
    assert!(refused["challenge"]["challenge"].is_string(), "{refused}");
    assert_eq!(app.stats(&event).await["waiting"], json!(0));

    // With the solution in the same handshake: queued.
    let text = refused["challenge"]["challenge"].as_str().unwrap();
    let bits = refused["challenge"]["difficulty"].as_u64().unwrap() as u8;
    let (solution, _) = waiting_room::pow::solve(text, bits);
    fan.close().await;
    let mut fan = connect_joining(&app, &event, &fans[0], &format!("&pow={solution}")).await;
    let queued = fan.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(queued["ahead"], json!(0), "{queued}");
    app.stop().await;
}

async fn a_join_value_other_than_0_or_1_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 1, "paused": true}))
        .await;
    let fans = app.fans(1).await;
    for value in ["yes", "2", "", "true"] {
        let url = format!("{}&join={value}", app.queue_url(&event, &fans[0]));
        match tokio_tungstenite::connect_async(url).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 400, "join={value}");
                let body: Value = serde_json::from_slice(response.body().as_deref().unwrap())
                    .expect("a JSON error body");
                assert_eq!(
                    body["error"]["code"], "invalid_query",
                    "join={value}: {body}"
                );
                assert!(
                    body["error"]["message"].as_str().unwrap().contains("join"),
                    "{body}"
                );
            }
            other => panic!("join={value}: expected 400, got {other:?}"),
        }
    }
    assert_eq!(app.stats(&event).await["waiting"], json!(0));
    app.stop().await;
}
