//! Sockets that do not read (issue 9): the server closes them with 1013 instead of
//! queueing for them without bound, and caps sockets per client address; HTTP answers
//! nobody reads (issue 16) hold one shared seat map and are cut at the write deadline.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{buyer, spawn_with, Backend, Options};
use crate::procs;

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

/// The real binary's resident memory, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Most the server may grow while 100 clients sit on the full map of a million seats
/// (about 18 MB each) without reading: room for the shared snapshot to be encoded once
/// more (its text and the working copy, about 2 × 19 MiB) and allocator slack. Seen:
/// +1 MiB. Each answer used to be its own copy: +1.76 GiB in a release build, and
/// +137 MiB within these 8 s in a debug build on 2 busy cores.
const SEAT_MAP_READERS_BOUND_MIB: u64 = 64;

/// 100 clients from one address ask for the full seat map of a 1,000,000-seat sale and
/// never read (issue 16): every answer is the one shared snapshot, so the server's
/// memory stays bounded, and the stalled answers are cut at the write deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_reading_clients_of_a_million_seat_map_hold_bounded_memory() {
    const CLIENTS: usize = 100;
    let dir = crate::helpers::temp_dir("seat-map-readers");
    let port = procs::free_port();
    let fg = procs::spawn(
        &dir,
        port,
        None,
        &[
            ("FLOODGATE_REQUEST_TIMEOUT_SECS", "600"),
            ("FLOODGATE_SLOW_SOCKET_SECS", "1"),
            ("FLOODGATE_HTTP_WRITE_TIMEOUT_SECS", "10"),
        ],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    procs::ready(&http, &fg.base).await;
    let admin = procs::admin_token(&http, &fg.base).await;
    let sections = json!([{"name": "A", "rows": 1000, "seats_per_row": 1000, "price_cents": 100}]);
    let started = std::time::Instant::now();
    let event = procs::create_event(
        &http,
        &fg.base,
        &admin,
        -1,
        json!({"name": "Million", "sections": sections, "max_seats_per_order": 4,
               "hold_ttl_secs": 300, "admission": {"rate_per_minute": 600, "max_active": 100}}),
    )
    .await;
    eprintln!("a million seats created in {:?}", started.elapsed());
    let path = format!("/api/v1/events/{event}/seats");
    let first = http.get(format!("{}{path}", fg.base)).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let size = first.bytes().await.unwrap().len();
    assert!(size > 15_000_000, "{size} bytes");
    let pid = fg.child.id();
    let before = rss_kib(pid);
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(4096).unwrap();
        let mut c = tcp
            .connect(format!("127.0.0.1:{port}").parse().unwrap())
            .await
            .unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
        tokio::io::AsyncWriteExt::write_all(&mut c, request.as_bytes())
            .await
            .unwrap();
        clients.push(c);
    }
    // Until the write deadline: the most they can hold.
    let mut peak = before;
    for _ in 0..32 {
        peak = peak.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let grew_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "RSS {} MiB before, peak {} MiB (+{grew_mib} MiB; {CLIENTS} × {size} bytes asked)",
        before / 1024,
        peak / 1024
    );
    assert!(
        grew_mib < SEAT_MAP_READERS_BOUND_MIB,
        "{CLIENTS} never-reading clients grew the server by {grew_mib} MiB"
    );
    // Past the deadline (10 s from the stall), every one of them is cut: reading ends
    // (EOF or reset) before the whole map arrives.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut buf = vec![0u8; 1 << 16];
    for (i, c) in clients.iter_mut().enumerate() {
        let mut got = 0usize;
        loop {
            use tokio::io::AsyncReadExt;
            match tokio::time::timeout(Duration::from_secs(20), c.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => got += n,
                Err(_) => panic!("client {i} still open after the write deadline ({got} bytes)"),
            }
        }
        assert!(got < size, "client {i} got the whole map: never cut");
    }
}
