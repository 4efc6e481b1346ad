//! Stolen tokens: a purchase token is usable only with a session of the account it was
//! issued to. With another account's session, with none, or with a session that is not
//! valid, a hold, a confirm and a release are refused and hold (or change) nothing;
//! the owner's own session works, as a header or as the browser's cookie. And hold
//! attempts are limited per account.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{purchase_token, spawn_app, spawn_with, Backend, Options, TestApp};

crate::both_backends!(
    a_stolen_token_holds_nothing,
    a_stolen_token_confirms_and_releases_nothing,
    hold_attempts_are_limited_per_account,
);

/// A signed-in fan: its session token and account id.
async fn signed_in(app: &TestApp) -> (String, waiting_room::UserId) {
    let session = app.fan().await;
    let (status, me) = app.get("/api/v1/auth/session", Some(&session)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    (session, me["user_id"].as_str().unwrap().parse().unwrap())
}

/// `POST …/holds` (or any checkout call) with the purchase token and `extra` headers.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, headers)
}

/// What is tried, the headers sent beside the purchase token, the status expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);

fn one_seat_event() -> Value {
    json!([{"name": "A", "rows": 1, "seats_per_row": 4, "price_cents": 1000}])
}

async fn a_stolen_token_holds_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.seated_event(one_seat_event(), 300, 2).await;
    let (owner, owner_id) = signed_in(&app).await;
    let (thief, _) = signed_in(&app).await;
    let token = purchase_token(&app, &event, owner_id, 2, 600_000);
    let holds = format!("/api/v1/events/{event}/holds");
    let origin = app.base.clone();
    let thief_cookie = format!("floodgate_session={thief}");
    let owner_cookie = format!("floodgate_session={owner}");
    let seat = || Some(json!({"seats": ["A-1-1"]}));
    let post = reqwest::Method::POST;
    let cases: Vec<Case> = vec![
        (
            "the thief's session header",
            vec![("floodgate-session", &thief)],
            403,
        ),
        (
            "the thief's session cookie",
            vec![("cookie", &thief_cookie), ("origin", &origin)],
            403,
        ),
        ("no session", vec![], 401),
        (
            "an empty session header",
            vec![("floodgate-session", "")],
            401,
        ),
        (
            "a garbage session header",
            vec![("floodgate-session", "x.y.z")],
            401,
        ),
        // The purchase token itself passed off as the session.
        (
            "the token as its own session",
            vec![("floodgate-session", &token)],
            401,
        ),
        // A header that is present but bad is not made good by a valid cookie.
        (
            "a bad header beside the owner's cookie",
            vec![
                ("floodgate-session", "nope"),
                ("cookie", &owner_cookie),
                ("origin", &origin),
            ],
            401,
        ),
    ];
    for (what, headers, expected) in &cases {
        let (status, body, _) = send(&app, post.clone(), &holds, &token, headers, seat()).await;
        assert_eq!(
            (status.as_u16(), body["error"]["code"].as_str()),
            (*expected, Some("token_account_mismatch")),
            "{what}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("Sign in") || message.contains("sign in"),
            "{what}: {message}"
        );
    }
    // A session header that is not even text (bytes over 0x7F) is refused the same way.
    let raw = reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap();
    let resp = app
        .http
        .post(app.url(&holds))
        .bearer_auth(&token)
        .header("floodgate-session", raw)
        .json(&json!({"seats": ["A-1-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // A bad purchase token is refused as such, whatever the session.
    let (status, body, _) = send(
        &app,
        post.clone(),
        &holds,
        "garbage",
        &[("floodgate-session", &owner)],
        seat(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    // The owner's cookie from another site is refused before anything is held.
    let (status, body, _) = send(
        &app,
        post.clone(),
        &holds,
        &token,
        &[
            ("cookie", &owner_cookie),
            ("origin", "https://evil.example"),
        ],
        seat(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("bad_origin")),
        "{body}"
    );

    // Nothing was held: the owner holds the very seat the thief tried for, first by
    // the header and then (another seat) as a browser does, by the cookie.
    let (status, held, _) = send(
        &app,
        post.clone(),
        &holds,
        &token,
        &[("floodgate-session", &owner)],
        seat(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(held["seats"], json!(["A-1-1"]));
    let (status, held, _) = send(
        &app,
        post,
        &holds,
        &token,
        &[("cookie", &owner_cookie), ("origin", &origin)],
        Some(json!({"seats": ["A-1-2"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    // And only those two seats are taken.
    let map = app.seat_map(&event).await;
    let taken: Vec<&String> = map
        .iter()
        .filter(|(_, s)| *s != "free")
        .map(|(k, _)| k)
        .collect();
    assert!(taken.len() <= 2, "{map:?}");
    assert_eq!(map["A-1-3"], "free");
    app.stop().await;
}

async fn a_stolen_token_confirms_and_releases_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.seated_event(one_seat_event(), 300, 2).await;
    let (owner, owner_id) = signed_in(&app).await;
    let (thief, thief_id) = signed_in(&app).await;
    let token = purchase_token(&app, &event, owner_id, 2, 600_000);
    let mine = [("floodgate-session", owner.as_str())];
    let theirs = [("floodgate-session", thief.as_str())];
    let (status, held, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/events/{event}/holds"),
        &token,
        &mine,
        Some(json!({"quantity": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let hold = held["hold_id"].as_str().unwrap();
    let confirm = format!("/api/v1/holds/{hold}/confirm");
    let release = format!("/api/v1/holds/{hold}");
    for (method, path) in [
        (reqwest::Method::POST, &confirm),
        (reqwest::Method::DELETE, &release),
    ] {
        for (headers, expected) in [(&theirs[..], 403), (&[][..], 401)] {
            let (status, body, _) =
                send(&app, method.clone(), path, &token, headers, Some(json!({}))).await;
            assert_eq!(
                (status.as_u16(), body["error"]["code"].as_str()),
                (expected, Some("token_account_mismatch")),
                "{method} {path}: {body}"
            );
        }
    }
    // The hold is still there and still the owner's: nothing was bought or released.
    assert!(app.state.db.orders_of(thief_id).await.unwrap().is_empty());
    assert!(app.state.db.orders_of(owner_id).await.unwrap().is_empty());
    let map = app.seat_map(&event).await;
    assert_eq!(map["A-1-3"], "free");
    let (status, order, _) = send(
        &app,
        reqwest::Method::POST,
        &confirm,
        &token,
        &mine,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(order["seats"], held["seats"]);
    assert_eq!(app.state.db.orders_of(owner_id).await.unwrap().len(), 1);
    app.stop().await;
}

async fn hold_attempts_are_limited_per_account(backend: Backend) {
    let options = Options {
        hold_attempts_per_minute: 1,
        hold_attempts_burst: 3,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let event = app.seated_event(one_seat_event(), 300, 2).await;
    let (owner, owner_id) = signed_in(&app).await;
    let (other, other_id) = signed_in(&app).await;
    let token = purchase_token(&app, &event, owner_id, 2, 600_000);
    let holds = format!("/api/v1/events/{event}/holds");
    let mine = [("floodgate-session", owner.as_str())];
    // Refused attempts count too: two bad requests, then one good one.
    for body in [json!({"seats": ["Z-1-1"]}), json!({"quantity": 0})] {
        let (status, body, _) = send(
            &app,
            reqwest::Method::POST,
            &holds,
            &token,
            &mine,
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, held, _) = send(
        &app,
        reqwest::Method::POST,
        &holds,
        &token,
        &mine,
        Some(json!({"seats": ["A-1-1"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    // The fourth is refused with when to retry, and holds nothing.
    let (status, body, headers) = send(
        &app,
        reqwest::Method::POST,
        &holds,
        &token,
        &mine,
        Some(json!({"seats": ["A-1-2"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
        "{body}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("hold attempts"), "{message}");
    assert!(
        message.contains(&format!("retry in {retry} s")),
        "{message}"
    );
    // Confirms are not hold attempts, and another account has its own budget.
    let hold = held["hold_id"].as_str().unwrap();
    let (status, order, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/holds/{hold}/confirm"),
        &token,
        &mine,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let theirs = purchase_token(&app, &event, other_id, 2, 600_000);
    let (status, held, _) = send(
        &app,
        reqwest::Method::POST,
        &holds,
        &theirs,
        &[("floodgate-session", other.as_str())],
        Some(json!({"seats": ["A-1-2"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    app.stop().await;
}
