//! Proof of work on join: a join that would create a ticket without a valid, unspent,
//! unexpired solution of this account for this event is refused with `pow_required`
//! and a fresh challenge (over HTTP and over the socket); with one the fan joins; a
//! reconnect with the ticket the fan holds needs none. Plus the setting itself:
//! validated, edited (and audited), shown on the event.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use waiting_room::pow;

use crate::helpers::{spawn_app, Backend, TestApp};

crate::both_backends!(
    a_join_needs_a_valid_unspent_solution_of_its_own,
    the_socket_asks_for_a_solution_and_a_reconnect_needs_none,
    the_difficulty_is_validated_edited_and_shown,
);

/// Low enough for a debug build to solve at once, high enough that a wrong nonce
/// fails (1 in 2^8 would pass by chance; the test picks one that does not).
const BITS: u8 = 8;

async fn pow_event(app: &TestApp) -> String {
    let id = app
        .create_event_with(
            -1_000,
            json!({"rate_per_minute": 1, "max_active": 1}),
            json!({"pow_difficulty": BITS}),
        )
        .await;
    app.wait_until("sale opens", Duration::from_secs(10), || async {
        app.stats(&id).await["opened"] == json!(true)
    })
    .await;
    id
}

/// `POST …/queue/join` with `pow` (if any) in the query.
async fn join(app: &TestApp, event: &str, fan: &str, pow: Option<&str>) -> (StatusCode, Value) {
    let mut path = format!("/api/v1/events/{event}/queue/join");
    if let Some(pow) = pow {
        path = format!("{path}?pow={pow}");
    }
    app.post(&path, Some(fan), &json!({})).await
}

async fn challenge(app: &TestApp, event: &str, fan: &str) -> Value {
    let path = format!("/api/v1/events/{event}/challenge");
    let (status, body) = app.post(&path, Some(fan), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn solve(challenge: &Value) -> String {
    let text = challenge["challenge"].as_str().expect("a challenge string");
    let bits = challenge["difficulty"].as_u64().unwrap() as u8;
    pow::solve(text, bits).0
}

fn assert_pow_required(status: StatusCode, body: &Value, why: &str) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{why}: {body}");
    let error = &body["error"];
    assert_eq!(error["code"], "pow_required", "{why}: {body}");
    assert!(
        error["message"].as_str().unwrap().contains("puzzle"),
        "{body}"
    );
    let c = &error["challenge"];
    assert_eq!(c["difficulty"], json!(BITS), "{body}");
    assert_eq!(c["algorithm"], "sha256-leading-zero-bits", "{body}");
    assert_eq!(c["expected_hashes"], json!(1u64 << BITS), "{body}");
    assert!(c["challenge"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(c["expires_at"].is_string(), "{body}");
}

async fn not_in_queue(app: &TestApp, event: &str, fan: &str) -> bool {
    let (_, body) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(fan))
        .await;
    body["code"] == "not_in_queue"
}

async fn a_join_needs_a_valid_unspent_solution_of_its_own(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = pow_event(&app).await;
    let fans = app.fans(2).await;
    let (a, b) = (&fans[0], &fans[1]);

    // No solution.
    let (status, body) = join(&app, &event, a, None).await;
    assert_pow_required(status, &body, "no solution");
    assert!(
        not_in_queue(&app, &event, a).await,
        "a refusal takes no place"
    );

    // A wrong nonce: one whose hash does not start with BITS zero bits.
    let c = challenge(&app, &event, a).await;
    let text = c["challenge"].as_str().unwrap();
    let wrong = (0..1000)
        .map(|n| format!("{text}:{n}"))
        .find(|s| {
            let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
            pow::leading_zero_bits(d.as_ref()) < u32::from(BITS)
        })
        .unwrap();
    let (status, body) = join(&app, &event, a, Some(&wrong)).await;
    assert_pow_required(status, &body, "wrong nonce");
    assert!(body["error"]["message"].as_str().unwrap().contains("nonce"));

    // An expired challenge (issued by this server's key, ten minutes ago).
    let keys = &app.state.keys;
    let (event_id, user_a) = (event.parse().unwrap(), user_of(&app, a).await);
    let old = pow::issue(keys, event_id, user_a, BITS, now_ms() - 600_000, 120_000);
    let (stale, _) = pow::solve(&old.challenge, BITS);
    let (status, body) = join(&app, &event, a, Some(&stale)).await;
    assert_pow_required(status, &body, "expired");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));

    // Another account's solution.
    let solution = solve(&c);
    let (status, body) = join(&app, &event, b, Some(&solution)).await;
    assert_pow_required(status, &body, "another account's");
    assert!(not_in_queue(&app, &event, b).await);

    // The fan's own: joins.
    let (status, body) = join(&app, &event, a, Some(&solution)).await;
    assert_eq!(
        (status, &body["type"]),
        (StatusCode::OK, &json!("queued")),
        "{body}"
    );
    // Joining again with the ticket held needs nothing.
    let (status, again) = join(&app, &event, a, None).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["ticket"], body["ticket"]);

    // A spent solution buys no second ticket.
    let leave = format!("/api/v1/events/{event}/queue/leave");
    let (status, _) = app.post(&leave, Some(a), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = join(&app, &event, a, Some(&solution)).await;
    assert_pow_required(status, &body, "reused");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("used already"));
    // A fresh one does.
    let fresh = solve(&body["error"]["challenge"]);
    let (status, body) = join(&app, &event, a, Some(&fresh)).await;
    assert_eq!(
        (status, &body["type"]),
        (StatusCode::OK, &json!("queued")),
        "{body}"
    );
}

