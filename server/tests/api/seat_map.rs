//! The HTTP seat map is no amplifier (issue 16): one shared encoding per change, an
//! ETag and a short cache, a rate limit per address; and every HTTP connection is
//! capped per address and cut when its client stops reading.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{buyer, spawn_with, Backend, Options, TestApp};

crate::both_backends!(repeated_seat_maps_cost_one_encoding_per_change);

async fn room(app: &TestApp, event: &str) -> Arc<server::checkout::SeatRoom> {
    let id: waiting_room::EventId = event.parse().unwrap();
    let event = app.state.events.get(id).await.unwrap();
    app.state.checkout.room(&event).await.unwrap()
}

async fn seat_map(app: &TestApp, event: &str, query: &str) -> (StatusCode, Value) {
    app.get(&format!("/api/v1/events/{event}/seats{query}"), None)
        .await
}

async fn repeated_seat_maps_cost_one_encoding_per_change(backend: Backend) {
    let Some(app) = spawn_with(backend, Options::default()).await else {
        return;
    };
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let room = room(&app, &event).await;
    let before = room.encodings();
    for _ in 0..20 {
        let (status, body) = seat_map(&app, &event, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["seats"]["A-1-1"], "free", "{body}");
    }
    assert_eq!(
        room.encodings() - before,
        1,
        "20 unchanged maps, one encoding"
    );
    for _ in 0..20 {
        let (status, body) = seat_map(&app, &event, "?format=compact").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(room.encodings() - before, 2, "and one for the compact form");

    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app.hold(&event, &token, json!({"seats": ["A-1-1"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    app.wait_until(
        "the view shows the hold",
        Duration::from_secs(5),
        || async { room.states()[0] == 1 },
    )
    .await;
    // Past the most a snapshot may be reused once the view moved on.
    tokio::time::sleep(server::checkout::MAX_STALE + Duration::from_millis(100)).await;
    for _ in 0..20 {
        let (_, body) = seat_map(&app, &event, "").await;
        assert_eq!(body["seats"]["A-1-1"], "held", "{body}");
    }
    assert_eq!(
        room.encodings() - before,
        3,
        "one change, one more encoding"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seat_map_has_an_etag_a_short_cache_and_a_gzipped_copy() {
    let app = spawn_with(Backend::Embedded, Options::default())
        .await
        .unwrap();
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let url = app.url(&format!("/api/v1/events/{event}/seats"));
    let first = app.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let headers = first.headers().clone();
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(headers["cache-control"], "public, max-age=1");
    assert_eq!(headers["vary"], "accept-encoding");
    let length: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
    let plain = first.bytes().await.unwrap();
    assert_eq!(plain.len(), length);
    let v: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(v["seats"].as_object().unwrap().len(), 100, "{v}");
    assert!(v.get("type").is_none(), "the contract's shape: {v}");

    let again = app
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    let other = app
        .http
        .get(&url)
        .header("if-none-match", "W/\"0-0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK, "a stale ETag gets the map");

    let zipped = app
        .http
        .get(&url)
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), StatusCode::OK);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["etag"], etag.as_str());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped.bytes().await.unwrap()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain, "the gzipped copy is the same map");
    let br_only = app
        .http
        .get(&url)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert!(
        br_only.headers().get("content-encoding").is_none(),
        "not compressed per request"
    );
    assert_eq!(br_only.bytes().await.unwrap(), plain);

    // A change gives a new ETag, and the old one no longer matches.
    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app.hold(&event, &token, json!({"seats": ["A-1-1"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    app.wait_until("a new map", Duration::from_secs(10), || async {
        let r = app
            .http
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        r.status() == StatusCode::OK && r.headers()["etag"] != etag.as_str()
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seat_map_floods_get_429_with_retry_after() {
    let options = Options {
        seat_map_rate_per_sec: 1,
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
    let url = app.url(&format!("/api/v1/events/{event}/seats"));
    let mut refused = None;
    for _ in 0..10 {
        let r = app.http.get(&url).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let refused = refused.expect("10 seat maps at once from one address, none refused");
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "{retry}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_over_the_cap_get_429_and_are_closed() {
    let options = Options {
        max_connections_per_ip: Some(3),
        ..Options::default()
    };
    let app = spawn_with(Backend::Embedded, options).await.unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", app.port).parse().unwrap();
    // From an address of its own (the test client's pool holds one from 127.0.0.1).
    let connect = || async move {
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        tcp.connect(addr).await.unwrap()
    };
    let request = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
    // Each served once, and kept open (keep-alive).
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut c = connect().await;
        c.write_all(request).await.unwrap();
        let mut head = [0u8; 12];
        c.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        open.push(c);
    }
    let mut fourth = connect().await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), fourth.read_to_end(&mut answer))
        .await
        .expect("the connection over the cap was closed");
    assert!(read.is_ok(), "{read:?}");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 429"), "{text}");
    assert!(text.contains("retry-after: 5"), "{text}");
    let body: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // A closed connection gives its place back.
    drop(open.pop());
    app.wait_until("a place frees", Duration::from_secs(5), || async {
        let mut c = connect().await;
        let _ = c.write_all(request).await;
        let mut head = [0u8; 12];
        c.read_exact(&mut head).await.is_ok() && &head == b"HTTP/1.1 200"
    })
    .await;
    app.stop().await;
}

/// A client that asks for the seat map many times on one connection (pipelined) and
/// reads none of it: the server's write stalls, and the connection is cut once the
/// write deadline passes. Reading afterwards shows what was sent before the cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_is_cut_after_the_write_deadline() {
    let options = Options {
        slow_socket_secs: 1,
        http_write_timeout_secs: 1, // raised to slow + 3 = 4 s
        ..Options::default()
    };
    let app = spawn_with(Backend::Embedded, options).await.unwrap();
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 100, "seats_per_row": 100, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let (_, body) = seat_map(&app, &event, "").await;
    let one = body.to_string().len();
    const ASKED: usize = 200; // 200 × 10,000 seats: about 28 MB, past any socket buffer
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let mut client = tcp
        .connect(format!("127.0.0.1:{}", app.port).parse().unwrap())
        .await
        .unwrap();
    let request = format!("GET /api/v1/events/{event}/seats HTTP/1.1\r\nhost: x\r\n\r\n");
    client
        .write_all(request.repeat(ASKED).as_bytes())
        .await
        .unwrap();
    // Past the deadline (4 s) and the 1 s the client takes to stall it.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf)).await {
            Ok(Ok(0)) => break "eof",
            Ok(Ok(n)) => got += n,
            Ok(Err(_)) => break "reset",
            Err(_) => panic!("the connection stayed open; {got} bytes read"),
        }
    };
    assert!(
        got < ASKED * one,
        "every answer was sent ({got} bytes, {ended}): the stalled writes were never cut"
    );
    eprintln!("cut ({ended}) after {got} of {} bytes", ASKED * one);
    app.stop().await;
}
