//! What one client address can take from everyone else in a sale: places in line
//! (capped per address per event, over HTTP and the socket, on every replica), polls
//! of `queue/me` and `queue/leave` (rate-limited per address and per account), and
//! `/metrics` (refused to anonymous readers). Also: a join after sell-out says so.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{buyer, spawn_with, start, Backend, Options, Shared, METRICS_TOKEN};

crate::both_backends!(
    one_address_holds_at_most_its_places,
    the_cap_holds_across_replicas,
    queue_polls_are_rate_limited,
    metrics_refuse_anonymous_readers,
    a_join_after_sell_out_says_sold_out,
);

/// Places in line from one address, with no socket at all (HTTP join and polling),
/// then over the socket: the cap holds, the refusal changes nothing, a place given
/// back can be taken again.
async fn one_address_holds_at_most_its_places(backend: Backend) {
    let options = Options {
        max_places_per_ip: 3,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    let fans = app.fans(5).await;
    let join = format!("/api/v1/events/{event}/queue/join");
    for fan in &fans[..3] {
        let (status, body) = app.post(&join, Some(fan), &json!({})).await;
        assert_eq!(
            (status, &body["type"]),
            (StatusCode::OK, &json!("queued")),
            "{body}"
        );
    }
    // A second join of a fan who holds a place is the same place, not a new one.
    let (status, _) = app.post(&join, Some(&fans[0]), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let refused = app
        .http
        .post(app.url(&join))
        .bearer_auth(&fans[3])
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "30");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_places", "{body}");
    let me = format!("/api/v1/events/{event}/queue/me");
    let (_, body) = app.get(&me, Some(&fans[3])).await;
    assert_eq!(
        body["code"], "not_in_queue",
        "the refusal took no place: {body}"
    );
    assert_eq!(app.stats(&event).await["waiting"], json!(3));

    // The socket's join is refused the same way, and the socket stays open.
    let mut socket = app.connect(&event, &fans[4]).await;
    socket.send(json!({"type": "join"})).await;
    let error = socket.expect("error", Duration::from_secs(10)).await;
    assert_eq!(error["code"], "too_many_places", "{error}");

    // One leaves: its place can be taken again, here over the socket.
    let leave = format!("/api/v1/events/{event}/queue/leave");
    let (status, body) = app.post(&leave, Some(&fans[1]), &json!({})).await;
    assert_eq!(
        (status, &body["type"]),
        (StatusCode::OK, &json!("left")),
        "{body}"
    );
    assert_eq!(socket.join().await["type"], "queued");
    assert_eq!(app.stats(&event).await["waiting"], json!(3));
    app.stop().await;
}

/// Two replicas on one store count one address's places together.
async fn the_cap_holds_across_replicas(backend: Backend) {
    if backend == Backend::Embedded {
        return; // one process only
    }
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        max_places_per_ip: 2,
        shared: Some(shared),
        ..Options::default()
    };
    let (a, b) = (start(options.clone()).await, start(options).await);
    let event = a
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    let fans = a.fans(3).await;
    let join = format!("/api/v1/events/{event}/queue/join");
    let (status, _) = a.post(&join, Some(&fans[0]), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    b.wait_until(
        "the event on the second replica",
        Duration::from_secs(10),
        || async { b.get(&format!("/api/v1/events/{event}"), None).await.0 == StatusCode::OK },
    )
    .await;
    let (status, _) = b.post(&join, Some(&fans[1]), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = a.post(&join, Some(&fans[2]), &json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_places");
    b.stop().await;
    a.stop().await;
}

/// A client polling `queue/me` (or `queue/leave`) as fast as it can is told to slow
/// down, per account and per address, with `Retry-After`.
async fn queue_polls_are_rate_limited(backend: Backend) {
    let options = Options {
        poll_rate_per_sec: 1,
        poll_ip_rate_per_sec: 3,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    let fans = app.fans(3).await;
    let me = app.url(&format!("/api/v1/events/{event}/queue/me"));
    let leave = app.url(&format!("/api/v1/events/{event}/queue/leave"));
    // One account: a burst of 4, then 429 (the address's budget of 12 is not spent).
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let resp = app
            .http
            .get(&me)
            .bearer_auth(&fans[0])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = resp.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=2).contains(&wait), "Retry-After {wait}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited");
        }
    }
    assert!(
        statuses[..4].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(
        statuses[4..],
        [StatusCode::TOO_MANY_REQUESTS; 2],
        "{statuses:?}"
    );
    let resp = app
        .http
        .post(&leave)
        .bearer_auth(&fans[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "leave shares the budget"
    );
    // Other accounts from the same address share its budget (12), then are refused
    // too, even without a session.
    let mut refused = 0;
    for i in 0..12 {
        let fan = &fans[1 + i % 2];
        let resp = app.http.get(&me).bearer_auth(fan).send().await.unwrap();
        refused += usize::from(resp.status() == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(refused >= 5, "the address's budget held: {refused} refused");
    let resp = app.http.get(&me).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

/// `/metrics` is for the scraper: 403 when no token is configured, 401 without the
/// right bearer token, 200 with it.
async fn metrics_refuse_anonymous_readers(backend: Backend) {
    let options = Options {
        metrics_token: None,
        ..Options::default()
    };
    let Some(off) = spawn_with(backend, options).await else {
        return;
    };
    let resp = off.metrics().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    off.stop().await;

    let Some(app) = spawn_with(backend, Options::default()).await else {
        return;
    };
    let url = app.url("/metrics");
    for wrong in [
        None,
        Some(""),
        Some("test-metrics-toke"),
        Some(&app.admin_token[..]),
    ] {
        let mut request = app.http.get(&url);
        if let Some(token) = wrong {
            request = request.bearer_auth(token);
        }
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_token", "{body}");
    }
    let resp = app
        .http
        .get(&url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("floodgate_queue_sockets"));
    app.stop().await;
}

/// A fan joining over HTTP after every seat is taken learns it from the answer
/// (`"sold_out": true` on the place), as a socket hears `sold_out` after `queued`.
async fn a_join_after_sell_out_says_sold_out(backend: Backend) {
    let Some(app) = spawn_with(backend, Options::default()).await else {
        return;
    };
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 2, "price_cents": 100}]),
            2,
            2,
        )
        .await;
    let (_, buyer_token) = buyer(&app, &event, 2, 600_000).await;
    let (status, _) = app.hold(&event, &buyer_token, json!({"quantity": 2})).await;
    assert_eq!(status, StatusCode::CREATED);
    let fans = app.fans(2).await;
    let join = format!("/api/v1/events/{event}/queue/join");
    let (status, first) = app.post(&join, Some(&fans[0]), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // The room notices at its next step (about a second).
    app.wait_until("a sold-out answer", Duration::from_secs(10), || async {
        let (_, body) = app.post(&join, Some(&fans[0]), &json!({})).await;
        body["type"] == "queued" && body["sold_out"] == true
    })
    .await;
    let (_, me) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(&fans[0]))
        .await;
    assert_eq!(
        (&me["type"], &me["sold_out"]),
        (&json!("queued"), &json!(true)),
        "{me}"
    );
    // The socket says the same in two messages.
    let mut socket = app.connect(&event, &fans[1]).await;
    let queued = socket.join().await;
    assert_eq!(queued.get("sold_out"), None, "{queued}");
    socket.expect("sold_out", Duration::from_secs(5)).await;
    app.stop().await;
}
