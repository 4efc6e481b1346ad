//! Every response carries an `x-request-id`: the client's own when it sent one, else
//! a fresh UUID, so a client's report can be matched with the server's logs.

use crate::helpers::{spawn_app, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_a_request_id_and_echo_the_clients() {
    let Some(app) = spawn_app(Backend::Embedded).await else {
        return;
    };
    let id_of = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let fresh = app.http.get(app.url("/healthz")).send().await.unwrap();
    let first = id_of(&fresh).expect("a request id");
    assert!(uuid::Uuid::parse_str(&first).is_ok(), "{first}");
    let again = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(id_of(&again).unwrap(), first, "one id per request");

    let echoed = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "client-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&echoed).as_deref(), Some("client-chosen-42"));

    // Errors too, whoever shapes them (here the router's 404 for an unknown route).
    let missing = app
        .http
        .get(app.url("/api/v1/no/such/route"))
        .header("x-request-id", "client-chosen-43")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(id_of(&missing).as_deref(), Some("client-chosen-43"));
    app.stop().await;
}
