//! The end of a sale: an admin closes it (or it closes by itself after its show);
//! waiting fans are told `closed`, joins, holds and confirms are refused, open holds
//! are released, its rooms stop here, and closing twice changes nothing.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::both_backends;
use crate::helpers::{buyer, spawn_app, spawn_with, Backend, Options, TestApp};

both_backends!(
    a_closed_sale_tells_its_fans_refuses_sales_and_stops_its_rooms,
    a_closed_sales_seat_streams_say_closed_and_end,
    closing_twice_or_unknown_or_as_a_fan_is_refused_and_changes_nothing,
    a_sale_closes_by_itself_after_its_show,
);

impl TestApp {
    async fn close(&self, event: &str, token: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/api/v1/admin/events/{event}/close"),
            Some(token),
            &json!({}),
        )
        .await
    }

    /// Queue rooms and seat rooms running on this replica, as `/metrics` shows them.
    async fn running_rooms(&self) -> (usize, usize) {
        let text = self.metrics().send().await.unwrap().text().await.unwrap();
        let gauge = |name: &str| -> usize {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("no {name} in /metrics"))
                .parse::<f64>()
                .unwrap() as usize
        };
        (
            gauge("floodgate_queue_rooms"),
            gauge("floodgate_seat_rooms"),
        )
    }
}

async fn a_closed_sale_tells_its_fans_refuses_sales_and_stops_its_rooms(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let paused = json!({"rate_per_minute": 60, "max_active": 10, "paused": true});
    let event = app.open_event(paused.clone()).await;
    let other = app.open_event(paused).await;
    // Both events' rooms run here (the seat room starts with the first hold or map).
    app.seat_map(&other).await;
    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app
        .hold(&event, &token, json!({"seats": ["A-1-1", "A-1-2"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let hold_id = held["hold_id"].as_str().unwrap().to_owned();
    let fans = app.fans(3).await;
    let mut sockets = Vec::new();
    for fan in &fans[..2] {
        let mut socket = app.connect(&event, fan).await;
        assert_eq!(socket.join().await["type"], "queued");
        sockets.push(socket);
    }
    let mut elsewhere = app.connect(&other, &fans[2]).await;
    elsewhere.join().await;
    let before = app.running_rooms().await;
    assert!(before.0 >= 2 && before.1 >= 2, "{before:?}");

    let (status, closed) = app.close(&event, &app.admin_token).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["id"], json!(event));

    for socket in &mut sockets {
        socket.expect("closed", Duration::from_secs(5)).await;
        assert_eq!(
            socket.closed_within(Duration::from_secs(5)).await,
            Some(1000)
        );
    }
    assert_eq!(
        app.running_rooms().await,
        (before.0 - 1, before.1 - 1),
        "the closed sale's queue room and seat room stopped; the other's run on"
    );
    assert!(app.state.hub.room(other.parse().unwrap()).is_some());
    // The other sale's fan is not told anything of it.
    if let Some(message) = elsewhere.next_within(Duration::from_millis(300)).await {
        assert_ne!(message["type"], "closed", "{message}");
    }

    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(public["state"], "closed");
    let counts = app.store_counts(&event).await;
    assert_eq!(
        (counts.held, counts.sold),
        (0, 0),
        "the open hold was released"
    );

    let code = |body: &Value| {
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let (status, body) = app
        .post(
            &format!("/api/v1/events/{event}/queue/join"),
            Some(&fans[2]),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "event_closed".into())
    );
    let (status, body) = app.hold(&event, &token, json!({"seats": ["A-2-1"]})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "event_closed".into())
    );
    let (status, body) = app.confirm(&hold_id, &token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "event_closed".into())
    );
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/seats"), None)
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "event_closed".into())
    );
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(&fans[0]))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"type": "closed"})));
    assert_eq!(
        app.running_rooms().await,
        (before.0 - 1, before.1 - 1),
        "nothing restarted a room for the closed sale"
    );

    let closes: Vec<Value> = app
        .audit_entries(&event)
        .await
        .into_iter()
        .filter(|e| e["action"] == "event_closed")
        .collect();
    assert_eq!(closes.len(), 1, "{closes:?}");
    assert_eq!(closes[0]["actor"]["email"], crate::helpers::ADMIN_EMAIL);
    assert_eq!(closes[0]["before"], json!({"closed": false}));
    assert_eq!(closes[0]["after"]["closed"], true);
    assert_eq!(closes[0]["after"]["reason"], "admin");
    app.stop().await;
}

