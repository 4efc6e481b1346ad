//! Bad input gets the contract's error and changes nothing.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, spawn_with, Backend, Options};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;

crate::both_backends!(
    bad_queue_frames_get_errors_and_keep_the_place,
    bad_http_input_gets_contract_errors,
    an_oversized_frame_is_closed_with_1009_and_keeps_the_place
);

fn code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not a contract error: {body}"))
}

async fn bad_queue_frames_get_errors_and_keep_the_place(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(2).await;
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10, "session_ttl_secs": 600, "paused": true}))
        .await;
    let mut first = app.connect(&event, &tokens[0]).await;
    first.join().await;
    let mut fan = app.connect(&event, &tokens[1]).await;
    let joined = fan.join().await;
    let before = app.stats(&event).await;

    let cases: [(String, &str); 5] = [
        ("{not json".into(), "invalid_json"),
        (r#"{"type":"dance"}"#.into(), "unknown_type"),
        (r#"{"kind":"join"}"#.into(), "invalid_message"),
        (
            format!(r#"{{"type":"join","pad":"{}"}}"#, "x".repeat(2_000)),
            "frame_too_large",
        ),
        ("[1,2,3]".into(), "invalid_message"),
    ];
    for (frame, expected) in cases {
        fan.send_raw(frame).await;
        let m = fan.expect("error", Duration::from_secs(5)).await;
        assert_eq!(m["code"], expected, "{m}");
        assert!(m["message"].as_str().is_some_and(|s| !s.is_empty()));
    }
    fan.ws
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(
        fan.expect("error", Duration::from_secs(5)).await["code"],
        "invalid_message"
    );

    // The socket still works and the place is unchanged.
    let again = fan.join().await;
    assert_eq!(again["ticket"], joined["ticket"]);
    assert_eq!(again["ahead"], joined["ahead"]);
    let after = app.stats(&event).await;
    assert_eq!(after["waiting"], before["waiting"]);

    // A flood of frames is throttled, not obeyed.
    for _ in 0..40 {
        fan.send(json!({"type": "join"})).await;
    }
    let mut limited = false;
    while let Some(m) = fan.next_within(Duration::from_millis(500)).await {
        if m["type"] == "error" && m["code"] == "rate_limited" {
            // It says why and when to try again.
            let said = m["message"].as_str().unwrap();
            assert!(
                said.contains("20 a second") && said.contains("retry in 1 s"),
                "{said}"
            );
            limited = true;
        }
    }
    assert!(limited, "a flood of frames was not throttled");

    // A frame beyond the protocol limit closes the socket; the place survives.
    fan.send_raw("y".repeat(64 * 1024)).await;
    assert!(
        fan.next_within(Duration::from_secs(5)).await.is_none(),
        "socket closed"
    );
    let mut back = app.connect(&event, &tokens[1]).await;
    let resumed = back.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(resumed["ticket"], joined["ticket"]);
    assert_eq!(app.stats(&event).await["waiting"], before["waiting"]);

    // No session, or a bad one: the upgrade is refused with 401.
    for url in [
        format!("ws://127.0.0.1:{}/api/v1/events/{event}/queue/ws", app.port),
        app.queue_url(&event, "not-a-token"),
        app.queue_url(&event, &tokens[1][..tokens[1].len() - 2]),
    ] {
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 401);
            }
            other => panic!("expected 401, got {other:?}"),
        }
    }
    // Unknown event: 404.
    match tokio_tungstenite::connect_async(
        app.queue_url(&waiting_room::EventId::new().to_string(), &tokens[1]),
    )
    .await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 404),
        other => panic!("expected 404, got {other:?}"),
    }
    app.stop().await;
}

