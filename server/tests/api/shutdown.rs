//! Shutdown closes every queue socket with a reason (1012), and the place survives a
//! restart of the replica (on the shared store). The real binary on SIGTERM: `/readyz`
//! answers 503 at once while everything is served for the pre-drain delay, then the
//! sockets close with 1012 and the process exits within its grace period; SIGINT
//! (Ctrl-C) skips the delay.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{start, Options, Shared};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_sockets_with_a_reason_and_places_survive_a_restart() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let app = start(options.clone()).await;
    let tokens = app.fans(2).await;
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10, "session_ttl_secs": 600, "paused": true}))
        .await;
    let mut first = app.connect(&event, &tokens[0]).await;
    first.join().await;
    let mut fan = app.connect(&event, &tokens[1]).await;
    let joined = fan.join().await;

    let stopping = tokio::spawn(app.stop());
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match fan.ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame on shutdown")
    .expect("with a code and reason");
    assert_eq!(close.code, CloseCode::Restart);
    assert!(!close.reason.is_empty());
    stopping.await.unwrap();

    let again = start(options).await;
    let mut back = again.connect(&event, &tokens[1]).await;
    let resumed = back.expect("queued", Duration::from_secs(5)).await;
    assert_eq!(resumed["ticket"], joined["ticket"]);
    assert_eq!(resumed["ahead"], json!(1));
    again.stop().await;
}

/// The real binary, embedded backend, with a pre-drain `delay_secs`: an open sale and
/// one fan's queue socket on it.
async fn binary_with_a_fan(
    delay_secs: u64,
    grace_secs: u64,
) -> (
    crate::procs::Floodgate,
    reqwest::Client,
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) {
    use crate::helpers::{temp_dir, ADMIN_EMAIL, ADMIN_PASSWORD};
    use crate::procs::{call, free_port, ready, spawn};
    use futures_util::SinkExt;
    use reqwest::StatusCode;

    let (delay, grace) = (delay_secs.to_string(), grace_secs.to_string());
    let server = spawn(
        &temp_dir("drain"),
        free_port(),
        None,
        &[
            ("FLOODGATE_SHUTDOWN_DELAY_SECS", &delay),
            ("FLOODGATE_SHUTDOWN_GRACE_SECS", &grace),
        ],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = server.base.clone();
    ready(&http, &base).await;
    let login = |email: &str, password: &str| {
        http.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
    };
    let (_, admin) = call(login(ADMIN_EMAIL, ADMIN_PASSWORD)).await;
    let starts_at = (time::OffsetDateTime::now_utc() - time::Duration::seconds(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, event) = call(
        http.post(format!("{base}/api/v1/admin/events"))
            .bearer_auth(admin["token"].as_str().unwrap())
            .json(&json!({
                "name": "Drain", "starts_at": starts_at,
                "sections": [{"name": "A", "rows": 1, "seats_per_row": 10, "price_cents": 100}],
                "admission": {"rate_per_minute": 60, "max_active": 1, "paused": true}
            })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let account = json!({"email": "drain@floodgate.test", "password": "fan-password"});
    let (status, _) = call(
        http.post(format!("{base}/api/v1/auth/register"))
            .json(&account),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, session) = call(login("drain@floodgate.test", "fan-password")).await;
    let url = format!(
        "ws://127.0.0.1:{}/api/v1/events/{}/queue/ws?access_token={}",
        server.port,
        event["id"].as_str().unwrap(),
        session["token"].as_str().unwrap()
    );
    let start = std::time::Instant::now();
    let ws = loop {
        // The sale opens on the room's next step.
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::Text(json!({"type": "join"}).to_string().into()))
            .await
            .unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(Ok(Message::Text(t))) = ws.next().await {
                    return serde_json::from_str::<serde_json::Value>(t.as_str()).unwrap();
                }
            }
        })
        .await
        .expect("an answer to join");
        if answer["type"] == "queued" {
            break ws;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    (server, http, ws)
}

/// Reads until the close frame; panics on anything else ending the socket.
async fn close_frame(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(frame))) => return frame.expect("a code and a reason"),
            Some(Ok(_)) => continue,
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_readyz_first_then_closes_sockets_and_exits_within_the_grace() {
    const DELAY: Duration = Duration::from_secs(2);
    const GRACE: Duration = Duration::from_secs(6);
    let (mut server, http, mut ws) = binary_with_a_fan(DELAY.as_secs(), GRACE.as_secs()).await;
    let signal = std::time::Instant::now();
    server.terminate();
    let readyz = format!("{}/readyz", server.base);
    loop {
        let r = http
            .get(&readyz)
            .send()
            .await
            .expect("served during the delay");
        if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert!(signal.elapsed() < DELAY, "/readyz still {}", r.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Not ready, but serving as before: the socket is open, other requests answered.
    let (status, _) = crate::procs::call(http.get(format!("{}/api/v1/events", server.base))).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(signal.elapsed() < DELAY);
    let frame = tokio::time::timeout(GRACE, close_frame(&mut ws))
        .await
        .expect("the socket closed within the grace period");
    assert!(
        signal.elapsed() >= DELAY,
        "the socket closed {:?} after SIGTERM, before the {DELAY:?} delay",
        signal.elapsed()
    );
    assert_eq!(frame.code, CloseCode::Restart);
    assert_eq!(frame.reason, server::ws::restart_frame().reason.as_str());
    let exit = server
        .exited_within(GRACE + Duration::from_secs(2))
        .await
        .expect("exits within the grace period");
    assert!(exit.success(), "{exit:?}");
    assert!(signal.elapsed() < GRACE + Duration::from_millis(1500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_skips_the_pre_drain_delay() {
    let (mut server, _http, mut ws) = binary_with_a_fan(60, 90).await;
    let signal = std::time::Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let frame = tokio::time::timeout(Duration::from_secs(10), close_frame(&mut ws))
        .await
        .expect("Ctrl-C drains at once, not after the 60 s delay");
    assert_eq!(frame.code, CloseCode::Restart);
    let exit = server
        .exited_within(Duration::from_secs(10))
        .await
        .expect("exits soon after Ctrl-C");
    assert!(exit.success(), "{exit:?}");
    assert!(signal.elapsed() < Duration::from_secs(10));
}
