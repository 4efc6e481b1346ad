//! Shutdown closes every queue socket with a reason (1012), and the place survives a
//! restart of the replica (on the shared store).

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