async fn bad_http_input_gets_contract_errors(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let fan = app.fan().await;

    // Malformed and ill-typed bodies.
    let resp = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&resp.json().await.unwrap()), "invalid_json");
    let (status, body) = app
        .post("/api/v1/auth/register", None, &json!({"email": 5}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    let (status, body) = app.register("not-an-email", "long-enough-pw").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_email")
    );
    let (status, body) = app.register("short@floodgate.test", "short").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "weak_password")
    );

    // Admin routes: 401 without a session, 403 for a fan.
    let event_body = json!({
        "name": "x", "starts_at": "2030-01-01T00:00:00Z",
        "sections": [{"name": "A", "rows": 1, "seats_per_row": 1, "price_cents": 1}],
        "admission": {"rate_per_minute": 60, "max_active": 10}
    });
    let (status, body) = app.post("/api/v1/admin/events", None, &event_body).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (status, body) = app
        .post("/api/v1/admin/events", Some(&fan), &event_body)
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));

    // Invalid events are refused and nothing is stored.
    let (_, listed) = app.get("/api/v1/events", None).await;
    let count = listed.as_array().unwrap().len();
    let admin = Some(app.admin_token.as_str());
    let mut bad_rows = event_body.clone();
    bad_rows["sections"][0]["rows"] = json!(0);
    let mut dup = event_body.clone();
    dup["sections"] = json!([event_body["sections"][0], event_body["sections"][0]]);
    let mut bad_rate = event_body.clone();
    bad_rate["admission"]["rate_per_minute"] = json!(0);
    let mut dash = event_body.clone();
    dash["sections"][0]["name"] = json!("A-1");
    let mut unknown_field = event_body.clone();
    unknown_field["surprise"] = json!(true);
    let mut show_before_opening = event_body.clone();
    show_before_opening["show_at"] = json!("2029-12-31T20:00:00Z");
    let mut window_without_show = event_body.clone();
    window_without_show["refund_window_secs"] = json!(3600);
    let mut window_too_long = event_body.clone();
    window_too_long["show_at"] = json!("2030-02-01T20:00:00Z");
    window_too_long["refund_window_secs"] = json!(400 * 86_400);
    let mut no_seats_per_account = event_body.clone();
    no_seats_per_account["max_seats_per_account"] = json!(0);
    // PostgreSQL's text cannot hold NUL (it answered 503 for it, as "busy"); no name
    // needs a control character, on either database.
    let mut nul_name = event_body.clone();
    nul_name["name"] = json!("Night\u{0}1");
    let mut tab_name = event_body.clone();
    tab_name["name"] = json!("Night\t1");
    for bad in [
        nul_name,
        tab_name,
        bad_rows,
        dup,
        bad_rate,
        dash,
        show_before_opening,
        window_without_show,
        window_too_long,
        no_seats_per_account,
    ] {
        let (status, body) = app.post("/api/v1/admin/events", admin, &bad).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{bad}"
        );
    }
    let mut negative_window = event_body.clone();
    negative_window["show_at"] = json!("2030-02-01T20:00:00Z");
    negative_window["refund_window_secs"] = json!(-1);
    let mut negative_cap = event_body.clone();
    negative_cap["max_seats_per_account"] = json!(-4);
    for bad in [unknown_field, negative_window, negative_cap] {
        let (status, body) = app.post("/api/v1/admin/events", admin, &bad).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_body"),
            "{bad}"
        );
    }
    let (_, listed) = app.get("/api/v1/events", None).await;
    assert_eq!(listed.as_array().unwrap().len(), count);

    // A bad PATCH changes nothing.
    let event = app
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let path = format!("/api/v1/admin/events/{event}/admission");
    for bad in [
        json!({"rate_per_minute": 0}),
        json!({"max_active": -1}),
        json!({"paused": "yes"}),
        json!({"speed": 1}),
        json!({"max_active": 12.5}),
    ] {
        let (status, body) = app.patch(&path, admin, &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} → {body}");
        code(&body);
    }
    let stats = app.stats(&event).await;
    assert_eq!(
        (stats["rate_per_minute"].clone(), stats["paused"].clone()),
        (json!(60), json!(false))
    );
    // A whole number written as a float is an integer, as JSON Schema counts it
    // (Python's `json` writes them so): accepted where an integer is expected.
    let (status, body) = app
        .patch(
            &path,
            admin,
            &json!({"rate_per_minute": 90.0, "max_active": 12.0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stats = app.stats(&event).await;
    assert_eq!(
        (
            stats["rate_per_minute"].clone(),
            stats["max_active"].clone()
        ),
        (json!(90), json!(12))
    );

    // The seat map's and the seat stream's `format` is `compact` or nothing: a typo
    // is refused, not answered with the twenty-times-bigger full map.
    for path in [
        format!("/api/v1/events/{event}/seats?format=compct"),
        format!("/api/v1/events/{event}/seats?format="),
    ] {
        let (status, body) = app.get(&path, None).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{path}"
        );
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/events/{event}/seats?format=compact"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Unknown things are 404 with the contract's shape.
    let (status, body) = app
        .get(
            &format!("/api/v1/events/{}", waiting_room::EventId::new()),
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.get("/api/v1/events/not-a-uuid", None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.get("/api/v1/nope", None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    app.stop().await;
}

#[tokio::test]
async fn per_ip_limits_answer_429_with_retry_after() {
    let options = Options {
        auth_rate_per_sec: 1,
        join_rate_per_sec: 1,
        ..Options::default()
    };
    let app = spawn_with(Backend::Embedded, options).await.unwrap();
    // spawn_with logged the admin in: one of the 4-request burst is spent.
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..4 {
        let resp = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": format!("nobody{i}@floodgate.test"), "password": "whatever-pw"}))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(code(&resp.json().await.unwrap()), "rate_limited");
        }
    }
    assert_eq!(&statuses[..3], &[StatusCode::UNAUTHORIZED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().unwrap() >= 1));

    // Queue sockets: a burst of 4, then 429.
    let event = app
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let mut refused = None;
    for _ in 0..6 {
        match tokio_tungstenite::connect_async(app.queue_url(&event, &app.admin_token)).await {
            Ok(_) => {}
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                refused = Some((resp.status(), resp.headers().get("retry-after").is_some()));
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(refused, Some((StatusCode::TOO_MANY_REQUESTS, true)));
    app.stop().await;
}

/// The close frame, skipping other messages; `None` if the socket ends without one
/// in time.
async fn close_frame(fan: &mut crate::helpers::Fan) -> Option<Message> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, fan.ws.next()).await {
            Ok(Some(Ok(m @ Message::Close(_)))) => return Some(m),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("the socket failed without a close frame: {e}"),
            _ => return None,
        }
    }
}

fn close_code(frame: Option<Message>) -> Option<u16> {
    match frame {
        Some(Message::Close(Some(close))) => {
            assert!(!close.reason.is_empty(), "a close frame without a reason");
            Some(close.code.into())
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

async fn an_oversized_frame_is_closed_with_1009_and_keeps_the_place(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let token = app.fan().await;
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10, "session_ttl_secs": 600, "paused": true}))
        .await;
    let mut fan = app.connect(&event, &token).await;
    let joined = fan.join().await;

    // A masked text frame declaring 17,408 bytes, written byte by byte on the wire:
    // 81 FE 44 00, a 4-byte mask, the masked payload.
    let mask = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0xFE, 0x44, 0x00];
    frame.extend_from_slice(&mask);
    frame.extend((0..17_408).map(|i| b'x' ^ mask[i % 4]));
    let tcp = match fan.ws.get_mut() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp,
        _ => unreachable!("the test server speaks plain TCP"),
    };
    tcp.write_all(&frame).await.unwrap();
    assert_eq!(close_code(close_frame(&mut fan).await), Some(1009));

    // Far beyond the limit (64 KiB + 1) the same.
    let mut fan = app.connect(&event, &token).await;
    fan.expect("queued", Duration::from_secs(5)).await;
    fan.send_raw("y".repeat(64 * 1024 + 1)).await;
    assert_eq!(close_code(close_frame(&mut fan).await), Some(1009));

    // The place was kept.
    let mut back = app.connect(&event, &token).await;
    let resumed = back.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(resumed["ticket"], joined["ticket"]);
    app.stop().await;
}