async fn the_socket_asks_for_a_solution_and_a_reconnect_needs_none(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = pow_event(&app).await;
    let fan = app.fan().await;

    // Without a solution the join is refused on the socket, which stays open.
    let mut socket = app.connect(&event, &fan).await;
    socket.send(json!({"type": "join"})).await;
    let error = socket.expect("error", Duration::from_secs(10)).await;
    assert_eq!(error["code"], "pow_required", "{error}");
    assert_eq!(error["challenge"]["difficulty"], json!(BITS), "{error}");
    let solution = solve(&error["challenge"]);
    socket.send(json!({"type": "join"})).await;
    let again = socket.expect("error", Duration::from_secs(10)).await;
    assert_eq!(again["code"], "pow_required", "still refused: {again}");
    socket.close().await;

    // With it (in the handshake's query) the fan joins.
    let url = format!("{}&pow={solution}", app.queue_url(&event, &fan));
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut socket = crate::helpers::Fan { ws };
    let queued = socket.join().await;
    assert_eq!(queued["type"], "queued", "{queued}");
    socket.close().await;

    // A reconnect with the ticket held needs no new solution.
    let mut socket = app.connect(&event, &fan).await;
    let back = socket.join().await;
    assert_eq!(back["type"], "queued", "{back}");
    assert_eq!(back["ticket"], queued["ticket"], "the same ticket");
    socket.close().await;
}

async fn the_difficulty_is_validated_edited_and_shown(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let starts = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for bad in [json!(29), json!(-1), json!(1000)] {
        let body = json!({
            "name": "Too hard",
            "starts_at": starts,
            "sections": [{"name": "A", "rows": 1, "seats_per_row": 1, "price_cents": 1}],
            "admission": {"rate_per_minute": 1, "max_active": 1},
            "pow_difficulty": bad,
        });
        let (status, body) = app
            .post("/api/v1/admin/events", Some(&app.admin_token), &body)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let code = body["error"]["code"].as_str().unwrap();
        assert!(code == "invalid_field" || code == "invalid_body", "{body}");
    }
    let event = app
        .create_event(3_600_000, json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    let (_, shown) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(shown["pow_difficulty"], 0, "tests' default is off: {shown}");
    let path = format!("/api/v1/admin/events/{event}");
    let (status, body) = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"pow_difficulty": 29}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_field", "{body}");
    let (status, body) = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"pow_difficulty": 12}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, shown) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(shown["pow_difficulty"], 12, "{shown}");
    let edit = app
        .audit_entries(&event)
        .await
        .into_iter()
        .find(|e| e["action"] == "event_edited")
        .expect("the edit is audited");
    assert_eq!(edit["before"]["pow_difficulty"], 0, "{edit}");
    assert_eq!(edit["after"]["pow_difficulty"], 12, "{edit}");
    let fan = app.fan().await;
    let c = challenge(&app, &event, &fan).await;
    assert_eq!(c["difficulty"], 12, "{c}");
    let (status, _) = app
        .post(
            &format!("/api/v1/events/{event}/challenge"),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn now_ms() -> i64 {
    waiting_room::clock::now_ms()
}

/// The account id behind a session token.
async fn user_of(app: &TestApp, token: &str) -> waiting_room::UserId {
    let (status, me) = app.get("/api/v1/auth/session", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["user_id"]
        .as_str()
        .expect("an account id")
        .parse()
        .unwrap()
}
