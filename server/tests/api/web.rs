//! The browser's side of the server: the cookie session with its origin rule, and the
//! embedded web pages with their caching and security headers.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{spawn_app, Backend, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};

/// Signs in through the browser endpoint; answers the cookie pair and the body.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> (String, Value) {
    let resp = app
        .http
        .post(app.url("/api/v1/auth/session"))
        .header("origin", &app.base)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    (pair, resp.json().await.unwrap())
}

fn with_cookie(cookie: &str, origin: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("cookie", HeaderValue::from_str(cookie).unwrap());
    if let Some(o) = origin {
        h.insert("origin", HeaderValue::from_str(o).unwrap());
    }
    h
}

#[tokio::test]
async fn the_browser_session_lives_in_an_http_only_cookie() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let (cookie, body) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(body["email"], ADMIN_EMAIL);
    assert_eq!(body["admin"], true);
    assert!(
        body.get("token").is_none(),
        "page scripts never see the token"
    );
    assert!(!body.to_string().contains(cookie.split('=').nth(1).unwrap()));

    let me = app
        .http
        .get(app.url("/api/v1/auth/session"))
        .headers(with_cookie(&cookie, None))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.unwrap()["email"], ADMIN_EMAIL);

    // Signing out clears the cookie; without one there is no session.
    let out = app
        .http
        .delete(app.url("/api/v1/auth/session"))
        .headers(with_cookie(&cookie, Some(&app.base)))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    // No one signed in: an answer (204), not an error a browser would log.
    let (status, body) = app.get("/api/v1/auth/session", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Wrong password: the contract's error, and no cookie.
    let resp = app
        .http
        .post(app.url("/api/v1/auth/session"))
        .json(&json!({"email": ADMIN_EMAIL, "password": "wrong-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("set-cookie").is_none());
    // An https page is not this plain-HTTP site (the `__Host-` cookie over HTTPS is
    // tested in `sessions`).
    let resp = app
        .http
        .post(app.url("/api/v1/auth/session"))
        .header("origin", format!("https://127.0.0.1:{}", app.port))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("set-cookie").is_none());
    app.stop().await;
}

#[tokio::test]
async fn cookie_requests_from_other_sites_are_refused_and_change_nothing() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let event = app
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let (cookie, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/api/v1/admin/events/{event}/admission");
    for origin in [Some("http://evil.example"), None] {
        let resp = app
            .http
            .patch(app.url(&path))
            .headers(with_cookie(&cookie, origin))
            .json(&json!({"rate_per_minute": 999}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{origin:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_origin");
    }
    assert_eq!(app.stats(&event).await["rate_per_minute"], 60);
    // Reads need no Origin; the same change from this site goes through.
    let (status, _) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let resp = app
        .http
        .patch(app.url(&path))
        .headers(with_cookie(&cookie, Some(&app.base)))
        .json(&json!({"rate_per_minute": 999}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.stats(&event).await["rate_per_minute"], 999);
    // A foreign page cannot sign a visitor in either.
    let resp = app
        .http
        .post(app.url("/api/v1/auth/session"))
        .header("origin", "http://evil.example")
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("set-cookie").is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_queue_socket_opened_with_the_cookie_must_come_from_this_site() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let email = "cookie-fan@floodgate.test";
    app.register(email, "fan-password").await;
    let (cookie, _) = sign_in(&app, email, "fan-password").await;
    let url = format!("ws://127.0.0.1:{}/api/v1/events/{event}/queue/ws", app.port);
    let request = |origin: &str| {
        let mut r = url.as_str().into_client_request().unwrap();
        r.headers_mut()
            .insert("cookie", HeaderValue::from_str(&cookie).unwrap());
        r.headers_mut()
            .insert("origin", HeaderValue::from_str(origin).unwrap());
        r
    };
    let refused = tokio_tungstenite::connect_async(request("http://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), StatusCode::FORBIDDEN)
        }
        other => panic!("a cross-site socket opened: {other:?}"),
    }
    let (ws, _) = tokio_tungstenite::connect_async(request(&app.base))
        .await
        .expect("same-site socket opens");
    let mut fan = crate::helpers::Fan { ws };
    assert_eq!(fan.join().await["type"], "queued");
    fan.close().await;
    app.stop().await;
}

#[tokio::test]
async fn pages_are_served_with_caching_and_security_headers() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    for (path, marker) in [
        ("/", "index"),
        ("/events/0190c1e2-0000-7000-8000-000000000000", "index"),
        ("/orders", "index"),
        ("/admin", "admin"),
        ("/admin/events/new", "admin"),
    ] {
        let resp = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let h = resp.headers().clone();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(h["cache-control"], "no-cache");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy"));
        let html = resp.text().await.unwrap();
        assert!(!html.contains("<script>"), "{path}: no inline scripts");
        let script = html
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("{path} ({marker}) loads a script"));
        assert!(script.starts_with("/assets/"), "{script}");

        // Assets are immutable and compressed for browsers that ask.
        let asset = app
            .http
            .get(app.url(script))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), StatusCode::OK);
        let ah = asset.headers();
        assert!(ah["cache-control"].to_str().unwrap().contains("immutable"));
        assert!(ah["content-type"].to_str().unwrap().contains("javascript"));
        assert_eq!(ah["content-encoding"], "gzip");

        // Revalidation by ETag.
        let etag = h["etag"].clone();
        let again = app
            .http
            .get(app.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    // Unknown assets and API paths answer the JSON error; a browser gets the page.
    let (status, body) = app.get("/assets/nope-123.js", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app.get("/assets/../Cargo.toml", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app.get("/api/v1/nope", None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
    let page = app
        .http
        .get(app.url("/no/such/page"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    app.stop().await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let resp = app
            .http
            .get(app.url("/api/v1/orders"))
            .header("authorization", format!("{scheme} {}", app.admin_token))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
    }
    for bad in ["Basic abc", "Bearer", "Bearer ", "Token x"] {
        let resp = app
            .http
            .get(app.url("/api/v1/orders"))
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn fans_whose_websockets_are_blocked_join_and_leave_over_http() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let event = app
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    // Someone ahead, on a socket, takes the one slot.
    let first = app.fan().await;
    let mut ahead = app.connect(&event, &first).await;
    ahead.join().await;
    let fan = app.fan().await;
    let join = format!("/api/v1/events/{event}/queue/join");
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(&fan))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::OK, &json!("not_in_queue"))
    );
    let (status, queued) = app.post(&join, Some(&fan), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{queued}");
    assert_eq!(queued["type"], "queued", "{queued}");
    // Idempotent, like the socket's join: the same ticket.
    let (_, again) = app.post(&join, Some(&fan), &json!({})).await;
    assert_eq!(again["ticket"], queued["ticket"]);
    let (_, me) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(&fan))
        .await;
    assert_eq!(me["type"], "queued");

    let (status, left) = app
        .post(
            &format!("/api/v1/events/{event}/queue/leave"),
            Some(&fan),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, &left["type"]),
        (StatusCode::OK, &json!("left")),
        "{left}"
    );
    let (_, back) = app.post(&join, Some(&fan), &json!({})).await;
    assert_eq!(back["type"], "queued");
    assert_ne!(
        back["ticket"], queued["ticket"],
        "a new join starts at the back"
    );

    // Bad input: no session, unknown event.
    let (status, _) = app.post(&join, None, &json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .post(
            "/api/v1/events/not-an-event/queue/join",
            Some(&fan),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
    ahead.close().await;
    app.stop().await;
}