async fn closing_twice_or_unknown_or_as_a_fan_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let fan = app.fan().await;
    let (status, body) = app.close(&event, &fan).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("forbidden"))
    );
    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(
        public["state"], "scheduled",
        "a fan's close changed nothing"
    );

    let (status, _) = app.close(&event, &app.admin_token).await;
    assert_eq!(status, StatusCode::OK);
    let entries = app.audit_entries(&event).await.len();
    let (status, body) = app.close(&event, &app.admin_token).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("already_closed")),
        "{body}"
    );
    assert_eq!(
        app.audit_entries(&event).await.len(),
        entries,
        "no second entry"
    );

    let unknown = waiting_room::EventId::new().to_string();
    let (status, body) = app.close(&unknown, &app.admin_token).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!("not_found"))
    );
    let (status, _) = app.close("not-a-uuid", &app.admin_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn a_sale_closes_by_itself_after_its_show(backend: Backend) {
    let options = Options {
        close_after_show_secs: 0,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let rfc3339 = |offset: time::Duration| {
        (time::OffsetDateTime::now_utc() + offset)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let admission = json!({"rate_per_minute": 60, "max_active": 10});
    let over = app
        .create_event_with(
            -10_000,
            admission.clone(),
            json!({"show_at": rfc3339(time::Duration::seconds(-5))}),
        )
        .await;
    let later = app
        .create_event_with(
            -10_000,
            admission.clone(),
            json!({"show_at": rfc3339(time::Duration::days(1))}),
        )
        .await;
    let never = app.create_event(-10_000, admission).await;
    app.wait_until(
        "the sale after its show closes",
        Duration::from_secs(10),
        || async { app.get(&format!("/api/v1/events/{over}"), None).await.1["state"] == "closed" },
    )
    .await;
    // Another round of the closer has run meanwhile (it runs every refresh).
    tokio::time::sleep(Duration::from_secs(3)).await;
    for open in [&later, &never] {
        let (_, event) = app.get(&format!("/api/v1/events/{open}"), None).await;
        assert_ne!(event["state"], "closed", "{event}");
    }
    let closes: Vec<Value> = app
        .audit_entries(&over)
        .await
        .into_iter()
        .filter(|e| e["action"] == "event_closed")
        .collect();
    assert_eq!(closes.len(), 1, "closed once: {closes:?}");
    assert_eq!(closes[0]["actor"]["email"], "system@floodgate.invalid");
    assert_eq!(closes[0]["after"]["reason"], "after_show");
    app.stop().await;
}

/// What a seat stream sends from now until it ends: its text messages, and the close
/// frame's code and reason (`None` if it ended without one). Panics after 10 s.
async fn seat_stream_end<S>(stream: &mut S) -> (Vec<Value>, Option<(u16, String)>)
where
    S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let mut texts = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("the seat stream still open 10 s after the close");
        match next {
            Some(Ok(Message::Text(t))) => texts.push(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                return (
                    texts,
                    frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                )
            }
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return (texts, None),
        }
    }
}

async fn a_closed_sales_seat_streams_say_closed_and_end(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let paused = json!({"rate_per_minute": 60, "max_active": 10, "paused": true});
    let event = app.open_event(paused.clone()).await;
    let other = app.open_event(paused).await;
    let url = |event: &str, query: &str| {
        format!(
            "ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws{query}",
            app.port
        )
    };
    let mut streams = Vec::new();
    for query in ["", "?format=compact"] {
        let (mut stream, _) = tokio_tungstenite::connect_async(url(&event, query))
            .await
            .unwrap();
        let first = stream.next().await.unwrap().unwrap();
        let first: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
        assert_eq!(first["type"], "snapshot");
        streams.push(stream);
    }
    let (mut elsewhere, _) = tokio_tungstenite::connect_async(url(&other, ""))
        .await
        .unwrap();
    elsewhere.next().await.unwrap().unwrap();

    let (status, closed) = app.close(&event, &app.admin_token).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    for stream in &mut streams {
        let (texts, frame) = seat_stream_end(stream).await;
        assert_eq!(
            texts.last(),
            Some(&json!({"type": "closed"})),
            "the last message says the sale closed: {texts:?}"
        );
        assert_eq!(frame, Some((1000, "this sale is closed".to_owned())));
    }
    // The other sale's stream runs on.
    let (_, token) = buyer(&app, &other, 4, 600_000).await;
    let (status, held) = app.hold(&other, &token, json!({"seats": ["A-1-1"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let delta = tokio::time::timeout(Duration::from_secs(10), elsewhere.next())
        .await
        .expect("the other sale's stream tells its hold")
        .unwrap()
        .unwrap();
    let delta: Value = serde_json::from_str(delta.to_text().unwrap()).unwrap();
    assert_eq!(delta["type"], "delta", "{delta}");

    // A new subscription is refused before the upgrade, in the contract's shape.
    for query in ["", "?format=compact"] {
        let refused = tokio_tungstenite::connect_async(url(&event, query)).await;
        let Err(tungstenite::Error::Http(response)) = refused else {
            panic!("a closed sale's seat stream opened: {refused:?}");
        };
        assert_eq!(response.status().as_u16(), 409);
        let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "event_closed", "{body}");
    }
    app.stop().await;
}
