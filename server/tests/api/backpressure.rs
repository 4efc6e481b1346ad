//! Back-pressure: while the store answers slowly, new fans are turned away (a new
//! queue socket or HTTP join gets 503 `overloaded` with `Retry-After`) and the fans
//! already in line keep their sockets and places; once the store is quick again, new
//! fans are welcome again.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::faulty::Faults;
use crate::helpers::{spawn_with, Backend, Options};

crate::both_backends!(a_slow_store_turns_new_fans_away_and_keeps_those_in_line);

async fn a_slow_store_turns_new_fans_away_and_keeps_those_in_line(backend: Backend) {
    let faults = Arc::new(Faults::default());
    let options = Options {
        wrap_stores: Some(faults.wrap()),
        shed_latency_ms: 200,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    let early = app.fans(14).await;
    let mut in_line = app.connect(&event, &early[0]).await;
    let first = in_line.join().await;
    assert_eq!(first["type"], "queued", "{first}");

    // The store turns slow: every fan and room call takes 600 ms. Joins already
    // under way are answered, slowly.
    faults.queue_delay_ms.store(600, Ordering::SeqCst);
    let joins = early[1..].iter().map(|token| {
        let app = &app;
        let event = &event;
        async move {
            app.post(
                &format!("/api/v1/events/{event}/queue/join"),
                Some(token),
                &json!({}),
            )
            .await
        }
    });
    let mut shed = None;
    for (status, body) in futures_util::future::join_all(joins).await {
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["error"]["code"], "overloaded", "{body}");
            shed = Some(body);
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    let _ = shed; // joins sent together may all have arrived before the average rose

    // Now a new fan is turned away, over HTTP and on a socket, with a time to retry.
    let newcomer = app.fan().await;
    let mut refused = None;
    for _ in 0..50 {
        let response = app
            .http
            .post(app.url(&format!("/api/v1/events/{event}/queue/join")))
            .bearer_auth(&newcomer)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refused = refused.expect("a new fan's join was never turned away while the store was slow");
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((2..=30).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    match tokio_tungstenite::connect_async(app.queue_url(&event, &newcomer)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 503);
            assert!(resp.headers().contains_key("retry-after"), "{resp:?}");
        }
        other => panic!(
            "a new socket opened while shedding: {:?}",
            other.map(|_| ())
        ),
    }

    // The fan in line is not failed: the socket stays, and a join is answered with
    // the same place.
    in_line.send(json!({"type": "join"})).await;
    let again = in_line.expect("queued", Duration::from_secs(10)).await;
    assert_eq!(again["ticket"], first["ticket"], "{again}");

    // Quick again: new fans are welcome within moments (the rooms' own calls bring
    // the average down).
    faults.queue_delay_ms.store(0, Ordering::SeqCst);
    let mut welcome = false;
    for _ in 0..100 {
        let (status, body) = app
            .post(
                &format!("/api/v1/events/{event}/queue/join"),
                Some(&newcomer),
                &json!({}),
            )
            .await;
        if status == StatusCode::OK {
            assert_eq!(body["type"], "queued", "{body}");
            welcome = true;
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        welcome,
        "new fans still turned away 20 s after the store was quick again"
    );
}
