//! Sockets that do not read (issue 9): the server closes them with 1013 instead of
//! queueing for them without bound, and caps sockets per client address.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{buyer, spawn_with, Backend, Options};

crate::both_backends!(a_seat_socket_that_never_reads_is_closed_with_1013);

async fn a_seat_socket_that_never_reads_is_closed_with_1013(backend: Backend) {
    let options = Options {
        slow_socket_secs: 1,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    // A client that takes as little as it can and never reads.
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp
        .connect(format!("127.0.0.1:{}", app.port).parse().unwrap())
        .await
        .unwrap();
    let url = format!("ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws", app.port);
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    // Seat changes keep coming while it does not read.
    for i in 0..10 {
        let (_, token) = buyer(&app, &event, 4, 600_000).await;
        let seat = format!("A-{}-1", i + 1);
        let (status, body) = app.hold(&event, &token, json!({"seats": [seat]})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Now read what was queued: the server must have given up on the socket.
    let mut seen = 0;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => seen += 1,
            Ok(Some(Err(e))) => panic!("socket failed without a close frame: {e}"),
            Ok(None) => panic!("socket ended without a close frame"),
            Err(_) => panic!("the server kept a never-reading socket open ({seen} messages)"),
        }
    };
    let close = close.expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::from(1013), "{close:?}");
    assert!(seen >= 1, "the snapshot came first");
    app.wait_until(
        "the socket's slot is freed",
        Duration::from_secs(5),
        || async { app.state.sockets.open() == 0 },
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_per_client_address_are_capped() {
    let options = Options {
        max_sockets_per_ip: 2,
        ..Options::default()
    };
    let app = spawn_with(Backend::Embedded, options).await.unwrap();
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let url = format!("ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws", app.port);
    let (first, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let (_second, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let refused = tokio_tungstenite::connect_async(&url).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(resp) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value =
        serde_json::from_slice(resp.body().as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    drop(first);
    app.wait_until("a slot frees", Duration::from_secs(5), || async {
        app.state.sockets.open() == 1
    })
    .await;
    tokio_tungstenite::connect_async(&url).await.unwrap();
    app.stop().await;
}
